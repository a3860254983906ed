"""A small pool of worker processes that run one function on JSON tasks.

Workers are ``python -c …workers.main… MODULE:FUNCTION`` subprocesses reading one
JSON task per line on stdin and answering one JSON line on stdout. Unlike ``multiprocessing``'s
spawn, nothing re-imports the caller's ``__main__``, so a script without an
``if __name__ == "__main__"`` guard, a notebook and the CLI all work the same; each worker gets
one polars thread (``jobs`` processes share the cores). A worker that dies (killed, out of
memory) answers its task with an error and is replaced.

Example
-------
>>> _function("json:dumps")([1, 2])  # what a worker runs for ``run_tasks("json:dumps", …)``
'[1, 2]'
"""

from __future__ import annotations

import importlib
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any


def _function(spec: str) -> Callable[[Any], Any]:
    module, name = spec.split(":")
    return getattr(importlib.import_module(module), name)


_WORKER = (
    "import sys; from profile_frames.dataset.workers import main; sys.exit(main(sys.argv[1:]))"
)


def _start(spec: str) -> subprocess.Popen:
    env = dict(os.environ, POLARS_MAX_THREADS="1")
    return subprocess.Popen(
        [sys.executable, "-c", _WORKER, spec],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
        bufsize=1,
    )


def run_tasks(spec: str, tasks: list[Any], *, jobs: int) -> Iterator[Any]:
    """Run ``MODULE:FUNCTION`` on every task in ``jobs`` workers; yield the answers as they come
    (in order when ``jobs`` is 1). A task whose worker dies or raises yields
    ``{"task": task, "error": message}``."""
    todo: queue.Queue = queue.Queue()
    for i, t in enumerate(tasks):
        todo.put((i, t))
    done: queue.Queue = queue.Queue()

    def serve() -> None:
        proc = _start(spec)
        try:
            while True:
                try:
                    i, task = todo.get_nowait()
                except queue.Empty:
                    return
                line = ""
                try:
                    proc.stdin.write(json.dumps(task) + "\n")
                    proc.stdin.flush()
                    line = proc.stdout.readline()
                except (BrokenPipeError, OSError):
                    pass
                if line:
                    done.put(json.loads(line))
                else:  # the worker died on this task: report it, start another
                    code = proc.wait()
                    done.put({"task": task, "error": f"worker exited with status {code}"})
                    proc = _start(spec)
        finally:
            proc.stdin.close()
            proc.wait()

    threads = [
        threading.Thread(target=serve, daemon=True) for _ in range(max(1, min(jobs, len(tasks))))
    ]
    for t in threads:
        t.start()
    for _ in tasks:
        yield done.get()
    for t in threads:
        t.join()


def main(argv: list[str]) -> int:
    """The worker loop: one JSON task per stdin line, one JSON answer per stdout line."""
    fn = _function(argv[0])
    for line in sys.stdin:
        task = json.loads(line)
        try:
            answer = fn(task)
        except Exception as e:  # a bug, not bad input: report it with the task and go on
            answer = {"task": task, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0
