"""Comment themes alike on every engine: hostile comments (accents written both ways, letters
of other scripts against ASCII ones, negations in a row, regex and replacement metacharacters)
get the same themes from Spark as from DuckDB over the same lake and over the warehouse file, and
the themes a person reads in them."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from connectors.lake_load import load_lake
from connectors.load import load_paths
from metrics.catalog import load_catalog
from metrics.query import fetch_rows
from metrics.sqlgen import Query
from metrics.theme_patterns import FOLD_FROM, FOLD_TO, normalise
from store.lake import Lake, require_version
from store.warehouse import Warehouse
from tests.metric_support import CONFIG, FIXTURE
from tests.test_voice_themes import LABELLED

AS_OF = dt.date(2026, 3, 15)
LATE, SPLIT, INCOMPLETE, DAMAGED = "late_delivery", "split_delivery", "incomplete_order", "damaged"
REPEAT, RUSHED, HOLD, OTHER = "repeat_contact", "rushed_call", "hold_time", "other"

# (comment, themes a person reads in it, in the YAML's order); [] : not a comment.
HOSTILE: list[tuple[str, list[str]]] = [
    ("Da\u0301maged, de\u0301laye\u0301d", [LATE, DAMAGED]),  # accents as combining marks
    ("DÉLAYÉ ET ABÎMÉ: dammaged", [LATE, DAMAGED]),  # delay* takes any ending
    ("İT WAS LATE", [LATE]),  # Turkish capital I: lower case differs by engine, folding agrees
    ("ΚΑΘΥΣΤΈΡΗΣΗ ΣΟΦΟΣ late", [LATE]),  # Greek, a final capital sigma
    ("łate and latę", [LATE]),  # ł is a letter of its own (not 'late'); ę folds to e
    ("lateł latex", [OTHER]),  # a word is everything between spaces
    ("delayłx", [LATE]),  # ... and the rest of a stemmed word any letters
    ("迟到了 late 送货", [LATE]),  # CJK around an ASCII word
    ("waited ３ weeks", [OTHER]),  # a full-width digit is not \d on either engine
    ("waited 3 weeks", [LATE]),
    ("not late not late not late not late", [OTHER]),  # negations in a row
    ("not late not late, but then late", [LATE]),
    ("never called back; not damaged", [REPEAT]),
    ("It didn’t arrive late, wasn't damaged", [OTHER]),  # a curly apostrophe
    ("$1 late \\1 $0 \\\\ (late) [damaged] .* ^$", [LATE, DAMAGED]),  # metacharacters
    ("'); DROP TABLE surveys; -- late", [LATE]),
    ("line one\nlate\tdelivery\r\nsecond line", [LATE]),
    ("late_delivery", [LATE]),  # an underscore separates words
    ("on hold 40 minutes 👍🏽 rude", [RUSHED, HOLD]),
    ("straße très bien", [OTHER]),
    ("\u0301\u0301", []),  # only combining accents: no letter, not a comment
    ("   ", []),
]


def _write_surveys(path: Path, comments: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["response_id", "customer_id", "order_id", "call_id", "responded_at",
                      "touchpoint", "csat", "nps", "ces", "comment"])  # fmt: skip
        for i, comment in enumerate(comments):
            out.writerow([f"H{i:02d}", "C1", "O1", "", "2026-03-12", "delivery", 3, 5, "", comment])


@pytest.fixture(scope="module")
def stores(tmp_path_factory) -> tuple[Path, Path]:
    """The fixture with the hostile and the labelled comments, as a warehouse and as a lake."""
    tmp = tmp_path_factory.mktemp("themes_portable")
    data = tmp / "extracts"
    shutil.copytree(FIXTURE, data)
    _write_surveys(data / "surveys.csv", [c for c, _ in HOSTILE + LABELLED if c is not None])
    db, lake = tmp / "w.duckdb", tmp / "lake"
    load_paths(db, [data], progress=False)
    load_lake(lake, [data], progress=False)
    return db, lake


def _themes(engine) -> dict[str, str]:
    """comment -> theme names of every commented response."""
    q = Query(metrics=("commented_responses",), as_of=AS_OF)
    rows = fetch_rows(engine, load_catalog(CONFIG), "commented_responses", q, limit=None)
    assert rows.height > 0
    return dict(rows.select("comment", "theme_names").iter_rows())


def _wanted(labelled: list[tuple[str | None, list[str]]]) -> dict[str, str]:
    return {c: ", ".join(t) for c, t in labelled if c is not None and t}


def test_hostile_comments_get_the_themes_a_person_reads(stores):
    got = _themes(Warehouse(stores[0]).engine())
    assert got == _wanted(HOSTILE + LABELLED)


@pytest.mark.spark
def test_every_comment_gets_the_same_themes_on_every_engine(stores, spark):
    from store.spark_engine import SparkEngine

    db, lake = stores
    on_spark = _themes(SparkEngine(spark, require_version(lake)))
    assert on_spark == _themes(Lake(lake).engine())
    assert on_spark == _themes(Warehouse(db).engine())
    assert on_spark == _wanted(HOSTILE + LABELLED)


def test_patterns_are_folded_with_the_table_the_sql_uses():
    assert len(FOLD_FROM) > len(FOLD_TO) and len(set(FOLD_FROM)) == len(FOLD_FROM)
    assert normalise("Colis ABÎMÉ, déjà-vu!") == "colis abime deja vu"
    assert normalise("Ca\u0301fe\u0301 ΣΟΦΟΣ") == "cafe σοφοσ"
    assert normalise("łódź_ß") == "łodz ß"  # no accent to fold: letters of their own
