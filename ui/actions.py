"""The action log on the weekly review: decisions recorded (what, who, by when, about which
metric and scope), marked on the trend, flagged when overdue, reviewed for their effect, and
added or closed from a form. Kept in the state file beside the warehouse (loads keep it).

Every write is audited ("action add", "action done"). A viewer records decisions within their
rows only, and closes only an action whose scope lies within them (one without a scope is the
whole company's: only a viewer of every row closes it)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import polars as pl
import streamlit as st

from metrics import clock
from metrics.access import AccessError
from metrics.action_effect import action_effect
from metrics.catalog import Catalog
from metrics.sqlgen import Query
from present import format as fmt
from state import audit
from state.action_log import Action, add_action, list_actions, mark_done
from state.store import StateStore
from store.errors import StoreError
from ui import access, data
from ui.filters import View
from ui.guard import logged_failure

Where = tuple[tuple[str, tuple[str, ...]], ...]


def _store(src: data.Source) -> StateStore:
    return StateStore.beside(Path(src.db))


def for_view(src: data.Source, view: View) -> list[Action]:
    """The actions that concern the view's filters and the viewer's access (an action for
    everyone concerns all)."""
    seen = view.where + access.viewer().scope
    return [a for a in list_actions(_store(src)) if a.applies_to(seen)]


def marks(actions: list[Action], metric: str) -> tuple[tuple[dt.date, str], ...]:
    """The actions on ``metric`` as the trend's markers: (decision day, text)."""
    return tuple((a.decided, a.label()) for a in actions if a.metric == metric)


def _effect(
    src: data.Source, metric: str, decided: dt.date, as_of: dt.date, where: Where
) -> tuple[str, str]:
    """Did the metric move after the decision, counted over the viewer's rows only."""
    q = data.scoped(src, Query(metrics=(metric,), where=where, as_of=as_of))
    return _effect_of(src, metric, decided, as_of, where, q.scope)


@st.cache_data(show_spinner=False, max_entries=256, hash_funcs={data.Source: repr})
def _effect_of(
    src: data.Source, metric: str, decided: dt.date, as_of: dt.date, where: Where, scope: Where
) -> tuple[str, str]:
    with data.engine(src) as eng:
        catalog = data.catalog_of(src)
        e = action_effect(
            eng, catalog, metric=metric, decided=decided, as_of=as_of, where=where, scope=scope
        )
        form = catalog.metric(metric).format
        return e.verdict, e.text(lambda v: fmt.value(v, form))


def table(
    src: data.Source, catalog: Catalog, actions: list[Action], as_of: dt.date
) -> pl.DataFrame:
    today, v = clock.today(), access.viewer()
    rows = []
    for a in sorted(actions, key=lambda a: (a.done is not None, a.due)):
        effect = fmt.DASH  # an action about a metric the viewer may not see: no number of it
        if v.sees_metric(catalog, a.metric):
            _, effect = _effect(src, a.metric, a.decided, as_of, a.scope)
        rows.append(
            {
                "id": a.id,
                "status": ("⚠ OVERDUE" if a.overdue(today) else a.status(today)),
                "what": a.what,
                "effect": effect,
                "owner": a.owner,
                "due": a.due,
                "metric": catalog.metric(a.metric).label,
                "scope": a.scope_text,
                "decided": a.decided,
            }
        )
    return pl.DataFrame(rows) if rows else pl.DataFrame()


def show(src: data.Source, catalog: Catalog, view: View, actions: list[Action]) -> None:
    """The log, then the forms to add a decision and to close one."""
    frame = table(src, catalog, actions, view.as_of)
    if frame.is_empty():
        st.caption("No decisions recorded yet for this view.")
    else:
        overdue = sum(a.overdue(clock.today()) for a in actions)
        if overdue:
            st.warning(
                f"{overdue} action{'s' if overdue > 1 else ''} past due and not done.",
                icon=":material/alarm:",
            )
        st.dataframe(
            frame,
            hide_index=True,
            width="stretch",
            column_config={
                "due": st.column_config.DateColumn("Due", format="D MMM YYYY"),
                "decided": st.column_config.DateColumn("Decided", format="D MMM YYYY"),
                "id": st.column_config.NumberColumn("#", width=40),
                "status": st.column_config.TextColumn("Status"),
                "owner": st.column_config.TextColumn("Owner"),
                "metric": st.column_config.TextColumn("Metric"),
                "scope": st.column_config.TextColumn("Scope"),
                "what": st.column_config.TextColumn("What", width="medium"),
                "effect": st.column_config.TextColumn(
                    "Effect",
                    width="large",
                    help="The metric over the 4 complete weeks before the decision against "
                    "those after it, in the action's scope",
                ),
            },
        )
    rows = access.viewer().scope
    add, close = st.columns([2, 1], gap="large")
    with add:
        _add_form(src, catalog, view)
    with close:
        _done_form(src, [a for a in actions if a.done is None and a.within(rows)])


def new_scope(where: Where, rows: Where) -> Where:
    """The scope of a decision recorded under the filters ``where`` by a viewer of ``rows``:
    the filters narrowed to those rows (AccessError when they share none)."""
    scope = dict(where)
    for dim, values in rows:
        kept = tuple(v for v in scope.get(dim, values) if v in values)
        if not kept:
            raise AccessError(f"the filters on {dim} lie outside your rows")
        scope[dim] = kept
    return tuple(scope.items())


def record(src: data.Source, *, scope: Where, **fields) -> Action:
    """Add a decision within the viewer's rows, audited as "action add"."""
    a = add_action(_store(src), scope=new_scope(scope, access.viewer().scope), **fields)
    _audit("action add", a)
    return a


def close(src: data.Source, action_id: int) -> Action:
    """Mark an action done for the viewer, audited as "action done"; refused (AccessError)
    when its scope does not lie within the viewer's rows."""
    v = access.viewer()
    found = next((a for a in list_actions(_store(src)) if a.id == action_id), None)
    if found is not None and not found.within(v.scope):
        raise AccessError(
            f"{v.who} may not close action #{action_id}: it concerns {found.scope_text}, "
            "beyond your rows"
        )
    done = mark_done(_store(src), action_id, clock.today())
    _audit("action done", done)
    return done


def _audit(event: str, a: Action) -> None:
    v = access.viewer()
    audit.record_action(
        access.store(), email=v.email or v.name, event=event, action=a, page="review"
    )


def _failed(what: str) -> None:
    """The state file failed mid-write: a plain message with an error id, details in the log."""
    error_id = logged_failure(what)
    st.error(f"{what} failed. Error id {error_id}: the server log has the details.")


def _add_form(src: data.Source, catalog: Catalog, view: View) -> None:
    with st.form("action_add", clear_on_submit=True, border=True):
        st.markdown("**Record a decision**")
        what = st.text_input("What", max_chars=300)
        owner = st.text_input("Who (owner)", max_chars=120)
        c1, c2 = st.columns(2)
        due = c1.date_input("By when", value=clock.today() + dt.timedelta(days=14))
        v = access.viewer()
        names = v.visible_metrics(catalog)
        metric = c2.selectbox(
            "About",
            names,
            index=names.index("otif") if "otif" in names else 0,
            format_func=lambda n: catalog.metric(n).label,
        )
        rows = "; ".join(f"{d} {', '.join(vals)}" for d, vals in v.scope)
        whole = f"For your rows ({rows})" if rows else "For all customers (no filter set)"
        scoped = st.checkbox(
            "Only for the current filters" if view.where else whole,
            value=bool(view.where),
            disabled=not view.where,
        )
        if st.form_submit_button("Add to the log", icon=":material/add:"):
            try:
                a = record(
                    src,
                    what=what,
                    owner=owner,
                    due=due,
                    metric=metric,
                    decided=clock.today(),
                    scope=view.where if scoped else (),
                )
            except (StoreError, AccessError) as exc:
                st.error(fmt.escape_markdown(str(exc)))
            except sqlite3.Error:
                _failed("Recording the decision")
            else:
                st.toast(f"Recorded action #{a.id}")
                st.rerun()


def _done_form(src: data.Source, open_actions: list[Action]) -> None:
    with st.form("action_done", border=True):
        st.markdown("**Close a decision**")
        labels = {a.id: a.label() for a in open_actions}
        pick = st.selectbox(
            "Action",
            list(labels),
            format_func=labels.get,
            placeholder="No open action" if not open_actions else "Choose",
        )
        done = st.form_submit_button("Mark done", icon=":material/done:", disabled=not open_actions)
        if done and pick is not None:
            try:
                close(src, int(pick))
            except (StoreError, AccessError) as exc:
                st.error(fmt.escape_markdown(str(exc)))
            except sqlite3.Error:
                _failed("Closing the decision")
            else:
                st.rerun()
