"""How a command ends when it has output but is not a success (a failed check, a partly failed
ingest): the CLI prints ``output`` and exits with ``code``.

Example
-------
>>> e = CommandFailed("1 of 2 rules hold", code=1)
>>> e.output, e.code
('1 of 2 rules hold', 1)
"""

from __future__ import annotations


class CommandFailed(Exception):
    """Print ``output`` on stdout, exit with ``code`` (1: a check failed; 2: unusable input)."""

    def __init__(self, output: str, code: int = 2) -> None:
        super().__init__(output)
        self.output = output
        self.code = code
