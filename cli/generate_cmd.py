"""`northstar generate`: a synthetic, realistic set of extracts, deterministic for a seed."""

from __future__ import annotations

from pathlib import Path

import click

from cli.errors import handle_errors


@click.command("generate")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the extracts into.",
)
@click.option(
    "--orders",
    "lines",
    default=50_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Number of order lines to write (not orders: an order has one or more lines); the "
    "shipments, calls, surveys and customers follow from them.",
)
@click.option("--seed", default=2026, show_default=True, type=int, help="Random seed.")
@click.option(
    "--layout",
    default="canonical",
    show_default=True,
    type=click.Choice(["canonical", "export"]),
    help="canonical: one CSV per table; export: the formats real systems emit.",
)
@click.option(
    "--bad-share",
    default=0.01,
    show_default=True,
    type=click.FloatRange(0, 0.5),
    help="Share of bad rows planted in every file (listed in planted_rejects.json).",
)
@handle_errors
def generate(out: Path, lines: int, seed: int, layout: str, bad_share: float) -> None:
    """Write a synthetic year of a distributor's extracts into the --out folder.

    The size is set in order lines (--orders); every file also gets a share of planted
    bad rows (--bad-share), listed in planted_rejects.json there, for 'northstar load' to reject.
    """
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from generator.run import Options
    from generator.run import generate as run

    opts = Options(out=out, lines=lines, seed=seed, layout=layout, bad_share=bad_share)
    columns = (
        TextColumn("generating"),
        BarColumn(),
        TextColumn("{task.completed:,} lines"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("lines", total=lines)
        result = run(opts, on_chunk=lambda n: bar.advance(task, n))
    rows = ", ".join(f"{t} {n:,}" for t, n in result.rows.items())
    click.echo(
        f"wrote {result.lines:,} order lines ({result.orders:,} orders) with their shipments, "
        f"calls, surveys and customers: {len(result.files)} files in {out}"
    )
    click.echo(f"rows per table, planted bad rows included: {rows}")
    rules = ", ".join(f"{rule} {n:,}" for rule, n in sorted(result.planted.items()))
    click.echo(
        f"planted {sum(result.planted.values()):,} bad rows"
        + (f" ({rules})" if rules else "")
        + f", listed in {out / 'planted_rejects.json'}"
    )


def register(group: click.Group) -> None:
    group.add_command(generate)
