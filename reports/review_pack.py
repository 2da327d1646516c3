"""The weekly review pack: the COO's Monday review as a document (A4 landscape PDF and HTML).

Entry point (signature kept stable for scheduled sends)::

    build_pack(engine, catalog, *, period: str | None = None, viewer: Viewer = OPEN,
               where=(), alerts=(), state: StateStore | None = None,
               today: date | None = None) -> Pack

``period`` is an ISO week like ``2026-W46`` (default: the latest complete week of the data);
``viewer`` is the reader under the access policy (``metrics.access``: their rows, the metrics
their role grants and does not hide; ``OPEN`` only for the operator's own pack), ``where``
extra filters, which can only narrow the viewer's rows; ``alerts`` this week's alerts (objects
with the keys of ``northstar alerts run --format json``), of which the pack lists those within
the reader's rows; ``state`` the state file holding the action log. ``Pack.pdf`` (bytes), ``Pack.html``
(str) and ``Pack.period_label`` ('Week 46 · 9–15 Nov 2026').

Numbers come from the same queries as the review pages (``reports.review_data``), charts from
the same Altair builders (``present.*_charts``), rendered server-side by vl-convert.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metrics import clock
from metrics.access import OPEN, Viewer
from metrics.catalog import Catalog
from metrics.engine import Engine
from metrics.errors import MetricsError
from metrics.periods import last_complete_period
from metrics.query import resolve_as_of
from present import format as fmt
from reports import review_actions, review_promises, review_scores, review_summary
from reports.document import Document, to_html, to_pdf
from reports.pack_reader import Filters, Reader
from reports.review_data import ReviewData, gather
from state.action_log import Action, list_actions
from state.store import StateStore

_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")


def review_of(
    engine: Engine,
    catalog: Catalog,
    *,
    period: str | None = None,
    viewer: Viewer = OPEN,
    where: Filters = (),
    state: StateStore | None = None,
) -> tuple[ReviewData, list[Action]]:
    """The review of one week (default: the latest complete one) as ``viewer`` may see it, and
    the action log entries within their rows: what the pack and ``review --format json`` show."""
    as_of = resolve_as_of(engine, None)
    start = parse_period(period) if period else last_complete_period(as_of, "week")
    if start > as_of:
        raise MetricsError(
            f"the week {period} has no data yet: the data reaches {as_of:%d %b %Y}; "
            f"the latest complete week is {last_complete_period(as_of, 'week'):%G-W%V}"
        )
    reader = Reader(catalog, viewer, where)
    actions = reader.actions(list_actions(state) if state else [])
    return gather(engine, reader, start=start, as_of=as_of), actions


@dataclass(frozen=True)
class Pack:
    pdf: bytes
    html: str
    period_label: str
    start: dt.date


def parse_period(text: str) -> dt.date:
    """The Monday of an ISO week written like ``2026-W46``; a plain error otherwise."""
    m = _WEEK.match(text.strip())
    if m:
        try:
            return dt.date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            pass
    raise MetricsError(
        f"--period '{text}' is not an ISO week; write it like 2026-W46 (year, W, week 1-53)"
    )


def build_pack(
    engine: Engine,
    catalog: Catalog,
    *,
    period: str | None = None,
    viewer: Viewer = OPEN,
    where: Filters = (),
    alerts: Sequence[Mapping[str, Any]] = (),
    state: StateStore | None = None,
    today: dt.date | None = None,
) -> Pack:
    """The review pack of one week, as ``viewer`` may see it, its money in the catalogue's
    reporting currency."""
    fmt.use_currency(catalog.spec.settings.reporting_currency)
    today = today or clock.today()
    data, actions = review_of(
        engine, catalog, period=period, viewer=viewer, where=where, state=state
    )
    reader, as_of = data.reader, data.as_of
    label = fmt.period_label(data.start, data.end, "week")
    if data.end > as_of:
        label += f" (partial: data to {as_of:%d %b})"
    parts = dict.fromkeys(f"{d}: {', '.join(v)}" for d, v in viewer.scope + where)
    rows = "; ".join(parts) or "all customers"
    who = f"for {viewer.name} · {rows}" if viewer.email else rows
    sections = (
        review_summary.summary(data, catalog, actions, today),
        review_scores.north_star(data, catalog, actions),
        review_scores.outcomes(data, catalog),
        review_scores.granted(data, catalog),
        review_promises.funnel(data),
        review_promises.causes(data),
        review_scores.pairs(data, catalog),
        review_scores.scoreboard(data, catalog),
        review_promises.at_risk(data, catalog),
        review_actions.alerts(reader.alerts(engine, alerts)),
        review_actions.action_log(engine, catalog, actions, data, today),
    )
    doc = Document(
        title=f"North Star weekly review · {label}",
        subtitle=f"Data as of {as_of:%a %d %b %Y} · {who} · made {today:%d %b %Y}",
        sections=tuple(s for s in sections if s is not None),
    )
    return Pack(pdf=to_pdf(doc), html=to_html(doc), period_label=label, start=data.start)
