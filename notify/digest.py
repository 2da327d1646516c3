"""One e-mail per recipient per run: every alert of the run for that person, grouped by what it is
about (customer or scope, then metric), values in their units, the main miss reason, one link
each, the records attached; and the run's summary for the North Star's owner.

Values from the data come as plain one-line text (``present.safe_text``); the e-mail escapes
them for HTML, and header values are checked where the message is built (``notify.email``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

from notify.messages import Notice
from present.safe_text import plain_text

STATE_WORD = {"new": "new", "ongoing": "still firing", "recovered": "recovered"}


@dataclass(frozen=True)
class RunSummary:
    """What one run found and who it went to (for the North Star's owner)."""

    counts: dict[str, int]  # state -> alerts
    per_recipient: dict[str, int]  # address -> alerts in their digest

    def lines(self) -> list[str]:
        states = ", ".join(f"{n} {STATE_WORD[s]}" for s, n in self.counts.items() if n)
        told = "; ".join(f"{plain_text(a)}: {n}" for a, n in sorted(self.per_recipient.items()))
        return [f"This run: {states or 'nothing to send'}.", f"Sent to: {told or 'nobody'}."]


@dataclass(frozen=True)
class Digest:
    notices: tuple[Notice, ...]
    warning: str | None = None  # e.g. links point at a local address: no base URL is set
    summary: RunSummary | None = None

    @property
    def subject(self) -> str:
        if not self.notices:
            return "[North Star] Alert run summary"
        first = self.notices[0]
        scope = plain_text(first.scope_text or _scope(first.alert))
        head = f"{first.headline}" + (f" · {scope}" if scope else "")
        more = len(self.notices) - 1
        tail = f" (+{more} more)" if more else ""
        return f"[North Star] {len(self.notices)} alert{'s' if more else ''}: {head}{tail}"[:200]

    def groups(self) -> list[tuple[str, list[Notice]]]:
        """The notices by what they are about (scope), in first-seen order."""
        out: dict[str, list[Notice]] = {}
        for n in self.notices:
            out.setdefault(
                plain_text(n.scope_text or _scope(n.alert)) or "Whole company", []
            ).append(n)
        return list(out.items())

    def attachments(self) -> list[tuple[str, str]]:
        return [a for n in self.notices for a in n.attachments()]

    def text(self) -> str:
        parts = [self.warning] if self.warning else []
        for scope, notices in self.groups():
            parts.append(scope)
            for n in notices:
                body = "\n".join(f"  {k}: {v}" for k, v in n.lines())
                parts.append(f"- {n.headline} ({STATE_WORD[n.state]})\n{body}\n  Open: {n.url}")
        if self.summary:
            parts += ["Run summary", *self.summary.lines()]
        return "\n\n".join(parts) + "\n"

    def html(self) -> str:
        esc = html.escape
        parts = [f"<p><strong>{esc(self.warning)}</strong></p>"] if self.warning else []
        for scope, notices in self.groups():
            parts.append(f"<h3>{esc(scope)}</h3>")
            for n in notices:
                rows = "".join(
                    f"<tr><th align='left'>{esc(k)}</th><td>{esc(str(v))}</td></tr>"
                    for k, v in n.lines()
                )
                parts.append(
                    f"<p><strong>{esc(n.headline)}</strong> ({esc(STATE_WORD[n.state])})</p>"
                    f"<table>{rows}</table>"
                    f'<p><a href="{esc(n.url, quote=True)}">Open in North Star</a></p>'
                )
        if self.attachments():
            parts.append("<p>The records behind the alerts are attached as CSV.</p>")
        if self.summary:
            parts.append("<h3>Run summary</h3>")
            parts += [f"<p>{esc(x)}</p>" for x in self.summary.lines()]
        return f"<html><body>{''.join(parts)}</body></html>"


def _scope(alert: dict) -> str:
    return plain_text(", ".join(f"{k} {v}" for k, v in alert["scope"].items()))


def digests(
    notices: Sequence[tuple[Notice, Sequence[str]]],
    *,
    warning: str | None = None,
    summary_to: Sequence[str] = (),
    summary: RunSummary | None = None,
) -> dict[str, Digest]:
    """Recipient address -> their digest: each notice once in the digest of each of its
    recipients; the run summary in the digests of ``summary_to`` (alone when they get none)."""
    by_address: dict[str, list[Notice]] = {}
    for notice, recipients in notices:
        for address in dict.fromkeys(recipients):
            by_address.setdefault(address, []).append(notice)
    out = {a: Digest(tuple(ns), warning) for a, ns in by_address.items()}
    if summary is not None:
        for address in summary_to:
            d = out.get(address, Digest((), warning))
            out[address] = Digest(d.notices, warning, summary)
    return out
