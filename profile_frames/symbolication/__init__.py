"""Names and lines for native code: symbolicate from local binaries or a symbol server.

Example
-------
>>> from profile_frames.symbolication import symbolicate
>>> callable(symbolicate)
True
"""

from .apply import SymbolicationReport, symbolicate

__all__ = ["SymbolicationReport", "symbolicate"]
