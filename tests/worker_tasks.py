"""A task function for the worker-pool test: echoes, dies, or raises, as the task says."""

from __future__ import annotations

import os


def echo_exit_or_raise(task: str) -> str:
    if task == "exit":
        os._exit(3)
    if task == "raise":
        raise ValueError("asked to raise")
    return task
