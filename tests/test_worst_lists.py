"""Worst lists beat chance (spec: metrics.md, "Statistics on the pages"): a customer is listed as
failing on OTIF only when its own orders show it below the list's threshold with one-sided 95%
confidence, a single event never lists it alone, and revenue at risk is the failed orders'.

The chance test simulates a company whose customers all share one true OTIF at or above the
``at_risk:`` threshold (70%), each with its own volume: the sample's orders per customer in the
28-day window (``northstar demo``, as of 15 Nov 2026). The list must hold at most 5% of them.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from metrics.customers import judge_customers
from metrics.evidence import binomial_cdf, rate_below, wilson_upper
from metrics.spec import AtRisk, OtifBelow

# orders in the window -> customers with that many (the sample, 300 customers)
SAMPLE_VOLUMES = {
    **{0: 45, 1: 46, 2: 45, 3: 33, 4: 22, 5: 17, 6: 15, 7: 15, 8: 8, 9: 5, 10: 9, 11: 7},
    **{12: 3, 13: 6, 14: 5, 15: 3, 17: 2, 18: 1, 19: 4, 21: 1, 22: 1, 25: 1, 27: 1, 33: 1},
    **{38: 1, 39: 1, 47: 1, 57: 1},
}
COMPANIES = 200


def counts(orders, broken, detractors=None, contacts=None) -> pl.DataFrame:
    """Customers' window counts, as ``signal_counts`` gives them."""
    size = len(orders)
    orders, broken = list(orders), list(broken)
    return pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(size)],
            "orders": orders,
            "broken_promises": broken,
            "otif": [(o - b) / o if o else None for o, b in zip(orders, broken)],
            "detractor_answers": detractors or [0] * size,
            "contacts": contacts or [0] * size,
            "usual_contacts": [0.0] * size,
        },
        schema_overrides={"otif": pl.Float64},
    )


OTIF_ONLY = AtRisk(
    min_signals=1,
    detractor_after_broken_promise=False,
    contact_surge=None,
    otif_below=OtifBelow(value=0.7),
)


@pytest.mark.parametrize("rate", [0.70, 0.75])
def test_a_company_at_the_threshold_lists_at_most_5_percent(rate):
    rng = np.random.default_rng(int(rate * 100))
    orders = np.repeat(list(SAMPLE_VOLUMES), list(SAMPLE_VOLUMES.values()))
    listed = naive = measured = eligible = 0
    for _ in range(COMPANIES):
        broken = orders - rng.binomial(orders, rate)
        judged = judge_customers(counts(orders.tolist(), broken.tolist()), OTIF_ONLY)
        listed += judged["at_risk"].sum()
        naive += ((orders >= 5) & (orders - broken < 0.7 * orders)).sum()  # the old list
        measured += len(orders)
        eligible += (orders >= 5).sum()
    share, among = listed / measured, listed / eligible
    print(
        f"true OTIF {rate:.0%} for every customer: {share:.2%} of customers listed as below 70% "
        f"({listed} of {measured} over {COMPANIES} simulated companies); "
        f"{among:.2%} of those with 5+ orders; OTIF < 70% over 5+ orders alone would list "
        f"{naive / measured:.2%} ({naive / eligible:.2%})"
    )
    assert share <= 0.05 and among <= 0.05


def test_a_rate_that_could_be_chance_is_not_listed():
    # 2 of 3 late: OTIF 33%, but 3 orders at a true 70% show 1 or fewer on time 22% of the time
    assert binomial_cdf(1, 3, 0.7) == pytest.approx(0.216)
    assert not rate_below(1, 3, 0.7)
    # 20 of 40 late: 20 on time or fewer at a true 70% happens 0.5% of the time
    assert rate_below(20, 40, 0.7)
    rule = OTIF_ONLY.model_copy(update={"otif_below": OtifBelow(value=0.7, min_orders=1)})
    judged = judge_customers(counts([3, 40, 40], [2, 20, 10]), rule)
    assert judged["at_risk"].to_list() == [False, True, False]
    assert judged["reasons"][1] == "OTIF 50% (40 orders)"


def test_wilson_explains_the_bound():
    assert wilson_upper(20, 40) == pytest.approx(0.626, abs=0.001)  # below 70%: listed
    assert wilson_upper(1, 3) == pytest.approx(0.747, abs=0.001)  # above: not listed
    assert wilson_upper(0, 0) is None


def test_a_single_event_never_lists_a_customer_alone():
    rule = AtRisk(min_signals=1, otif_below=None, contact_surge=None)
    judged = judge_customers(counts([5, 5], [1, 2], detractors=[1, 2]), rule)
    assert judged["signals"].to_list() == [1, 1]  # the one detractor is evidence ...
    assert judged["at_risk"].to_list() == [False, True]  # ... but never lists alone
    promises = AtRisk(
        min_signals=1,
        broken_promises=1,
        otif_below=None,
        contact_surge=None,
        detractor_after_broken_promise=False,
    )
    judged = judge_customers(counts([5, 5], [1, 2]), promises)
    assert judged["at_risk"].to_list() == [False, True]
