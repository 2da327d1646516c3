"""Split canonical extracts into a base and a daily delta: the newest share of the rows.

The cutoff is the order date after which ``share`` of the order lines lie.
Orders, shipments, contacts and responses dated after it go to the delta, the
rest to the base; so do the shipments dispatched before it and delivered after
it, which the base holds as still in transit (delivery date empty) and the
delta as delivered: the update a daily WMS extract brings. Customers stay in
the base. Rows whose date does not parse stay in the base. The delta's files
are newer (modification time) than the base's.
"""

from __future__ import annotations

import csv
import itertools
import os
import re
import time
from collections import Counter
from pathlib import Path

DATE_COLUMN = {
    "orders": "order_date",
    "shipments": "ship_date",
    "calls": "started_at",
    "surveys": "responded_at",
}
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


def cutoff(orders_csv: Path, share: float) -> str:
    """The ISO date after which (about) ``share`` of the order lines are dated."""
    with open(orders_csv, newline="") as f:
        rows = csv.reader(f)
        at = next(rows).index("order_date")
        days = Counter(r[at][:10] for r in rows if len(r) > at and _ISO.match(r[at]))
    total, newer, ordered = sum(days.values()), 0, sorted(days, reverse=True)
    for day, before in itertools.pairwise(ordered):
        newer += days[day]
        if newer >= share * total:
            return before
    return ordered[-1]


def split(folder: Path, out: Path, share: float = 0.02) -> tuple[Path, Path]:
    """Write ``out/base`` and ``out/delta`` (canonical CSV files); return both folders."""
    day = cutoff(folder / "orders.csv", share)
    base, delta = out / "base", out / "delta"
    for d in (base, delta):
        d.mkdir(parents=True, exist_ok=True)
    for src in sorted(folder.glob("*.csv")):
        table = src.stem
        with (
            open(src, newline="") as f,
            open(base / src.name, "w", newline="") as b,
            open(delta / src.name, "w", newline="") as d,
        ):
            rows = csv.reader(f)
            header = next(rows)
            wb, wd = csv.writer(b, lineterminator="\n"), csv.writer(d, lineterminator="\n")
            wb.writerow(header)
            wd.writerow(header)
            if table not in DATE_COLUMN:
                wb.writerows(rows)
                continue
            at = header.index(DATE_COLUMN[table])
            delivered = header.index("delivered_date") if table == "shipments" else None
            for r in rows:
                value = r[at] if len(r) > at else ""
                if _ISO.match(value) and value[:10] > day:
                    wd.writerow(r)
                elif (
                    delivered is not None
                    and len(r) > delivered
                    and _ISO.match(r[delivered])
                    and r[delivered][:10] > day
                ):
                    wb.writerow(
                        r[:delivered] + [""] + r[delivered + 1 :]
                    )  # in transit at the cutoff
                    wd.writerow(r)
                else:
                    wb.writerow(r)
    older = time.time() - 3600
    for p in base.glob("*.csv"):
        os.utime(p, (older, older))
    for p in delta.glob("*.csv"):
        if p.stat().st_size <= len(p.open().readline()):  # nothing new for this table
            p.unlink()
    return base, delta
