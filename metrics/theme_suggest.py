"""Candidate themes from the comments no theme matches: TF-IDF over the normalised comments,
factorised with NMF (scikit-learn, local, no downloads), written as YAML a person can paste
under ``themes:`` in metrics.yaml after naming the owner and pruning the patterns."""

from __future__ import annotations

import re
from dataclasses import dataclass

from metrics.theme_patterns import normalise

MIN_COMMENTS = 10  # fewer "other" comments than this say too little to group
# What is left of "don't", "wasn't" ... once punctuation is a space.
_CONTRACTIONS = frozenset({"don", "didn", "doesn", "isn", "wasn", "weren", "aren", "couldn", "won"})


@dataclass(frozen=True)
class Candidate:
    name: str  # lower_snake_case, from its top term
    terms: tuple[str, ...]  # most telling words and two-word phrases first
    comments: int  # "other" comments it is the strongest theme of
    examples: tuple[str, ...]


def suggest(comments: list[str], *, themes: int = 5, examples: int = 3) -> list[Candidate]:
    """Up to ``themes`` candidate themes in ``comments``, the most common first."""
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [normalise(c) for c in comments]
    if len([t for t in texts if t]) < MIN_COMMENTS:
        return []
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    stop = sorted(ENGLISH_STOP_WORDS | _CONTRACTIONS)
    vec = TfidfVectorizer(ngram_range=(1, 2), stop_words=stop, min_df=2, sublinear_tf=True)
    try:
        matrix = vec.fit_transform(texts)
    except ValueError:  # nothing but stop words
        return []
    k = max(1, min(themes, matrix.shape[0] // MIN_COMMENTS, matrix.shape[1]))
    model = NMF(n_components=k, init="nndsvda", random_state=0, max_iter=400)
    weights = model.fit_transform(matrix)
    vocab = vec.get_feature_names_out()
    strongest = weights.argmax(axis=1)
    out = []
    for j, component in enumerate(model.components_):
        members = [i for i in range(len(texts)) if strongest[i] == j and weights[i, j] > 0]
        if not members:
            continue
        terms = tuple(str(vocab[t]) for t in component.argsort()[::-1][:8] if component[t] > 0)
        ranked = sorted(members, key=lambda i: -weights[i, j])
        seen: list[str] = []
        for i in ranked:
            if texts[i] not in (normalise(s) for s in seen):
                seen.append(comments[i])
            if len(seen) == examples:
                break
        out.append(Candidate(_name(terms), terms, len(members), tuple(seen)))
    return sorted(out, key=lambda c: -c.comments)


def _name(terms: tuple[str, ...]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", terms[0] if terms else "theme").strip("_") or "theme"
    return f"new_{base}" if base[0].isdigit() else base


def _patterns(terms: tuple[str, ...], n: int = 5) -> list[str]:
    """The top terms, leaving out a word that a chosen phrase already holds."""
    chosen: list[str] = []
    for t in terms:
        if any(t in c.split() or c in t.split() for c in chosen):
            continue
        chosen.append(t)
        if len(chosen) == n:
            break
    return chosen


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _one_line(text: str, width: int = 90) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def as_yaml(candidates: list[Candidate], total: int) -> str:
    """The candidates as a ``themes:`` block, each with its top terms and examples as comments."""
    lines = [
        f"# {len(candidates)} candidate theme(s) from {total} comment(s) no theme matches.",
        "# Paste the ones worth keeping under 'themes:' in metrics.yaml, name who acts on each",
        "# (owner) and prune the patterns; `northstar check` validates the result.",
        "themes:",
    ]
    names: set[str] = set()
    for c in candidates:
        name = c.name
        while name in names:
            name += "_2"
        names.add(name)
        lines += [
            f"  # {c.comments} comment(s); top terms: {', '.join(c.terms)}",
            *(f"  #   e.g. {_one_line(e)}" for e in c.examples),
            f"  {name}:",
            f"    label: {_quoted(name.replace('_', ' ').capitalize())}",
            "    owner: TO BE NAMED",
            f"    patterns: [{', '.join(_quoted(p) for p in _patterns(c.terms))}]",
        ]
    return "\n".join(lines) + "\n"
