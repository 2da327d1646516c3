"""What an alert says: subject, plain text, HTML (every outside value escaped) and its link.
Values from the data come as plain one-line text (``present.safe_text``); each channel escapes
them for its own format."""

from __future__ import annotations

import html
import os
from dataclasses import dataclass

from present import format as fmt
from present.safe_text import plain_text

DEFAULT_BASE_URL = "http://localhost:8501"


@dataclass(frozen=True)
class Notice:
    state: str  # new | ongoing | recovered
    alert: dict  # Alert.as_json()
    url: str  # the page, absolute
    records_csv: str | None = None  # the records behind it (formula-safe CSV)
    label: str | None = None  # the metric's label (metrics.yaml)
    rule_text: str | None = None  # the rule's description (alerts.yaml)
    value_format: str | None = None  # the metric's display format: 87.3%, 5m 43s, €12.40
    main_reason: str | None = None  # the commonest miss reason of the records, in words
    scope_text: str | None = None  # the scope with its dimensions' labels: 'Portfolio Retail'

    @property
    def headline(self) -> str:
        return (
            "This alert no longer fires: " + self.summary
            if self.state == "recovered"
            else self.summary
        )

    def attachments(self) -> list[tuple[str, str]]:
        """(file name, CSV) of the records behind it, if any."""
        if not self.records_csv:
            return []
        scope = "-".join(str(v) for v in self.alert["scope"].values())
        name = plain_text(f"{self.alert['rule']}-{scope}" if scope else self.alert["rule"])
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:80]
        return [(f"{safe}-records.csv", self.records_csv)]

    @property
    def subject(self) -> str:
        tag = {"new": "Alert", "ongoing": "Still firing", "recovered": "Recovered"}[self.state]
        return f"[North Star] {tag}: {self.summary}"[:200]

    @property
    def summary(self) -> str:
        return plain_text(self.alert["summary"])

    def lines(self) -> list[tuple[str, str]]:
        a = self.alert
        scope = self.scope_text or ", ".join(f"{k} = {v}" for k, v in a["scope"].items())
        scope = scope or "the whole company"
        period = a["period"] + ("" if a["period_end"] == a["period"] else f" to {a['period_end']}")
        value = self._value(a["value"])
        if a.get("n") is not None and a["value"] is not None:
            value += f" (over {a['n']:,} records)"
        lines = [
            ("Why", self.rule_text or a["rule"]),
            ("Metric", self.label or a["metric"] or ""),
            ("Scope", scope),
            ("Period", period),
            ("Value", value),
            ("Target", self._value(a["target"])),
            *([("Main miss reason", self.main_reason)] if self.main_reason else []),
            ("Accountable", a["owner"]),
        ]
        return [(k, plain_text(v)) for k, v in lines]

    def _value(self, v: object) -> str:
        if self.value_format and isinstance(v, (int, float)):
            return fmt.value(float(v), self.value_format)
        return _plain(v)

    def text(self) -> str:
        head = "This alert no longer fires." if self.state == "recovered" else self.summary
        body = "\n".join(f"{k}: {v}" for k, v in self.lines())
        return f"{head}\n\n{body}\n\nOpen: {self.url}\n"

    def html(self) -> str:
        esc = html.escape
        head = "This alert no longer fires." if self.state == "recovered" else self.summary
        rows = "".join(
            f"<tr><th align='left'>{esc(k)}</th><td>{esc(str(v))}</td></tr>"
            for k, v in self.lines()
        )
        attached = "<p>The records behind it are attached as CSV.</p>" if self.records_csv else ""
        return (
            f"<html><body><p><strong>{esc(head)}</strong></p><table>{rows}</table>{attached}"
            f'<p><a href="{esc(self.url, quote=True)}">Open in North Star</a></p></body></html>'
        )


def _plain(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def base_url(configured: str | None) -> str:
    """The dashboard's address for links: alerts.yaml, else $NORTHSTAR_BASE_URL, else local."""
    return (configured or os.environ.get("NORTHSTAR_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
