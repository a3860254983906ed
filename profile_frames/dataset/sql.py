"""The dataset's questions as SQL, run by DuckDB (embedded) or Spark (local or a cluster).

The queries are files in ``queries/`` over four views: ``profiles``, ``threads``, ``functions``
(and any other table) of one dataset, each limited to the profiles whose ingest finished. A
query has placeholders for what the caller chooses (``{threads}``, ``{before}``, ``{after}``,
``{label}``, ``{value}``), filled here with engine-quoted identifiers and named parameters
(``:name``; DuckDB's ``$name``), never with pasted values.

* :func:`duckdb_query` / :func:`spark_query`: one query's rows as a polars DataFrame;
* :func:`duckdb_compare` / :func:`spark_compare`: the N-vs-N table of
  :meth:`Dataset.compare`, from the engine's sums and the shared statistics.

Example
-------
>>> import tempfile, profile_frames
>>> from profile_frames.dataset import ingest
>>> d = tempfile.mkdtemp() + "/runs"
>>> _ = ingest([profile_frames.example_path()], into=d, progress=False)
>>> duckdb_query(d, "function_totals").select("function", "profiles").head(1).rows()
[('PyEval_EvalFrameDefault', 1)]
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from .layout import LABEL_KEY, TABLES, ingested_ids, read_manifest, visible_files
from .reader import compare_from_sums

QUERIES = ("function_totals", "trend", "compare_sums")
QUERY_TABLES = ("profiles", "threads", "functions")  # what the shipped queries read


def query_text(name: str) -> str:
    """The SQL of a shipped query (``QUERIES``)."""
    if name not in QUERIES:
        raise ValueError(f"no query {name!r}; queries: {', '.join(QUERIES)}")
    return (resources.files(__package__) / "queries" / f"{name}.sql").read_text(encoding="utf-8")


def _ident(name: str, engine: str) -> str:
    if not LABEL_KEY.match(name):
        raise ValueError(f"{name!r} is not a label name (letters, digits and _)")
    return f"`{name}`" if engine == "spark" else f'"{name}"'


def _set_filter(where: Mapping[str, Any], tag: str, engine: str, params: dict[str, Any]) -> str:
    """``p.label IN (:tag_0_0, …) AND …`` for a mapping of label values."""
    if not isinstance(where, Mapping) or not where:
        raise ValueError(
            f"{tag}: SQL compares sets given as label values, e.g. {{'branch': 'main'}}"
        )
    terms = []
    for i, (k, v) in enumerate(where.items()):
        values = list(v) if isinstance(v, (list, tuple, set)) else [v]
        names = []
        for j, x in enumerate(values):
            params[f"{tag}_{i}_{j}"] = str(x)
            names.append(f":{tag}_{i}_{j}")
        terms.append(f"p.{_ident(k, engine)} IN ({', '.join(names)})")
    return " AND ".join(terms)


def render(
    name: str,
    *,
    engine: str,
    thread: str | None = None,
    function: str | None = None,
    label: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    value: str = "self",
) -> tuple[str, dict[str, Any]]:
    """The query's SQL for ``engine`` (``duckdb`` or ``spark``) and its parameters."""
    if engine not in ("duckdb", "spark"):
        raise ValueError("engine must be 'duckdb' or 'spark'")
    params: dict[str, Any] = {}
    sql = query_text(name)
    if thread is None:
        threads = "t.main"
    else:
        threads = "t.name = :thread"
        params["thread"] = thread
    sql = sql.replace("{threads}", threads)
    if "{label}" in sql:
        if label is None:
            raise ValueError(f"query {name} needs a label")
        sql = sql.replace("{label}", _ident(label, engine))
    if "{before}" in sql:
        sql = sql.replace("{before}", _set_filter(before or {}, "before", engine, params))
        sql = sql.replace("{after}", _set_filter(after or {}, "after", engine, params))
    if value not in ("self", "total"):
        raise ValueError("value must be 'self' or 'total'")
    sql = sql.replace("{value}", value)
    if ":function" in sql:
        if function is None:
            raise ValueError(f"query {name} needs a function")
        params["function"] = function
    if engine == "duckdb":
        sql = re.sub(r"(?<![:\w]):(\w+)", r"$\1", sql)
    return sql, params


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def duckdb_connection(
    dataset: str | os.PathLike, con: Any = None, *, tables: tuple[str, ...] = TABLES
) -> Any:
    """A DuckDB connection (new, or ``con``) with one view per table of ``dataset``: the files
    of the profiles in it, listed here, so an interrupted ingest's leftovers are not read."""
    import duckdb

    root = Path(dataset)
    hive = read_manifest(root).get("partition_by") is not None
    con = con or duckdb.connect()
    ids = ingested_ids(root)
    if not ids:
        raise ValueError(f"{root}: the dataset has no profiles yet")
    for table in tables:
        files = visible_files(root, table, ids)
        if not files:
            continue
        # only the profiles table's columns differ between files (the labels): elsewhere
        # union_by_name would read every file's schema before the query starts
        union = "true" if table == "profiles" else "false"
        listed = "[" + ", ".join(_quoted(str(f)) for f in files) + "]"
        con.execute(
            f'CREATE OR REPLACE VIEW "{table}" AS SELECT * FROM read_parquet({listed}, '
            f"hive_partitioning = {str(hive).lower()}, hive_types_autocast = false, "
            f"union_by_name = {union})"
        )
    return con


def duckdb_query(
    dataset: str | os.PathLike, name: str, *, con: Any = None, **options: Any
) -> pl.DataFrame:
    """Run a shipped query on ``dataset`` in DuckDB (``options`` as for :func:`render`), on
    ``con`` when given (views made by :func:`duckdb_connection`), else on a new connection."""
    sql, params = render(name, engine="duckdb", **options)
    con = con or duckdb_connection(dataset, tables=QUERY_TABLES)
    return pl.from_arrow(con.sql(sql, params=params).to_arrow_table())  # type: ignore[return-value]


def spark_views(
    spark: Any, dataset: str | os.PathLike, *, tables: tuple[str, ...] = TABLES
) -> None:
    """Register one temporary view per table of ``dataset`` in the Spark session; partition
    values are read as strings. A local folder is read file by file (the profiles in it, as
    for DuckDB); a URI such as ``s3a://bucket/runs`` is read by folder, where Spark skips the
    hidden temporary files of an ingest in progress."""
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    text = os.fspath(dataset)
    local = "://" not in text
    ids = ingested_ids(Path(text)) if local else None
    for table in tables:
        base = text.rstrip("/") + "/" + table
        reader = spark.read.option("mergeSchema", str(table == "profiles").lower())
        if local:
            files = [str(f) for f in visible_files(Path(text), table, ids)]
            if not files:
                continue
            df = reader.option("basePath", base).parquet(*files)
        else:
            try:
                df = reader.parquet(base)
            except Exception as e:  # AnalysisException: this table's folder does not exist
                if "PATH_NOT_FOUND" not in str(e):
                    raise
                continue
        df.createOrReplaceTempView(table)


def spark_query(spark: Any, dataset: str | None, name: str, **options: Any) -> pl.DataFrame:
    """Run a shipped query in Spark (views registered first unless ``dataset`` is None)."""
    if dataset is not None:
        spark_views(spark, os.fspath(dataset), tables=QUERY_TABLES)
    sql, params = render(name, engine="spark", **options)
    result = spark.sql(sql, args=params)
    columns = result.columns
    rows = [tuple(r) for r in result.collect()]
    return pl.DataFrame(rows, schema=columns, orient="row")


def _compare(sums: pl.DataFrame, confidence: float) -> pl.DataFrame:
    counts = {side: 0 for side in ("before", "after")}
    for side, n in sums.group_by("side").agg(pl.col("n").max()).iter_rows():
        counts[side] = int(n)
    return compare_from_sums(
        sums.select("function", "library", "side", "sum", "sum_sq"),
        n_before=counts["before"],
        n_after=counts["after"],
        confidence=confidence,
    )


def duckdb_compare(
    dataset: str | os.PathLike,
    *,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    thread: str | None = None,
    value: str = "self",
    confidence: float = 0.95,
) -> pl.DataFrame:
    """:meth:`Dataset.compare` computed by DuckDB (sets as label values)."""
    options = {"thread": thread, "before": before, "after": after, "value": value}
    return _compare(duckdb_query(dataset, "compare_sums", **options), confidence)


def spark_compare(
    spark: Any,
    dataset: str | None,
    *,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    thread: str | None = None,
    value: str = "self",
    confidence: float = 0.95,
) -> pl.DataFrame:
    """:meth:`Dataset.compare` computed by Spark (sets as label values)."""
    options = {"thread": thread, "before": before, "after": after, "value": value}
    return _compare(spark_query(spark, dataset, "compare_sums", **options), confidence)
