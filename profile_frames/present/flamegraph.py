"""Interactive flame graphs: SVG files, HTML pages, and inline in Jupyter, VS Code and nbconvert.

``Thread.flamegraph()`` lays out the call tree: icicle (top-down, roots at the top) or flame
(bottom-up tree drawn upwards). Box widths are proportional to total weight. Boxes narrower than
``min_width`` (a fraction of the whole) are not drawn one by one: the narrow children of a box
are summed into one grey "… N smaller" box, so every level adds up to its parent. Colours come
from the library (or the category): a distinct hue per library, the heaviest first, with a
legend.

The labels are in the SVG itself, so the graph reads even where scripts do not run (a notebook
that is not trusted, an ``<img>``). Where they run: hover a box for its name, weight and share;
click to zoom into it, with a breadcrumb back up; type in the search box to highlight matching
functions and see the share of samples they cover; the graph takes the width of its container
and follows it. ``#pf-search=TEXT`` or ``#pf-zoom=NAME`` in the page's URL start it searched or
zoomed.

Example
-------
>>> import profile_frames
>>> t = profile_frames.load(profile_frames.example_path()).thread(1)
>>> fg = flamegraph(t)
>>> fg.svg.startswith("<svg") and ">PyEval_EvalFrameDefault<" in fg.svg
True
>>> repr(fg)
'<FlameGraph python3.11: top-down, 1,039 samples, 570 boxes>'
"""

from __future__ import annotations

import colorsys
import hashlib
import html
import itertools
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from ..export.atomic import atomic_write

if TYPE_CHECKING:
    from ..model import Profile, Thread

ROW = 17
WIDTH = 1200
CHAR_PX = 6.6  # the average advance of an 11 px Verdana glyph: labels are cut to fit
# distinct hues for the heaviest libraries (then categories), lightened for dark text
HUES = [
    (232, 133, 73),
    (93, 156, 214),
    (117, 189, 104),
    (225, 110, 120),
    (176, 140, 207),
    (233, 196, 85),
    (91, 192, 190),
    (206, 140, 96),
    (160, 170, 90),
    (220, 140, 190),
]
FIREFOX_COLORS = {  # the Firefox Profiler's category colour names
    "transparent": (235, 235, 235),
    "grey": (200, 200, 200),
    "purple": (185, 140, 230),
    "green": (120, 200, 110),
    "orange": (240, 160, 80),
    "yellow": (240, 215, 90),
    "lightblue": (130, 190, 240),
    "blue": (90, 140, 230),
    "brown": (190, 140, 100),
    "magenta": (230, 110, 200),
    "red": (235, 100, 100),
    "lightgreen": (170, 225, 150),
    "darkgray": (150, 150, 150),
}
MORE_FILL = "rgb(214,214,214)"
MAX_HIDDEN = 200_000  # hidden boxes the search still counts (beyond: only the drawn ones)
_SERIAL = itertools.count(1)
ALL_FILL = "rgb(200,200,200)"

_SCRIPT = """
(function(){
  var root = document.getElementById('%(uid)s'); if (!root) return;
  var svg = root.tagName.toLowerCase() === 'svg' ? root : root.querySelector('svg');
  var H = +svg.getAttribute('data-height'), CH = %(char)s;
  var frames = svg.querySelectorAll('g.f'), W = +svg.getAttribute('data-width');
  var box = root.querySelector('.pf-search'), info = root.querySelector('.pf-matched');
  var crumbs = root.querySelector('.pf-crumbs'), zx = 0, zw = 1, zoomed = null;
  var hiddenEl = svg.querySelector('desc.pf-hidden'), hidden = hiddenEl ? JSON.parse(hiddenEl.textContent) : null;
  function label(g, nw) {
    var name = g.getAttribute('data-name'), fit = Math.floor((nw - 6) / CH);
    return fit < 3 ? '' : (name.length > fit ? name.slice(0, fit - 1) + '\\u2026' : name);
  }
  function layout() {
    for (var i = 0; i < frames.length; i++) {
      var g = frames[i], x = +g.getAttribute('data-x'), w = +g.getAttribute('data-w');
      var r = g.querySelector('rect'), t = g.querySelector('text');
      var nx = (x - zx) / zw * W, nw = w / zw * W;
      var visible = g.getAttribute('data-root') === '1' || (x + w > zx + 1e-12 && x < zx + zw - 1e-12 && nw > 0.3);
      g.style.display = visible ? '' : 'none';
      if (g.getAttribute('data-root') === '1') { nx = 0; nw = W; }
      r.setAttribute('x', nx); r.setAttribute('width', Math.max(nw - 0.5, 0.1));
      t.setAttribute('x', nx + 3); t.textContent = label(g, nw);
    }
    var bg = svg.querySelector('rect.pf-bg'); if (bg) bg.setAttribute('width', W);
    var title = svg.querySelector('text.pf-title'); if (title) title.setAttribute('x', W / 2);
    svg.setAttribute('width', W); svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  }
  function path(g) {  // the boxes from the root down to g
    var out = [], id = g ? g.getAttribute('data-node') : null;
    while (id) {
      var p = svg.querySelector('g.f[data-node="' + id + '"]');
      if (!p || p.getAttribute('data-root') === '1') break;
      out.unshift(p); id = p.getAttribute('data-parent');
    }
    return out;
  }
  function zoom(g) {
    zoomed = g && g.getAttribute('data-root') !== '1' ? g : null;
    zx = zoomed ? +zoomed.getAttribute('data-x') : 0; zw = zoomed ? +zoomed.getAttribute('data-w') : 1;
    if (crumbs) {
      crumbs.textContent = '';
      var items = [null].concat(path(zoomed));
      items.forEach(function(p, i) {
        var a = document.createElement('a'); a.href = '#';
        a.textContent = p ? p.getAttribute('data-name') : 'all';
        a.onclick = function(e) { e.preventDefault(); zoom(p); };
        if (i) crumbs.appendChild(document.createTextNode(' \\u203a '));
        crumbs.appendChild(a);
      });
    }
    layout();
  }
  function search(q) {
    var total = 0, seen = [];
    for (var i = 0; i < frames.length; i++) {
      var g = frames[i], hit = q && g.getAttribute('data-name').toLowerCase().indexOf(q.toLowerCase()) >= 0;
      g.querySelector('rect').setAttribute('fill', hit ? 'rgb(230,0,230)' : g.getAttribute('data-fill'));
      if (hit && g.getAttribute('data-more') !== '1') {  // a box inside a counted match adds nothing
        var x = +g.getAttribute('data-x'), w = +g.getAttribute('data-w'), inside = false;
        for (var j = 0; j < seen.length; j++) if (x >= seen[j][0] - 1e-12 && x + w <= seen[j][1] + 1e-12) inside = true;
        if (!inside) { seen.push([x, x + w]); total += w; }
      }
    }
    if (q && hidden) {  // the boxes too narrow to draw: a match counts unless something above matched
      var lq = q.toLowerCase(), under = [];
      for (var k = 0; k < hidden.nodes.length; k++) {
        var h = hidden.nodes[k], above;
        if (h[0] >= 0) above = under[h[0]];
        else {
          var a = svg.querySelector('g.f[data-node="' + h[1] + '"]'), ax = a ? +a.getAttribute('data-x') : 0, aw = a ? +a.getAttribute('data-w') : 1;
          above = false;
          for (var j = 0; j < seen.length; j++) if (ax >= seen[j][0] - 1e-12 && ax + aw <= seen[j][1] + 1e-12) above = true;
        }
        var hit2 = hidden.names[h[2]].toLowerCase().indexOf(lq) >= 0;
        if (hit2 && !above) total += h[3];
        under[k] = above || hit2;
      }
    }
    if (info) info.textContent = q ? ('matched ' + (total * 100).toFixed(1) + '%%') : '';
  }
  svg.addEventListener('click', function(e) {
    var g = e.target.closest ? e.target.closest('g.f') : null;
    if (g && g.getAttribute('data-more') !== '1') zoom(g);
  });
  if (box) box.addEventListener('input', function() { search(box.value); });
  function fit() {
    var w = Math.floor(root.clientWidth || W);
    if (w > 100 && Math.abs(w - W) > 1) { W = w; layout(); }
  }
  if (root.tagName.toLowerCase() !== 'svg') {
    fit();
    if (window.ResizeObserver) new ResizeObserver(fit).observe(root);
    else window.addEventListener('resize', fit);
  }
  var hash = decodeURIComponent((location.hash || '').slice(1));
  var m = /pf-search=([^&]*)/.exec(hash);
  if (m) { if (box) box.value = m[1]; search(m[1]); }
  m = /pf-zoom=([^&]*)/.exec(hash);
  if (m) { for (var i = 0; i < frames.length; i++) if (frames[i].getAttribute('data-name') === m[1]) { zoom(frames[i]); break; } }
  else zoom(null);
  root.setAttribute('data-ready', '1');
})();
"""


def _rgb(c: tuple[int, int, int]) -> str:
    return f"rgb({c[0]},{c[1]},{c[2]})"


def _shade(base: tuple[int, int, int], key: str) -> str:
    """A variation of ``base`` per function (lightness ±8 %), stable across runs."""
    h = int(hashlib.md5(key.encode()).hexdigest()[:8], 16)
    hue, light, sat = colorsys.rgb_to_hls(*(v / 255 for v in base))
    light = min(max(light + ((h % 17) - 8) / 100, 0.35), 0.85)
    r, g, b = colorsys.hls_to_rgb(hue, light, sat)
    return _rgb((round(r * 255), round(g * 255), round(b * 255)))


def _number(v: float) -> str:
    """``1,192,720`` for counts, ``1,234.5`` for fractional weights."""
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"


def _label(name: str, width_px: float) -> str:
    fit = int((width_px - 6) // CHAR_PX)
    if fit < 3:
        return ""
    return name if len(name) <= fit else name[: fit - 1] + "…"


@dataclass
class Box:
    node: int | str
    parent: int | str | None
    level: int
    x: float
    w: float
    name: str
    fill: str
    tip: str
    more: bool = False


@dataclass
class FlameGraph:
    """A flame graph. In Jupyter it displays as interactive HTML (``_repr_html_``);
    ``save("out.svg")`` writes a standalone SVG, ``save("out.html")`` a page; ``svg`` is the
    standalone SVG's text."""

    svg: str
    html: str
    summary: str

    def __repr__(self) -> str:
        return f"<FlameGraph {self.summary}>"

    def _repr_html_(self) -> str:
        return self.html

    def save(self, path: str | os.PathLike) -> None:
        """Write the SVG, or for ``.html`` a page holding the interactive graph, atomically."""
        text = self.svg
        if os.fspath(path).endswith(".html"):
            text = (
                "<!DOCTYPE html><html><head><meta charset='utf-8'><title>flame graph</title>"
                "</head><body style='margin:0'>" + self.html + "</body></html>"
            )
        with atomic_write(path) as f:
            f.write(text.encode("utf-8"))


def _layout(tree: pl.DataFrame, total: float, min_width: float) -> tuple[list[dict], dict, list]:
    """The boxes to draw (DFS order) with their x; per drawn parent the hidden children's
    count, weight and x; and the hidden nodes (parent among them or -1, the drawn box above,
    name, width) that the search counts too."""
    x: dict = {}
    next_x: dict = {}
    drawn = []
    hidden: dict = {}
    unseen: dict = {}  # node -> (its index in the hidden list, the drawn box above it)
    hidden_nodes: list[tuple[int, object, str, float]] = []
    for r in tree.iter_rows(named=True):  # DFS order, heaviest child first
        w = r["total"] / total
        if r["parent"] is not None and r["parent"] not in x:
            up = unseen.get(r["parent"])
            if up is not None and len(hidden_nodes) < MAX_HIDDEN:
                unseen[r["node"]] = (len(hidden_nodes), up[1])
                hidden_nodes.append((up[0], up[1], r["function"] or "?", w))
            continue
        if w < min_width:
            n, s = hidden.get(r["parent"], (0, 0.0))
            hidden[r["parent"]] = (n + 1, s + r["total"])
            if len(hidden_nodes) < MAX_HIDDEN:
                anchor = "all" if r["parent"] is None else r["parent"]
                unseen[r["node"]] = (len(hidden_nodes), anchor)
                hidden_nodes.append((-1, anchor, r["function"] or "?", w))
            continue
        start = next_x.get(r["parent"], 0.0)
        x[r["node"]] = start
        next_x[r["parent"]] = start + w
        next_x[r["node"]] = start
        drawn.append({**r, "x": start, "w": w})
    for parent, (n, weight) in hidden.items():
        hidden[parent] = (n, weight, next_x.get(parent, 0.0))
    return drawn, hidden, hidden_nodes


def _palette(keys_by_weight: list[str]) -> dict[str, tuple[int, int, int]]:
    return {k: HUES[i % len(HUES)] for i, k in enumerate(keys_by_weight)}


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
    legend: list[tuple[str, str]] | None = None,
) -> FlameGraph:
    """Lay out ``thread.call_tree(inverted=…)`` (or ``tree``) as an interactive flame graph.

    ``inverted=False`` draws an icicle (roots at the top); ``inverted=True`` draws the bottom-up
    tree as a flame, roots at the bottom. ``colors`` may give a fill per tree node, ``notes`` an
    extra tooltip line per node and ``legend`` (label, fill) pairs (diff graphs use all three).
    """
    if color_by not in ("library", "category"):
        raise ValueError(f"color_by must be 'library' or 'category', got {color_by!r}")
    if tree is None:
        tree = thread.call_tree(inverted=inverted)
    total = float(tree.filter(pl.col("parent").is_null())["total"].sum()) or 1.0
    drawn, hidden, hidden_nodes = _layout(tree, total, min_width)
    cats = thread.meta.categories
    if color_by == "library":
        weights = (
            tree.filter(pl.col("library").is_not_null())
            .group_by("library")
            .agg(pl.col("self").sum())
        )
        libs = weights.sort(["self", "library"], descending=[True, False])["library"].to_list()
        hue = _palette(libs)
        legend = legend or [(lib, _rgb(hue[lib])) for lib in libs[:8]]
    else:
        names, named = (
            cats["name"].to_list(),
            cats["color"].to_list() if "color" in cats.columns else [],
        )
        hue = {
            n: FIREFOX_COLORS.get(c, HUES[i % len(HUES)])
            for i, (n, c) in enumerate(itertools.zip_longest(names, named, fillvalue=""))
        }
        used = tree.group_by("category").agg(pl.col("self").sum()).sort("self", descending=True)
        legend = (
            legend
            or [
                (names[c], _rgb(hue[names[c]]))
                for c in used["category"].to_list()
                if c is not None and c < len(names)
            ][:8]
        )
    boxes = []
    for r in drawn:
        name = r["function"] or "?"
        if colors and r["node"] in colors:
            fill = colors[r["node"]]
        elif (
            color_by == "category" and r.get("category") is not None and r["category"] < cats.height
        ):
            fill = _shade(hue[cats["name"][r["category"]]], name)
        elif r["library"]:
            fill = _shade(hue.get(r["library"], HUES[-1]), name)
        else:
            fill = _shade((190, 190, 170), name)
        lib = f" [{r['library']}]" if r["library"] else ""
        tip = (
            f"{name}{lib}\n{_number(r['total'])} {thread.weight_type} "
            f"({r['total'] * 100 / total:.2f}%), self {_number(r['self'])}"
        )
        if notes and r["node"] in notes:
            tip += f"\n{notes[r['node']]}"
        boxes.append(Box(r["node"], r["parent"], r["depth"] + 1, r["x"], r["w"], name, fill, tip))
    levels = {b.node: b.level for b in boxes}
    for parent, (n, weight, start) in hidden.items():
        w = weight / total
        if w * WIDTH < 0.3 or (parent is not None and parent not in levels):
            continue
        level = levels.get(parent, 0) + 1
        tip = f"{n} smaller boxes, each under {min_width:.2%} of the whole: {_number(weight)} {thread.weight_type} ({w:.2%})"
        boxes.append(
            Box(
                f"more-{parent}",
                parent,
                level,
                start,
                w,
                f"… {n} smaller",
                MORE_FILL,
                tip,
                more=True,
            )
        )
    kind = "bottom-up" if inverted else "top-down"
    heading = title or f"{thread.name}: {kind}, {_number(total)} {thread.weight_type}"
    summary = f"{thread.name}: {kind}, {_number(total)} {thread.weight_type}, {sum(not b.more for b in boxes)} boxes"
    depth = max((b.level for b in boxes), default=0) + 1
    height = (depth + 2) * ROW + 30
    body = _svg_body(boxes, total, thread.weight_type, heading, height, inverted)
    body += _hidden_json(hidden_nodes)
    # one id per graph shown: the same graph twice in a notebook gets two
    uid = f"pf-fg-{hashlib.md5(body.encode()).hexdigest()[:8]}-{next(_SERIAL)}"
    svg = _standalone_svg(uid, body, height)
    page = _html(uid, body, height, legend or [])
    return FlameGraph(svg=svg, html=page, summary=summary)


def _svg_body(
    boxes: list[Box], total: float, unit: str, heading: str, height: int, inverted: bool
) -> str:
    out = [
        f'<rect class="pf-bg" width="{WIDTH}" height="{height}" fill="#fafafa"/>',
        f'<text class="pf-title" x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="14">{html.escape(heading)}</text>',
    ]
    all_y = (height - 2 * ROW) if inverted else 24
    out.append(
        f'<g class="f" data-root="1" data-node="all" data-x="0" data-w="1" data-name="all" data-fill="{ALL_FILL}">'
        f"<title>all ({_number(total)} {unit}, 100%)</title>"
        f'<rect x="0" y="{all_y}" width="{WIDTH}" height="{ROW - 1}" fill="{ALL_FILL}"/><text x="3" y="{all_y + 12}">all</text></g>'
    )
    for b in boxes:
        y = (height - 2 * ROW - b.level * ROW) if inverted else 24 + b.level * ROW
        parent = "all" if b.parent is None else b.parent
        cls = "f more" if b.more else "f"
        extra = ' data-more="1"' if b.more else ""
        out.append(
            f'<g class="{cls}" data-node="{b.node}" data-parent="{parent}" data-x="{b.x:.9f}" data-w="{b.w:.9f}" '
            f'data-name="{html.escape(b.name, quote=True)}" data-fill="{b.fill}"{extra}><title>{html.escape(b.tip)}</title>'
            f'<rect x="{b.x * WIDTH:.2f}" y="{y}" width="{max(b.w * WIDTH - 0.5, 0.1):.2f}" height="{ROW - 1}" fill="{b.fill}" rx="1"/>'
            f'<text x="{b.x * WIDTH + 3:.2f}" y="{y + 12}">{html.escape(_label(b.name, b.w * WIDTH))}</text></g>'
        )
    return "\n".join(out)


def _hidden_json(nodes: list[tuple[int, object, str, float]]) -> str:
    """The boxes too narrow to draw, for the search: names (deduplicated) and, per node, its
    parent among them (-1: a drawn box's child), that drawn box, its name and its width."""
    if not nodes:
        return ""
    names: dict[str, int] = {}
    rows = [
        [p, str(anchor), names.setdefault(n, len(names)), round(w, 9)] for p, anchor, n, w in nodes
    ]
    doc = json.dumps({"names": list(names), "nodes": rows}, separators=(",", ":"))
    return f'\n<desc class="pf-hidden">{html.escape(doc, quote=False)}</desc>'


def _standalone_svg(uid: str, body: str, height: int) -> str:
    """The SVG file: the graph, a search box and the script (for a browser opening the file)."""
    script = _SCRIPT % {"uid": uid, "char": CHAR_PX}
    return "\n".join(
        [
            f'<svg id="{uid}" class="pf-flame" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" data-width="{WIDTH}" data-height="{height}" font-family="Verdana, sans-serif" font-size="11">',
            body,
            f'<foreignObject x="{WIDTH - 330}" y="2" width="320" height="24"><input xmlns="http://www.w3.org/1999/xhtml" class="pf-search" placeholder="search" style="width:200px"/>'
            '<span xmlns="http://www.w3.org/1999/xhtml" class="pf-matched" style="margin-left:6px"></span></foreignObject>',
            f'<script type="text/ecmascript"><![CDATA[{script}]]></script>',
            "</svg>",
        ]
    )


def _html(uid: str, body: str, height: int, legend: list[tuple[str, str]]) -> str:
    """The notebook / page form: a toolbar (search, breadcrumb), a legend, the SVG scaled to
    the container's width (so it reads without scripts), and the script."""
    keys = "".join(
        f'<span style="display:inline-block;margin-right:10px"><span style="display:inline-block;width:10px;height:10px;'
        f'background:{fill};margin-right:3px;vertical-align:middle"></span>{html.escape(name)}</span>'
        for name, fill in legend
    )
    script = _SCRIPT % {"uid": uid, "char": CHAR_PX}
    return (
        f'<div id="{uid}" class="pf-flame-html" style="font-family:Verdana,sans-serif;font-size:11px;max-width:100%">'
        '<div style="display:flex;gap:8px;align-items:center;margin:2px 0">'
        '<input class="pf-search" placeholder="search functions" style="width:220px;font-size:11px"/>'
        '<span class="pf-matched"></span><span class="pf-crumbs" style="margin-left:auto"></span></div>'
        f'<div class="pf-legend" style="margin:2px 0 4px 0">{keys}</div>'
        f'<svg class="pf-flame" xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {WIDTH} {height}" '
        f'preserveAspectRatio="xMinYMin meet" data-width="{WIDTH}" data-height="{height}" '
        f'font-family="Verdana, sans-serif" font-size="11" style="display:block">{body}</svg>'
        f"<script>{script}</script></div>"
    )


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
    color: str = "function",
    inverted: bool = False,
    min_width: float = 0.001,
    title: str | None = None,
) -> FlameGraph:
    """A differential flame graph: ``after``'s call tree, coloured by how shares changed since
    ``before``: red for growth, blue for shrinkage, grey for none. The title says which change.

    ``color="function"`` (default) colours every box of a function by the change of that
    function's share, the number ``diff()`` shows (``delta_self_pct``), so graph and table
    agree; ``color="path"`` colours each box by the change of its own call path's share (Brendan
    Gregg's differential flame graphs), which tells where in the tree it changed. ``by="self"``
    (default) or ``"total"`` picks the share. Colour intensity is relative to the largest change
    drawn; the tooltip gives both. A Profile side means its thread ``thread`` (default the main
    thread).

    Example
    -------
    >>> import profile_frames
    >>> t = profile_frames.load(profile_frames.example_path()).thread(1)
    >>> "rgb(230,230,230)" in diff_flamegraph(t, t).svg  # no change anywhere: all grey
    True
    """
    from ..analysis.diff import _one, _path_keys, diff, diff_tree

    (before,), (after,) = _one(before, thread), _one(after, thread)
    if by not in ("self", "total"):
        raise ValueError(f"by must be 'self' or 'total', got {by!r}")
    if color not in ("function", "path"):
        raise ValueError(f"color must be 'function' or 'path', got {color!r}")
    tree = after.call_tree(inverted=inverted)
    b, a = f"{by}_pct_before", f"{by}_pct_after"
    if color == "path":
        d = diff_tree(before, after, inverted=inverted)
        keyed = _path_keys(tree).select("node", "path", "total").join(d, on="path", how="left")
    else:
        d = diff(before, after).select("function", "library", b, a)
        keyed = tree.select("node", "function", "library", "total").join(
            d, on=["function", "library"], how="left", nulls_equal=True
        )
    keyed = keyed.with_columns(pl.col(b, a).fill_null(0.0)).with_columns(
        delta=pl.col(a) - pl.col(b)
    )
    whole = float(tree.filter(pl.col("parent").is_null())["total"].sum()) or 1.0
    drawn = keyed.filter(pl.col("total") / whole >= min_width)
    scale = float(drawn["delta"].abs().max() or 0.0)
    what = "function's" if color == "function" else "call path's"
    colors, notes = {}, {}
    for node, pb, pa, delta in drawn.select("node", b, a, "delta").iter_rows():
        colors[node] = _diff_color(delta, scale)
        notes[node] = f"this {what} {by} share {pb:.2f}% → {pa:.2f}% ({delta:+.2f} pp)"
    heading = title or (
        f"{after.name}: colour = change of each {what} {by} share "
        + ("(as in the diff table)" if color == "function" else "(where in the tree it changed)")
        + f"; red grew, blue shrank, max {scale:.2f} pp"
    )
    legend = [
        (f"grew {scale:.2f} pp", _diff_color(scale, scale)),
        ("no change", _diff_color(0, scale)),
        (f"shrank {scale:.2f} pp", _diff_color(-scale, scale)),
    ]
    return flamegraph(
        after,
        inverted=inverted,
        min_width=min_width,
        title=heading,
        tree=tree,
        colors=colors,
        notes=notes,
        legend=legend,
    )
