"""Errors the metric engine raises: each says what is wrong and what would be right."""


class MetricsError(Exception):
    """A configuration or query problem, told in plain words."""


class ConfigError(MetricsError):
    """metrics.yaml is invalid; ``problems`` lists every issue found, each located."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))
