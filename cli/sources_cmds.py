"""Source mapping commands: ``northstar sources suggest FILE [--table T]``."""

from __future__ import annotations

from pathlib import Path

import click

from cli.errors import handle_errors


@click.group("sources")
def sources() -> None:
    """Map export files to the canonical tables (config/sources.yaml)."""


@sources.command("suggest")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--table", help="The table the file feeds (default: guessed from its name or columns)."
)
@handle_errors
def suggest_cmd(file: Path, table: str | None) -> None:
    """Propose a sources.yaml mapping for one export file (header row, delimiter, encoding,
    date and number formats, the canonical column of each header), as YAML to paste."""
    from connectors.suggest import as_yaml, suggest, unknown_table

    if table is not None and (problem := unknown_table(table)):
        raise click.UsageError(problem)
    click.echo(as_yaml(suggest(file, table)), nl=False)


def register(group: click.Group) -> None:
    group.add_command(sources)
