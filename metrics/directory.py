"""The people directory: how a person's (or a role's) name becomes an e-mail address.

One rule for alerts, subscriptions and the access policy: the name in lowercase ASCII, its
words joined by dots, at ``northstar.example`` ("Aisha Rahman" -> aisha.rahman@northstar.example,
"COO" -> coo@northstar.example). A configured map of names to addresses overrides it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

DOMAIN = "northstar.example"


def email_for(name: str, overrides: Mapping[str, str | list[str]] | None = None) -> tuple[str, ...]:
    """The address(es) of ``name``: from ``overrides`` when it names them, else by the rule."""
    if overrides and name in overrides:
        given = overrides[name]
        return tuple([given] if isinstance(given, str) else given)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_name.lower())
    return (f"{'.'.join(words)}@{DOMAIN}",) if words else ()
