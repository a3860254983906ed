"""Symbols, exports, diff, flame graphs, merged views and the report."""

from __future__ import annotations

import json
import re
import shutil

import polars as pl
import pytest

import profile_frames
from profile_frames.analysis import transforms as T
from profile_frames.analysis.diff import diff, summary_markdown
from profile_frames.export import folded_lines, write_folded
from profile_frames.present.flamegraph import flamegraph
from profile_frames.present.report import diagnose, hotspot_report
from profile_frames.symbols import apply_sidecar, parse_breakpad_id, parse_debug_id, sidecar_path

from .builders import load_thread
from .conftest import DATA, PROFILES, needs_shared

EXAMPLE = profile_frames.example_path()


# -- symbols ---------------------------------------------------------------------------------
def test_sidecar_names_and_rules():
    assert sidecar_path("a/profile.json.gz").name == "profile.json.syms.json"
    assert sidecar_path("prof.json").name == "prof.syms.json"
    assert parse_debug_id("f61da4d5-7cbb-38ca-8bdf-059c64583452-a") == (
        "f61da4d57cbb38ca8bdf059c64583452",
        10,
    )
    assert parse_breakpad_id("F61DA4D57CBB38CA8BDF059C64583452A") == (
        "f61da4d57cbb38ca8bdf059c64583452",
        10,
    )


@needs_shared
def test_presymbolicated_recording_gets_real_names(tmp_path):
    src = PROFILES / "samply" / "samply-0.13-linux-python-presym.json"
    raw = profile_frames.load(src, symbols=False)
    sym = profile_frames.load(src)  # the sidecar beside it is applied automatically
    assert raw.unsymbolicated_frames == 2728 and sym.unsymbolicated_frames == 0
    before, after = raw.main_thread().self_time(), sym.main_thread().self_time()
    assert before["function"][0].startswith("0x")
    assert not after["function"].str.starts_with("0x").any()
    assert before["self"].sum() == after["self"].sum()  # thread totals unchanged
    assert "PyEval_EvalFrameDefault" in after["function"].to_list()
    # explicit symbols= works for a copy elsewhere
    shutil.copy(src, tmp_path / "p.json")
    p = profile_frames.load(tmp_path / "p.json", symbols=src.with_suffix(".syms.json"))
    assert p.unsymbolicated_frames == 0
    # applying a sidecar to a loaded profile gives a new one and leaves the original alone
    named = apply_sidecar(raw, src.with_suffix(".syms.json"))
    assert named is not raw and named.unsymbolicated_frames == 0
    assert raw.unsymbolicated_frames == 2728
    assert named.main_thread().self_time().equals(after)


def test_bad_sidecar_is_a_clear_error(tmp_path):
    bad = tmp_path / "x.syms.json"
    bad.write_text("[1, 2]")
    with pytest.raises(profile_frames.ProfileFormatError, match="syms.json"):
        profile_frames.load(EXAMPLE, symbols=bad)


# -- folded ----------------------------------------------------------------------------------
def test_folded_lines_hand_built():
    lines = folded_lines(load_thread())
    assert sorted(lines) == sorted(["A;D;B;C 3", "A;B 2", "A;B;C 1", "A;B;B 1", "E 1"])
    assert folded_lines(load_thread(), thread_prefix=True)[0].startswith("main;")


@needs_shared
@pytest.mark.parametrize(
    "name",
    [
        "samply/samply-0.13-linux-python.json",
        "samply/samply-rustup-macos-v68.json",
        "other-producers/linux-perf-6.12-gecko-python.json",
    ],
)
def test_folded_totals_equal_functions(name, tmp_path):
    p = profile_frames.load(PROFILES / name)
    for t in p.all_threads():
        if not t.samples.height:
            continue
        path = tmp_path / "out.folded"
        write_folded(t, path)
        totals: dict[str, float] = {}
        for line in path.read_text().splitlines():
            stack, w = line.rsplit(" ", 1)
            for fn in set(stack.split(";")):
                totals[fn] = totals.get(fn, 0) + float(w)
        f = t.functions().group_by("function").agg(pl.col("total").sum())
        names = {r["function"].replace(";", ":"): r["total"] for r in f.iter_rows(named=True)}
        # a function name shared by two funcs is counted once per stack in both views
        for fn, total in totals.items():
            assert total <= names[fn]
        assert (
            sum(float(line.rsplit(" ", 1)[1]) for line in path.read_text().splitlines())
            == t.functions()["self"].sum()
        )


# -- diff ------------------------------------------------------------------------------------
def test_diff_against_itself_is_zero():
    t = profile_frames.load(EXAMPLE).main_thread()
    d = diff(t, t)
    assert d["delta_self_pct"].abs().max() == 0 and d["delta_total_pct"].abs().max() == 0
    assert set(d["status"].unique()) == {""}


def test_diff_hand_built_numbers():
    before = load_thread([(["main", "parse"], 6), (["main", "lex"], 4)])
    after = load_thread([(["main", "parse"], 3), (["main", "alloc"], 1)])
    d = {
        r["function"]: r for r in diff(before, after, durations=(2.28, 1.31)).iter_rows(named=True)
    }
    assert d["parse"]["self_pct_before"] == 60 and d["parse"]["self_pct_after"] == 75
    assert d["parse"]["delta_self_pct"] == pytest.approx(15)
    assert d["lex"]["status"] == "gone" and d["alloc"]["status"] == "new"
    assert d["parse"]["self_ms_before"] == pytest.approx(0.6 * 2.28) and d["parse"][
        "self_ms_after"
    ] == pytest.approx(0.75 * 1.31)
    md = summary_markdown(diff(before, after))
    assert "`lex` (gone)" in md and "`alloc` (new)" in md


def test_diff_repetitions_have_spread_and_t():
    runs_b = [
        load_thread([(["m", "f"], 5), (["m", "g"], 5)]),
        load_thread([(["m", "f"], 6), (["m", "g"], 4)]),
    ]
    runs_a = [
        load_thread([(["m", "f"], 8), (["m", "g"], 2)]),
        load_thread([(["m", "f"], 9), (["m", "g"], 1)]),
    ]
    d = {r["function"]: r for r in diff(runs_b, runs_a).iter_rows(named=True)}
    assert d["f"]["self_pct_before"] == pytest.approx(55) and d["f"][
        "self_pct_after"
    ] == pytest.approx(85)
    assert d["f"]["t_stat"] == pytest.approx(30 / ((50 / 2 + 50 / 2) ** 0.5))


def _raw_self_by_name(path, thread_index: int) -> dict[str, int]:
    """Self weight per function name, the seed's way: json.load and a loop over the samples
    (processed format v55: per-thread tables and stringArray). Independent of profile_frames."""
    import gzip as gz

    opener = gz.open if str(path).endswith(".gz") else open
    with opener(path, "rt") as f:
        t = json.load(f)["threads"][thread_index]
    frame_func, func_name = t["frameTable"]["func"], t["funcTable"]["name"]
    out: dict[str, int] = {}
    weights = t["samples"].get("weight") or [1] * t["samples"]["length"]
    for stack, w in zip(t["samples"]["stack"], weights):
        if stack is None:
            continue
        name = t["stringArray"][func_name[frame_func[t["stackTable"]["frame"][stack]]]]
        out[name] = out.get(name, 0) + (1 if w is None else w)
    return out


@needs_shared
def test_diff_of_two_real_recordings():
    pa = PROFILES / "samply" / "samply-0.13-linux-python.json"
    pb = PROFILES / "samply" / "samply-0.13-linux-python-run2.json.gz"
    a, b = profile_frames.load(pa).thread(1), profile_frames.load(pb).thread(1)
    d = diff(a, b)
    # the shares of each side sum to 100 and the deltas to 0
    assert d["self_pct_before"].sum() == pytest.approx(100)
    assert d["self_pct_after"].sum() == pytest.approx(100)
    assert d["delta_self_pct"].sum() == pytest.approx(0, abs=1e-9)
    # the biggest movers, recomputed by hand from the raw JSON with a plain loop
    raw_a, raw_b = _raw_self_by_name(pa, 1), _raw_self_by_name(pb, 1)
    sum_a, sum_b = sum(raw_a.values()), sum(raw_b.values())
    by_name = d.group_by("function").agg(
        pl.col("self_before", "self_after", "delta_self_pct").sum()
    )
    top = by_name.sort(pl.col("delta_self_pct").abs(), descending=True).head(10)
    for name, sb, sa, delta in top.iter_rows():
        assert sb == raw_a.get(name, 0) and sa == raw_b.get(name, 0), name
        expected = raw_b.get(name, 0) * 100 / sum_b - raw_a.get(name, 0) * 100 / sum_a
        assert delta == pytest.approx(expected, abs=1e-9), name
    assert abs(top["delta_self_pct"][0]) > 0.1  # two real runs do differ


# -- flame graphs, merge, report -------------------------------------------------------------
def test_flamegraph_svg(tmp_path):
    t = load_thread()
    fg = flamegraph(t)
    widths = {}
    for block in re.findall(r'<g class="f".*?</g>', fg.svg, re.S):
        name = re.search(r'data-name="([^"]*)"', block).group(1)
        y, width = re.search(r'<rect x="[\d.]+" y="(\d+)" width="([\d.]+)"', block).groups()
        if y == "41":  # the first level below the "all" bar
            widths[name] = float(width)
    assert widths["A"] == pytest.approx(7 / 8 * 1200 - 0.5, abs=0.02)
    assert widths["E"] == pytest.approx(1 / 8 * 1200 - 0.5, abs=0.02)
    fg.save(tmp_path / "f.svg")
    fg.save(tmp_path / "f.html")
    assert (tmp_path / "f.svg").read_text().startswith("<svg")
    assert "<!DOCTYPE html>" in (tmp_path / "f.html").read_text()
    assert "bottom-up" in flamegraph(t, inverted=True).svg


def test_merged_threads():
    p = profile_frames.load(EXAMPLE)
    m = p.merged([1, 2])
    assert (
        m.functions()["self"].sum()
        == p.thread(1).functions()["self"].sum() + p.thread(2).functions()["self"].sum()
    )
    with pytest.raises(profile_frames.ProfileKeyError):
        profile_frames.Profile.merged(p, [])


def test_report_and_diagnostics():
    t = load_thread(
        [(["main", "malloc"], 30), (["main", "work"], 70)], libraries={"malloc": "libc"}
    )
    findings = diagnose(t)
    assert [(f.name, round(f.share_pct)) for f in findings] == [("allocation", 30)]
    md = str(hotspot_report(t, groups={"w": ["work"]}))
    assert (
        "## Top 30 functions by self time" in md and "| w |" in md and "**allocation: 30.0%**" in md
    )
    assert t.report(groups={"w": ["work"]})._repr_markdown_() == md


def test_profile_wide_functions():
    p = profile_frames.load(EXAMPLE)
    f = p.functions()
    assert set(f["thread"].unique().to_list()) == {1, 2, 3}
    assert f.filter(pl.col("thread") == 2)["self"].sum() == p.thread(2).functions()["self"].sum()
    assert json.loads(json.dumps(f.head(1).to_dicts(), default=str))


def test_diff_tree_paths():
    from profile_frames.analysis.diff import diff_tree

    before = load_thread([(["main", "parse", "lex"], 6), (["main", "parse"], 4)])
    after = load_thread([(["main", "parse", "lex"], 2), (["main", "alloc"], 2)])
    d = {r["path"]: r for r in diff_tree(before, after).iter_rows(named=True)}
    assert (
        d["main;parse;lex"]["total_pct_before"] == 60
        and d["main;parse;lex"]["total_pct_after"] == 50
    )
    assert d["main;alloc"]["total_pct_before"] == 0 and d["main;alloc"]["delta_total_pct"] == 50
    assert d["main"]["delta_total_pct"] == 0
    same = diff_tree(before, before)
    assert same["delta_total_pct"].abs().max() == 0


def test_speedscope_paths_equal_folded_paths():
    from profile_frames.export.speedscope import speedscope_document

    p = profile_frames.load(EXAMPLE)
    doc = speedscope_document(p, [1])
    frames, prof = doc["shared"]["frames"], doc["profiles"][0]
    paths: dict[str, float] = {}
    for path, w in zip(prof["samples"], prof["weights"]):
        key = ";".join(frames[i]["name"] for i in path)
        paths[key] = paths.get(key, 0) + w
    lines = folded_lines(p.thread(1))
    folded = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines}
    assert len(folded) == len(lines)  # one line per distinct path
    assert paths == folded
    assert prof["endValue"] == sum(prof["weights"]) == p.thread(1).functions()["self"].sum()


@pytest.mark.parametrize(
    "name",
    [
        "example",
        "samply/samply-rustup-macos-v68.json",
        "other-producers/linux-perf-6.12-gecko-python.json",
    ],
)
def test_speedscope_validates_against_the_published_schema(name, tmp_path):
    import jsonschema

    from profile_frames.export.speedscope import write_speedscope

    if name == "example":
        p = profile_frames.load(EXAMPLE)
    elif not PROFILES.is_dir():
        pytest.skip("../shared/fixtures is not present beside this checkout")
    else:
        p = profile_frames.load(PROFILES / name)
    schema = json.loads((DATA / "speedscope-file-format-schema.json").read_text())
    write_speedscope(p, tmp_path / "out.json")
    doc = json.loads((tmp_path / "out.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["profiles"]
    broken = {**doc, "profiles": [{**doc["profiles"][0], "type": "sampledd"}]}
    with pytest.raises(jsonschema.ValidationError):  # the schema really constrains the document
        jsonschema.validate(broken, schema)


def test_diff_takes_profiles_with_a_thread_key():
    p = profile_frames.load(EXAMPLE)
    t = p.thread(1)
    other = t.transform(T.DropFunction("PyObject_Malloc"))
    by_profile = profile_frames.diff(p, other, thread=1)
    assert by_profile.equals(profile_frames.diff(t, other))
    assert profile_frames.diff_tree(p, other, thread=1).equals(profile_frames.diff_tree(t, other))
    main = profile_frames.diff(p, p)  # default: each side's main thread
    assert main["self_before"].sum() == p.main_thread().functions()["self"].sum()
    with pytest.raises(ValueError, match="one thread per side"):
        profile_frames.diff_tree([t, t], t)


def test_thread_flamegraph_method(tmp_path):
    fg = profile_frames.load(EXAMPLE).thread(1).flamegraph(inverted=True, min_width=0.01)
    assert "bottom-up" in fg.svg and not hasattr(fg, "_repr_svg_")  # Jupyter shows the HTML
    assert 'class="pf-flame"' in fg._repr_html_() and "<script>" in fg._repr_html_()
    fg.save(tmp_path / "f.svg")
    assert (tmp_path / "f.svg").read_text() == fg.svg


def test_parquet_folder_answers_the_documented_duckdb_query(tmp_path):
    duckdb = pytest.importorskip("duckdb", reason="duckdb runs the SQL documented in docs/model.md")
    p = profile_frames.load(EXAMPLE)
    folder = tmp_path / "p.pf"
    p.save(folder)
    sql = f"""
        SELECT f.name, sum(s.weight) AS self
        FROM '{folder}/samples/thread-1.parquet' s
        JOIN '{folder}/stacks.parquet' st USING (stack)
        JOIN '{folder}/frames.parquet' fr USING (frame)
        JOIN '{folder}/funcs.parquet' f USING (func)
        GROUP BY f.name ORDER BY self DESC, f.name LIMIT 10
    """
    rows = duckdb.sql(sql).fetchall()
    ours = (
        p.thread(1)
        .functions()
        .group_by("function")
        .agg(pl.col("self").sum())
        .sort(["self", "function"], descending=[True, False])
        .head(10)
    )
    assert rows == list(zip(ours["function"].to_list(), ours["self"].to_list()))
    # the manifest says what the folder is, for any reader
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format"] == "profile_frames" and manifest["table_format"] == "parquet"
