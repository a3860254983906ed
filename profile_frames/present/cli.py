"""``profile-frames``: the command line. A thin shell over the public API.

Every option maps onto a library call: ``--merge F`` is ``Thread.merge_function(F)``,
``--group NAME=PREFIX`` is ``Thread.group_time({NAME: [PREFIX]})``, and so on.

Example
-------
>>> main(["top", "--example", "-n", "3", "--format", "csv"])  # doctest: +ELLIPSIS
function,library,self,self_pct,total,total_pct...
0
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import polars as pl

from .. import __version__
from ..analysis import transforms as T
from ..analysis.groups import resolve_groups, unmatched_groups
from ..analysis.resolve import as_function_key
from ..errors import ExportError, ProfileFormatError, ProfileKeyError
from ..load import load
from ..model import Profile, Thread
from ..selectors import thread_key
from . import cli_check, cli_dataset
from .outcome import CommandFailed
from .render import FORMATS, json_document, render_as, text_table, tree_text
from .report import hotspot_report, load_groups, load_rules


class UsageError(Exception):
    """A bad option value (reported as one line, exit code 2)."""


def _header_option(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=f"first line: {what} (default: on a terminal)",
    )


def _common(p: argparse.ArgumentParser, *, thread: bool = True, formats: bool = True) -> None:
    p.add_argument("profile", nargs="?", help="profile file (.json, .json.gz, .jslb; - for stdin)")
    p.add_argument(
        "--example", action="store_true", help="use the small profile bundled with the package"
    )
    p.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar (default: on a terminal)",
    )
    p.add_argument(
        "--symbols-from",
        action="append",
        default=[],
        metavar="DIR",
        help="name native functions from the binaries in DIR (and their recorded paths, "
        "/usr/lib/debug); repeatable",
    )
    p.add_argument(
        "--symbol-server",
        metavar="URL",
        help="name native functions through a symbol server (the Firefox Profiler's API, "
        "e.g. samply load's)",
    )
    if thread:
        p.add_argument(
            "-t",
            "--thread",
            action="append",
            help="thread index, name, glob or regex (default: the most samples); repeat to "
            "merge several threads into one",
        )
        g = p.add_argument_group("transforms (applied in this order)")
        g.add_argument("--between", metavar="START:END", help="keep samples in [START, END) ms")
        g.add_argument(
            "--merge",
            action="append",
            default=[],
            metavar="FUNC",
            help="merge a function into its callers (/regex/ allowed)",
        )
        g.add_argument(
            "--drop",
            action="append",
            default=[],
            metavar="FUNC",
            help="drop samples containing a function",
        )
        g.add_argument("--collapse-recursion", action="append", default=[], metavar="FUNC")
        g.add_argument("--collapse-library", action="append", default=[], metavar="LIB")
        g.add_argument(
            "--focus", metavar="FUNC", help="focus on a function (re-rooted at its outermost call)"
        )
        g.add_argument(
            "--merge-call-node",
            action="append",
            default=[],
            metavar="F1>F2>...",
            help="merge one call node (root-first path joined by '>') into its parent",
        )
        g.add_argument(
            "--focus-self",
            metavar="FUNC",
            help="keep only the samples whose leaf is FUNC, rooted at it",
        )
        g.add_argument(
            "--implementation",
            choices=T.IMPLEMENTATIONS,
            default="combined",
            help="the Firefox Profiler's implementation filter, applied after the transforms",
        )
        g.add_argument("--focus-category", metavar="CATEGORY")
        g.add_argument(
            "--includes-function",
            action="append",
            default=[],
            metavar="FUNC",
            help="keep samples whose stack contains FUNC (repeat: any of them)",
        )
        g.add_argument(
            "--includes-prefix",
            metavar="F1>F2>...",
            help="keep samples whose stack starts with this root-first path",
        )
        g.add_argument("--includes-suffix", metavar="FUNC", help="keep samples whose leaf is FUNC")
        g.add_argument(
            "--during-marker",
            metavar="TEXT",
            help="keep samples inside interval markers whose name or payload contains TEXT",
        )
        g.add_argument(
            "--outside-marker",
            metavar="TEXT",
            help="keep samples outside interval markers whose name or payload contains TEXT",
        )
        g.add_argument(
            "--search",
            metavar="TEXT",
            help="the Firefox Profiler's search: keep samples with a function whose name, "
            "library or file contains TEXT (ignoring case; comma-separated terms must all match)",
        )
    if formats:
        p.add_argument("--format", choices=FORMATS, default="table")
        _header_option(p, "the profile and thread analysed")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="profile-frames", description="Analyse Firefox Profiler / samply profiles."
    )
    parser.add_argument("--version", action="version", version=f"profile-frames {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("info", help="the threads table")
    _common(p, thread=False)
    p.add_argument(
        "--sort", choices=("index", "samples", "cpu"), default="index", help="order of the threads"
    )
    p.add_argument("--limit", type=int, default=0, help="show at most N threads (0 = all)")
    p.add_argument("--min-samples", type=int, default=0, help="only threads with N samples or more")
    p = sub.add_parser(
        "top", help="functions (or libraries, namespaces, categories) by self or total"
    )
    _common(p)
    p.add_argument("-n", type=int, default=30, help="rows (default 30; 0 = all)")
    p.add_argument("--sort", choices=("self", "total"), default="self")
    p.add_argument(
        "--by", choices=("function", "library", "namespace", "category"), default="function"
    )
    p.add_argument("--depth", type=int, default=2, help="namespace depth for --by namespace")
    p = sub.add_parser("groups", help="self and total per group of functions")
    _common(p)
    p.add_argument("--group", action="append", default=[], metavar="NAME=PREFIX[,PREFIX...]")
    p.add_argument(
        "--groups-file", metavar="TOML", help='TOML file: [groups] Name = ["Prefix::", "re:regex"]'
    )
    p = sub.add_parser("tree", help="call tree, top-down or --inverted")
    _common(p)
    p.add_argument("--inverted", action="store_true")
    p.add_argument("--depth", type=int, default=None)
    p.add_argument("--min-percent", type=float, default=1.0)
    for name in ("callers", "callees"):
        p = sub.add_parser(name, help=f"direct {name} of a function")
        _common(p)
        p.add_argument("function", help="function name, lib!name, /regex/ or func index")
    p = sub.add_parser(
        "annotate", help="time per source line of a function (its source, when readable)"
    )
    _common(p)
    p.add_argument("function", help="function name, lib!name, /regex/ or func index")
    p.add_argument("--context", type=int, default=2, help="source lines around the sampled ones")
    p = sub.add_parser("diff", help="compare two profiles (or lists of repetitions)")
    p.add_argument("before", nargs="+", help="baseline profile(s); repetitions allowed")
    p.add_argument("--after", nargs="+", required=True, help="changed profile(s)")
    p.add_argument(
        "-t", "--thread", help="thread key used on both sides (default: each side's main thread)"
    )
    p.add_argument("--group", action="append", default=[], metavar="NAME=PREFIX[,PREFIX...]")
    p.add_argument(
        "--durations", metavar="BEFORE_MS:AFTER_MS", help="time per run, to express shares in ms"
    )
    p.add_argument("-n", type=int, default=30)
    p.add_argument(
        "--summary", action="store_true", help="markdown summary of regressions and improvements"
    )
    p.add_argument(
        "--flamegraph",
        metavar="OUT",
        help="also write a differential flame graph (.svg or .html; one profile per side)",
    )
    p.add_argument(
        "--flamegraph-by",
        choices=("self", "total"),
        default="self",
        help="colour boxes by the change of their self (default) or total share",
    )
    p.add_argument(
        "--flamegraph-color",
        choices=("function", "path"),
        default="function",
        help="the change of each function's share, as in the table (default), or of each call path's",
    )
    p.add_argument("--format", choices=FORMATS, default="table")
    _header_option(p, "the threads compared")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None)
    p = sub.add_parser(
        "export", help="write folded stacks, speedscope JSON, pprof profile.proto or Parquet"
    )
    _common(p, formats=False)
    p.add_argument(
        "--all-threads",
        action="store_true",
        help="every thread with samples (default: the thread -t names, or the main thread)",
    )
    p.add_argument("--to", choices=("folded", "speedscope", "pprof", "parquet"), required=True)
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--with-library", action="store_true", help="folded: name functions lib!name")
    p.add_argument(
        "--thread-prefix", action="store_true", help="folded: start each line with the thread name"
    )
    p = sub.add_parser("flamegraph", help="interactive SVG (or .html) flame graph")
    _common(p, formats=False)
    p.add_argument("-o", "--output", required=True)
    p.add_argument(
        "--inverted", action="store_true", help="bottom-up flame instead of a top-down icicle"
    )
    p.add_argument("--min-width", type=float, default=0.001, help="hide boxes under this fraction")
    p.add_argument("--color-by", choices=("library", "category"), default="library")
    p = sub.add_parser("markers", help="markers per name: count and duration statistics")
    _common(p)
    p.add_argument("-n", type=int, default=30, help="rows (default 30; 0 = all)")
    p.add_argument(
        "--name", help="list the durations of the markers called NAME instead (for histograms)"
    )
    p = sub.add_parser("report", help="markdown hot-spot report")
    _common(p)
    p.add_argument("-n", type=int, default=30)
    p.add_argument("--group", action="append", default=[], metavar="NAME=PREFIX[,PREFIX...]")
    p.add_argument("--groups-file", metavar="TOML")
    p.add_argument("--diagnostics", metavar="TOML", help="extra diagnostic rules")
    cli_dataset.add_parsers(sub)
    cli_check.add_parser(sub)
    return parser


def _load(args: argparse.Namespace) -> Profile:
    from .. import example_path

    if args.example:
        source: Any = example_path()
    elif args.profile in (None, ""):
        raise UsageError("give a profile file, or --example for the bundled one")
    elif args.profile == "-":
        source = sys.stdin.buffer
    else:
        source = args.profile
    keys = getattr(args, "thread", None)
    if not keys or getattr(args, "all_threads", False):
        profile = load(source, progress=args.progress)
    else:  # decode only the threads the keys name (the others' sample arrays are skipped)
        profile = load(source, progress=args.progress, threads=[thread_key(k) for k in keys])
    if args.symbols_from or args.symbol_server:
        try:
            profile = profile.symbolicate(search_path=args.symbols_from, server=args.symbol_server)
        except (ConnectionError, ImportError) as e:
            raise UsageError(str(e)) from None
        for found in profile.symbolication.libraries:
            if found.path is None and not found.note.startswith("not found"):
                print(f"profile-frames: symbols: {found.library}: {found.note}", file=sys.stderr)
    return profile


def _function_arg(value: str) -> Any:
    if value.isdigit():
        return int(value)
    return as_function_key(value)


def _path_arg(value: str) -> tuple:
    """A root-first call path written ``F1>F2>...`` (function names may contain commas)."""
    return tuple(_function_arg(f) for f in value.split(">"))


def _pick_thread(profile: Profile, keys: list[str] | str | None) -> Thread:
    """``--thread``: an index (digits), else a name, glob or regex; default the main thread.
    Several keys: one thread merging them (their samples in time order)."""
    if not keys:
        return profile.main_thread()
    if isinstance(keys, str):
        keys = [keys]
    indexes = []
    for key in keys:
        k = thread_key(key)
        if isinstance(k, int) and k < 0 and profile.threads.height == 1:
            indexes.append(int(profile.threads["index"][0]))  # loaded by that key alone
        else:
            indexes.append(profile.thread(k).index)
    indexes = list(dict.fromkeys(indexes))
    return profile.thread(indexes[0]) if len(indexes) == 1 else profile.merged(indexes)


def _thread(profile: Profile, args: argparse.Namespace) -> Thread:
    t = _pick_thread(profile, args.thread)
    steps: list[Any] = []
    if args.between:
        try:
            a, b = (float(x) for x in args.between.split(":"))
        except ValueError:
            raise UsageError(f"--between wants START:END in ms, got {args.between!r}") from None
        steps.append(T.TimeRange(a, b))
    steps += [T.MergeFunction(_function_arg(f)) for f in args.merge]
    steps += [T.DropFunction(_function_arg(f)) for f in args.drop]
    steps += [T.CollapseRecursion(_function_arg(f)) for f in args.collapse_recursion]
    steps += [T.CollapseLibrary(lib) for lib in args.collapse_library]
    steps += [T.MergeCallNode(_path_arg(path)) for path in args.merge_call_node]
    if args.focus_self:
        steps.append(T.FocusSelf(_function_arg(args.focus_self)))
    if args.focus:
        steps.append(T.FocusFunction(_function_arg(args.focus)))
    if args.focus_category:
        steps.append(T.FocusCategory(args.focus_category))
    if args.includes_function:
        steps.append(T.IncludeFunction([_function_arg(f) for f in args.includes_function]))
    if args.includes_prefix:
        steps.append(T.StackPrefix(_path_arg(args.includes_prefix)))
    if args.includes_suffix:
        steps.append(T.StackSuffix(_function_arg(args.includes_suffix)))
    if args.during_marker:
        steps.append(T.DuringMarkers(args.during_marker))
    if args.outside_marker:
        steps.append(T.DuringMarkers(args.outside_marker, outside=True))
    if args.search:
        steps.append(T.KeepStacksWith(args.search))
    return t.transform(*steps).with_implementation(args.implementation)


def _groups(args: argparse.Namespace) -> dict:
    groups: dict = {}
    if getattr(args, "groups_file", None):
        groups.update(load_groups(args.groups_file))
    try:
        groups.update(resolve_groups(args.group))
    except ValueError as e:
        raise UsageError(str(e)) from None
    return groups


def _emit(df: pl.DataFrame, args: argparse.Namespace, **context: Any) -> str:
    header = getattr(args, "header", None)
    if header is None:
        header = args.format == "table" and sys.stdout.isatty()
    head = _header(context) if header and "thread" in context else ""
    return render_as(df, args.format, command=args.command, head=head, **context)


def _header(context: dict) -> str:
    """``PROFILE · thread 1 python3.11 (1,039 samples) · merge malloc``: what was analysed."""
    t = context["thread"]
    text = f"{context.get('profile', '')} · thread {', '.join(map(str, t['indexes']))} {t['name']}"
    text += f" ({t['samples']:,} samples)"
    if t["transforms"]:
        text += " · " + "; ".join(t["transforms"])
    return text


def _context(profile: Profile, thread: Thread | None) -> dict:
    ctx: dict[str, Any] = {"profile": profile.source}
    if thread is not None:
        ctx["thread"] = _thread_fields(thread)
    return ctx


def _thread_fields(thread: Thread) -> dict:
    """The thread a command analysed, for JSON output and the header."""
    return {
        "index": thread.index,
        "indexes": list(thread.merged) or [thread.index],
        "name": thread.name,
        "samples": thread.n_samples,
        "transforms": [str(t) for t in thread.transforms],
    }


def _diff(args: argparse.Namespace) -> str:
    from ..analysis.diff import diff, summary_markdown

    def side(paths: list[str]) -> list[Thread]:
        keys = None if args.thread is None else [thread_key(args.thread)]
        return [
            _pick_thread(load(path, progress=args.progress, threads=keys), args.thread)
            for path in paths
        ]

    durations = None
    if args.durations:
        try:
            a, b = (float(x) for x in args.durations.split(":"))
        except ValueError:
            raise UsageError(
                f"--durations wants BEFORE_MS:AFTER_MS, got {args.durations!r}"
            ) from None
        durations = (a, b)
    before, after = side(args.before), side(args.after)
    d = diff(before, after, groups=_groups(args) or None, durations=durations)
    if args.flamegraph:
        from .flamegraph import diff_flamegraph

        if len(before) != 1 or len(after) != 1:
            raise UsageError("--flamegraph compares one profile per side")
        diff_flamegraph(
            before[0], after[0], by=args.flamegraph_by, color=args.flamegraph_color
        ).save(args.flamegraph)
    names = {
        side: sorted({t.name for t in ts}) for side, ts in (("before", before), ("after", after))
    }
    if names["before"] != names["after"]:
        print(
            f"profile-frames: warning: comparing thread {' / '.join(names['before'])!r} with "
            f"{' / '.join(names['after'])!r}; name one with -t",
            file=sys.stderr,
        )
    compared = (
        f"before: {', '.join(_thread_label(t) for t in before)}; "
        f"after: {', '.join(_thread_label(t) for t in after)}"
    )
    if args.summary:
        return f"_{compared}_\n\n" + summary_markdown(d, top=args.n).rstrip("\n")
    if args.format == "table" and (args.header or (args.header is None and sys.stdout.isatty())):
        return compared + "\n" + text_table(d.head(args.n) if args.n else d)
    return _emit(
        d.head(args.n) if args.n else d,
        args,
        before=args.before,
        after=args.after,
        threads={
            "before": [_thread_fields(t) for t in before],
            "after": [_thread_fields(t) for t in after],
        },
    )


def _info_threads(threads: pl.DataFrame, args: argparse.Namespace) -> pl.DataFrame:
    """``info``'s rows: ``--min-samples``, ``--sort`` (most first), ``--limit``."""
    if args.min_samples:
        threads = threads.filter(pl.col("samples") >= args.min_samples)
    if args.sort != "index":
        col = "samples" if args.sort == "samples" else "cpu_ms"
        threads = threads.sort([col, "index"], descending=[True, False], nulls_last=True)
    return threads.head(args.limit) if args.limit else threads


def _export(profile: Profile, thread: Thread | None, args: argparse.Namespace) -> str:
    from ..export import write_folded
    from ..export.speedscope import write_speedscope

    views = [t for t in profile.all_threads() if t.n_samples] if args.all_threads else [thread]
    if args.to == "folded":
        write_folded(
            views if args.all_threads else thread,
            args.output,
            with_library=args.with_library,
            thread_prefix=args.thread_prefix or args.all_threads,
        )
    elif args.to == "speedscope":
        write_speedscope(profile, args.output, views)
    elif args.to == "pprof":
        from ..export.pprof import write_pprof

        write_pprof(views, args.output)
    else:
        profile.save(args.output)
        return f"wrote {args.output} (every thread)"
    what = f"{len(views)} threads" if args.all_threads else _thread_label(thread)
    return f"wrote {args.output} ({what})"


def _thread_label(thread: Thread) -> str:
    indexes = ", ".join(map(str, thread.merged or [thread.index]))
    return f"thread {indexes} {thread.name}, {thread.n_samples:,} samples"


def run(args: argparse.Namespace) -> str:
    if args.command == "diff":
        return _diff(args)
    if args.command == "check":
        try:
            return cli_check.run(args)
        except ValueError as e:
            raise UsageError(str(e)) from None
    if args.command in ("ingest", "dataset"):
        try:
            return cli_dataset.run(args)
        except (ValueError, FileExistsError) as e:
            raise UsageError(str(e)) from None
    profile = _load(args)
    if args.command == "info":
        from ..symbols import symbol_status

        status = symbol_status(profile)
        if status.unsymbolicated:  # where the addresses are, and how much time they hold
            status = symbol_status(profile, weights=True)
        line = f"native frames: {status.native_frames:,}, unsymbolicated (named by an address): {status.unsymbolicated:,}"
        unsym = (
            status.by_library.filter(pl.col("unsymbolicated_frames") > 0)
            if status.by_library is not None
            else None
        )
        if unsym is not None and unsym.height:
            line += "".join(
                f"\n  {r['library']}: {r['unsymbolicated_frames']:,} of {r['native_frames']:,} frames, "
                f"{r['unsymbolicated_self_pct']:.1f}% of the samples' self weight"
                for r in unsym.head(10).iter_rows(named=True)
            )
        threads = _info_threads(profile.threads, args)
        if args.format == "json":
            return json_document(
                threads,
                command="info",
                **_context(profile, None),
                threads_total=profile.threads.height,
                native_frames=status.native_frames,
                unsymbolicated_frames=status.unsymbolicated,
                unsymbolicated_by_library=unsym.to_dicts() if unsym is not None else [],
            )
        if args.format == "csv":
            return _emit(threads, args)
        shown = threads.height
        more = (
            f"{shown} of {profile.threads.height} threads shown; "
            if shown < profile.threads.height
            else ""
        )
        return _emit(threads, args) + "\n\n" + more + line
    thread = _thread(profile, args)
    ctx = _context(profile, thread)
    if args.command == "top":
        if args.by == "function":
            df = thread.functions().drop("func")
        elif args.by == "library":
            df = thread.by_library()
        elif args.by == "namespace":
            df = thread.by_namespace(args.depth)
        else:
            df = thread.by_category()
        df = df.sort([args.sort, "total" if args.sort == "self" else "self"], descending=True)
        if args.sort == "self":
            df = df.filter(pl.col("self") != 0)
        return _emit(df.head(args.n) if args.n else df, args, **ctx)
    if args.command == "groups":
        groups = _groups(args)
        if not groups:
            raise UsageError("give at least one --group NAME=PREFIX or --groups-file")
        for name in unmatched_groups(thread, groups):
            print(
                f"profile-frames: warning: group {name!r} matches no function of this thread "
                f"({', '.join(map(str, groups[name]))})",
                file=sys.stderr,
            )
        return _emit(thread.group_time(groups), args, **ctx)
    if args.command == "tree":
        tree = thread.call_tree(inverted=args.inverted)
        if args.format in ("table", "markdown"):
            text = tree_text(tree, min_percent=args.min_percent, max_depth=args.depth)
            return f"```\n{text}\n```" if args.format == "markdown" else text
        tree = tree.filter(pl.col("total_pct") >= args.min_percent)
        if args.depth is not None:
            tree = tree.filter(pl.col("depth") <= args.depth)
        return _emit(tree, args, **ctx)
    if args.command in ("callers", "callees"):
        f = _function_arg(args.function)
        df = thread.callers(f) if args.command == "callers" else thread.callees(f)
        return _emit(df.drop("func"), args, **ctx)
    if args.command == "export":
        return _export(profile, thread, args)
    if args.command == "annotate":
        from .annotate import annotate_text

        by_line = thread.lines(_function_arg(args.function))
        if args.format != "table":
            return _emit(by_line, args, **ctx)
        return annotate_text(thread, _function_arg(args.function), by_line, context=args.context)
    if args.command == "flamegraph":
        from .flamegraph import flamegraph

        flamegraph(
            thread, inverted=args.inverted, min_width=args.min_width, color_by=args.color_by
        ).save(args.output)
        return f"wrote {args.output} ({_thread_label(thread)})"
    if args.command == "markers":
        if args.name:
            durations = thread.marker_durations(args.name)
            if not len(durations):
                names = thread.marker_summary()["name"].head(20).to_list()
                raise UsageError(
                    f"no interval markers called {args.name!r}; names: {', '.join(names)}"
                )
            return _emit(durations.to_frame("duration_ms"), args, **ctx)
        df = thread.marker_summary()
        return _emit(df.head(args.n) if args.n else df, args, **ctx)
    if args.command == "report":
        rules = load_rules(args.diagnostics) if args.diagnostics else None
        report = hotspot_report(thread, top=args.n, groups=_groups(args) or None, rules=rules)
        if args.format == "json":
            return json_document(
                thread.self_time().head(args.n), command="report", markdown=str(report), **ctx
            )
        return str(report).rstrip("\n")
    raise UsageError(f"unknown command {args.command!r}")  # pragma: no cover - argparse guards this


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse, letting options sit between positionals (``callers FILE -t 88 FUNC``): argparse
    cannot intermix with subcommands, so the subcommand's own parser reparses its part."""
    args, extra = parser.parse_known_args(argv)
    if not extra:
        return args
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    command = sub.choices.get(args.command)
    if command is None or any(isinstance(a, argparse._SubParsersAction) for a in command._actions):
        return parser.parse_args(argv)  # the usual error message
    rest = argv[argv.index(args.command) + 1 :]
    try:
        parsed = command.parse_intermixed_args(rest)
    except TypeError:  # pragma: no cover - a parser argparse cannot intermix
        return parser.parse_args(argv)
    parsed.command = args.command
    return parsed


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: prints the result; user errors are one line on stderr with exit code 2."""
    parser = build_parser()
    args = _parse(parser, list(sys.argv[1:] if argv is None else argv))
    try:
        out = run(args)
    except CommandFailed as e:
        print(e.output)
        return e.code
    except (ProfileFormatError, ProfileKeyError, ExportError, UsageError, FileNotFoundError) as e:
        msg = str(e).replace("\n  ", "; ").replace("\n", "; ")
        print(f"profile-frames: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    try:
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # e.g. piped into head
        return 0
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
