"""One planned file into the warehouse copy: checked, its rejects and warnings written, its good
rows upserted (rows with the same key replaced) and the load recorded.

Row numbers in ``rejects`` are the row a spreadsheet shows: the header is row
1, the first record row 2. For CSV, a malformed line's row is its line number
and the accepted records are numbered around those lines (one line per record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from connectors.changes import end_changes, record_changes
from connectors.key_rules import key_rule_list, key_rules
from connectors.plan import Planned
from connectors.readers import EmptyFile, open_source
from connectors.validate import Checked, check_file
from metrics.schema import RECENCY_COLUMN
from store.progress import LoadProgress
from store.warehouse import quote_ident


@dataclass(frozen=True)
class FileReport:
    table: str
    file: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    top_rules: tuple[tuple[str, int], ...] = ()
    skipped: bool = False  # the same content was loaded before: nothing to do
    replaced: int = 0  # rows of the warehouse (or of older files of this load) it replaced
    warnings: tuple[tuple[str, int], ...] = ()  # rows kept with a warning, by rule
    note: str | None = None  # why the file was skipped (e.g. empty)


def load_file(
    con: duckdb.DuckDBPyConnection, item: Planned, sha: str, now: datetime, progress: LoadProgress
) -> FileReport:
    path, table = item.path, item.table
    file = path.as_posix()
    if con.execute(
        'SELECT 1 FROM loads WHERE "table" = ? AND sha256 = ?', [table.name, sha]
    ).fetchone():
        return FileReport(table.name, file, 0, 0, 0, skipped=True)
    try:
        source = open_source(con, path, item.mapping)
    except EmptyFile as exc:
        return FileReport(table.name, file, 0, 0, 0, note=str(exc).removeprefix(f"{path}: "))
    persistent = con.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is None
    with progress.watch(con):
        checked = check_file(con, table, source, item.mapping, path, persistent=persistent)
    replaced = key_rules(con, checked, item.mapping)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _malformed (line BIGINT, csv_line VARCHAR, message VARCHAR)"
    )
    if source.csv:
        con.execute("""INSERT INTO _malformed SELECT line, first(csv_line), first(error_message)
                       FROM reject_errors GROUP BY line""")
    n_chk, n_bad = con.execute("SELECT count(*), count(_k) FROM _chk").fetchone()
    n_key, n_malformed = con.execute(
        "SELECT (SELECT count(*) FROM _kr), (SELECT count(*) FROM _malformed)"
    ).fetchone()
    _write_rejects(con, checked, file, now)
    warnings = _write_warnings(con, checked, file, now)
    if table.name == "customers":
        con.execute(f"""INSERT OR REPLACE INTO _load_portfolio
                        SELECT customer_id, portfolio FROM _chk WHERE {_ok_filter(n_key > 0)}""")
    _upsert(con, checked, has_key_rejects=n_key > 0, persistent=persistent)
    rejected = n_bad + n_key + n_malformed
    report_rules = con.execute(
        "SELECT rule, count(*) FROM rejects WHERE file = ? GROUP BY rule ORDER BY count(*) DESC, rule LIMIT 3",
        [file],
    ).fetchall()
    rows_read = n_chk + n_malformed
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    con.execute(
        "INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [file, table.name, sha, rows_read, rows_read - rejected, rejected, now, mtime],
    )
    for name in ("_chk", "_kr", "_malformed", "_warn"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    if not source.params:
        con.unregister(source.relation)
    return FileReport(
        table.name,
        file,
        rows_read,
        rows_read - rejected,
        rejected,
        tuple((r, int(n)) for r, n in report_rules),
        replaced=replaced,
        warnings=warnings,
    )


def _write_rejects(
    con: duckdb.DuckDBPyConnection, checked: Checked, file: str, now: datetime
) -> None:
    """Replace this file's previous rejects with the new ones."""
    table = checked.table
    rules = checked.rules + key_rule_list(table)
    # The raw row of a key-rule reject (a row valid in itself): its values as
    # loaded, under the file's headers.
    pairs = [(h, quote_ident(c)) for c, h in checked.columns.items() if h is not None]
    pairs += [(h, a) for a, h in checked.extras.items()]
    raw = (
        "json_object("
        + ", ".join("'" + h.replace("'", "''") + f"', CAST(c.{e} AS VARCHAR)" for h, e in pairs)
        + ")"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rules (k INTEGER, rule VARCHAR, col VARCHAR, message VARCHAR)"
    )
    con.executemany(
        "INSERT INTO _rules VALUES (?, ?, ?, ?)",
        [(r.k, r.rule, r.column, r.message) for r in rules],
    )
    con.execute("DELETE FROM rejects WHERE file = ?", [file])
    con.execute(
        f"""
        INSERT INTO rejects
        WITH m AS (SELECT line, row_number() OVER (ORDER BY line) AS j FROM _malformed),
             g AS (SELECT line - 1 - j AS gap, max(j) AS j FROM m GROUP BY 1),
             bad AS (SELECT rowid AS rid, _k AS k, _val AS val, _raw AS raw FROM _chk WHERE _k IS NOT NULL
                     UNION ALL
                     SELECT kr.rid, kr.k, kr.val, CAST({raw} AS VARCHAR) FROM _kr kr JOIN _chk c ON c.rowid = kr.rid),
             numbered AS (SELECT bad.*, bad.rid + 2 + COALESCE(g.j, 0) AS row_no
                          FROM bad ASOF LEFT JOIN g ON bad.rid >= g.gap)
        SELECT ?, row_no, ?, r.rule, r.col, val, raw, r.message, ?
        FROM numbered JOIN _rules r USING (k)
        UNION ALL
        SELECT ?, line, ?, 'malformed_row', NULL, NULL, csv_line, 'malformed CSV line: ' || message, ?
        FROM _malformed
    """,
        [file, table.name, now, file, table.name, now],
    )


def _write_warnings(
    con: duckdb.DuckDBPyConnection, checked: Checked, file: str, now: datetime
) -> tuple[tuple[str, int], ...]:
    """Rows kept with a warning (``_warn``) into ``warnings``, numbered like rejects; by rule."""
    con.execute("DELETE FROM warnings WHERE file = ?", [file])
    con.execute(
        """
        INSERT INTO warnings
        WITH m AS (SELECT line, row_number() OVER (ORDER BY line) AS j FROM _malformed),
             g AS (SELECT line - 1 - j AS gap, max(j) AS j FROM m GROUP BY 1),
             numbered AS (SELECT w.*, w.rid + 2 + COALESCE(g.j, 0) AS row_no
                          FROM _warn w ASOF LEFT JOIN g ON w.rid >= g.gap)
        SELECT ?, row_no, ?, r.rule, r.col, val, NULL, r.message, ?
        FROM numbered JOIN _rules r USING (k)
    """,
        [file, checked.table.name, now],
    )
    rows = con.execute(
        "SELECT rule, count(*) FROM warnings WHERE file = ? GROUP BY 1 ORDER BY 2 DESC", [file]
    ).fetchall()
    return tuple((r, int(n)) for r, n in rows)


def _ok_filter(has_key_rejects: bool) -> str:
    return "_k IS NULL" + (" AND rowid NOT IN (SELECT rid FROM _kr)" if has_key_rejects else "")


def _upsert(
    con: duckdb.DuckDBPyConnection, checked: Checked, *, has_key_rejects: bool, persistent: bool
) -> None:
    """Put the good rows in the table; rows with the same key are replaced.

    When the table was empty, ``_chk`` was built in the database and becomes
    the table (bad rows deleted, helper columns dropped): rows are written once.
    """
    table = checked.table
    if persistent:
        end_changes(con)  # the whole table is new: every model is rebuilt
        con.execute(f"DELETE FROM _chk WHERE NOT ({_ok_filter(has_key_rejects)})")
        for helper in ("_k", "_raw", "_val"):
            con.execute(f"ALTER TABLE _chk DROP COLUMN {helper}")
        for alias, header in checked.extras.items():
            con.execute(f"ALTER TABLE _chk RENAME COLUMN {alias} TO {quote_ident(header.strip())}")
        con.execute(f"DROP TABLE {table.name}")
        con.execute(f"ALTER TABLE _chk RENAME TO {table.name}")
        return
    for header in checked.extras.values():
        con.execute(
            f"ALTER TABLE {table.name} ADD COLUMN IF NOT EXISTS {quote_ident(header.strip())} VARCHAR"
        )
    cols = [quote_ident(c) for c in table.column_names] + [RECENCY_COLUMN]
    select = ", ".join(cols + list(checked.extras))
    ok = f"SELECT {select} FROM _chk WHERE {_ok_filter(has_key_rejects)}"
    if con.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone():
        keys = [quote_ident(k) for k in table.key]
        on = " AND ".join(f"{table.name}.{k} = o.{k}" for k in keys)
        record_changes(con, table, f"SELECT {', '.join(keys)} FROM ({ok})", old=True)
        con.execute(
            f"DELETE FROM {table.name} USING (SELECT DISTINCT {', '.join(keys)} FROM ({ok})) o WHERE {on}"
        )
    target = cols + [quote_ident(h.strip()) for h in checked.extras.values()]
    con.execute(f"INSERT INTO {table.name} ({', '.join(target)}) {ok}")
    record_changes(con, table, ok, old=False)
