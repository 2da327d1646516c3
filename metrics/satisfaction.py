"""The customer cost of a broken promise: satisfaction after OTIF and missed orders."""

from __future__ import annotations

import datetime as dt

import polars as pl

from metrics.catalog import Catalog
from metrics.engine import Engine
from metrics.errors import MetricsError
from metrics.query import execute, model_sources
from metrics.sqlgen import (
    Compiled,
    Query,
    filter_conditions,
    model_ctes,
    settings_params,
    used_params,
)


def satisfaction_by_otif(cur: Engine, catalog: Catalog, q: Query, as_of: dt.date) -> pl.DataFrame:
    """CSAT and NPS of responses about OTIF orders against those about missed orders.

    Responses dated in ``q``'s range, joined to their measured order; ``q``'s
    filters apply to the response's customer. Columns: otif, responses,
    csat (share 4-5), csat_n, nps (-100..100), nps_n.
    """
    params = settings_params(catalog, as_of)
    conds = []
    if q.date_from:
        params["date_from"] = q.date_from
        conds.append("r.response_date >= $date_from")
    if q.date_to:
        params["date_to"] = q.date_to
        conds.append("r.response_date <= $date_to")
    offered = catalog.models["responses"].spec.dimensions
    where = tuple((d, v) for d, v in q.where if d in offered)  # e.g. a site filter: not theirs
    for dim, _ in q.scope:
        if dim not in offered:
            raise MetricsError(f"responses cannot be limited to a scope by '{dim}'")
    conds += filter_conditions(where + q.scope, params, alias="r.")
    where = f"WHERE {' AND '.join(conds)}" if conds else ""
    models = ["responses", "customer_orders"]
    sql = f"""{model_ctes(catalog, models, model_sources(cur, catalog, as_of, models))}
SELECT o.otif, count(*) AS responses,
       avg(CASE WHEN r.csat >= 4 THEN 1.0 ELSE 0.0 END) FILTER (WHERE r.csat IS NOT NULL) AS csat,
       count(r.csat) AS csat_n,
       100 * avg(CASE WHEN r.nps >= 9 THEN 1.0 WHEN r.nps <= 6 THEN -1.0 ELSE 0.0 END)
         FILTER (WHERE r.nps IS NOT NULL) AS nps,
       count(r.nps) AS nps_n
FROM responses r JOIN customer_orders o USING (order_id)
{where}
GROUP BY o.otif ORDER BY o.otif DESC"""
    return execute(cur, Compiled(sql, used_params(sql, params)))
