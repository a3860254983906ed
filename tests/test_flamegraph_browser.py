"""Flame graphs rendered by a real browser (headless Chromium): not blank, scripts ran, and the
boxes are as wide as their totals say."""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest

import profile_frames
from profile_frames.analysis import transforms as T
from profile_frames.present.flamegraph import ROW, WIDTH, diff_flamegraph, flamegraph

from .browser import CHROMIUM, dom_after_scripts, screenshot

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)
Image = pytest.importorskip("PIL.Image", reason="Pillow reads the screenshots")

# far from the library palette, the greys and each other
DISTINCT = [(255, 0, 0), (0, 170, 0), (0, 0, 255), (255, 0, 255), (0, 190, 190), (120, 60, 0)]


def example_thread():
    return profile_frames.load(profile_frames.example_path()).thread(1)


def render(fg, tmp_path, name: str) -> np.ndarray:
    page = tmp_path / f"{name}.svg"  # the standalone SVG: geometry as laid out, no toolbar
    fg.save(page)
    height = int(re.search(r'height="(\d+)"', fg.svg).group(1))
    png = screenshot(page, tmp_path / f"{name}.png", width=WIDTH, height=height)
    return np.asarray(Image.open(png).convert("RGB"))


def pixels_of(row: np.ndarray, rgb: tuple[int, int, int]) -> int:
    return int((row == np.array(rgb, dtype=np.uint8)).all(axis=1).sum())


def box_top(level: int, height: int, inverted: bool) -> int:
    """y of the box at ``level`` (1 = roots), as flamegraph() lays it out."""
    return height - 2 * ROW - level * ROW if inverted else 24 + level * ROW


def test_flamegraph_is_not_blank_and_its_script_ran(tmp_path):
    fg = flamegraph(example_thread())
    img = render(fg, tmp_path, "icicle")
    graph = img[24:]
    background = (graph == np.array([250, 250, 250], np.uint8)).all(axis=2)
    assert background.mean() < 0.9, "the graph area is (almost) empty"
    assert len(np.unique(graph.reshape(-1, 3), axis=0)) > 50, "too few colours for a flame graph"
    dom = dom_after_scripts(tmp_path / "icicle.svg")
    assert re.search(r"<text[^>]*>PyEval_EvalFrameDefault</text>", dom)
    assert 'data-ready="1"' in dom  # the script ran


@pytest.mark.parametrize("inverted", [False, True], ids=["icicle", "flame"])
def test_top_boxes_are_as_wide_as_their_totals(tmp_path, inverted):
    t = example_thread()
    tree = t.call_tree(inverted=inverted)
    whole = float(tree.filter(pl.col("parent").is_null())["total"].sum())
    # the icicle's roots form one chain here (start → main …); take the first level that splits
    # into several wide boxes. The flame's roots are the functions with self time.
    wide = tree.filter(pl.col("total") / whole * WIDTH >= 25)
    depth = (
        0 if inverted else wide.group_by("depth").len().filter(pl.col("len") >= 3)["depth"].min()
    )
    boxes = wide.filter(pl.col("depth") == depth).sort("total", descending=True).head(len(DISTINCT))
    assert boxes.height >= 3
    colors = {n: f"rgb{c}" for n, c in zip(boxes["node"].to_list(), DISTINCT)}
    fg = flamegraph(t, inverted=inverted, tree=tree, colors=colors)
    img = render(fg, tmp_path, "boxes")
    y = box_top(depth + 1, img.shape[0], inverted) + 2  # above the label's glyphs
    row = img[y]
    assert pixels_of(img[box_top(0, img.shape[0], inverted) + 1], (200, 200, 200)) >= WIDTH - 2
    for node, total, rgb in zip(boxes["node"].to_list(), boxes["total"].to_list(), DISTINCT):
        expected = total / whole * WIDTH - 0.5  # boxes leave a half-pixel gap
        # the two edge pixels are blended (anti-aliased), the rest has the exact fill
        assert abs(pixels_of(row, rgb) - expected) <= 2, (node, total, expected)


def test_diff_flamegraph_is_red_where_shares_grew_and_blue_where_they_shrank(tmp_path):
    t = example_thread()
    before = t.transform(T.DropFunction("PyObject_Malloc"))
    fg = diff_flamegraph(before, t, color="path")  # Malloc's paths appear (grew); the rest shrank
    img = render(fg, tmp_path, "diff")
    flat = img.reshape(-1, 3).astype(int)
    red = (flat[:, 0] > 200) & (flat[:, 1] < 150) & (flat[:, 2] < 150)
    blue = (flat[:, 2] > 200) & (flat[:, 0] < 150)
    assert red.sum() > 200 and blue.sum() > 200
    # the box of PyObject_Malloc under the main interpreter frame is red
    for block in re.findall(r'<g class="f".*?</g>', fg.svg, re.S):
        if 'data-name="PyObject_Malloc"' in block:
            x, y, w = (float(v) for v in re.search(
                r'<rect x="([\d.]+)" y="(\d+)" width="([\d.]+)"', block).groups())  # fmt: skip
            if w >= 10:
                r, g, b = img[int(y) + 1, int(x + w / 2)]
                assert r > 200 and g < 150 and b < 150, (x, y, w, (r, g, b))
                break
    else:
        pytest.fail("no PyObject_Malloc box wide enough to check")
