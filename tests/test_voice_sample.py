"""The themes on the sample tell the planted story; comments never move other generated values;
``northstar voc suggest`` runs on the sample and writes YAML that validates."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
import yaml
from streamlit.testing.v1 import AppTest

from generator import run as generator_run
from generator.run import Options, generate
from metrics.catalog import load_catalog
from metrics.periods import last_complete_period, period_end
from metrics.query import default_as_of, run_query
from metrics.sqlgen import Query
from metrics.voice import theme_table
from tests.app_support import open_sections
from tests.cli_support import run_cli
from tests.metric_support import CONFIG, ROOT, engine


@pytest.fixture(scope="module")
def sample_db(demo_db) -> Path:
    return demo_db


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONFIG)


def _latest_week(db: Path) -> Query:
    as_of = default_as_of(engine(db))
    start = last_complete_period(as_of, "week")
    return Query(metrics=(), date_from=start, date_to=period_end(start, "week"), as_of=as_of)


def test_late_delivery_is_the_top_theme_after_broken_promises(sample_db, catalog):
    table, _ = theme_table(engine(sample_db), catalog, _latest_week(sample_db), "week")
    themes = table.filter(pl.col("theme") != "other")
    assert themes["theme"][0] == "late_delivery"  # most mentions this week after a miss
    usual = themes.sort("usual_missed", descending=True)
    assert usual["theme"][:2].to_list() == ["late_delivery", "split_delivery"]
    assert usual["usual_missed"][0] > 0.3
    # After OTIF orders, customers hardly complain: most comments match no theme.
    other = table.filter(pl.col("theme") == "other").row(0, named=True)
    assert other["usual_OTIF"] > 0.9 > other["usual_missed"]


def test_split_deliveries_come_from_the_struggling_site(sample_db, catalog):
    # DC-East ships split from March on: its lines miss as late dispatch, and their customers
    # write about split deliveries far more than customers whose order arrived late in transit.
    q = Query(metrics=("theme_split_delivery",), by=("miss_reason",), as_of=None)
    frame = run_query(engine(sample_db), catalog, q).values()
    share = dict(zip(frame["miss_reason"], frame["theme_split_delivery"]))
    assert share["late_dispatch"] > 2 * share["late_transit"]


def test_repeat_and_rushed_calls_come_from_the_pushed_queue(sample_db, catalog):
    q = Query(metrics=("theme_repeat_contact", "theme_rushed_call"), by=("queue",))
    frame = run_query(engine(sample_db), catalog, q).values().filter(pl.col("queue").is_not_null())
    for metric in ("theme_repeat_contact", "theme_rushed_call"):
        assert frame.sort(metric, descending=True)["queue"][0] == "orders", metric


def test_the_review_shows_the_story(sample_db, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("NORTHSTAR_DB", str(sample_db))
    monkeypatch.delenv("NORTHSTAR_CONFIG", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=120)
    at = open_sections(at).run()  # "What customers said" is in a section of the review
    assert not at.exception
    themes = next(d.value for d in at.dataframe if "Theme" in d.value.columns)
    assert themes["Theme"].iloc[0] == "Late delivery"
    assert themes["Owner"].iloc[0] == "Logistics"
    st.cache_data.clear()
    st.cache_resource.clear()


def _cli(*args: str):
    return run_cli(*args, env={"NORTHSTAR_DB": os.environ.get("NORTHSTAR_DB")})


def test_voc_suggest_on_the_sample_writes_yaml_that_validates(sample_db, tmp_path):
    run = _cli("voc", "suggest", "--db", str(sample_db))
    assert run.returncode == 0, run.stderr
    proposed = yaml.safe_load(run.stdout)["themes"]
    assert 1 <= len(proposed) <= 5
    assert "invoice" in run.stdout  # the complaint no theme lists yet
    assert "#   e.g. " in run.stdout  # example comments
    # Pasted under the shipped themes (owners named), the file still validates.
    for body in proposed.values():
        body["owner"] = "Finance"
    extra = yaml.safe_dump({f"new_{k}": v for k, v in proposed.items()}, allow_unicode=True)
    text = CONFIG.read_text() + "".join(f"  {line}\n" for line in extra.splitlines())
    (tmp_path / "metrics.yaml").write_text(text)
    cat = load_catalog(tmp_path / "metrics.yaml")
    assert any(m.startswith("theme_new_") for m in cat.metrics)


def test_voc_suggest_bad_usage_gets_plain_messages(sample_db):
    run = _cli("voc", "suggest", "--db", str(sample_db), "--where", "regio=South")
    assert run.returncode == 1
    assert "did you mean 'region'?" in run.stderr and "Traceback" not in run.stderr
    run = _cli("voc", "suggest", "--db", str(sample_db), "--from", "2026-11-15")
    assert run.returncode == 0 and "Too few comments" in run.stdout
    run = _cli("voc", "suggest", "--db", str(sample_db), "--themes", "0")
    assert run.returncode == 2


def _frames(folder: Path) -> dict[str, pl.DataFrame]:
    """Every extract as text columns (planted malformed rows cut to the header's width)."""
    return {
        p.relative_to(folder).as_posix(): pl.read_csv(
            p, infer_schema_length=0, truncate_ragged_lines=True
        )
        for p in sorted(folder.rglob("*.csv"))
    }


def test_comment_words_never_move_other_generated_values(tmp_path, monkeypatch):
    generate(Options(out=tmp_path / "a", lines=3_000, seed=5))
    monkeypatch.setattr(generator_run, "TEXT_STREAM", generator_run.TEXT_STREAM + 1)
    generate(Options(out=tmp_path / "b", lines=3_000, seed=5))
    a, b = _frames(tmp_path / "a"), _frames(tmp_path / "b")
    assert a.keys() == b.keys() and any("surveys" in k for k in a)
    for name in a:
        cols = [c for c in a[name].columns if c != "comment"]
        assert a[name].select(cols).equals(b[name].select(cols)), name
    surveys = next(k for k in a if "surveys" in k)
    assert not a[surveys]["comment"].equals(b[surveys]["comment"])  # the words did change
    share = a[surveys]["comment"].is_not_null().mean()
    assert 0.1 < share < 0.5  # most responses carry no comment


def test_sample_comments_are_varied():
    from tests.test_sample_data import SAMPLE

    frames = [
        pl.read_excel(p, sheet_name="Responses", infer_schema_length=0)
        for p in sorted((SAMPLE / "voc").glob("*.xlsx"))
    ]
    comments = pl.concat(frames)["comment"].drop_nulls()
    assert comments.n_unique() > 300
    assert comments.str.len_chars().max() > 3 * comments.str.len_chars().median()


def test_as_of_is_the_sample_story_date(sample_db):
    assert default_as_of(engine(sample_db)) == dt.date(2026, 11, 15)
