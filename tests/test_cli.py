"""The command line, end to end in subprocesses: exit codes, stdout per format, stderr on errors."""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys

import polars as pl
import pytest

from .conftest import PROFILES, ROOT, needs_shared


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "profile_frames", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def test_info_and_top_formats():
    r = cli("info", "--example")
    assert r.returncode == 0 and b"python3.11" in r.stdout and r.stderr == b""
    assert (
        "unsymbolicated (named by an address): 0" in r.stdout.decode()
    )  # the bundled sidecar names every frame
    info = json.loads(cli("info", "--example", "--format", "json").stdout)
    assert info["unsymbolicated_frames"] == 0 and info["native_frames"] > 1000
    r = cli("top", "--example", "-n", "5", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode())))
    assert len(rows) == 5 and rows[0]["function"] == "PyEval_EvalFrameDefault"
    doc = json.loads(cli("top", "--example", "-n", "3", "--format", "json").stdout)
    assert doc["schema_version"] == 1 and doc["command"] == "top" and len(doc["rows"]) == 3
    assert doc["thread"]["index"] == 1 and "self_pct" in doc["columns"]
    md = cli("top", "--example", "-n", "3", "--format", "markdown").stdout.decode()
    assert md.splitlines()[1].startswith("|---")
    plain = cli("top", "--example", "-n", "3").stdout.decode()
    assert "\x1b[" not in plain  # no terminal escapes in a pipe


def test_groups_tree_callers_report():
    r = cli("groups", "--example", "--group", "eval=PyEval,_PyEval", "--format", "csv")
    assert r.returncode == 0 and r.stdout.decode().splitlines()[1].startswith("eval,")
    tree = cli("tree", "--example", "--depth", "3", "--min-percent", "50").stdout.decode()
    assert tree.splitlines()[0].startswith("total%") and "start" in tree
    assert cli("tree", "--example", "--inverted", "--format", "json").returncode == 0
    callers = cli("callers", "--example", "PyObject_Malloc", "--format", "csv").stdout.decode()
    assert len(callers.splitlines()) > 1
    report = cli("report", "--example", "-n", "5", "--group", "eval=PyEval").stdout.decode()
    assert report.startswith("# Hot spots") and "## Diagnostics" in report and "| eval |" in report


def test_transform_options_match_the_library():
    import profile_frames

    t = (
        profile_frames.load(profile_frames.example_path())
        .main_thread()
        .merge_function("PyEval_EvalFrameDefault")
    )
    doc = json.loads(
        cli(
            "top", "--example", "--merge", "PyEval_EvalFrameDefault", "-n", "1", "--format", "json"
        ).stdout
    )
    assert doc["rows"][0]["function"] == t.self_time()["function"][0]
    assert doc["thread"]["transforms"] == ["merge-function PyEval_EvalFrameDefault"]
    r = cli(
        "top",
        "--example",
        "--focus",
        "/^PyObject_Ma/",
        "--between",
        "0:1e12",
        "-n",
        "1",
        "--format",
        "csv",
    )
    assert r.returncode == 0 and "PyObject_Malloc" in r.stdout.decode()


def test_focus_self_merge_call_node_and_search_options_match_the_library():
    import profile_frames

    t = profile_frames.load(profile_frames.example_path()).main_thread()
    root = t.call_tree()["function"][0]
    child = t.call_tree().filter(pl.col("depth") == 1)["function"][0]
    leaf = t.self_time()["function"][0]
    for args, view in (
        (["--focus-self", leaf], t.focus_self(leaf)),
        (["--merge-call-node", f"{root}>{child}"], t.merge_call_node([root, child])),
        (
            ["--search", leaf.upper()[:6] + ", " + root[:3]],
            t.filter_samples(leaf.upper()[:6] + ", " + root[:3]),
        ),
    ):
        doc = json.loads(cli("top", "--example", *args, "-n", "3", "--format", "json").stdout)
        want = view.self_time().head(3)
        assert [r["function"] for r in doc["rows"]] == want["function"].to_list(), args
        assert [r["self"] for r in doc["rows"]] == want["self"].to_list(), args
    assert t.focus_self(leaf).functions()["total"].sum() == t.self_time()["self"][0]


def test_stdin_and_exports(tmp_path):
    from profile_frames import example_path

    r = cli("top", "-", "-n", "1", "--format", "csv", stdin=example_path().read_bytes())
    assert r.returncode == 0 and len(r.stdout.decode().splitlines()) == 2
    assert (
        cli("export", "--example", "--to", "folded", "-o", str(tmp_path / "a.folded")).returncode
        == 0
    )
    assert (tmp_path / "a.folded").read_text().count("\n") > 10
    assert (
        cli("export", "--example", "--to", "speedscope", "-o", str(tmp_path / "a.json")).returncode
        == 0
    )
    doc = json.loads((tmp_path / "a.json").read_text())
    assert (
        doc["$schema"].endswith("file-format-schema.json")
        and doc["profiles"][0]["type"] == "sampled"
    )
    assert (
        cli("export", "--example", "--to", "parquet", "-o", str(tmp_path / "p.pf")).returncode == 0
    )
    assert cli("top", str(tmp_path / "p.pf"), "-n", "1").returncode == 0
    assert (
        cli("export", "--example", "--to", "pprof", "-o", str(tmp_path / "a.pb.gz")).returncode == 0
    )
    assert gzip.decompress((tmp_path / "a.pb.gz").read_bytes())[:1] == b"\x0a"
    assert cli("flamegraph", "--example", "-o", str(tmp_path / "f.svg")).returncode == 0
    assert (tmp_path / "f.svg").read_text().startswith("<svg")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["top", "--example", "--thread", "Renderer"], "no thread matches 'Renderer'"),
        (["top", "--example", "--thread", "python3.11"], "3 threads match"),
        (["top", "/no/such/file.json"], "cannot open"),
        (["top"], "give a profile file"),
        (["top", "--example", "--merge", "NoSuchFunction"], "no function matches"),
        (["top", "--example", "--between", "x"], "--between wants START:END"),
        (["groups", "--example"], "at least one --group"),
        (["groups", "--example", "--group", "novalue"], "NAME=PREFIX"),
    ],
)
def test_user_errors_are_one_line(args, message):
    r = cli(*args)
    assert r.returncode == 2
    err = r.stderr.decode()
    assert err.startswith("profile-frames: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_bad_profile_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"meta": {"preprocessedProfileVersion": 55}, "threads": [')
    r = cli("info", str(bad))
    assert (
        r.returncode == 2 and str(bad) in r.stderr.decode() and r.stderr.decode().count("\n") == 1
    )


@needs_shared
def test_diff_command():
    a = str(PROFILES / "samply" / "samply-0.13-linux-python.json")
    b = str(PROFILES / "samply" / "samply-0.13-linux-python-run2.json.gz")
    doc = json.loads(cli("diff", a, "--after", b, "-t", "1", "--format", "json", "-n", "0").stdout)
    assert abs(sum(r["delta_self_pct"] for r in doc["rows"])) < 1e-6
    same = json.loads(cli("diff", a, "--after", a, "-t", "1", "--format", "json").stdout)
    assert all(r["delta_self_pct"] == 0 for r in same["rows"])
    md = cli("diff", a, "--after", b, "--summary", "--durations", "2.28:1.31").stdout.decode()
    assert "## Regressions" in md and " ms |" in md


def test_diff_flamegraph_option(tmp_path):
    from profile_frames import example_path

    out = tmp_path / "d.svg"
    e = str(example_path())
    r = cli("diff", e, "--after", e, "-t", "1", "--flamegraph", str(out), "-n", "1")
    assert r.returncode == 0, r.stderr
    svg = out.read_text()
    assert svg.startswith("<svg") and "red grew" in svg and "max 0.00 pp" in svg
    r = cli("diff", e, e, "--after", e, "--flamegraph", str(tmp_path / "x.svg"))
    assert r.returncode != 0 and b"one profile per side" in r.stderr
    assert not (tmp_path / "x.svg").exists()


def test_a_negative_thread_index_counts_from_the_end(capsys):
    import profile_frames
    from profile_frames.present import cli

    """``load(threads=[-1])`` skipped every thread's arrays while streaming (the position of
    "last" is unknown until the end) and then kept the last thread anyway: its tables were
    missing. The CLI's ``-t -1`` goes through it."""
    p = profile_frames.load(profile_frames.example_path(), threads=[-1])
    whole = profile_frames.load(profile_frames.example_path())
    last = whole.threads.height - 1
    assert p.threads["index"].to_list() == [last]
    # (func numbers differ: a selective v55 load concatenates fewer per-thread tables, and
    # ties are ordered by them)
    key = ["function", "library", "self", "total"]
    got = p.thread(last).functions().drop("func").sort(key)
    assert got.equals(whole.thread(last).functions().drop("func").sort(key))
    assert cli.main(["top", "--example", "-t", "-1", "-n", "2"]) == 0
    by_negative = capsys.readouterr().out
    assert cli.main(["top", "--example", "-t", str(last), "-n", "2"]) == 0
    assert by_negative == capsys.readouterr().out


def test_implementation_option_matches_the_library(tmp_path, capsys):
    import profile_frames
    from profile_frames.present.cli import main

    from .firefox_call_trees import JS_TREE
    from .text_samples import profile_from_text_samples, to_bytes

    path = tmp_path / "js.json"
    path.write_bytes(to_bytes(profile_from_text_samples(JS_TREE)))
    t = profile_frames.load(path).thread(0)
    for impl in ("js", "cpp"):
        assert main(["top", str(path), "--implementation", impl, "--format", "json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        want = t.with_implementation(impl).self_time()
        assert [r["function"] for r in doc["rows"]] == want["function"].to_list()
        assert doc["thread"]["transforms"] == [f"implementation {impl}"]
    # in the native view the JS leaves' time goes to their nearest native caller
    assert [(r["function"], r["self"]) for r in doc["rows"]] == [
        ("js::jit::IonCannon.cpp", 2),
        ("JS::RunScript.cpp", 1),
    ]
    assert main(["top", str(path), "--implementation", "js", "--format", "json"]) == 0
    assert [r["function"] for r in json.loads(capsys.readouterr().out)["rows"]] == ["b.js"]
