"""Match user keys (index, exact name, glob or regex) against thread and function names.

Example
-------
>>> names = ["GeckoMain", "Renderer", "DOM Worker", "DOM Worker"]
>>> match_names(names, "Renderer"), match_names(names, "DOM*"), match_names(names, 0)
([1], [2, 3], [0])
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

GLOB_CHARS = set("*?[")


def match_names(names: Sequence[str | None], key: int | str | re.Pattern) -> list[int]:
    """Positions matched by ``key``: an int is a position, a compiled pattern is searched,
    a string is an exact name, else a glob (if it has ``*?[``), else a regex search."""
    if isinstance(key, bool):
        raise TypeError("a key must be an int, a str or a compiled regex")
    if isinstance(key, int):
        return [key] if -len(names) <= key < len(names) else []
    if isinstance(key, re.Pattern):
        return [i for i, n in enumerate(names) if n is not None and key.search(n)]
    if not isinstance(key, str):
        raise TypeError(
            f"a key must be an int, a str or a compiled regex, not {type(key).__name__}"
        )
    exact = [i for i, n in enumerate(names) if n == key]
    if exact:
        return exact
    if GLOB_CHARS & set(key):
        hits = [i for i, n in enumerate(names) if n is not None and fnmatch.fnmatchcase(n, key)]
        if hits:
            return hits
    try:
        pattern = re.compile(key)
    except re.error:
        return []
    return [i for i, n in enumerate(names) if n is not None and pattern.search(n)]


def name_may_match(name: str | None, key: int | str | re.Pattern, index: int) -> bool:
    """Whether a single thread (position ``index``, name possibly unknown yet) may match ``key``.

    A negative position counts from the end, which is unknown while the threads stream by, so
    every thread may be the one.

    >>> name_may_match("x", 2, 2), name_may_match("x", 2, 3), name_may_match("x", -1, 0)
    (True, False, True)
    """
    if isinstance(key, int) and not isinstance(key, bool):
        return key == index or key < 0
    if name is None:
        return True
    return bool(match_names([name], key))
