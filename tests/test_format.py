"""Numbers and labels for people: hand-written expectations for present.format's helpers."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from metrics.catalog import load_catalog
from present import format as fmt


@pytest.mark.parametrize(
    "d, form, shown",
    [
        (-0.0004, "percent", "0.0 pts"),  # rounds to zero: no '-0.0 pts'
        (0.0004, "percent", "0.0 pts"),
        (-0.0006, "percent", "-0.1 pts"),
        (0.021, "percent", "+2.1 pts"),
        (-0.004, "money", f"{fmt.money_sign()}0.00"),
        (-0.4, "score", "0"),
        (-0.3, "duration", "0s"),
        (-32.0, "duration", "-32s"),
        (-1234.4, fmt.WHOLE_MONEY, f"-{fmt.money_sign()}1,234"),
    ],
)
def test_a_change_that_rounds_to_zero_has_no_sign(d, form, shown):
    assert fmt.delta(d, form) == shown


def test_money_totals_are_whole_units_and_money_ratios_keep_cents():
    cat = load_catalog("config/metrics.yaml")
    assert fmt.display_format(cat.metric("revenue")) == fmt.WHOLE_MONEY
    assert fmt.display_format(cat.metric("cost_to_serve")) == "money"  # per order
    assert fmt.display_format(cat.metric("otif")) == "percent"
    assert fmt.value(200_768.90, fmt.WHOLE_MONEY) == f"{fmt.money_sign()}200,769"
    assert fmt.value(12.4, "money") == f"{fmt.money_sign()}12.40"
    assert fmt.value(-0.001, "money") == f"{fmt.money_sign()}0.00"
    assert fmt.value(1234.56, "money") == f"{fmt.money_sign()}1,235"  # a total: no cents
    assert fmt.value(999.5, "money") == f"{fmt.money_sign()}999.50"
    assert fmt.delta(-2500.4, "money") == f"-{fmt.money_sign()}2,500"
    assert fmt.axis_format(fmt.WHOLE_MONEY) == ",.0f"
    assert fmt.axis_format("money") == ",.2~f"  # 80,000 on an axis, not 80,000.00


@pytest.mark.parametrize("v", [None, float("nan"), "", "None", "  "])
def test_nothing_is_a_dash(v):
    assert fmt.text(v) == "—"


def test_text_keeps_values_as_they_are():
    assert fmt.text("[x](https://evil.example)") == "[x](https://evil.example)"
    assert fmt.text(0) == "0"


def test_empty_text_cells_become_dashes_and_numbers_stay():
    frame = pl.DataFrame({"a": ["x", None, "", "None"], "n": [1, None, 3, 4]})
    out = fmt.dash_nulls(frame)
    assert out["a"].to_list() == ["x", "—", "—", "—"]
    assert out["n"].to_list() == [1, None, 3, 4]


@pytest.mark.parametrize(
    "dim, label",
    [
        ("region", "(no customer)"),
        ("segment", "(no customer)"),
        ("portfolio", "(no customer)"),
        ("portfolio_manager", "(no customer)"),
        ("customer_id", "(no customer)"),
        ("agent_id", "(no agent)"),
        ("queue", "(none)"),
        ("carrier", "(none)"),
    ],
)
def test_rows_without_a_value_have_a_name(dim, label):
    assert fmt.no_value_label(dim) == label


def test_label_missing_fills_only_the_split_dimensions():
    frame = pl.DataFrame({"agent_id": ["A1", None], "queue": [None, "orders"], "n": [1, 2]})
    out = fmt.label_missing(frame, ["agent_id"])
    assert out["agent_id"].to_list() == ["A1", "(no agent)"]
    assert out["queue"].to_list() == [None, "orders"]


@pytest.mark.parametrize(
    "n, shown", [(0, "0 pairs"), (1, "1 pair"), (2, "2 pairs"), (1204, "1,204 pairs")]
)
def test_plural(n, shown):
    assert fmt.plural(n, "pair") == shown


def test_irregular_plural():
    assert fmt.plural(1, "entry", "entries") == "1 entry"
    assert fmt.plural(3, "entry", "entries") == "3 entries"


@pytest.mark.parametrize(
    "code, label",
    [
        ("where_is_my_order", "Where is my order"),
        ("late_dispatch", "Late dispatch"),
        ("damage", "Damage"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_codes_read_as_words(code, label):
    assert fmt.code_label(code) == label


@pytest.mark.parametrize(
    "start, end, grain, label",
    [
        (dt.date(2026, 11, 9), dt.date(2026, 11, 15), "week", "Week 46 · 9–15 Nov 2026"),
        (dt.date(2026, 10, 26), dt.date(2026, 11, 1), "week", "Week 44 · 26 Oct–1 Nov 2026"),
        (dt.date(2025, 12, 29), dt.date(2026, 1, 4), "week", "Week 1 · 29 Dec 2025–4 Jan 2026"),
        (dt.date(2026, 11, 1), dt.date(2026, 11, 30), "month", "November 2026"),
        (dt.date(2026, 10, 1), dt.date(2026, 12, 31), "quarter", "Q4 2026"),
    ],
)
def test_period_labels_carry_the_year(start, end, grain, label):
    assert fmt.period_label(start, end, grain) == label


@pytest.mark.parametrize(
    "start, grain, caption",
    [
        (dt.date(2026, 11, 9), "week", "week of 9 Nov 2026"),
        (dt.date(2026, 11, 9), "day", "day of 9 Nov 2026"),
        (dt.date(2026, 11, 1), "month", "November 2026"),
        (dt.date(2026, 10, 1), "quarter", "Q4 2026"),
    ],
)
def test_period_captions_carry_the_year(start, grain, caption):
    assert fmt.period_caption(start, grain) == caption


@pytest.mark.parametrize(
    "raw",
    [
        "[x](https://evil.example) ![p](https://evil.example/p.png)",
        "https://evil.example",
        "www.evil.example",
        "mail me: a@evil.example",
        ":red[alarm] **bold** <b>html</b> `code`",
    ],
)
def test_escaped_text_has_no_markdown_or_autolink_left(raw):
    out = fmt.escape_markdown(raw)
    assert "://" not in out and "www." not in out.lower() and "a@" not in out
    assert out.replace("\u2060", "").replace("\\", "") == raw.replace("\\", "")
    for ch in "[]()*`<>:!":
        assert all(out[i - 1] == "\\" for i, c in enumerate(out) if c == ch)
