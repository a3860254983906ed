"""The Firefox Profiler's search strings: a comma-separated list of terms.

Example
-------
>>> search_terms("Paint, ,GC ")
['Paint', 'GC']
"""

from __future__ import annotations


def search_terms(text: str) -> list[str]:
    """The Firefox Profiler's search terms: split on commas, trimmed, empty ones dropped.

    >>> search_terms(" Foo, ,bar ")
    ['Foo', 'bar']
    """
    return [part.strip() for part in text.split(",") if part.strip()]
