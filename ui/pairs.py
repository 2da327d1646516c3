"""Rendering the department-vs-customer pairs: a card per pair, conflicts first.

Each side is shown against its own target in its own units ("Fill rate 95.7% ·
target 97.0%"), with its own 13-period trend; no common "% of target" scale.
"""

from __future__ import annotations

from typing import Any

import polars as pl
import streamlit as st

from metrics import pairs
from metrics.catalog import Catalog, Pair
from metrics.periods import period_end
from metrics.spec import MetricBase
from present import format as fmt
from present import trend_charts
from ui import charts, data, explore
from ui.filters import View

NONE = explore.NONE
CONFLICT = "Conflict"


def periods(src: data.Source, view: View, catalog: Catalog) -> pl.DataFrame:
    """Every paired metric over the 13 periods up to the one under review: one statement."""
    return data.details(src, view.trend_query(*pairs.pair_metrics(catalog)), compare=False)


def split_by(catalog: Catalog) -> str | None:
    """The dimension of ``?pair_by=`` (a selectbox kept in the URL); an unknown one gets a note."""
    offered = pairs.split_dimensions(catalog)
    raw = st.query_params.get("pair_by")
    if raw and raw != NONE and raw not in offered:
        shown = raw.replace("`", "").replace("\n", " ")[:60]
        st.warning(
            f"The link's `pair_by={shown}` is not a dimension both sides of a pair can be split "
            f"by; showing totals. Valid values: {', '.join(offered)}."
        )
        st.query_params["pair_by"] = NONE
    dim = explore.url_selectbox(
        "Split each pair by",
        [NONE, *offered],
        key="pair_by",
        default=NONE,
        format_func=lambda d: "nothing (totals)" if d == NONE else catalog.spec.dimensions[d].label,
    )
    return None if dim == NONE else dim


def split_details(src: data.Source, view: View, catalog: Catalog, dim: str) -> pl.DataFrame:
    """The pairs ``dim`` splits on both sides, per value of ``dim`` (no value: its own row)."""
    frames = []
    for i, pair in enumerate(catalog.pairs):  # each pair in its own period (FCR lags)
        if dim not in pairs.shared_dimensions(catalog, pair):
            continue
        at = pairs.pair_period(catalog, pair, view.start, view.grain, view.as_of)
        q = view.query(pair.department, pair.customer, by=(dim,))
        q = q.replace(date_from=at, date_to=min(period_end(at, view.grain), view.as_of))
        frame = data.details(src, q, compare=False)
        frames.append(pairs.pair_rows(frame, catalog, [dim], only=(i,)))
    frames = [f for f in frames if f.height]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def against_target(value: float | None, target: float | None, m: MetricBase) -> str:
    """'Fill rate 95.7% · target 97.0%' in the metric's own units."""
    shown = f"{m.label} {fmt.value(value, m.format)}"
    return f"{shown} · target {fmt.value(target, m.format)}" if target is not None else shown


def _gap_words(value: float | None, target: float | None, m: MetricBase) -> str | None:
    """'1.3 pts short of target' / '17s better than target', in the metric's units."""
    if value is None or target is None:
        return None
    diff = value - target
    worse = diff < 0 if m.direction == "up" else diff > 0
    size = (fmt.delta(abs(diff), m.format) or "").lstrip("+")
    if not any(c in "123456789" for c in size):  # rounds to nothing
        return None
    return f"{size} {'short of' if worse else 'better than'} target"


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def conflict_banner(ranked: pl.DataFrame, catalog: Catalog, dim: str | None) -> None:
    """Name the pairs whose department KPI looks acceptable while the customer is off target."""
    hits = ranked.filter(pl.col("flagged"))
    if hits.is_empty():
        st.success(
            "No pair shows a department KPI on or near target beside a customer outcome "
            "off target in this view."
        )
        return
    where = f" (in total or for some {catalog.spec.dimensions[dim].label.lower()})" if dim else ""
    lines = []
    for r in hits.iter_rows(named=True):
        md, mc = catalog.metric(r["department"]), catalog.metric(r["customer"])
        line = (
            f"- **{against_target(r['dept_value'], r['dept_target'], md)}** "
            f"({fmt.STATUS_TEXT[r['dept_status']]}) while "
            f"**{against_target(r['cust_value'], r['cust_target'], mc)}** "
            f"({fmt.STATUS_TEXT[r['cust_status']]})"
        )
        if dim and r["split_conflicts"]:
            name = catalog.spec.dimensions[dim].label.lower()
            line += f"; for {_plural(r['split_conflicts'], name, name + 's')}"
        lines.append(line)
    verb = "looks" if hits.height == 1 else "look"
    st.warning(
        f"**{_plural(hits.height, 'pair', 'pairs')} {verb} fine from inside and bad to the "
        f"customer{where}**, widest gap first:\n" + "\n".join(lines),
        icon=":material/report:",
    )


def _side(row: dict[str, Any], prefix: str, m: MetricBase, role: str, trend: pl.DataFrame) -> None:
    value, target = row.get(f"{prefix}_value"), row.get(f"{prefix}_target")
    status = row.get(f"{prefix}_status") if value is not None else None
    st.metric(
        f"{fmt.STATUS_ICON[status]} {m.label} · {role}",
        fmt.value(value, m.format),
        border=True,
        help=m.description,
    )
    note = fmt.sample_note(row.get(f"{prefix}_n"), m.min_sample) if value is not None else None
    bits = [
        f"target {fmt.value(target, m.format)}" if target is not None else "no target",
        (fmt.STATUS_TEXT[status] if value is not None else "not measured yet"),
        _gap_words(value, target, m),
        f"{'higher' if m.direction == 'up' else 'lower'} is better",
    ]
    st.caption(
        " · ".join(b for b in bits if b)
        + (f" · :orange[:material/warning: {note}]" if note else "")
    )
    if not trend.is_empty():
        charts.draw(trend_charts.trend, trend, m, height=130)


def card(
    total: dict[str, Any],
    by_dim: pl.DataFrame | None,
    dim: str | None,
    trend: pl.DataFrame,
    catalog: Catalog,
) -> None:
    """One pair: each side against its own target with its trend, then the split rows."""
    md, mc = catalog.metric(total["department"]), catalog.metric(total["customer"])
    with st.container(border=True):
        flag = ":red[:material/warning:] " if total.get("flagged") else ""
        st.markdown(f"#### {flag}{md.label} ↔ {mc.label}")
        lag = max(md.lag_days, mc.lag_days)
        read_in = (
            f" · read in the period starting {total['period']:%a %d %b}, the latest "
            f"measurable ({lag} days must pass after a period)"
            if lag and total.get("period")
            else ""
        )
        st.caption(
            total["reveals"]
            + read_in
            + (
                " · :red[looks fine from inside, off target for the customer]"
                if total.get("conflict")
                else ""
            )
        )
        a, b = st.columns(2)
        with a:
            _side(total, "dept", md, "department KPI", _trend_of(trend, total["department"]))
        with b:
            _side(total, "cust", mc, "customer outcome", _trend_of(trend, total["customer"]))
        if not dim:
            return
        label = catalog.spec.dimensions[dim].label
        pair = Pair(total["department"], total["customer"], total["reveals"])
        if dim not in pairs.shared_dimensions(catalog, pair):
            st.caption(f"{label} does not split both sides of this pair; totals only.")
        elif by_dim is None or by_dim.is_empty():
            st.caption(f"Nothing measured per {label.lower()} in this period.")
        else:
            st.dataframe(
                dim_table(by_dim, dim, label, md, mc),
                hide_index=True,
                width="stretch",
                column_config={
                    CONFLICT: st.column_config.TextColumn(
                        width="small",
                        help="The department KPI is on or near target while the customer "
                        "outcome is off target (both on enough records).",
                    )
                },
            )
            if by_dim[dim].null_count():
                st.caption(
                    f"Records with no {label.lower()} are their own row, so the rows add up "
                    "to the total."
                )


def _trend_of(trend: pl.DataFrame, name: str) -> pl.DataFrame:
    if trend.is_empty():
        return trend
    return trend.filter(pl.col("metric") == name)


def _cell(r: dict[str, Any], prefix: str, m: MetricBase) -> str:
    value, target, status = r[f"{prefix}_value"], r[f"{prefix}_target"], r[f"{prefix}_status"]
    text = fmt.value(value, m.format)
    if target is not None:
        text += f" · target {fmt.value(target, m.format)}"
    if value is not None:
        text += f" · {fmt.STATUS_TEXT[status]}"
    note = fmt.sample_note(r[f"{prefix}_n"], m.min_sample) if value is not None else None
    return text + (f" · {note}" if note else "")


def dim_table(
    rows: pl.DataFrame, dim: str, label: str, md: MetricBase, mc: MetricBase
) -> pl.DataFrame:
    """One row per value of ``dim``: each side against its target, conflicts first."""
    return pl.DataFrame(
        [
            {
                label: r[dim] if r[dim] is not None else f"(no {label.lower()})",
                f"{md.label} (department)": _cell(r, "dept", md),
                f"{mc.label} (customer)": _cell(r, "cust", mc),
                CONFLICT: "⚠ yes" if r["conflict"] else "",
            }
            for r in rows.iter_rows(named=True)
        ]
    )
