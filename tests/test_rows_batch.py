"""Records read in batches (``fetch_rows_each``, used for alert attachments) equal the
records read one query at a time (``fetch_rows``), limit, order and columns included."""

from __future__ import annotations

import pytest

from metrics.catalog import load_catalog
from metrics.engine import Compiled, execute
from metrics.query import fetch_rows, fetch_rows_each
from metrics.sqlgen import Query
from tests.metric_support import CONFIG, engine

# Each test reads the session's warehouse only: they spread over the workers.
pytestmark = pytest.mark.alone

CATALOG = load_catalog(CONFIG)
PER_CUSTOMER = [
    m
    for m in CATALOG.metrics
    if "customer_id" in CATALOG.dimensions_of(m) and not m.startswith("theme_")
]


def _customers(cur, n: int) -> list[str]:
    rows = execute(cur, Compiled("SELECT customer_id FROM customers ORDER BY 1 LIMIT $n", {"n": n}))
    return rows["customer_id"].to_list()


def _equal(batched, alone) -> None:
    assert len(batched) == len(alone)
    for b, a in zip(batched, alone, strict=True):
        assert b.columns == a.columns
        assert b.to_dicts() == a.to_dicts()


@pytest.mark.parametrize("metric", PER_CUSTOMER)
@pytest.mark.parametrize("failing", [False, True])
def test_one_customer_each_reads_like_one_query_each(warehouse, metric, failing):
    cur = engine(warehouse)
    queries = [
        Query(metrics=(metric,), where=(("customer_id", (c,)),)) for c in _customers(cur, 12)
    ]
    batched = fetch_rows_each(cur, CATALOG, metric, queries, failing=failing, limit=3)
    alone = [fetch_rows(cur, CATALOG, metric, q, failing=failing, limit=3) for q in queries]
    _equal(batched, alone)
    assert sum(len(f) for f in alone) > 0  # some customer has records: the split is exercised


def test_mixed_queries_keep_their_order_and_limits(warehouse):
    cur = engine(warehouse)
    a, b, c = _customers(cur, 3)
    queries = [
        Query(metrics=("otif",), where=(("customer_id", (a,)),)),
        Query(metrics=("otif",), where=(("region", ("North",)),)),
        Query(metrics=("otif",)),
        Query(metrics=("otif",), where=(("customer_id", (b, c)),)),
        Query(metrics=("otif",), where=(("customer_id", (c,)),)),
        Query(metrics=("otif",), where=(("customer_id", (a,)), ("region", ("North",)))),
        Query(metrics=("otif",), where=(("customer_id", ("nobody",)),)),
        Query(metrics=("otif",), where=(("customer_id", (a,)),)),
    ]
    for limit in (None, 1, 50):
        batched = fetch_rows_each(cur, CATALOG, "otif", queries, limit=limit)
        _equal(batched, [fetch_rows(cur, CATALOG, "otif", q, limit=limit) for q in queries])
