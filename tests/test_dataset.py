"""The Parquet dataset: ingest (labels, partitions, idempotence, interruption, broken inputs),
the polars queries checked against profiles loaded one by one, and DuckDB giving the same rows."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

import profile_frames
from benchmarks.series import DONOR, GROWING, write_series
from profile_frames.dataset import ingest, open_dataset
from profile_frames.dataset.ingest import profile_tables
from profile_frames.dataset.layout import SCHEMAS
from profile_frames.dataset.sql import duckdb_compare, duckdb_query, render
from profile_frames.dataset.workers import run_tasks
from profile_frames.errors import ProfileFormatError
from profile_frames.present.cli import main as cli

RUNS = 12


@pytest.fixture(scope="module")
def series(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("series")
    truth = write_series(out, RUNS, samples=5000, grow_from=RUNS // 2, seed=3)
    return out, truth


def _paths_labels(series) -> tuple[list[Path], list[dict]]:
    out, truth = series
    return [out / r["file"] for r in truth["runs"]], [r["labels"] for r in truth["runs"]]


@pytest.fixture(scope="module")
def dataset(series, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ds") / "runs"
    paths, labels = _paths_labels(series)
    report = ingest(paths, into=root, labels=labels, partition_by="date", jobs=2, progress=False)
    assert report.ok and len(report.ingested) == RUNS
    return root


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every file of a dataset (relative path → bytes), hidden temporaries included."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_layout_is_hive_partitioned_with_one_file_per_table_per_profile(dataset):
    parts = sorted(p.name for p in (dataset / "functions").iterdir())
    assert parts == ["date=2026-01-01", "date=2026-01-02"]  # runs 0-9, then 10-11
    for table in ("profiles", "threads", "functions", "stacks", "frames", "funcs", "stack_weights"):
        assert len(list((dataset / table).rglob("*.parquet"))) == RUNS, table
    manifest = json.loads((dataset / "dataset.json").read_text())
    assert manifest["partition_by"] == "date" and manifest["labels"] == [
        "branch",
        "commit",
        "date",
        "run",
    ]
    ds = open_dataset(dataset)
    profiles = ds.profiles.collect()
    assert profiles.height == RUNS and set(profiles["date"]) == {"2026-01-01", "2026-01-02"}
    assert ds.functions.collect_schema() == pl.Schema({**SCHEMAS["functions"], "date": pl.String})
    # partition pruning: only one folder's files are read for one date
    plan = ds.functions.filter(pl.col("date") == "2026-01-02").explain()
    assert "2026-01-01" not in plan or "hive" in plan.lower()
    assert (
        ds.functions.filter(pl.col("date") == "2026-01-02")
        .select("profile_id")
        .unique()
        .collect()
        .height
        == 2
    )


def test_function_totals_equal_the_profiles_loaded_one_by_one(series, dataset):
    paths, _ = _paths_labels(series)
    per_run = []
    for path in paths:
        f = profile_frames.load(path).thread("bench").functions()
        per_run.append(f.select("function", "library", "self", "total", "self_pct", "total_pct"))
    want = (
        pl.concat(per_run)
        .group_by("function", "library")
        .agg(
            pl.len().alias("profiles"),
            pl.col("self").sum().cast(pl.Float64),
            pl.col("total").sum().cast(pl.Float64),
            (pl.col("self_pct").sum() / RUNS).alias("mean_self_pct"),
            (pl.col("total_pct").sum() / RUNS).alias("mean_total_pct"),
        )
        .sort("function")
    )
    got = open_dataset(dataset).function_totals("bench").sort("function")
    assert got.select(want.columns).with_columns(pl.col("profiles").cast(pl.UInt32)).equals(
        want.with_columns(pl.col("profiles").cast(pl.UInt32))
    ) or _close(got.select(want.columns), want)


def _by_key(df: pl.DataFrame) -> pl.DataFrame:
    """Rows in key order: engines sum in different orders, so near-equal sort keys (|delta|
    ties at 1e-15) may come out in either order."""
    return df.sort(["function", "library"], nulls_last=True)


def _close(a: pl.DataFrame, b: pl.DataFrame, rel: float = 1e-9) -> bool:
    """Same keys and counts; floats equal to ``rel`` (engines sum in different orders)."""
    assert a.columns == b.columns and a.height == b.height, (
        a.columns,
        b.columns,
        a.height,
        b.height,
    )
    for c in a.columns:
        x, y = a[c], b[c]
        if x.dtype.is_float() or y.dtype.is_float():
            assert x.cast(pl.Float64).to_list() == pytest.approx(
                y.cast(pl.Float64).to_list(), rel=rel
            ), c
        elif x.dtype.is_integer():
            assert x.cast(pl.Int64).to_list() == y.cast(pl.Int64).to_list(), c
        else:
            assert x.to_list() == y.to_list(), c
    return True


def test_main_thread_default_and_trend(dataset):
    ds = open_dataset(dataset)
    assert _close(ds.function_totals(), ds.function_totals("bench"))  # bench is the main thread
    worker = ds.function_totals("worker")
    assert set(worker.filter(pl.col("self") > 0)["library"]) == {"libc.so.6"}  # its leaves
    trend = ds.trend(GROWING, by="run", thread="bench")
    assert trend.height == RUNS and trend["profiles"].to_list() == [1] * RUNS
    by_run = dict(zip(trend["run"].cast(pl.Int64), trend["mean_self_pct"]))
    early = sum(by_run[i] for i in range(RUNS // 2)) / (RUNS // 2)
    late = sum(by_run[i] for i in range(RUNS // 2, RUNS)) / (RUNS // 2)
    assert late - early == pytest.approx(3.0, abs=1.0)  # the injected growth, seen per run


def test_compare_finds_the_injected_change(series, dataset):
    ds = open_dataset(dataset)
    half = RUNS // 2
    c = ds.compare(
        before={"run": [str(i) for i in range(half)]},
        after={"run": [str(i) for i in range(half, RUNS)]},
        thread="bench",
    )
    top = c.head(2)["function"].to_list()
    assert set(top) == {GROWING, DONOR}
    g = c.filter(pl.col("function") == GROWING).row(0, named=True)
    assert g["n_before"] == g["n_after"] == half
    assert g["q_value"] < 0.05 and g["ci_low"] > 0
    # the same comparison from the threads loaded one by one, with diff()
    paths, _ = _paths_labels(series)
    threads = [profile_frames.load(p).thread("bench") for p in paths]
    d = profile_frames.diff(threads[:half], threads[half:])
    dg = d.filter(pl.col("function") == GROWING).row(0, named=True)
    assert g["delta"] == pytest.approx(dg["delta_self_pct"]) and g["p_value"] == pytest.approx(
        dg["p_value"]
    )
    # a set given as an expression or as ids means the same
    ids = ds.profile_ids({"run": [str(i) for i in range(half)]}).collect()["profile_id"].to_list()
    c2 = ds.compare(before=ids, after=pl.col("run").cast(pl.Int64) >= half, thread="bench")
    assert _close(_by_key(c2), _by_key(c))
    with pytest.raises(ValueError, match="no profiles"):
        ds.compare(before={"run": "99"}, after={"run": "1"})
    with pytest.raises(ValueError, match="no label"):
        ds.compare(before={"nope": "1"}, after={"run": "1"})


def test_duckdb_gives_the_same_rows(dataset):
    ds = open_dataset(dataset)
    for thread in (None, "bench", "worker"):
        got = duckdb_query(dataset, "function_totals", thread=thread)
        assert _close(got, ds.function_totals(thread))
    got = duckdb_query(dataset, "trend", thread="bench", function=GROWING, label="run")
    assert _close(got, ds.trend(GROWING, by="run", thread="bench"))
    sets = {"before": {"run": [str(i) for i in range(6)]}, "after": {"date": "2026-01-02"}}
    assert _close(
        _by_key(duckdb_compare(dataset, thread="bench", **sets)),
        _by_key(ds.compare(thread="bench", **sets)),
    )


def test_sql_values_are_parameters_not_text():
    sql, params = render(
        "trend", engine="duckdb", thread="x'); DROP TABLE t; --", function="f", label="run"
    )
    assert "DROP" not in sql and params["thread"].startswith("x'")
    assert '"run"' in sql and "$thread" in sql
    sql, _ = render("trend", engine="spark", thread="x", function="f", label="run")
    assert "`run`" in sql and ":thread" in sql
    with pytest.raises(ValueError, match="label name"):
        render("trend", engine="duckdb", function="f", label="run; DROP")


def test_reingest_is_a_no_op(series, dataset):
    before = _snapshot(dataset)
    paths, labels = _paths_labels(series)
    report = ingest(paths, into=dataset, labels=labels, jobs=1, progress=False)
    assert len(report.skipped) == RUNS and not report.ingested and report.ok
    assert _snapshot(dataset) == before


def _ingest_command(paths: list[Path], root: Path, labels_file: Path) -> list[str]:
    code = (
        "import json, sys; from profile_frames.dataset import ingest; "
        "labels = json.load(open(sys.argv[2])); "
        "r = ingest(sys.argv[3:], into=sys.argv[1], labels=labels, partition_by='date', "
        "jobs=2, progress=False); sys.exit(0 if r.ok else 1)"
    )
    return [sys.executable, "-c", code, str(root), str(labels_file), *map(str, paths)]


def test_killed_ingest_rerun_gives_the_same_dataset(series, dataset, tmp_path):
    paths, labels = _paths_labels(series)
    labels_file = tmp_path / "labels.json"
    labels_file.write_text(json.dumps(labels))
    root = tmp_path / "killed"
    proc = subprocess.Popen(_ingest_command(paths, root, labels_file), start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # kill it once some profiles are in
        done = list((root / "profiles").rglob("*.parquet")) if (root / "profiles").exists() else []
        if len(done) >= 3 or proc.poll() is not None:
            break
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = open_dataset(root)
    n = partial.profiles.collect().height
    assert n < RUNS, "the ingest finished before it was killed; the test proves nothing"
    # what is there is consistent: every table has rows of exactly the profiles listed
    ids = set(partial.profiles.collect()["profile_id"])
    for table in ("threads", "functions", "stacks", "stack_weights"):
        assert set(partial.scan(table).collect()["profile_id"]) == ids, table
    rerun = subprocess.run(_ingest_command(paths, root, labels_file), timeout=120)
    assert rerun.returncode == 0
    visible = {k: v for k, v in _snapshot(root).items() if not Path(k).name.startswith(".")}
    assert visible == _snapshot(dataset)


def test_interrupted_files_are_not_read(series, tmp_path):
    """A profile whose tables were written but not its profiles row (killed in between) is
    not in the dataset: polars and DuckDB leave its rows out, the next ingest replaces them."""
    paths, labels = _paths_labels(series)
    root = tmp_path / "ds"
    ingest(paths[:2], into=root, labels=labels[:2], jobs=1, progress=False)
    ghost = root / "profiles"
    victim = sorted(ghost.glob("*.parquet"))[0]
    victim.unlink()
    ds = open_dataset(root)
    assert ds.profiles.collect().height == 1
    assert ds.functions.select("profile_id").unique().collect().height == 1
    assert duckdb_query(root, "function_totals")["profiles"].max() == 1
    report = ingest(paths[:2], into=root, labels=labels[:2], jobs=1, progress=False)
    assert len(report.ingested) == 1 and len(report.skipped) == 1
    assert open_dataset(root).functions.select("profile_id").unique().collect().height == 2


def test_broken_input_is_reported_skipped_and_fails_the_command(series, tmp_path, capsys):
    paths, _ = _paths_labels(series)
    broken = tmp_path / "truncated.json"
    broken.write_bytes(paths[0].read_bytes()[:5000])
    root = tmp_path / "ds"
    report = ingest([paths[0], broken, paths[1]], into=root, jobs=2, progress=False)
    assert len(report.ingested) == 2 and len(report.errors) == 1
    path, message = report.errors[0]
    assert path == str(broken) and "truncated.json" in message and "Traceback" not in message
    code = cli(["ingest", str(broken), str(paths[2]), "--into", str(root), "--jobs", "1"])
    out, err = capsys.readouterr()
    assert code == 2 and "1 ingested" in out and "skipped" in err and "truncated.json" in err
    assert open_dataset(root).profiles.collect().height == 3


def test_bad_datasets_and_labels(tmp_path, series):
    with pytest.raises(ProfileFormatError, match="not a profile_frames dataset"):
        open_dataset(tmp_path)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x.txt").write_text("x")
    paths, _ = _paths_labels(series)
    with pytest.raises(FileExistsError):
        ingest(paths[:1], into=tmp_path / "junk", progress=False)
    with pytest.raises(ValueError, match="label name"):
        ingest(paths[:1], into=tmp_path / "a", labels={"bad key": "1"}, progress=False)
    with pytest.raises(ValueError, match="column of the profiles table"):
        ingest(paths[:1], into=tmp_path / "b", labels={"source": "1"}, progress=False)
    ingest(
        paths[:1], into=tmp_path / "c", partition_by="date", labels={"date": "d"}, progress=False
    )
    with pytest.raises(ValueError, match="partitioned by 'date'"):
        ingest(paths[:1], into=tmp_path / "c", partition_by="commit", progress=False)
    r = ingest(paths[1:2], into=tmp_path / "c", progress=False)  # no date label
    assert "no 'date' label" in r.errors[0][1]


def test_profile_tables_of_a_real_recording():
    """The bundled samply recording (4 threads, several named python3.11) as dataset rows."""
    p = profile_frames.load(profile_frames.example_path())
    tables = profile_tables(p, "x" * 32, source="example", size=1, labels={"k": "v"}, samples=True)
    for name, df in tables.items():
        want = dict(SCHEMAS[name])
        if name == "profiles":
            want["k"] = pl.String
        assert dict(df.schema) == want, name
    assert tables["samples"].height == int(p.threads["samples"].sum())
    main = tables["threads"].filter("main")
    assert main["thread"].to_list() == [p.main_thread().index]
    f = (
        tables["functions"]
        .filter(pl.col("thread") == 1)
        .drop("profile_id", "thread", "thread_name")
    )
    ref = p.thread(1).functions()
    assert f["self"].sum() == ref["self"].sum() and f.height == ref.height


def test_by_name_counts_a_sample_once_per_name():
    """Two funcs with one name (vmprof's one func per line): by_name sums their self and counts
    a sample whose stack holds both once in the total."""
    from tests.builders import processed_profile, to_bytes

    doc = processed_profile([(["main", "a", "b"], 3), (["main", "b"], 2)])
    strings = doc["shared"]["stringArray"]
    strings[strings.index("b")] = "a"  # now funcs 1 and 2 are both named "a"
    p = profile_frames.load(to_bytes(doc))
    per_func = p.functions().filter(pl.col("function") == "a")
    named = p.functions(by_name=True).filter(pl.col("function") == "a")
    assert per_func.height == 2 and named.height == 1
    assert named["self"].item() == 5 and named["total"].item() == 5  # not 3 + 5
    assert per_func["total"].sum() == 8


def test_workers_report_a_dead_worker_and_go_on():
    tasks = ["a", "exit", "raise", "b", "c"]
    answers = list(run_tasks("tests.worker_tasks:echo_exit_or_raise", tasks, jobs=2))
    assert sorted(a for a in answers if isinstance(a, str)) == ["a", "b", "c"]
    errors = sorted((a["task"], a["error"]) for a in answers if isinstance(a, dict))
    assert errors == [
        ("exit", "worker exited with status 3"),
        ("raise", "ValueError: asked to raise"),
    ]


def test_cli_dataset_commands(dataset, capsys):
    assert (
        cli(["dataset", "totals", str(dataset), "-t", "bench", "-n", "3", "--format", "json"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["thread"] == "bench" and len(doc["rows"]) == 3
    assert (
        cli(
            [
                "dataset",
                "compare",
                str(dataset),
                "-t",
                "bench",
                "--before",
                "run=0,1,2,3,4,5",
                "--after",
                "date=2026-01-02",
                "--format",
                "csv",
                "-n",
                "2",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("function,library") and GROWING in out
    args = ["dataset", "compare", str(dataset), "-t", "bench", "--before", "run=0,1,2,3,4,5"]
    assert (
        cli(
            [
                *args,
                "--after",
                "date=2026-01-02",
                "--group",
                "Lexer=angelscript::lexer",
                "--value",
                "total",
                "--format",
                "csv",
            ]
        )
        == 0
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("Lexer,") and len(lines) == 3  # Lexer and other
    assert cli(["dataset", "trend", str(dataset), GROWING, "--by", "date", "-t", "bench"]) == 0
    assert "2026-01-02" in capsys.readouterr().out
    assert cli(["dataset", "trend", str(dataset), GROWING, "--by", "nope"]) == 2
    assert "no label 'nope'" in capsys.readouterr().err


def test_copy_of_a_dataset_is_a_dataset(dataset, tmp_path):
    """Paths are not stored in the dataset: a copied (or synced) folder reads the same."""
    copy = tmp_path / "copy"
    shutil.copytree(dataset, copy)
    assert _close(open_dataset(copy).function_totals(), open_dataset(dataset).function_totals())


def _spark_or_skip():
    if shutil.which("java") is None:
        pytest.skip(
            "no Java: PySpark needs a JRE (tests/install-tools.sh installs openjdk-17-jre-headless)"
        )
    pyspark_sql = pytest.importorskip(
        "pyspark.sql", reason="PySpark is not installed (pip install -e '.[test]')"
    )
    return (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .appName("profile_frames-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )


def test_spark_gives_the_same_rows(dataset):
    """The shipped SQL in PySpark (local mode) returns the polars answers: the totals of each
    thread choice, the trend over a label, and the N-vs-N compare after the shared statistics."""
    from profile_frames.dataset.sql import spark_compare, spark_query, spark_views

    spark = _spark_or_skip()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        ds = open_dataset(dataset)
        spark_views(spark, dataset)
        for thread in (None, "worker"):
            assert _close(
                spark_query(spark, None, "function_totals", thread=thread),
                ds.function_totals(thread),
            )
        got = spark_query(spark, None, "trend", thread="bench", function=GROWING, label="date")
        assert _close(got, ds.trend(GROWING, by="date", thread="bench"))
        sets = {"before": {"run": [str(i) for i in range(6)]}, "after": {"date": "2026-01-02"}}
        assert _close(
            _by_key(spark_compare(spark, None, thread="bench", **sets)),
            _by_key(ds.compare(thread="bench", **sets)),
        )
    finally:
        spark.stop()


def test_a_profile_rebuilt_from_the_dataset_answers_like_the_file(series, dataset):
    """Dataset.profile(id): every function, group and call-tree node equals the loaded file's
    (the samples are the stored per-stack sums)."""
    paths, _ = _paths_labels(series)
    ds = open_dataset(dataset)
    row = ds.profiles.filter(pl.col("run") == "7").collect().row(0, named=True)
    rebuilt, original = ds.profile(row["profile_id"]), profile_frames.load(paths[7])
    for name in ("bench", "worker"):
        a, b = rebuilt.thread(name), original.thread(name)
        cast = [pl.col("self", "total").cast(pl.Float64)]
        assert (
            a.functions()
            .drop("func")
            .with_columns(cast)
            .equals(b.functions().drop("func").with_columns(cast))
        )
        groups = {"Lexer": ["angelscript::lexer"], "libc": ["malloc", "free", "write"]}
        assert _close(a.group_time(groups), b.group_time(groups).with_columns(cast))
        tree_a, tree_b = a.call_tree(), b.call_tree()
        assert tree_a["function"].to_list() == tree_b["function"].to_list()
        assert tree_a["total"].to_list() == pytest.approx(
            tree_b["total"].cast(pl.Float64).to_list()
        )
    with pytest.raises(KeyError):
        ds.profile("0" * 32)


def test_compare_groups_counts_each_sample_once(series, dataset):
    paths, _ = _paths_labels(series)
    ds = open_dataset(dataset)
    groups = {"Lexer": ["angelscript::lexer"], "alloc": ["malloc", "free"]}
    half = RUNS // 2
    sets = {
        "before": {"run": [str(i) for i in range(half)]},
        "after": {"run": [str(i) for i in range(half, RUNS)]},
    }
    c = ds.compare(thread="bench", groups=groups, value="total", **sets)
    threads = [profile_frames.load(p).thread("bench") for p in paths]
    d = profile_frames.diff(threads[:half], threads[half:], groups=groups)
    for name in ("Lexer", "alloc"):
        got = c.filter(pl.col("function") == name).row(0, named=True)
        want = d.filter(pl.col("function") == name).row(0, named=True)
        assert got["mean_before"] == pytest.approx(want["total_pct_before"])
        assert got["mean_after"] == pytest.approx(want["total_pct_after"])
    lexer = c.filter(pl.col("function") == "Lexer").row(0, named=True)
    assert lexer["delta"] == pytest.approx(3.0, abs=1.0) and lexer["q_value"] < 0.05


def test_a_damaged_dataset_file_is_a_located_error(series, tmp_path):
    paths, labels = _paths_labels(series)
    root = tmp_path / "ds"
    ingest(paths[:2], into=root, labels=labels[:2], jobs=1, progress=False)
    victim = sorted((root / "functions").rglob("*.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[:100])  # a disk that filled up, say
    ds = open_dataset(root)
    with pytest.raises(ProfileFormatError, match="could not be read") as e:
        ds.function_totals("bench")
    assert str(root) in str(e.value) and str(victim.relative_to(root)) in str(e.value)
