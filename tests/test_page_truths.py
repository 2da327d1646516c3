"""Explore, contact center, customer and data pages tell the truth: AppTest and the real engine
on the demo warehouse, plus the page helpers on frames the engine returned."""

from __future__ import annotations

import io
import json
import logging

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from metrics import periods
from metrics.catalog import load_catalog
from metrics.details import run_details
from metrics.sqlgen import Query
from present import format as fmt
from store.warehouse import Warehouse
from tests import test_app_pages
from tests.test_app_pages import CONFIG, ROOT
from tests.test_app_screens import as_of, engine, run_page, some_customer
from ui import contact_center as cc
from ui import customer_data, explore, explore_tables, portfolios
from ui.filters import View

# the shared fixture: fresh caches (the demo warehouse is conftest.py's)
fresh_caches = test_app_pages.fresh_caches


def week_view(db, where=()) -> View:
    day = as_of(db)
    start = periods.last_complete_period(day, "week")
    return View(where, "week", start, periods.period_end(start, "week"), day)


def details(db, q: Query) -> pl.DataFrame:
    return run_details(Warehouse(db).engine(), load_catalog(CONFIG), q)


# ---- Explore ------------------------------------------------------------------------------------


def test_records_link_each_customer_to_its_page_with_its_name(demo_db):
    at = run_page("pages/explore_view.py", demo_db, {"metric": "otif"})
    records = at.dataframe[1].value
    cid = records["customer_id"].iloc[0]
    assert cid.startswith("account?customer_id=C")
    assert "customer_name" in records.columns
    names = dict(
        Warehouse(demo_db).cursor().sql("SELECT customer_id, name FROM customers").fetchall()
    )
    for link, name in records[["customer_id", "customer_name"]].head(20).itertuples(index=False):
        assert name == names[link.split("=", 1)[1]]
    config = json.loads(at.dataframe[1].proto.columns)
    assert config["customer_id"]["type_config"]["type"] == "link"


def test_a_link_is_built_with_url_encoding():
    assert customer_data.link("C1") == "account?customer_id=C1"
    assert customer_data.link("A&B=C #1") == "account?customer_id=A%26B%3DC+%231"


def test_export_names_carry_metric_period_filters_and_safe_characters(demo_db):
    view = week_view(demo_db, (("region", ("South",)),))
    start = view.start.isoformat()
    assert (
        explore_tables.export_name("otif", view, kind="aggregate")
        == f"otif_week_{start}_region-South.csv"
    )
    assert (
        explore_tables.export_name("otif", view, kind="aggregate", dim="carrier", every="week")
        == f"otif_week_{start}_region-South_by-carrier_every-week.csv"
    )
    pick = explore.Pick("Rapido Freight", None)
    assert (
        explore_tables.export_name(
            "otif", view, kind="records", dim="carrier", pick=pick, failing=True
        )
        == f"otif_week_{start}_region-South_records_carrier-Rapido-Freight_failing.csv"
    )
    odd = week_view(demo_db, (("portfolio", ("../Key Accounts; rm -rf", "A/B")),))
    name = explore_tables.export_name("otif", odd, kind="aggregate")
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")
    assert "/" not in name and not name.startswith(".")


def test_aggregate_csv_has_its_comparisons_filled_in_displayed_units(demo_db):
    view = week_view(demo_db)
    cat = load_catalog(CONFIG)
    frame = details(demo_db, explore.aggregate_query(view, "otif", "region", "total")).drop(
        "metric"
    )
    out = pl.read_csv(
        io.StringIO(explore_tables.aggregate_csv(frame, cat.metric("otif"), "region"))
    )
    label = cat.metric("otif").label
    expected = frame.sort("region").row(0, named=True)
    row = out.sort("region").row(0, named=True)
    assert row[f"{label} (%)"] == pytest.approx(expected["value"] * 100, abs=0.01)
    assert row["previous period (%)"] == pytest.approx(expected["prev_value"] * 100, abs=0.01)
    assert row["same period last year (%)"] == pytest.approx(expected["ly_value"] * 100, abs=0.01)
    assert row["target (%)"] == pytest.approx(expected["target"] * 100, abs=0.01)
    assert row["change vs previous (pts)"] == pytest.approx(expected["delta_prev"] * 100, abs=0.01)
    for col in ("previous period (%)", "same period last year (%)", "target (%)"):
        assert out[col].null_count() == 0, col


def test_rows_without_a_customer_are_their_own_row_and_the_rows_add_up(demo_db):
    view = week_view(demo_db)
    total = engine(demo_db, view.query("contacts"))["contacts"][0]
    at = run_page("pages/explore_view.py", demo_db, {"metric": "contacts", "by": "region"})
    table = at.dataframe[0].value
    assert "(no customer)" in table["region"].to_list()
    assert table["value"].sum() == pytest.approx(total)
    assert any("(no customer)" in c.value for c in at.caption)


def test_picking_the_no_customer_row_lists_the_contacts_without_one(demo_db):
    at = run_page(
        "pages/explore_view.py",
        demo_db,
        {"metric": "contacts", "by": "region", "pick": "(no customer)"},
    )
    records = at.dataframe[1].value
    assert len(records) > 0
    assert records["customer_id"].isna().all()
    assert not at.exception


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_no_csv_cell_can_run_as_a_formula(cell):
    frame = pl.DataFrame({"name": [cell, "plain"], "n": [-5, 3]})
    back = pl.read_csv(io.StringIO(fmt.csv_text(frame)))
    assert back["name"][0] == "'" + cell
    assert back["name"][1] == "plain"
    assert back["n"].to_list() == [-5, 3]  # numbers stay numbers


# ---- contact center -----------------------------------------------------------------------------


def test_agents_are_not_judged_on_abandon_rate_or_handle_time(demo_db):
    at = run_page("pages/contact_center.py", demo_db)
    agents = at.dataframe[1].value
    assert "abandon_rate" not in agents.columns
    assert "abandon_rate" in at.dataframe[0].value.columns  # a queue's number
    assert "(no agent)" in agents["agent_id"].to_list()  # abandoned calls: their own row
    view = week_view(demo_db)
    total = engine(demo_db, view.query("contacts"))["contacts"][0]
    assert agents["contacts"].sum() == pytest.approx(total)


def background_cells(scores, metric: str) -> int:
    styles = portfolios.styled(scores, load_catalog(CONFIG))._compute().ctx
    col = list(scores.values.columns).index(metric)
    return sum(
        any("background" in prop for prop, _ in props)
        for (_, c), props in styles.items()
        if c == col
    )


def test_handle_time_is_not_coloured_per_agent(demo_db):
    day = as_of(demo_db)
    start = periods.last_complete_period(day, "quarter")  # enough calls per agent to be judged
    view = View((), "quarter", start, periods.period_end(start, "quarter"), day)
    keys = ("queue", "agent_id")
    rows = details(demo_db, view.query(*cc.AGENT_TABLE, by=keys))
    judged = portfolios.scores(rows, keys, cc.AGENT_TABLE)
    assert background_cells(judged, "aht_sec") > 0  # the scoreboard would colour it
    shown = cc.agent_scores(judged)
    assert background_cells(shown, "aht_sec") == 0
    assert background_cells(shown, "fcr_agent") > 0  # the rest stays judged


def test_contact_reasons_read_as_words(demo_db, monkeypatch):
    from ui import access, data

    monkeypatch.setenv("NORTHSTAR_DB", str(demo_db))
    with access.background():
        reasons = cc.reasons(data.source(), week_view(demo_db))
    labels = reasons["reason"].to_list()
    assert "Where is my order" in labels and not any("_" in r for r in labels)
    assert reasons.filter(pl.col("wismo"))["reason"].to_list() == ["Where is my order"]


# ---- customer -----------------------------------------------------------------------------------


def test_customer_timeline_shows_labels_not_codes(demo_db):
    cid = some_customer(demo_db)
    at = run_page("pages/customer.py", demo_db, {"customer_id": cid})
    timeline = at.dataframe[0].value
    answers = timeline[timeline["kind"] == "Answer"]["what"].to_list()
    assert answers and all("CSAT" in a and " · NPS " in a for a in answers)
    assert not any(" - " in a or a.endswith(" -") for a in answers)
    contacts = " ".join(timeline[timeline["kind"] == "Contact"]["what"])
    assert "_" not in contacts
    assert "None" not in timeline.astype(str).to_numpy().ravel().tolist()


def test_readable_timeline_cases():
    assert (
        customer_data.readable_what("response", "delivery: CSAT 3 NPS - CES -")
        == "Delivery: CSAT 3/5 · NPS — · CES —"
    )
    assert (
        customer_data.readable_what("response", "call: CSAT - NPS 9 CES 2")
        == "Call: CSAT — · NPS 9/10 · CES 2/7"
    )
    assert (
        customer_data.readable_what("contact", "orders queue, reason where_is_my_order")
        == "orders queue · Where is my order"
    )
    assert (
        customer_data.readable_what("order", "1 line(s), 4 units via edi")
        == "1 line, 4 units via edi"
    )
    assert customer_data.readable_outcome("broken: late_dispatch") == "broken: Late dispatch"
    assert customer_data.readable_outcome(None) == "—"


EVIL = "[x](https://evil.example) ![p](https://evil.example/p.png)"


def evil_copy(db, tmp_path):
    """A copy of the warehouse whose first at-risk customer has a name full of markdown."""
    import shutil

    import duckdb

    copy = tmp_path / "evil.duckdb"
    shutil.copy(db, copy)
    cid = some_customer(copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("UPDATE customers SET name = ? WHERE customer_id = ?", [EVIL, cid])
    finally:
        con.close()
    return copy, cid


def test_a_customer_name_is_shown_as_text_never_markdown(demo_db, tmp_path):
    db, cid = evil_copy(demo_db, tmp_path)
    at = run_page("pages/customer.py", db, {"customer_id": cid})
    heading = at.subheader[0].value
    assert heading.startswith(fmt.escape_markdown(EVIL))  # every markdown character escaped
    assert "](" not in heading.replace("\\]\\(", "")


def test_an_unknown_customer_id_in_the_link_is_shown_as_text(demo_db):
    at = run_page("pages/customer.py", demo_db, {"customer_id": "[Sign in](https://evil.example)"})
    warnings = [w.value for w in at.warning]
    assert any(fmt.escape_markdown("[Sign in](https://evil.example)") in w for w in warnings)


# ---- errors -------------------------------------------------------------------------------------

FAILING_PAGE = """
from ui.guard import guarded

with guarded():
    raise RuntimeError("secret detail: /srv/data/customers.csv")
"""


def test_an_unexpected_error_shows_a_plain_message_with_an_id(caplog):
    caplog.set_level(logging.ERROR, logger="northstar.ui")
    at = AppTest.from_string(FAILING_PAGE, default_timeout=30).run()
    assert not at.exception
    shown = at.error[0].value
    assert "Error id" in shown and "secret" not in shown and "RuntimeError" not in shown
    error_id = shown.split("Error id ", 1)[1].split(":", 1)[0]
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info and "secret detail" in str(logged[0].exc_info[1])


def test_the_app_hides_tracebacks_from_users():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"


# ---- the server root, written into the page -----------------------------------------------------


def call(app, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[dict, bytes, list]:
    """One GET through an ASGI app: the response start, its body and every message sent."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": headers}

    async def run():
        await app(scope, receive, send)

    # In a thread: Playwright's tests may leave an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, run()).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start, body, sent


def inner_app(content_type: bytes, body: bytes, seen: list):
    async def app(scope, receive, send):
        seen.append(dict(scope["headers"]))
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(body)).encode()),
                    (b"etag", b'"abc"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    return app


def test_a_deep_link_page_names_the_server_root():
    from ui.base_url import BaseUrlHint

    seen: list = []
    page = b"<!doctype html><html><head><title>x</title></head></html>"
    app = BaseUrlHint(inner_app(b"text/html", page, seen), base_path="/northstar/")
    start, body, _ = call(app, "/northstar/sop-wall", [(b"accept-encoding", b"gzip")])
    assert b'BACKEND_BASE_URL:location.origin+"/northstar/"' in body
    assert body.index(b"__streamlit") < body.index(b"<title>")  # before the app's scripts
    headers = dict(start["headers"])
    assert int(headers[b"content-length"]) == len(body) and b"etag" not in headers
    assert b"accept-encoding" not in seen[0]  # asked for uncompressed, so it can be edited


def test_files_and_the_server_api_pass_untouched():
    from ui.base_url import BaseUrlHint

    for path, kind in (
        ("/static/js/index.js", b"text/javascript"),
        ("/_stcore/health", b"text/html"),
    ):
        seen: list = []
        app = BaseUrlHint(inner_app(kind, b"<head>ok", seen))
        _, body, _ = call(app, path, [(b"accept-encoding", b"gzip")])
        assert body == b"<head>ok"
        assert b"accept-encoding" in seen[0]
