"""Totals reconcile: a split keeps the rows without a value for its dimension as their own group,
so the parts add up to the total; people see that group labelled, machines see null."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest

from metrics.catalog import load_catalog
from metrics.details import run_details
from metrics.query import (
    NO_AGENT_LABEL,
    NO_CUSTOMER_LABEL,
    NO_VALUE_LABEL,
    no_value_label,
    run_query,
)
from metrics.sqlgen import Query
from tests.conftest import run_cli
from tests.metric_support import CONFIG, build_fixture_warehouse, engine

CATALOG = load_catalog(CONFIG)
# 1-15 Mar 2026, as of the 16th. Contacts: C1 (P1) K1-K3, C3 (P1) K7-K8, C2 (P2) K4-K5, and K6
# with no customer. Measured orders: P1 O1 O2 O6 O7 O9 O12, P2 O3 O4 O5 O10 (O11 is due after
# as-of in part, O8 after the range).
MARCH = Query(
    metrics=("contacts", "contacts_per_100_orders"),
    date_from=dt.date(2026, 3, 1),
    date_to=dt.date(2026, 3, 15),
    as_of=dt.date(2026, 3, 16),
)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return build_fixture_warehouse(tmp_path_factory.mktemp("totals"))


def test_contacts_without_a_customer_are_their_own_group_and_the_parts_add_up(db):
    split = run_query(engine(db), CATALOG, MARCH.replace(by=("portfolio",))).values()
    rows = {r["portfolio"]: r for r in split.to_dicts()}
    assert {k: r["contacts"] for k, r in rows.items()} == {"P1": 5, "P2": 2, None: 1}
    total = run_query(engine(db), CATALOG, MARCH).values().to_dicts()[0]
    assert total["contacts"] == 8 == sum(r["contacts"] for r in rows.values())
    # the ratio is recomputed from its parts in each group; no orders -> null, never 0
    assert rows["P1"]["contacts_per_100_orders"] == pytest.approx(100 * 5 / 6)
    assert rows["P2"]["contacts_per_100_orders"] == pytest.approx(100 * 2 / 4)
    assert rows[None]["contacts_per_100_orders"] is None
    assert total["contacts_per_100_orders"] == pytest.approx(100 * 8 / 10)


def test_details_keep_the_group_without_a_value_with_no_sample_and_no_status(db):
    details = run_details(engine(db), CATALOG, MARCH.replace(by=("portfolio",)), compare=False)
    ratio = details.filter(details["metric"] == "contacts_per_100_orders").to_dicts()
    nobody = next(r for r in ratio if r["portfolio"] is None)
    assert nobody["value"] is None and nobody["n"] == 0 and nobody["status"] is None
    contacts = details.filter(details["metric"] == "contacts")
    assert contacts["value"].sum() == 8


def test_people_read_a_label_for_the_group_without_a_value(db):
    assert no_value_label("portfolio") == no_value_label("customer_id") == NO_CUSTOMER_LABEL
    assert no_value_label("agent_id") == NO_AGENT_LABEL == "(no agent)"
    assert no_value_label("queue") == NO_VALUE_LABEL == "(none)"
    by_agent = run_query(
        engine(db), CATALOG, MARCH.replace(metrics=("contacts",), by=("agent_id",))
    )
    shown = dict(zip(*by_agent.for_people().select("agent_id", "contacts").to_dict().values()))
    assert shown == {"A1": 2, "A2": 2, "A3": 2, "(no agent)": 2}  # K4 and K8 were abandoned
    assert by_agent.values()["agent_id"].null_count() == 1  # machine output keeps the null


# ---- the command line on the sample data --------------------------------------------------


def test_cli_contacts_by_portfolio_add_up_to_the_total(demo_db):
    args = ("query", "--metric", "contacts", "--db", demo_db)
    total = run_cli(*args, "--format", "json")
    split = run_cli(*args, "--by", "portfolio", "--format", "json")
    assert total.returncode == 0 and split.returncode == 0, total.stderr + split.stderr
    rows = json.loads(split.stdout)
    assert sum(r["contacts"] for r in rows) == json.loads(total.stdout)[0]["contacts"]
    nobody = [r for r in rows if r["portfolio"] is None]  # JSON keeps the null
    assert len(nobody) == 1 and nobody[0]["contacts"] > 0
    as_csv = list(
        csv.DictReader(io.StringIO(run_cli(*args, "--by", "portfolio", "--format", "csv").stdout))
    )
    assert [r["contacts"] for r in as_csv if r["portfolio"] == ""] == [str(nobody[0]["contacts"])]
    table = run_cli(*args, "--by", "portfolio").stdout
    line = next(x for x in table.splitlines() if NO_CUSTOMER_LABEL in x)
    assert f"{nobody[0]['contacts']:,}" in line
