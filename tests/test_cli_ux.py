"""What a person sees on the command line: which thread was analysed, thread selection, the
consistency of exports and tables (issue "What a person sees"). Each test failed before."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import pytest

import profile_frames
from profile_frames.present.cli import main as cli
from tests.builders import processed_profile, to_bytes

EXAMPLE = str(profile_frames.example_path())


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = cli(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_header_names_the_profile_and_thread(capsys):
    code, out, _ = _run(capsys, "top", "--example", "-n", "2", "--header")
    assert code == 0
    assert out.splitlines()[0].endswith("· thread 1 python3.11 (1,039 samples)")
    code, out, _ = _run(
        capsys, "tree", "--example", "--merge", "PyObject_Malloc", "--format", "json"
    )
    doc = json.loads(out)
    assert doc["thread"]["indexes"] == [1] and doc["thread"]["samples"] == 1039
    assert doc["thread"]["transforms"] and "PyObject_Malloc" in doc["thread"]["transforms"][0]
    code, out, _ = _run(capsys, "top", "--example", "-n", "1", "--no-header")
    assert out.startswith("function")  # pipes and scripts get the bare table


def test_files_written_say_which_thread(capsys, tmp_path):
    for args in (
        ["flamegraph", "--example", "-o", str(tmp_path / "f.svg")],
        ["export", "--example", "--to", "folded", "-o", str(tmp_path / "f.folded")],
    ):
        code, out, _ = _run(capsys, *args)
        assert code == 0 and "(thread 1 python3.11, 1,039 samples)" in out


def _two_names(tmp_path: Path) -> tuple[str, str]:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_bytes(to_bytes(processed_profile([(["m", "f"], 3)], thread_name="Renderer")))
    b.write_bytes(to_bytes(processed_profile([(["m", "f"], 3)], thread_name="GeckoMain")))
    return str(a), str(b)


def test_diff_says_which_threads_it_compared(capsys, tmp_path):
    a, b = _two_names(tmp_path)
    code, out, err = _run(capsys, "diff", a, "--after", b, "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["threads"]["before"][0]["name"] == "Renderer"
    assert doc["threads"]["after"][0]["name"] == "GeckoMain"
    assert "warning: comparing thread 'Renderer' with 'GeckoMain'" in err
    code, out, err = _run(capsys, "diff", a, "--after", a, "--header")
    assert (
        out.startswith("before: thread 0 Renderer, 1 samples; after: thread 0 Renderer") and not err
    )


def _many_threads(tmp_path: Path, n: int = 40) -> str:
    doc = processed_profile([(["m", "f"], 1)])
    base = doc["threads"][0]
    doc["threads"] = []
    for i in range(n):
        t = copy.deepcopy(base)
        t["name"] = f"Worker {i}" if i else "Renderer"
        t["tid"] = str(100 + i)
        doc["threads"].append(t)
    path = tmp_path / "many.json.gz"
    path.write_bytes(gzip.compress(to_bytes(doc)))
    return str(path)


def test_a_misspelt_thread_gets_suggestions_not_the_whole_list(capsys, tmp_path):
    path = _many_threads(tmp_path)
    code, _, err = _run(capsys, "top", path, "-t", "Rendrer")
    assert code == 2 and "did you mean 'Renderer'?" in err
    assert err.count("Worker") <= 12 and "… and 28 more" in err and len(err) < 2000
    code, _, err = _run(capsys, "top", "--example", "-t", "pyton")
    assert code == 2 and "did you mean 'python3.11'?" in err
    p = profile_frames.load(path)
    with pytest.raises(profile_frames.ProfileKeyError, match="did you mean 'Renderer'"):
        p.thread("Rendrer")


def test_several_threads_are_merged(capsys):
    code, out, _ = _run(
        capsys, "top", "--example", "-t", "1", "-t", "2", "-n", "1", "--format", "json"
    )
    doc = json.loads(out)
    p = profile_frames.load(EXAMPLE)
    want = p.merged([1, 2]).self_time().row(0, named=True)
    assert doc["thread"]["indexes"] == [1, 2] and doc["thread"]["samples"] == 1039 + 1020
    assert doc["rows"][0]["self"] == want["self"] and doc["rows"][0]["function"] == want["function"]


def test_info_sorts_limits_and_filters(capsys, tmp_path):
    code, out, _ = _run(
        capsys, "info", "--example", "--sort", "samples", "--limit", "2", "--format", "json"
    )
    doc = json.loads(out)
    assert [r["index"] for r in doc["rows"]] == [1, 3] and doc["threads_total"] == 4
    code, out, _ = _run(capsys, "info", "--example", "--min-samples", "1", "--format", "csv")
    assert len(out.strip().splitlines()) == 1 + 3  # the ld-linux thread has no samples
    code, out, _ = _run(capsys, "info", "--example", "--limit", "1")
    assert "1 of 4 threads shown" in out


def test_options_may_come_between_the_file_and_the_function(capsys):
    code, out, _ = _run(capsys, "callers", EXAMPLE, "-t", "1", "PyObject_Malloc")
    assert code == 0 and "PyType_GenericAlloc" in out


def test_a_group_that_matches_nothing_is_reported(capsys):
    code, out, err = _run(
        capsys,
        "groups",
        "--example",
        "--group",
        "Lexer=Lexer::",
        "--group",
        "eval=PyEval",
        "--format",
        "csv",
    )
    assert code == 0 and "warning: group 'Lexer' matches no function" in err
    rows = {line.split(",")[0]: line for line in out.splitlines()[1:]}
    assert rows["Lexer"].startswith("Lexer,0,0,0.0,0.0")
    t = profile_frames.load(EXAMPLE).thread(1)
    assert t.group_time({"Lexer": ["Lexer::"]})["group"].to_list() == ["Lexer", "other"]


def test_exports_default_to_one_thread_and_say_so(capsys, tmp_path):
    out_json = tmp_path / "s.json"
    code, out, _ = _run(capsys, "export", "--example", "--to", "speedscope", "-o", str(out_json))
    assert code == 0 and len(json.loads(out_json.read_text())["profiles"]) == 1
    code, out, _ = _run(
        capsys, "export", "--example", "--to", "speedscope", "-o", str(out_json), "--all-threads"
    )
    assert "(3 threads)" in out and len(json.loads(out_json.read_text())["profiles"]) == 3
    folded = tmp_path / "f.folded"
    code, out, _ = _run(
        capsys, "export", "--example", "--to", "folded", "-o", str(folded), "--all-threads"
    )
    lines = folded.read_text().splitlines()
    assert {line.split(";")[0] for line in lines} == {"python3.11"} and len(lines) > 100


def test_format_is_not_offered_where_it_does_nothing(tmp_path):
    for args in (
        ["export", "--example", "--to", "folded", "-o", str(tmp_path / "x"), "--format", "json"],
        ["flamegraph", "--example", "-o", str(tmp_path / "x.svg"), "--format", "json"],
    ):
        with pytest.raises(SystemExit) as e:
            cli(args)
        assert e.value.code == 2


def test_bracketed_libraries_are_not_bracketed_twice(capsys, tmp_path):
    path = tmp_path / "k.json"
    path.write_bytes(
        to_bytes(
            processed_profile(
                [(["main", "syscall"], 3)], libraries={"syscall": "[kernel.kallsyms]"}
            )
        )
    )
    code, out, _ = _run(capsys, "tree", str(path), "--min-percent", "0")
    assert "syscall  [kernel.kallsyms]" in out and "[[" not in out


def test_diff_columns_are_consistent(capsys, tmp_path):
    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_bytes(to_bytes(processed_profile([(["m", "old"], 2), (["m", "both"], 2)])))
    b.write_bytes(to_bytes(processed_profile([(["m", "new"], 2), (["m", "both"], 2)])))
    d = profile_frames.diff(
        profile_frames.load(str(a)).thread(0), profile_frames.load(str(b)).thread(0)
    )
    rows = {r["function"]: r for r in d.iter_rows(named=True)}
    assert rows["old"]["status"] == "gone" and rows["old"]["ratio"] is None
    assert rows["new"]["status"] == "new" and rows["new"]["ratio"] is None
    assert rows["both"]["ratio"] == pytest.approx(1.0)
    code, out, _ = _run(capsys, "diff", str(a), "--after", str(b), "--no-header")
    header, _, first = out.splitlines()[:3]
    assert "50.0%" in first and "50.0000" not in out  # shares as percentages in every column
    code, out, _ = _run(capsys, "diff", str(a), "--after", str(b), "--summary")
    assert "| function | library | before | after | change |" in out


VMPROF = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "fixtures"
    / "profiles"
    / "other-producers"
    / "vmprof-0.6-linux-python.json"
)
needs_vmprof = pytest.mark.skipif(
    not VMPROF.exists(), reason="the shared fixtures (../shared/fixtures) are not here"
)


@needs_vmprof
def test_vmprof_ms_use_the_real_sampling_period(capsys):
    """vmprof-firefox-converter writes the period in seconds (0.004093): the ms columns use
    4.093 ms per sample, which the sample times confirm."""
    p = profile_frames.load(VMPROF)
    assert p.meta.interval_ms == pytest.approx(4.093)
    t = p.thread(0)
    spacing = (t.samples["time"].max() - t.samples["time"].min()) / (t.n_samples - 1)
    assert spacing / p.threads.height == pytest.approx(4.093, rel=0.05)  # 3 threads take turns
    row = t.functions().row(0, named=True)
    assert row["self_ms"] == pytest.approx(row["self"] * 4.093)


@needs_vmprof
def test_info_counts_native_symbol_placeholders_per_library(capsys):
    code, out, _ = _run(capsys, "info", str(VMPROF), "--format", "json")
    doc = json.loads(out)
    assert doc["unsymbolicated_frames"] == 205  # '<native symbol 0x…>' funcs (fixture README)
    first = doc["unsymbolicated_by_library"][0]
    assert first["unsymbolicated_frames"] == 205 and first["unsymbolicated_self_pct"] > 50
    code, out, _ = _run(capsys, "info", str(VMPROF))
    assert (
        "unsymbolicated (named by an address): 205" in out and "of the samples' self weight" in out
    )
