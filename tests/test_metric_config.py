"""metrics.yaml validation: a table of broken snippets and the messages they must give."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from metrics.catalog import parse_catalog
from metrics.errors import ConfigError
from metrics.json_schema import SCHEMA_PATH, schema_text
from metrics.located_yaml import parse_located
from tests.metric_support import CONFIG

SHIPPED = CONFIG.read_text()

# (what is broken, replacement applied to the shipped file, expected message fragments)
BROKEN = [
    (
        "unknown key",
        (
            "    bands: {amber: 0.05}\n    min_sample: 30\n    drill_columns: [order_id, customer_id, due_date, lines, otif,",
            "    bands: {amber: 0.05}\n    min_sampel: 30\n    drill_columns: [order_id, customer_id, due_date, lines, otif,",
        ),
        ["metrics.otif.min_sampel", "unknown key 'min_sampel'", "did you mean 'min_sample'?"],
    ),
    (
        "wrong type",
        (
            "    min_sample: 30\n    drill_columns: [order_id, line_id,",
            "    min_sample: lots\n    drill_columns: [order_id, line_id,",
        ),
        ["metrics.otif_line.min_sample", "valid integer", "'lots'"],
    ),
    (
        "bad direction",
        (
            "    direction: up\n    target:\n      value: 0.90",
            "    direction: upward\n    target:\n      value: 0.90",
        ),
        ["metrics.otif.direction", "'up' or 'down'", "'upward'"],
    ),
    (
        "duplicate key",
        (
            "  otif:\n    label: OTIF (orders)",
            "  otif:\n    label: OTIF (orders)\n    direction: up",
        ),
        ["metrics.otif.direction: key given twice"],
    ),
    (
        "unknown model",
        (
            "    model: responses\n    type: ratio\n    numerator: {agg: count, filter: csat >= 4}",
            "    model: response\n    type: ratio\n    numerator: {agg: count, filter: csat >= 4}",
        ),
        ["metrics.csat.model", "unknown model 'response'", "did you mean 'responses'?"],
    ),
    (
        "unknown column",
        (
            "numerator: {agg: count, filter: csat >= 4}",
            "numerator: {agg: count, filter: cstat >= 4}",
        ),
        ["metrics.csat.numerator.filter", "unknown column 'cstat'", "did you mean 'csat'?"],
    ),
    (
        "SQL that does not parse",
        (
            "numerator: {agg: count, filter: csat >= 4}",
            "numerator: {agg: count, filter: csat >= (4}",
        ),
        ["metrics.csat.numerator.filter", "does not parse"],
    ),
    (
        "unknown dimension",
        (
            "    dimensions: [region, segment, portfolio, portfolio_manager, customer_id, touchpoint, queue",
            "    dimensions: [region, segment, portfolio, portfolio_manager, customer_id, touchpont, queue",
        ),
        ["models.responses.dimensions", "'touchpont'", "did you mean 'touchpoint'?"],
    ),
    (
        "unknown metric in a formula",
        ("formula: 100 * contacts / measured_orders", "formula: 100 * contacts / measured_order"),
        [
            "metrics.contacts_per_100_orders.formula",
            "unknown metric 'measured_order'",
            "did you mean 'measured_orders'?",
        ],
    ),
    (
        "cycle among derived metrics",
        (
            "formula: 100 * contacts / measured_orders",
            "formula: 100 * contacts / contacts_per_100_orders",
        ),
        ["cycle", "contacts_per_100_orders -> contacts_per_100_orders"],
    ),
    (
        "function in a formula",
        ("formula: 100 * contacts / measured_orders", "formula: sqrt(contacts)"),
        ["only + - * / ( ) numbers and metric names"],
    ),
    (
        "unknown counterpart",
        ("      - {metric: otif, reveals:", "      - {metric: otiff, reveals:"),
        [
            "metrics.fill_rate.counterparts.0.metric",
            "unknown metric 'otiff'",
            "did you mean 'otif'?",
        ],
    ),
    (
        "missing required key",
        (
            "    owner: Head of Customer Experience\n    model: responses\n    type: ratio\n    numerator: {agg: count, filter: csat >= 4}",
            "    model: responses\n    type: ratio\n    numerator: {agg: count, filter: csat >= 4}",
        ),
        ["metrics.csat", "required key 'owner' is missing"],
    ),
    (
        "model named like a table",
        ("\n  shipment_rows:\n", "\n  shipments:\n"),
        ["a model cannot be named like the table 'shipments'"],
    ),
    (
        "bad setting",
        ("  due_date: requested ", "  due_date: asked "),
        ["settings.due_date", "'requested' or 'promised'"],
    ),
    (
        "YAML syntax",
        ("  otif:\n    label: OTIF (orders)", "  otif:\n    label: [OTIF"),
        ["not valid YAML"],
    ),
]


@pytest.mark.parametrize("case", BROKEN, ids=[c[0] for c in BROKEN])
def test_broken_config_is_reported_with_location(case):
    _, (old, new), fragments = case
    assert old in SHIPPED, f"fixture text not found: {old!r}"
    text = SHIPPED.replace(old, new, 1)
    with pytest.raises(ConfigError) as err:
        parse_catalog(parse_located(text, "metrics.yaml"))
    message = str(err.value)
    for fragment in fragments:
        assert fragment in message
    assert message.startswith("metrics.yaml:")  # every problem names the file and line


def test_all_problems_are_reported_at_once():
    text = SHIPPED.replace("filter: csat >= 4}", "filter: cstat >= 4}").replace(
        "formula: 100 * contacts / measured_orders", "formula: 100 * contacts / measured_order"
    )
    text = text.replace(
        "    min_sample: 30\n    drill_columns: [order_id, line_id,",
        "    min_sample: lots\n    drill_columns: [order_id, line_id,",
        1,
    )
    with pytest.raises(ConfigError) as err:
        parse_catalog(parse_located(text, "metrics.yaml"))
    assert len(err.value.problems) == 3


def test_problem_lines_point_at_the_key():
    text = SHIPPED.replace(
        "numerator: {agg: count, filter: csat >= 4}", "numerator: {agg: count, filter: cstat >= 4}"
    )
    with pytest.raises(ConfigError) as err:
        parse_catalog(parse_located(text, "metrics.yaml"))
    line = int(str(err.value).split(":")[1])
    assert "cstat" in text.splitlines()[line - 1]


def test_json_schema_is_current_and_accepts_the_shipped_file():
    assert SCHEMA_PATH.read_text() == schema_text(), "run: python -m metrics.json_schema"
    as_json = json.loads(
        json.dumps(yaml.safe_load(SHIPPED), default=str)
    )  # dates as editors see them
    jsonschema.validate(as_json, json.loads(schema_text()))
    assert SHIPPED.startswith("# yaml-language-server: $schema=metrics.schema.json")


def test_json_schema_flags_unknown_keys():
    data = json.loads(json.dumps(yaml.safe_load(SHIPPED), default=str))
    data["metrics"]["otif"]["colour"] = "red"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json.loads(schema_text()))


def test_every_metric_is_documented_and_owned():
    catalog = parse_catalog(parse_located(SHIPPED, "metrics.yaml"))
    for name, m in catalog.metrics.items():
        assert len(m.description) > 20 and m.owner and m.label, name
    department = {p.department for p in catalog.pairs}
    assert department == {"fill_rate", "on_time_shipment", "aht_sec", "fcr_agent", "service_level"}
