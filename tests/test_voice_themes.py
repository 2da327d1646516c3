"""Comment themes: assignment on a hand-labelled table, theme shares against hand counts, and the
configuration's messages."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import pytest

from connectors.load import load_paths
from metrics.catalog import load_catalog
from metrics.errors import ConfigError
from metrics.query import fetch_rows, run_query
from metrics.sqlgen import Query
from tests.cli_support import run_cli
from tests.metric_support import CONFIG, FIXTURE, catalog_with, engine

AS_OF = dt.date(2026, 3, 15)
LATE, SPLIT, INCOMPLETE, DAMAGED = "late_delivery", "split_delivery", "incomplete_order", "damaged"
REPEAT, RUSHED, WEBSITE, OTHER = "repeat_contact", "rushed_call", "website", "other"

# (comment, themes a person reads in it, as the YAML orders them). None: no comment at all.
LABELLED: list[tuple[str | None, list[str]]] = [
    ("Delivery arrived LATE", [LATE]),  # case
    ("The order was DÉLAYED again", [LATE]),  # accents in the comment
    ("Dámaged box!!", [DAMAGED]),
    ("not late at all, thanks", [OTHER]),  # negation, with a filler word
    ("Not late - but two boxes arrived damaged", [DAMAGED]),  # one negated, one not
    ("It didn't arrive late", [OTHER]),  # negation written with an apostrophe
    ("no damage, nothing missing", [OTHER]),
    ("Never called back, and the delivery was late", [LATE, REPEAT]),  # a negation in a complaint
    ("Nobody called back", [REPEAT]),
    ("Order came in two deliveries, the second one late", [LATE, SPLIT]),  # two themes
    ("arived late", [LATE]),  # a typo in another word: caught
    ("Had to cal twice", [OTHER]),  # a typo in the theme's word: not caught
    ("dammaged", [DAMAGED]),  # a typo the YAML lists: caught
    ("recieved only part of it", [OTHER]),  # not caught ('only recieved' is listed, not this order)
    ("waited 3 weeks for this", [LATE]),  # a regular expression
    ("The agent was rude; I had to call again", [REPEAT, RUSHED]),
    ("Website checkout: failed!", [WEBSITE]),
    ("latex gloves were fine", [OTHER]),  # whole words only: 'latex' is not 'late'
    ("DELAYS, delays, delays", [LATE]),  # a stem: delay*
    ("only got half the order", [INCOMPLETE]),
    ("Great service 👍", [OTHER]),
    ("!!!", []),  # no letter or digit: not a comment
    (None, []),
]


def _write_surveys(path: Path) -> dict[str, str | None]:
    """One response per labelled comment: odd ones about O2 (missed OTIF), even ones about O1
    (OTIF), every fifth about contact K1 (about O1) instead, the last two about no order.
    Returns response id -> order_otif as the fixture makes it."""
    group: dict[str, str | None] = {}
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["response_id", "customer_id", "order_id", "call_id", "responded_at",
                      "touchpoint", "csat", "nps", "ces", "comment"])  # fmt: skip
        for i, (comment, _) in enumerate(LABELLED):
            rid = f"R{i:02d}"
            if i >= len(LABELLED) - 2:
                order, call, group[rid] = "", "", None
            elif i % 5 == 4:
                order, call, group[rid] = "", "K1", "OTIF"
            else:
                order, call = ("O2", "") if i % 2 else ("O1", "")
                group[rid] = "missed" if i % 2 else "OTIF"
            tp = "call" if call else "delivery"
            out.writerow([rid, "C1", order, call, "2026-03-12", tp, 3, 5, "", comment or ""])
    return group


@pytest.fixture(scope="module")
def voice_db(tmp_path_factory) -> tuple[Path, dict[str, str | None]]:
    tmp = tmp_path_factory.mktemp("voice")
    shutil.copytree(FIXTURE, tmp / "extracts")
    group = _write_surveys(tmp / "extracts" / "surveys.csv")
    db = tmp / "voice.duckdb"
    load_paths(db, [tmp / "extracts"], progress=False)
    return db, group


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONFIG)


def _voice_rows(db: Path, catalog) -> dict[str, dict]:
    q = Query(metrics=("commented_responses",), as_of=AS_OF)
    rows = fetch_rows(engine(db), catalog, "commented_responses", q, limit=None)
    return {r["response_id"]: r for r in rows.iter_rows(named=True)}


def test_each_labelled_comment_gets_the_themes_a_person_reads(voice_db, catalog):
    db, _ = voice_db
    rows = _voice_rows(db, catalog)
    for i, (comment, want) in enumerate(LABELLED):
        rid = f"R{i:02d}"
        if not want:
            assert rid not in rows, f"{comment!r} is not a comment"
            continue
        assert rows[rid]["theme_names"] == ", ".join(want), comment


def test_a_response_without_a_comment_has_no_theme_and_is_not_commented(voice_db, catalog):
    db, _ = voice_db
    q = Query(metrics=("csat",), as_of=AS_OF)
    frame = run_query(engine(db), catalog, q).values()
    assert frame["csat"].item() is not None  # the two are still responses
    rows = _voice_rows(db, catalog)
    assert "R21" not in rows and "R22" not in rows


def _hand_counts(group: dict[str, str | None], theme: str) -> dict[str | None, tuple[int, int]]:
    """(mentions, commented responses) per order_otif group, from the labelled table."""
    out: dict[str | None, tuple[int, int]] = {}
    for i, (_, themes) in enumerate(LABELLED):
        g = group[f"R{i:02d}"]
        hit, den = out.get(g, (0, 0))
        out[g] = (hit + (theme in themes), den + bool(themes))
    return out


@pytest.mark.parametrize("theme", [LATE, DAMAGED, REPEAT, SPLIT, OTHER])
def test_theme_shares_by_order_otif_equal_hand_counts(voice_db, catalog, theme):
    db, group = voice_db
    name = f"theme_{theme}"
    q = Query(metrics=(name,), by=("order_otif",), as_of=AS_OF)
    got = {
        r["order_otif"]: (r[f"{name}__num"], r[f"{name}__den"], r[name])
        for r in run_query(engine(db), catalog, q).frame.iter_rows(named=True)
    }
    for g, (hit, den) in _hand_counts(group, theme).items():
        assert got[g][:2] == (hit, den), (g, theme)
        assert got[g][2] == (pytest.approx(hit / den) if den else None)  # no comment: no share
    q = Query(metrics=(name,), as_of=AS_OF)
    total = run_query(engine(db), catalog, q).frame.row(0, named=True)
    counts = _hand_counts(group, theme).values()
    assert (total[f"{name}__num"], total[f"{name}__den"]) == tuple(map(sum, zip(*counts)))


def test_late_delivery_among_missed_orders_by_hand(voice_db, catalog):
    # About O2 (missed): rows 1, 3, 5, 7, 11, 13, 15, 17, all commented. Late: 1 (DÉLAYED) and
    # 7 (never called back ... late); not 3 (not late), 5 (didn't arrive late), 17 (latex).
    db, _ = voice_db
    where = (("order_otif", ("missed",)),)
    q = Query(metrics=("theme_late_delivery",), by=("order_otif",), where=where, as_of=AS_OF)
    row = run_query(engine(db), catalog, q).frame.row(0, named=True)
    assert (row["theme_late_delivery__num"], row["theme_late_delivery__den"]) == (2, 8)
    assert row["theme_late_delivery"] == pytest.approx(0.25)


def test_theme_metrics_are_in_the_catalogue_with_their_owner(catalog):
    m = catalog.metric("theme_late_delivery")
    assert m.owner == "Logistics" and m.format == "percent" and m.model == "voice"
    assert catalog.metric("theme_split_delivery").owner == "Site (warehouse)"
    assert "order_otif" in catalog.dimensions_of("theme_late_delivery")
    assert "queue" in catalog.dimensions_of("theme_repeat_contact")
    assert "theme_other" in catalog.metrics


def test_a_pattern_with_accents_matches_comments_with_or_without_them(tmp_path):
    cat = catalog_with(tmp_path, {"patterns: [damag*,": 'patterns: ["colis abîmé", damag*,'})
    import duckdb

    from metrics.sqlgen import settings_params, used_params
    from metrics.themes import expand_themes

    sql = expand_themes(
        "SELECT t, themes_of(x) AS got FROM (SELECT t, ' ' || regexp_replace(translate("
        "lower(t), $fold_from, $fold_to), '[^\\p{L}\\p{N}]+', ' ', 'g') || ' ' AS x"
        " FROM (VALUES ('COLIS ABIME'), ('un colis abîmé'), ('colis')) v(t))",
        cat.spec.themes,
    )
    con = duckdb.connect()
    got = dict(con.sql(sql, params=used_params(sql, settings_params(cat, AS_OF))).fetchall())
    assert got == {"COLIS ABIME": [DAMAGED], "un colis abîmé": [DAMAGED], "colis": []}


BAD = [
    ("    patterns: [late,", "    pattern: [late,", "unknown key 'pattern'; did you mean 'patterns'?"),
    ("patterns: [late,", "patterns: ['/(late/',", "is not a valid regular expression"),
    ("patterns: [late,", "patterns: ['/(?<!not )late/',", "look-around and back-references"),
    ("patterns: [late,", "patterns: ['/x*/',", "matches empty text"),
    ("patterns: [late,", "patterns: ['/\\blate\\b/',", "word boundaries (\\b) differ"),
    ("patterns: [late,", "patterns: ['/[[:alpha:]]ate/',", "POSIX classes"),
    ("patterns: [late,", "patterns: ['/lat++e/',", "possessive quantifiers"),
    ("patterns: [late,", "patterns: ['/(?P<x>late)/',", "named groups differ"),
    ("patterns: [late,", "patterns: ['/LATE/',", "write a regular expression in lower case"),
    ("patterns: [late,", "patterns: ['', late,", "an empty pattern"),
    ("patterns: [late,", "patterns: [la*te,", "'*' may only end a word"),
    ("  late_delivery:\n    label: Late delivery", "  other:\n    label: Late delivery",
     "'other' is the theme of comments no pattern matches"),
    ("    owner: Logistics\n    patterns", "    owner: L\n    patterns", "at least 2 characters"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "message"), BAD)
def test_a_bad_theme_gets_a_located_message(tmp_path, old, new, message):
    with pytest.raises(ConfigError) as err:
        catalog_with(tmp_path, {old: new})
    text = str(err.value)
    assert message in text
    assert "metrics.yaml:" in text and "themes." in text


def test_a_metric_named_like_a_theme_share_is_refused(tmp_path):
    old = "  commented_responses:\n"
    body = (
        "label: x, description: clashes with a theme, family: customer, owner: me,"
        " model: voice, type: simple, agg: count, format: integer, unit: count, direction: up"
    )
    new = f"  theme_damaged: {{{body}}}\n{old}"
    with pytest.raises(
        ConfigError, match="'theme_damaged' is the share metric of the theme 'damaged'"
    ):
        catalog_with(tmp_path, {old: new})


def test_check_reports_a_bad_theme_with_file_and_line(tmp_path):
    text = CONFIG.read_text().replace("patterns: [late,", "patterns: ['/(late/',")
    (tmp_path / "metrics.yaml").write_text(text)
    line = next(i for i, x in enumerate(text.splitlines(), 1) if "'/(late/'" in x)
    run = run_cli("check", "--config", tmp_path / "metrics.yaml", cwd=tmp_path)
    assert run.returncode == 1
    assert f"metrics.yaml:{line}: themes.late_delivery.patterns" in run.stderr
    assert "Traceback" not in run.stderr
