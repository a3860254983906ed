"""Errors raised by profile_frames.

Every problem with an input file surfaces as :class:`ProfileFormatError`, which names the file,
what was expected, and where (a JSON path and/or a byte offset).

Example
-------
>>> try:
...     raise ProfileFormatError("expected an array", source="p.json", path="threads[0].samples.stack")
... except ValueError as e:
...     print(e)
p.json: threads[0].samples.stack: expected an array
"""

from __future__ import annotations


class ProfileFormatError(ValueError):
    """The input is not a readable Firefox Profiler / Gecko profile.

    Attributes name the ``source`` (file name or ``"<bytes>"``), the JSON ``path`` and the byte
    ``offset`` (in the decompressed JSON) where known.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        path: str | None = None,
        offset: int | None = None,
    ) -> None:
        self.message = message
        self.source = source
        self.path = path
        self.offset = offset
        super().__init__(self._render())

    def _render(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.path:
            where.append(self.path)
        if self.offset is not None:
            where.append(f"byte {self.offset}")
        return ": ".join([*where, self.message]) if where else self.message

    def located(self, *, source: str | None = None) -> ProfileFormatError:
        """Return this error with the source filled in (if it was missing)."""
        if self.source or not source:
            return self
        return ProfileFormatError(self.message, source=source, path=self.path, offset=self.offset)


class ProfileKeyError(KeyError):
    """A thread or function key matched nothing, or matched more than one candidate."""

    def __str__(self) -> str:  # KeyError quotes its message; show it plainly
        return str(self.args[0]) if self.args else ""


class ExportError(ValueError):
    """A loaded profile holds values the chosen export format cannot represent (a weight
    beyond pprof's 64-bit integers, say); nothing is written.

    >>> str(ExportError("weight 1e+30 does not fit pprof's int64"))
    "weight 1e+30 does not fit pprof's int64"
    """
