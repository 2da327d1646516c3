"""Which rows of each stored model a load's changed rows can alter.

A load into a warehouse that already holds data records the rows it replaces
and the rows it writes (old and new versions) in the ``changes`` schema of
the new warehouse (``CHANGES_SCHEMA.<table>``, canonical columns). For each
model a rule names a partition column of the model and the SQL of the
partition values those changes (and a later as-of) can alter; only those
partitions are deleted and recomputed, from the input rows restricted to
them. Every other row stays as it was, so the result equals a full rebuild.

A rule is written for one model SQL (``sql_hash``, of the normalised SQL):
a model whose SQL differs in metrics.yaml is rebuilt whole. In the SQL,
``$old_as_of`` is the as-of of the stored models, ``$as_of`` the new one,
``t_<model>`` (in the changes schema) the partition values already chosen for
an earlier model. The SELECT of an input, which stands in for it in the model's
SQL, names tables as ``main.<table>`` and stored models as ``models.<model>``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from metrics.catalog import Catalog
from metrics.sql_parse import DIALECT, parse_sql
from metrics.sqlgen import STORED_SCHEMA

# Where a load into a warehouse with data records the rows it replaces and writes,
# for the model refresh before the swap; dropped before the swap.
CHANGES_SCHEMA = "changes"
C = CHANGES_SCHEMA


@dataclass(frozen=True)
class Rule:
    sql_hash: str  # of the model SQL the rule was written for (see sql_hash)
    column: str  # the model's partition column (never null)
    touched: str  # SELECT of the partition values to recompute, one column
    # table or model the model reads -> SELECT of the rows a recompute needs
    inputs: dict[str, str]


def sql_hash(sql: str) -> str:
    """A hash of a model's SQL that ignores layout and comments."""
    return hashlib.sha256(parse_sql(sql).sql(DIALECT).encode()).hexdigest()[:16]


def _by_order(table: str) -> str:
    """The rows of a table or stored model (qualified name) for the orders chosen for ``lines``."""
    return f"SELECT * FROM {table} WHERE order_id IN (SELECT v FROM {C}.t_lines)"


def _in_window(column: str) -> str:
    """The column's date lies in (old as-of, as-of]: rows a later as-of brings in."""
    return f"(CAST({column} AS DATE) > $old_as_of AND CAST({column} AS DATE) <= $as_of)"


# An order line's model row reads its order line, its shipments, its customer and the fx rates
# of their currencies; the as-of decides which lines are due and which shipments count as shipped
# or delivered. A changed rate can reprice the amounts of its currency dated from its valid_from.
_FX_SINCE = f"(SELECT currency, min(valid_from) AS since FROM {C}.fx_rates GROUP BY currency)"
_ORDERS_TOUCHED = f"""
SELECT order_id FROM {C}.orders
UNION ALL SELECT order_id FROM {C}.shipments
UNION ALL SELECT order_id FROM orders WHERE customer_id IN (SELECT customer_id FROM {C}.customers)
UNION ALL SELECT order_id FROM orders WHERE {_in_window("requested_date")} OR {_in_window("promised_date")}
UNION ALL SELECT order_id FROM shipments WHERE {_in_window("ship_date")} OR {_in_window("delivered_date")}
UNION ALL SELECT o.order_id FROM orders o JOIN {_FX_SINCE} f
  ON f.currency = o.currency AND o.order_date >= f.since
UNION ALL SELECT s.order_id FROM shipments s JOIN {_FX_SINCE} f
  ON f.currency = s.currency AND s.ship_date >= f.since
"""

# A contact's row reads the contact, its customer, the order it is about, and the
# customer's next contact (first-contact resolution); the as-of decides which
# contacts exist and which are old enough to be measured. A contact that moved
# (changed, or came in with the later as-of) can change only the next contact of
# the one just before it, in its old and its new place: that one is found among
# the customer's contacts from one fcr window before its first moved one.
_CONTACTS_TOUCHED = f"""
WITH moved AS (
  SELECT call_id, customer_id, started_at FROM {C}.calls
  UNION ALL
  SELECT call_id, customer_id, started_at FROM calls WHERE {_in_window("started_at")}
),
near AS (
  SELECT k.call_id, k.customer_id, k.started_at, true AS current FROM calls k
  JOIN (SELECT customer_id, min(started_at) - to_hours($fcr_window_hours::BIGINT) AS since
        FROM moved GROUP BY customer_id) f
    ON k.customer_id IS NOT DISTINCT FROM f.customer_id AND k.started_at >= f.since
  UNION ALL
  SELECT call_id, customer_id, started_at, false FROM moved
),
placed AS (
  SELECT current, last_value(CASE WHEN current THEN call_id END IGNORE NULLS) OVER (
           PARTITION BY customer_id ORDER BY started_at, call_id, current
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before
  FROM near
)
SELECT call_id FROM moved
UNION ALL SELECT before FROM placed WHERE NOT current AND before IS NOT NULL
UNION ALL SELECT call_id FROM calls WHERE customer_id IN (SELECT customer_id FROM {C}.customers)
UNION ALL SELECT call_id FROM calls WHERE order_id IN (SELECT v FROM {C}.t_customer_orders)
UNION ALL SELECT call_id FROM calls
  WHERE CAST(started_at AS DATE) > $old_as_of - CAST(ceil($fcr_window_hours / 24) AS INTEGER)
    AND CAST(started_at AS DATE) <= $as_of - CAST(ceil($fcr_window_hours / 24) AS INTEGER)
"""

# A recomputed contact needs its customer's contacts from its own start on.
_CONTACTS_CALLS = f"""
SELECT src.* FROM main.calls src
JOIN (SELECT k.customer_id, min(k.started_at) AS since
      FROM calls k JOIN {C}.t_contacts t ON t.v = k.call_id GROUP BY k.customer_id) f
  ON src.customer_id IS NOT DISTINCT FROM f.customer_id AND src.started_at >= f.since
"""

_RESPONSES_TOUCHED = f"""
SELECT response_id FROM {C}.surveys
UNION ALL SELECT response_id FROM surveys WHERE customer_id IN (SELECT customer_id FROM {C}.customers)
UNION ALL SELECT response_id FROM surveys WHERE call_id IN (SELECT call_id FROM {C}.calls)
UNION ALL SELECT response_id FROM surveys WHERE {_in_window("responded_at")}
"""

# A response's voice row reads the response (and its contact), and the order it is about.
_VOICE_TOUCHED = f"""
SELECT v FROM {C}.t_responses
UNION ALL SELECT r.response_id FROM surveys r LEFT JOIN calls k ON k.call_id = r.call_id
  WHERE coalesce(r.order_id, k.order_id) IN (SELECT v FROM {C}.t_customer_orders)
"""

RULES: dict[str, Rule] = {
    "lines": Rule(
        "0a1247202d1d8cf6",
        "order_id",
        _ORDERS_TOUCHED,
        {"orders": _by_order("main.orders"), "shipments": _by_order("main.shipments")},
    ),
    "customer_orders": Rule(
        "b7b129eb365ebe65",
        "order_id",
        f"SELECT v FROM {C}.t_lines",
        {
            "orders": _by_order("main.orders"),
            "shipments": _by_order("main.shipments"),
            "lines": _by_order(f"{STORED_SCHEMA}.lines"),
        },
    ),
    "shipment_rows": Rule(
        "f2decb8439b15105",
        "order_id",
        f"SELECT v FROM {C}.t_lines",
        {"orders": _by_order("main.orders"), "shipments": _by_order("main.shipments")},
    ),
    "contacts": Rule(
        "9bca1150be2af5c8",
        "call_id",
        _CONTACTS_TOUCHED,
        {"calls": _CONTACTS_CALLS},
    ),
    "responses": Rule(
        "700c85d118b6f92a",
        "response_id",
        _RESPONSES_TOUCHED,
        {
            "surveys": f"SELECT * FROM main.surveys WHERE response_id IN (SELECT v FROM {C}.t_responses)"
        },
    ),
    "voice": Rule(
        "4f37431e99890dc6",
        "response_id",
        _VOICE_TOUCHED,
        {
            "responses": f"SELECT * FROM {STORED_SCHEMA}.responses"
            f" WHERE response_id IN (SELECT v FROM {C}.t_voice)"
        },
    ),
}


def rule_for(catalog: Catalog, model: str) -> Rule | None:
    """The model's rule, when it was written for the model's SQL as configured."""
    rule = RULES.get(model)
    if rule is None or rule.sql_hash != sql_hash(catalog.models[model].spec.sql):
        return None
    return rule
