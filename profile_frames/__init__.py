"""profile_frames: Firefox Profiler / samply profiles as polars DataFrames.

Example
-------
>>> import profile_frames
>>> profile = profile_frames.load(profile_frames.example_path())
>>> thread = profile.main_thread()
>>> thread.self_time().columns[:3]
['function', 'library', 'self']
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .allocator import retain_freed_memory, skip_numpy_huge_pages
from .analysis.diff import diff, diff_tree
from .comparison import comparison_profile
from .dataset import ingest, open_dataset
from .errors import ExportError, ProfileFormatError, ProfileKeyError
from .load import NewerVersionWarning, load
from .model import Meta, Profile, Thread
from .present.check import check
from .present.flamegraph import diff_flamegraph
from .present.render import Table

__version__ = "0.1.0"

retain_freed_memory()  # see profile_frames/allocator.py
skip_numpy_huge_pages()

__all__ = [
    "ExportError",
    "Meta",
    "NewerVersionWarning",
    "Profile",
    "ProfileFormatError",
    "ProfileKeyError",
    "Thread",
    "check",
    "comparison_profile",
    "diff",
    "diff_flamegraph",
    "diff_tree",
    "example_path",
    "ingest",
    "load",
    "open_dataset",
    "table",
]


def table(df, rows: int = 30) -> Table:
    """Show a result table for reading: ``rows`` rows, shares as percentages (a notebook shows
    HTML, a console text). ``profile_frames.table(thread.self_time())``."""
    return Table(df, rows)


def example_path() -> Path:
    """Path of the small samply recording bundled with the package (CPython workload, 4 threads)."""
    return Path(str(resources.files("profile_frames") / "data" / "example-samply-python.json.gz"))
