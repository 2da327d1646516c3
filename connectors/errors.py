"""Errors the connectors raise: each says what is wrong and what would be right."""


class ConnectorError(Exception):
    """A file, mapping or warehouse problem, told in plain words."""
