"""Flame graph layout and colours, without a browser: narrow boxes summed, readable titles,
distinct library hues, diff colours that agree with the diff table; and progress counting
uncompressed bytes."""

from __future__ import annotations

import colorsys
import gzip
import importlib
import re

import polars as pl
import pytest

import profile_frames
from profile_frames.analysis import transforms as T
from profile_frames.present.flamegraph import diff_flamegraph, flamegraph
from tests.builders import processed_profile, to_bytes


def _boxes(svg: str) -> list[dict]:
    out = []
    for g in re.findall(r"<g class=\"(f(?: more)?)\"([^>]*)>(.*?)</g>", svg, re.S):
        cls, attrs, inner = g
        a = dict(re.findall(r'(data-[a-z]+)="([^"]*)"', attrs))
        y = int(re.search(r'<rect x="[\d.]+" y="(\d+)"', inner).group(1))
        fill = re.search(r'fill="(rgb\([^)]*\))"', inner).group(1)
        out.append({"more": cls == "f more", "y": y, "fill": fill, **a})
    return out


def test_narrow_boxes_are_summed_so_each_level_adds_up():
    # one wide function and 300 functions of one sample each under main
    samples = [(["main", "wide"], 700)] + [(["main", f"tiny{i}"], 1) for i in range(300)]
    t = profile_frames.load(to_bytes(processed_profile(samples))).thread(0)
    fg = flamegraph(t, min_width=0.01)
    boxes = _boxes(fg.svg)
    under_main = [
        b for b in boxes if b.get("data-parent") not in (None, "all") and b["y"] == 24 + 2 * 17
    ]
    assert sum(b["more"] for b in under_main) == 1
    more = next(b for b in under_main if b["more"])
    assert more["data-name"] == "… 300 smaller"
    assert sum(float(b["data-w"]) for b in under_main) == pytest.approx(1.0)  # the whole of main
    assert "300 smaller boxes" in fg.svg


def test_titles_and_repr_use_thousands_separators():
    t = profile_frames.load(to_bytes(processed_profile([(["main", "f"], 1_192_720)]))).thread(0)
    fg = flamegraph(t)
    assert "main: top-down, 1,192,720 samples" in fg.svg and "e+06" not in fg.svg
    assert repr(fg) == "<FlameGraph main: top-down, 1,192,720 samples, 2 boxes>"


def _hue(rgb: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", rgb))
    return colorsys.rgb_to_hls(r, g, b)[0]


def test_libraries_get_distinct_hues_with_a_legend():
    t = profile_frames.load(profile_frames.example_path()).thread(1)
    fg = flamegraph(t)
    legend = re.findall(r"background:(rgb\([^)]*\));[^>]*></span>([^<]+)</span>", fg.html)
    names = [n for _, n in legend]
    assert names[:2] == ["libpython3.11.so.1.0", "libc.so.6"]  # heaviest first
    hues = [_hue(c) for c, _ in legend[:5]]
    gaps = [min(abs(a - b), 1 - abs(a - b)) for i, a in enumerate(hues) for b in hues[i + 1 :]]
    assert min(gaps) > 0.04  # different hues, not shades of one palette
    assert len({b["fill"] for b in _boxes(fg.svg)}) > 20  # functions vary within their hue


def test_diff_colours_by_function_agree_with_the_diff_table():
    t = profile_frames.load(profile_frames.example_path()).thread(1)
    before = t.transform(T.DropFunction("PyObject_Free"))
    fg = diff_flamegraph(before, t)
    d = profile_frames.diff(before, t)
    delta = dict(zip(d["function"], d["delta_self_pct"]))
    fills: dict[str, set] = {}
    for b in _boxes(fg.svg):
        if not b["more"] and b["data-name"] != "all":
            fills.setdefault(b["data-name"], set()).add(b["fill"])
    assert all(len(f) == 1 for f in fills.values())  # one colour per function
    scale = max(abs(delta.get(n, 0)) for n in fills)
    for name, (fill,) in fills.items():
        r, g, bl = (int(v) for v in re.findall(r"\d+", fill))
        change = delta.get(name, 0)
        if change > scale / 50:  # smaller changes round to grey
            assert r > g and r > bl, (name, fill)
        elif change < -scale / 50:
            assert bl > r, (name, fill)
    assert "change of each function's self share (as in the diff table)" in fg.svg.replace(
        "&#x27;", "'"
    )
    path = diff_flamegraph(before, t, color="path")
    assert "call path's self share" in path.svg.replace("&#x27;", "'")
    with pytest.raises(ValueError, match="color"):
        diff_flamegraph(before, t, color="rainbow")


def test_progress_of_a_gz_load_counts_uncompressed_bytes(tmp_path, monkeypatch):
    """A 10× compressed file: the bar's total and its last value are the uncompressed size, and
    it moves as the parser goes, not once per compressed read."""
    from profile_frames import progress

    doc = processed_profile([(["main", f"f{i % 50}"], 1) for i in range(200_000)])
    raw = to_bytes(doc)
    path = tmp_path / "p.json.gz"
    path.write_bytes(gzip.compress(raw))
    seen = []

    class Recorder(progress.ProgressBar):
        def __init__(self, **kw):
            super().__init__(**kw)
            seen.append(("total", kw["total"]))

        def update(self, done: int) -> None:
            seen.append(("done", done))

    monkeypatch.setattr(importlib.import_module("profile_frames.load"), "ProgressBar", Recorder)
    monkeypatch.setattr(
        importlib.import_module("profile_frames.source"), "MAX_DECOMPRESSED_CHUNK", 1 << 18
    )
    profile_frames.load(path)
    assert seen[0] == ("total", len(raw))
    done = [v for k, v in seen if k == "done"]
    assert done[-1] == len(raw) and len(done) >= len(raw) // (1 << 18) and done == sorted(done)
    assert path.stat().st_size * 5 < len(raw)  # it is compressed; the bar does not count that


def test_group_columns_stay_numbers():
    t = profile_frames.load(to_bytes(processed_profile([(["main", "f"], 3)]))).thread(0)
    g = t.group_time({"none": ["nothing"]})
    assert g.schema["self"] == pl.Int64 and g.filter(pl.col("group") == "none")["self"].item() == 0
