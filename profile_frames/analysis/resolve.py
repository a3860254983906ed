"""Turn a user's function argument (name, ``lib!name``, regex or func index) into func indexes.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> len(resolve_functions(t, 0)) == 1
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ..errors import ProfileKeyError
from .calltree import name_with_library

if TYPE_CHECKING:
    from ..model import Thread


def resolve_functions(thread: Thread, function: Any) -> np.ndarray:
    """Func indexes for ``function``: an int index, an exact name or ``lib!name`` (all funcs of
    that name), a compiled regex, or a list of those. Raises ProfileKeyError if nothing matches."""
    if isinstance(function, (list, tuple, set, frozenset, np.ndarray)) and not isinstance(
        function, str
    ):
        parts = [resolve_functions(thread, f) for f in function]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    n = thread.funcs.height
    if isinstance(function, (int, np.integer)) and not isinstance(function, bool):
        if not 0 <= int(function) < n:
            raise ProfileKeyError(
                f"func index {function} is out of range (the thread has {n} funcs)"
            )
        return np.array([int(function)])
    names = thread.funcs["name"]
    if isinstance(function, re.Pattern):
        hits = names.str.contains(function.pattern).fill_null(False)
    elif isinstance(function, str):
        hits = (names == function) | (name_with_library(thread.funcs) == function)
        hits = hits.fill_null(False)
    else:
        raise TypeError(
            f"a function must be a name, a regex, an index or a list, not {type(function).__name__}"
        )
    idx = hits.arg_true().to_numpy().astype(np.int64)
    if len(idx) == 0:
        raise ProfileKeyError(
            f"no function matches {_describe(function)} in thread {thread.name!r}{_suggest(names, function)}"
        )
    return idx


def _describe(function: Any) -> str:
    return f"/{function.pattern}/" if isinstance(function, re.Pattern) else repr(function)


def _suggest(names: pl.Series, function: Any) -> str:
    if not isinstance(function, str):
        return ""
    near = (
        names.filter(names.str.contains(re.escape(function[:20]), literal=False).fill_null(False))
        .unique()
        .head(5)
    )
    return ("; similar: " + ", ".join(near.to_list())) if len(near) else ""


def as_function_key(value: str) -> str | re.Pattern:
    """CLI form: ``/regex/`` is a regex, anything else an exact name."""
    if len(value) >= 2 and value.startswith("/") and value.endswith("/"):
        return re.compile(value[1:-1])
    return value


__all__: Sequence[str] = ["resolve_functions", "as_function_key"]
