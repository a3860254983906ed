"""Render the flame graph pictures in docs/img/ from real recordings, in headless Chromium.

    .venv/bin/python docs/make_pictures.py

Uses the bundled samply example and, for the diff, the two samply runs in ../shared/fixtures
(symbolicated with the presym recording's sidecar: same machine, same libpython build).
The screenshot code is the tests' own (tests/browser.py).
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import profile_frames  # noqa: E402
from tests.browser import screenshot  # noqa: E402

IMG = ROOT / "docs" / "img"
RUNS = ROOT.parent / "shared" / "fixtures" / "profiles" / "samply"


def shoot(fg, name: str, *, keep_bottom: bool = False, max_height: int = 700) -> None:
    """Screenshot the graph; a flame (roots at the bottom) is cut from the top, not the bottom."""
    height = int(re.search(r'height="(\d+)"', fg.svg).group(1))
    with tempfile.TemporaryDirectory() as d:
        page = Path(d) / f"{name}.html"
        fg.save(page)
        png = screenshot(page, IMG / f"{name}.png", width=1200, height=height)
    if height > max_height:
        from PIL import Image

        img = Image.open(png)
        top = height - max_height if keep_bottom else 0
        box = (0, top, 1200, top + max_height)
        img.crop(box).save(png, optimize=True)
    print(f"wrote docs/img/{name}.png")


def notebook_shots() -> None:
    """The flame graph as a notebook shows it: a one-cell notebook executed with nbclient,
    converted by nbconvert (JupyterLab's template) and opened in Chromium, searched and zoomed
    through the page's URL (#pf-search=…, #pf-zoom=…)."""
    import nbclient
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import profile_frames\n"
            "thread = profile_frames.load(profile_frames.example_path()).main_thread()\n"
            "thread.flamegraph()"
        )
    ]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    with tempfile.TemporaryDirectory() as d:
        page = Path(d) / "notebook.html"
        page.write_text(body, encoding="utf-8")
        for name, fragment in (
            ("flamegraph-notebook-search", "#pf-search=PyObject_Malloc"),
            ("flamegraph-notebook-zoom", "#pf-zoom=PyEval_EvalCode"),
        ):
            screenshot(page, IMG / f"{name}.png", width=1000, height=720, fragment=fragment)
            print(f"wrote docs/img/{name}.png")


def main() -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    example = profile_frames.load(profile_frames.example_path()).thread(1)
    shoot(example.flamegraph(min_width=0.002), "flamegraph-icicle")
    shoot(example.flamegraph(inverted=True, min_width=0.002), "flamegraph-flame", keep_bottom=True)
    syms = RUNS / "samply-0.13-linux-python-presym.syms.json"
    before = profile_frames.load(RUNS / "samply-0.13-linux-python.json", symbols=syms)
    after = profile_frames.load(RUNS / "samply-0.13-linux-python-run2.json.gz", symbols=syms)
    shoot(
        profile_frames.diff_flamegraph(before, after, thread=1, min_width=0.002), "diff-flamegraph"
    )
    shoot(
        profile_frames.diff_flamegraph(before, after, thread=1, min_width=0.002, color="path"),
        "diff-flamegraph-path",
    )
    notebook_shots()


if __name__ == "__main__":
    main()
