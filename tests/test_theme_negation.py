"""Negation and lists in comment themes, on a hand-labelled set of realistic sentences
(tests/theme_sentences.py): every sentence tagged through the SQL the product runs (the voice
model's normalised text and ``themes_of`` as the catalogue writes it out, with its bound
parameters), executed by DuckDB in-process; precision and recall per theme printed."""

from __future__ import annotations

import re

import duckdb
import pytest

from metrics.catalog import load_catalog
from tests.metric_support import CONFIG
from tests.theme_sentences import LIMITS, SENTENCES

# The voice model's normalised comment: ' ' || regexp_replace(...) || ' ' AS text
_TEXT = re.compile(r"(' ' \|\| regexp_replace\(.*?\) \|\| ' ') AS text", re.DOTALL)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CONFIG)


def tag(catalog, comments: list[str]) -> list[frozenset[str]]:
    """The themes of each comment, as the voice model assigns them (without "other")."""
    sql = catalog.model_sql("voice")
    text = _TEXT.search(sql)
    assert text, "the voice model's normalised text"
    found = re.search(r"themes_of\(s\.text\)|list_filter\(\[.*?\], lambda t: t IS NOT NULL\)", sql)
    assert found and "themes_of" not in found.group(0), "themes_of written out"
    expr = found.group(0).replace("s.text", "x.text")
    stmt = (
        f"SELECT x.i, {expr} AS found FROM (SELECT r.i, {text.group(1)} AS text"
        " FROM (SELECT unnest($comments) AS comment, generate_subscripts($comments, 1) AS i) r) x"
        " ORDER BY x.i"
    )
    names = set(re.findall(r"\$([a-z_][a-z0-9_]*)", stmt))
    params = {k: v for k, v in catalog.theme_params.items() if k in names}
    rows = duckdb.connect().execute(stmt, {**params, "comments": comments}).fetchall()
    return [frozenset(found) for _, found in rows]


def scores(want: list[frozenset[str]], got: list[frozenset[str]], themes) -> dict:
    """Per theme: (true positives, false positives, false negatives, precision, recall)."""
    out = {}
    for t in themes:
        tp = sum(t in w and t in g for w, g in zip(want, got, strict=True))
        fp = sum(t not in w and t in g for w, g in zip(want, got, strict=True))
        fn = sum(t in w and t not in g for w, g in zip(want, got, strict=True))
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        out[t] = (tp, fp, fn, prec, rec)
    return out


def report(catalog) -> tuple[list, dict]:
    """The sentences tagged wrong (comment, wanted, got) and per theme scores, over the set and
    its known limits."""
    labelled = SENTENCES + LIMITS
    comments = [c for c, _, _ in labelled]
    want = [w for _, w, _ in labelled]
    got = tag(catalog, comments)
    wrong = [(c, sorted(w), sorted(g)) for c, w, g in zip(comments, want, got) if w != g]
    table = scores(want, got, list(catalog.spec.themes))
    return wrong, table


def test_the_set_is_large_and_labelled_with_known_themes(catalog):
    assert len(SENTENCES) >= 60
    assert {lang for _, _, lang in SENTENCES} == {"en", "fr"}
    comments = [c for c, _, _ in SENTENCES + LIMITS]
    assert len(set(comments)) == len(comments)
    for comment, want, _ in SENTENCES + LIMITS:
        assert want <= set(catalog.spec.themes), comment


def test_every_sentence_gets_the_themes_a_person_reads(catalog):
    wrong, table = report(catalog)
    total = len(SENTENCES) + len(LIMITS)
    print(f"\n{'theme':18} {'tp':>3} {'fp':>3} {'fn':>3} {'precision':>9} {'recall':>7}")
    for t, (tp, fp, fn, prec, rec) in table.items():
        print(f"{t:18} {tp:3d} {fp:3d} {fn:3d} {prec:9.2f} {rec:7.2f}")
    print(f"{total - len(wrong)} of {total} sentences right")
    for c, w, g in wrong:
        print(f"  WRONG {c!r}: want {w}, got {g}")
    assert [c for c, _, _ in wrong] == [c for c, _, _ in LIMITS]  # every other one right
    assert len(wrong) / total <= 0.03
    assert all(prec >= 0.9 and rec >= 0.9 for *_, prec, rec in table.values())


def test_the_negation_regexes_keep_to_what_re2_and_java_share(catalog):
    from metrics.theme_patterns import check_pattern

    regexes = {k: v for k, v in catalog.theme_params.items() if k.startswith("theme_")}
    assert any(k.endswith("_scope") for k in regexes) and any(
        k.endswith("_unsaid") for k in regexes
    )
    for name, regex in regexes.items():
        assert check_pattern(f"/{regex}/") is None, name
