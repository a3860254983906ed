"""One thread view over the samples of several threads of the same profile.

Example
-------
>>> import profile_frames
>>> p = profile_frames.load(profile_frames.example_path())
>>> m = p.merged([1, 2, 3])
>>> int(m.functions()["self"].sum()) == int(p.threads["weight"][1:].sum())
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from ..errors import ProfileKeyError

if TYPE_CHECKING:
    from ..model import Thread


def merge_threads(threads: list[Thread]) -> Thread:
    """Concatenate the samples (and markers) of threads that share their stack tables."""
    if not threads:
        raise ProfileKeyError("merge needs at least one thread")
    first = threads[0]
    for t in threads[1:]:
        if (
            t.profile is not first.profile
            or t.stacks is not first.stacks
            or t.funcs is not first.funcs
        ):
            raise ProfileKeyError(
                "only untransformed threads of one profile can be merged; merge first, then transform"
            )
        if t.weight_type != first.weight_type:
            raise ProfileKeyError(
                f"cannot merge weight types {first.weight_type} and {t.weight_type}"
            )
    samples = pl.concat([t.samples for t in threads]).sort("time", maintain_order=True)
    markers = pl.concat([t.markers for t in threads])
    return first.with_tables(
        name=" + ".join(t.name for t in threads), samples=samples, markers=markers
    )
