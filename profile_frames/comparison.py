"""Two profiles merged for comparing, as the Firefox Profiler's compare view builds them
(its ``mergeProfilesForDiffing``): one profile holding a thread of each and a third,
*comparison* thread whose samples are both threads' samples, the first one's with negative
weights. Its call tree, functions and flame graph show the difference after − before.

* Funcs are shared where both profiles have one of the same name, library and line, so the
  same call path of both runs is one call node; frames and stacks are appended.
* The interval is the smaller one; each thread's weights are multiplied by its interval over
  it (a profile sampled every 2 ms counts twice per sample beside one sampled every 1 ms).
* Each thread's times start at 0 (its first sample), so the runs line up.

Example
-------
>>> import profile_frames
>>> p = profile_frames.load(profile_frames.example_path())
>>> both = comparison_profile(p, p)
>>> both.threads["name"].to_list()
['python3.11', 'python3.11', 'Diff between 1 and 2']
>>> both.thread(2).functions().height  # the same samples on both sides: no difference
0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from . import schema
from .errors import ProfileKeyError
from .model import Meta, Profile, Thread, build_threads_table
from .stack_sums import count_by_stack

DIFF_NAME = "Diff between 1 and 2"


def comparison_profile(
    before: Profile, after: Profile, *, before_thread: Any = None, after_thread: Any = None
) -> Profile:
    """``before``'s and ``after``'s threads (default: each one's main thread) as threads 0
    and 1 of one profile, and their comparison as thread 2 (see the module docstring)."""
    views = [
        p.main_thread() if key is None else p.thread(key)
        for p, key in ((before, before_thread), (after, after_thread))
    ]
    if views[0].weight_type != views[1].weight_type:
        raise ProfileKeyError(
            f"cannot compare weight types {views[0].weight_type} and {views[1].weight_type}"
        )
    categories, category_maps = _merged_categories([before, after])
    funcs, func_maps = _merged_funcs([before, after])
    libs = pl.concat([before.meta.libs, after.meta.libs])
    n_libs = before.meta.libs.height
    n_symbols = before.native_symbols.height
    frames = pl.concat(
        [
            _frames(before.frames, func_maps[0], category_maps[0], 0, 0),
            _frames(after.frames, func_maps[1], category_maps[1], n_libs, n_symbols),
        ]
    )
    stacks = pl.concat(
        [
            _stacks(before.stacks, 0, 0, category_maps[0]),
            _stacks(after.stacks, before.stacks.height, before.frames.height, category_maps[1]),
        ]
    )
    native_symbols = pl.concat(
        [
            before.native_symbols,
            after.native_symbols.with_columns(pl.col("lib") + n_libs),
        ]
    )
    interval = min(before.meta.interval_ms, after.meta.interval_ms)
    offsets = [0, before.stacks.height]
    own = [_shared_samples(v, offsets[i]) for i, v in enumerate(views)]
    starts = [s["time"].min() if s.height else 0.0 for s in own]
    own = [s.with_columns(pl.col("time") - (t or 0.0)) for s, t in zip(own, starts)]
    multipliers = [before.meta.interval_ms / interval, after.meta.interval_ms / interval]
    diff = _diff_samples(own, multipliers)
    markers = [
        v.markers.with_columns(pl.col("start") - (t or 0.0), pl.col("end") - (t or 0.0))
        for v, t in zip(views, starts)
    ]
    infos = [_info(v, i, p) for i, (v, p) in enumerate(zip(views, (before, after)))]
    infos.append(
        {
            "index": 2,
            "name": DIFF_NAME,
            "process_name": "",
            "pid": DIFF_NAME,
            "tid": DIFF_NAME,
            "is_main": True,
            "process_type": "comparison",
            "weight_type": views[0].weight_type,
        }
    )
    samples = [*own, diff]
    counts = [count_by_stack(s, stacks.height) for s in samples]
    meta = Meta(
        product=before.meta.product,
        interval_ms=interval,
        start_time=0.0,
        format="comparison",
        version=before.meta.version,
        categories=categories,
        libs=libs,
        symbolicated=(
            None
            if before.meta.symbolicated is None or after.meta.symbolicated is None
            else before.meta.symbolicated and after.meta.symbolicated
        ),
        raw={"compared": [before.source, after.source]},
    )
    return Profile(
        meta=meta,
        threads=build_threads_table(infos, samples, counts),
        stack_counts=counts,
        samples=samples,
        markers=[*markers, schema.empty(schema.MARKERS)],
        stacks=stacks,
        frames=frames,
        funcs=funcs,
        native_symbols=native_symbols,
        source=f"{before.source} vs {after.source}",
    )


def _info(view: Thread, i: int, profile: Profile) -> dict:
    row = profile.threads.filter(pl.col("index") == view.index).row(0, named=True)
    return {
        "index": i,
        "name": row["name"],
        "process_name": f"Profile {i + 1}: {row['process_name'] or row['name']}",
        "pid": f"{row['pid']} from profile {i + 1}",
        "tid": f"{row['tid']} from profile {i + 1}",
        "is_main": True,
        "process_type": row["process_type"],
        "weight_type": view.weight_type,
    }


def _merged_categories(profiles: list[Profile]) -> tuple[pl.DataFrame, list[np.ndarray]]:
    """One category list (by name, first profile's order first) and each profile's map."""
    names: dict[str, int] = {}
    rows = []
    maps = []
    for p in profiles:
        mapping = []
        for row in p.meta.categories.iter_rows(named=True):
            at = names.get(row["name"])
            if at is None:
                at = names[row["name"]] = len(rows)
                rows.append(row)
            mapping.append(at)
        maps.append(np.asarray(mapping, dtype=np.int32))
    return pl.DataFrame(rows, schema=schema.CATEGORIES), maps


def _merged_funcs(profiles: list[Profile]) -> tuple[pl.DataFrame, list[np.ndarray]]:
    """The funcs of both profiles, one row per (name, library, line), and each one's map."""
    key = ["name", "library", "line"]
    parts, resources = [], 0
    for i, p in enumerate(profiles):  # resource numbers of the second profile follow the first's
        parts.append(p.funcs.with_columns(pl.col("resource") + resources, _profile=pl.lit(i)))
        resources += int(p.funcs["resource"].max() or 0) + 1 if p.funcs.height else 0
    both = pl.concat(parts)
    first = both.unique(subset=key, keep="first", maintain_order=True).with_row_index("_new")
    mapped = both.join(
        first.select(*key, "_new"), on=key, how="left", nulls_equal=True, maintain_order="left"
    )
    maps = [
        mapped.filter(pl.col("_profile") == i)["_new"].to_numpy().astype(np.int32)
        for i in range(len(profiles))
    ]
    return first.select(schema.FUNCS.keys()), maps


def _frames(
    frames: pl.DataFrame, funcs: np.ndarray, categories: np.ndarray, libs: int, symbols: int
) -> pl.DataFrame:
    return frames.with_columns(
        pl.Series("func", funcs[frames["func"].to_numpy()], dtype=pl.Int32),
        _mapped(frames["category"], categories),
        pl.col("lib") + libs,
        pl.col("native_symbol") + symbols,
    )


def _mapped(col: pl.Series, mapping: np.ndarray) -> pl.Series:
    """Category indexes through ``mapping`` (nulls stay null)."""
    if len(mapping) == 0:
        return col
    values = mapping[col.fill_null(0).clip(0, len(mapping) - 1).to_numpy()]
    return (
        pl.select(pl.when(col.is_not_null()).then(pl.Series(values, dtype=pl.Int32)))
        .to_series()
        .alias(col.name)
    )


def _stacks(
    stacks: pl.DataFrame, stack_offset: int, frame_offset: int, categories: np.ndarray
) -> pl.DataFrame:
    return stacks.with_columns(
        pl.col("parent") + stack_offset,
        pl.col("frame") + frame_offset,
        _mapped(stacks["category"], categories),
    )


def _shared_samples(view: Thread, offset: int) -> pl.DataFrame:
    """A view's samples with stacks as rows of its profile's shared table, plus ``offset``."""
    s = view.samples
    stack = s["stack"]
    if view.stack_rows is not None:
        rows = pl.Series(view.stack_rows.astype(np.int64))
        stack = pl.select(
            pl.when(stack.is_not_null()).then(rows.gather(stack.fill_null(0)))
        ).to_series()
    return s.with_columns((stack + offset).cast(pl.Int32).alias("stack"))


def _diff_samples(own: list[pl.DataFrame], multipliers: list[float]) -> pl.DataFrame:
    """Both threads' samples in time order, the first one's weights negative; at equal times
    the second's sample comes first (as ``combineSamplesDiffing`` takes them)."""
    whole = all(float(m).is_integer() for m in multipliers) and all(
        s["weight"].dtype.is_integer() for s in own
    )
    parts = []
    for i, (s, m) in enumerate(zip(own, multipliers)):
        sign = -1 if i == 0 else 1
        w = s["weight"].cast(pl.Float64) * (sign * m)
        parts.append(
            s.with_columns(
                w.alias("weight"),
                pl.lit(None, dtype=pl.Float32).alias("cpu_delta"),
                pl.lit(1 - i, dtype=pl.Int8).alias("_first"),
            )
        )
    merged = pl.concat(parts).sort(["time", "_first"], maintain_order=True).drop("_first")
    w = merged["weight"]
    if whole and (w.len() == 0 or w.abs().max() < 2**31):
        merged = merged.with_columns(w.cast(pl.Int32))
    return merged
