"""``profile-frames check``: budgets and baselines for CI, as a pass/fail answer with evidence.

A rules file (TOML, ``docs/ci.md``) lists rules; each names a thread (default: the main thread),
a selection of functions (``group``, ``names``, ``prefixes``, ``regex``, ``library``) and limits:

* ``max_self_pct`` / ``max_total_pct``: the selection's share of the thread's weight, the mean
  over the profiles checked;
* ``max_ms``: its total time in ms (samples × interval; profiles weighted in samples);
* ``max_increase_pp``: with baseline profiles, the growth of its share (``measure``: ``self``,
  the default, or ``total``) in points. With two or more runs on each side the rule fails only
  when the increase is above the limit *and* significant: Welch's test of the selection's share
  (:mod:`profile_frames.analysis.stats`), its p-value adjusted over the check's increase rules
  (Benjamini–Hochberg), q < ``alpha`` (default 0.05). So a one-run fluke does not fail the
  build. With one run on a side it is judged on the change. The evidence lists the functions
  that grew most, with their q-values over every function of the thread.

Exit status: 0 when every rule holds, 1 when one fails, 2 when the input is unusable (a profile
that does not load, a rules file with an unknown key or no limit, a thread or group that
matches nothing: never a silent pass).

Example
-------
>>> import profile_frames
>>> rules = [{"group": "alloc", "prefixes": ["PyObject_Malloc", "PyObject_Free"], "max_self_pct": 60}]
>>> report = check([profile_frames.example_path()], rules=rules)
>>> report.exit_code, report.results[0].checks[0]["measured"] < 60
(0, True)
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ..analysis.budgets import SELECTION, Selector, compare_measures, measure
from ..analysis.stats import benjamini_hochberg
from ..errors import ProfileFormatError, ProfileKeyError
from ..export.atomic import atomic_write
from ..load import load
from ..model import Profile, Thread
from ..selectors import thread_key

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

LIMITS = ("max_self_pct", "max_total_pct", "max_ms", "max_increase_pp")
SELECTOR_KEYS = ("names", "prefixes", "regex", "library")
RULE_KEYS = {"name", "thread", "group", "measure", *SELECTOR_KEYS, *LIMITS}
SETTINGS = {"alpha": 0.05}


class RulesError(ValueError):
    """The rules file is unusable: names the file and the rule."""


@dataclass
class Rule:
    """One parsed rule: a name for the report, a thread key, a selector and its limits."""

    name: str
    thread: str | int | None
    selector: Selector
    limits: dict[str, float]
    measure: str = "self"


@dataclass
class RuleResult:
    """A rule's outcome: ``status`` pass/fail/error, one entry per limit in ``checks``
    (limit, measured value, pass), the contributing or growing functions in ``evidence``."""

    rule: Rule
    status: str
    threads: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    evidence: pl.DataFrame | None = None
    message: str = ""


def _as_tuple(v: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(v, str):
        return (v,)
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return tuple(v)
    raise RulesError(f"{where}: {key} must be a string or a list of strings")


def parse_rules(
    doc: Mapping[str, Any] | Sequence[Mapping[str, Any]], source: str = "rules"
) -> tuple[list[Rule], dict]:
    """Rules and settings from a parsed TOML document (or a list of rule tables)."""
    if isinstance(doc, Mapping):
        groups = doc.get("groups", {})
        settings = {**SETTINGS, **doc.get("settings", {})}
        raw = doc.get("rule", [])
        unknown = set(doc) - {"groups", "settings", "rule"}
        if unknown:
            raise RulesError(f"{source}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    else:
        groups, settings, raw = {}, dict(SETTINGS), list(doc)
    if not isinstance(groups, Mapping):
        raise RulesError(f"{source}: [groups] must be a table of name = [patterns]")
    group_patterns = {k: _as_tuple(v, f"{source} [groups]", k) for k, v in groups.items()}
    if not raw:
        raise RulesError(f"{source}: no [[rule]]")
    rules = []
    for i, r in enumerate(raw):
        where = f"{source}: rule {i + 1}" + (
            f" ({r.get('name') or r.get('group')})"
            if isinstance(r, Mapping) and (r.get("name") or r.get("group"))
            else ""
        )
        if not isinstance(r, Mapping):
            raise RulesError(f"{where}: a rule is a table")
        unknown = set(r) - RULE_KEYS
        if unknown:
            raise RulesError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(RULE_KEYS))}"
            )
        limits = {}
        for k in LIMITS:
            if k in r:
                if not isinstance(r[k], (int, float)) or isinstance(r[k], bool):
                    raise RulesError(f"{where}: {k} must be a number")
                limits[k] = float(r[k])
        if not limits:
            raise RulesError(f"{where}: no limit ({', '.join(LIMITS)})")
        group = r.get("group")
        inline = {k: r[k] for k in SELECTOR_KEYS if k in r}
        if group == "other" and not inline:
            if not group_patterns:
                raise RulesError(f"{where}: group 'other' needs a [groups] table")
            selector = Selector(others_of=tuple(group_patterns.values()))
        elif group in group_patterns and not inline:
            selector = Selector(prefixes=group_patterns[group])
        elif inline:
            selector = Selector(
                names=_as_tuple(inline.get("names", []), where, "names"),
                prefixes=_as_tuple(inline.get("prefixes", []), where, "prefixes"),
                regex=inline.get("regex"),
                library=inline.get("library"),
            )
        else:
            raise RulesError(
                f"{where}: group {group!r} is not in [groups]; or give names, prefixes, regex or library"
                if group
                else f"{where}: say which functions: group, names, prefixes, regex or library"
            )
        try:
            selector.check()
        except ValueError as e:
            raise RulesError(f"{where}: {e}") from None
        m = r.get("measure", "self")
        if m not in ("self", "total"):
            raise RulesError(f"{where}: measure must be 'self' or 'total'")
        thread = r.get("thread")
        name = (
            r.get("name")
            or group
            or ", ".join(
                inline.get("names", [])
                or inline.get("prefixes", [])
                or [inline.get("regex") or inline.get("library") or "rule"]
            )
        )
        rules.append(
            Rule(name=str(name), thread=thread, selector=selector, limits=limits, measure=m)
        )
    return rules, settings


def load_rules_file(path: str | os.PathLike) -> tuple[list[Rule], dict]:
    try:
        doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as e:
        raise RulesError(f"{path}: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise RulesError(f"{path}: not valid TOML ({e})") from None
    return parse_rules(doc, str(path))


@dataclass
class CheckReport:
    """Every rule's result; ``exit_code`` 0 (all hold), 1 (a rule failed), 2 (unusable)."""

    results: list[RuleResult]
    profiles: list[str]
    baseline: list[str]
    error: str = ""

    @property
    def exit_code(self) -> int:
        if self.error or any(r.status == "error" for r in self.results):
            return 2
        return 1 if any(r.status == "fail" for r in self.results) else 0

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def summary(self) -> str:
        if self.error:
            return f"check could not run: {self.error}"
        n = len(self.results)
        failed = sum(r.status == "fail" for r in self.results)
        errors = sum(r.status == "error" for r in self.results)
        parts = [f"{n - failed - errors} of {n} rules hold"]
        if failed:
            parts.append(f"{failed} failed")
        if errors:
            parts.append(f"{errors} unusable")
        return ", ".join(parts)

    def table(self) -> pl.DataFrame:
        """One row per rule and limit: rule, thread, limit, measured, status, detail."""
        rows = []
        for r in self.results:
            for c in r.checks or [
                {
                    "limit_name": "",
                    "limit": None,
                    "measured": None,
                    "passed": None,
                    "detail": r.message,
                }
            ]:
                rows.append(
                    {
                        "rule": r.rule.name,
                        "thread": ", ".join(sorted(set(r.threads))),
                        "check": c["limit_name"],
                        "measured": c["measured"],
                        "limit": c["limit"],
                        "status": r.status
                        if c["passed"] is None
                        else ("pass" if c["passed"] else "FAIL"),
                        "detail": c["detail"],
                    }
                )
        schema = {
            "rule": pl.String,
            "thread": pl.String,
            "check": pl.String,
            "measured": pl.Float64,
            "limit": pl.Float64,
            "status": pl.String,
            "detail": pl.String,
        }
        return pl.DataFrame(rows, schema=schema)

    def to_json(self) -> dict:
        return {
            "schema_version": 1,
            "command": "check",
            "exit_code": self.exit_code,
            "summary": self.summary(),
            "profiles": self.profiles,
            "baseline": self.baseline,
            "error": self.error or None,
            "rules": [
                {
                    "name": r.rule.name,
                    "status": r.status,
                    "threads": r.threads,
                    "message": r.message,
                    "checks": r.checks,
                    "evidence": r.evidence.to_dicts() if r.evidence is not None else [],
                }
                for r in self.results
            ],
        }

    def markdown(self) -> str:
        """A CI step summary: the verdict, one table row per check, the failing rules' evidence."""
        icon = {0: "✅", 1: "❌", 2: "⚠️"}[self.exit_code]
        lines = [f"## {icon} profile-frames check: {self.summary()}", ""]
        if self.error:
            return "\n".join(lines + [self.error, ""])
        lines += [
            "| rule | thread | check | measured | limit | result |",
            "|---|---|---|---:|---:|---|",
        ]
        for row in self.table().iter_rows(named=True):
            measured = "" if row["measured"] is None else f"{row['measured']:.2f}"
            limit = "" if row["limit"] is None else f"{row['limit']:g}"
            lines.append(
                f"| {row['rule']} | {row['thread']} | {row['check']} | {measured} | {limit} | {row['status']} |"
            )
        for r in self.results:
            if r.status == "pass":
                continue
            lines += ["", f"### {r.rule.name}: {r.status}", ""]
            lines += [f"- {c['detail']}" for c in r.checks if not c["passed"]] or [f"- {r.message}"]
            if r.evidence is not None and r.evidence.height:
                cols = r.evidence.columns
                lines += ["", "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
                for row in r.evidence.iter_rows():
                    lines.append("| " + " | ".join(_cell(v) for v in row) + " |")
        return "\n".join(lines) + "\n"

    def junit_xml(self) -> str:
        """JUnit XML: one testsuite, one testcase per rule (failure or error with evidence)."""
        import xml.etree.ElementTree as ET

        suite = ET.Element(
            "testsuite",
            name="profile-frames check",
            tests=str(len(self.results)),
            failures=str(sum(r.status == "fail" for r in self.results)),
            errors=str(sum(r.status == "error" for r in self.results) + bool(self.error)),
            skipped="0",
            time="0",
        )
        for r in self.results:
            case = ET.SubElement(
                suite, "testcase", classname="profile-frames.check", name=r.rule.name, time="0"
            )
            text = "\n".join(c["detail"] for c in r.checks) or r.message
            if r.evidence is not None and r.evidence.height:
                text += "\n\n" + r.evidence.write_csv()
            if r.status == "fail":
                msg = "; ".join(c["detail"] for c in r.checks if not c["passed"])
                ET.SubElement(case, "failure", message=msg, type="BudgetExceeded").text = text
            elif r.status == "error":
                ET.SubElement(case, "error", message=r.message, type="UnusableInput").text = text
            else:
                ET.SubElement(case, "system-out").text = text
        if self.error:
            case = ET.SubElement(
                suite, "testcase", classname="profile-frames.check", name="load profiles", time="0"
            )
            ET.SubElement(case, "error", message=self.error, type="UnusableInput")
        root = ET.Element("testsuites", name="profile-frames")
        root.append(suite)
        ET.indent(root)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(root, encoding="unicode")
            + "\n"
        )


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e-3 and v != 0 else f"{v:.2f}"
    return "" if v is None else str(v).replace("|", "\\|")


class _Threads:
    """Thread views by (profile, key), made once: rules on one thread share its call nodes."""

    def __init__(self) -> None:
        self._views: dict[tuple[int, Any], Thread] = {}

    def __call__(self, profile: Profile, key: str | int | None) -> Thread:
        k = (id(profile), key)
        if k not in self._views:
            self._views[k] = (
                profile.main_thread() if key is None else profile.thread(thread_key(key))
            )
        return self._views[k]


def increase_fails(delta: float, q: float | None, limit: float, alpha: float = 0.05) -> bool:
    """The ``max_increase_pp`` verdict: the share grew by more than ``limit`` points and, when
    there is a q-value (two or more runs per side), the change is significant (q < alpha).

    >>> increase_fails(3.1, 0.001, 2), increase_fails(3.1, 0.2, 2), increase_fails(1.5, 0.001, 2)
    (True, False, False)
    """
    return delta > limit and (q is None or q < alpha)


def _evaluate(
    rule: Rule, current: list[Profile], baseline: list[Profile], pick: _Threads
) -> RuleResult:
    """Measure one rule; its budget checks are decided here, its increase in check()."""
    try:
        after = [pick(p, rule.thread) for p in current]
        before = [pick(p, rule.thread) for p in baseline]
    except ProfileKeyError as e:
        return RuleResult(rule, "error", message=str(e).splitlines()[0])
    threads = [f"{t.index} {t.name}" for t in after]
    measures = [measure(t, rule.selector) for t in after]
    baseline_measures = [measure(t, rule.selector) for t in before]
    if not any(m.functions.height for m in measures + baseline_measures):
        return RuleResult(
            rule,
            "error",
            threads,
            message=f"{rule.name}: matches no function of thread {', '.join(sorted(set(threads)))}",
        )
    n = len(measures)
    result = RuleResult(rule, "pass", threads)
    top = (
        pl.concat([m.functions for m in measures])
        .group_by("function", "library")
        .agg(
            (pl.col("self_pct").sum() / n).alias("self_pct"),
            (pl.col("total_pct").sum() / n).alias("total_pct"),
        )
        .sort("self_pct" if any("self" in k for k in rule.limits) else "total_pct", descending=True)
        .head(5)
    )
    result.evidence = top
    runs = f" (mean of {n} profiles)" if n > 1 else ""
    for key, limit in rule.limits.items():
        if key == "max_increase_pp":
            continue
        if key == "max_ms":
            values = [m.total_ms for m in measures]
            if any(v is None for v in values):
                return RuleResult(
                    rule,
                    "error",
                    threads,
                    message=f"{rule.name}: max_ms needs weights in samples; this thread's are {after[0].weight_type}",
                )
            value, unit, what = sum(values) / n, " ms", "total time"
        else:
            attr = key[len("max_") :]
            value, unit, what = (
                sum(getattr(m, attr) for m in measures) / n,
                "%",
                attr.replace("_pct", " share"),
            )
        passed = value <= limit
        verdict = "≤" if passed else ">"
        result.checks.append(
            {
                "limit_name": key,
                "limit": limit,
                "measured": value,
                "passed": passed,
                "detail": f"{what} {value:.2f}{unit} {verdict} {limit:g}{unit}{runs}",
            }
        )
    if "max_increase_pp" in rule.limits:
        limit = rule.limits["max_increase_pp"]
        if not baseline:
            return RuleResult(
                rule,
                "error",
                threads,
                message=f"{rule.name}: max_increase_pp needs --baseline profiles",
            )
        g = compare_measures(baseline_measures, measures, value=rule.measure)
        sel = g.filter(pl.col("function") == SELECTION).row(0, named=True)
        result.checks.append(
            {
                "limit_name": "max_increase_pp",
                "limit": limit,
                "measured": sel["delta"],
                "passed": None,  # judged in check(), once every rule's p-value is known
                "detail": "",
                "mean_before": sel["mean_before"],
                "mean_after": sel["mean_after"],
                "ci_low": sel["ci_low"],
                "ci_high": sel["ci_high"],
                "p_value": sel["p_value"],
                "runs": (len(before), len(after)),
                "measure": rule.measure,
            }
        )
        grown = g.filter(pl.col("function") != SELECTION).filter(pl.col("delta") > 0).head(5)
        result.evidence = grown.select(
            "function",
            "library",
            "mean_before",
            "mean_after",
            "delta",
            "ci_low",
            "ci_high",
            "q_value",
        )
    return result


def _judge_increases(results: list[RuleResult], alpha: float) -> None:
    """Decide the ``max_increase_pp`` checks: each rule's p-value is adjusted over the rules
    of this check (Benjamini–Hochberg), then :func:`increase_fails`; then every rule's status."""
    pending = [c for r in results for c in r.checks if c["limit_name"] == "max_increase_pp"]
    ps = np.array([np.nan if c["p_value"] is None else c["p_value"] for c in pending], dtype=float)
    for c, q in zip(pending, benjamini_hochberg(ps)):
        q = None if np.isnan(q) else float(q)
        c["q_value"] = q
        c["passed"] = not increase_fails(c["measured"], q, c["limit"], alpha)
        nb, na = c["runs"]
        change = f"{c['measure']} share {c['mean_before']:.2f}% → {c['mean_after']:.2f}%: {c['measured']:+.2f} points"
        if q is None:
            how = "one run on a side: no interval, judged on the change"
        else:
            how = f"95% interval {c['ci_low']:+.2f} to {c['ci_high']:+.2f}, q = {q:.3g}; {nb} vs {na} runs"
        c["detail"] = f"{change} ({how}); limit +{c['limit']:g}"
    for r in results:
        if r.status == "pass" and any(not c["passed"] for c in r.checks):
            r.status = "fail"


def check(
    profiles: Sequence[str | os.PathLike],
    *,
    rules: str | os.PathLike | Sequence[Mapping[str, Any]] | Mapping[str, Any],
    baseline: Sequence[str | os.PathLike] = (),
    progress: bool | None = None,
) -> CheckReport:
    """Judge ``profiles`` (runs of the change) against ``rules`` (a TOML path, a parsed
    document or a list of rule tables), with ``baseline`` runs for ``max_increase_pp``."""
    if isinstance(rules, (str, os.PathLike)):
        parsed, settings = load_rules_file(rules)
    else:
        parsed, settings = parse_rules(rules)
    names = [os.fspath(p) for p in profiles]
    base = [os.fspath(p) for p in baseline]
    if not names:
        raise RulesError("no profiles to check")
    try:
        current = [load(p, progress=progress) for p in names]
        before = [load(p, progress=progress) for p in base]
    except (ProfileFormatError, OSError) as e:
        return CheckReport([], names, base, error=str(e))
    pick = _Threads()
    results = [_evaluate(r, current, before, pick) for r in parsed]
    _judge_increases(results, float(settings.get("alpha", 0.05)))
    return CheckReport(results, names, base)


def write_outputs(
    report: CheckReport, *, markdown: str | None = None, junit: str | None = None
) -> None:
    """Write the markdown summary and the JUnit file (each atomically) when asked."""
    for path, text in ((markdown, report.markdown), (junit, report.junit_xml)):
        if path:
            with atomic_write(path) as f:
                f.write(text().encode())


def as_json(report: CheckReport) -> str:
    return json.dumps(report.to_json(), indent=2, default=str)
