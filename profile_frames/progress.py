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
        unit: str = "MB",
    ):
        if enabled is None:
            enabled = sys.stderr.isatty() and not os.environ.get("CI")
        self.enabled = enabled
        self.total = total
        self.label = label
        self.delay = delay
        self.unit = unit  # "MB": update() counts bytes; otherwise items of this name
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
        scale = 1e6 if self.unit == "MB" else 1.0
        amount = done / scale
        rate = amount / max(now - self.start, 1e-9)
        speed = f"{rate:,.0f} {self.unit}/s" if self.unit == "MB" else f"{rate:,.1f}/s"
        if self.total:
            frac = min(done / self.total, 1.0)
            fill = int(frac * 30)
            bar = "#" * fill + "-" * (30 - fill)
            text = f"\r{self.label} [{bar}] {frac * 100:5.1f}% {amount:,.0f}/{self.total / scale:,.0f} {self.unit} {speed}"
        else:
            text = f"\r{self.label} {amount:,.0f} {self.unit} {speed}"
        sys.stderr.write(text)
        sys.stderr.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()
            self.drawn = False
