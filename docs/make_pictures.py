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


if __name__ == "__main__":
    main()
