"""Match user keys (index, exact name, glob or regex) against thread and function names.

Example
-------
>>> names = ["GeckoMain", "Renderer", "DOM Worker", "DOM Worker"]
>>> match_names(names, "Renderer"), match_names(names, "DOM*"), match_names(names, 0)
([1], [2, 3], [0])
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Sequence

GLOB_CHARS = set("*?[")


def thread_key(text: str | int) -> int | str:
    """A thread key as typed (``-t 3``, a TOML ``thread = "3"``): digits are an index.

    >>> thread_key("3"), thread_key("-1"), thread_key("Renderer")
    (3, -1, 'Renderer')
    """
    if isinstance(text, str) and text.lstrip("-").isdigit():
        return int(text)
    return text


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


def no_match_message(
    key: object,
    names: Sequence[str | None],
    *,
    lines: Sequence[str] | None = None,
    by_samples: Sequence[int] | None = None,
    limit: int = 12,
) -> str:
    """ "No thread matches KEY", with "did you mean" names close to it and at most ``limit``
    threads listed (``lines[i]`` describes thread ``i``; ``by_samples``: the threads in order of
    samples, most first, when known), never the whole list of a 500-thread recording.

    >>> print(no_match_message("Rendrer", ["GeckoMain", "Renderer", "DOM Worker"]))
    no thread matches 'Rendrer'; did you mean 'Renderer'? threads:
        0  GeckoMain
        1  Renderer
        2  DOM Worker
    """
    text = f"no thread matches {key!r}"
    unique = sorted({n for n in names if n})
    if isinstance(key, str):
        close = difflib.get_close_matches(key, unique, n=3, cutoff=0.6)
        if not close:  # part of a name: "render" for "RenderThread"
            close = [n for n in unique if key.lower() in n.lower()][:3]
        if close:
            text += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    order = list(by_samples) if by_samples is not None else list(range(len(names)))
    lines = lines if lines is not None else [f"  {i:>3}  {n}" for i, n in enumerate(names)]
    listing = [lines[i] for i in order[:limit]]
    if len(order) > limit:
        listing.append(f"  … and {len(order) - limit} more (profile-frames info lists them)")
        heading = (
            f"the {limit} threads with the most samples"
            if by_samples is not None
            else f"the first {limit} threads"
        )
    else:
        heading = "threads"
    sep = " " if text.endswith("?") else "; "
    return f"{text}{sep}{heading}:\n" + "\n".join(listing)
