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
from connectors.duplicates import keep_one
from connectors.key_rules import key_rule_list, key_rules
from connectors.plan import Planned
from connectors.readers import EmptyFile, Source, open_source
from connectors.validate import FILTERED, Checked, check_file
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
    source: str | None = None  # the sources.yaml source that read it (its name)
    rows_filtered: int = 0  # rows a where: filter removed; read = loaded + rejected + filtered
    superseded: int = 0  # of the rejected: rows `duplicates: keep_first|keep_last` set aside

    @property
    def refused(self) -> int:
        """Rows rejected for breaking a rule (the superseded ones were set aside on purpose)."""
        return self.rows_rejected - self.superseded

    @property
    def filtered(self) -> int:
        return self.rows_filtered


def ensure_load_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Columns the ``loads`` log gained (a warehouse made before them gets them, empty)."""
    con.execute("ALTER TABLE loads ADD COLUMN IF NOT EXISTS rows_filtered BIGINT")
    con.execute("ALTER TABLE loads ADD COLUMN IF NOT EXISTS source VARCHAR")


def load_file(
    con: duckdb.DuckDBPyConnection, item: Planned, sha: str, now: datetime, progress: LoadProgress
) -> FileReport:
    path, table = item.path, item.table
    file = path.as_posix()
    name = item.mapping.name if item.mapping else None
    if con.execute(
        'SELECT 1 FROM loads WHERE "table" = ? AND sha256 = ?', [table.name, sha]
    ).fetchone():
        return FileReport(table.name, file, 0, 0, 0, skipped=True, source=name)
    try:
        source = open_source(con, path, item.mapping)
    except EmptyFile as exc:
        note = str(exc).removeprefix(f"{path}: ")
        return FileReport(table.name, file, 0, 0, 0, note=note, source=name)
    try:
        return _load(con, item, source, sha, now, progress)
    finally:
        source.close(con)


def _load(
    con: duckdb.DuckDBPyConnection,
    item: Planned,
    source: Source,
    sha: str,
    now: datetime,
    progress: LoadProgress,
) -> FileReport:
    path, table = item.path, item.table
    file = path.as_posix()
    persistent = con.execute(f"SELECT 1 FROM {table.name} LIMIT 1").fetchone() is None
    with progress.watch(con):
        checked = check_file(con, table, source, item.mapping, path, persistent=persistent)
    keep_one(con, checked, item.mapping)
    replaced = key_rules(con, checked, item.mapping)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _malformed (line BIGINT, csv_line VARCHAR, message VARCHAR)"
    )
    if source.csv:
        con.execute("""INSERT INTO _malformed SELECT line, first(csv_line), first(error_message)
                       FROM reject_errors GROUP BY line""")
    n_chk, n_bad, n_filtered = con.execute(
        f"SELECT count(*), count(_k) FILTER (_k <> {FILTERED}), count(*) FILTER (_k = {FILTERED}) "
        "FROM _chk"
    ).fetchone()
    n_key, n_malformed = con.execute(
        "SELECT (SELECT count(*) FROM _kr), (SELECT count(*) FROM _malformed)"
    ).fetchone()
    name = item.mapping.name if item.mapping else table.name
    _write_rejects(con, checked, file, now, source.row_offset, name)
    warnings = _write_warnings(con, checked, file, now, source.row_offset, name)
    if table.name == "customers":
        con.execute(f"""INSERT OR REPLACE INTO _load_portfolio
                        SELECT customer_id, portfolio FROM _chk WHERE {_ok_filter(n_key > 0)}""")
    _upsert(con, checked, has_key_rejects=n_key > 0, persistent=persistent)
    rejected = n_bad + n_key + n_malformed
    report_rules = con.execute(
        "SELECT rule, count(*) FROM rejects WHERE file = ? GROUP BY rule ORDER BY count(*) DESC, rule LIMIT 3",
        [file],
    ).fetchall()
    (superseded,) = con.execute(
        "SELECT count(*) FROM rejects WHERE file = ? AND rule = 'superseded'", [file]
    ).fetchone()
    rows_read = n_chk + n_malformed
    loaded = rows_read - rejected - n_filtered
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC).replace(tzinfo=None)
    ensure_load_columns(con)
    con.execute(
        'INSERT INTO loads (file, "table", sha256, rows_read, rows_loaded, rows_rejected, '
        "loaded_at, file_mtime, rows_filtered, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            file,
            table.name,
            sha,
            rows_read,
            loaded,
            rejected,
            now,
            mtime,
            n_filtered,
            item.mapping.name,
        ],
    )
    for name in ("_chk", "_kr", "_malformed", "_warn"):
        con.execute(f"DROP TABLE IF EXISTS {name}")
    return FileReport(
        table.name,
        file,
        rows_read,
        loaded,
        rejected,
        tuple((r, int(n)) for r, n in report_rules),
        replaced=replaced,
        warnings=warnings,
        source=item.mapping.name,
        rows_filtered=int(n_filtered),
        superseded=int(superseded),
    )


def _write_rejects(
    con: duckdb.DuckDBPyConnection,
    checked: Checked,
    file: str,
    now: datetime,
    offset: int = 0,
    source: str | None = None,
) -> None:
    """Replace this file's previous rejects with the new ones (each naming its source)."""
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
        SELECT ?, row_no + {int(offset)}, ?, r.rule, r.col, val, raw, r.message, ?, ?
        FROM numbered JOIN _rules r USING (k)
        UNION ALL
        SELECT ?, line + {int(offset)}, ?, 'malformed_row', NULL, NULL, csv_line,
               'malformed CSV line: ' || message, ?, ?
        FROM _malformed
    """,
        [file, table.name, now, source, file, table.name, now, source],
    )


def _write_warnings(
    con: duckdb.DuckDBPyConnection,
    checked: Checked,
    file: str,
    now: datetime,
    offset: int = 0,
    source: str | None = None,
) -> tuple[tuple[str, int], ...]:
    """Rows kept with a warning (``_warn``) into ``warnings``, numbered like rejects; by rule."""
    con.execute("DELETE FROM warnings WHERE file = ?", [file])
    con.execute(
        f"""
        INSERT INTO warnings
        WITH m AS (SELECT line, row_number() OVER (ORDER BY line) AS j FROM _malformed),
             g AS (SELECT line - 1 - j AS gap, max(j) AS j FROM m GROUP BY 1),
             numbered AS (SELECT w.*, w.rid + 2 + COALESCE(g.j, 0) AS row_no
                          FROM _warn w ASOF LEFT JOIN g ON w.rid >= g.gap)
        SELECT ?, row_no + {int(offset)}, ?, r.rule, r.col, val, NULL, r.message, ?, ?
        FROM numbered JOIN _rules r USING (k)
    """,
        [file, checked.table.name, now, source],
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
