"""Theme patterns (``themes.<name>.patterns`` in metrics.yaml): the rules a pattern must meet,
and its regular expression over normalised comment text.

Comments are compared *normalised*: lower case, accents folded (``translate`` with the table
``FOLD_FROM`` -> ``FOLD_TO``, the same on every engine), every run of characters other than letters
and digits one space, and a space at each end ("Didn't  arrive!" -> " didn t arrive "). Patterns
are normalised the same way here (``normalise``).

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
"""

from __future__ import annotations

import re
import unicodedata

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
