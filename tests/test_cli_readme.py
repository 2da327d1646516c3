"""README's command line section and examples hold for the code and the bundled sample."""

from __future__ import annotations

import csv
import re

from cli.main import cli
from tests.metric_support import ROOT

README = (ROOT / "README.md").read_text()


def _command_table() -> list[str]:
    section = README[README.index("## Command line") :]
    section = section[: section.index("\n## ", 1)]
    return re.findall(r"^\| `northstar ([a-z-]+)", section, flags=re.MULTILINE)


def test_readme_command_table_lists_every_command_once():
    listed = _command_table()
    assert sorted(listed) == sorted(cli.commands), "README's command table vs northstar --help"


def test_readme_example_customer_exists_in_the_sample():
    ids = re.findall(r"/account\?customer_id=([A-Za-z0-9_-]+)", README)
    assert ids, "README links to a customer page"
    with (ROOT / "sample_data" / "crm" / "customers.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    customers = [r["customer_id"] for r in rows]
    for cid in ids:
        assert customers.count(cid) == 1, (
            f"{cid} is not one customer of sample_data/crm/customers.csv"
        )
