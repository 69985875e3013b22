"""`--format html`: one self-contained page (no scripts, no external fonts, styles or images).

Pure: values in, one string out. The page is built from the same report values
(report.Report's tables) and JSON dicts the other formats print, so its numbers
agree with theirs by construction: every number cell shows the humanised text
the markdown shows and carries the exact value (`data-value`, as the JSON writes
it; counts also in `title`, with thousands separators). HTML shows the tables
markdown shows. Every text from the user (names, stage labels, notation) is
escaped.

The graph is an inline SVG: a box per layer, top to bottom by the longest path
from the input, a branch beside the branch it leaves (see :func:`layout`), one
edge per input a layer reads; an edge that passes layers of its own column (a
residual shortcut) bows out to the right of them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any, NamedTuple

from .costs import LayerCost, NetworkCost
from .layers import BY_CLASS
from .metrics import METRICS
from .model import Shape
from .report import (Column, Format, Kind, Report, Share, Table, _align, analysis_dict,
                     analysis_report, cell_text, diff_report, humanize, humanize_bytes,
                     layer_notation, seconds)

CSS = """\
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:20px 28px;color:#1c2128;background:#fff}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid #d8dde4}
nav a{margin-right:14px;color:#3a63b8;text-decoration:none}
p.note,p.caption{color:#57606a;margin:6px 0;max-width:70em}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{padding:2px 10px 2px 6px;border-bottom:1px solid #eceff3;white-space:nowrap;vertical-align:middle}
th{background:#f4f6f9;text-align:left;font-weight:600}
.r{text-align:right}
tr.break td{border-top:2px solid #b6bfcc}
tfoot td{font-weight:600;border-top:2px solid #57606a;border-bottom:none}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.bar{display:inline-block;width:5em;height:.75em;background:#edf1f7;margin-right:6px;vertical-align:middle}
.bar i{display:block;height:100%;background:#4a7bd0}
.bar.up i{background:#cf5b4a}
.bar.down i{background:#3c9a5c}
.cards{display:flex;flex-wrap:wrap;gap:8px}
.card{border:1px solid #d8dde4;border-radius:6px;padding:6px 12px;min-width:9em}
.card .k{color:#57606a;font-size:12px}
.card .v{font-size:18px;font-weight:600}
.card .x{color:#57606a;font-size:11px;font-variant-numeric:tabular-nums}
.graphs{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
figure{margin:0}
figcaption{font-weight:600;margin-bottom:4px}
.legend span{display:inline-block;margin-right:12px;font-size:12px}
.legend b{display:inline-block;width:12px;height:12px;border:1px solid;vertical-align:-2px;margin-right:4px}
svg text{font:10px system-ui,sans-serif;fill:#1c2128;text-anchor:middle}
svg text.n{font-weight:600}
svg .node rect{fill:#f4f6f9;stroke:#8a94a6}
svg .conv rect,.legend .conv{fill:#dce7fb;background:#dce7fb;stroke:#4a7bd0;border-color:#4a7bd0}
svg .pool rect,.legend .pool{fill:#e3f3e7;background:#e3f3e7;stroke:#3c9a5c;border-color:#3c9a5c}
svg .fc rect,.legend .fc{fill:#eee3f7;background:#eee3f7;stroke:#8a4ab0;border-color:#8a4ab0}
svg .merge rect,.legend .merge{fill:#fde8cc;background:#fde8cc;stroke:#cc8a2a;border-color:#cc8a2a}
svg .input rect{fill:#fff;stroke:#1c2128}
svg .aux rect{stroke-dasharray:3 2}
svg .added rect{stroke:#2a8a3a;stroke-width:3}
svg .removed rect{stroke:#c0392b;stroke-width:3;stroke-dasharray:5 2}
svg .changed rect{stroke:#d08a00;stroke-width:3}
svg path{fill:none;stroke:#8a94a6;stroke-width:1.2}
"""

# ---------------------------------------------------------------------------
# The page


def page(title: str, sections: Sequence[tuple[str, str, str]], note: str | None = None) -> str:
    """The whole document: a heading, links to the sections, the sections
    (id, heading, body HTML) in order."""
    nav = " ".join(f'<a href="#{sid}">{escape(h)}</a>' for sid, h, _ in sections)
    body = "".join(f'<section id="{sid}">\n<h2>{escape(h)}</h2>\n{html}</section>\n'
                   for sid, h, html in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<meta name=\"generator\" content=\"cnncost\">\n<title>{escape(title)}</title>\n"
            f"<style>\n{CSS}</style>\n</head>\n<body>\n<header>\n<h1>{escape(title)}</h1>\n"
            + (f'<p class="note">{inline(note)}</p>\n' if note else "")
            + f"<nav>{nav}</nav>\n</header>\n{body}"
            "<footer><p class=\"note\">Written by cnncost. Hover a number for its exact value.</p>"
            "</footer>\n</body>\n</html>\n")


_STRONG = re.compile(r"\*\*(.+?)\*\*")
_CODE = re.compile(r"`([^`]+)`")


def inline(text: str) -> str:
    """A report's note (written for markdown) as HTML: escaped, **bold** and `code` kept."""
    return _CODE.sub(r"<code>\1</code>", _STRONG.sub(r"<strong>\1</strong>", escape(text)))


def report_page(report: Report, title: str = "cnncost") -> str:
    """Any report as a page of its tables (those markdown shows), without a graph."""
    return page(report.title or title, [("tables", "tables", tables_html(report))], report.note)


def tables_html(report: Report) -> str:
    return "".join(table_html(t) for t in report.tables if Format.MARKDOWN in t.formats)


# ---------------------------------------------------------------------------
# Tables

_BARRED = frozenset({Kind.SHARE, Kind.RATIO, Kind.SIGNED})  # the columns with an inline bar
_GROUPED = frozenset({Kind.COUNT, Kind.BYTES, Kind.SIGNED})  # exact in `title`: 25,557,032


def _bar(fraction: float, cls: str = "") -> str:
    width = max(0.0, min(1.0, fraction)) * 100
    return f'<span class="bar{cls}"><i style="width:{width:.1f}%"></i></span>'


def _exact(value: Any) -> str:
    """A value as the JSON writes it (a float by its repr), or as CSV does."""
    if isinstance(value, float):
        return float.__repr__(value)
    return str(value)


def _opening(col: Column) -> str:
    """A column's cells' first attributes: its key (as CSV and JSON name it) and alignment."""
    key = f' data-key="{escape(col.key)}"' if col.key else ""
    return key + (' class="r"' if _align(col, terminal=False) == "r" else "")


def cell_html(value: Any, col: Column, scale: float | None = None, opening: str | None = None
              ) -> str:
    """One cell: the markdown's text; the exact value in data-value (a Share's
    part and whole), a bar for shares, and for ratios and differences when `scale`
    (the column's largest magnitude) is given."""
    attrs = _opening(col) if opening is None else opening
    text = escape(cell_text(value, col, human=True))
    bar = ""
    if isinstance(value, Share):
        attrs += f' data-part="{value.part}" data-whole="{value.whole}"'
        bar = _bar(value.part / value.whole) if value.whole and value.part > 0 else ""
    elif value is not None and not isinstance(value, str):
        attrs += f' data-value="{escape(_exact(value))}"'
        kind = col.kind
        if type(value) is int and kind in _GROUPED:
            attrs += f' title="{value:,}"'
        if scale and value and kind in _BARRED:
            bar = _bar(abs(value) / scale,
                       "" if kind is Kind.RATIO else " up" if value > 0 else " down")
    if col.kind is Kind.CODE and text:
        text = f"<code>{text}</code>"
    return f"<td{attrs}>{bar}{text}</td>"


def table_html(t: Table, bars: bool = True) -> str:
    """A report table: its header, rows (a rule where the terminal draws one) and
    footer. `bars`: ratios and differences get a bar (shares always do); not where
    a column's rows are different metrics (diff's totals)."""
    cols = [(i, c, _opening(c)) for i, c in enumerate(t.columns) if c.label is not None]
    scales: dict[int, float] = {}
    for i, c, _ in cols:  # a bar's full width: the largest magnitude in its column
        if bars and c.kind in (Kind.RATIO, Kind.SIGNED):
            scales[i] = max((abs(r[i]) for r in t.rows if isinstance(r[i], (int, float))),
                            default=0)
    out = ['<div class="scroll"><table>\n']
    if t.title:
        out.append(f"<caption>{escape(t.title)}</caption>\n")
    right = ' class="r"'
    out.append("<thead><tr>" + "".join(
        f'<th{right if _align(c, terminal=False) == "r" else ""}>{escape(c.label or "")}</th>'
        for _, c, _ in cols) + "</tr></thead>\n<tbody>\n")
    breaks = t.breaks
    for n, row in enumerate(t.rows):
        out.append(('<tr class="break">' if n - 1 in breaks else "<tr>")
                   + "".join([cell_html(row[i], c, scales.get(i), o) for i, c, o in cols])
                   + "</tr>\n")
    out.append("</tbody>\n")
    if t.footer is not None:
        out.append("<tfoot><tr>" + "".join(cell_html(t.footer[i], c, None, o) for i, c, o in cols)
                   + "</tr></tfoot>\n")
    out.append("</table></div>\n")
    if t.caption:
        out.append(f'<p class="caption">{escape(t.caption)}</p>\n')
    return "".join(out)


# ---------------------------------------------------------------------------
# Totals

_LABELS = {m.total_name: m.label for m in METRICS} | {
    "peak_activation_bytes": "peak activations", "conv_layers": "conv layers",
    "peak_layer": "peak at", "intensity": "FLOPs per byte", "roofline_s": "roofline"}
_BYTES = frozenset(m.total_name for m in METRICS if m.unit == "bytes")


def totals_html(totals: Mapping[str, Any]) -> str:
    """The JSON's totals as cards: the humanised value and the exact one."""
    cards = []
    for key, value in totals.items():
        label = _LABELS.get(key, key.replace("_", " "))
        if key == "count":  # --count TOOL: {"tool", "value", …}
            key, label, value = "count", f"{value['tool']} would count", value["value"]
        if type(value) is int:
            text = humanize_bytes(value) if key in _BYTES else \
                str(value) if key == "conv_layers" else humanize(value)
            exact = f"{value:,}"
        elif isinstance(value, float):
            text = seconds(value) if key == "roofline_s" else f"{value:.3g}"
            exact = float.__repr__(value)
        else:
            text = exact = "–" if value is None else str(value)
        cards.append(f'<div class="card" data-key="{escape(key)}" data-value="'
                     f'{escape(_exact(value) if value is not None else "")}">'
                     f'<div class="k">{escape(label)}</div><div class="v">{escape(text)}</div>'
                     f'<div class="x">{escape(exact)}</div></div>\n')
    return '<div class="cards">\n' + "".join(cards) + "</div>\n"


# ---------------------------------------------------------------------------
# The graph

BOX_W, BOX_H = 124, 30  # a layer's box
COL_W, ROW_H = 156, 46  # the grid it sits on: the gaps between boxes hold the edges
PAD = 12
_BOW = 20  # how far a skip edge's control points stand out right of its boxes


def layout(rows: Sequence[LayerCost]) -> tuple[list[int], list[int]]:
    """(level, column) of the input (position 0) and of every row (position = its index).

    Level: the longest path from the input. Column: a layer continues the column
    of the layer it reads when it is the first to do so; a later reader starts a
    branch in the first column to the right that holds nothing at its level or
    below yet (so branches of one fork stand side by side); a merge (a layer that
    reads several) takes the leftmost of its inputs' columns. A cell already taken
    moves a layer right. Linear in the layers (a fork's search is over columns)."""
    n = len(rows)
    level, col = [0] * (n + 1), [0] * (n + 1)
    deepest: dict[int, int] = {0: 0}  # column → the deepest level placed in it
    taken = {(0, 0)}
    continued: set[int] = set()  # the layers something already continues
    for r in rows:
        i, ins = r.index, r.inputs
        lv = max(level[j] for j in ins) + 1
        if len(ins) > 1:
            c = min(col[j] for j in ins)
        elif ins[0] not in continued:
            continued.add(ins[0])
            c = col[ins[0]]
        else:
            c = col[ins[0]] + 1
            while deepest.get(c, -1) >= lv:
                c += 1
        while (lv, c) in taken:
            c += 1
        taken.add((lv, c))
        level[i], col[i] = lv, c
        if deepest.get(c, -1) < lv:
            deepest[c] = lv
    return level, col


def _kind_class(r: LayerCost) -> str:
    if BY_CLASS[type(r.layer)].conv:
        return "conv"
    if r.kind in ("pool", "global_pool", "adaptive_pool", "spp"):
        return "pool"
    if r.kind == "fc":
        return "fc"
    return "merge" if len(r.inputs) > 1 else "op"


def _box(x: int, y: int, cls: str, title: str, name: str, sub: str, index: int) -> str:
    cx = x + BOX_W // 2
    return (f'<g class="node {cls}" data-index="{index}"><title>{escape(title)}</title>'
            f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="4"/>'
            f'<text class="n" x="{cx}" y="{y + 13}">{escape(name[:22])}</text>'
            f'<text x="{cx}" y="{y + 25}">{escape(sub)}</text></g>\n')


def _edge(c1: int, l1: int, c2: int, l2: int, taken: set[tuple[int, int]]) -> str:
    x1, x2 = PAD + c1 * COL_W + BOX_W // 2, PAD + c2 * COL_W + BOX_W // 2
    top1, top2 = PAD + l1 * ROW_H, PAD + l2 * ROW_H
    if c1 == c2 and any((lv, c1) in taken for lv in range(l1 + 1, l2)):
        # a shortcut past boxes of its own column: bow out right of them
        xr, y1, y2 = x1 + BOX_W // 2, top1 + BOX_H // 2, top2 + BOX_H // 2
        return f'<path d="M{xr} {y1}C{xr + _BOW} {y1} {xr + _BOW} {y2} {xr} {y2}"/>\n'
    if c1 == c2:
        return f'<path d="M{x1} {top1 + BOX_H}V{top2}"/>\n'
    y = top2 - (ROW_H - BOX_H)  # down its own column to the row above, then across
    mid = (y + top2) // 2
    down = f"V{y}" if y > top1 + BOX_H else ""
    return f'<path d="M{x1} {top1 + BOX_H}{down}C{x1} {mid} {x2} {mid} {x2} {top2}"/>\n'


def graph_svg(rows: Sequence[LayerCost], input: Shape, marks: Mapping[int, str] | None = None,
              label: str = "graph") -> str:
    """The graph as an inline SVG; `marks`: row index → an extra class (added,
    removed, changed) for a diff's sides."""
    marks = marks or {}
    level, col = layout(rows)
    taken = set(zip(level, col))
    edges = [_edge(col[j], level[j], col[r.index], level[r.index], taken)
             for r in rows for j in r.inputs]
    boxes = [_box(PAD, PAD, "input", f"input {input}", "input", str(input), 0)]
    for r in rows:
        cls = _kind_class(r) + (" aux" if r.train_only else "") + \
            (f" {marks[r.index]}" if r.index in marks else "")
        reads = ", ".join(f"#{j}" if j else "input" for j in r.inputs)
        title = (f"#{r.index} {r.name} ({r.stage}): {layer_notation(r)} → {r.output}; "
                 f"reads {reads}; params {r.params:,}, MACs {r.macs:,}")
        boxes.append(_box(PAD + col[r.index] * COL_W, PAD + level[r.index] * ROW_H, cls, title,
                          r.name, str(r.output), r.index))
    width = 2 * PAD + max(col) * COL_W + BOX_W + _BOW
    height = 2 * PAD + max(level) * ROW_H + BOX_H
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{escape(label)}">\n<g class="edges">\n' + "".join(edges)
            + "</g>\n" + "".join(boxes) + "</svg>\n")


class Drawing(NamedTuple):
    """One network's graph on the page."""

    title: str
    net: NetworkCost
    marks: Mapping[int, str] = {}


LEGEND = ('<p class="legend"><span><b class="conv"></b>convolution</span>'
          '<span><b class="pool"></b>pooling</span><span><b class="fc"></b>fully connected</span>'
          '<span><b class="merge"></b>merge (concat, add, mul)</span>'
          "<span>hover a box for its layer</span></p>\n")


def graphs_html(drawings: Sequence[Drawing], legend: str = LEGEND) -> str:
    figures = "".join(f"<figure><figcaption>{escape(d.title)}</figcaption>\n"
                      + graph_svg(d.net.rows, d.net.input, d.marks, d.title) + "</figure>\n"
                      for d in drawings)
    return legend + f'<div class="graphs">\n{figures}</div>\n'


# ---------------------------------------------------------------------------
# The three pages: analyze, compare, diff


def analysis_page(net: NetworkCost, memory: bool = False, device: Any = None,
                  count: Any = None, depth: int | None = None,
                  columns: tuple[str, ...] | None = None, share: str = "complexity") -> str:
    """The totals, the stage rollup, the per-layer table (its blocks folded at
    `depth`, with the `columns` and `share` the table has) and the graph."""
    layers = analysis_report(net, False, memory, device, count, depth, columns, share)
    stages = analysis_report(net, True, memory, device, None, None, columns, share)
    table = stages.tables[0]._replace(title=None, caption=None)  # the layer table's, said once
    return page(layers.title or "cnncost", [
        ("totals", "totals", totals_html(analysis_dict(net, device, count)["totals"])),
        ("stages", "stages", table_html(table)),
        ("layers", "layers", tables_html(layers)),
        ("graph", "graph", graphs_html([Drawing(net.name or "network", net)])),
    ], layers.note)


def comparison_page(cmp: Any, report: Report) -> str:
    """Table 1 (every model's stages, depth, totals, comp. and Eq. (1) per stage,
    and what --count's tool would report) and each model's graph side by side."""
    names = [r.name for r in cmp.rows]
    title = "compare " + ", ".join(names) if len(names) <= 12 else \
        f"compare {len(names)} models"
    return page(title, [
        ("models", "models", tables_html(report)),
        ("graph", "graphs", graphs_html([Drawing(r.name or "network", r.net) for r in cmp.rows])),
    ], report.note)


DIFF_LEGEND = ('<p class="legend"><span><b style="border:3px solid #2a8a3a"></b>added</span>'
               '<span><b style="border:3px dashed #c0392b"></b>removed</span>'
               '<span><b style="border:3px solid #d08a00"></b>changed</span></p>\n')


def diff_page(d: Any, show_all: bool = False, counts: Any = None, memory: bool = False) -> str:
    """The changed layers, the stages and the totals; A's and B's graphs side by
    side with the removed, added and changed layers marked."""
    report = diff_report(d, show_all, counts, memory)
    marks: tuple[dict[int, str], dict[int, str]] = ({}, {})
    for r in d.rows:
        if r.change.name != "SAME":
            for side, row in zip(marks, (r.a, r.b)):
                if row is not None:
                    side[row.index] = r.change.name.lower()
    layers, *stages, totals = report.tables  # (layers, stages, totals) or (layers, totals)
    sections = [("layers", "layers", table_html(layers) if Format.MARKDOWN in layers.formats
                 else f'<p class="note">{escape(layers.title or "")}</p>\n')]
    sections += [("stages", "stages", table_html(t)) for t in stages]
    sections.append(("totals", "totals", table_html(totals, bars=False)))
    a, b = d.a.name or "A", d.b.name or "B"
    sections.append(("graph", "graphs", LEGEND + DIFF_LEGEND + graphs_html(
        [Drawing(f"A: {a}", d.a, marks[0]), Drawing(f"B: {b}", d.b, marks[1])], legend="")))
    return page(report.title or "diff", sections, report.note)
