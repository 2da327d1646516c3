"""The customer relationship: who is at risk, and one customer's whole timeline."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from metrics.catalog import Catalog
from metrics.errors import MetricsError
from metrics.query import execute, resolve_as_of, stored_models
from metrics.sqlgen import Compiled, model_ctes, settings_params, used_params

CUSTOMER_DIMS = ("region", "segment", "portfolio", "portfolio_manager", "customer_id")


def _over_models(cur, catalog: Catalog, models: list[str], body: str, as_of: dt.date,
                 extra: dict[str, object]) -> pl.DataFrame:
    sql = f"{model_ctes(catalog, models, stored_models(cur, catalog, as_of))},\n{body}"
    return execute(cur, Compiled(sql, used_params(sql, {**settings_params(catalog, as_of), **extra})))


def _customer_filter(where: tuple[tuple[str, tuple[str, ...]], ...], params: dict) -> str:
    conds = []
    for i, (dim, values) in enumerate(where):
        if dim not in CUSTOMER_DIMS:
            raise MetricsError(f"customers cannot be filtered by '{dim}'; use one of {', '.join(CUSTOMER_DIMS)}")
        names = []
        for j, v in enumerate(values):
            params[f"c{i}_{j}"] = v
            names.append(f"$c{i}_{j}")
        conds.append(f"cu.{dim} IN ({', '.join(names)})")
    return " AND ".join(conds) or "true"


def customers_at_risk(cur: duckdb.DuckDBPyConnection, catalog: Catalog, *, as_of: dt.date | None = None,
                      where: tuple[tuple[str, tuple[str, ...]], ...] = (), broken_min: int = 2,
                      repeat_min: int = 2, days: int = 30, detractor_days: int = 90) -> pl.DataFrame:
    """Customers with ``broken_min``+ broken promises or ``repeat_min``+ repeated contacts in the
    last ``days`` days, or a detractor response in the last ``detractor_days`` days."""
    as_of = resolve_as_of(cur, as_of)
    params: dict[str, object] = {"days": days, "detractor_days": detractor_days,
                                 "broken_min": broken_min, "repeat_min": repeat_min}
    body = f"""
    broken AS (SELECT customer_id, count(*) AS broken_promises FROM customer_orders
               WHERE NOT otif AND due_date > $as_of - $days::INTEGER GROUP BY 1),
    detractors AS (SELECT customer_id, count(*) AS detractor_responses FROM responses
                   WHERE nps <= 6 AND response_date > $as_of - $detractor_days::INTEGER GROUP BY 1),
    repeats AS (SELECT customer_id, count(*) AS repeated_contacts FROM contacts
                WHERE handled AND NOT no_repeat AND contact_date > $as_of - $days::INTEGER GROUP BY 1)
    SELECT cu.customer_id, cu.name, cu.segment, cu.region, cu.portfolio, cu.portfolio_manager,
           coalesce(b.broken_promises, 0) AS broken_promises,
           coalesce(d.detractor_responses, 0) AS detractor_responses,
           coalesce(r.repeated_contacts, 0) AS repeated_contacts
    FROM customers cu
    LEFT JOIN broken b USING (customer_id)
    LEFT JOIN detractors d USING (customer_id)
    LEFT JOIN repeats r USING (customer_id)
    WHERE ({_customer_filter(where, params)})
      AND (coalesce(b.broken_promises, 0) >= $broken_min OR coalesce(d.detractor_responses, 0) >= 1
           OR coalesce(r.repeated_contacts, 0) >= $repeat_min)
    ORDER BY broken_promises DESC, detractor_responses DESC, repeated_contacts DESC, cu.customer_id"""
    return _over_models(cur, catalog, ["customer_orders", "responses", "contacts"], body, as_of, params)


def customer_timeline(cur: duckdb.DuckDBPyConnection, catalog: Catalog, customer_id: str, *,
                      as_of: dt.date | None = None) -> pl.DataFrame:
    """Everything known about one customer, newest first: orders (kept or not), shipments,
    contacts and survey responses with their comments."""
    as_of = resolve_as_of(cur, as_of)
    found = execute(cur, Compiled("SELECT count(*) FROM customers WHERE customer_id = $c", {"c": customer_id}))
    if not found.item():
        raise MetricsError(f"no customer '{customer_id}' in the warehouse")
    body = """
    ords AS (
      SELECT o.order_id, min(o.order_date) AS order_date, sum(o.qty_ordered) AS units,
             count(*) AS lines, any_value(o.channel) AS channel
      FROM orders o WHERE o.customer_id = $c AND o.order_date <= $as_of GROUP BY o.order_id)
    SELECT o.order_date AS date, 'order' AS kind, o.order_id AS reference,
           format('{} line(s), {:g} units via {}', o.lines, o.units, coalesce(o.channel, '?')) AS what,
           CASE WHEN co.order_id IS NULL THEN 'not yet due'
                WHEN co.otif THEN 'kept (OTIF)' ELSE 'broken: ' || co.miss_reason END AS outcome
    FROM ords o LEFT JOIN customer_orders co USING (order_id)
    UNION ALL
    SELECT s.ship_date, 'shipment', s.shipment_id,
           format('order {} line {}: {:g} units by {}', s.order_id, s.line_id, s.qty_shipped, coalesce(s.carrier, '?')),
           CASE WHEN s.delivered_date <= $as_of THEN 'delivered ' || s.delivered_date ELSE 'in transit' END
    FROM shipments s JOIN orders o USING (order_id, line_id)
    WHERE o.customer_id = $c AND s.ship_date <= $as_of
    UNION ALL
    SELECT k.contact_date, 'contact', k.call_id,
           format('{} queue, reason {}', coalesce(k.queue, '?'), coalesce(k.reason, '?')),
           CASE WHEN k.abandoned THEN 'abandoned' WHEN k.resolved THEN 'marked resolved' ELSE 'not resolved' END
    FROM contacts k WHERE k.customer_id = $c
    UNION ALL
    SELECT r.response_date, 'response', r.response_id,
           format('{}: CSAT {} NPS {} CES {}', coalesce(r.touchpoint, '?'), coalesce(r.csat::VARCHAR, '-'),
                  coalesce(r.nps::VARCHAR, '-'), coalesce(r.ces::VARCHAR, '-')),
           coalesce(r.comment, '')
    FROM responses r WHERE r.customer_id = $c
    ORDER BY date DESC, kind, reference"""
    return _over_models(cur, catalog, ["customer_orders", "contacts", "responses"], body, as_of, {"c": customer_id})


def customer_dimension_values(cur: duckdb.DuckDBPyConnection, dim: str) -> list[str]:
    """Distinct values of a customers column (region, segment, portfolio ...), sorted."""
    if dim not in {"region", "segment", "portfolio", "portfolio_manager"}:
        raise ValueError(f"not a customer dimension: {dim}")
    frame = execute(
        cur,
        Compiled(f"SELECT DISTINCT {dim} AS v FROM customers WHERE {dim} IS NOT NULL ORDER BY 1"),
    )
    return frame["v"].to_list()
