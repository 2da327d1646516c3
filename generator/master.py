"""Master data: the customers (CRM) and the item catalogue every chunk draws from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from generator import story as s

_FIRST = (
    "Nordwind",
    "Alpen",
    "Baltic",
    "Riviera",
    "Kestrel",
    "Granite",
    "Harbor",
    "Linden",
    "Meridian",
    "Oakridge",
    "Polaris",
    "Quarry",
    "Redwood",
    "Silverline",
    "Tamar",
    "Umbra",
    "Vantage",
    "Westmark",
    "Yarrow",
    "Zenith",
    "Amber",
    "Birch",
    "Cobalt",
    "Delta",
    "Elbe",
    "Fjord",
    "Glen",
    "Heron",
    "Iris",
    "Juniper",
)
_SECOND = (
    "Supplies",
    "Trading",
    "Hardware",
    "Building",
    "Tools",
    "Retail",
    "Industrial",
    "Wholesale",
    "Services",
    "Interiors",
    "Electric",
    "Garden",
    "Marine",
    "Logistics",
    "Workshop",
    "Home",
    "Technik",
    "Partners",
    "Stores",
    "Depot",
)
_LEGAL = ("GmbH", "Ltd", "AG", "BV", "SA", "Oy", "AB", "")
N_SKU = 1500


@dataclass(frozen=True)
class Master:
    customers: pl.DataFrame  # canonical customer columns
    segment: np.ndarray  # per customer index
    region: np.ndarray
    order_p: np.ndarray  # probability a customer places an order
    call_p: np.ndarray  # probability a recognised caller is this customer
    sku_price: np.ndarray
    sku_plant: np.ndarray  # made at Plant-Central
    sku_p: np.ndarray

    @property
    def customer_ids(self) -> np.ndarray:
        return self.customers["customer_id"].to_numpy()


def customer_count(n_lines: int) -> int:
    return max(50, round(n_lines * 0.006))


def build(seed: int, n_lines: int) -> Master:
    rng = np.random.default_rng([seed, 0])
    n = customer_count(n_lines)
    counts = np.round(np.array(s.SEGMENT_SHARE) * n).astype(int)
    counts[-1] = n - counts[:-1].sum()
    segment = rng.permutation(np.repeat(np.arange(3), counts))
    region = rng.integers(0, len(s.REGIONS), n)
    portfolio = s.PORTFOLIO_OF[segment, region]
    volume = np.array([8.0, 3.0, 1.0])[segment] * rng.lognormal(0, 0.6, n)
    customers = pl.DataFrame(
        {
            "customer_id": [f"C{100001 + i}" for i in range(n)],
            "name": _names(rng, n),
            "segment": [s.SEGMENTS[i] for i in segment],
            "region": [s.REGIONS[i] for i in region],
            "portfolio": [s.PORTFOLIOS[i].name for i in portfolio],
            "portfolio_manager": [s.PORTFOLIOS[i].manager for i in portfolio],
        }
    )
    sku_rng = np.random.default_rng([seed, 1])
    popularity = 1.0 / np.arange(1, N_SKU + 1) ** 0.8
    return Master(
        customers=customers,
        segment=segment,
        region=region,
        order_p=volume / volume.sum(),
        call_p=volume**0.25 / (volume**0.25).sum(),
        sku_price=np.round(sku_rng.lognormal(np.log(18.0), 0.9, N_SKU), 2),
        sku_plant=sku_rng.random(N_SKU) < 0.15,
        sku_p=sku_rng.permutation(popularity / popularity.sum()),
    )


def _names(rng: np.random.Generator, n: int) -> list[str]:
    first = rng.integers(0, len(_FIRST), n)
    second = rng.integers(0, len(_SECOND), n)
    legal = rng.integers(0, len(_LEGAL), n)
    return [
        f"{_FIRST[a]} {_SECOND[b]} {_LEGAL[c]}".strip() for a, b, c in zip(first, second, legal)
    ]
