"""What customers said: theme counts of a period against the usual, split by whether the order
was OTIF; verbatims of detractors after broken promises; each response's themes; the comments no
theme matches. Every function takes a ``Query`` whose ``filters`` (asked-for filters and the
viewer's scope) narrow the responses, so each answer can be scoped to its reader."""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.catalog import Catalog
from metrics.engine import Engine
from metrics.periods import shift_period
from metrics.query import (
    execute,
    fetch_rows,
    model_sources,
    resolve_as_of,
    run_query,
    validate_query,
)
from metrics.sqlgen import (
    Compiled,
    Query,
    model_ctes,
    query_conditions,
    settings_params,
    used_params,
)
from metrics.themes import OTHER, VOICE_MODEL, metric_name

GROUPS = ("missed", "OTIF")  # order_otif values, the broken promises first
BASELINE_PERIODS = 8  # "the usual": this many periods just before the one under review


def theme_names(catalog: Catalog) -> list[str]:
    """The themes in the YAML's order, then "other"."""
    return [*catalog.spec.themes, OTHER]


def theme_label(catalog: Catalog, theme: str) -> tuple[str, str]:
    """(label, owner) of a theme, "other" included."""
    m = catalog.metric(metric_name(theme))
    return m.label.removeprefix("Comments: "), m.owner


def _by_group(cur, catalog: Catalog, q: Query) -> pl.DataFrame:
    """Mentions and commented responses per theme and order_otif group over ``q``'s range."""
    metrics = tuple(metric_name(t) for t in theme_names(catalog))
    frame = run_query(cur, catalog, q.replace(metrics=metrics, by=("order_otif",))).frame
    return pl.concat(
        [
            frame.select(
                pl.col("order_otif").alias("group"),
                pl.lit(t).alias("theme"),
                pl.col(f"{metric_name(t)}__num").cast(pl.Int64).alias("n"),
                pl.col(f"{metric_name(t)}__den").cast(pl.Int64).alias("commented"),
            )
            for t in theme_names(catalog)
        ]
    )


def theme_table(
    cur: Engine,
    catalog: Catalog,
    q: Query,
    grain: str,
    *,
    periods: int = BASELINE_PERIODS,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Theme mentions in ``q``'s period against the ``periods`` periods before it, for responses
    about OTIF orders and about missed ones.

    Returns (themes, bases). themes: theme, label, owner, then per group g in GROUPS: ``n_<g>``
    (mentions this period), ``share_<g>`` (of the group's commented responses), ``usual_<g>``
    (the share over the baseline, recomputed from its parts), ``usual_n_<g>`` (mentions per
    period there); most mentions after a broken promise first, "other" last. bases: group,
    commented (this period), usual_commented (baseline total), for every order_otif group
    (null: about no measured order)."""
    assert q.date_from is not None, "a period under review"
    base_from = shift_period(q.date_from, grain, -periods)
    now = _by_group(cur, catalog, q)
    before = q.replace(date_from=base_from, date_to=q.date_from - dt.timedelta(days=1))
    usual = _by_group(cur, catalog, before)
    rows = []
    for theme in theme_names(catalog):
        label, owner = theme_label(catalog, theme)
        row: dict[str, object] = {"theme": theme, "label": label, "owner": owner}
        for g in GROUPS:
            a = _pick(now, theme, g)
            b = _pick(usual, theme, g)
            row[f"n_{g}"] = a[0]
            row[f"share_{g}"] = a[0] / a[1] if a[1] else None
            row[f"usual_{g}"] = b[0] / b[1] if b[1] else None
            row[f"usual_n_{g}"] = b[0] / periods
        rows.append(row)
    table = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        (pl.col("theme") == OTHER).alias("_last")
    )
    order = ["_last", "n_missed", "n_OTIF"]
    table = table.sort(order, descending=[False, True, True]).drop("_last")
    bases = (
        now.filter(pl.col("theme") == OTHER)
        .select("group", "commented")
        .join(
            usual.filter(pl.col("theme") == OTHER).select(
                "group", pl.col("commented").alias("usual_commented")
            ),
            on="group",
            how="full",
            coalesce=True,
            nulls_equal=True,
        )
        .fill_null(0)
    )
    return table, bases


def _pick(frame: pl.DataFrame, theme: str, group: str) -> tuple[int, int]:
    hit = frame.filter((pl.col("theme") == theme) & (pl.col("group") == group))
    return (int(hit["n"][0] or 0), int(hit["commented"][0] or 0)) if hit.height else (0, 0)


def verbatims(cur: Engine, catalog: Catalog, q: Query, *, limit: int = 5) -> pl.DataFrame:
    """Comments of detractors (NPS 0-6) about orders that missed OTIF, in ``q``'s range and
    filters, newest first: response date, customer (id, name), order, its due date and miss
    reason, NPS, the comment and its themes."""
    validate_query(catalog, q.replace(metrics=("commented_responses",)))
    as_of = resolve_as_of(cur, q.as_of)
    params: dict[str, object] = {**settings_params(catalog, as_of), "limit": limit}
    conds = ["order_otif = 'missed'", "nps <= 6", "commented"]
    conds += query_conditions(q, "response_date", params)  # the range, filters and scope
    sql = f"""{model_ctes(catalog, [VOICE_MODEL], model_sources(cur, catalog, as_of, [VOICE_MODEL]))}
SELECT v.response_date, v.customer_id, c.name AS customer, v.about_order AS order_id,
       v.order_due_date, v.miss_reason, v.nps, v.comment, v.themes
FROM (SELECT * FROM {VOICE_MODEL} WHERE {" AND ".join(conds)}) v
LEFT JOIN customers c ON c.customer_id = v.customer_id
ORDER BY v.response_date DESC, v.response_id
LIMIT $limit"""
    return execute(cur, Compiled(sql, used_params(sql, params)))


def response_themes(cur: Engine, catalog: Catalog, q: Query) -> pl.DataFrame:
    """response_id and themes of every commented response in ``q``'s range and filters."""
    rows = fetch_rows(cur, catalog, "commented_responses", q, limit=None)
    return rows.select("response_id", pl.col("theme_names").str.split(", ").alias("themes"))


def other_comments(cur: Engine, catalog: Catalog, q: Query, *, unhappy: bool = True) -> list[str]:
    """The comments no theme matches, in ``q``'s range and filters; with ``unhappy`` only those
    of customers who were not satisfied (CSAT 1-3 or NPS 0-6), where complaints are."""
    rows = fetch_rows(cur, catalog, metric_name(OTHER), q, failing=True, limit=None)
    if unhappy:
        rows = rows.filter((pl.col("csat") <= 3) | (pl.col("nps") <= 6))
    return rows["comment"].to_list()
