"""Rules that need other rows, applied after ``check_file``: into the temp table ``_kr``,
out_of_range (an fx rate that is not above 0), duplicate_key (within the file, the earlier row
wins), second_portfolio (customers, within one load), unknown_order_line (shipments),
unknown_currency (orders and shipments: no fx rate valid on the row's date), superseded and
unknown_reference; into ``_warn`` (rows kept with a warning), second_manager (customers naming
another manager than their portfolio's usual one)."""

from __future__ import annotations

import duckdb

from connectors.sources import TableSource
from connectors.validate import Checked, Rule
from metrics.schema import RECENCY_COLUMN, REFERENCES, WARN_REFERENCES, Table
from store.warehouse import quote_ident

# Rule numbers of the rules that need other rows (see key_rules).
K_DUPLICATE, K_PORTFOLIO, K_UNKNOWN_LINE, K_SUPERSEDED, K_REFERENCE = 1001, 1002, 1003, 1004, 1005
K_MANAGER, K_CURRENCY, K_RATE = 1006, 1007, 1008

# The date an amount of each table converts on (orders: unit_price; shipments: freight_cost).
CURRENCY_DATES = {"orders": "order_date", "shipments": "ship_date"}
# The reporting currency when the load does not say (``load.set_reporting_currency``).
DEFAULT_REPORTING_CURRENCY = "EUR"


def key_rules(
    con: duckdb.DuckDBPyConnection, checked: Checked, mapping: TableSource | None = None
) -> int:
    """Rules that need other rows, into temp table ``_kr(rid, k, val)``; first rule wins.

    A later row of the file with an earlier row's key is a duplicate_key, except
    for customers, where it is a second_portfolio when its portfolio differs.
    Duplicates are found by hashing the key first (cheap on millions of rows),
    then compared exactly among the few candidates. Then: rows whose key the
    warehouse holds from a newer extract (superseded), and references to rows
    that do not exist (unknown_reference; a warning in ``_warn`` when the
    mapping says ``references: warn``). Returns how many rows of the warehouse
    the file's good rows replace (same key, an extract as old or older).
    """
    table = checked.table
    if "currency" in table.column_names:  # ISO 4217 codes compare upper-case (keys included)
        con.execute("UPDATE _chk SET currency = upper(currency) WHERE currency <> upper(currency)")
    keys = [quote_ident(k) for k in table.key]
    key_list = ", ".join(keys)
    portfolio = table.name == "customers"
    first_portfolio = (
        "first_value(portfolio) OVER (PARTITION BY customer_id ORDER BY rowid)"
        if portfolio
        else "NULL"
    )
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _kr AS
        WITH dup_h AS (SELECT hash({key_list}) AS h FROM _chk WHERE _k IS NULL GROUP BY 1 HAVING count(*) > 1),
             c AS (SELECT rowid AS rid, {key_list}, {"portfolio" if portfolio else "NULL AS portfolio"},
                          row_number() OVER (PARTITION BY {key_list} ORDER BY rowid) AS n,
                          {first_portfolio} AS first_portfolio
                   FROM _chk WHERE _k IS NULL AND hash({key_list}) IN (SELECT h FROM dup_h))
        SELECT rid,
               CASE WHEN {"portfolio IS DISTINCT FROM first_portfolio" if portfolio else "false"}
                    THEN {K_PORTFOLIO} ELSE {K_DUPLICATE} END AS k,
               CASE WHEN {"portfolio IS DISTINCT FROM first_portfolio" if portfolio else "false"}
                    THEN portfolio ELSE concat_ws(',', {key_list}) END AS val
        FROM c WHERE n > 1
    """)
    if portfolio:  # against customers loaded from earlier files of this load
        con.execute(
            """
            INSERT INTO _kr
            SELECT c.rowid, ?, c.portfolio FROM _chk c JOIN _load_portfolio p USING (customer_id)
            WHERE c._k IS NULL AND c.portfolio IS DISTINCT FROM p.portfolio
              AND c.rowid NOT IN (SELECT rid FROM _kr)
        """,
            [K_PORTFOLIO],
        )
    if table.name == "shipments":
        con.execute(
            """
            INSERT INTO _kr
            SELECT c.rowid, ?, concat_ws(',', c.order_id, c.line_id) FROM _chk c
            WHERE c._k IS NULL AND c.rowid NOT IN (SELECT rid FROM _kr)
              AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.order_id = c.order_id AND o.line_id = c.line_id)
        """,
            [K_UNKNOWN_LINE],
        )
    if table.name == "fx_rates":
        con.execute(
            """INSERT INTO _kr SELECT rowid, ?, CAST(rate AS VARCHAR) FROM _chk
               WHERE _k IS NULL AND rate <= 0 AND rowid NOT IN (SELECT rid FROM _kr)""",
            [K_RATE],
        )
    if table.name in CURRENCY_DATES:
        _unknown_currency(con, CURRENCY_DATES[table.name])
    replaced = _superseded(con, table, keys)
    warn = table.name in WARN_REFERENCES or (mapping is not None and mapping.references == "warn")
    _references(con, table, warn=warn)
    if portfolio:
        _second_managers(con)
    return replaced


def reporting_currency(con: duckdb.DuckDBPyConnection) -> str:
    """The load's reporting currency (temp table ``_load_settings``, see connectors/load.py)."""
    found = con.execute(
        "SELECT 1 FROM information_schema.tables WHERE table_name = '_load_settings'"
    ).fetchone()
    if found is None:
        return DEFAULT_REPORTING_CURRENCY
    return con.execute("SELECT reporting_currency FROM _load_settings").fetchone()[0]


def _unknown_currency(con: duckdb.DuckDBPyConnection, date: str) -> None:
    """unknown_currency: an amount in a currency other than the reporting one with no fx rate
    valid on its date, counting the warehouse's rates and those of this load (fx_rates load
    first). A rate is valid on a date when one of its currency starts on or before it: the
    currency's first valid_from decides (one equi-join with a row per currency)."""
    d = quote_ident(date)
    con.execute(
        f"""
        INSERT INTO _kr
        SELECT c.rowid, ?, c.currency || ' on ' || CAST(c.{d} AS VARCHAR)
        FROM _chk c
        LEFT JOIN (SELECT currency, min(valid_from) AS first FROM fx_rates GROUP BY currency) f
          ON f.currency = c.currency
        WHERE c._k IS NULL AND c.currency IS NOT NULL AND c.currency <> ?
          AND (f.first IS NULL OR c.{d} < f.first)
          AND c.rowid NOT IN (SELECT rid FROM _kr)
    """,
        [K_CURRENCY, reporting_currency(con)],
    )


def _superseded(con: duckdb.DuckDBPyConnection, table: Table, keys: list[str]) -> int:
    """Rows the warehouse holds from a newer extract are not applied; count the others replaced."""
    has = con.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_name = ? AND column_name = ?",
        [table.name, RECENCY_COLUMN],
    ).fetchone()
    if not has or con.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is None:
        return 0
    on = " AND ".join(f"t.{k} = c.{k}" for k in keys)
    r = RECENCY_COLUMN
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _sup AS
        SELECT c.rowid AS rid, concat_ws(',', {", ".join(f"c.{k}" for k in keys)}) AS val,
               max(t.{r}) > c.{r} AS newer, strftime(max(t.{r}), '%Y-%m-%d %H:%M') AS held
        FROM _chk c JOIN {table.name} t ON {on}
        WHERE c._k IS NULL AND c.rowid NOT IN (SELECT rid FROM _kr)
        GROUP BY c.rowid, c.{r}, {", ".join(f"c.{k}" for k in keys)}
    """)
    con.execute(
        "INSERT INTO _kr SELECT rid, ?, val || ' (held from the extract of ' || held || ')' "
        "FROM _sup WHERE newer",
        [K_SUPERSEDED],
    )
    (replaced,) = con.execute("SELECT count(*) FROM _sup WHERE NOT newer").fetchone()
    con.execute("DROP TABLE _sup")
    return int(replaced)


def _references(con: duckdb.DuckDBPyConnection, table: Table, *, warn: bool) -> None:
    """unknown_reference: into ``_kr`` (rejected), or ``_warn`` (kept) when configured so."""
    con.execute("CREATE OR REPLACE TEMP TABLE _warn (rid BIGINT, k INTEGER, val VARCHAR)")
    for column, other, other_col in REFERENCES.get(table.name, ()):
        # A table still empty cannot be judged against: its references are kept with a warning.
        empty = con.execute(f"SELECT 1 FROM {other} LIMIT 1").fetchone() is None
        target = "_warn" if warn or empty else "_kr"
        c, o = quote_ident(column), quote_ident(other_col)
        con.execute(
            f"""
            INSERT INTO {target}
            SELECT c.rowid, ?, ? || '=' || c.{c} || {_closest_key(c, other, o)} FROM _chk c
            WHERE c._k IS NULL AND c.{c} IS NOT NULL AND c.rowid NOT IN (SELECT rid FROM _kr)
              AND c.rowid NOT IN (SELECT rid FROM {target})
              AND NOT EXISTS (SELECT 1 FROM {other} x WHERE x.{o} = c.{c})
        """,
            [K_REFERENCE, column],
        )


def _closest_key(c: str, other: str, o: str) -> str:
    """SQL of a hint for an unknown reference that is a known key in another dress: leading
    zeros ('0000012002' for '12002': strip_zeros?) or text around the number ('SO 12193':
    pattern?); '' otherwise."""
    stripped, digits = f"ltrim(c.{c}, '0')", f"regexp_extract(c.{c}, '([0-9]+)', 1)"
    noun = other.removesuffix("s")
    return f"""CASE
        WHEN {stripped} <> c.{c} AND EXISTS (SELECT 1 FROM {other} x WHERE x.{o} = {stripped})
        THEN ' (not a known {noun}; ''' || {stripped} || ''' is: strip_zeros?)'
        WHEN {digits} NOT IN ('', c.{c}) AND EXISTS (SELECT 1 FROM {other} x WHERE x.{o} = {digits})
        THEN ' (not a known {noun}; ''' || {digits} || ''' is: pattern?)'
        ELSE '' END"""


def _second_managers(con: duckdb.DuckDBPyConnection) -> None:
    """second_manager, a warning: each good customer row of the file naming another manager
    than the one most customers of its portfolio name, counted over the customers as they
    will be after this file (ties: the first name); a missing manager is not another one."""
    con.execute(
        """
        INSERT INTO _warn
        WITH mine AS (SELECT rowid AS rid, customer_id, portfolio, portfolio_manager FROM _chk
                      WHERE _k IS NULL AND rowid NOT IN (SELECT rid FROM _kr)),
             after AS (SELECT portfolio, portfolio_manager FROM mine
                       UNION ALL
                       SELECT portfolio, portfolio_manager FROM customers c
                       WHERE NOT EXISTS (SELECT 1 FROM mine m WHERE m.customer_id = c.customer_id)),
             counted AS (SELECT portfolio, portfolio_manager AS usual, count(*) AS n FROM after
                         WHERE portfolio IS NOT NULL AND portfolio_manager IS NOT NULL
                         GROUP BY 1, 2),
             ranked AS (SELECT portfolio, usual, row_number() OVER (
                            PARTITION BY portfolio ORDER BY n DESC, usual) AS r FROM counted)
        SELECT m.rid, ?, m.portfolio_manager || ' (most customers of ' || m.portfolio
                         || ' name ' || u.usual || ')'
        FROM mine m JOIN ranked u ON u.portfolio = m.portfolio AND u.r = 1
        WHERE m.portfolio_manager <> u.usual
    """,
        [K_MANAGER],
    )


def key_rule_list(table: Table) -> list[Rule]:
    keys = ", ".join(table.key)
    refs = ", ".join(f"{c} in {o}" for c, o, _ in REFERENCES.get(table.name, ())) or "-"
    return [
        Rule(
            K_DUPLICATE,
            "duplicate_key",
            ",".join(table.key),
            f"duplicate key ({keys}): an earlier row of this file has the same key",
        ),
        Rule(
            K_PORTFOLIO,
            "second_portfolio",
            "portfolio",
            "customer_id already has another portfolio in this load (one owner per customer)",
        ),
        Rule(
            K_UNKNOWN_LINE,
            "unknown_order_line",
            "order_id,line_id",
            "no order line with this (order_id, line_id) in the warehouse or this load",
        ),
        Rule(
            K_SUPERSEDED,
            "superseded",
            ",".join(table.key),
            "not applied: the warehouse holds this key from a newer extract",
        ),
        Rule(
            K_REFERENCE,
            "unknown_reference",
            None,
            f"refers to a row the warehouse does not have ({refs}); sources.yaml "
            f"references: warn keeps such rows with a warning",
        ),
        Rule(
            K_CURRENCY,
            "unknown_currency",
            "currency",
            "no fx rate for this currency valid on the "
            + CURRENCY_DATES.get(table.name, "date")
            + " (fx_rates: a rate with valid_from on or before it); load the rates with the "
            "extract, or leave currency empty for the reporting currency",
        ),
        Rule(
            K_RATE,
            "out_of_range",
            "rate",
            "rate must be > 0 (units of the reporting currency per unit of currency)",
        ),
        Rule(
            K_MANAGER,
            "second_manager",
            "portfolio_manager",
            "kept, with a warning: most customers of this portfolio name another manager (one "
            "accountable manager per portfolio); alerts go to the manager the access policy names",
        ),
    ]
