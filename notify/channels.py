"""Deliver notices through the configured channels, retrying a failing one a few times.

A delivery never raises: its outcome (ok, or why not) is returned for the caller to report.
A channel that failed every attempt is not tried again in the same run (its later notices are
reported as not attempted), so a dead server costs seconds, not minutes.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path

from metrics.alert_spec import Channels
from notify import email, webhook
from notify.email import NotConfigured
from notify.messages import Notice

BACKOFF_SECONDS = 0.5  # doubled after each failed attempt


@dataclass(frozen=True)
class Delivery:
    channel: str
    recipients: tuple[str, ...]
    ok: bool
    detail: str  # where it went, or why it failed


@dataclass
class Deliverer:
    channels: Channels
    retries: int = 3
    dead: dict[str, str] = field(default_factory=dict)  # channel -> why it failed this run

    def deliver(self, notice: Notice, channel: str, recipients: tuple[str, ...]) -> Delivery:
        if channel in self.dead:
            return Delivery(channel, recipients, False, f"not attempted: {self.dead[channel]}")
        if channel == "email" and not recipients:
            return Delivery(channel, recipients, False, "no recipient address")
        ok, detail = with_retries(lambda: self._send(notice, channel, recipients), self.retries)
        if not ok:
            self.dead[channel] = detail
        return Delivery(channel, recipients, ok, detail)

    def check(self, channel: str) -> None:
        """Mark the channel dead, before anything is prepared for it, when its configuration
        lacks what it needs (no SMTP server, a webhook without its URL)."""
        try:
            if channel == "email":
                email.smtp_url(self.channels.email)
            elif channel in self.channels.webhooks:
                webhook.url_of(channel, self.channels.webhooks[channel])
        except NotConfigured as exc:
            self.dead[channel] = str(exc)

    def _send(self, notice: Notice, channel: str, recipients: tuple[str, ...]) -> str:
        if channel == "email":
            cfg = self.channels.email
            return email.send(cfg, email.message(notice, sender=cfg.sender, to=recipients))
        if channel == "file":
            return _write_line(self.channels.file.path, notice, recipients)
        cfg = self.channels.webhooks[channel]
        return webhook.post(webhook.url_of(channel, cfg), webhook.body(notice, cfg.format))


def with_retries(send: Callable[[], str], attempts: int) -> tuple[bool, str]:
    """(True, where it went) or (False, why not), after up to ``attempts`` tries."""
    wait = BACKOFF_SECONDS
    for attempt in range(1, attempts + 1):
        try:
            return True, send()
        except NotConfigured as exc:
            return False, str(exc)
        except (OSError, HTTPException, ValueError) as exc:  # smtplib, urllib, sockets
            detail = f"{type(exc).__name__}: {exc}"
            if attempt == attempts:
                return False, f"failed after {attempt} attempt(s): {detail}"
            time.sleep(wait)
            wait *= 2
    return False, "not attempted"


def _write_line(path: str, notice: Notice, recipients: tuple[str, ...]) -> str:
    line = json.dumps(
        {"state": notice.state, **notice.alert, "recipients": list(recipients), "url": notice.url}
    )
    if path == "-":
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return "stdout"
    with Path(path).open("a", encoding="utf-8") as f:
        f.write(line + "\n")
    return path
