"""The Spark engine: the metric core's statements run by Apache Spark over a lake.

One SparkSession per process (``spark_session``): local mode (``local[*]``)
unless config/engines.yaml or the environment (``$NORTHSTAR_SPARK_MASTER``,
``$NORTHSTAR_SPARK_REMOTE``) names a cluster master (``spark://host:7077``,
``yarn``...) or a Spark Connect server (``sc://host:15002``); see
store/engine_config.py. ``SparkEngine`` registers a temporary
view per table of the lake's current version and runs each compiled statement
rendered in Spark SQL, its values bound by name (``spark.sql(text, args=...)``),
the result read into Polars through Arrow.

The stored models of the lake are not used on Spark: every model is computed
by Spark from the canonical tables (the stored ones serve the dashboard, read
through DuckDB; Spark can write them, see connectors/spark_models.py). PySpark
is an optional dependency, imported only here and there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import polars as pl

from metrics.engine import Compiled, MissingObject, plain_types
from metrics.errors import MetricsError
from store.engine_config import DEFAULT_MASTER, SparkSettings, spark_settings
from store.errors import StoreError
from store.lake import LakeVersion, require_version

INSTALL_HINT = "install it with pip install -e '.[spark]' and a Java 17 runtime"
_SESSION_LOCK = threading.Lock()


def spark_session(settings: SparkSettings | None = None):
    """The process's SparkSession, created on first use from ``settings`` (default: the
    project's config/engines.yaml and the environment, see store.engine_config)."""
    try:
        from pyspark.errors import PySparkException
        from pyspark.sql import SparkSession
    except ImportError:
        raise StoreError(
            f"the Spark engine needs PySpark, which is not installed; {INSTALL_HINT}"
        ) from None
    settings = settings or spark_settings()
    if not settings.remote and not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise StoreError(
            f"the Spark engine needs Java, which was not found (no java on the "
            f"PATH and no $JAVA_HOME); {INSTALL_HINT}"
        )
    _quiet_python_loggers()
    with _SESSION_LOCK:
        builder = SparkSession.builder.appName("northstar")
        if settings.remote:
            builder = builder.remote(settings.remote)
        else:
            builder = builder.master(settings.master or DEFAULT_MASTER)
        for key, value in _conf(settings).items():
            builder = builder.config(key, value)
        try:
            session = builder.getOrCreate()
        except (RuntimeError, OSError, PySparkException) as exc:  # no JVM, or no cluster
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"cannot start Spark ({settings.where}): {first}; {INSTALL_HINT}"
            ) from None
    if not settings.remote:
        session.sparkContext.setLogLevel("ERROR")
    return session


def _conf(settings: SparkSettings) -> dict[str, str]:
    """Spark's settings: ours, then engines.yaml's conf (its driver JVM options added to ours,
    which keep the logging quiet), then the environment's overrides."""
    conf = {"spark.sql.session.timeZone": "UTC"}
    if not settings.remote:  # a Connect server has its own driver and UI
        conf |= {
            "spark.driver.memory": "2g",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": "8",
            "spark.driver.extraJavaOptions": (
                f"-Dlog4j2.configurationFile={_quiet_logging().as_uri()}"
            ),
        }
    given = settings.conf_text()
    java = "spark.driver.extraJavaOptions"
    if java in conf and java in given:  # the file's JVM options beside the quiet logging
        given[java] = f"{conf[java]} {given[java]}"
    conf |= given
    for key, env in (
        ("spark.driver.memory", "NORTHSTAR_SPARK_DRIVER_MEMORY"),
        ("spark.sql.shuffle.partitions", "NORTHSTAR_SPARK_SHUFFLE_PARTITIONS"),
    ):
        if os.environ.get(env):
            conf[key] = os.environ[env]
    return conf


def _quiet_python_loggers() -> None:
    """PySpark logs every failed statement with the JVM's stack trace as JSON on stderr; the
    error itself reaches the caller (and the user as one plain line), so those logs stay off."""
    import logging

    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).setLevel(logging.CRITICAL + 1)


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
    def for_lake(cls, lake: Path | str, settings: SparkSettings | None = None) -> SparkEngine:
        version = require_version(Path(lake))  # no lake there is said before Spark starts
        return cls(spark_session(settings), version)

    def run(self, compiled: Compiled) -> pl.DataFrame:
        from pyspark.errors import PySparkException

        frame = self.frame(compiled)
        try:
            return plain_types(pl.from_arrow(frame.toArrow()))  # Spark's decimals as floats
        except PySparkException as exc:  # Spark Connect analyses only now
            raise spark_error(exc) from exc

    def frame(self, compiled: Compiled):
        """The statement as a Spark DataFrame (analysed, not yet run)."""
        from pyspark.errors import PySparkException

        text = _without_information_schema(compiled.render(self.dialect))
        try:
            return self.session.sql(text, args=dict(compiled.params) or None)
        except PySparkException as exc:
            raise spark_error(exc) from exc

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


def spark_error(exc: Exception) -> MetricsError:
    """Spark's exception as the core's plain error (``MissingObject`` for a missing name)."""
    first = _first_line(exc)
    if "TABLE_OR_VIEW_NOT_FOUND" in first or "UNRESOLVED_COLUMN" in first:
        return MissingObject(
            f"the lake lacks something a metric needs: {first}"
            " (load the extracts with 'northstar load --lake')"
        )
    return MetricsError(f"the query failed on Spark: {first}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
