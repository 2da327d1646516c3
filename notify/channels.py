"""Deliver notices through the configured channels, retrying a failing one a few times.

A delivery never raises: its outcome is returned for the caller to report and record. It is
*sent*; *partly sent* (some recipients refused it: done, as sending it again would repeat it
to the others); *rejected* (the channel refused this message: a refused recipient, a payload
the service will not take; the channel stays open for the next one); or *failed* (the channel
did: a server down, no address configured). A channel that failed every attempt is not tried
again in the same run (its later notices fail as not attempted), so a dead server costs
seconds, not minutes.
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
from notify.digest import Digest
from notify.email import NotConfigured, PartlyDelivered, Rejected
from notify.messages import Notice

BACKOFF_SECONDS = 0.5  # doubled after each failed attempt


@dataclass(frozen=True)
class Delivery:
    channel: str
    recipients: tuple[str, ...]
    status: str  # sent | partly sent | rejected | failed
    detail: str  # where it went, or why not


@dataclass
class Deliverer:
    channels: Channels
    retries: int = 3
    dead: dict[str, str] = field(default_factory=dict)  # channel -> why it failed this run

    def deliver(
        self, notice: Notice | Digest, channel: str, recipients: tuple[str, ...]
    ) -> Delivery:
        if channel in self.dead:
            return Delivery(channel, recipients, "failed", f"not attempted: {self.dead[channel]}")
        if channel == "email" and not recipients:
            return Delivery(channel, recipients, "rejected", "no recipient address")
        try:
            send = self._sender(notice, channel, recipients)
        except ValueError as exc:  # a message the e-mail library will not build
            return Delivery(channel, recipients, "rejected", f"cannot be built: {exc}")
        status, detail = with_retries(send, self.retries)
        if status == "failed":
            self.dead[channel] = detail
        return Delivery(channel, recipients, status, detail)

    def check(self, channel: str) -> None:
        """Mark the channel dead, before anything is prepared for it, when its configuration
        lacks what it needs (no SMTP server, a webhook without its URL, no such channel)."""
        try:
            if channel not in self.channels.names():
                raise NotConfigured(f"no channel '{channel}' in alerts.yaml")
            if channel == "email":
                email.smtp_url(self.channels.email)
            elif channel in self.channels.webhooks:
                webhook.url_of(channel, self.channels.webhooks[channel])
        except NotConfigured as exc:
            self.dead[channel] = str(exc)

    def _sender(
        self, notice: Notice | Digest, channel: str, recipients: tuple[str, ...]
    ) -> Callable[[], str]:
        """The sending of one message, built first (once, whatever the retries)."""
        if channel == "email":
            cfg = self.channels.email
            msg = email.message(notice, sender=cfg.sender, to=recipients)
            return lambda: email.send(cfg, msg)
        if channel == "file":
            return lambda: _write_line(self.channels.file.path, notice, recipients)
        cfg = self.channels.webhooks[channel]
        payload = webhook.body(notice, cfg.format)
        return lambda: webhook.post(webhook.url_of(channel, cfg), payload)


def with_retries(send: Callable[[], str], attempts: int) -> tuple[str, str]:
    """(status, where it went or why not), after up to ``attempts`` tries; a message the channel
    refuses is not tried again."""
    wait = BACKOFF_SECONDS
    for attempt in range(1, attempts + 1):
        try:
            return "sent", send()
        except NotConfigured as exc:
            return "failed", str(exc)
        except PartlyDelivered as exc:
            return "partly sent", str(exc)
        except Rejected as exc:
            return "rejected", str(exc)
        except (OSError, HTTPException, ValueError) as exc:  # smtplib, urllib, sockets
            detail = f"{type(exc).__name__}: {exc}"
            if attempt == attempts:
                return "failed", f"failed after {attempt} attempt(s): {detail}"
            time.sleep(wait)
            wait *= 2
    return "failed", "not attempted"


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
