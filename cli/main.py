"""The ``northstar`` command line: thin commands over the connectors and the metric engine."""

from __future__ import annotations

import click

from cli import (
    access_cmds,
    alert_cmds,
    data_cmds,
    generate_cmd,
    metric_cmds,
    review_cmds,
    sources_cmds,
    voc_cmds,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
def cli(debug: bool) -> None:
    """North Star: on-time-in-full against the department KPIs."""


for module in (
    data_cmds,
    generate_cmd,
    metric_cmds,
    review_cmds,
    alert_cmds,
    access_cmds,
    voc_cmds,
    sources_cmds,
):
    module.register(cli)


def main() -> None:
    cli(prog_name="northstar")


if __name__ == "__main__":
    main()
