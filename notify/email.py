"""E-mail over SMTP: an HTML body with a plain-text part and the records as a CSV attachment."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from metrics.alert_spec import EmailChannel
from notify.digest import Digest
from notify.messages import Notice
from present.safe_text import header_value

SMTP_ENV = "NORTHSTAR_SMTP_URL"


class NotConfigured(Exception):
    """A channel without the address it needs; not worth retrying."""


class Rejected(Exception):
    """The channel refused this one message (a recipient, its content): it fails alone, and the
    channel stays open for the next message."""


class PartlyDelivered(Rejected):
    """Delivered to some recipients, refused for others: sending it again would repeat it."""


def smtp_url(cfg: EmailChannel) -> str:
    url = cfg.smtp_url or os.environ.get(SMTP_ENV)
    if not url:
        raise NotConfigured(
            f"no SMTP server: set {SMTP_ENV}=smtp://host:port or channels.email.smtp_url"
        )
    return url


def message(notice: Notice | Digest, *, sender: str, to: tuple[str, ...]) -> EmailMessage:
    """One alert, or a recipient's digest of the run, as an e-mail with its records attached."""
    msg = EmailMessage()
    msg["Subject"] = header_value(notice.subject)
    msg["From"] = header_value(sender)
    msg["To"] = ", ".join(header_value(a) for a in to)
    msg.set_content(notice.text())
    msg.add_alternative(notice.html(), subtype="html")
    for name, csv in notice.attachments():
        msg.add_attachment(csv.encode(), maintype="text", subtype="csv", filename=name)
    return msg


def send(cfg: EmailChannel, msg: EmailMessage) -> str:
    """Send one message; raises Rejected when the server refuses this message (a 5xx answer to a
    recipient or its content), OSError / smtplib.SMTPException when the server fails."""
    url = urlsplit(smtp_url(cfg))
    if url.scheme not in ("smtp", "smtps") or not url.hostname:
        raise NotConfigured(f"the SMTP URL must read smtp://host:port, not {url.geturl()!r}")
    port = url.port or (465 if url.scheme == "smtps" else 25)
    client = smtplib.SMTP_SSL if url.scheme == "smtps" else smtplib.SMTP
    try:
        with client(url.hostname, port, timeout=cfg.timeout_seconds) as smtp:
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            refused = smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        if any(code < 500 for code, _ in exc.recipients.values()):
            raise  # a temporary refusal (4xx): the server's trouble, worth retrying
        raise Rejected(f"the server refused {_refusals(exc.recipients)}") from exc
    except smtplib.SMTPDataError as exc:
        if exc.smtp_code < 500:
            raise
        raise Rejected(f"the server refused it: {exc.smtp_code} {_said(exc.smtp_error)}") from exc
    if refused:  # delivered to the others: sending it again would repeat it to them
        raise PartlyDelivered(f"delivered, except to {_refusals(refused)}")
    return f"{url.hostname}:{port}"


def _refusals(refused: dict) -> str:
    return ", ".join(f"{to} ({code} {_said(reason)})" for to, (code, reason) in refused.items())


def _said(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
