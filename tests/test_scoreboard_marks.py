"""The portfolio scoreboard says each cell's status by a mark as well as its fill colour (issue
27): ✓ on target, ! near target, ✕ off target (the pack's marks, ``fmt.STATUS_MARK``), ⚠ for a
sample too small to judge, nothing where there is no target."""

from __future__ import annotations

import polars as pl

from metrics.catalog import load_catalog
from present import format as fmt
from tests.metric_support import CONFIG
from ui import portfolios

CATALOG = load_catalog(CONFIG)
ROWS = [  # portfolio, metric, value, n, status
    ("Key Accounts", "otif", 0.95, 100, "green"),
    ("Key Accounts", "csat", 0.80, 100, "amber"),
    ("Key Accounts", "nps", -10.0, 100, "red"),
    ("Key Accounts", "revenue", 1234.0, 100, None),
    ("Retail", "otif", 0.50, 5, "small"),
    ("Retail", "csat", None, None, None),
    ("Retail", "nps", 20.0, 100, "green"),
    ("Retail", "revenue", 99.0, 100, None),
]


def shown_cells(scores: portfolios.Scores) -> list[list[str]]:
    """The scoreboard's cells as the table writes them (keys first, then each metric)."""
    table = portfolios.styled(scores, CATALOG)._translate(False, False)
    return [[cell["display_value"] for cell in row[1:]] for row in table["body"]]


def test_each_scored_cell_says_its_status_without_its_colour():
    details = pl.DataFrame(
        ROWS, schema=["portfolio", "metric", "value", "n", "status"], orient="row"
    )
    scores = portfolios.scores(details, ("portfolio",), ("otif", "csat", "nps", "revenue"))
    assert shown_cells(scores) == [
        ["Key Accounts", "95.0% ✓", "80.0% !", "-10 ✕", "€1,234"],
        ["Retail", "50.0% ⚠", "—", "+20 ✓", "€99"],
    ]


def test_the_page_and_the_pack_share_one_vocabulary_of_marks():
    marks = fmt.STATUS_MARK
    assert (marks["green"], marks["amber"], marks["red"], marks["small"]) == ("✓", "!", "✕", "⚠")
    for status, word in (("green", "on target"), ("amber", "near target"), ("red", "off target")):
        assert portfolios.cell_mark(status, 100, 30) == f" {marks[status]}"
        assert word in fmt.STATUS_TEXT[status]
    assert portfolios.cell_mark("green", 12, 30) == " ⚠"  # too few to judge: never ✓
    assert portfolios.cell_mark(None, 100, 30) == ""
