"""Interactive flame graphs as self-contained SVG (renders inline in Jupyter).

``Thread.flamegraph()`` lays out the call tree: icicle (top-down, roots at the top) or flame
(bottom-up tree drawn upwards). Box widths are proportional to total weight; boxes narrower
than ``min_width`` (a fraction of the whole) are left out with their subtrees. Colours come from
the library (or the category). Hover shows name, weight and %; click zooms into a box (click the
root bar to zoom out); the search box highlights matching functions and shows their share.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> fg = flamegraph(t)
>>> fg.svg.startswith("<svg") and "PyEval" in fg.svg
True
"""

from __future__ import annotations

import hashlib
import html
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ..export.atomic import atomic_write

if TYPE_CHECKING:
    from ..model import Profile, Thread

ROW = 17
WIDTH = 1200
PALETTES = {
    "warm": [(205, 80, 40), (230, 140, 50), (220, 180, 60), (200, 110, 70), (240, 160, 90)],
    "cool": [(60, 120, 200), (80, 160, 210), (70, 140, 170), (100, 130, 220), (50, 170, 190)],
}

_SCRIPT = """
<script type="text/ecmascript"><![CDATA[
(function(){
  var svg = document.currentScript ? document.currentScript.ownerSVGElement || document.currentScript.parentNode : null;
  var root = svg || document.querySelector('svg.pf-flame');
  var W = +root.getAttribute('data-width'), frames = root.querySelectorAll('g.f');
  function layout(zx, zw) {
    for (var i = 0; i < frames.length; i++) {
      var g = frames[i], x = +g.getAttribute('data-x'), w = +g.getAttribute('data-w');
      var r = g.querySelector('rect'), t = g.querySelector('text');
      var nx = (x - zx) / zw * W, nw = w / zw * W;
      var visible = x + w > zx && x < zx + zw && nw > 0.5;
      g.style.display = visible ? '' : 'none';
      r.setAttribute('x', nx); r.setAttribute('width', Math.max(nw - 0.5, 0.1));
      t.setAttribute('x', nx + 3);
      var label = g.getAttribute('data-name'), fit = Math.floor((nw - 6) / 7);
      t.textContent = fit < 3 ? '' : (label.length > fit ? label.slice(0, fit - 1) + '\\u2026' : label);
    }
  }
  root.addEventListener('click', function(e) {
    var g = e.target.closest ? e.target.closest('g.f') : null;
    if (!g) return;
    if (g.getAttribute('data-root') === '1') layout(0, 1); else layout(+g.getAttribute('data-x'), +g.getAttribute('data-w'));
  });
  var box = root.querySelector('#pf-search'), info = root.querySelector('#pf-matched');
  if (box) box.addEventListener('input', function() {
    var q = box.value, total = 0, seen = [];
    for (var i = 0; i < frames.length; i++) {
      var g = frames[i], hit = q && g.getAttribute('data-name').indexOf(q) >= 0;
      g.querySelector('rect').setAttribute('fill', hit ? 'rgb(230,0,230)' : g.getAttribute('data-fill'));
      if (hit) {  // count a box unless an enclosing match was counted
        var x = +g.getAttribute('data-x'), w = +g.getAttribute('data-w'), inside = false;
        for (var j = 0; j < seen.length; j++) if (x >= seen[j][0] && x + w <= seen[j][1] + 1e-12) inside = true;
        if (!inside) { seen.push([x, x + w]); total += w; }
      }
    }
    info.textContent = q ? ('matched ' + (total * 100).toFixed(1) + '%') : '';
  });
  layout(0, 1);
})();
]]></script>
"""


def _color(key: str, palette: str) -> str:
    pal = PALETTES[palette]
    h = int(hashlib.md5(key.encode()).hexdigest()[:8], 16)
    r, g, b = pal[h % len(pal)]
    jitter = (h >> 8) % 30 - 15
    return f"rgb({max(0, min(255, r + jitter))},{max(0, min(255, g + jitter))},{max(0, min(255, b + jitter))})"


@dataclass
class FlameGraph:
    """An SVG flame graph: ``save(path)`` writes it; Jupyter displays it inline."""

    svg: str

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str | os.PathLike) -> None:
        """Write the SVG (or an HTML page wrapping it, for ``.html``) atomically."""
        text = self.svg
        if os.fspath(path).endswith(".html"):
            text = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>flame graph</title></head><body style='margin:0'>{self.svg}</body></html>"
        with atomic_write(path) as f:
            f.write(text.encode("utf-8"))


def flamegraph(
    thread: Thread,
    *,
    inverted: bool = False,
    min_width: float = 0.001,
    color_by: str = "library",
    title: str | None = None,
    tree: pl.DataFrame | None = None,
    colors: dict[int, str] | None = None,
    notes: dict[int, str] | None = None,
) -> FlameGraph:
    """Lay out ``thread.call_tree(inverted=…)`` (or ``tree``) as an interactive SVG.

    ``inverted=False`` draws an icicle (roots at the top); ``inverted=True`` draws the bottom-up
    tree as a flame, roots at the bottom. ``colors`` may give a fill per tree node and ``notes``
    an extra tooltip line per node (diff graphs use both).
    """
    if tree is None:
        tree = thread.call_tree(inverted=inverted)
    total = float(tree.filter(pl.col("parent").is_null())["total"].sum()) or 1.0
    rows = tree.rows(named=True)
    x = {}
    next_x: dict[int | None, float] = {}
    boxes = []
    for r in rows:  # DFS order, heaviest child first: parents come before children
        if r["parent"] is not None and r["parent"] not in x:
            continue
        w = r["total"] / total
        if w < min_width:
            continue
        start = next_x.get(r["parent"], 0.0)  # the next free position inside the parent
        x[r["node"]] = start
        next_x[r["parent"]] = start + w
        next_x[r["node"]] = start
        boxes.append((r, start, w))
    depth = max((r["depth"] for r, _, _ in boxes), default=0) + 2
    height = (depth + 2) * ROW + 30
    cats = thread.meta.categories["name"].to_list()
    kind = "bottom-up" if inverted else "top-down"
    heading = title or f"{thread.name}: {kind}, {total:g} {thread.weight_type}"
    out = [
        f'<svg class="pf-flame" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" data-width="{WIDTH}" font-family="Verdana, sans-serif" font-size="11">',
        f'<rect width="{WIDTH}" height="{height}" fill="#fafafa"/>',
        f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="14">{html.escape(heading)}</text>',
        f'<foreignObject x="{WIDTH - 330}" y="2" width="320" height="24"><input xmlns="http://www.w3.org/1999/xhtml" id="pf-search" placeholder="search" style="width:200px"/><span xmlns="http://www.w3.org/1999/xhtml" id="pf-matched" style="margin-left:6px"></span></foreignObject>',
    ]
    # the whole-profile bar (click to zoom out)
    all_y = (height - 2 * ROW) if inverted else 24
    out.append(
        f'<g class="f" data-root="1" data-x="0" data-w="1" data-name="all" data-fill="rgb(200,200,200)"><title>all ({total:g} {thread.weight_type}, 100%)</title>'
        f'<rect x="0" y="{all_y}" width="{WIDTH}" height="{ROW - 1}" fill="rgb(200,200,200)"/><text x="3" y="{all_y + 12}">all</text></g>'
    )
    for r, start, w in boxes:
        level = r["depth"] + 1
        y = (height - 2 * ROW - level * ROW) if inverted else 24 + level * ROW
        if colors and r["node"] in colors:
            fill = colors[r["node"]]
        elif color_by == "category" and "category" in r:
            fill = _color(cats[r["category"]] if r["category"] is not None else "", "cool")
        else:
            fill = _color(r["library"] or r["function"] or "", "warm")
        name = r["function"] or "?"
        label = f"{name} [{r['library']}]" if r["library"] else name
        tip = html.escape(
            f"{label}\n{r['total']:g} {thread.weight_type} ({r['total'] * 100 / total:.2f}%), self {r['self']:g}"
            + (f"\n{notes[r['node']]}" if notes and r["node"] in notes else "")
        )
        out.append(
            f'<g class="f" data-x="{start:.9f}" data-w="{w:.9f}" data-name="{html.escape(name, quote=True)}" data-fill="{fill}"><title>{tip}</title>'
            f'<rect x="{start * WIDTH:.2f}" y="{y}" width="{max(w * WIDTH - 0.5, 0.1):.2f}" height="{ROW - 1}" fill="{fill}" rx="1"/>'
            f'<text x="{start * WIDTH + 3:.2f}" y="{y + 12}"></text></g>'
        )
    out.append(_SCRIPT)
    out.append("</svg>")
    return FlameGraph("\n".join(out))


def _diff_color(delta: float, scale: float) -> str:
    """Grey for no change, towards red for growth and blue for shrinkage. Changes below 1/1000
    of a percentage point are rounding noise and stay grey."""
    delta = delta if abs(delta) >= 1e-3 else 0.0
    i = min(abs(delta) / scale, 1.0) if scale > 0 else 0.0
    if delta > 0:
        return f"rgb({230 + round(25 * i)},{230 - round(190 * i)},{230 - round(190 * i)})"
    if delta < 0:
        return f"rgb({230 - round(190 * i)},{230 - round(150 * i)},{230 + round(25 * i)})"
    return "rgb(230,230,230)"


def diff_flamegraph(
    before: Thread | Profile,
    after: Thread | Profile,
    *,
    thread: str | int | None = None,
    by: str = "self",
    inverted: bool = False,
    min_width: float = 0.001,
    title: str | None = None,
) -> FlameGraph:
    """A differential flame graph: ``after``'s call tree, each box coloured by how the share of
    its call path changed since ``before``: red for growth, blue for shrinkage, grey for none.

    ``by="self"`` (the default, as in Brendan Gregg's differential flame graphs) colours by the
    change of the path's self share; ``by="total"`` by the change of its total share, so the
    callers of a grown function turn red too. Colour intensity is relative to the largest
    change drawn; the tooltip gives both shares and the change in percentage points. A Profile
    side means its thread ``thread`` (default the main thread).

    Example
    -------
    >>> import profile_frames
    >>> t = profile_frames.load(profile_frames.example_path()).thread(1)
    >>> "rgb(230,230,230)" in diff_flamegraph(t, t).svg  # no change anywhere: all grey
    True
    """
    from ..analysis.diff import _one, _path_keys, diff_tree

    (before,), (after,) = _one(before, thread), _one(after, thread)
    if by not in ("self", "total"):
        raise ValueError(f"by must be 'self' or 'total', got {by!r}")
    tree = after.call_tree(inverted=inverted)
    d = diff_tree(before, after, inverted=inverted)
    b, a = f"{by}_pct_before", f"{by}_pct_after"
    keyed = _path_keys(tree).select("node", "path", "total").join(d, on="path", how="left")
    keyed = keyed.with_columns(pl.col(b, a).fill_null(0.0)).with_columns(
        delta=pl.col(a) - pl.col(b)
    )
    whole = float(tree.filter(pl.col("parent").is_null())["total"].sum()) or 1.0
    drawn = keyed.filter(pl.col("total") / whole >= min_width)
    scale = float(drawn["delta"].abs().max() or 0.0)
    colors, notes = {}, {}
    for node, pb, pa, delta in drawn.select("node", b, a, "delta").iter_rows():
        colors[node] = _diff_color(delta, scale)
        notes[node] = f"{by} {pb:.2f}% → {pa:.2f}% ({delta:+.2f} pp)"
    heading = title or (
        f"{after.name}: {by} share after vs before (red grew, blue shrank; max {scale:.2f} pp)"
    )
    return flamegraph(
        after,
        inverted=inverted,
        min_width=min_width,
        title=heading,
        tree=tree,
        colors=colors,
        notes=notes,
    )
