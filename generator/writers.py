"""Files appended chunk by chunk: CSV, Parquet and Excel, each counting its rows.

Row numbers are as a spreadsheet shows them: the header is row 1, the first
data row is row 2, in every format.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from generator.layouts import MAX_XLSX_ROWS, TableFile

Entry = tuple[str, int, str, str]  # file, row, table, rule
CREATED = datetime(2026, 11, 15, 18, 0, 0)  # fixed workbook date: same seed, same bytes


def _headed(df: pl.DataFrame, tf: TableFile) -> pl.DataFrame:
    """The file's own headers and extra columns, internals dropped."""
    out = df.select([c for c in df.columns if not c.startswith("_")])
    out = out.rename({c: tf.header(c) for c in out.columns})
    return out.with_columns(pl.lit(v).alias(k) for k, v in tf.extra.items())


def _check_unquoted(df: pl.DataFrame, delimiter: str) -> None:
    """Good rows are written unquoted: none of their values may hold a delimiter or quote."""
    text = [c for c, t in df.schema.items() if t == pl.String and not c.startswith("_")]
    bad = pl.any_horizontal(pl.col(text).str.contains(f'[{delimiter}"\n]'))
    found = df.filter(pl.col("_rule").is_null() & bad)
    if len(found):
        raise ValueError(f"values need quoting, e.g. {found.row(0)}")


class CsvFile:
    def __init__(self, path: Path, tf: TableFile) -> None:
        self.tf, self.rows = tf, 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = path.open("wb")
        self.header_written = False

    def append(self, df: pl.DataFrame) -> int:
        _check_unquoted(df, self.tf.delimiter)
        out = _headed(df, self.tf)
        if not self.header_written:
            head = self.tf.delimiter.join(out.columns) + "\n"
            self.fh.write(("\ufeff" if self.tf.bom else "").encode() + head.encode())
            self.header_written = True
        out.write_csv(
            self.fh, include_header=False, separator=self.tf.delimiter, quote_style="never"
        )
        first, self.rows = self.rows + 2, self.rows + len(out)
        return first

    def close(self) -> None:
        self.fh.close()


class ParquetFile:
    def __init__(self, path: Path, tf: TableFile) -> None:
        self.tf, self.rows, self.path = tf, 0, path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.writer: pq.ParquetWriter | None = None

    def append(self, df: pl.DataFrame) -> int:
        out = _headed(df, self.tf)
        schema = pa.schema([(c, pa.string()) for c in out.columns])
        table = out.to_arrow().cast(schema)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, schema, compression="zstd")
        self.writer.write_table(table)
        first, self.rows = self.rows + 2, self.rows + len(out)
        return first

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class XlsxFiles:
    """One workbook per route, split into 'name (2).xlsx' ... beyond MAX_XLSX_ROWS rows."""

    def __init__(self, out: Path, relpath: str, tf: TableFile, max_rows: int) -> None:
        self.out, self.base, self.tf, self.max_rows = out, relpath, tf, max_rows
        self.part, self.rows, self.buffer = 1, 0, []

    @property
    def relpath(self) -> str:
        return self.base if self.part == 1 else self.base.replace(".xlsx", f" ({self.part}).xlsx")

    def append(self, df: pl.DataFrame) -> tuple[str, int]:
        if self.rows and self.rows + len(df) > self.max_rows:
            self._flush()
            self.part, self.rows = self.part + 1, 0
        self.buffer.append(df)
        first, self.rows = self.rows + 2, self.rows + len(df)
        return self.relpath, first

    def _flush(self) -> None:
        import xlsxwriter

        path = self.out / self.relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        wb = xlsxwriter.Workbook(str(path))
        wb.set_properties({"created": CREATED})
        _headed(pl.concat(self.buffer), self.tf).write_excel(
            wb, worksheet=self.tf.sheet, autofit=False, autofilter=False
        )
        wb.close()
        self.buffer = []

    def close(self) -> None:
        if self.buffer:
            self._flush()


class Sinks:
    """Every output file of a run, and the bad rows' places in them."""

    def __init__(self, out: Path, xlsx_rows: int = MAX_XLSX_ROWS) -> None:
        self.out, self.xlsx_rows = out, xlsx_rows
        self.files: dict[str, CsvFile | ParquetFile | XlsxFiles] = {}
        self.entries: list[Entry] = []

    def _sink(self, relpath: str, tf: TableFile) -> CsvFile | ParquetFile | XlsxFiles:
        if relpath not in self.files:
            if tf.kind == "xlsx":
                self.files[relpath] = XlsxFiles(self.out, relpath, tf, self.xlsx_rows)
            else:
                cls = CsvFile if tf.kind == "csv" else ParquetFile
                self.files[relpath] = cls(self.out / relpath, tf)
        return self.files[relpath]

    def write(self, df: pl.DataFrame, tf: TableFile) -> None:
        """Append text rows (with _day and _rule) to the files their dates route them to."""
        routed = df.with_columns(tf.route(pl.col("_day")).alias("_file"))
        for relpath in routed["_file"].unique(maintain_order=True).to_list():
            part = routed.filter(pl.col("_file") == relpath)
            sink = self._sink(relpath, tf)
            appended = sink.append(part)
            name, first = appended if isinstance(appended, tuple) else (relpath, appended)
            rules = part["_rule"]
            for i in rules.is_not_null().arg_true().to_list():
                self.entries.append((name, first + i, tf.table, rules[i]))

    def close(self) -> None:
        for sink in self.files.values():
            sink.close()
