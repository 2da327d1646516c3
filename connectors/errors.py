"""Errors the connectors raise: each says what is wrong and what would be right."""

from store.errors import StoreError


class ConnectorError(StoreError):
    """A file, mapping or validation problem, told in plain words (a kind of ``StoreError``, so one
    handler covers every data problem)."""
