"""The pack's first lines: where we stand, what changed, what to decide (the review page's
first screen says the same three sentences, ``present.review_words``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from metrics.catalog import Catalog
from metrics.causes import read_causes
from present import review_words
from reports.document import Section
from reports.review_data import ReviewData
from state.action_log import Action


def sentences(
    data: ReviewData, catalog: Catalog, actions: Sequence[Action], today: dt.date
) -> tuple[str, str, str]:
    m = catalog.metric("otif")
    head = data.head if data.headline else None
    causes = read_causes(data.funnel) if data.funnel.height else None
    lost = int(data.at_risk["cannot_make_it"].sum()) if data.at_risk.height else 0
    return (
        review_words.stand(head, m.label, m.format, m.owner, data.grain),
        review_words.changed(data.reading, data.grain),
        review_words.decide(
            causes, data.at_risk.height, lost, sum(a.overdue(today) for a in actions), data.grain
        ),
    )


def summary(
    data: ReviewData, catalog: Catalog, actions: Sequence[Action], today: dt.date
) -> Section:
    return Section("Summary", sentences(data, catalog, actions, today))
