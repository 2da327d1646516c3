"""Contact-center contacts for one chunk: broken promises call, a pushed queue calls back."""

from __future__ import annotations

import numpy as np
import polars as pl

from generator import frames as f
from generator import story as s
from generator.master import Master

E = s.EFFECTS
PUSHED = s.QUEUES.index(E.pushed_queue)
PUSHED_SINCE_S = s.day(E.pushed_since) * 86400
REASONS = tuple(r[0] for q in s.REASONS for r in q)
_REASON_CODE = np.array([[REASONS.index(r[0]) for r in q] + [0] * (4 - len(q)) for q in s.REASONS])
_REASON_P = np.array([[r[1] for r in q] + [0.0] * (4 - len(q)) for q in s.REASONS])


def _window_days(rng: np.random.Generator, n: int, span: tuple[float, float]) -> np.ndarray:
    """Days spread over the chunk's share of the year, mostly on weekdays."""
    d = s.START_D + (rng.uniform(span[0], span[1], n) * s.EVENT_SPAN).astype(np.int64)
    dow = (d + 3) % 7
    monday = d + 7 - dow
    return np.where((dow >= 5) & (rng.random(n) < 0.7) & (monday <= s.AS_OF_D), monday, d)


def _seeds(
    rng: np.random.Generator,
    m: Master,
    orders: pl.DataFrame,
    n_target: int,
    span: tuple[float, float],
) -> dict:
    """First contacts: where-is-my-order after broken promises, plus everyday contacts."""
    late = np.flatnonzero(orders["late"].to_numpy() & (rng.random(len(orders)) < 0.5))
    due, o_day, o_cust = (orders[c].to_numpy() for c in ("due", "day", "cust"))
    n_bg = max(0, round((n_target - len(late)) / 1.12))
    q = rng.choice(len(s.QUEUES), n_bg, p=s.QUEUE_SHARE)
    known = rng.random(n_bg) < s.IDENTIFIED[q]
    about = known & (q <= 1) & (rng.random(n_bg) < 0.5)
    oi = rng.integers(0, len(orders), n_bg)
    cust = np.where(about, o_cust[oi], rng.choice(len(m.call_p), n_bg, p=m.call_p))
    days = np.where(about, o_day[oi] + rng.integers(0, 13, n_bg), _window_days(rng, n_bg, span))
    reason = _REASON_CODE[q, f.pick(rng, _REASON_P[q])]
    return {
        "cust": np.concatenate([o_cust[late], np.where(known, cust, -1)]),
        "order": np.concatenate([late, np.where(about, oi, -1)]),
        "queue": np.concatenate([np.full(len(late), PUSHED), q]),
        "reason": np.concatenate([np.full(len(late), REASONS.index(s.WISMO)), reason]),
        "t": f.office_seconds(
            rng, np.concatenate([due[late] + rng.integers(1, 5, len(late)), days])
        ),
    }


def _callbacks(rng: np.random.Generator, c: dict) -> dict:
    """Customers calling back within days; far more often after the pushed queue's short calls."""
    pushed = (c["queue"] == PUSHED) & (c["t"] >= PUSHED_SINCE_S)
    p = np.where(pushed, E.pushed_callback_prob, E.base_callback_prob)
    back = c["handled"] & (c["cust"] >= 0) & (rng.random(len(p)) < p)
    c["spawned"] = back
    idx = np.flatnonzero(back)
    gap = np.where(
        pushed[idx],
        rng.choice(7, len(idx), p=[0.15, 0.3, 0.2, 0.15, 0.1, 0.05, 0.05]),
        rng.integers(0, 11, len(idx)),
    )
    t0 = c["t"][idx]
    t = np.where(
        gap == 0, t0 + rng.integers(900, 10800, len(idx)), f.office_seconds(rng, t0 // 86400 + gap)
    )
    return {
        "cust": c["cust"][idx],
        "order": c["order"][idx],
        "queue": c["queue"][idx],
        "reason": c["reason"][idx],
        "t": t,
    }


def _handle(rng: np.random.Generator, c: dict) -> dict:
    """Wait, abandon, handle times (shorter over the year, much shorter when pushed), ticks."""
    q, t = c["queue"], c["t"]
    n = len(q)
    frac = (t / 86400 - s.START_D) / s.EVENT_SPAN
    pushed = (q == PUSHED) & (t >= PUSHED_SINCE_S)
    speed = (1 - 0.06 * frac) * np.where(pushed, E.pushed_aht_factor, 1.0)
    wait = np.round(rng.exponential(17.0, n))
    handled = ~(rng.random(n) < 0.03 + 0.25 * (wait > 60))
    c.update(
        pushed=pushed,
        handled=handled,
        wait=wait,
        wait_null=rng.random(n) < 0.01,
        talk=np.where(handled, np.round(rng.lognormal(np.log(s.TALK_MEDIAN[q]), 0.5) * speed), 0),
        hold=np.where(handled & (rng.random(n) < 0.4), np.round(rng.exponential(40.0, n)), 0),
        acw=np.where(handled, np.round(np.clip(rng.normal(45, 15, n), 5, None) * speed), 0),
        resolved=rng.random(n) < np.where(pushed, 0.93, 0.80),
        sale=np.where(
            handled & (q != 1) & (q != 3) & (rng.random(n) < 0.05),
            np.round(rng.lognormal(np.log(180.0), 0.8, n), 2),
            np.nan,
        ),
        agent=rng.integers(1, 100, n),
        abandoned_null=handled & (rng.random(n) < 0.03),
    )
    return c


def _agents(q: np.ndarray, number: np.ndarray) -> pl.Series:
    prefixes = np.array([a[0] for a in s.AGENTS], dtype=object)[q]
    sizes = np.array([a[1] for a in s.AGENTS])[q]
    nums = pl.Series(number % sizes + 1).cast(pl.String).str.zfill(2)
    return pl.select(pl.lit(pl.Series(prefixes, dtype=pl.String)) + pl.lit(nums)).to_series()


def _frame(m: Master, orders: pl.DataFrame, c: dict, first_no: int) -> pl.DataFrame:
    handled = c["handled"]
    order_ids = orders["order_id"].gather(np.maximum(c["order"], 0))
    df = pl.DataFrame(
        [
            f.customer_ids(m, c["cust"]),
            f.nulled(order_ids, c["order"] < 0).alias("order_id"),
            f.labels(s.QUEUES, c["queue"]).alias("queue"),
            f.nulled(_agents(c["queue"], c["agent"]), ~handled).alias("agent_id"),
            f.stamps("started_at", c["t"]),
            f.nulled(pl.Series("wait_sec", c["wait"].astype(np.int64)), c["wait_null"]),
            pl.Series("talk_sec", c["talk"].astype(np.int64)),
            pl.Series("hold_sec", c["hold"].astype(np.int64)),
            pl.Series("acw_sec", c["acw"].astype(np.int64)),
            f.nulled(pl.Series("abandoned", ~handled), c["abandoned_null"]),
            f.nulled(pl.Series("resolved", c["resolved"]), ~handled),
            f.labels(REASONS, c["reason"]).alias("reason"),
            pl.Series("sale_amount", c["sale"], nan_to_null=True),
            pl.Series("_day", c["t"] // 86400),
            pl.Series("_cust", c["cust"]),
            pl.Series("_t", c["t"]),
            pl.Series("_handled", handled),
            pl.Series("_spawned", c["spawned"]),
            pl.Series("_pushed", c["pushed"]),
        ]
    )
    df = df.filter(pl.col("_day") <= s.AS_OF_D).sort("_t", maintain_order=True)
    call_ids = f.prefixed("CL", first_no + np.arange(len(df)))
    return df.select(call_ids.alias("call_id"), pl.all())


def build(
    rng: np.random.Generator,
    m: Master,
    orders: pl.DataFrame,
    n_target: int,
    span: tuple[float, float],
    first_no: int,
) -> pl.DataFrame:
    """About n_target contacts: canonical call columns, _day, and internals for the surveys."""
    seeds = _handle(rng, _seeds(rng, m, orders, n_target, span))
    again = _handle(rng, _callbacks(rng, seeds))
    again["spawned"] = np.zeros(len(again["t"]), dtype=bool)
    c = {k: np.concatenate([seeds[k], again[k]]) for k in seeds}
    if span[1] >= 1.0 and len(c["t"]):  # the year's last contact falls on the as-of date
        last = int(np.argmax(c["t"]))
        c["t"][last] = s.AS_OF_D * 86400 + c["t"][last] % 86400
    return _frame(m, orders, c, first_no)
