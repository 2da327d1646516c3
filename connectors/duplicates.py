"""``duplicates: keep_first | keep_last``: rows of one file with the same key, all but one
reported as ``superseded`` (run after validate.check_file, before connectors/key_rules.py,
which then finds no duplicate among the rows left)."""

from __future__ import annotations

import duckdb

from connectors.sources import TableSource
from connectors.validate import Checked
from store.warehouse import quote_ident


def keep_one(con: duckdb.DuckDBPyConnection, checked: Checked, mapping: TableSource | None) -> int:
    """Mark the rows of ``_chk`` a kept duplicate supersedes; how many."""
    if mapping is None or mapping.duplicates == "reject":
        return 0
    rule = next(r for r in checked.rules if r.rule == "superseded")
    keys = ", ".join(quote_ident(k) for k in checked.table.key)
    order = "rowid" if mapping.duplicates == "keep_first" else "rowid DESC"
    pairs = [(c, quote_ident(c)) for c in checked.table.column_names]
    raw = "json_object(" + ", ".join(f"'{c}', CAST({q} AS VARCHAR)" for c, q in pairs) + ")"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _dup AS
        SELECT rid FROM (SELECT rowid AS rid, row_number() OVER (
                             PARTITION BY {keys} ORDER BY {order}) AS n
                         FROM _chk WHERE _k IS NULL
                           AND hash({keys}) IN (SELECT hash({keys}) FROM _chk WHERE _k IS NULL
                                                GROUP BY 1 HAVING count(*) > 1))
        WHERE n > 1
    """)
    con.execute(
        f"UPDATE _chk SET _k = ?, _val = concat_ws(',', {keys}), _raw = CAST({raw} AS VARCHAR) "
        "WHERE rowid IN (SELECT rid FROM _dup)",
        [rule.k],
    )
    (n,) = con.execute("SELECT count(*) FROM _dup").fetchone()
    con.execute("DROP TABLE _dup")
    return int(n)
