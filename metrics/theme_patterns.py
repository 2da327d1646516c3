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
- Negation has a scope: a negation word (not, no, never, without, wasn't, didnt, pas, sans,
  jamais ...) negates the theme words that follow it over filler words ("none of the boxes were
  damaged", "wasn't delivered late") and along a list joined by "or" ("no delays or damage") or
  "and" straight to the next theme word ("without delays and damage"); any other word ends the
  scope, a contrast first of all ("not late but damaged" mentions damage). A negated mention is
  ignored; other mentions in the same comment still count.
- A word pattern that starts with a negation ("not on time", "never called back") names its
  theme only when negated, by any negation within its scope: "wasn't on time", "didn't arrive
  on time", "pas a l heure" are late. Filler nouns ("never had a problem, on time") do not carry
  this scope, and a list only by "or" ("not damaged and on time" is not late).
- Punctuation is a space once normalised, so a scope cannot see a sentence end or a comma list
  without "or"/"and" ("No, the delivery was late" reads as negated).

Typos are caught only when a pattern lists them (e.g. ``recieved``) or a stem covers them.
"""

from __future__ import annotations

import re
import unicodedata

_REST = "[^ ]*"  # the rest of a word (words of normalised text lie between single spaces)

# Words that open a negation scope, as normalised text reads them ("wasn't" -> "wasn t"), in the
# languages the comments are written in (English; French: "ne ... pas", "sans", "jamais").
NEGATION_WORDS = (
    "not", "no", "never", "without", "nothing", "none", "nor", "neither", "nobody", "no one",
    "noone", "hardly",
    "isn t", "wasn t", "weren t", "aren t", "didn t", "don t", "doesn t", "hasn t", "haven t",
    "hadn t", "can t", "cannot", "couldn t", "won t", "wouldn t", "shouldn t",
    "isnt", "wasnt", "werent", "arent", "didnt", "dont", "doesnt", "hasnt", "havent", "hadnt",
    "cant", "couldnt", "wouldnt", "shouldnt",
    "ne", "pas", "sans", "jamais", "aucun", "aucune", "rien", "ni",
)  # fmt: skip
# Words a negation reaches over to the theme word it negates ("wasn't delivered on time",
# "none of the boxes were damaged"): function words and the generic nouns and verbs of an
# order. Single words, none of them a theme's word, none of them a contrast ("but", "mais"),
# so a scope ends at the first other word.
FILLER_WORDS = (
    "a", "an", "the", "any", "at", "all", "really", "even", "very", "too", "that", "so", "bit",
    "quite", "yet", "ever", "once", "single", "one", "of", "my", "our", "your", "this", "these",
    "those", "it", "its", "they", "them", "me", "us", "we", "i", "there", "in", "with", "from",
    "to", "was", "were", "is", "are", "be", "been", "being", "get", "got", "getting", "have",
    "has", "had", "need", "arrive", "arrived", "arrives", "come", "came", "deliver",
    "delivered", "delivery", "shipped", "ordered", "item", "items", "box", "boxes", "parcel",
    "parcels", "package", "packages", "goods", "order", "orders", "product", "products",
    "pallet", "pallets", "thing", "things", "anything", "problem", "problems", "issue",
    "issues", "sign", "signs", "waiting", "more", "much", "wrong",
    "de", "du", "des", "d", "le", "la", "les", "l", "un", "une", "m", "j", "il", "elle", "y",
    "ete", "eu", "arrive", "arrivee", "arrivees", "arrives", "livre", "livree", "livrees",
    "livres", "commande", "colis", "vraiment", "tout", "pas", "jamais", "plus",
)  # fmt: skip
# The nouns among them: a negation reaches over these to a word it cancels ("no problems with
# damage") but not to a phrase that names a theme only when negated ("never had a problem, on
# time as always" is not late).
NOUN_FILLERS = frozenset({
    "item", "items", "box", "boxes", "parcel", "parcels", "package", "packages", "goods",
    "order", "orders", "product", "products", "pallet", "pallets", "thing", "things", "anything",
    "problem", "problems", "issue", "issues", "sign", "signs", "delivery", "commande", "colis",
})  # fmt: skip
# Words that continue a negated list ("no delays or damage", "sans retard ou casse"): after
# "or" the scope goes on over filler words; after "and" only straight to the next theme word
# ("without delays and damage", but "wasn't on time and was damaged" ends at "and").
OR_WORDS = ("or", "ou")
AND_WORDS = ("and", "et")


def _words(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", " ") for w in dict.fromkeys(words))


NEGATOR = rf" (?:{_words(NEGATION_WORDS)})"
FILLERS = rf"(?: (?:{_words(FILLER_WORDS)}))*"
TIGHT_FILLERS = rf"(?: (?:{_words(tuple(w for w in FILLER_WORDS if w not in NOUN_FILLERS))}))*"
# A negation and the filler words after it; a theme word follows.
NEGATION = NEGATOR + FILLERS
_OR = rf" (?:{_words(OR_WORDS)}){FILLERS}"
_OR_TIGHT = rf" (?:{_words(OR_WORDS)}){TIGHT_FILLERS}"
_AND = rf" (?:{_words(AND_WORDS)})"


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


def _core(pattern: str) -> str:
    """The pattern's regular expression with the space before it and none after: a word or
    phrase " w1 w2" (a stem's rest of word ``[^ ]*``), a regular expression " (?:...)"."""
    if _is_regex(pattern):
        return f" (?:{pattern[1:-1]})"
    return "".join(
        " "
        + re.escape(normalise(w.rstrip("*"))).replace(r"\ ", " ")
        + (_REST if w.endswith("*") else "")
        for w in pattern.split()
    )


def pattern_regex(pattern: str) -> str:
    """The regular expression of one (valid) pattern over normalised text: a word or phrase
    with the spaces that bound it, a regular expression as written."""
    if _is_regex(pattern):
        return f"(?:{pattern[1:-1]})"
    return _core(pattern) + " "


_NEGATIONS = frozenset(NEGATION_WORDS)


def negated_tail(pattern: str) -> str | None:
    """What a pattern that starts with a negation ("not on time", "never called back",
    "didn't listen*") names once negated ("on time", "called back", "listen*"), or None for a
    pattern that names its theme as it stands. Such a pattern matches the rest after any
    negation, within its scope: "wasn't on time", "didn't arrive on time", "pas a l heure"."""
    if _is_regex(pattern):
        return None
    words = pattern.split()
    for k in (3, 2, 1):  # "no one", "didn t" (two words once normalised), "not"
        head = normalise(" ".join(words[:k]))
        if len(words) > k and head in _NEGATIONS and not words[k - 1].endswith("*"):
            return " ".join(words[k:])
    return None


def _alt(regexes: list[str]) -> str:
    return "(?:" + "|".join(dict.fromkeys(regexes)) + ")"


def mentions_regex(patterns: list[str]) -> str:
    """Any theme's word or phrase (as it stands, or what a negated pattern names), with the
    space before it: the items of a negated list ("no delays or damage")."""
    return _alt([_core(negated_tail(p) or p) for p in patterns])


def scope_regex(mentions: str, said: list[str]) -> str:
    """A negation scope that ends at one of ``said`` (patterns that name their theme as they
    stand): a negation, filler words, then theme words joined by "or" (and filler words) or
    "and" (straight to the next theme word), the last one of ``said``. "no delays or damage"
    negates both; a contrast ("but", "mais") or any other word ends the scope."""
    ends = _alt([_core(p) + ("" if _is_regex(p) else " ") for p in said])
    return f"{NEGATION}(?:{mentions}(?:{_OR}|{_AND}))*{ends}"


def unsaid_regex(mentions: str, tails: list[str]) -> str:
    """What negated patterns name, inside a negation scope: "wasn't on time", "never on time",
    "not damaged or on time". Only "or" continues the list here: in "not damaged and on time"
    the "on time" is said."""
    ends = _alt([_core(t) + " " for t in tails])
    return f"{NEGATOR}{TIGHT_FILLERS}(?:{mentions}{_OR_TIGHT})*{ends}"
