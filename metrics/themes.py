"""Themes of survey comments (``themes:`` in metrics.yaml): patterns -> regular expressions,
``themes_of(column)`` in model SQL written out over them, and a share metric per theme.

Theme assignment happens in one place, the ``voice`` model's SQL (``themes_of(text)``), for
every page, the command line and the stored models. It compares *normalised* comment text: lower case, accents
stripped, every run of characters other than letters and digits one space ("Didn't  arrive!"
-> "didn t arrive"). Patterns are normalised the same way here.

- A word or phrase matches whole words; ``damag*`` matches any ending (damaged, damage).
- ``/.../`` is a regular expression (RE2 syntax, lower case) over the normalised text.
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
_WORD = r"\w"  # RE2: an ASCII letter, digit or underscore (after accents are stripped)

NEGATION_WORDS = (
    "not", "no", "never", "without", "nothing", "none", "nor", "hardly",
    "isn t", "wasn t", "weren t", "aren t", "didn t", "don t", "doesn t", "hasn t", "haven t",
)  # fmt: skip
FILLER_WORDS = (
    "at all", "really", "even", "very", "too", "that", "so", "any", "a bit", "was", "were",
    "is", "be", "been", "arrive", "arrived", "come", "came",
)  # fmt: skip
NEGATION = (
    r"\b(?:" + "|".join(re.escape(w) for w in NEGATION_WORDS) + r")\s"
    r"(?:(?:" + "|".join(re.escape(w) for w in FILLER_WORDS) + r")\s)?"
)


def normalise(text: str) -> str:
    """Lower case, accents stripped, non-alphanumeric runs as one space (as the model's SQL)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]|_", " ", plain).split())


def _is_regex(pattern: str) -> bool:
    return len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/")


def check_pattern(pattern: str) -> str | None:
    """What is wrong with one pattern, or None."""
    if not isinstance(pattern, str) or not pattern.strip():
        return "an empty pattern; remove it"
    if _is_regex(pattern):
        body = pattern[1:-1]
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
    """The RE2 regular expression of one (valid) pattern, over normalised text."""
    if _is_regex(pattern):
        return f"(?:{pattern[1:-1]})"
    parts = []
    for word in pattern.split():
        core = re.escape(normalise(word.rstrip("*"))).replace(r"\ ", " ")
        parts.append(core + (f"{_WORD}*" if word.endswith("*") else ""))
    return r"\b" + " ".join(parts) + r"\b"


def theme_regex(theme: Theme) -> str:
    """One regular expression for all the theme's patterns."""
    return "(?:" + "|".join(pattern_regex(p) for p in theme.patterns) + ")"


THEMES_OF = re.compile(r"\bthemes_of\(\s*([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)\s*\)")


def theme_params(themes: Mapping[str, Theme]) -> dict[str, object]:
    """The bound parameters ``themes_of`` refers to, from the validated YAML only: per theme
    one expression of all its patterns (``$theme_<i>``); per pattern its expression
    (``$theme_<i>_<j>``) and that expression right after a negation (``$theme_<i>_<j>_neg``)."""
    params: dict[str, object] = {}
    for i, theme in enumerate(themes.values()):
        params[f"theme_{i}"] = theme_regex(theme)
        for j, pattern in enumerate(theme.patterns):
            regex = pattern_regex(pattern)
            params[f"theme_{i}_{j}"] = regex
            params[f"theme_{i}_{j}_neg"] = NEGATION + regex
    return params


def _themes_sql(text: str, themes: Mapping[str, Theme]) -> str:
    """The themes of normalised ``text`` (a column), in the YAML's order, as a list."""
    if not themes:
        return "[]::VARCHAR[]"
    cases = []
    for i, (name, theme) in enumerate(themes.items()):
        mentions = " OR ".join(
            f"regexp_matches(regexp_replace({text}, $theme_{i}_{j}_neg, ' ', 'g'), $theme_{i}_{j})"
            for j in range(len(theme.patterns))
        )
        cases.append(
            f"CASE WHEN regexp_matches({text}, $theme_{i}) AND ({mentions}) THEN '{name}' END"
        )
    return f"list_filter([{', '.join(cases)}], lambda t: t IS NOT NULL)"


def expand_themes(sql: str, themes: Mapping[str, Theme]) -> str:
    """Model SQL with ``themes_of(column)`` written out: per theme, its patterns as bound
    parameters (each a constant, so DuckDB compiles it once), negated mentions removed first,
    then matched. Theme names are validated lower_snake_case names. A mention counts when some
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
