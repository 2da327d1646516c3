"""The planted story: who the distributor is, and what goes wrong where and when.

Everything the dashboard should reveal is set here, in one place, so the
generator, its tests and sample_data/README.md tell the same story.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

EPOCH = date(1970, 1, 1)


def day(d: date) -> int:
    """Days since 1970-01-01, the generator's internal date."""
    return (d - EPOCH).days


START = date(2025, 11, 3)  # first order date (a Monday)
ORDER_END = date(2026, 11, 8)  # last order date, about
AS_OF = date(2026, 11, 15)  # latest shipment, call and survey date
START_D, ORDER_END_D, AS_OF_D = day(START), day(ORDER_END), day(AS_OF)
ORDER_SPAN = ORDER_END_D - START_D + 1
EVENT_SPAN = AS_OF_D - START_D + 1

REGIONS = ("North", "South", "East", "West", "Central")
SEGMENTS = ("key account", "mid-market", "retail")
SEGMENT_SHARE = (0.10, 0.30, 0.60)
SITES = ("DC-North", "DC-South", "DC-East", "Plant-Central")
HOME_SITE = np.array([0, 1, 2, 1, 3])  # per region
CARRIERS = ("BlueLine", "Rapido Freight", "TransAlp", "NordCargo")
CARRIER_TRANSIT = np.array([2, 1, 2, 2])  # expected transit days
CARRIER_BY_REGION = np.array(  # carrier shares per region
    [
        [0.15, 0.25, 0.15, 0.45],
        [0.50, 0.20, 0.20, 0.10],
        [0.20, 0.30, 0.30, 0.20],
        [0.30, 0.30, 0.25, 0.15],
        [0.20, 0.20, 0.45, 0.15],
    ]
)
CHANNELS = ("web", "edi", "phone", "sales-rep")
CHANNEL_BY_SEGMENT = np.array(
    [[0.05, 0.70, 0.05, 0.20], [0.30, 0.30, 0.20, 0.20], [0.60, 0.02, 0.30, 0.08]]
)
LEAD_DAYS = np.array([[5, 17], [4, 12], [4, 9]])  # requested - order date, per segment
QTY_MEDIAN = np.array([24.0, 10.0, 4.0])  # units per line, per segment
DISCOUNT = np.array([0.12, 0.06, 0.0])


@dataclass(frozen=True)
class Portfolio:
    name: str
    manager: str
    segment: int
    regions: tuple[int, ...]


PORTFOLIOS = (
    Portfolio("Key Accounts", "Helena Brandt", 0, (0, 1, 2, 3, 4)),
    Portfolio("Mid-Market North & East", "Tomasz Wierzbicki", 1, (0, 2)),
    Portfolio("Mid-Market South West & Central", "Aisha Rahman", 1, (1, 3, 4)),
    Portfolio("Retail North & Central", "Marco Ferreira", 2, (0, 4)),
    Portfolio("Retail South", "Ingrid Solberg", 2, (1,)),
    Portfolio("Retail East & West", "Daniel Okafor", 2, (2, 3)),
)
# Portfolio index per (segment, region).
PORTFOLIO_OF = np.array(
    [
        [
            next(i for i, p in enumerate(PORTFOLIOS) if p.segment == s and r in p.regions)
            for r in range(len(REGIONS))
        ]
        for s in range(len(SEGMENTS))
    ]
)

QUEUES = ("orders", "returns", "billing", "tech")
QUEUE_SHARE = np.array([0.35, 0.15, 0.28, 0.22])
IDENTIFIED = np.array([0.45, 0.40, 0.40, 0.15])  # share of callers the system recognises
TALK_MEDIAN = np.array([290.0, 320.0, 300.0, 400.0])  # seconds, at the start of the year
AGENTS = (("A1", 15), ("A2", 6), ("A3", 10), ("A4", 9))  # id prefix and team size per queue
WISMO = "where_is_my_order"
REASONS = (
    (("order_change", 0.35), ("new_order", 0.25), ("delivery_date", 0.33), (WISMO, 0.07)),
    (("return_request", 0.6), ("damaged_goods", 0.4)),
    (("invoice_query", 0.55), ("payment", 0.25), ("credit_note", 0.2)),
    (("product_support", 0.7), ("account_access", 0.3)),
)


@dataclass(frozen=True)
class Effects:
    """The planted problems behind the healthy-looking department KPIs."""

    late_carrier: str = "BlueLine"  # transit delays in one region ...
    late_region: str = "South"
    late_since: date = date(2026, 6, 1)  # ... from this ship date on
    late_prob: float = 0.40
    split_site: str = "DC-East"  # ships many lines in two parts, the second late
    split_since: date = date(2026, 3, 2)
    split_prob: float = 0.25
    late_promise_site: str = "Plant-Central"  # promises later than the requested date
    pushed_queue: str = "orders"  # pushed on handle time from this date on
    pushed_since: date = date(2026, 5, 4)
    pushed_aht_factor: float = 0.62
    pushed_callback_prob: float = 0.38
    base_callback_prob: float = 0.10


EFFECTS = Effects()
