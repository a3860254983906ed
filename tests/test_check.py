"""``profile-frames check``: every rule kind passes and fails where it should, unusable input
exits 2, baselines judged with the shared statistics (error rates over 100 trials), and the
JUnit file read by a real JUnit reader."""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from junitparser import Error, Failure, JUnitXml

import profile_frames
from benchmarks.series import GROWING, self_shares, write_series
from profile_frames.analysis.budgets import SELECTION, Selector, growth, measure
from profile_frames.analysis.stats import compare_shares
from profile_frames.present.check import RulesError, check, increase_fails, parse_rules
from profile_frames.present.cli import main as cli

EXAMPLE = profile_frames.example_path()


@pytest.fixture(scope="module")
def example_thread():
    return profile_frames.load(EXAMPLE).main_thread()


def _rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    return path


def _shares(thread, spec: dict) -> tuple[float, float]:
    """The selection's self and total share computed the independent way: group_time."""
    g = thread.group_time({"x": spec}).filter(pl.col("group") == "x")
    return float(g["self_pct"][0]), float(g["total_pct"][0])


@pytest.mark.parametrize("kind", ["max_self_pct", "max_total_pct", "max_ms"])
def test_each_limit_passes_above_and_fails_below_the_measured_value(example_thread, kind):
    self_pct, total_pct = _shares(example_thread, ["PyObject_Malloc", "PyObject_Free"])
    value = {"max_self_pct": self_pct, "max_total_pct": total_pct}.get(kind)
    if kind == "max_ms":  # samples × interval
        g = example_thread.group_time({"x": ["PyObject_Malloc", "PyObject_Free"]})
        value = float(g.filter(pl.col("group") == "x")["total_ms"][0])
    for limit, code in ((value * 1.01, 0), (value * 0.99, 1)):
        rule = {"group": "alloc", "prefixes": ["PyObject_Malloc", "PyObject_Free"], kind: limit}
        report = check([EXAMPLE], rules=[rule])
        assert report.exit_code == code, (kind, limit, report.summary())
        c = report.results[0].checks[0]
        assert c["measured"] == pytest.approx(value) and c["passed"] == (code == 0)


def test_selectors_names_regex_library_and_other(example_thread):
    fn = example_thread.functions(by_name=True)
    top = fn.row(0, named=True)  # PyEval_EvalFrameDefault
    lib = fn.filter(pl.col("library") == "libc.so.6")
    prefix = "_"  # libc and libpython both have "_" functions: library and prefix narrow
    assert (
        fn.filter(pl.col("function").str.starts_with(prefix)).height
        > lib.filter(pl.col("function").str.starts_with(prefix)).height
    )
    cases = [
        ({"names": [top["function"]]}, top["self_pct"]),
        (
            {"regex": "^PyEval_EvalFrame"},
            fn.filter(pl.col("function").str.contains("^PyEval_EvalFrame"))["self_pct"].sum(),
        ),
        ({"library": "libc.so.6"}, lib["self_pct"].sum()),
        (
            {"library": "libc.so.6", "prefixes": [prefix]},
            lib.filter(pl.col("function").str.starts_with(prefix))["self_pct"].sum(),
        ),
    ]
    for spec, want in cases:
        report = check([EXAMPLE], rules=[{**spec, "max_self_pct": 100}])
        assert report.exit_code == 0
        assert report.results[0].checks[0]["measured"] == pytest.approx(want), spec
    doc = {
        "groups": {"eval": ["PyEval", "_PyEval"], "alloc": ["PyObject_Malloc", "PyObject_Free"]},
        "rule": [{"group": "other", "max_self_pct": 100}, {"group": "eval", "max_total_pct": 100}],
    }
    report = check([EXAMPLE], rules=doc)
    other = example_thread.group_time(
        {"eval": ["PyEval", "_PyEval"], "alloc": ["PyObject_Malloc", "PyObject_Free"]}
    )
    want_other = float(other.filter(pl.col("group") == "other")["self_pct"][0])
    assert report.results[0].checks[0]["measured"] == pytest.approx(want_other)
    assert report.results[1].checks[0]["measured"] == pytest.approx(
        _shares(example_thread, ["PyEval", "_PyEval"])[1]
    )


def test_mean_over_several_profiles_and_thread_choice(example_thread):
    report = check(
        [EXAMPLE, EXAMPLE], rules=[{"thread": "2", "prefixes": ["PyEval"], "max_total_pct": 100}]
    )
    t2 = profile_frames.load(EXAMPLE).thread(2)
    assert report.results[0].threads == [f"2 {t2.name}"] * 2
    assert report.results[0].checks[0]["measured"] == pytest.approx(_shares(t2, ["PyEval"])[1])
    assert "mean of 2 profiles" in report.results[0].checks[0]["detail"]


@pytest.mark.parametrize(
    "rule, message",
    [
        ({"thread": "no-such-thread", "prefixes": ["PyEval"], "max_self_pct": 5}, "no-such-thread"),
        ({"prefixes": ["Lexer::"], "max_self_pct": 45}, "matches no function"),
        ({"prefixes": ["PyEval"], "max_increase_pp": 2}, "needs --baseline"),
    ],
)
def test_unusable_rules_exit_2_and_never_pass(rule, message):
    report = check([EXAMPLE], rules=[rule])
    assert report.exit_code == 2 and report.results[0].status == "error"
    assert message in report.results[0].message


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"rule": [{"prefixes": ["x"], "max_self": 5}]}, "unknown key(s) max_self"),
        ({"rule": [{"prefixes": ["x"]}]}, "no limit"),
        ({"rule": [{"max_self_pct": 5}]}, "say which functions"),
        ({"rule": [{"group": "alloc", "max_self_pct": 5}]}, "not in [groups]"),
        ({"rule": [{"regex": "(", "max_self_pct": 5}]}, "regex"),
        ({"rule": [{"prefixes": ["x"], "max_self_pct": "5"}]}, "must be a number"),
        ({"rules": []}, "unknown top-level"),
        ({"rule": []}, "no [[rule]]"),
    ],
)
def test_bad_rules_files_are_errors(doc, message):
    with pytest.raises(RulesError, match=re.escape(message)):
        parse_rules(doc, "rules.toml")


def test_cli_exit_codes_and_outputs(tmp_path, capsys):
    ok = _rules(tmp_path, '[[rule]]\ngroup = "eval"\nprefixes = ["PyEval"]\nmax_total_pct = 99\n')
    assert cli(["check", "--example", "--rules", str(ok)]) == 0
    assert "1 of 1 rules hold" in capsys.readouterr().out
    bad = _rules(tmp_path, '[[rule]]\ngroup = "eval"\nprefixes = ["PyEval"]\nmax_total_pct = 50\n')
    md, junit = tmp_path / "summary.md", tmp_path / "junit.xml"
    assert (
        cli(
            [
                "check",
                "--example",
                "--rules",
                str(bad),
                "--markdown",
                str(md),
                "--junit",
                str(junit),
                "--format",
                "json",
            ]
        )
        == 1
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == 1 and doc["rules"][0]["status"] == "fail"
    assert doc["rules"][0]["evidence"][0]["function"] == "PyEval_EvalFrameDefault"
    text = md.read_text()
    assert "❌" in text and "total share 98.08% > 50%" in text and "PyEval_EvalFrameDefault" in text
    truncated = tmp_path / "broken.json"
    truncated.write_bytes(Path(EXAMPLE).read_bytes()[:300])
    assert cli(["check", str(truncated), "--rules", str(ok)]) == 2
    assert "broken.json" in capsys.readouterr().out
    assert cli(["check", "--example", "--rules", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err
    typo = _rules(tmp_path, "[[rule]]\nprefixes = [\n")
    assert cli(["check", "--example", "--rules", str(typo)]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_junit_file_is_read_by_a_junit_reader(tmp_path):
    rules = [
        {"name": "eval holds", "prefixes": ["PyEval"], "max_total_pct": 99},
        {"name": "eval fails", "prefixes": ["PyEval"], "max_total_pct": 50},
        {"name": "lexer unusable", "prefixes": ["Lexer::"], "max_self_pct": 45},
    ]
    report = check([EXAMPLE], rules=rules)
    path = tmp_path / "junit.xml"
    path.write_text(report.junit_xml())
    xml = JUnitXml.fromfile(str(path))
    (suite,) = list(xml)
    assert (suite.tests, suite.failures, suite.errors) == (3, 1, 1)
    cases = {c.name: c for c in suite}
    assert cases["eval holds"].is_passed
    (failure,) = cases["eval fails"].result
    assert (
        isinstance(failure, Failure)
        and "> 50%" in failure.message
        and "PyEval_EvalFrameDefault" in failure.text
    )
    (error,) = cases["lexer unusable"].result
    assert isinstance(error, Error) and "matches no function" in error.message


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("runs")
    return out, write_series(out, 15, samples=20_000, grow_from=10, seed=11)


def test_baseline_rule_on_recorded_series(runs, tmp_path):
    """5 baseline runs, 5 unchanged runs, 5 runs with the 3-point growth: the rule holds on the
    unchanged ones and fails on the grown ones, naming the function that grew."""
    out, truth = runs
    files = [str(out / r["file"]) for r in truth["runs"]]
    rule = {"name": "lexer", "thread": "bench", "names": [GROWING], "max_increase_pp": 2}
    same = check(files[5:10], rules=[rule], baseline=files[:5])
    assert same.exit_code == 0, same.results[0].checks
    grown = check(files[10:], rules=[rule], baseline=files[:5])
    assert grown.exit_code == 1
    c = grown.results[0].checks[0]
    assert c["measured"] == pytest.approx(3.0, abs=1.0) and c["q_value"] < 0.05
    assert grown.results[0].evidence["function"][0] == GROWING
    assert "5 vs 5 runs" in c["detail"]
    # one run per side: no interval, judged on the change
    single = check(files[10:11], rules=[rule], baseline=files[:1])
    assert "one run on a side" in single.results[0].checks[0]["detail"]


def test_growth_on_threads_equals_the_statistics_on_their_shares(runs):
    out, truth = runs
    threads = [profile_frames.load(out / r["file"]).thread("bench") for r in truth["runs"][:10]]
    sel = Selector(names=(GROWING,))
    g = growth(threads[:5], threads[5:], sel)
    parts = []
    for side, ts in (("before", threads[:5]), ("after", threads[5:])):
        for i, t in enumerate(ts):
            f = t.functions(by_name=True).select(
                "function", "library", pl.col("self_pct").alias("share")
            )
            parts.append(f.with_columns(side=pl.lit(side), run=pl.lit(i)))
    want = compare_shares(pl.concat(parts), keys=["function", "library"], n_before=5, n_after=5)
    row = g.filter(pl.col("function") == GROWING).row(0, named=True)
    ref = want.filter(pl.col("function") == GROWING).row(0, named=True)
    assert row["p_value"] == pytest.approx(ref["p_value"]) and row["delta"] == pytest.approx(
        ref["delta"]
    )
    selection = g.filter(pl.col("function") == SELECTION).row(0, named=True)
    assert selection["delta"] == pytest.approx(row["delta"])  # the selection is that one function
    assert measure(threads[0], sel).self_pct == pytest.approx(
        threads[0].functions().filter(pl.col("function") == GROWING)["self_pct"][0]
    )


def _verdict(seed: int, grow: bool, limit: float) -> bool:
    """One 5-vs-5 trial of a ``max_increase_pp`` rule on the growing function, decided as
    check() decides it (one rule: its q is its p)."""
    shares = self_shares(10, samples=20_000, grow_from=5 if grow else None, seed=seed)
    shares = shares.with_columns(
        side=pl.when(pl.col("run") < 5).then(pl.lit("before")).otherwise(pl.lit("after"))
    )
    r = compare_shares(shares, keys=["function", "library"], n_before=5, n_after=5)
    row = r.filter(pl.col("function") == GROWING).row(0, named=True)
    return increase_fails(row["delta"], row["p_value"], limit)


def test_identical_runs_fail_the_gate_at_most_5_percent():
    """5 vs 5 runs of one distribution, 100 trials, the strictest limit (any increase)."""
    assert sum(_verdict(s, False, 0.0) for s in range(100)) <= 5


def test_a_three_point_growth_fails_the_gate_at_least_90_percent():
    """5 vs 5 runs with the injected 3-point growth, 100 trials, limit 2 points."""
    assert sum(_verdict(5000 + s, True, 2.0) for s in range(100)) >= 90
