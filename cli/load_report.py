"""What ``northstar load`` prints: per file its table, rows read, loaded, rejected (with the top
reasons) and filtered, then the totals; for a dry run also each file's first typed rows and the
first rejects. Cells from an extract reach the terminal as plain one-line text."""

from __future__ import annotations

from pathlib import Path

import click

from connectors.dry_run import DryRun
from connectors.load import LoadReport
from present.safe_text import plain_text


def shown_path(file: str) -> str:
    try:
        return Path(file).relative_to(Path.cwd()).as_posix()
    except ValueError:
        return file


def print_report(report: LoadReport) -> None:
    width = max((len(shown_path(f.file)) for f in report.files), default=0)
    for f in report.files:
        name = shown_path(f.file).ljust(width)
        if f.skipped:
            click.echo(f"{f.table:<10} {name}  unchanged (already loaded)")
            continue
        if f.note:
            click.echo(f"{f.table:<10} {name}  {f.note}")
            continue
        reasons = ", ".join(f"{rule}: {n:,}" for rule, n in f.top_rules)
        warned = sum(n for _, n in f.warnings)
        click.echo(
            f"{f.table:<10} {name}  read {f.rows_read:,}  loaded {f.rows_loaded:,}  "
            f"rejected {f.rows_rejected:,}"
            + (f"  ({reasons})" if reasons else "")
            + (f"  filtered {f.rows_filtered:,} (where:)" if f.rows_filtered else "")
            + (f"  [source {f.source}]" if f.source and f.source != f.table else "")
            + (f"  replaced {f.replaced:,} older row(s)" if f.replaced else "")
            + (
                f"  kept with a warning {warned:,} ("
                + ", ".join(f"{r}: {n:,}" for r, n in f.warnings)
                + ")"
                if warned
                else ""
            )
        )
    done = [f for f in report.files if not f.skipped and not f.note]
    if report.dry_run is not None:
        _print_dry_run(report.dry_run)
        click.echo(
            f"dry run: {len(done)} file(s) would load {report.rows_loaded:,} rows into "
            f"{shown_path(report.db)}, {report.rows_rejected:,} rejected; nothing was written"
        )
        return
    tail = (
        f"; {report.rows_rejected:,} rejected, see 'northstar rejects'"
        if report.rows_rejected
        else ""
    )
    click.echo(
        f"{len(done)} file(s) loaded into {shown_path(report.db)}: {report.rows_loaded:,} rows{tail}"
    )
    if report.finalize_note:
        click.echo(f"note: {report.finalize_note}")
    if report.finalize_seconds is not None and not report.finalize_note:
        click.echo(
            f"took {report.seconds:.1f} s, of which {report.finalize_seconds:.1f} s rebuilding "
            "the stored metric models"
        )
    elif report.seconds:
        click.echo(f"took {report.seconds:.1f} s")


def _print_dry_run(seen: DryRun) -> None:
    """Each file's first typed rows, then the first rejected rows (cells shown as plain text)."""
    for p in seen.previews:
        click.echo(f"\nfirst {len(p.rows)} row(s) of {shown_path(p.file)} as {p.table}:")
        echo_table(list(p.columns), [["" if v is None else str(v) for v in r] for r in p.rows])
    if seen.rejects:
        shown = f"first {len(seen.rejects)} of " if seen.rejects_total > len(seen.rejects) else ""
        click.echo(f"\nrejected rows ({shown}{seen.rejects_total:,}):")
        echo_table(
            ["file", "row", "table", "rule", "column", "value", "message"],
            [reject_cells(r) for r in seen.rejects],
        )
    click.echo("")


def reject_cells(r: tuple) -> list[str]:
    return [
        shown_path(r[0]),
        str(r[1]),
        r[2],
        r[3],
        r[4] or "",
        "" if r[5] is None else repr(r[5]),
        r[6],
    ]


def echo_table(head: list[str], rows: list[list[str]]) -> None:
    """Aligned columns, each at most 60 wide; cells from an extract reach the terminal as one
    line each, with no escape sequence."""
    shown = [[plain_text(v) for v in row] for row in rows]
    widths = [min(60, max(len(h), *(len(s[i]) for s in shown))) for i, h in enumerate(head)]
    for line in [head] + shown:
        click.echo("  ".join(v.ljust(w) for v, w in zip(line, widths)).rstrip())
