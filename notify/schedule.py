"""Run the subscriptions of subscriptions.yaml: which are due, render their pack, deliver it.

``run_due`` sends every subscription whose latest scheduled time (cron, in the file's time
zone) lies within the catch-up window and has not been sent (for cron); ``serve`` keeps doing
it with APScheduler. Each pack is made as its recipient's viewer under the access policy sees
it; without a policy, or for a recipient it does not know, nothing is sent (and retried on the
next run). Sends are claimed in the state file first, so both are safe to run twice,
and recorded once done: a send a killed run left claimed is taken up again once its lease has
run out (``state.schedule_state``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger

from metrics.access import Viewer, policy_path, viewer_as
from metrics.alert_spec import AlertsFile, EmailChannel
from metrics.catalog import load_catalog
from metrics.engine import Engine
from metrics.errors import MetricsError
from metrics.subscription_spec import Subscription, SubscriptionsFile
from notify import email
from notify.channels import with_retries
from present.safe_text import header_value
from state import alert_state, schedule_state
from state.store import StateStore


@dataclass(frozen=True)
class Sent:
    subscription: str
    due_at: dt.datetime
    ok: bool
    detail: str


def trigger(sub: Subscription, timezone: str) -> CronTrigger:
    return CronTrigger.from_crontab(sub.cron, timezone=timezone)


def latest_due(sub: Subscription, spec: SubscriptionsFile, now: dt.datetime) -> dt.datetime | None:
    """The latest scheduled time at or before ``now`` within the catch-up window, if any."""
    cron = trigger(sub, spec.settings.timezone)
    start = now - dt.timedelta(hours=spec.settings.catch_up_hours)
    latest, t = None, cron.get_next_fire_time(None, start)
    while t is not None and t <= now:
        latest = t
        t = cron.get_next_fire_time(t, t + dt.timedelta(seconds=1))
    return latest


def run_due(
    connect: Callable[[], Engine],
    store: StateStore,
    config_path: Path,
    spec: SubscriptionsFile,
    channels: AlertsFile,
    *,
    now: dt.datetime | None = None,
    only: str | None = None,
) -> list[Sent]:
    """Send what is due; ``connect`` opens the engine a pack is made on (per send, so a long
    running server reads the newest load), ``store`` is the state file."""
    now = now or dt.datetime.now(dt.UTC)
    out = []
    for name, sub in spec.subscriptions.items():
        if only is not None and name != only:
            continue
        due = latest_due(sub, spec, now)
        if due is None or not schedule_state.claim(store, name, due, now):
            continue
        ok, detail = _send(connect, config_path, sub, channels, store)
        schedule_state.record(store, name, due, ok=ok, detail=detail)
        out.append(Sent(name, due, ok, detail))
    return out


def recipient(config_path: Path, catalog, email: str) -> Viewer:
    """The viewer the recipient is under the access policy: a pack shows what its reader may
    see (their rows, the metrics their role grants and does not hide), and the subscription's
    own scope can only narrow it. No policy, or a recipient it does not know: no pack (there
    is no open mode for packs), with a message saying why."""
    path = policy_path(config_path)
    if not path.exists():
        raise MetricsError(
            f"there is no access policy at {path}, and a pack shows only what its reader may"
            " see (create config/access.yaml, or set NORTHSTAR_ACCESS)"
        )
    return viewer_as(path, catalog, email)


def recipient_scope(config_path: Path, catalog, email: str):
    """The recipient's row scope under the access policy (see ``recipient``)."""
    return recipient(config_path, catalog, email).scope


def _send(
    connect: Callable[[], Engine],
    config_path: Path,
    sub: Subscription,
    channels: AlertsFile,
    store: StateStore,
) -> tuple[bool, str]:
    from reports.review_pack import build_pack  # the pack's heavy imports only when sending

    try:
        catalog = load_catalog(config_path)
        viewer = recipient(config_path, catalog, sub.email)
    except MetricsError as exc:
        return False, f"no pack for {sub.email}: {exc}"
    engine = connect()
    try:
        pack = build_pack(
            engine,
            catalog,
            where=sub.filters,
            viewer=viewer,
            alerts=alert_state.firing(store),  # the pack lists those within the reader's rows
            state=store,
        )
    except MetricsError as exc:
        return False, f"the pack could not be made: {exc}"
    finally:
        engine.close()
    body, suffix = (pack.pdf, "pdf") if sub.format == "pdf" else (pack.html.encode(), "html")
    filename = f"north-star-review-{pack.start:%G-W%V}.{suffix}"
    if sub.channel == "folder":
        folder = Path(sub.folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / filename).write_bytes(body)
        except OSError as exc:
            return False, f"cannot write {folder / filename}: {exc}"
        return True, str(folder / filename)
    msg = _message(channels.channels.email, sub, pack.period_label, filename, body, suffix)
    status, detail = with_retries(
        lambda: email.send(channels.channels.email, msg), channels.settings.retries
    )
    return status == "sent", detail


def _message(
    cfg: EmailChannel, sub: Subscription, label: str, filename: str, body: bytes, suffix: str
) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = header_value(f"[North Star] Weekly review · {label}")
    msg["From"] = header_value(cfg.sender)
    msg["To"] = header_value(sub.email)
    msg.set_content(f"The North Star weekly review, {label}, is attached.\n")
    kind = ("application", "pdf") if suffix == "pdf" else ("text", "html")
    msg.add_attachment(body, maintype=kind[0], subtype=kind[1], filename=filename)
    return msg
