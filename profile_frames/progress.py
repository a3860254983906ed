"""A bytes-read progress bar on stderr: shown on a terminal for loads longer than ~1 s,
silent otherwise.

Example
-------
>>> bar = ProgressBar(total=100, enabled=False)
>>> bar.update(50); bar.close()
"""

from __future__ import annotations

import os
import sys
import time


class ProgressBar:
    """Call ``update(bytes_done)`` as reading proceeds, ``close()`` at the end."""

    def __init__(
        self,
        *,
        total: int | None,
        enabled: bool | None = None,
        label: str = "loading",
        delay: float = 1.0,
    ):
        if enabled is None:
            enabled = sys.stderr.isatty() and not os.environ.get("CI")
        self.enabled = enabled
        self.total = total
        self.label = label
        self.delay = delay
        self.start = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.start < self.delay or now - self.last_draw < 0.1:
            return
        self.last_draw = now
        mb = done / 1e6
        rate = mb / max(now - self.start, 1e-9)
        if self.total:
            frac = min(done / self.total, 1.0)
            fill = int(frac * 30)
            bar = "#" * fill + "-" * (30 - fill)
            text = f"\r{self.label} [{bar}] {frac * 100:5.1f}% {mb:,.0f}/{self.total / 1e6:,.0f} MB {rate:,.0f} MB/s"
        else:
            text = f"\r{self.label} {mb:,.0f} MB {rate:,.0f} MB/s"
        sys.stderr.write(text)
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()
            self.drawn = False
