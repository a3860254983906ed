"""The tutorial notebook (docs/tutorial.ipynb) executed with nbclient, its outputs checked; its
flame graphs used in a real notebook page (nbconvert's HTML) in headless Chromium; progress
shown in a notebook."""

from __future__ import annotations

import html as html_module
import re
from pathlib import Path

import numpy as np
import pytest

import profile_frames

nbformat = pytest.importorskip("nbformat", reason="pip install -e '.[test]' (nbformat)")
nbclient = pytest.importorskip("nbclient", reason="pip install -e '.[test]' (nbclient)")

from .browser import CHROMIUM, run_chromium, screenshot  # noqa: E402

TUTORIAL = Path(__file__).resolve().parent.parent / "docs" / "tutorial.ipynb"


def _execute(nb, cwd: Path):
    nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    return _execute(nbformat.read(TUTORIAL, as_version=4), tmp_path_factory.mktemp("nb"))


def _outputs(nb, needle: str) -> dict:
    """The data of the output of the code cell whose source contains ``needle``."""
    for cell in nb.cells:
        if cell.cell_type == "code" and needle in cell.source:
            (out,) = [o for o in cell.outputs if o.output_type == "execute_result"]
            return out["data"]
    raise AssertionError(f"no cell with {needle!r}")


def test_tutorial_runs_without_errors(executed):
    errors = [
        o
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors, errors


def test_tables_are_readable(executed):
    data = _outputs(executed, "thread.self_time()")
    html = data["text/html"]
    assert html.count("<tr>") == 1 + 12  # the header and the 12 rows asked for, not polars' 10
    assert ">PyEval_EvalFrameDefault<" in html and ">23.5%<" in html  # shares as percentages
    assert "… " in html and "more rows" in html
    groups = _outputs(executed, "group_time(groups)")["text/plain"]
    assert re.search(r"Python eval\s+255\s+1019\s+24\.5%", groups)
    diff = _outputs(executed, "profile_frames.diff(before, after)")["text/html"]
    assert "delta_self_pct" in diff and re.search(r">-?\d+\.\d%<", diff)


def test_flame_graph_output_is_html_with_labels_and_a_short_text_form(executed):
    data = _outputs(executed, "thread.flamegraph()")
    assert (
        "image/svg+xml" not in data
    )  # shown as an <img> by JupyterLab and VS Code: no labels, no script
    assert data["text/plain"] == "<FlameGraph python3.11: top-down, 1,039 samples, 570 boxes>"
    html = data["text/html"]
    assert re.search(r"<text[^>]*>PyEval_EvalFrameDefault</text>", html)  # labels without scripts
    assert "pf-search" in html and "pf-crumbs" in html and "<script>" in html
    ids = re.findall(
        r'<div id="(pf-fg-[^"]+)"', html + _outputs(executed, "diff_flamegraph")["text/html"]
    )
    assert len(ids) == 2 and len(set(ids)) == 2
    title = html_module.unescape(_outputs(executed, "diff_flamegraph")["text/html"])
    assert "change of each function's self share (as in the diff table)" in title


@pytest.fixture(scope="module")
def page(executed, tmp_path_factory) -> Path:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter(template_name="lab").from_notebook_node(executed)
    path = tmp_path_factory.mktemp("page") / "tutorial.html"
    path.write_text(body, encoding="utf-8")
    return path


chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)"
)


def _dom(page: Path, fragment: str, width: int = 1000) -> str:
    args = [f"--window-size={width},900", "--virtual-time-budget=5000", "--dump-dom"]
    return run_chromium([*args, page.resolve().as_uri() + fragment]).stdout.decode("utf-8")


@chromium
def test_in_a_notebook_page_the_graph_searches_fits_its_width_and_keeps_labels(page):
    dom = _dom(page, "#pf-search=PyObject_Malloc", width=1000)
    assert dom.count('data-ready="1"') == 2  # both graphs' scripts ran in the page
    matched = re.findall(r'class="pf-matched">matched ([\d.]+)%<', dom)
    t = profile_frames.load(profile_frames.example_path()).thread(1)
    share = float(t.group_time({"m": ["PyObject_Malloc"]})["total_pct"][0])
    assert abs(float(matched[0]) - share) < 0.05, (matched, share)  # narrow boxes counted too
    widths = [int(w) for w in re.findall(r'<svg class="pf-flame"[^>]*?\swidth="(\d+)"', dom)]
    assert widths and all(500 < w < 1000 for w in widths), widths  # the output area, not 1200 px
    assert re.search(r"<text[^>]*>PyEval_EvalFrameDefault</text>", dom)


@chromium
def test_zoom_has_a_breadcrumb(page):
    dom = _dom(page, "#pf-zoom=PyObject_Malloc")
    crumbs = re.search(r'class="pf-crumbs"[^>]*>(.*?)</span>', dom).group(1)
    names = re.findall(r"<a[^>]*>([^<]*)</a>", crumbs)
    assert names[0] == "all" and names[-1] == "PyObject_Malloc" and len(names) > 3


@chromium
def test_notebook_page_screenshot_is_a_flame_graph(page, tmp_path):
    png = screenshot(page, tmp_path / "nb.png", width=1100, height=2600)
    from PIL import Image

    img = np.asarray(Image.open(png).convert("RGB"))
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 80  # boxes in many colours, not blank


def test_progress_shows_in_a_notebook(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)  # progress is quiet in CI; the kernel inherits this
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import time\nfrom profile_frames.progress import ProgressBar\n"
            "bar = ProgressBar(total=100_000_000, delay=0)\n"
            "for done in (10_000_000, 60_000_000, 100_000_000):\n    bar.update(done); time.sleep(0.3)\n"
            "bar.close()"
        )
    ]
    _execute(nb, tmp_path)
    shown = [o for o in nb.cells[0].outputs if o.output_type == "display_data"]
    # one line, updated in place (nbclient applies the updates to it): it ends as "done"
    assert len(shown) == 1 and shown[0]["data"]["text/plain"].startswith("loading: done in")
    assert not any(o.output_type == "stream" for o in nb.cells[0].outputs)  # nothing on stderr


def test_progress_is_quiet_in_ci_and_scripts(monkeypatch):
    from profile_frames.progress import ProgressBar

    monkeypatch.setenv("CI", "true")
    assert not ProgressBar(total=1).enabled
    monkeypatch.delenv("CI")
    assert ProgressBar(total=1).enabled == __import__("sys").stderr.isatty()  # not a notebook here
