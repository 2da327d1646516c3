"""Placeholder until the commands land."""


def register(group) -> None:
    pass
