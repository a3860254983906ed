"""Read a dataset: its tables as polars LazyFrames, and the questions asked across profiles.

``open_dataset(path)`` scans the Parquet files lazily (Hive partitions pruned by filters on the
partition label), and answers:

* :meth:`Dataset.function_totals`: self and total per function of a thread over all (or some)
  profiles, with the mean share per profile;
* :meth:`Dataset.trend`: one function's share per value of a label (commit, date, …);
* :meth:`Dataset.compare`: N runs against M runs per function: mean shares, the change with
  its confidence interval, p- and q-values (:mod:`profile_frames.analysis.stats`).

A thread is chosen by name (every thread of that name in a profile counts together), or by
default the main thread each profile was loaded with (``threads.main``). A set of profiles is a
mapping of label values (``{"branch": "main"}``; a list value means any of them), a polars
expression over the ``profiles`` columns, or a list of profile ids.

Example
-------
>>> import tempfile, profile_frames
>>> from profile_frames.dataset import ingest, open_dataset
>>> d = tempfile.mkdtemp() + "/runs"
>>> _ = ingest([profile_frames.example_path()], into=d, progress=False)
>>> ds = open_dataset(d)
>>> ds.function_totals().select("function", "profiles").head(1).rows()
[('PyEval_EvalFrameDefault', 1)]
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ..analysis.stats import compare_sums, side_sums
from ..errors import ProfileFormatError
from .layout import SCHEMAS, read_manifest, visible_files

if TYPE_CHECKING:
    from ..model import Profile

ProfileSet = Mapping[str, Any] | pl.Expr | Sequence[str] | None
KEYS = ["function", "library"]


def _reads_files(method: Callable) -> Callable:
    """A damaged or vanished file of the dataset surfaces as a ProfileFormatError naming the
    dataset and the file, not as polars' error."""

    @functools.wraps(method)
    def wrapper(self: Dataset, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except (pl.exceptions.PolarsError, OSError) as e:
            first = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
            bad = self.damaged_file()
            where = f"{bad.relative_to(self.root)} " if bad is not None else "a dataset file "
            raise ProfileFormatError(
                f"{where}could not be read ({type(e).__name__}: {first})", source=str(self.root)
            ) from None

    return wrapper


class Dataset:
    """A dataset folder written by :func:`profile_frames.dataset.ingest`."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.manifest = read_manifest(self.root)
        self.partition_by: str | None = self.manifest.get("partition_by")
        self.labels: list[str] = list(self.manifest.get("labels", []))

    def damaged_file(self) -> Path | None:
        """The first file of the dataset whose Parquet footer does not read (None: all do)."""
        import pyarrow.parquet as pq

        for table in SCHEMAS:
            for path in visible_files(self.root, table):
                try:
                    pq.read_metadata(path)
                except Exception:  # pyarrow's ArrowInvalid / OSError: a damaged file
                    return path
        return None

    def __repr__(self) -> str:
        part = f", partitioned by {self.partition_by}" if self.partition_by else ""
        return f"<Dataset {self.root}: labels {self.labels}{part}>"

    def schema(self, table: str) -> dict[str, pl.DataType]:
        """The columns of ``table`` as read (labels and the partition label included)."""
        cols = dict(SCHEMAS[table])
        if table == "profiles":
            cols.update({k: pl.String for k in self.labels if k != self.partition_by})
        if self.partition_by:
            cols[self.partition_by] = pl.String
        return cols

    def scan(self, table: str, ids: set[str] | None = None) -> pl.LazyFrame:
        """A table of the dataset, lazily; rows of profiles whose ingest did not finish (no
        ``profiles`` row) are left out (their files are not read). ``ids``: only the files of
        these profiles are read (a question about 20 runs reads 20 files per table)."""
        if table not in SCHEMAS:
            raise ValueError(f"no table {table!r}; tables: {', '.join(SCHEMAS)}")
        files = visible_files(self.root, table, ids)
        if not files:
            return pl.LazyFrame(schema=self.schema(table))
        schema = {k: v for k, v in self.schema(table).items() if k != self.partition_by}
        return pl.scan_parquet(
            files,
            schema=schema,
            missing_columns="insert",
            hive_partitioning=self.partition_by is not None,
            hive_schema={self.partition_by: pl.String} if self.partition_by else None,
            try_parse_hive_dates=False,
        )

    @property
    def profiles(self) -> pl.LazyFrame:
        return self.scan("profiles")

    @property
    def threads(self) -> pl.LazyFrame:
        return self.scan("threads")

    @property
    def functions(self) -> pl.LazyFrame:
        return self.scan("functions")

    def profile_ids(self, where: ProfileSet = None) -> pl.LazyFrame:
        """The ids of the profiles in a set (see the module docstring); None: all."""
        lf = self.profiles
        if where is None:
            pass
        elif isinstance(where, pl.Expr):
            lf = lf.filter(where)
        elif isinstance(where, Mapping):
            for k, v in where.items():
                if k not in self.schema("profiles"):
                    raise ValueError(f"no label or column {k!r}; labels: {', '.join(self.labels)}")
                values = [str(x) for x in v] if isinstance(v, (list, tuple, set)) else [str(v)]
                lf = lf.filter(pl.col(k).cast(pl.String).is_in(values))
        else:
            lf = lf.filter(pl.col("profile_id").is_in(list(where)))
        return lf.select("profile_id")

    def _chosen(self, thread: str | None, where: ProfileSet) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The chosen threads (each profile's main thread, or every thread named ``thread``)
        of the profiles in the set, and per profile their summed weight (profiles with
        weight only: those are the runs)."""
        ids = None if where is None else set(self.profile_ids(where).collect()["profile_id"])
        chosen = (
            self.scan("threads", ids)
            .filter(pl.col("main") if thread is None else pl.col("name") == thread)
            .select("profile_id", "thread", "weight")
            .collect()
        )
        weights = (
            chosen.group_by("profile_id").agg(pl.col("weight").sum()).filter(pl.col("weight") > 0)
        )
        return chosen, weights

    def _runs(self, thread: str | None, where: ProfileSet) -> tuple[pl.DataFrame, pl.LazyFrame]:
        """Per profile of the set: the chosen threads' weight (profiles with weight only); and
        per profile and function: its share of that weight. Only those profiles' files of
        ``threads`` and ``functions`` are read."""
        chosen, weights = self._chosen(thread, where)
        per = (
            self.scan("functions", set(weights["profile_id"]))
            .join(chosen.lazy().select("profile_id", "thread"), on=["profile_id", "thread"])
            .group_by(["profile_id", *KEYS])
            .agg(pl.col("self").sum(), pl.col("total").sum())
            .join(weights.lazy(), on="profile_id")
            .with_columns(
                self_pct=100.0 * pl.col("self") / pl.col("weight"),
                total_pct=100.0 * pl.col("total") / pl.col("weight"),
            )
        )
        return weights, per

    @_reads_files
    def function_totals(self, thread: str | None = None, where: ProfileSet = None) -> pl.DataFrame:
        """Per function over the profiles: in how many it has weight, its summed ``self`` and
        ``total``, and its mean share per profile (a profile without it counts as 0 %)."""
        weights, per = self._runs(thread, where)
        n = weights.height
        return (
            per.group_by(KEYS)
            .agg(
                pl.len().alias("profiles"),
                pl.col("self").sum(),
                pl.col("total").sum(),
                (pl.col("self_pct").sum() / max(n, 1)).alias("mean_self_pct"),
                (pl.col("total_pct").sum() / max(n, 1)).alias("mean_total_pct"),
            )
            .sort(["self", "total", *KEYS], descending=[True, True, False, False], nulls_last=True)
            .collect()
        )

    @_reads_files
    def trend(
        self, function: str, *, by: str, thread: str | None = None, where: ProfileSet = None
    ) -> pl.DataFrame:
        """One function's share per value of the label ``by``: profiles, mean self and total
        share (profiles without the function count as 0 %), sorted by the label's value."""
        if by not in self.schema("profiles"):
            raise ValueError(f"no label {by!r}; labels: {', '.join(self.labels)}")
        weights, per = self._runs(thread, where)
        labelled = weights.lazy().join(self.profiles.select("profile_id", by), on="profile_id")
        fn = (
            per.filter(pl.col("function") == function)
            .group_by("profile_id")
            .agg(pl.col("self_pct").sum(), pl.col("total_pct").sum())
        )
        return (
            labelled.join(fn, on="profile_id", how="left")
            .group_by(by)
            .agg(
                pl.len().alias("profiles"),
                (pl.col("self_pct").fill_null(0.0).sum() / pl.len()).alias("mean_self_pct"),
                (pl.col("total_pct").fill_null(0.0).sum() / pl.len()).alias("mean_total_pct"),
            )
            .sort(by)
            .collect()
        )

    @_reads_files
    def profile(self, profile_id: str) -> Profile:
        """One profile of the dataset as a :class:`Profile`, from its full-fidelity tables.

        Without stored samples (``ingest(samples=False)``, the default) each thread's samples
        are its per-stack sums (one row per stack, no times): every weight question (functions,
        groups, call trees, transforms by function) has the same answer as on the original;
        time ranges and markers are not there."""
        from .. import schema
        from ..model import Meta, Profile
        from ..stack_sums import StackCounts

        ids = {profile_id}
        row = self.profiles.filter(pl.col("profile_id") == profile_id).collect()
        if not row.height:
            raise KeyError(f"no profile {profile_id!r} in {self.root}")
        r = row.row(0, named=True)

        def table(name: str, index: str | None = None) -> pl.DataFrame:
            """The profile's rows of ``name``, in the order of their stored ``index``."""
            df = self.scan(name, ids).collect()
            if index is not None:
                df = df.sort(index)
            extra = [c for c in ("profile_id", self.partition_by, index) if c and c in df.columns]
            return df.drop(extra)

        threads = table("threads").drop("main").rename({"thread": "index"}).sort("index")
        sums = table("stack_weights")
        stored = table("samples") if visible_files(self.root, "samples") else None
        samples, counts = [], []
        for index in threads["index"].to_list():
            mine = sums.filter(pl.col("thread") == index).sort("stack")
            counts.append(
                StackCounts(mine["stack"].to_numpy().astype(np.int64), mine["weight"].to_numpy())
            )
            if stored is not None:
                own = stored.filter(pl.col("thread") == index).drop("thread")
            else:
                own = mine.select(
                    pl.lit(None, pl.Float64).alias("time"),
                    "stack",
                    "weight",
                    pl.lit(None, pl.Float32).alias("cpu_delta"),
                )
            samples.append(own.with_columns(pl.col("stack").cast(pl.Int32)))
        frames = table("frames", "frame").with_columns(
            pl.lit(None, pl.Int32).alias("native_symbol")
        )
        meta = Meta(
            product=r["product"],
            interval_ms=r["interval_ms"],
            start_time=r["start_time"],
            format=r["format"],
            version=r["version"],
            categories=table("categories", "category"),
            libs=table("libs", "lib"),
            symbolicated=r["symbolicated"],
        )
        return Profile(
            meta=meta,
            threads=threads,
            samples=samples,
            markers=[pl.DataFrame(schema=schema.MARKERS) for _ in samples],
            stacks=table("stacks", "stack"),
            frames=frames,
            funcs=table("funcs", "func"),
            native_symbols=pl.DataFrame(schema=schema.NATIVE_SYMBOLS),
            source=f"{self.root}#{profile_id}",
            stack_counts=counts,
        )

    @_reads_files
    def compare(
        self,
        *,
        before: ProfileSet,
        after: ProfileSet,
        thread: str | None = None,
        value: str = "self",
        groups: Mapping[str, Any] | None = None,
        confidence: float = 0.95,
    ) -> pl.DataFrame:
        """Per function: mean share (``value``: ``self`` or ``total``) over the
        ``before`` runs and the ``after`` runs, the change with its confidence interval,
        Welch's t, the p-value and the Benjamini–Hochberg q-value over all functions.

        ``groups`` (as for ``Thread.group_time``: name → prefixes, ``re:`` regexes): one row
        per group (``function`` = the group, its ``other`` included) instead; each profile of
        the two sets is rebuilt from its stored tables (:meth:`profile`), so a group's total
        counts each sample once."""
        if value not in ("self", "total"):
            raise ValueError("value must be 'self' or 'total'")
        if groups:
            return self._compare_groups(before, after, thread, value, dict(groups), confidence)
        sides = []
        counts = {}
        for side, where in (("before", before), ("after", after)):
            weights, per = self._runs(thread, where)
            counts[side] = weights.height
            sides.append(
                per.select(*KEYS, pl.col(f"{value}_pct").alias("share"), side=pl.lit(side))
            )
        runs = pl.concat(sides).collect()
        sums = side_sums(runs, keys=KEYS)
        return compare_from_sums(
            sums, n_before=counts["before"], n_after=counts["after"], confidence=confidence
        )

    def _compare_groups(
        self,
        before: ProfileSet,
        after: ProfileSet,
        thread: str | None,
        value: str,
        groups: dict,
        confidence: float,
    ) -> pl.DataFrame:
        parts, counts = [], {}
        for side, where in (("before", before), ("after", after)):
            chosen, weights = self._chosen(thread, where)
            counts[side] = weights.height
            runs = (
                chosen.join(weights.select("profile_id"), on="profile_id", how="semi")
                .group_by("profile_id", maintain_order=True)
                .agg(pl.col("thread").sort())
            )
            for pid, keys in runs.iter_rows():
                g = self.profile(pid).merged(keys).group_time(groups)
                parts.append(
                    g.select(
                        pl.col("group").alias("function"),
                        pl.lit(None, pl.String).alias("library"),
                        pl.col(f"{value}_pct").alias("share"),
                        side=pl.lit(side),
                    )
                )
        if not parts:
            raise ValueError("a side of the comparison has no profiles with that thread")
        sums = side_sums(pl.concat(parts), keys=KEYS)
        return compare_from_sums(
            sums, n_before=counts["before"], n_after=counts["after"], confidence=confidence
        )


def compare_from_sums(
    sums: pl.DataFrame, *, n_before: int, n_after: int, confidence: float = 0.95
) -> pl.DataFrame:
    """The compare table from per-side sums (``function, library, side, sum, sum_sq``): what
    the polars, DuckDB and Spark paths share after their aggregation."""
    if n_before == 0 or n_after == 0:
        raise ValueError(
            f"a side of the comparison has no profiles (before: {n_before}, after: {n_after})"
        )
    return compare_sums(sums, keys=KEYS, n_before=n_before, n_after=n_after, confidence=confidence)


def open_dataset(path: str | os.PathLike) -> Dataset:
    """Open a dataset folder (a ProfileFormatError when it is not one)."""
    return Dataset(path)
