"""One review model: the review page, the wall, the pack and `review --format json` read the
outcomes, the trend window, the period a lagged metric shows, the status words, the signal's
words and the list of causes from ``metrics.review_model``, so they cannot disagree."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest

from metrics import periods, review_model
from metrics.catalog import load_catalog
from metrics.query import default_as_of
from present import format as fmt
from reports.pack_reader import Reader
from reports.review_data import gather
from reports.review_json import review_json
from reports.review_scores import north_star
from reports.review_summary import sentences
from store.warehouse import Warehouse
from tests.test_app_pages import CONFIG, fresh_caches, run_page  # noqa: F401
from tests.test_app_screens import htmls
from tests.test_app_screens import run_page as run_screen
from ui import wall_board

pytestmark = pytest.mark.usefixtures("fresh_caches")


def _frame(rows: list[tuple[str, dt.date, float, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=["metric", "period", "value", "n"], orient="row").with_columns(
        status=pl.lit("red"), partial=pl.lit(False)
    )


MON = dt.date(2026, 11, 9)  # the week under review, as-of its Sunday


def test_a_lagged_metric_shows_its_latest_measurable_week_on_the_wall_as_in_the_review():
    """FCR needs 7 days: as of Sunday 15 Nov its latest measurable week is 2 Nov, even when
    that week's sample is small (marked, not skipped for an older, larger one)."""
    weekly = _frame(
        [
            ("fcr", MON - dt.timedelta(14), 0.30, 250),
            ("fcr", MON - dt.timedelta(7), 0.41, 12),  # measurable, small sample
            ("fcr", MON, 0.90, 40),  # not measurable yet: its 7 days have not passed
        ]
    )
    as_of = MON + dt.timedelta(6)
    row = wall_board.measured_row(weekly, "fcr", MON, as_of, lag_days=7)
    assert row["period"] == MON - dt.timedelta(7) and row["n"] == 12
    shown = review_model.shown_rows(weekly, {"fcr": 7}, MON, "week", as_of)
    assert shown.to_dicts() == [row]
    assert review_model.review_status(row, 30) == "small_sample"
    # a metric without a lag shows the week under review itself, small or not
    assert wall_board.measured_row(weekly, "fcr", MON, as_of, lag_days=0)["value"] == 0.90


@pytest.mark.parametrize(
    ("case", "status", "said"),
    [
        ("off_target_stable", "red", "Off target and stable"),
        ("off_target_stable", "amber", "Near target and stable"),
        ("shift_worse", "red", "Real shift for the worse"),
        ("on_target", "green", "On target and stable"),
    ],
)
def test_the_signal_has_one_set_of_words(case, status, said):
    assert review_model.verdict(case, status)[0] == said


def test_the_wall_and_the_review_page_show_the_same_outcomes_for_one_week(demo_db):
    """The wall's week (the one holding as-of) reviewed on the page: every outcome tile the
    wall shows has the value the page shows, of the same week (FCR: its measurable week)."""
    catalog = load_catalog(CONFIG)
    as_of = default_as_of(Warehouse(demo_db).engine())
    week = periods.period_start(as_of, "week")
    wall = htmls(run_screen("pages/wall.py", demo_db))
    page = run_page("pages/north_star.py", demo_db, {"period": week.isoformat()})
    # a tile's label is the metric's, after its status mark (":red[●] CSAT")
    shown = {re.sub(r"^:\w+\[.\] ", "", m.label): m.value for m in page.metric}
    for name in review_model.OUTCOMES:
        m = catalog.metric(name)
        tile = re.search(rf'data-metric="{name}" data-value="([^"]*)"', wall).group(1)
        assert tile == shown[m.label], name


def test_the_pack_and_the_json_share_the_status_and_the_signal(demo_db):
    catalog = load_catalog(CONFIG)
    engine = Warehouse(demo_db).engine()
    as_of = default_as_of(engine)
    start = periods.last_complete_period(as_of, "week")
    data = gather(engine, Reader(catalog), start=start, as_of=as_of)
    doc = review_json(engine, data, catalog, today=as_of)
    words = {
        "on_target": fmt.STATUS_TEXT["green"],
        "near_target": fmt.STATUS_TEXT["amber"],
        "off_target": fmt.STATUS_TEXT["red"],
    }
    section = " ".join(north_star(data, catalog, ()).lines)
    assert f"({words[doc['status']]})" in section
    said, _ = review_model.verdict(data.reading.case, data.head.get("status"))
    assert f"Signal: {said}" in section


def _plain(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown.replace("**", "")).replace("\u2060", "")


def test_the_first_screen_says_what_the_pack_summary_says(demo_db):
    """The review page opens on the pack's three sentences for the same week and rows:
    where we stand, what changed, what to decide (cause and owner, open misses, at risk)."""
    catalog = load_catalog(CONFIG)
    engine = Warehouse(demo_db).engine()
    as_of = default_as_of(engine)
    start = periods.last_complete_period(as_of, "week")
    page = run_page("pages/north_star.py", demo_db)
    shown = [_plain(md.value) for md in page.markdown if md.value.startswith("**Wh")]
    data = gather(engine, Reader(catalog), start=start, as_of=as_of)
    said = sentences(data, catalog, (), as_of)
    assert shown == list(said)
    otif = catalog.metric("otif")
    assert said[0].startswith(
        f"Where we stand: {otif.label} {fmt.value(data.head['value'], otif.format)} against"
    )
    assert "leads the settled misses" in said[2] and "misses still open" in said[2]
    assert f"{data.at_risk.height:,} promises at risk" in said[2]
