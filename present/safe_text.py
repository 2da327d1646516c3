"""Text from the data made harmless where it is shown: one function per place (e-mail headers,
Slack, Teams cards, terminal tables, the screen), each taking any value and giving text that
reads as the value and does nothing else. CSV cells: ``present.csv_safe``.

Everything starts from ``plain_text``: one line, without terminal escape sequences, control
characters or bidi controls (a right-to-left override would show ``(A)`` as ``(A)`` reversed,
putting another customer's id on screen).
"""

from __future__ import annotations

import re

from rich.text import Text

_ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, clearing the screen
    r"|\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM and APC strings
    r"|[ -/]*[0-~])?"  # any other: ESC, intermediates, one final byte (or a lone ESC)
)
_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]+")  # what str.splitlines splits on
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_~\[\]<>])")  # emphasis, code, links and images, tags


def plain_text(value: object) -> str:
    """``value`` as one line of text (None: empty): escape sequences, C0/C1 control characters
    and bidi controls (U+061C, U+200E/F, U+202A-E, U+2066-9) removed; line breaks and tabs as
    one space."""
    text = "" if value is None else str(value)
    text = _BREAKS.sub(" ", _ESCAPE_SEQUENCE.sub("", text))
    return _INVISIBLE.sub("", text)


def header_value(value: object) -> str:
    """An e-mail header's value (a subject, an address): one line, so nothing in it can end the
    header and start another (``Bcc:``) or stop the message from being built."""
    return plain_text(value).strip()


def slack_text(value: object) -> str:
    """Text in a Slack mrkdwn message: ``&``, ``<`` and ``>`` as the entities Slack documents,
    so no value can ping ``<!channel>``, mention someone or make a ``<url|link>``."""
    return plain_text(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_text(value: object) -> str:
    """Text in a Teams Adaptive Card (Markdown, no HTML): every Markdown character escaped with
    a backslash, so no value makes a ``[link](url)``, emphasis or an ``<at>`` mention."""
    return _MARKDOWN.sub(r"\\\1", plain_text(value))


def terminal_text(value: object) -> Text:
    """A cell for a rich table: the plain text as a ``Text``, which rich never reads as markup
    (``[/x]`` and ``[link=...]`` print as they are, and cannot crash the table) or emoji codes."""
    return Text(plain_text(value))
