"""Themes of survey comments (``themes:`` in metrics.yaml): ``themes_of(column)`` in model SQL
written out over the patterns' regular expressions (metrics.theme_patterns), and a share metric
per theme.

Theme assignment happens in one place, the ``voice`` model's SQL (``themes_of(text)``), for
every page, the command line and the stored models, on every engine. It compares normalised
comment text (metrics.theme_patterns). A comment can carry several themes; a comment with none
is "other".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from metrics.spec import Aggregate, RatioMetric, Theme
from metrics.theme_patterns import (
    FOLD_FROM,
    FOLD_TO,
    mentions_regex,
    negated_tail,
    pattern_regex,
    scope_regex,
    unsaid_regex,
)

VOICE_MODEL = "voice"  # the model whose `themes` column the theme metrics count
OTHER = "other"  # the theme of a comment no pattern matches
METRIC_PREFIX = "theme_"


def _split(theme: Theme) -> tuple[list[str], list[str]]:
    """The theme's patterns that name it as they stand ("late"), and what its negated
    patterns name once negated ("on time" of "not on time")."""
    said = [p for p in theme.patterns if negated_tail(p) is None]
    tails = [t for t in map(negated_tail, theme.patterns) if t is not None]
    return said, tails


def theme_regex(theme: Theme) -> str:
    """One regular expression for all the theme's words, negated or not: a cheap first test."""
    said, tails = _split(theme)
    return "(?:" + "|".join([pattern_regex(p) for p in said + tails]) + ")"


THEMES_OF = re.compile(r"\bthemes_of\(\s*([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)\s*\)")


def theme_params(themes: Mapping[str, Theme]) -> dict[str, object]:
    """The bound parameters ``themes_of`` refers to, from the validated YAML only: per theme
    its first test (``$theme_<i>``); its patterns that name it as they stand
    (``$theme_<i>_said``) and the negation scopes that end at one of them
    (``$theme_<i>_scope``); what its negated patterns name, inside a negation scope
    (``$theme_<i>_unsaid``); and the accent folding table (``$fold_from``, ``$fold_to``)."""
    params: dict[str, object] = {"fold_from": FOLD_FROM, "fold_to": FOLD_TO}
    mentions = mentions_regex([p for t in themes.values() for p in t.patterns])
    for i, theme in enumerate(themes.values()):
        said, tails = _split(theme)
        params[f"theme_{i}"] = theme_regex(theme)
        if said:
            params[f"theme_{i}_said"] = "(?:" + "|".join(map(pattern_regex, said)) + ")"
            params[f"theme_{i}_scope"] = scope_regex(mentions, said)
        if tails:
            params[f"theme_{i}_unsaid"] = unsaid_regex(mentions, tails)
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
        said, tails = _split(theme)
        found = []
        if said:
            scope = f"$theme_{i}_scope"
            found.append(
                f"regexp_matches({_without(_without(text, scope), scope)}, $theme_{i}_said)"
            )
        if tails:
            found.append(f"regexp_matches({text}, $theme_{i}_unsaid)")
        mentions = " OR ".join(found)
        cases.append(
            f"CASE WHEN regexp_matches({text}, $theme_{i}) AND ({mentions}) THEN '{name}' END"
        )
    return f"list_filter([{', '.join(cases)}], lambda t: t IS NOT NULL)"


def expand_themes(sql: str, themes: Mapping[str, Theme]) -> str:
    """Model SQL with ``themes_of(column)`` written out: per theme, its patterns as bound
    parameters (each a constant, so an engine compiles it once). Theme names are validated
    lower_snake_case names. A theme is mentioned when one of its words is still there once the
    negation scopes that end at its words are removed (``_without``): "no delays or damage"
    mentions neither, "not late but damaged" damage; or when what a negated pattern names
    stands inside a negation scope: "wasn't on time" is late (pattern "not on time")."""
    return THEMES_OF.sub(lambda m: _themes_sql(m.group(1), themes), sql)


def metric_name(theme: str) -> str:
    return f"{METRIC_PREFIX}{theme}"


DRILL = [
    "response_id", "customer_id", "order_id", "response_date", "touchpoint", "order_otif",
    "nps", "csat", "comment", "theme_names",
]  # fmt: skip


def theme_metrics(themes: Mapping[str, Theme], min_sample: int = 30) -> dict[str, RatioMetric]:
    """A share metric per theme (and one for "other"): commented responses whose comment
    mentions it, among the commented responses."""
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
            min_sample=min_sample,  # settings.min_sample
            numerator=Aggregate(agg="count", filter=f"list_contains(themes, '{name}')"),
            denominator=Aggregate(agg="count", filter="commented"),
            drill_columns=DRILL,
        )
    return out
