"""Survey responses for one chunk: failed orders and unresolved calls answer worse."""

from __future__ import annotations

import numpy as np
import polars as pl

from generator import comments
from generator import frames as f
from generator import story as s
from generator.master import Master

TOUCHPOINTS = ("delivery", "call", "web")
P_DELIVERY, P_CALL, WEB_PER_LINE = 0.26, 0.15, 0.016
# Which scores a response carries (csat, nps, ces), and how often, per touchpoint.
_PATTERNS = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 1], [1, 1, 1]], bool)
_PATTERN_P = np.array(
    [[0.60, 0.25, 0.15, 0, 0, 0], [0, 0.20, 0, 0.70, 0.10, 0], [0, 0, 0.50, 0, 0, 0.50]]
)


def _scores(rng: np.random.Generator, mu: np.ndarray, tp: np.ndarray) -> dict:
    """csat, nps and ces from one latent satisfaction; each response has at least one; and the
    mood (0 unhappy, 1 neutral, 2 happy) its comment is written in."""
    n = len(mu)
    z = rng.normal(mu, 0.75)
    has = _PATTERNS[f.pick(rng, _PATTERN_P[tp])]
    rng.integers(0, 3, n)  # once drew canned comments: still drawn, so later values stay put
    out = {
        "csat": np.where(has[:, 0], np.clip(np.round(z), 1, 5), np.nan),
        "nps": np.where(
            has[:, 1], np.clip(np.round(2.3 * z - 1.3 + rng.normal(0, 1, n)), 0, 10), np.nan
        ),
        "ces": np.where(
            has[:, 2], np.clip(np.round(1.3 * z + 0.3 + rng.normal(0, 0.8, n)), 1, 7), np.nan
        ),
        "mood": np.digitize(z, [2.6, 3.8]),
    }
    rng.random(n)  # likewise (which responses had a comment)
    return out


def _responses(
    rng: np.random.Generator,
    m: Master,
    orders: pl.DataFrame,
    calls: pl.DataFrame,
    n_lines: int,
    span: tuple[float, float],
) -> dict:
    last = orders["last_delivered"].to_numpy()
    d = np.flatnonzero(
        orders["included"].to_numpy() & (last >= 0) & (rng.random(len(last)) < P_DELIVERY)
    )
    ct = calls["_t"].to_numpy()
    c = np.flatnonzero(
        calls["_handled"].to_numpy()
        & (calls["_cust"].to_numpy() >= 0)
        & (rng.random(len(ct)) < P_CALL)
    )
    n_web = round(n_lines * WEB_PER_LINE)
    web_cust = np.where(rng.random(n_web) < 0.7, rng.choice(len(m.call_p), n_web, p=m.call_p), -1)
    web_days = s.START_D + (rng.uniform(span[0], span[1], n_web) * s.EVENT_SPAN).astype(np.int64)
    call_mu = 4.15 - 1.1 * calls["_spawned"].to_numpy()[c] - 0.35 * calls["_pushed"].to_numpy()[c]
    return {
        "tp": np.repeat([0, 1, 2], [len(d), len(c), n_web]),
        "cust": np.concatenate(
            [orders["cust"].to_numpy()[d], calls["_cust"].to_numpy()[c], web_cust]
        ),
        "order": np.concatenate([d, np.full(len(c) + n_web, -1)]),
        "call": np.concatenate([np.full(len(d), -1), c, np.full(n_web, -1)]),
        "t": np.concatenate(
            [
                f.office_seconds(rng, last[d] + rng.integers(1, 6, len(d))),
                ct[c] + rng.integers(1800, 2 * 86400, len(c)),
                f.office_seconds(rng, web_days),
            ]
        ),
        "mu": np.concatenate(
            [np.where(orders["otif"].to_numpy()[d], 4.35, 3.1), call_mu, np.full(n_web, 3.9)]
        ),
        "d": d,
        "c": c,
    }


def _situations(r: dict, sc: dict, orders: pl.DataFrame, calls: pl.DataFrame) -> dict:
    """What each respondent went through, for the words of their comment."""
    n_d, n_c = len(r["d"]), len(r["c"])
    n_w = len(r["tp"]) - n_d - n_c

    def by_order(col: str) -> np.ndarray:
        return np.concatenate([orders[col].to_numpy()[r["d"]], np.full(n_c + n_w, col == "otif")])

    def by_call(col: str) -> np.ndarray:
        none = np.zeros(n_d, bool), np.zeros(n_w, bool)
        return np.concatenate([none[0], calls[col].to_numpy()[r["c"]], none[1]])

    orders_ = {k: by_order(k) for k in ("otif", "split", "short", "damaged")}
    return {
        "tp": r["tp"],
        "mood": sc["mood"],
        **orders_,
        "spawned": by_call("_spawned"),
        "pushed": by_call("_pushed"),
    }


def build(
    rng: np.random.Generator,
    m: Master,
    orders: pl.DataFrame,
    calls: pl.DataFrame,
    n_lines: int,
    span: tuple[float, float],
    first_no: int,
    text_rng: np.random.Generator,
) -> pl.DataFrame:
    """Delivery, call and web responses: canonical survey columns plus _day. Comments come from
    ``text_rng`` only (see generator.comments)."""
    r = _responses(rng, m, orders, calls, n_lines, span)
    sc = _scores(rng, r["mu"], r["tp"])
    said = comments.comments(text_rng, _situations(r, sc, orders, calls))
    df = pl.DataFrame(
        [
            f.customer_ids(m, r["cust"]),
            f.nulled(orders["order_id"].gather(np.maximum(r["order"], 0)), r["order"] < 0).alias(
                "order_id"
            ),
            f.nulled(calls["call_id"].gather(np.maximum(r["call"], 0)), r["call"] < 0).alias(
                "call_id"
            ),
            f.stamps("responded_at", r["t"]),
            f.labels(TOUCHPOINTS, r["tp"]).alias("touchpoint"),
            *(pl.Series(k, sc[k], nan_to_null=True).cast(pl.Int64) for k in ("csat", "nps", "ces")),
            said,
            pl.Series("_day", r["t"] // 86400),
            pl.Series("_t", r["t"]),
        ]
    )
    df = df.filter(pl.col("_day") <= s.AS_OF_D).sort("_t", maintain_order=True).drop("_t")
    return df.select(f.prefixed("RS", first_no + np.arange(len(df))).alias("response_id"), pl.all())
