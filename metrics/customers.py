"""The customer relationship: who is at risk, and one customer's whole timeline."""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.catalog import Catalog
from metrics.engine import Engine
from metrics.errors import MetricsError
from metrics.evidence import rate_below
from metrics.promises import promises_at_risk
from metrics.query import CUSTOMER_DIMS, execute, model_sources, resolve_as_of
from metrics.spec import AtRisk
from metrics.sqlgen import (
    Compiled,
    Query,
    filter_conditions,
    model_ctes,
    settings_params,
    used_params,
)


def _over_models(
    cur, catalog: Catalog, models: list[str], body: str, as_of: dt.date, extra: dict[str, object]
) -> pl.DataFrame:
    sql = f"{model_ctes(catalog, models, model_sources(cur, catalog, as_of, models))},\n{body}"
    return execute(
        cur, Compiled(sql, used_params(sql, {**settings_params(catalog, as_of), **extra}))
    )


Filters = tuple[tuple[str, tuple[str, ...]], ...]


def _customer_filter(filters: Filters, params: dict) -> str:
    """Filters (and a viewer's row scope) on the customers table ``cu``, as bound parameters."""
    for dim, _ in filters:
        if dim not in CUSTOMER_DIMS:
            raise MetricsError(
                f"customers cannot be filtered by '{dim}'; use one of {', '.join(CUSTOMER_DIMS)}"
            )
    return " AND ".join(filter_conditions(filters, params, alias="cu.", prefix="c")) or "true"


# The at-risk counts of every customer, for several windows at once: window i is the last
# $window_days_i days (contacts: against the $baseline_windows_i windows just before), its
# columns suffixed _i; $widest is the longest window.
_SIGNALS_SQL = """
    win AS (SELECT customer_id, {win}
            FROM customer_orders WHERE due_date > $as_of - $widest::INTEGER GROUP BY 1),
    rev AS (SELECT customer_id, sum(qty_ordered * unit_price) AS revenue_at_risk
            FROM lines WHERE due_date > $as_of - $revenue_days::INTEGER
              AND order_id IN (SELECT order_id FROM customer_orders WHERE NOT otif)
            GROUP BY 1),
    det AS (SELECT r.customer_id, {det}
            FROM responses r JOIN customer_orders o ON o.order_id = r.order_id AND NOT o.otif
            WHERE r.nps <= 6 AND r.response_date > $as_of - $widest::INTEGER GROUP BY 1),
    recent_contacts AS (SELECT customer_id, {contacts}
            FROM contacts WHERE customer_id IS NOT NULL GROUP BY 1)
    SELECT cu.customer_id, cu.name, cu.segment, cu.region, cu.portfolio, cu.portfolio_manager,
           coalesce(rev.revenue_at_risk, 0) AS revenue_at_risk, {counts}
    FROM customers cu
    LEFT JOIN win w USING (customer_id)
    LEFT JOIN rev USING (customer_id)
    LEFT JOIN det USING (customer_id)
    LEFT JOIN recent_contacts rc USING (customer_id)
    WHERE ({where})"""
_WINDOW_SQL = {  # one window's part of each clause of _SIGNALS_SQL
    "win": """count(*) FILTER (WHERE due_date > $as_of - $window_days_{i}::INTEGER) AS orders_{i},
           count(*) FILTER (WHERE due_date > $as_of - $window_days_{i}::INTEGER AND NOT otif)
             AS broken_promises_{i}""",
    "det": """count(*) FILTER (WHERE r.response_date > $as_of - $window_days_{i}::INTEGER)
             AS detractor_answers_{i}""",
    "contacts": """count(*) FILTER (WHERE contact_date > $as_of - $window_days_{i}::INTEGER) AS contacts_{i},
           count(*) FILTER (WHERE contact_date <= $as_of - $window_days_{i}::INTEGER
               AND contact_date > $as_of - $window_days_{i}::INTEGER * ($baseline_windows_{i}::INTEGER + 1))
             / $baseline_windows_{i}::DOUBLE AS usual_contacts_{i}""",
    "counts": """coalesce(w.orders_{i}, 0) AS orders_{i},
           coalesce(w.broken_promises_{i}, 0) AS broken_promises_{i},
           (w.orders_{i} - w.broken_promises_{i}) / NULLIF(w.orders_{i}, 0) AS otif_{i},
           coalesce(det.detractor_answers_{i}, 0) AS detractor_answers_{i},
           coalesce(rc.contacts_{i}, 0) AS contacts_{i},
           coalesce(rc.usual_contacts_{i}, 0) AS usual_contacts_{i}""",
}
_CUSTOMER = (  # the columns before a window's counts
    *("customer_id", "name", "segment", "region", "portfolio", "portfolio_manager"),
    "revenue_at_risk",
)
COUNTS = ("orders", "broken_promises", "otif", "detractor_answers", "contacts", "usual_contacts")
Window = tuple[int, int]  # (days, baseline windows)


def signal_counts(
    cur: Engine, catalog: Catalog, *, as_of: dt.date, windows: list[Window], where: Filters
) -> list[pl.DataFrame]:
    """For each window, every customer ``where`` selects with its revenue at risk and the at-risk
    counts over the window's days (``COUNTS``): one pass over the models for all windows."""
    params: dict[str, object] = {
        "revenue_days": catalog.spec.at_risk.revenue_days,
        "widest": max(days for days, _ in windows),
    }
    for i, (days, baseline) in enumerate(windows):
        params |= {f"window_days_{i}": days, f"baseline_windows_{i}": baseline}
    parts = {
        k: ",\n           ".join(sql.format(i=i) for i in range(len(windows)))
        for k, sql in _WINDOW_SQL.items()
    }
    body = _SIGNALS_SQL.format(where=_customer_filter(where, params), **parts)
    frame = _over_models(
        cur, catalog, ["lines", "customer_orders", "responses", "contacts"], body, as_of, params
    )
    return [
        frame.select(*_CUSTOMER, *(pl.col(f"{c}_{i}").alias(c) for c in COUNTS))
        for i in range(len(windows))
    ]


def customer_signals(
    cur: Engine,
    catalog: Catalog,
    *,
    as_of: dt.date | None = None,
    where: Filters = (),
    scope: Filters = (),
) -> pl.DataFrame:
    """Every customer (of ``where`` and the viewer's ``scope``) with the at-risk rule's counts (``at_risk:`` in metrics.yaml), the signals
    that fired (``reasons``, their number ``signals``), ``at_risk`` and its revenue at risk."""
    rule = catalog.spec.at_risk
    as_of = resolve_as_of(cur, as_of)
    window = (rule.window_days, rule.contact_surge.baseline_windows if rule.contact_surge else 1)
    [frame] = signal_counts(cur, catalog, as_of=as_of, windows=[window], where=where + scope)
    return judge_customers(frame, rule)


def judge_customers(frame: pl.DataFrame, rule: AtRisk) -> pl.DataFrame:
    """The at-risk rule over customers' counts (``COUNTS``): ``otif_failing``, the signals
    that fired (``reasons``, their number ``signals``) and ``at_risk``. Pure."""
    frame = frame.with_columns(otif_failing=otif_failing(frame, rule))
    signals = [s for s in _signal_exprs(rule) if s[0] is not None]
    reasons = pl.concat_list([pl.when(e).then(t) for e, t, _ in signals]).list.drop_nulls()
    # A signal resting on one event (one detractor, one broken promise) adds evidence but never
    # lists a customer alone: at least one signal must rest on more.
    strong = pl.sum_horizontal(
        [(e & ~single).cast(pl.Int64) for e, _, single in signals] or [pl.lit(0)]
    )
    return (
        frame.with_columns(reasons=reasons, strong=strong)
        .with_columns(
            signals=pl.col("reasons").list.len().cast(pl.Int64),
            at_risk=(pl.col("reasons").list.len() >= rule.min_signals) & (pl.col("strong") >= 1),
            reasons=pl.col("reasons").list.join("; "),
        )
        .drop("strong")
    )


def otif_failing(frame: pl.DataFrame, rule: AtRisk) -> pl.Series:
    """Customers whose own orders show OTIF below the rule's threshold beyond chance: the exact
    one-sided 95% upper bound of their OTIF over their orders in the window is below it
    (``metrics.evidence``). A customer whose true OTIF sat at the threshold is listed in at most
    5% of windows, whatever its volume."""
    if rule.otif_below is None:
        return pl.Series("otif_failing", [False] * frame.height, dtype=pl.Boolean)
    value = rule.otif_below.value
    return pl.Series(
        "otif_failing",
        [
            rate_below(orders - broken, orders, value)
            for orders, broken in zip(frame["orders"].to_list(), frame["broken_promises"].to_list())
        ],
        dtype=pl.Boolean,
    )


def _signal_exprs(rule: AtRisk) -> list[tuple[pl.Expr | None, pl.Expr, pl.Expr]]:
    """Each signal of ``rule``: when it fires (None: switched off), how to say it, and when it
    rests on a single event."""
    otif, surge = rule.otif_below, rule.contact_surge
    pct = (pl.col("otif") * 100).round(0).cast(pl.Int64).cast(pl.String)
    return [
        (
            pl.col("broken_promises") >= rule.broken_promises if rule.broken_promises else None,
            pl.format("{} broken promises", pl.col("broken_promises")),
            pl.col("broken_promises") <= 1,
        ),
        (
            pl.col("otif_failing") & (pl.col("orders") >= otif.min_orders) if otif else None,
            pl.format("OTIF {}% ({} orders)", pct, pl.col("orders")),
            pl.lit(False),
        ),
        (
            pl.col("detractor_answers") >= 1 if rule.detractor_after_broken_promise else None,
            pl.format(
                "{} {} on a broken promise",
                pl.col("detractor_answers"),
                pl.when(pl.col("detractor_answers") == 1)
                .then(pl.lit("detractor"))
                .otherwise(pl.lit("detractors")),
            ),
            pl.col("detractor_answers") <= 1,
        ),
        (
            (pl.col("contacts") >= surge.min_contacts)
            & (pl.col("contacts") >= surge.factor * pl.col("usual_contacts"))
            if surge
            else None,
            pl.format(
                "{} contacts vs usual {}", pl.col("contacts"), pl.col("usual_contacts").round(1)
            ),
            pl.lit(False),
        ),
    ]


def customers_at_risk(
    cur: Engine,
    catalog: Catalog,
    *,
    as_of: dt.date | None = None,
    where: Filters = (),
    scope: Filters = (),
) -> pl.DataFrame:
    """The customers the ``at_risk:`` rule flags, the most revenue at risk first: the revenue
    of their orders that failed (missed OTIF, due in the ``revenue_days``) and of their open
    lines at risk now (``metrics.promises``), not their whole revenue."""
    as_of = resolve_as_of(cur, as_of)
    flagged = customer_signals(cur, catalog, as_of=as_of, where=where, scope=scope).filter(
        pl.col("at_risk")
    )
    if flagged.height:
        open_lines = promises_at_risk(cur, catalog, Query(metrics=(), as_of=as_of))
        pending = open_lines.group_by("customer_id").agg(pending=pl.col("value").sum())
        flagged = (
            flagged.join(pending, on="customer_id", how="left")
            .with_columns(
                revenue_at_risk=pl.col("revenue_at_risk") + pl.col("pending").fill_null(0)
            )
            .drop("pending")
        )
    return flagged.sort(["revenue_at_risk", "customer_id"], descending=[True, False])


def rule_text(rule: AtRisk) -> str:
    """The at-risk rule in plain words, from the config."""
    said = []
    if rule.broken_promises:
        said.append(f"{rule.broken_promises} or more orders that missed OTIF (broken promises)")
    if rule.otif_below:
        said.append(
            f"OTIF below {rule.otif_below.value:.0%} over at least {rule.otif_below.min_orders} orders"
            " (beyond chance at the customer's own volume: one-sided 95%)"
        )
    if rule.detractor_after_broken_promise:
        said.append("a detractor survey answer (NPS 0–6) about an order that missed OTIF")
    if rule.contact_surge:
        s = rule.contact_surge
        said.append(
            f"at least {s.min_contacts} contacts and {s.factor:g}× their usual number (the mean of "
            f"the {s.baseline_windows} windows of {rule.window_days} days before)"
        )
    need = "any" if rule.min_signals == 1 else f"at least {rule.min_signals}"
    which = "this signal" if len(said) == 1 else f"{need} of these {len(said)} signals"
    return (
        f"A customer is at risk when {which} fire in the last {rule.window_days} days: "
        + "; ".join(f"({i}) {t}" for i, t in enumerate(said, 1))
        + ". A signal resting on a single event never lists a customer alone. Revenue at risk is "
        "the ordered value of the customer's orders that missed OTIF, due in the last "
        f"{rule.revenue_days} days, and of its open lines at risk now; the list is ranked by it."
    )


def customer_timeline(
    cur: Engine,
    catalog: Catalog,
    customer_id: str,
    *,
    as_of: dt.date | None = None,
    scope: Filters = (),
) -> pl.DataFrame:
    """Everything known about one customer, newest first: orders (kept or not), shipments,
    contacts and survey responses with their comments. A customer outside the viewer's
    ``scope`` is answered like one that does not exist."""
    as_of = resolve_as_of(cur, as_of)
    params: dict[str, object] = {"c": customer_id}
    sql = f"SELECT count(*) FROM customers cu WHERE customer_id = $c AND {_customer_filter(scope, params)}"
    found = execute(cur, Compiled(sql, params))
    if not found.item():
        raise MetricsError(f"no customer '{customer_id}' in the warehouse")
    body = f"""
    ords AS (
      SELECT o.order_id, min(o.order_date) AS order_date, sum(o.qty_ordered) AS units,
             count(*) AS lines, min(o.channel) AS channel
      FROM orders o WHERE o.customer_id = $c AND o.order_date <= $as_of GROUP BY o.order_id)
    SELECT o.order_date AS date, 'order' AS kind, o.order_id AS reference,
           {_ORDER_WHAT} AS what,
           CASE WHEN co.order_id IS NULL THEN 'not yet due'
                WHEN co.otif THEN 'kept (OTIF)' ELSE 'broken: ' || co.miss_reason END AS outcome
    FROM ords o LEFT JOIN customer_orders co USING (order_id)
    UNION ALL
    SELECT s.ship_date, 'shipment', s.shipment_id,
           {_SHIPMENT_WHAT},
           CASE WHEN s.delivered_date <= $as_of THEN 'delivered ' || CAST(s.delivered_date AS VARCHAR)
                ELSE 'in transit' END
    FROM shipments s JOIN orders o USING (order_id, line_id)
    WHERE o.customer_id = $c AND s.ship_date <= $as_of
    UNION ALL
    SELECT k.contact_date, 'contact', k.call_id,
           {_CONTACT_WHAT},
           CASE WHEN k.abandoned THEN 'abandoned' WHEN k.resolved THEN 'marked resolved' ELSE 'not resolved' END
    FROM contacts k WHERE k.customer_id = $c
    UNION ALL
    SELECT r.response_date, 'response', r.response_id,
           {_RESPONSE_WHAT},
           coalesce(r.comment, '')
    FROM responses r WHERE r.customer_id = $c
    ORDER BY date DESC, kind, reference, what"""
    return _over_models(
        cur, catalog, ["customer_orders", "contacts", "responses"], body, as_of, {"c": customer_id}
    )


def _text(*parts: str) -> str:
    """SQL joining ``parts`` as one text: 'quoted' literals as they are, columns as text ('?'
    when missing); written with what every engine has (DuckDB's ``format`` is its own)."""
    return " || ".join(
        p if p.startswith(("'", "CASE", "coalesce")) else f"coalesce(CAST({p} AS VARCHAR), '?')"
        for p in parts
    )


def _int(column: str, missing: str = "?") -> str:
    """SQL of a whole number as text ('3'), ``missing`` when null."""
    return f"coalesce(CAST(CAST({column} AS BIGINT) AS VARCHAR), '{missing}')"


def _num(column: str) -> str:
    """SQL of a quantity as text: '4' for 4.0, '2.5' for 2.5 (as Python's ``{:g}``)."""
    return (
        f"CASE WHEN {column} = floor({column}) THEN CAST(CAST({column} AS BIGINT) AS VARCHAR)"
        f" ELSE CAST({column} AS VARCHAR) END"
    )


_ORDER_WHAT = _text(_int("o.lines"), "' line(s), '", _num("o.units"), "' units via '", "o.channel")
_SHIPMENT_WHAT = _text(
    "'order '", "s.order_id", "' line '", "s.line_id", "': '", _num("s.qty_shipped"),
    "' units by '", "s.carrier",
)  # fmt: skip
_CONTACT_WHAT = _text("k.queue", "' queue, reason '", "k.reason")
_RESPONSE_WHAT = _text(
    "r.touchpoint", "': CSAT '", _int("r.csat", "-"), "' NPS '", _int("r.nps", "-"),
    "' CES '", _int("r.ces", "-"),
)  # fmt: skip


def customer_ids(cur: Engine, where: Filters) -> pl.DataFrame:
    """The ids (``customer_id``) of the customers ``where`` selects."""
    params: dict[str, object] = {}
    sql = f"SELECT customer_id FROM customers cu WHERE {_customer_filter(where, params)}"
    return execute(cur, Compiled(sql, params))


def customer_dimension_values(cur: Engine, dim: str, *, scope: Filters = ()) -> list[str]:
    """Distinct values of a customers column (region, segment, portfolio ...) among the
    customers of the viewer's ``scope``, sorted."""
    if dim not in {"region", "segment", "portfolio", "portfolio_manager"}:
        raise ValueError(f"not a customer dimension: {dim}")
    params: dict[str, object] = {}
    sql = (
        f"SELECT DISTINCT {dim} AS v FROM customers cu "
        f"WHERE {dim} IS NOT NULL AND {_customer_filter(scope, params)} ORDER BY 1"
    )
    frame = execute(cur, Compiled(sql, params))
    return frame["v"].to_list()
