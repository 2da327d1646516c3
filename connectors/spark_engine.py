"""The Spark engine: the metric core's statements run by Apache Spark over a lake.

One SparkSession per process (``spark_session``): local mode (``local[*]``)
unless ``$NORTHSTAR_SPARK_MASTER`` names a cluster master
(``spark://host:7077``, ``yarn``...) or ``$NORTHSTAR_SPARK_REMOTE`` a Spark
Connect server (``sc://host:15002``). ``SparkEngine`` registers a temporary
view per table of the lake's current version and runs each compiled statement
rendered in Spark SQL, its values bound by name (``spark.sql(text, args=...)``),
the result read into Polars through Arrow.

The stored models of the lake are not used on Spark: every model is computed
by Spark from the canonical tables (the stored ones serve the dashboard, read
through DuckDB). PySpark is an optional dependency, imported only here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import polars as pl

from connectors.errors import ConnectorError
from connectors.lake import LakeVersion, require_version
from metrics.engine import Compiled, MissingObject
from metrics.errors import MetricsError

INSTALL_HINT = "install it with pip install -e '.[spark]' and a Java 17 runtime"
_SESSION_LOCK = threading.Lock()


def spark_session():
    """The process's SparkSession (created on first use)."""
    try:
        from pyspark.errors import PySparkException
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConnectorError(
            f"the Spark engine needs PySpark, which is not installed; {INSTALL_HINT}"
        ) from None
    remote = os.environ.get("NORTHSTAR_SPARK_REMOTE")
    if not remote and not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise ConnectorError(
            f"the Spark engine needs Java, which was not found (no java on the "
            f"PATH and no $JAVA_HOME); {INSTALL_HINT}"
        )
    with _SESSION_LOCK:
        builder = SparkSession.builder.appName("northstar")
        if remote:
            builder = builder.remote(remote)
        else:
            builder = (
                builder.master(os.environ.get("NORTHSTAR_SPARK_MASTER") or "local[*]")
                .config(
                    "spark.driver.memory", os.environ.get("NORTHSTAR_SPARK_DRIVER_MEMORY", "2g")
                )
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config(
                    "spark.sql.shuffle.partitions",
                    os.environ.get("NORTHSTAR_SPARK_SHUFFLE_PARTITIONS", "8"),
                )
                .config(
                    "spark.driver.extraJavaOptions",
                    f"-Dlog4j2.configurationFile={_quiet_logging().as_uri()}",
                )
            )
        try:
            session = builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
        except (RuntimeError, OSError, PySparkException) as exc:  # no JVM, or no cluster
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            where = remote or os.environ.get("NORTHSTAR_SPARK_MASTER") or "local[*]"
            raise ConnectorError(f"cannot start Spark ({where}): {first}; {INSTALL_HINT}") from None
    if not remote:
        session.sparkContext.setLogLevel("ERROR")
    return session


# Errors only on the terminal: Spark's default profile logs warnings and start-up notes (the
# shell's logger at the root's level keeps the 'Setting default log level' line away).
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %p %c{1}: %m%n
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
"""


def _quiet_logging() -> Path:
    path = Path(tempfile.gettempdir()) / f"northstar-log4j2-{os.getuid()}.properties"
    if not path.exists() or path.read_text() != _LOG4J2:
        tmp = path.with_name(f"{path.name}.{os.getpid()}")
        tmp.write_text(_LOG4J2)
        os.replace(tmp, path)
    return path


class SparkEngine:
    """``metrics.engine.Engine`` on Spark over one version of a lake."""

    dialect = "spark"

    def __init__(self, session, version: LakeVersion) -> None:
        # A session of its own (same Spark application): its views name this version's files.
        self.session = session if _is_remote(session) else session.newSession()
        self.version = version
        # Reserved words stay keywords: else "FROM contacts WHERE (x)" reads WHERE as an alias.
        self.session.conf.set("spark.sql.ansi.enforceReservedKeywords", "true")
        for name, folder in version.tables().items():
            if "." not in name:  # stored models stay unused (see the module docstring)
                reader = self.session.read.option("recursiveFileLookup", "true")
                reader.parquet(folder.as_posix()).createOrReplaceTempView(name)
        # Spark's catalogue has no information_schema, where the core looks for stored models:
        # an empty stand-in says there are none.
        self.session.sql(
            f"CREATE OR REPLACE TEMP VIEW {_NO_CATALOG} AS SELECT CAST(NULL AS STRING) AS "
            "table_schema, CAST(NULL AS STRING) AS table_name WHERE false"
        )

    @classmethod
    def for_lake(cls, lake: Path | str) -> SparkEngine:
        version = require_version(Path(lake))
        return cls(spark_session(), version)

    def run(self, compiled: Compiled) -> pl.DataFrame:
        from pyspark.errors import AnalysisException, PySparkException

        text = _without_information_schema(compiled.render(self.dialect))
        try:
            frame = self.session.sql(text, args=dict(compiled.params) or None)
            return pl.from_arrow(frame.toArrow())
        except AnalysisException as exc:
            first = _first_line(exc)
            if "TABLE_OR_VIEW_NOT_FOUND" in first or "UNRESOLVED_COLUMN" in first:
                raise MissingObject(
                    f"the lake lacks something a metric needs: {first}"
                    " (load the extracts with 'northstar load --lake')"
                ) from exc
            raise MetricsError(f"the query failed on Spark: {first}") from exc
        except PySparkException as exc:
            raise MetricsError(f"the query failed on Spark: {_first_line(exc)}") from exc

    def close(self) -> None:
        """The session is shared by the process: nothing to close per engine."""


_NO_CATALOG = "northstar_no_information_schema"


def _without_information_schema(text: str) -> str:
    """``text`` reading the stand-in for ``information_schema.tables`` (see ``__init__``)."""
    if "information_schema" not in text.lower():
        return text
    import sqlglot
    from sqlglot import exp

    tree = sqlglot.parse_one(text, read="spark")
    for table in tree.find_all(exp.Table):
        if table.db.lower() == "information_schema" and table.name.lower() == "tables":
            stand_in = exp.to_table(_NO_CATALOG)
            table.replace(stand_in.as_(table.alias) if table.alias else stand_in)
    return tree.sql("spark")


def _is_remote(session) -> bool:
    """A Spark Connect session (which cannot open a sibling session)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
