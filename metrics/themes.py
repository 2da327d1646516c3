"""Themes of survey comments (``themes:`` in metrics.yaml): patterns -> regular expressions,
``themes_of(column)`` in model SQL written out over them, and a share metric per theme.

Theme assignment happens in one place, the ``voice`` model's SQL (``themes_of(text)``), for
every page, the command line and the stored models, on every engine. It compares *normalised*
comment text: lower case, accents folded (``translate`` with the table ``FOLD_FROM`` ->
``FOLD_TO``, the same on every engine), every run of characters other than letters and digits one
space, and a space at each end ("Didn't  arrive!" -> " didn t arrive "). Patterns are normalised
the same way here (``normalise``).

The regular expressions run on RE2 (DuckDB) and on Java (Spark), so they use only what both read
alike: a word's bounds are the spaces around it (never ``\\b``, which Java 17 reads over Unicode
letters and RE2 over ASCII), the rest of a word is ``[^ ]*``.

- A word or phrase matches whole words; ``damag*`` matches any ending (damaged, damage).
- ``/.../`` is a regular expression (lower case, the syntax RE2 and Java share) over the
  normalised text.
- Negation: a mention right after a negation word (not, no, never, without, wasn't ...),
  optionally with one filler word between ("not at all late" is not a mention of late), is
  ignored; other mentions in the same comment still count. Typos are caught only when a pattern
  lists them (e.g. ``recieved``) or a stem covers them.
- A comment can carry several themes; a comment with none is "other".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from metrics.spec import RatioMetric, Theme

VOICE_MODEL = "voice"  # the model whose `themes` column the theme metrics count
OTHER = "other"  # the theme of a comment no pattern matches
METRIC_PREFIX = "theme_"
_REST = "[^ ]*"  # the rest of a word (words of normalised text lie between single spaces)

NEGATION_WORDS = (
    "not", "no", "never", "without", "nothing", "none", "nor", "hardly",
    "isn t", "wasn t", "weren t", "aren t", "didn t", "don t", "doesn t", "hasn t", "haven t",
)  # fmt: skip
FILLER_WORDS = (
    "at all", "really", "even", "very", "too", "that", "so", "any", "a bit", "was", "were",
    "is", "be", "been", "arrive", "arrived", "come", "came",
)  # fmt: skip


def _words(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", " ") for w in words)


# A negation word (with its leading space) and at most one filler word; the mention follows.
NEGATION = rf" (?:{_words(NEGATION_WORDS)})(?: (?:{_words(FILLER_WORDS)}))?"


def _fold_table() -> tuple[str, str]:
    """Accent folding as ``translate(text, FOLD_FROM, FOLD_TO)``: every lower-case Latin, Greek
    and Cyrillic letter written with accents -> its base letter, a final sigma -> sigma (Java
    lower-cases a final capital sigma to it, DuckDB does not), and the combining accents (the
    characters of FOLD_FROM past the length of FOLD_TO) -> nothing. One explicit table, so every
    engine folds alike; it is kept to these scripts because its length costs time per row."""
    pairs = {"ς": "σ"}
    for lo, hi in ((0x00C0, 0x0250), (0x0370, 0x0530), (0x1E00, 0x1F00)):
        for c in map(chr, range(lo, hi)):
            base, *marks = unicodedata.normalize("NFD", c)
            if marks and c == c.lower() and all(unicodedata.combining(m) for m in marks):
                pairs[c] = base
    marks = "".join(c for c in map(chr, range(0x0300, 0x0370)) if unicodedata.combining(c))
    return "".join(pairs) + marks, "".join(pairs.values())


FOLD_FROM, FOLD_TO = _fold_table()
_FOLD = str.maketrans(FOLD_FROM[: len(FOLD_TO)], FOLD_TO, FOLD_FROM[len(FOLD_TO) :])


def normalise(text: str) -> str:
    """Lower case, accents folded, non-alphanumeric runs as one space (as the model's SQL,
    without the spaces at the ends)."""
    return " ".join(re.sub(r"[^\w]|_", " ", text.lower().translate(_FOLD)).split())


def _is_regex(pattern: str) -> bool:
    return len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/")


# Regular expression syntax that RE2 (DuckDB) and Java (Spark) read differently, or one lacks.
_NOT_PORTABLE = (
    (re.compile(r"\\[bB]"), "word boundaries (\\b) differ between engines; write a space"),
    (re.compile(r"\[:\w+:\]"), "POSIX classes such as [[:alpha:]] differ between engines"),
    (re.compile(r"[*+?}]\+"), "possessive quantifiers (*+, ++) are not supported (RE2)"),
    (re.compile(r"\(\?P?<\w"), "named groups differ between engines; use (?:...)"),
)


def check_pattern(pattern: str) -> str | None:
    """What is wrong with one pattern, or None."""
    if not isinstance(pattern, str) or not pattern.strip():
        return "an empty pattern; remove it"
    if _is_regex(pattern):
        body = pattern[1:-1]
        for construct, why in _NOT_PORTABLE:
            if construct.search(body):
                return f"'{pattern}': {why}"
        try:
            compiled = re.compile(body)
        except re.error as exc:
            return f"'{pattern}' is not a valid regular expression: {exc}"
        if re.search(r"\(\?<?[=!]|\\[1-9]", body):
            return f"'{pattern}': look-around and back-references are not supported (RE2)"
        if compiled.fullmatch("") is not None:
            return f"'{pattern}' matches empty text, so it would tag every comment"
        if any(c.isupper() or ord(c) > 127 for c in re.sub(r"\\.", "", body)):
            return (
                f"'{pattern}': write a regular expression in lower case without accents; "
                "comments are compared that way"
            )
        return None
    words = pattern.split()
    if any("*" in w.rstrip("*") or w.count("*") > 1 for w in words):
        return f"'{pattern}': '*' may only end a word (e.g. damag*)"
    if not all(normalise(w.rstrip("*")) for w in words):
        return f"'{pattern}': every word needs a letter or digit"
    return None


def pattern_regex(pattern: str) -> str:
    """The regular expression of one (valid) pattern over normalised text: a word or phrase
    with the spaces that bound it, a regular expression as written."""
    if _is_regex(pattern):
        return f"(?:{pattern[1:-1]})"
    words = " ".join(
        re.escape(normalise(w.rstrip("*"))).replace(r"\ ", " ") + (_REST if w.endswith("*") else "")
        for w in pattern.split()
    )
    return f" {words} "


def negated_regex(pattern: str) -> str:
    """The pattern's mention right after a negation."""
    regex = pattern_regex(pattern)
    return NEGATION + (f" {regex}" if _is_regex(pattern) else regex)


def theme_regex(theme: Theme) -> str:
    """One regular expression for all the theme's patterns."""
    return "(?:" + "|".join(pattern_regex(p) for p in theme.patterns) + ")"


THEMES_OF = re.compile(r"\bthemes_of\(\s*([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)\s*\)")


def theme_params(themes: Mapping[str, Theme]) -> dict[str, object]:
    """The bound parameters ``themes_of`` refers to, from the validated YAML only: per theme
    one expression of all its patterns (``$theme_<i>``); per pattern its expression
    (``$theme_<i>_<j>``) and that expression right after a negation (``$theme_<i>_<j>_neg``);
    and the accent folding table (``$fold_from``, ``$fold_to``)."""
    params: dict[str, object] = {"fold_from": FOLD_FROM, "fold_to": FOLD_TO}
    for i, theme in enumerate(themes.values()):
        params[f"theme_{i}"] = theme_regex(theme)
        for j, pattern in enumerate(theme.patterns):
            params[f"theme_{i}_{j}"] = pattern_regex(pattern)
            params[f"theme_{i}_{j}_neg"] = negated_regex(pattern)
    return params


def _without(text: str, regex: str) -> str:
    """``text`` with the matches of ``regex`` replaced by two spaces, so the spaces that bound
    the words around a match stay. A match takes the space after it, which the next one would
    start with: of abutting negated mentions ("not late not late") one pass removes every other
    one, and a second pass the rest."""
    return f"regexp_replace({text}, {regex}, '  ', 'g')"


def _themes_sql(text: str, themes: Mapping[str, Theme]) -> str:
    """The themes of normalised ``text`` (a column), in the YAML's order, as a list."""
    if not themes:
        return "CAST([] AS VARCHAR[])"
    cases = []
    for i, (name, theme) in enumerate(themes.items()):
        found = []
        for j in range(len(theme.patterns)):
            neg = f"$theme_{i}_{j}_neg"
            found.append(f"regexp_matches({_without(_without(text, neg), neg)}, $theme_{i}_{j})")
        mentions = " OR ".join(found)
        cases.append(
            f"CASE WHEN regexp_matches({text}, $theme_{i}) AND ({mentions}) THEN '{name}' END"
        )
    return f"list_filter([{', '.join(cases)}], lambda t: t IS NOT NULL)"


def expand_themes(sql: str, themes: Mapping[str, Theme]) -> str:
    """Model SQL with ``themes_of(column)`` written out: per theme, its patterns as bound
    parameters (each a constant, so an engine compiles it once), negated mentions removed first
    (``_without``), then matched. Theme names are validated lower_snake_case names. A mention counts when some
    pattern still matches after that pattern's negated mentions are removed, so "never called
    back" counts though "called back" right after "never" does not."""
    return THEMES_OF.sub(lambda m: _themes_sql(m.group(1), themes), sql)


def metric_name(theme: str) -> str:
    return f"{METRIC_PREFIX}{theme}"


DRILL = [
    "response_id", "customer_id", "order_id", "response_date", "touchpoint", "order_otif",
    "nps", "csat", "comment", "theme_names",
]  # fmt: skip


def theme_metrics(themes: Mapping[str, Theme]) -> dict[str, RatioMetric]:
    """A share metric per theme (and one for "other"): commented responses whose comment
    mentions it, among the commented responses."""
    from metrics.spec import Aggregate, RatioMetric

    labels = {**{n: (t.label, t.owner) for n, t in themes.items()}}
    labels[OTHER] = ("Other (no theme)", "Head of Customer Experience")
    out: dict[str, RatioMetric] = {}
    for name, (label, owner) in labels.items():
        what = "no theme of metrics.yaml" if name == OTHER else f"the theme '{label}'"
        out[metric_name(name)] = RatioMetric(
            type="ratio",
            model=VOICE_MODEL,
            label=f"Comments: {label}",
            description=(
                f"Share of commented survey responses whose comment mentions {what} "
                "(themes: in metrics.yaml), among responses with a comment."
            ),
            family="customer",
            owner=owner,
            format="percent",
            unit="fraction",
            direction="down",
            min_sample=30,
            numerator=Aggregate(agg="count", filter=f"list_contains(themes, '{name}')"),
            denominator=Aggregate(agg="count", filter="commented"),
            drill_columns=DRILL,
        )
    return out
