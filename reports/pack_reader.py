"""Who a pack is for: the access policy's viewer of its reader, and what of the review that
viewer may see. Their rows (the viewer's scope, narrowed by the pack's filters), the metrics
their role grants and does not hide, money only when they see every money metric, the alerts
and actions within their rows. Every query of the pack asks through ``query``, so a metric
the reader may not see (or whose rows cannot be scoped to theirs) is never computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metrics.access import OPEN, AccessError, Viewer
from metrics.catalog import Catalog
from metrics.customers import customer_ids
from metrics.engine import Engine
from metrics.query import CUSTOMER_DIMS
from metrics.sqlgen import Query
from state.action_log import Action

Filters = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True)
class Reader:
    """The pack's reader: ``viewer`` (OPEN: the operator's own, unrestricted pack) and the
    pack's own filters ``where``, which can only narrow the viewer's rows."""

    catalog: Catalog
    viewer: Viewer = OPEN
    where: Filters = ()

    @property
    def scope(self) -> Filters:
        return self.viewer.scope

    @property
    def rows(self) -> Filters:
        """Every row filter the pack's numbers carry: the viewer's scope and the filters."""
        return self.scope + self.where

    @property
    def money(self) -> bool:
        """Money (values, revenue, cost) only for a reader who sees every money metric."""
        cat = self.catalog
        return all(
            self.viewer.sees_metric(cat, m) for m in cat.metrics if cat.metric(m).format == "money"
        )

    def sees(self, metric: str) -> bool:
        """Granted, not hidden, scopable to the reader's rows, and no money unless allowed."""
        if metric not in self.catalog.metrics or not self.viewer.sees_metric(self.catalog, metric):
            return False
        return self.money or self.catalog.metric(metric).format != "money"

    def visible(self, metrics: Iterable[str]) -> tuple[str, ...]:
        return tuple(m for m in metrics if self.sees(m))

    def company(self, metric: str) -> bool:
        """May see ``metric``'s whole-company total and trend (a company-wide North Star)
        without seeing it in their own rows."""
        return not self.sees(metric) and metric in self.viewer.company_wide

    def query(self, q: Query, *, company: bool = False) -> Query:
        """``q`` with the pack's filters, as the viewer may ask it (refused for a metric they
        may not see); ``company`` asks for the whole-company total or trend, unfiltered."""
        if company:
            return self.viewer.scoped(self.catalog, q.replace(where=()), company=True)
        for name in q.metrics:
            if not self.sees(name):
                raise AccessError(f"{self.viewer.who} may not see the metric '{name}'")
        return self.viewer.scoped(self.catalog, q.replace(where=self.where))

    def actions(self, actions: Sequence[Action]) -> list[Action]:
        """The actions of the log about a metric the reader sees, within their rows."""
        return [a for a in actions if self.sees(a.metric) and a.applies_to(self.rows)]

    def alerts(self, engine: Engine, alerts: Sequence[Mapping[str, Any]]) -> list[Mapping]:
        """The alerts about a metric the reader sees whose scope lies within their rows: it
        pins each dimension of their rows to one of their values, or names a customer of
        theirs. A company-wide alert is outside any scoped reader's rows."""
        customers: set[str] | None = None
        out = []
        for a in alerts:
            scope = {d: str(v) for d, v in (a.get("scope") or {}).items()}
            pinned = [(d, v) for d, v in self.rows if d in scope]
            if not self.sees(str(a.get("metric") or "")) or any(
                scope[d] not in v for d, v in pinned
            ):
                continue
            if len(pinned) == len(self.rows):
                out.append(a)
                continue
            if "customer_id" not in scope or any(d not in CUSTOMER_DIMS for d, _ in self.rows):
                continue
            if customers is None:
                customers = set(customer_ids(engine, self.rows)["customer_id"].to_list())
            if scope["customer_id"] in customers:
                out.append(a)
        return out
