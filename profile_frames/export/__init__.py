"""Exports to formats other tools read. Every writer writes a temporary file and renames it."""

from .atomic import atomic_write
from .folded import folded_lines, write_folded

__all__ = ["atomic_write", "folded_lines", "write_folded"]
