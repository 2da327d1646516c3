"""Errors of the stores, engines and application state: each says what is wrong and what would be right."""


class StoreError(Exception):
    """A warehouse, lake, engine or state-file problem, told in plain words."""
