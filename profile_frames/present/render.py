"""Render result DataFrames as text tables, markdown, CSV or JSON, and call trees as text.

Example
-------
>>> import polars as pl
>>> print(markdown_table(pl.DataFrame({"function": ["a|b"], "self": [3]})))
| function | self |
|---|---|
| a\\|b | 3 |
"""

from __future__ import annotations

import html
import io
import json
import sys
from typing import Any

import polars as pl

PCT_COLS = ("self_pct", "total_pct")
FORMATS = ("table", "markdown", "csv", "json")  # the CLI's --format


def is_pct_column(col: str) -> bool:
    """A share column: ``self_pct``, ``total_pct_before``, ``delta_self_pct``, ``mean_self_pct``."""
    return col.endswith("_pct") or "_pct_" in col


def _cell(v: Any, col: str) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        if is_pct_column(col):
            return f"{v:.1f}%"
        if col.endswith("_ms") or "_ms_" in col:
            return f"{v:,.1f}"
        if v.is_integer() and abs(v) < 1e15:  # a weight held as a float (a dataset's sums)
            return f"{int(v):,}" if col in ("self", "total") else f"{v:g}"
        return f"{v:g}"
    return str(v)


def text_table(df: pl.DataFrame, *, pretty: bool | None = None) -> str:
    """An aligned plain-text table (or a rich table when ``pretty`` and rich is installed)."""
    if pretty is None:
        pretty = sys.stdout.isatty()
    if pretty:
        try:
            from rich.console import Console
            from rich.table import Table
        except ImportError:
            pretty = False
    if pretty:
        table = Table(show_header=True, header_style="bold")
        for c in df.columns:
            table.add_column(c, justify="right" if df.schema[c].is_numeric() else "left")
        for row in df.iter_rows():
            table.add_row(*(_cell(v, c) for v, c in zip(row, df.columns)))
        buf = io.StringIO()
        Console(file=buf, force_terminal=True, width=200).print(table)
        return buf.getvalue().rstrip("\n")
    cells = [[_cell(v, c) for v, c in zip(row, df.columns)] for row in df.iter_rows()]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(df.columns)]
    numeric = [df.schema[c].is_numeric() for c in df.columns]

    def line(vals: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if n else v.ljust(w) for v, w, n in zip(vals, widths, numeric)
        ).rstrip()

    return "\n".join(
        [line(list(df.columns)), line(["-" * w for w in widths])] + [line(r) for r in cells]
    )


def markdown_table(df: pl.DataFrame) -> str:
    """A GitHub-flavoured markdown table."""
    head = "| " + " | ".join(df.columns) + " |"
    sep = "|" + "---|" * len(df.columns)
    rows = [
        "| " + " | ".join(_cell(v, c).replace("|", "\\|") for v, c in zip(r, df.columns)) + " |"
        for r in df.iter_rows()
    ]
    return "\n".join([head, sep, *rows])


def csv_text(df: pl.DataFrame) -> str:
    return df.write_csv()


def render_as(df: pl.DataFrame, fmt: str, *, command: str, head: str = "", **context: Any) -> str:
    """``df`` in one of :data:`FORMATS`; ``context`` goes into the JSON document, ``head`` (a
    line saying what was analysed) above a table or markdown."""
    if fmt == "csv":
        return csv_text(df).rstrip("\n")
    if fmt == "json":
        return json_document(df, command=command, **context)
    if fmt == "markdown":
        return (f"**{head}**\n\n" if head else "") + markdown_table(df)
    return (head + "\n" if head else "") + text_table(df)


def json_document(df: pl.DataFrame, **context: Any) -> str:
    """``{"schema_version": 1, <context>, "columns": [...], "rows": [{...}, ...]}``."""
    doc = {"schema_version": 1, **context, "columns": df.columns, "rows": df.to_dicts()}
    return json.dumps(doc, indent=2, default=str)


def tree_text(
    tree: pl.DataFrame, *, min_percent: float = 0.0, max_depth: int | None = None, width: int = 120
) -> str:
    """Indented call tree: ``total% self%  name [library]`` per node, heaviest first.

    Nodes under ``min_percent`` of the total, or deeper than ``max_depth``, are left out with
    their subtrees.
    """
    t = tree.filter(pl.col("total_pct") >= min_percent)
    if max_depth is not None:
        t = t.filter(pl.col("depth") <= max_depth)
    # a row whose parent was cut is cut too (DFS order: parents come first)
    kept: set[int] = set()
    lines = ["total%  self%  function"]
    for r in t.iter_rows(named=True):
        if r["parent"] is not None and r["parent"] not in kept:
            continue
        kept.add(r["node"])
        lib = r["library"] or ""
        if lib:  # "[kernel.kallsyms]" is already bracketed
            lib = f"  {lib}" if lib.startswith("[") and lib.endswith("]") else f"  [{lib}]"
        text = (
            f"{r['total_pct']:6.1f} {r['self_pct']:6.1f}  {'  ' * r['depth']}{r['function']}{lib}"
        )
        lines.append(text if len(text) <= width else text[: width - 1] + "…")
    return "\n".join(lines)


def html_table(df: pl.DataFrame) -> str:
    """An HTML table with the text table's formatting (shares as ``29.6%``, ms with thousands
    separators), numbers right-aligned."""
    numeric = [df.schema[c].is_numeric() for c in df.columns]
    head = "".join(
        f'<th style="text-align:{"right" if n else "left"}">{html.escape(c)}</th>'
        for c, n in zip(df.columns, numeric)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:{"right" if n else "left"}">{html.escape(_cell(v, c))}</td>'
            for v, c, n in zip(row, df.columns, numeric)
        )
        + "</tr>"
        for row in df.iter_rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Table:
    """A result table for reading: ``profile_frames.table(df)`` shows ``rows`` rows (not
    polars' 10) with shares as percentages, in a notebook (HTML) or a console (text). The
    DataFrame is ``.df``.

    >>> t = Table(pl.DataFrame({"function": ["f"], "self_pct": [29.641585]}))
    >>> print(repr(t))
    function  self_pct
    --------  --------
    f            29.6%
    """

    def __init__(self, df: pl.DataFrame, rows: int = 30) -> None:
        self.df = df
        self.rows = rows

    def _shown(self) -> pl.DataFrame:
        return self.df.head(self.rows) if self.rows else self.df

    def _more(self) -> str:
        hidden = self.df.height - self._shown().height
        return f"… {hidden:,} more rows of {self.df.height:,}" if hidden > 0 else ""

    def __repr__(self) -> str:
        more = self._more()
        return text_table(self._shown(), pretty=False) + (f"\n{more}" if more else "")

    def _repr_html_(self) -> str:
        more = self._more()
        return html_table(self._shown()) + (f"<p>{html.escape(more)}</p>" if more else "")
