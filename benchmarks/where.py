"""Where the time of a load (and of ``functions()`` over every thread) goes: a pyinstrument
profile of one fresh run, as text. Needs the ``bench`` extra.

Usage: ``python -m benchmarks.where benchmarks/data/profile-300mb-samply-import.json``
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    from pyinstrument import Profiler

    import profile_frames

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("profile")
    ap.add_argument("--interval", type=float, default=0.005, help="sampling interval, s")
    ap.add_argument("--functions", action="store_true", help="also profile.functions()")
    args = ap.parse_args(argv)
    with Profiler(interval=args.interval) as prof:
        p = profile_frames.load(args.profile, progress=False)
    print(prof.output_text(unicode=False, color=False))
    if args.functions:
        with Profiler(interval=args.interval) as prof:
            p.functions()
        print(prof.output_text(unicode=False, color=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
