"""speedscope's file format (https://www.speedscope.app/file-format-schema.json): one sampled
profile per thread, frames shared.

Example
-------
>>> import profile_frames
>>> doc = speedscope_document(profile_frames.load(profile_frames.example_path()))
>>> doc["$schema"], len(doc["profiles"])
('https://www.speedscope.app/file-format-schema.json', 3)
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

import numpy as np

from ..analysis.calltree import stack_arrays, stack_weights
from ..tree import ancestors
from .atomic import atomic_write

if TYPE_CHECKING:
    from ..model import Profile, Thread

SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def _thread_profile(t: Thread) -> dict:
    sw = stack_weights(t)
    used = np.flatnonzero(sw != 0)
    parent, func = stack_arrays(t)
    paths = ancestors(parent, used)  # leaf first, -1 beyond the root
    samples = [func[row[row >= 0][::-1]].tolist() for row in paths]
    weights = sw[used].tolist()
    unit = (
        "none"
        if t.weight_type == "samples"
        else ("milliseconds" if t.weight_type == "tracing-ms" else "bytes")
    )
    return {
        "type": "sampled",
        "name": f"{t.name} ({t.index})",
        "unit": unit,
        "startValue": 0,
        "endValue": float(sum(weights)),
        "samples": samples,
        "weights": weights,
    }


def speedscope_document(profile: Profile, threads: list | None = None) -> dict:
    """The speedscope JSON document for ``threads`` (thread views, or keys for
    ``profile.thread``; default: every thread with samples)."""
    views = (
        [k if hasattr(k, "stacks") else profile.thread(k) for k in threads]
        if threads
        else [t for t in profile.all_threads() if t.n_samples]
    )
    funcs = profile.funcs
    frames = [
        {k: v for k, v in {"name": n or "?", "file": f, "line": ln}.items() if v is not None}
        for n, f, ln in zip(
            funcs["name"].to_list(), funcs["file"].to_list(), funcs["line"].to_list()
        )
    ]
    return {
        "$schema": SCHEMA,
        "shared": {"frames": frames},
        "profiles": [_thread_profile(t) for t in views],
        "name": profile.meta.product or "profile",
        "exporter": "profile_frames",
        "activeProfileIndex": 0,
    }


def write_speedscope(
    profile: Profile, path: str | os.PathLike, threads: list | None = None
) -> None:
    with atomic_write(path) as f:
        f.write(json.dumps(speedscope_document(profile, threads)).encode("utf-8"))
