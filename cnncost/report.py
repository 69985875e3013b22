"""Rows and columns, humanised units, and the renderers for every format.

Each renderer returns a value (a string, or a rich renderable for the terminal
table) and never prints; the CLI's single `emit` path prints. Machine formats
(CSV, JSON) carry exact integers; only the table and markdown humanise.
rich is imported only by the table renderer, so JSON output starts fast.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from typing import Any

from .costs import LayerCost, NetworkCost, StageCost, Totals
from .model import Shape

JSON_SCHEMA_VERSION = 1


class Format(str, enum.Enum):
    TABLE = "table"
    CSV = "csv"
    MARKDOWN = "markdown"
    JSON = "json"


_UNITS = ("K", "M", "G", "T")


def humanize(n: int) -> str:
    """12.3M-style: three significant digits, exact below 1000."""
    sign = "-" if n < 0 else ""
    a = abs(n)
    if a < 1000:
        return f"{sign}{a}"
    exp = 0
    while exp < len(_UNITS) - 1 and a >= 1000 ** (exp + 2):
        exp += 1
    v = a / 1000 ** (exp + 1)
    text = f"{v:.2f}" if v < 10 else f"{v:.1f}" if v < 100 else f"{v:.0f}"
    if text == "1000" and exp < len(_UNITS) - 1:  # 999.6K shows as 1.00M
        text, exp = "1.00", exp + 1
    return f"{sign}{text}{_UNITS[exp]}"


def safe_cell(text: str) -> str:
    """Neutralise spreadsheet formulas in user-supplied text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def shape_list(s: Shape) -> list[int]:
    return [s.h, s.w, s.c]


def layer_notation(row: LayerCost) -> str:
    from .notation import format_layer
    return format_layer(row.layer)


# ---------------------------------------------------------------------------
# Plain data (the JSON contract)


def totals_dict(t: Totals) -> dict[str, int]:
    return {"params": t.params, "macs": t.macs, "flops": t.flops, "complexity": t.complexity,
            "activations": t.activations, "ops": t.ops, "conv_layers": t.conv_layers}


def stage_dict(s: StageCost) -> dict[str, Any]:
    return {"name": s.name, "output": shape_list(s.output), **totals_dict(s.totals)}


def layer_dict(r: LayerCost) -> dict[str, Any]:
    return {
        "index": r.index, "name": r.name, "kind": r.kind.value, "notation": layer_notation(r),
        "stage": r.stage, "inputs": list(r.inputs), "output": shape_list(r.output),
        "params": r.params, "macs": r.macs, "flops": r.flops, "complexity": r.complexity,
        "activations": r.activations, "ops": r.ops, "rf": r.rf, "jump": r.jump,
    }


def analysis_dict(net: NetworkCost) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA_VERSION,
        "name": net.name,
        "input": shape_list(net.input),
        "padding": net.padding,
        "totals": totals_dict(net.totals),
        "stages": [stage_dict(s) for s in net.stages],
        "layers": [layer_dict(r) for r in net.rows],
    }


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------
# CSV

CSV_COLUMNS = ("index", "name", "kind", "stage", "notation", "out_h", "out_w", "out_c", "params",
               "macs", "flops", "complexity", "activations", "ops", "rf", "jump")


def analysis_csv(net: NetworkCost, stages: bool = False) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if stages:
        w.writerow(("stage", "out_h", "out_w", "out_c", "layers", "params", "macs", "flops",
                    "complexity", "activations", "ops", "conv_layers"))
        for s in net.stages:
            t = s.totals
            w.writerow((safe_cell(s.name), *shape_list(s.output), len(s.rows), t.params, t.macs,
                        t.flops, t.complexity, t.activations, t.ops, t.conv_layers))
        return buf.getvalue()
    w.writerow(CSV_COLUMNS)
    for r in net.rows:
        w.writerow((r.index, safe_cell(r.name), r.kind.value, safe_cell(r.stage),
                    safe_cell(layer_notation(r)), *shape_list(r.output), r.params, r.macs,
                    r.flops, r.complexity, r.activations, r.ops, r.rf, r.jump))
    return buf.getvalue()


# ---------------------------------------------------------------------------
# Markdown


def md_table(header: list[str], rows: list[list[str]], align: str) -> str:
    """align: one char per column, 'l' or 'r'."""
    def esc(c: str) -> str:
        return c.replace("|", "\\|")
    sep = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


def analysis_markdown(net: NetworkCost, stages: bool = False) -> str:
    t = net.totals
    title = f"### {net.name or 'network'} — input {net.input}, padding {net.padding}\n\n"
    if stages:
        return title + _stages_markdown(net)
    rows = [[str(r.index), r.name, f"`{layer_notation(r)}`", str(r.output), humanize(r.params),
             humanize(r.macs), humanize(r.complexity), share(r.complexity, t.complexity)]
            for r in net.rows]
    rows.append(["", "**total**", "", "", f"**{humanize(t.params)}**", f"**{humanize(t.macs)}**",
                 f"**{humanize(t.complexity)}**", "100.0%" if t.complexity else "–"])
    return title + md_table(["#", "name", "layer", "output", "params", "MACs", "complexity",
                             "share"], rows, "rllrrrrr")


def _stages_markdown(net: NetworkCost) -> str:
    t = net.totals
    rows = []
    for s in net.stages:
        st = s.totals
        rows.append([s.name, str(s.output), str(len(s.rows)), str(st.conv_layers),
                     humanize(st.params), humanize(st.macs), humanize(st.complexity),
                     share(st.complexity, t.complexity)])
    rows.append(["**total**", "", str(len(net.rows)), str(t.conv_layers), f"**{humanize(t.params)}**",
                 f"**{humanize(t.macs)}**", f"**{humanize(t.complexity)}**",
                 "100.0%" if t.complexity else "–"])
    return md_table(["stage", "output", "layers", "conv", "params", "MACs", "complexity", "share"],
                    rows, "lrrrrrrr")


# ---------------------------------------------------------------------------
# Terminal table (rich)

BAR_WIDTH = 6


def bar(part: int, whole: int, width: int = BAR_WIDTH) -> str:
    """A share drawn in eighth-blocks, exact to 1/8 of a cell."""
    if not whole or part <= 0:
        return ""
    eighths = round(8 * width * part / whole)
    full, rest = divmod(eighths, 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[rest - 1] if rest else "")


def share_cell(part: int, whole: int) -> str:
    """'31.0% ███▊' — the share of the total complexity, as a number and a bar."""
    return f"{share(part, whole):>6} {bar(part, whole)}".rstrip()


def analysis_table(net: NetworkCost, stages: bool = False) -> Any:
    """Per layer (stages separated by rules) or per stage; totals in the footer."""
    from rich import box
    from rich.table import Table

    t = net.totals
    caption = (f"input {net.input} · padding {net.padding} · {plural(t.conv_layers, 'conv layer')} · "
               f"FLOPs {humanize(t.flops)} = 2×MACs · ops {humanize(t.ops)} · "
               f"complexity = He & Sun Eq. (1)")
    table = Table(title=net.name or None, caption=caption, box=box.SIMPLE_HEAD, show_footer=True,
                  padding=(0, 1), collapse_padding=True, pad_edge=False)
    right = {"justify": "right", "no_wrap": True}
    if stages:
        table.add_column("stage", footer="total")
        table.add_column("output", footer="", **right)
        table.add_column("layers", footer=str(len(net.rows)), **right)
        table.add_column("conv", footer=str(t.conv_layers), **right)
        _metric_columns(table, t)
        for s in net.stages:
            st = s.totals
            table.add_row(s.name, str(s.output), str(len(s.rows)), str(st.conv_layers),
                          humanize(st.params), humanize(st.macs), humanize(st.complexity),
                          share_cell(st.complexity, t.complexity))
        return table
    table.add_column("#", footer="", **right)
    table.add_column("name", footer="total", no_wrap=True)
    table.add_column("layer", footer="", no_wrap=True, min_width=10, overflow="ellipsis")
    table.add_column("output", footer="", **right)
    _metric_columns(table, t)
    rows = net.rows
    for i, r in enumerate(rows):
        last_of_stage = i + 1 < len(rows) and rows[i + 1].stage != r.stage
        table.add_row(str(r.index), r.name, layer_notation(r), str(r.output),
                      humanize(r.params), humanize(r.macs), humanize(r.complexity),
                      share_cell(r.complexity, t.complexity), end_section=last_of_stage)
    return table


def _metric_columns(table: Any, t: Totals) -> None:
    right = {"justify": "right", "no_wrap": True}
    table.add_column("params", footer=humanize(t.params), **right)
    table.add_column("MACs", footer=humanize(t.macs), **right)
    table.add_column("Eq. (1)", footer=humanize(t.complexity), **right)
    table.add_column("share", footer=share_cell(t.complexity, t.complexity), no_wrap=True)


def render_analysis(net: NetworkCost, fmt: Format, stages: bool = False) -> Any:
    """The one dispatch from --format to a renderer (exhaustive over Format)."""
    if fmt is Format.JSON:
        return to_json(analysis_dict(net))
    if fmt is Format.CSV:
        return analysis_csv(net, stages)
    if fmt is Format.MARKDOWN:
        return analysis_markdown(net, stages)
    return analysis_table(net, stages)


def layers_rows() -> list[list[str]]:
    """One row per named layer of the notation: names, arguments, example, meaning."""
    from .notation import LAYERS
    by_sig: dict[int, list[str]] = {}
    for name, sig in LAYERS.items():
        by_sig.setdefault(id(sig), []).append(name)
    rows = []
    for names in by_sig.values():
        sig = LAYERS[names[0]]
        args = ", ".join([*sig.positional[:4], *(f"{o}=" for o in sig.options)])
        if len(sig.positional) > 4:
            args = "levels…"
        rows.append([" / ".join(names), args, sig.example, sig.doc])
    return rows


def render_layers(fmt: Format) -> Any:
    header = ["name", "arguments", "example", "meaning"]
    rows = layers_rows()
    if fmt is Format.JSON:
        return to_json([dict(zip(header, r)) for r in rows])
    if fmt is Format.CSV:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header, *rows])
        return buf.getvalue()
    if fmt is Format.MARKDOWN:
        return md_table(header, [[f"`{c}`" if i in (0, 2) else c for i, c in enumerate(r)]
                                 for r in rows], "llll")
    from rich import box
    from rich.table import Table
    table = Table(box=box.SIMPLE_HEAD, caption="plus (s,n)/k, c_in*kh*kw*n, k/s, Nfc, "
                  "concat[a|b], add[a|b], res[a], [..]×k — see docs/language.md")
    for h in header:
        table.add_column(h)
    for r in rows:
        table.add_row(*r)
    return table
