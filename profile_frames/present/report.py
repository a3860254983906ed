"""The markdown hot-spot report: the seed workflow's "Key metrics" in one call.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).main_thread()
>>> text = str(t_report := hotspot_report(t, top=5))
>>> text.splitlines()[0].startswith("# Hot spots")
True
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from ..analysis.groups import member_mask
from .render import markdown_table

if TYPE_CHECKING:
    from ..model import Thread

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def load_rules(path: str | Path | None = None) -> list[dict]:
    """Diagnostic rules: the bundled ``diagnostics.toml``, plus the rules of ``path``."""
    text = (resources.files("profile_frames") / "data" / "diagnostics.toml").read_text(
        encoding="utf-8"
    )
    rules = list(tomllib.loads(text).get("rule", []))
    if path is not None:
        rules += list(tomllib.loads(Path(path).read_text(encoding="utf-8")).get("rule", []))
    return rules


def load_groups(path: str | Path) -> dict[str, list[str]]:
    """Groups from a TOML file: ``[groups]`` with ``Name = ["Prefix::", "re:regex"]``."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    groups = data.get("groups", data)
    return {k: (v if isinstance(v, list) else [v]) for k, v in groups.items()}


@dataclass
class Finding:
    """One diagnostic that fired: the rule, its share and the functions behind it."""

    name: str
    share_pct: float
    explanation: str
    evidence: list[tuple[str, float]] = field(default_factory=list)


def diagnose(thread: Thread, rules: list[dict] | None = None) -> list[Finding]:
    """Evaluate the rules on a thread; return the findings at or above their thresholds."""
    rules = load_rules() if rules is None else rules
    fn = thread.functions()
    findings = []
    for rule in rules:
        threshold = float(rule.get("threshold_pct", 0))
        if "category" in rule:
            cats = thread.by_category().filter(pl.col("category") == rule["category"])
            share = float(cats["self_pct"].sum()) if cats.height else 0.0
            evidence = [(rule["category"], share)] if share else []
        else:
            hits = fn.filter(
                member_mask(
                    fn["function"],
                    [
                        p if p.startswith("re:") else "re:" + re.escape(p)
                        for p in rule.get("patterns", [])
                    ],
                )
            )
            hits = hits.filter(pl.col("self") > 0)
            share = float(hits["self_pct"].sum())
            evidence = [(r["function"], r["self_pct"]) for r in hits.head(5).iter_rows(named=True)]
        if share >= threshold and share > 0:
            findings.append(
                Finding(rule.get("name", "?"), share, rule.get("explanation", ""), evidence)
            )
    return sorted(findings, key=lambda f: -f.share_pct)


@dataclass
class Report:
    """Markdown text that Jupyter renders; ``str(report)`` is the markdown."""

    markdown: str

    def __str__(self) -> str:
        return self.markdown

    def _repr_markdown_(self) -> str:
        return self.markdown


def hotspot_report(
    thread: Thread,
    *,
    top: int = 30,
    groups: dict[str, Any] | None = None,
    rules: list[dict] | None = None,
) -> Report:
    """The hot-spot summary of a thread as markdown: totals, top functions, groups, diagnostics."""
    meta = thread.meta
    s = thread.samples
    counted = s.filter(pl.col("stack").is_not_null())
    weight = counted["weight"].sum() if counted.height else 0
    duration = (s["time"].max() - s["time"].min()) if s.height else 0.0
    unit = "samples" if thread.weight_type == "samples" else thread.weight_type
    out = [
        f"# Hot spots: {meta.product or 'profile'} — thread `{thread.name}` (#{thread.index})",
        "",
    ]
    if thread.profile.source:
        out.append(
            f"- Profile: `{Path(thread.profile.source).name}` ({meta.format} format v{meta.version}, interval {meta.interval_ms:g} ms)"
        )
    out.append(
        f"- Samples: {s.height:,} rows, weight {weight:,} {unit} ({s.height - counted.height:,} with empty stacks, not counted)"
    )
    if thread.weight_type == "samples":
        out.append(
            f"- Sampled time: {weight * meta.interval_ms:,.1f} ms over a {duration:,.1f} ms span"
        )
    if thread.transforms:
        out.append(f"- Transforms: {', '.join(str(t) for t in thread.transforms)}")
    out += ["", f"## Top {top} functions by self time", ""]
    fn = thread.self_time().head(top)
    table = fn.select(
        pl.int_range(1, fn.height + 1).alias("#"),
        pl.col("function").str.slice(0, 90),
        pl.col("library").fill_null(""),
        pl.col("self").alias(unit),
        pl.col("self_pct").alias("self %"),
        pl.col("total_pct").alias("total %"),
    )
    out.append(markdown_table(table.rename({"self %": "self_pct", "total %": "total_pct"})))
    if groups:
        g = thread.group_time(groups)
        out += [
            "",
            "## Groups",
            "",
            markdown_table(g.select("group", "self", "self_pct", "total", "total_pct")),
        ]
    out += ["", "## Diagnostics", ""]
    findings = diagnose(thread, rules)
    if not findings:
        out.append("No known system hot spot reached its threshold.")
    for f in findings:
        ev = ", ".join(f"`{name}` {pct:.1f}%" for name, pct in f.evidence)
        out.append(
            f"- **{f.name}: {f.share_pct:.1f}%** of self time — {f.explanation}. Evidence: {ev}"
        )
    return Report("\n".join(out) + "\n")
