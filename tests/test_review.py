"""The review's words and links: gap to target, open misses, owners, links to the records."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlparse

import polars as pl

from metrics.catalog import load_catalog
from present import format as fmt
from present.chart_builders import tick_labels
from ui import review
from ui.filters import View

CATALOG = load_catalog("config/metrics.yaml")
OTIF = CATALOG.metric("otif")
VIEW = View(
    where=(("region", ("East", "So[uth](x)")), ("portfolio", ("A & B",))),
    grain="week",
    start=dt.date(2026, 11, 9),
    end=dt.date(2026, 11, 15),
    as_of=dt.date(2026, 11, 15),
)


def funnel(open_counts: list[int]) -> pl.DataFrame:
    reasons = CATALOG.miss_reasons
    orders = [10, 26, 12, 19, 6, 15]
    return pl.DataFrame(
        {
            "step": ["Orders due", *[r.label for r in reasons], "OTIF"],
            "reason": [None, *[r.name for r in reasons], None],
            "owner": [None, *[r.owner for r in reasons], None],
            "orders": [360, *orders, 360 - sum(orders)],
            "open": [0, *open_counts, 0],
        }
    )


def test_a_link_to_the_records_keeps_filters_and_period_and_encodes_every_value():
    link = review.explore_link(VIEW, "otif_line", by="site", pick="DC [East](javascript:x)")
    assert link.startswith("explore?")
    assert "(" not in link and "[" not in link and " " not in link  # nothing for markdown to read
    query = parse_qs(urlparse(link).query)
    assert query == {
        "metric": ["otif_line"],
        "failing": ["1"],
        "by": ["site"],
        "pick": ["DC [East](javascript:x)"],
        "region": ["East", "So[uth](x)"],
        "portfolio": ["A & B"],
        "grain": ["week"],
        "period": ["2026-11-09"],
    }


def test_the_headline_cause_is_the_leading_settled_one_and_open_misses_say_who_acts():
    # short shipped has the most misses (26) but all are open: its remainder has not shipped
    # yet and may still settle as a late dispatch. Settled: 0, 0, 5, 9, 0, 13 -> late transit.
    text = review.funnel_sentence(funnel([10, 26, 7, 10, 6, 2]))
    assert "Leading settled cause: **late in transit**, 13 orders (owner: Logistics)" in text
    assert "short shipped**" not in text
    assert "**61 of the 88 misses are still open**" in text and "may still change" in text
    # not yet dispatched: not shipped 10 + short shipped 26; in transit: 7 + 10 + 6 + 2
    assert "36 not yet dispatched (Site (warehouse) acts now)" in text
    assert "25 in transit (Logistics acts now)" in text
    settled = review.funnel_sentence(funnel([0] * 6))
    assert "still open" not in settled
    assert "Leading settled cause: **short shipped**, 26 orders (owner: Supply planning)" in settled
    none_settled = review.funnel_sentence(funnel([10, 26, 12, 19, 6, 15]))
    assert "No miss has settled yet" in none_settled and "Leading" not in none_settled


def test_the_gap_to_target_leads_in_the_metrics_unit():
    assert review.gap_text(0.7556 - 0.92, 0.92, OTIF) == "16.4 pts under the 92.0% target"
    assert review.gap_text(0.01, 0.92, OTIF) == "1.0 pts over the 92.0% target"
    assert review.gap_text(-0.00001, 0.92, OTIF) == "on the 92.0% target"
    assert review.gap_text(None, None, OTIF) is None


def test_a_change_that_rounds_to_nothing_has_no_sign():
    assert fmt.delta(-0.00001, "percent") == "0.0 pts"
    assert fmt.delta(-0.021, "percent") == "-2.1 pts"


def test_the_title_follows_the_grain():
    assert review.title("week") == "North Star — weekly review"
    assert review.title("month") == "North Star — monthly review"
    assert review.title("quarter") == "North Star — quarterly review"


def test_ticks_are_one_per_period_and_carry_the_year():
    quarters = [dt.date(2025, 10, 1), dt.date(2026, 1, 1), dt.date(2026, 4, 1)]
    assert tick_labels(quarters, "quarter") == ["Q4 2025", "Q1 2026", "Q2"]
    months = [dt.date(2025, 12, 1), dt.date(2026, 1, 1)]
    assert tick_labels(months, "month") == ["Dec 2025", "Jan 2026"]
    weeks = [dt.date(2026, 11, 2), dt.date(2026, 11, 9)]
    assert tick_labels(weeks, "week") == ["2 Nov 2026", "9 Nov"]


def test_the_causes_table_names_owners_open_misses_and_links_with_labels_not_codes():
    table, _ = review.causes_table(funnel([10, 26, 7, 10, 6, 2]), VIEW)
    assert table.columns == ["Cause", "Owner", "Orders", "Open", "Records"]
    assert table["Cause"][0] == "Short shipped" and table["Owner"][0] == "Supply planning"
    assert not any("_" in c for c in table["Cause"])
    assert parse_qs(urlparse(table["Records"][0]).query)["pick"] == ["short_shipped"]


def test_driver_values_link_to_their_failing_lines():
    frame = pl.DataFrame({"value": ["DC-East"], "owner": [None], "missed": [3]})
    linked = review.driver_frames({"site": frame}, VIEW)["site"]
    query = parse_qs(urlparse(linked["link"][0]).query)
    assert query["metric"] == ["otif_line"] and query["by"] == ["site"]
    assert query["pick"] == ["DC-East"] and query["failing"] == ["1"]
