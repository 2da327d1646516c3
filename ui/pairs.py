"""Rendering the department-vs-customer pairs: a card per pair, conflicts first."""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from metrics import pairs
from metrics.catalog import Catalog
from ui import charts, data
from ui import format as fmt
from ui.filters import View
from ui.tiles import delta_color


def periods(src: data.Source, view: View, catalog: Catalog) -> pl.DataFrame:
    """Every paired metric over the 13 periods up to the one under review: one statement."""
    return data.details(src, view.trend_query(*pairs.pair_metrics(catalog)), compare=False)


def conflict_banner(rows: pl.DataFrame, catalog: Catalog) -> None:
    """Name the pairs where the department looks green and the customer red."""
    hits = rows.filter(pl.col("conflict")).unique("pair", maintain_order=True)
    if hits.is_empty():
        st.success(
            "No pair shows a green department KPI beside a red customer outcome in this view."
        )
        return
    lines = [
        f"- **{catalog.metric(r['department']).label}** is green while "
        f"**{catalog.metric(r['customer']).label}** is red"
        for r in hits.iter_rows(named=True)
    ]
    st.warning(
        f"**{hits.height} pair(s) look fine from inside and bad to the customer:**\n"
        + "\n".join(lines),
        icon=":material/report:",
    )


def _side(row: dict[str, Any], prefix: str, name: str, catalog: Catalog, role: str) -> None:
    m = catalog.metric(name)
    measured = row.get(f"{prefix}_value") is not None
    note = fmt.sample_note(row.get(f"{prefix}_n"), m.min_sample) if measured else None
    st.metric(
        f"{fmt.STATUS_ICON[row.get(f'{prefix}_status')]} {m.label}",
        fmt.value(row.get(f"{prefix}_value"), m.format),
        delta_color=delta_color(m),
        border=True,
        help=m.description,
    )
    target = row.get(f"{prefix}_target")
    bits = [
        role,
        (fmt.STATUS_TEXT[row.get(f"{prefix}_status")] if measured else "not measured yet"),
        f"target {fmt.value(target, m.format)}" if target is not None else "no target",
        f"{'higher' if m.direction == 'up' else 'lower'} is better",
    ]
    st.caption(" · ".join(bits + ([f":orange[:material/warning: {note}]"] if note else [])))


def card(
    total: dict[str, Any],
    by_dim: pl.DataFrame | None,
    dim: str | None,
    trend: pl.DataFrame,
    catalog: Catalog,
) -> None:
    """One pair: both tiles, what the pair reveals, the divergence over time, and per-value rows."""
    dept, cust = total["department"], total["customer"]
    with st.container(border=True):
        flag = ":red[:material/warning:] " if total.get("flagged") else ""
        st.markdown(f"#### {flag}{catalog.metric(dept).label} ↔ {catalog.metric(cust).label}")
        st.caption(total["reveals"])
        a, b, c = st.columns([1, 1, 2])
        with a:
            _side(total, "dept", dept, catalog, "department KPI")
        with b:
            _side(total, "cust", cust, catalog, "customer view")
        with c:
            pair_trend = trend.filter(pl.col("metric").is_in([dept, cust])).with_columns(
                role=pl.when(pl.col("metric") == cust)
                .then(pl.lit("customer"))
                .otherwise(pl.lit("department"))
            )
            shown = pair_trend.with_columns(
                shown=pl.struct("metric", "value").map_elements(
                    lambda s: fmt.value(s["value"], catalog.metric(s["metric"]).format),
                    return_dtype=pl.String,
                )
            )
            charts.draw(charts.attainment, shown, height=170)
        if by_dim is not None and dim:
            st.dataframe(
                _dim_table(by_dim, dim, dept, cust, catalog), hide_index=True, width="stretch"
            )


def _dim_table(
    rows: pl.DataFrame, dim: str, dept: str, cust: str, catalog: Catalog
) -> pl.DataFrame:
    md, mc = catalog.metric(dept), catalog.metric(cust)
    out = []
    for r in rows.iter_rows(named=True):
        out.append(
            {
                dim: r[dim],
                md.label: f"{fmt.value(r['dept_value'], md.format)} · {fmt.STATUS_TEXT[r['dept_status']]}",
                mc.label: f"{fmt.value(r['cust_value'], mc.format)} · {fmt.STATUS_TEXT[r['cust_status']]}",
                "Green inside, red outside": "yes" if r["conflict"] else "",
            }
        )
    return pl.DataFrame(out)
