"""Documents made from the metrics: the weekly review pack."""
