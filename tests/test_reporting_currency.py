"""One currency source (issue 27): every money number on the pages, in the pack and in the
command line's tables takes its sign from the catalogue's ``settings.reporting_currency``, the
rule the charts already followed; no environment variable writes a second one."""

from __future__ import annotations

import json

import pytest

from present import format as fmt
from reports.review_pack import build_pack
from store.warehouse import Warehouse
from tests.cli_support import run_cli
from tests.metric_support import catalog_with
from tests.test_app_pages import fresh_caches  # noqa: F401 (each page run starts afresh)
from tests.test_app_screens import run_page

USD = {"reporting_currency: EUR ": "reporting_currency: USD "}


@pytest.fixture
def usd(tmp_path, monkeypatch):
    """A catalogue reporting in US dollars, the app reading it; euros again afterwards."""
    catalog = catalog_with(tmp_path, USD)
    monkeypatch.setenv("NORTHSTAR_CONFIG", str(tmp_path / "metrics.yaml"))
    yield catalog
    fmt.use_currency(None)


def test_a_tile_and_a_chart_axis_both_say_the_catalogues_currency(demo_db, usd):
    at = run_page("pages/explore_view.py", demo_db, {"metric": "revenue", "every": "total"})
    assert not at.exception
    (tile,) = (m.value for m in at.metric)
    assert tile.startswith("$"), tile
    at = run_page("pages/explore_view.py", demo_db, {"metric": "revenue", "by": "region"})
    spec = json.dumps(json.loads(at.get("vega_lite_chart")[0].proto.spec), ensure_ascii=False)
    assert "+ '$' + format(" in spec and "€" not in spec


def test_the_portfolio_table_writes_revenue_in_the_catalogues_currency(demo_db, usd):
    from ui import portfolios

    at = run_page("pages/portfolios.py", demo_db)
    assert not at.exception
    totals = " ".join(c.value for c in at.caption)
    assert "All customers together: revenue $" in totals and "€" not in totals
    assert portfolios._formatter(usd, "revenue")(223017.4) == "$223,017"  # its revenue cells


def test_the_query_table_and_the_pack_say_the_catalogues_currency(demo_db, usd, tmp_path):
    config = str(tmp_path / "metrics.yaml")
    table = run_cli(
        "query", "--metric", "revenue,cost_to_serve", "--db", demo_db, "--config", config
    ).stdout
    assert "$" in table and "€" not in table
    listing = run_cli("metrics", "--config", config).stdout  # cost to serve's target
    assert "$40.00" in listing and "€" not in listing
    fmt.use_currency(None)  # the pack sets it from its own catalogue, whatever came before
    pack = build_pack(Warehouse(demo_db).engine(), usd)
    assert "$" in pack.html and "€" not in pack.html


def test_an_alert_mail_writes_money_in_the_catalogues_currency(demo_copy, usd, tmp_path):
    from tests.test_alerts_delivery import Inbox, smtp_server

    (tmp_path / "alerts.yaml").write_text(
        "recipients:\n  Head of Logistics: logistics@northstar.example\n"
        "rules:\n  cost_high:\n    kind: off_target\n    metric: cost_to_serve\n"
        "    grain: week\n    by: [portfolio]\n"
    )
    fmt.use_currency(None)  # the run sets it from its own catalogue, whatever came before
    with smtp_server(Inbox()) as (inbox, url):
        done = run_cli(
            "alerts", "run", "--db", demo_copy, "--config", tmp_path / "metrics.yaml",
            env={"NORTHSTAR_SMTP_URL": url, "NORTHSTAR_BASE_URL": "https://ns.example"},
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    (mail,) = [m for m in inbox.messages if m["To"] == "logistics@northstar.example"]
    body = mail.get_body(("plain",)).get_content()
    assert "Cost to serve" in body and "$" in body and "€" not in body, body
