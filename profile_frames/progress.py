"""Progress of long operations: a bar on a terminal (stderr), an updating line in a Jupyter
notebook, nothing in scripts, pipes and CI. Shown only for operations longer than ~1 s.

Loads count uncompressed bytes (the gzip trailer gives the total), ingests count profiles.

Example
-------
>>> bar = ProgressBar(total=100, enabled=False)
>>> bar.update(50); bar.close()
>>> ProgressBar(total=100, enabled=True, delay=0.0).text(50)
'loading [###############---------------]  50.0% 0/0 MB ...
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (JupyterLab, Notebook, VS Code, nbclient)."""
    ipython = sys.modules.get("IPython")
    shell = (
        ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    )
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class ProgressBar:
    """Call ``update(done)`` as work proceeds, ``close()`` at the end. ``enabled=None``: on
    when stderr is a terminal or in a notebook, off in CI (``$CI`` set)."""

    def __init__(
        self,
        *,
        total: int | None,
        enabled: bool | None = None,
        label: str = "loading",
        delay: float = 1.0,
        unit: str = "MB",
    ):
        notebook = in_notebook()
        if enabled is None:
            enabled = (sys.stderr.isatty() or notebook) and not os.environ.get("CI")
        self.enabled = enabled
        self.notebook = notebook and enabled
        self.total = total
        self.label = label
        self.delay = delay
        self.unit = unit  # "MB": update() counts bytes; otherwise items of this name
        self.start = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False
        self._handle: Any = None

    def text(self, done: int) -> str:
        """The progress line for ``done`` (bytes, or items)."""
        scale = 1e6 if self.unit == "MB" else 1.0
        amount = done / scale
        rate = amount / max(time.monotonic() - self.start, 1e-9)
        speed = f"{rate:,.0f} {self.unit}/s" if self.unit == "MB" else f"{rate:,.1f}/s"
        if self.total:
            frac = min(done / self.total, 1.0)
            fill = int(frac * 30)
            bar = "#" * fill + "-" * (30 - fill)
            return f"{self.label} [{bar}] {frac * 100:5.1f}% {amount:,.0f}/{self.total / scale:,.0f} {self.unit} {speed}"
        return f"{self.label} {amount:,.0f} {self.unit} {speed}"

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last_draw < (0.25 if self.notebook else 0.1):
            return
        self.last_draw = now
        if self.notebook:
            self._show(self.text(done))
        else:
            sys.stderr.write("\r" + self.text(done))
            sys.stderr.flush()
        self.drawn = True

    def _show(self, text: str) -> None:
        from IPython.display import display

        bundle = {"text/plain": text}
        if self._handle is None:
            self._handle = display(bundle, raw=True, display_id=True)
        else:
            self._handle.update(bundle, raw=True)

    def close(self) -> None:
        if not self.drawn:
            return
        if self.notebook:
            elapsed = time.monotonic() - self.start
            self._show(f"{self.label}: done in {elapsed:.1f} s")
        else:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()
        self.drawn = False
