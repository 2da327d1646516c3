"""The causes of a period's missed orders, read so the headline cannot change under us.

A miss whose units are not all delivered yet is *open*: its reason may still change (a split
line short shipped today becomes a late dispatch when its remainder ships). So the headline
cause is the leading reason among *settled* misses, and the open ones are shown apart by where
they are stuck and who acts on them now:

- *not yet dispatched* (reasons ``not_shipped`` and ``short_shipped``: units still at the
  site): the owner of ``late_dispatch`` acts;
- *in transit* (every other open miss: all units shipped, some not delivered): the owner of
  ``in_transit`` acts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

UNDISPATCHED = ("not_shipped", "short_shipped")


@dataclass(frozen=True)
class Cause:
    reason: str
    label: str
    owner: str
    orders: int
    open: int

    @property
    def settled(self) -> int:
        return self.orders - self.open


@dataclass(frozen=True)
class Stuck:
    where: str  # "not yet dispatched" or "in transit"
    orders: int
    acts: str  # who acts on them now


@dataclass(frozen=True)
class Causes:
    due: int
    kept: int
    causes: tuple[Cause, ...]  # every reason with misses, most orders first
    settled_top: Cause | None  # the leading reason among settled misses
    stuck: tuple[Stuck, ...]  # the open misses by where they are stuck (non-empty groups)

    @property
    def missed(self) -> int:
        return sum(c.orders for c in self.causes)

    @property
    def still_open(self) -> int:
        return sum(c.open for c in self.causes)


def read_causes(funnel: pl.DataFrame) -> Causes:
    """The causes of a promise funnel (``metrics.funnel.promise_funnel``)."""
    if funnel.is_empty():
        return Causes(0, 0, (), None, ())
    due = int(funnel.filter(pl.col("step") == "Orders due")["orders"].sum())
    kept = int(funnel.filter(pl.col("step") == "OTIF")["orders"].sum())
    rows = funnel.filter(pl.col("reason").is_not_null())
    owners = dict(zip(rows["reason"], rows["owner"], strict=True))
    causes = tuple(
        Cause(r["reason"], r["step"], r["owner"], int(r["orders"]), int(r["open"]))
        for r in rows.filter(pl.col("orders") > 0)
        .sort("orders", descending=True, maintain_order=True)
        .iter_rows(named=True)
    )
    settled = [c for c in causes if c.settled > 0]
    top = max(settled, key=lambda c: c.settled) if settled else None  # first of equals wins
    held = sum(c.open for c in causes if c.reason in UNDISPATCHED)
    moving = sum(c.open for c in causes if c.reason not in UNDISPATCHED)
    stuck = (
        Stuck("not yet dispatched", held, owners.get("late_dispatch") or "the site"),
        Stuck("in transit", moving, owners.get("in_transit") or "logistics"),
    )
    return Causes(due, kept, causes, top, tuple(s for s in stuck if s.orders))


def causes_text(c: Causes, grain: str = "week", strong: Callable[[str], str] = str) -> str:
    """The funnel in two or three sentences: kept, the settled headline, the open misses."""
    if not c.due:
        return "No orders were due in this period."
    text = f"Of {strong(f'{c.due:,}')} orders due, {strong(f'{c.kept:,}')} were delivered on time and in full."
    if not c.missed:
        return text
    top = c.settled_top
    if top is None:
        text += " No miss has settled yet, so no cause leads."
    else:
        text += (
            f" Leading settled cause: {strong(top.label.lower())}, {top.settled:,} "
            f"order{'' if top.settled == 1 else 's'} "
            f"(owner: {top.owner})."
        )
    if c.still_open:
        where = ", ".join(f"{s.orders:,} {s.where} ({s.acts} acts now)" for s in c.stuck)
        text += (
            f" {strong(f'{c.still_open:,} of the {c.missed:,} misses are still open')} and "
            f"their cause may still change: {where}. Read this {grain} against the mix of "
            "earlier ones."
        )
    return text
