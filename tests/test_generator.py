"""The synthetic data generator: determinism, shapes, formats, planted bad rows, the story."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli.main import cli
from generator.faults import KEY, kinds
from generator.figures import story_figures
from generator.layouts import (
    ERP_HEADERS,
    GENERATED_TABLES,
    LAYOUTS,
    generated_columns,
    sources_yaml,
)
from generator.run import Options, generate
from metrics.schema import TABLES

REPO = Path(__file__).resolve().parents[1]
N = 20_000


def _gen(path: Path, **kw) -> Path:
    generate(Options(out=path, **kw))
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _manifest(folder: Path) -> list[dict]:
    return json.loads((folder / "planted_rejects.json").read_text())


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    return _gen(tmp_path_factory.mktemp("clean"), lines=N, seed=7, bad_share=0)


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> Path:
    return _gen(tmp_path_factory.mktemp("dirty"), lines=N, seed=7, chunk_lines=6_000)


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    return _gen(
        tmp_path_factory.mktemp("export"),
        lines=N,
        seed=7,
        layout="export",
        chunk_lines=6_000,
        xlsx_rows=1_500,
    )


@pytest.mark.parametrize("layout", ["canonical", "export"])
def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, layout):
    a = _files(_gen(tmp_path / "a", lines=3_000, seed=1, layout=layout))
    b = _files(_gen(tmp_path / "b", lines=3_000, seed=1, layout=layout))
    c = _files(_gen(tmp_path / "c", lines=3_000, seed=2, layout=layout))
    assert a == b
    assert a.keys() == c.keys()
    assert all(a[k] != c[k] for k in a if k not in ("sources.yaml",))


def test_sizes_and_proportions(clean):
    rows = {t: pl.read_csv(clean / f"{t}.csv", infer_schema=False) for t in GENERATED_TABLES}
    assert len(rows["orders"]) == N
    assert len(rows["customers"]) == round(N * 0.006)
    assert 1.0 < len(rows["shipments"]) / N < 1.2
    assert 0.5 < len(rows["calls"]) / N < 0.7
    assert 0.12 < len(rows["surveys"]) / N < 0.2
    per_order = rows["orders"].group_by("order_id").len()["len"]
    assert per_order.min() == 1 and per_order.max() == 6
    status = rows["orders"]["status"].drop_nulls()
    assert 0.01 < status.str.to_lowercase().eq("cancelled").mean() < 0.03
    assert {"Cancelled", "CANCELLED"} <= set(status)
    assert rows["calls"].filter(pl.col("abandoned") == "true")["agent_id"].null_count() > 0
    assert rows["calls"]["customer_id"].null_count() > 0


def test_canonical_headers(clean):
    for t in GENERATED_TABLES:
        header = (clean / f"{t}.csv").read_text().splitlines()[0]
        assert header.split(",") == generated_columns(t)
    assert set(TABLES) - set(GENERATED_TABLES) == {"fx_rates"}  # one currency: no rates


def test_keys_unique_across_chunks(dirty):
    for t, key in (
        ("orders", ["order_id", "line_id"]),
        ("calls", ["call_id"]),
        ("shipments", ["shipment_id", "order_id", "line_id"]),
    ):
        rows = csv.DictReader((dirty / f"{t}.csv").open())
        ids = [tuple(r[k] for k in key) for r in rows if all(r[k] for k in key)]
        assert (
            len(ids) - len(set(ids))
            == Counter(e["rule"] for e in _manifest(dirty) if e["table"] == t)["duplicate_key"]
        )


def test_bad_rows_are_extra_rows_at_the_manifest_rows(tmp_path, dirty):
    """Remove the manifest's rows from a dirty generation: what is left is the clean one."""
    clean = _gen(tmp_path / "clean", lines=N, seed=7, bad_share=0, chunk_lines=6_000)
    planted: dict[str, set[int]] = {}
    for e in _manifest(dirty):
        planted.setdefault(e["file"], set()).add(e["row"])
    for t in GENERATED_TABLES:
        lines = (dirty / f"{t}.csv").read_text().splitlines()
        kept = [
            line for i, line in enumerate(lines, start=1) if i not in planted.get(f"{t}.csv", ())
        ]
        assert kept == (clean / f"{t}.csv").read_text().splitlines(), t
        assert len(lines) - len(kept) >= 0.009 * len(kept)


def test_manifest_names_every_rule_of_every_table(dirty, export):
    for folder, layout in ((dirty, "canonical"), (export, "export")):
        found = {(e["table"], e["rule"]) for e in _manifest(folder)}
        for t, tf in LAYOUTS[layout].items():
            assert {(t, k) for k in kinds(t, tf)} <= found
        for e in _manifest(folder):
            assert (folder / e["file"]).is_file() and e["row"] >= 2


def test_bad_share_zero_plants_nothing(clean):
    assert _manifest(clean) == []


def test_export_formats(export):
    raw = (export / "crm/customers.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcustomer_id,")
    erp = sorted((export / "erp").glob("SO_lines_*.csv"))
    assert len(erp) >= 2
    header, first = erp[0].read_text().splitlines()[:2]
    assert header.split(";") == [*ERP_HEADERS.values(), "Currency"]
    assert re.fullmatch(
        r"SO\d+;\d+;C\d+;SKU-\d+;[^;]*;[^;]*;\d\d\.\d\d\.\d{4};.*;\d+;(\d+,\d\d)?;.*", first
    )
    ships = pq.read_table(export / "wms/shipments_2026.parquet")
    assert ships.column_names == generated_columns("shipments")
    assert (export / "contact_center/calls.csv").read_text().split("\n")[0].split(",") == TABLES[
        "calls"
    ].column_names
    books = sorted((export / "voc").glob("surveys *.xlsx"))
    assert any("(2)" in b.name for b in books)  # split beyond xlsx_rows
    df = pl.read_excel(books[0])
    assert df.columns == TABLES["surveys"].column_names and 0 < len(df) <= 1_500
    assert (export / "sources.yaml").read_text() == sources_yaml()


def test_export_manifest_rows_hold_the_planted_faults(export):
    """Every duplicate_key row repeats an earlier key of its file; other rows keep keys unique."""
    by_file: dict[str, dict[int, str]] = {}
    for e in _manifest(export):
        by_file.setdefault(e["file"], {})[e["row"]] = e["rule"]
    for name, rules in by_file.items():
        if not name.endswith((".parquet", ".xlsx")):
            continue
        df = (
            pl.read_parquet(export / name)
            if name.endswith(".parquet")
            else pl.read_excel(export / name)
        )
        table = "shipments" if name.endswith(".parquet") else "surveys"
        key = ["shipment_id", "order_id", "line_id"] if table == "shipments" else [KEY[table]]
        seen = set()
        for row, values in enumerate(df.select(key).iter_rows(), start=2):
            if rules.get(row) == "duplicate_key":
                assert values in seen
            elif row not in rules:
                assert values not in seen and None not in values
            seen.add(values)


def test_config_sources_yaml_matches_the_export_layout():
    assert (REPO / "config/sources.yaml").read_text() == sources_yaml("../sample_data/")


def test_story_figures(clean):
    f = story_figures(clean)
    assert f["as_of"] == "2026-11-15"
    assert 0.95 <= f["fill_rate"] <= 0.99
    assert 0.70 <= f["otif"] <= 0.86 and f["fill_rate"] - f["otif"] > 0.10
    assert 0.92 <= f["on_time_shipment"] <= 0.98
    assert f["late_lane_otif_after"] < f["late_lane_otif_before"] - 0.2
    assert f["late_lane_otif_after"] < f["other_lanes_otif_after"] - 0.15
    assert f["split_site_otif_after"] < f["split_site_otif_before"] - 0.1
    assert f["promised_late_share"] > 0.01
    assert f["aht_last_month"] < f["aht_first_month"] - 50
    assert f["pushed_aht_after"] < 0.75 * f["pushed_aht_before"]
    assert f["pushed_repeat_after"] > f["pushed_repeat_before"] + 0.05
    assert f["pushed_repeat_after"] > f["other_repeat_after"] + 0.05
    assert f["pushed_csat_after"] < f["pushed_csat_before"] - 0.1
    assert f["fcr_agent"] > f["fcr"] + 0.2
    assert f["csat_failed_orders"] < f["csat_otif_orders"] - 0.3
    assert f["nps_failed_orders"] < f["nps_otif_orders"] - 30
    assert f["wismo_on_failed_orders"] > 0.8
    assert f["repeat_gaps_6_5_to_7_days"] > 0 and f["repeat_gaps_7_to_7_5_days"] > 0


def test_cli_generate(tmp_path):
    res = CliRunner().invoke(
        cli,
        [
            "generate",
            "--out",
            str(tmp_path),
            "--orders",
            "2000",
            "--layout",
            "export",
            "--seed",
            "3",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "planted" in res.output and (tmp_path / "sources.yaml").is_file()
    assert (
        CliRunner().invoke(cli, ["generate", "--out", str(tmp_path), "--layout", "x"]).exit_code
        == 2
    )
