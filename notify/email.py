"""E-mail over SMTP: an HTML body with a plain-text part and the records as a CSV attachment."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from metrics.alert_spec import EmailChannel
from notify.messages import Notice

SMTP_ENV = "NORTHSTAR_SMTP_URL"


class NotConfigured(Exception):
    """A channel without the address it needs; not worth retrying."""


def smtp_url(cfg: EmailChannel) -> str:
    url = cfg.smtp_url or os.environ.get(SMTP_ENV)
    if not url:
        raise NotConfigured(
            f"no SMTP server: set {SMTP_ENV}=smtp://host:port or channels.email.smtp_url"
        )
    return url


def message(notice: Notice, *, sender: str, to: tuple[str, ...]) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = notice.subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg.set_content(notice.text())
    msg.add_alternative(notice.html(), subtype="html")
    if notice.records_csv:
        name = f"{notice.alert['rule']}-records.csv"
        msg.add_attachment(
            notice.records_csv.encode(), maintype="text", subtype="csv", filename=name
        )
    return msg


def send(cfg: EmailChannel, msg: EmailMessage) -> str:
    """Send one message; raises OSError / smtplib.SMTPException on failure."""
    url = urlsplit(smtp_url(cfg))
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise NotConfigured(f"the SMTP URL must read smtp://host:port, not {url.geturl()!r}")
    port = url.port or (465 if url.scheme == "smtps" else 25)
    client = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    with client(url.hostname, port, timeout=cfg.timeout_seconds) as smtp:
        if url.username:
            smtp.login(unquote(url.username), unquote(url.password or ""))
        refused = smtp.send_message(msg)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)
    return f"{url.hostname}:{port}"
