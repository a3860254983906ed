"""``profile-frames annotate``: a function's source with each line's self and total share,
like ``perf annotate`` and the Firefox Profiler's source view.

Example
-------
>>> import polars as pl
>>> by_line = pl.DataFrame({"line": [2], "self": [3], "total": [4], "self_pct": [30.0], "total_pct": [40.0]})
>>> print(source_lines(["a = 1", "b = 2", "c = 3"], by_line, context=0))
 self%  total%  line
  30.0    40.0     2  b = 2
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from .render import text_table

if TYPE_CHECKING:
    from ..model import Thread


def source_lines(text: list[str], by_line: pl.DataFrame, *, context: int = 2) -> str:
    """The sampled lines of ``text`` (1-based numbers) and ``context`` lines around them."""
    counts = {r["line"]: r for r in by_line.drop_nulls("line").iter_rows(named=True)}
    if not counts:
        return ""
    lo = max(min(counts) - context, 1)
    hi = min(max(counts) + context, len(text))
    out = [" self%  total%  line"]
    for n in range(lo, hi + 1):
        r = counts.get(n)
        shares = f"{r['self_pct']:6.1f}  {r['total_pct']:6.1f}" if r else " " * 14
        out.append(f"{shares}  {n:4d}  {text[n - 1]}")
    return "\n".join(out)


def annotate_text(thread: Thread, function: Any, by_line: pl.DataFrame, *, context: int = 2) -> str:
    """The function's source file with shares when it is readable; else the lines table."""
    from ..analysis.resolve import resolve_functions

    funcs = resolve_functions(thread, function)
    files = thread.funcs["file"].gather(funcs).drop_nulls().unique().to_list()
    head = (
        f"{thread.funcs['name'][int(funcs[0])]} ({', '.join(files) or 'no source file recorded'})"
    )
    for file in files:
        path = Path(file)
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            shown = source_lines(text, by_line, context=context)
            if shown:
                return f"{head}\n{shown}"
    return f"{head}: source not readable here\n{text_table(by_line, pretty=False)}"
