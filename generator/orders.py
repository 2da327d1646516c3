"""Order lines (ERP) and their shipments (WMS/TMS) for one chunk of the year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from generator import frames as f
from generator import story as s
from generator.master import N_SKU, Master

STATUSES = ("Open", "Cancelled", "CANCELLED", "cancelled")
SIZE_P = np.array([0.40, 0.22, 0.15, 0.10, 0.08, 0.05])  # lines per order, 1..6
CARRIER_RATE = np.array([0.9, 1.2, 1.0, 0.95])
E = s.EFFECTS
SPLIT_SITE = s.SITES.index(E.split_site)
PLANT = s.SITES.index(E.late_promise_site)
LATE_CARRIER = s.CARRIERS.index(E.late_carrier)
LATE_REGION = s.REGIONS.index(E.late_region)


@dataclass(frozen=True)
class OrdersChunk:
    lines: pl.DataFrame  # canonical order columns, plus _day (order date) for routing
    shipments: pl.DataFrame  # canonical shipment columns, plus _day (ship date)
    orders: pl.DataFrame  # one row per order: what contacts and surveys react to
    n_orders: int


def order_sizes(rng: np.random.Generator, n_lines: int) -> np.ndarray:
    """Lines per order (1-6) adding up to exactly n_lines."""
    sizes = rng.choice(6, int(n_lines / 2.5) + 16, p=SIZE_P) + 1
    while sizes.sum() < n_lines:
        sizes = np.concatenate([sizes, rng.choice(6, n_lines, p=SIZE_P) + 1])
    cum = sizes.cumsum()
    n = int(np.searchsorted(cum, n_lines)) + 1
    sizes = sizes[:n].copy()
    sizes[-1] -= cum[n - 1] - n_lines
    return sizes


def _order_level(rng: np.random.Generator, m: Master, n: int, span: tuple[float, float]) -> dict:
    u = np.sort(rng.uniform(span[0], span[1], n))
    d = s.START_D + (u * s.ORDER_SPAN).astype(np.int64)
    dow = (d + 3) % 7  # 0 = Monday
    d = np.sort(np.where((dow >= 5) & (rng.random(n) < 0.75), d + 7 - dow, d))
    cust = rng.choice(len(m.order_p), n, p=m.order_p)
    seg, reg = m.segment[cust], m.region[cust]
    site = np.where(rng.random(n) < 0.08, rng.integers(0, len(s.SITES), n), s.HOME_SITE[reg])
    u_dispatch = rng.random(n)
    return {
        "day": d,
        "cust": cust,
        "seg": seg,
        "reg": reg,
        "site": site,
        "channel": f.pick(rng, s.CHANNEL_BY_SEGMENT[seg]),
        "carrier": f.pick(rng, s.CARRIER_BY_REGION[reg]),
        "requested": d + rng.integers(s.LEAD_DAYS[seg, 0], s.LEAD_DAYS[seg, 1] + 1),
        "dispatch": np.where(
            u_dispatch < 0.01, rng.integers(1, 4, n), np.where(u_dispatch < 0.05, -1, 0)
        ),
        "u_transit": rng.random(n),
        "u_break": rng.random(n),
    }


def _line_level(rng: np.random.Generator, m: Master, o: dict, sizes: np.ndarray) -> dict:
    n_lines = int(sizes.sum())
    oi = np.repeat(np.arange(len(sizes)), sizes)
    pos = np.arange(n_lines) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    sku = rng.choice(N_SKU, n_lines, p=m.sku_p)
    site = np.where(m.sku_plant[sku] & (rng.random(n_lines) < 0.6), PLANT, o["site"][oi])
    seg = o["seg"][oi]
    qty = np.ceil(rng.lognormal(np.log(s.QTY_MEDIAN[seg]), 0.7)).astype(np.int64)
    qty[rng.random(n_lines) < 0.002] = 0
    price = np.round(m.sku_price[sku] * (1 - s.DISCOUNT[seg]) * rng.uniform(0.97, 1.03, n_lines), 2)
    late_promise = rng.random(n_lines) < np.where(site == PLANT, 0.07, 0.01)
    promised = o["requested"][oi] + np.where(late_promise, rng.integers(2, 11, n_lines), 0)
    transit = s.CARRIER_TRANSIT[o["carrier"][oi]] + (site != s.HOME_SITE[o["reg"][oi]])
    slack = (rng.random(n_lines) < 0.5).astype(np.int64)
    planned = np.maximum(promised - transit - slack, o["day"][oi])
    return {
        "oi": oi,
        "line_no": (pos + 1) * 10,
        "sku": sku,
        "site": site,
        "qty": qty,
        "price": price,
        "price_null": rng.random(n_lines) < 0.01,
        "cancelled": rng.random(n_lines) < 0.02,
        "status_draw": rng.random(n_lines),
        "promised": promised,
        "promised_null": ~late_promise & (rng.random(n_lines) < 0.03),
        "planned": planned,
        "planned_null": rng.random(n_lines) < 0.03,
        "transit": transit,
    }


def _shipment_rows(rng: np.random.Generator, o: dict, ln: dict) -> dict:
    """Shipment parts per line: shortages, late dispatch, DC-East's late second parts."""
    oi = ln["oi"]
    n_lines = len(oi)
    shippable = ~ln["cancelled"] & (ln["qty"] > 0)
    u = rng.random(n_lines)
    short_share = rng.uniform(0.1, 0.7, n_lines)
    q_ship = np.where(u < 0.025, np.floor(ln["qty"] * short_share), ln["qty"]).astype(np.int64)
    q_ship = np.where(shippable & (u >= 0.01), q_ship, 0)
    ship1 = np.maximum(ln["planned"] + o["dispatch"][oi], o["day"][oi])
    late_split = (
        (ln["site"] == SPLIT_SITE)
        & (ship1 >= s.day(E.split_since))
        & (q_ship >= 2)
        & (rng.random(n_lines) < E.split_prob)
    )
    split = late_split | ((q_ship >= 2) & (rng.random(n_lines) < 0.11))
    q1 = np.clip(np.ceil(q_ship * rng.uniform(0.4, 0.8, n_lines)), 1, np.maximum(q_ship - 1, 1))
    q1 = np.where(split, q1, q_ship).astype(np.int64)
    ship2 = ship1 + np.where(late_split, rng.integers(3, 10, n_lines), 0)
    first, second = np.flatnonzero(q_ship > 0), np.flatnonzero(split)
    line = np.concatenate([first, second])
    return {
        "line": line,
        "part": np.concatenate([np.ones(len(first), np.int64), np.full(len(second), 2)]),
        "ship": np.concatenate([ship1[first], ship2[second]]),
        "qty": np.concatenate([q1[first], (q_ship - q1)[second]]),
    }


def _deliveries(rng: np.random.Generator, o: dict, ln: dict, r: dict) -> dict:
    """Transit times: a few late everywhere, many for the late carrier in its region."""
    oi = ln["oi"][r["line"]]
    n = len(oi)
    delay = np.where(o["u_transit"][oi] < 0.025, rng.integers(1, 4, n), 0)
    broken = (
        (o["carrier"][oi] == LATE_CARRIER)
        & (o["reg"][oi] == LATE_REGION)
        & (r["ship"] >= s.day(E.late_since))
        & (o["u_break"][oi] < E.late_prob)
    )
    delay = delay + np.where(broken, rng.integers(2, 6, n), 0)
    keep = r["ship"] <= s.AS_OF_D  # a shipment exists from its ship date on
    r = {k: v[keep] for k, v in r.items()}
    oi = oi[keep]
    n = len(oi)
    r["delivered"] = r["ship"] + ln["transit"][r["line"]] + delay[keep]
    r["in_transit"] = r["delivered"] > s.AS_OF_D
    damaged = rng.random(n) < 0.012
    r["damaged"] = np.where(damaged, np.minimum(rng.integers(1, 4, n), r["qty"]), 0)
    r["damaged_null"] = ~damaged & (rng.random(n) < 0.2)
    r["freight"] = np.round(
        5.5 + r["qty"] * 0.42 * CARRIER_RATE[o["carrier"][oi]] * rng.uniform(0.85, 1.15, n), 2
    )
    r["freight_null"] = rng.random(n) < 0.005
    r["oi"] = oi
    return r


def _lines_frame(m: Master, o: dict, ln: dict, order_ids: pl.Series) -> pl.DataFrame:
    oi = ln["oi"]
    status = np.where(ln["cancelled"], 1 + ln["sku"] % 3, 0)
    no_status = ~ln["cancelled"] & (ln["status_draw"] >= 0.85)
    return pl.DataFrame(
        [
            order_ids.gather(oi).alias("order_id"),
            pl.Series("line_id", ln["line_no"]).cast(pl.String),
            pl.Series("customer_id", m.customer_ids[o["cust"][oi]], dtype=pl.String),
            f.prefixed("SKU-", 10001 + ln["sku"]).alias("sku"),
            f.labels(s.SITES, ln["site"]).alias("site"),
            f.labels(s.CHANNELS, o["channel"][oi]).alias("channel"),
            f.dates("order_date", o["day"][oi]),
            f.dates("requested_date", o["requested"][oi]),
            f.dates("promised_date", ln["promised"], ln["promised_null"]),
            f.dates("planned_ship_date", ln["planned"], ln["planned_null"]),
            pl.Series("qty_ordered", ln["qty"]),
            f.nulled(pl.Series("unit_price", ln["price"]), ln["price_null"]),
            f.labels(STATUSES, status, no_status).alias("status"),
            pl.Series("_day", o["day"][oi]),
        ]
    )


def _dense_rank(group: np.ndarray, key: np.ndarray) -> np.ndarray:
    """1, 2, ... for the distinct keys within each group, in key order."""
    idx = np.lexsort((key, group))
    g, k = group[idx], key[idx]
    first = np.r_[True, g[1:] != g[:-1]]
    steps = np.cumsum(first | np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[np.flatnonzero(first), len(g)])
    rank = np.empty(len(g), np.int64)
    rank[idx] = steps - np.repeat(steps[first], sizes) + 1
    return rank


def _shipments_frame(o: dict, ln: dict, r: dict, order_nos: np.ndarray) -> pl.DataFrame:
    """Shipment rows by ship date; a shipment is one site's dispatch of an order on a day."""
    nos = order_nos[r["oi"]]
    part = _dense_rank(nos, r["ship"] * 16 + ln["site"][r["line"]] * 2 + r["part"])
    at = np.lexsort((ln["line_no"][r["line"]], nos, r["ship"]))
    r = {k: v[at] for k, v in r.items()}
    line, nos = r["line"], nos[at]
    return pl.DataFrame(
        [
            f.prefixed("SH", nos, part[at]).alias("shipment_id"),
            f.prefixed("SO", nos).alias("order_id"),
            pl.Series("line_id", ln["line_no"][line]).cast(pl.String),
            f.labels(s.CARRIERS, o["carrier"][r["oi"]]).alias("carrier"),
            f.dates("ship_date", r["ship"]),
            f.dates("delivered_date", r["delivered"], r["in_transit"]),
            pl.Series("qty_shipped", r["qty"]),
            f.nulled(pl.Series("qty_damaged", r["damaged"]), r["damaged_null"]),
            f.nulled(pl.Series("freight_cost", r["freight"]), r["freight_null"]),
            pl.Series("_day", r["ship"]),
        ]
    )


def _order_summary(o: dict, ln: dict, r: dict, order_ids: pl.Series) -> pl.DataFrame:
    """Per order: OTIF against the requested date, late (a broken promise), last delivery, and
    what the customer saw of a miss (split in two parts, short, damaged) for their comments."""
    oi, n = ln["oi"], len(o["day"])
    due = o["requested"][oi]
    on_time = ~r["in_transit"] & (r["delivered"] <= due[r["line"]])
    by_due = np.bincount(r["line"], weights=np.where(on_time, r["qty"], 0), minlength=len(oi))
    included = ~ln["cancelled"] & (ln["qty"] > 0)
    failing = included & (by_due < ln["qty"])
    last = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last, oi[r["line"]], np.where(r["in_transit"], -1, r["delivered"]))

    def any_(mask: np.ndarray) -> np.ndarray:
        return np.bincount(oi, weights=mask, minlength=n) > 0

    return pl.DataFrame(
        {
            "order_id": order_ids,
            "cust": o["cust"],
            "day": o["day"],
            "due": o["requested"],
            "included": any_(included),
            "otif": any_(included) & ~any_(failing),
            "late": any_(failing & (due < s.AS_OF_D)),
            "last_delivered": last,
            "split": any_(
                failing & (np.bincount(r["line"], r["part"] == 2, minlength=len(oi)) > 0)
            ),
            "short": any_(
                included & (np.bincount(r["line"], r["qty"], minlength=len(oi)) < ln["qty"])
            ),
            "damaged": any_(np.bincount(r["line"], r["damaged"], minlength=len(oi)) > 0),
        }
    )


def build(
    rng: np.random.Generator, m: Master, n_lines: int, span: tuple[float, float], first_no: int
) -> OrdersChunk:
    """n_lines order lines dated within span (fractions of the year), and their shipments."""
    sizes = order_sizes(rng, n_lines)
    o = _order_level(rng, m, len(sizes), span)
    ln = _line_level(rng, m, o, sizes)
    r = _deliveries(rng, o, ln, _shipment_rows(rng, o, ln))
    order_nos = first_no + np.arange(len(sizes))
    order_ids = f.prefixed("SO", order_nos)
    return OrdersChunk(
        lines=_lines_frame(m, o, ln, order_ids),
        shipments=_shipments_frame(o, ln, r, order_nos),
        orders=_order_summary(o, ln, r, order_ids),
        n_orders=len(sizes),
    )
