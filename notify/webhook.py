"""Chat webhooks: one JSON POST per alert, in Slack's or Microsoft Teams' shape."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from metrics.alert_spec import WebhookChannel
from notify.email import NotConfigured, Rejected
from notify.messages import Notice
from present.safe_text import slack_text, teams_text

REFUSED = (400, 413, 422)  # the service will not take this payload (it is not down)


def url_of(name: str, cfg: WebhookChannel) -> str:
    url = cfg.url or (os.environ.get(cfg.url_env) if cfg.url_env else None)
    if not url:
        raise NotConfigured(f"webhook '{name}' has no URL: set ${cfg.url_env} or give url:")
    return url


def body(notice: Notice, fmt: str) -> dict:
    """Slack: ``text`` (mrkdwn link). Teams (workflows): a message with an Adaptive Card. Every
    value is escaped for its format, so a customer name cannot ping the channel, make a link or
    format the message."""
    esc = slack_text if fmt == "slack" else teams_text
    facts = [(k, esc(v)) for k, v in notice.lines()]
    text = f"{esc(notice.subject)}\n" + "\n".join(f"{k}: {v}" for k, v in facts)
    if fmt == "slack":
        return {"text": f"{text}\n<{slack_text(notice.url)}|Open in North Star>"}
    card = {
        "type": "AdaptiveCard",
        "version": "1.4",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "body": [
            {"type": "TextBlock", "text": esc(notice.subject), "weight": "Bolder", "wrap": True},
            {"type": "FactSet", "facts": [{"title": k, "value": v} for k, v in facts]},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open in North Star", "url": notice.url}],
    }
    return {
        "type": "message",
        "text": text,
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


def post(url: str, payload: dict, *, timeout: float = 10) -> str:
    """POST the payload; raises Rejected when the service refuses this payload, OSError when
    the service fails."""
    req = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return f"HTTP {resp.status}"
    except urllib.error.HTTPError as exc:
        if exc.code in REFUSED:
            raise Rejected(f"HTTP {exc.code}: {exc.read(200).decode(errors='replace')}") from exc
        raise
