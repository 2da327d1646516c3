"""Stores and engines: the warehouse file, the Parquet lake and Spark, and the one way to open them."""
