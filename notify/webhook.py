"""Chat webhooks: one JSON POST per alert, in Slack's or Microsoft Teams' shape."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request

from metrics.alert_spec import WebhookChannel
from notify.email import NotConfigured
from notify.messages import Notice


def url_of(name: str, cfg: WebhookChannel) -> str:
    url = cfg.url or (os.environ.get(cfg.url_env) if cfg.url_env else None)
    if not url:
        raise NotConfigured(f"webhook '{name}' has no URL: set ${cfg.url_env} or give url:")
    return url


def body(notice: Notice, fmt: str) -> dict:
    """Slack: ``text`` (mrkdwn link). Teams (workflows): a message with an Adaptive Card."""
    text = f"{notice.subject}\n" + "\n".join(f"{k}: {v}" for k, v in notice.lines())
    if fmt == "slack":
        return {"text": f"{text}\n<{notice.url}|Open in North Star>"}
    card = {
        "type": "AdaptiveCard",
        "version": "1.4",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "body": [
            {"type": "TextBlock", "text": notice.subject, "weight": "Bolder", "wrap": True},
            {
                "type": "FactSet",
                "facts": [{"title": k, "value": str(v)} for k, v in notice.lines()],
            },
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
    req = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return f"HTTP {resp.status}"
