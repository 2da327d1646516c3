"""Voice of the customer: ``northstar voc suggest`` proposes themes from unmatched comments."""

from __future__ import annotations

import click

from cli.errors import handle_errors
from cli.metric_cmds import _date, _where
from cli.options import config_option, db_option, lake_option
from metrics.catalog import load_catalog
from metrics.sqlgen import Query
from metrics.theme_suggest import as_yaml, suggest
from metrics.voice import other_comments
from store.engines import open_engine


@click.group("voc")
def voc() -> None:
    """Voice of the customer: the themes of survey comments."""


@voc.command("suggest")
@click.option("--themes", "n_themes", type=click.IntRange(1, 20), default=5, show_default=True,
              help="At most this many candidate themes.")  # fmt: skip
@click.option("--examples", type=click.IntRange(1, 10), default=3, show_default=True,
              help="Example comments shown per candidate.")  # fmt: skip
@click.option("--everyone", is_flag=True,
              help="Use every unmatched comment, not only those of unsatisfied customers "
                   "(CSAT 1-3 or NPS 0-6).")  # fmt: skip
@click.option("--from", "date_from", help="First response date (inclusive).")
@click.option("--to", "date_to", help="Last response date (inclusive).")
@click.option("--where", multiple=True, help="Filter DIM=V[,V...]; repeatable.")
@db_option
@lake_option
@config_option
@handle_errors
def suggest_cmd(n_themes, examples, everyone, date_from, date_to, where, db, lake, config_path):
    """Propose candidate themes from the comments no theme matches ("other"): top terms and
    example comments per candidate, as YAML to paste under 'themes:' in metrics.yaml."""
    catalog = load_catalog(config_path)
    q = Query(
        metrics=(),
        date_from=_date(date_from, "--from"),
        date_to=_date(date_to, "--to"),
        where=_where(where),
    )
    engine = open_engine(db, lake, config_path=config_path)
    comments = other_comments(engine, catalog, q, unhappy=not everyone)
    candidates = suggest(comments, themes=n_themes, examples=examples)
    if not candidates:
        who = "" if everyone else " from unsatisfied customers (try --everyone)"
        click.echo(f"Too few comments match no theme{who} to suggest any: {len(comments)}.")
        return
    click.echo(as_yaml(candidates, len(comments)), nl=False)


def register(group: click.Group) -> None:
    group.add_command(voc)
