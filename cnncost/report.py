"""Rows and columns, humanised units, and the renderers for every format.

Each renderer returns a value (a string, or a rich renderable for the terminal
table) and never prints; the CLI's single `emit` path prints. Machine formats
(CSV, JSON) carry exact integers; only the table and markdown humanise.
rich is imported only by the table renderer, so JSON output starts fast.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Container, Iterable, Sequence
from typing import Any

try:  # the C string encoder behind json.dumps(ensure_ascii=False)
    from _json import encode_basestring as _json_str
except ImportError:  # pragma: no cover - an interpreter without _json
    from json.encoder import py_encode_basestring as _json_str

from .costs import LayerCost, NetworkCost, StageCost, Totals
from .model import Shape

JSON_SCHEMA_VERSION = 1


class Format(str, enum.Enum):
    TABLE = "table"
    CSV = "csv"
    MARKDOWN = "markdown"
    JSON = "json"


_UNITS = ("K", "M", "G", "T", "P", "E")  # SI, powers of 1000


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
    for decimals, limit in ((2, 10), (1, 100), (0, 1000)):  # 9999 → 10.0K, not 10.00K
        text = f"{v:.{decimals}f}"
        if float(text) < limit:
            break
    if text == "1000" and exp < len(_UNITS) - 1:  # 999.6K shows as 1.00M
        text, exp = "1.00", exp + 1
    return f"{sign}{text}{_UNITS[exp]}"


_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def safe_cell(text: str) -> str:
    """Neutralise spreadsheet formulas in user-supplied text (CSV injection):
    a cell starting with = + - @ tab or CR gets a leading ' — unless it is a number."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def shape_list(s: Shape) -> list[int]:
    return [s.h, s.w, s.c]


def layer_notation(row: LayerCost) -> str:
    from .printer import format_layer
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
        "index": r.index, "name": r.name, "kind": r.kind, "notation": layer_notation(r),
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
    """json.dumps(data, indent=2, ensure_ascii=False) and a newline, to the byte, for the
    plain data the JSON documents hold (str keys; str, int, float, bool, None, list,
    tuple, dict values) — written here because `import json` and its generic encoder
    cost the hot path (`analyze --format json`) more than the whole document takes."""
    out: list[str] = []
    _json_value(data, "\n", out)
    out.append("\n")
    return "".join(out)


def _json_value(o: Any, newline: str, out: list[str]) -> None:
    if type(o) is int:  # the most common value first
        out.append(int.__repr__(o))
    elif isinstance(o, str):
        out.append(_json_str(o))
    elif o is None or o is True or o is False:
        out.append("null" if o is None else "true" if o else "false")
    elif isinstance(o, int):
        out.append(int.__repr__(o))
    elif isinstance(o, float):  # as json writes it: repr, or NaN / Infinity / -Infinity
        out.append(float.__repr__(o) if o == o and o not in _INFINITIES else
                   "NaN" if o != o else "Infinity" if o > 0 else "-Infinity")
    elif isinstance(o, (dict, list, tuple)):
        if not o:
            out.append("{}" if isinstance(o, dict) else "[]")
            return
        inner = newline + "  "
        if isinstance(o, dict):
            sep = "{" + inner
            for key, value in o.items():
                out.append(sep + _json_str(key) + ": ")
                _json_value(value, inner, out)
                sep = "," + inner
            out.append(newline + "}")
        else:
            sep = "[" + inner
            for value in o:
                out.append(sep)
                _json_value(value, inner, out)
                sep = "," + inner
            out.append(newline + "]")
    else:
        raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


_INFINITIES = (float("inf"), float("-inf"))


# ---------------------------------------------------------------------------
# CSV

def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows → CSV text with \\n line ends (csv is imported only when CSV is asked for)."""
    import csv
    import io
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


CSV_COLUMNS = ("index", "name", "kind", "stage", "notation", "out_h", "out_w", "out_c", "params",
               "macs", "flops", "complexity", "activations", "ops", "rf", "jump")


def analysis_csv(net: NetworkCost, stages: bool = False) -> str:
    out: list[Sequence[Any]] = []
    if stages:
        out.append(("stage", "out_h", "out_w", "out_c", "layers", "params", "macs", "flops",
                    "complexity", "activations", "ops", "conv_layers"))
        for s in net.stages:
            t = s.totals
            out.append((safe_cell(s.name), *shape_list(s.output), len(s.rows), t.params, t.macs,
                        t.flops, t.complexity, t.activations, t.ops, t.conv_layers))
        return csv_text(out)
    out.append(CSV_COLUMNS)
    for r in net.rows:
        out.append((r.index, safe_cell(r.name), r.kind, safe_cell(r.stage),
                    safe_cell(layer_notation(r)), *shape_list(r.output), r.params, r.macs,
                    r.flops, r.complexity, r.activations, r.ops, r.rf, r.jump))
    return csv_text(out)


# ---------------------------------------------------------------------------
# Markdown


def simple_table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str, *,
                 title: str | None = None, caption: str | None = None,
                 wrap: Container[int] | bool = ()) -> Any:
    """The terminal tables' one look: a rule under the header, one space between
    columns; align is one 'l'/'r' per column; columns in `wrap` (or all, for
    True) may wrap, the rest keep to one line."""
    from rich import box
    from rich.table import Table
    table = Table(box=box.SIMPLE_HEAD, title=title, caption=caption, padding=(0, 1),
                  collapse_padding=True, pad_edge=False)
    for i, h in enumerate(header):
        may_wrap = wrap if isinstance(wrap, bool) else i in wrap
        table.add_column(h, justify="right" if align[i] == "r" else "left", no_wrap=not may_wrap)
    for r in rows:
        table.add_row(*r)
    return table


def md_table(header: list[str], rows: list[list[str]], align: str) -> str:
    """align: one char per column, 'l' or 'r'."""
    def esc(c: str) -> str:
        return c.replace("|", "\\|")
    sep = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(esc(h) for h in header) + " |", "| " + " | ".join(sep) + " |"]
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


# The branch forms, which have no call syntax of their own: kind → (form, meaning, PyTorch)
BRANCH_FORMS = {
    "concat": ("concat[ a | b ]", "branches concatenated along the channels", "torch.cat(…, 1)"),
    "add": ("add[ a | b ], res[ a ]", "element-wise sum; res[ a ] is add[ a | id ]", "a + b"),
    "mul": ("mul[ a | b ]", "element-wise product; 1x1xC, HxWx1 and 1x1x1 operands broadcast",
            "a * b"),
}
LAYERS_HEADER = ["name", "kind", "positional", "options", "example", "meaning", "PyTorch"]


def layers_rows() -> list[list[str]]:
    """One row per way of writing a layer, from the registry: names (aliases too),
    kind, arguments, an example, the meaning and the PyTorch equivalent."""
    from .layers import KINDS
    rows = []
    for k in KINDS:
        for sig in k.syntax:
            positional = ", ".join(sig.positional) if len(sig.positional) <= 4 else "levels…"
            rows.append([" / ".join(sig.names), k.kind, positional, ", ".join(sig.options),
                         sig.example, sig.doc, sig.torch])
        if not k.syntax:
            form, doc, torch = BRANCH_FORMS[k.kind]
            rows.append([form, k.kind, "branches", "", form.split(",")[0], doc, torch])
    return rows


def render_layers(fmt: Format) -> Any:
    header = LAYERS_HEADER
    rows = layers_rows()
    if fmt is Format.JSON:
        return to_json([dict(zip(header, r)) for r in rows])
    if fmt is Format.CSV:
        return csv_text([header, *rows])
    if fmt is Format.MARKDOWN:
        return md_table(header, [[f"`{c}`" if i in (0, 4) and c else c for i, c in enumerate(r)]
                                 for r in rows], "lllllll")
    return simple_table(header, rows, "lllllll", wrap={5, 6},
                        caption="plus (s,n)/k, c_in*kh*kw*n, k/s, Nfc, NT(…) and [..]×k "
                                "— see docs/language.md")


# ---------------------------------------------------------------------------
# compare: He & Sun's Table 1 regenerated


def comparison_dict(cmp: Any) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA_VERSION,
        "baseline": cmp.baseline,
        "variants": [{
            "name": r.name,
            "input": shape_list(r.net.input),
            "padding": r.net.padding,
            "totals": totals_dict(r.totals),
            "relative": {m: r.relative(m) for m in ("complexity", "params", "macs")},
            "stages": [{**stage_dict(s), "layers": paper_notation_of(s)} for s in r.net.stages],
        } for r in cmp.rows],
    }


def paper_notation_of(stage: StageCost) -> str:
    from .comparison import paper_notation
    return paper_notation(stage.rows)


def _comparison_cells(cmp: Any, human: bool) -> tuple[list[str], list[list[str]], str]:
    num = humanize if human else str
    stages = cmp.varying_stages
    costed = cmp.costed_stages  # each computed once: they look at every row
    header = ["model", *(f"stage {s}" for s in stages), "depth", "params", "MACs", "Eq. (1)",
              "comp.", *(f"Eq.(1) {s}" for s in costed)]
    rows = []
    for r in cmp.rows:
        notes = r.stage_notation()
        by_stage = {s.name: s.totals.complexity for s in r.net.stages}
        t = r.totals
        rel = r.relative("complexity")
        missing = "–" if human else ""  # no ratio to a zero baseline; a stage this model lacks
        rows.append([r.name, *(notes.get(s, "") for s in stages), str(t.conv_layers),
                     num(t.params), num(t.macs), num(t.complexity),
                     missing if rel is None else f"{rel:.2f}" if human else f"{rel:.6f}",
                     *(num(by_stage[s]) if s in by_stage else missing for s in costed)])
    align = "l" + "l" * len(stages) + "r" * (5 + len(costed))
    return header, rows, align


def render_comparison(cmp: Any, fmt: Format) -> Any:
    if fmt is Format.JSON:
        return to_json(comparison_dict(cmp))
    if fmt is Format.CSV:
        header, rows, _ = _comparison_cells(cmp, human=False)
        header = [h.replace("Eq. (1)", "complexity").replace("Eq.(1) ", "complexity_stage_")
                  .replace("stage ", "layers_stage_").replace("comp.", "relative_complexity")
                  for h in header]
        return csv_text([header, *([safe_cell(c) for c in r] for r in rows)])
    header, rows, align = _comparison_cells(cmp, human=True)
    varying = set(cmp.varying_stages)
    shared = [s for s in cmp.stage_names if s not in varying]
    note = (f"comp. = Eq. (1) complexity relative to {cmp.baseline}; depth = conv layers"
            + (f"; {plural(len(shared), 'stage').split(' ', 1)[1]} {', '.join(shared)} "
               f"{'is' if len(shared) == 1 else 'are'} the same in every model" if shared else ""))
    if fmt is Format.MARKDOWN:
        return md_table(header, rows, align) + f"\n{note}\n"
    # The terminal gets two tables, so the paper's columns keep their width on 80
    # columns: Table 1 itself, then Eq. (1) per stage.
    from rich import box
    from rich.console import Group
    from rich.table import Table
    n_stages = len(varying)
    split = 1 + n_stages + 5
    numbers = list(range(1 + n_stages, split))  # depth, params, MACs, Eq. (1), comp.
    tables = []
    for cols, caption in (([0, *numbers, *range(1, 1 + n_stages)], note),
                          ([0, *range(split, len(header))], "")):
        if len(cols) < 2:
            continue
        table = Table(box=box.SIMPLE_HEAD, caption=caption or None, padding=(0, 1),
                      collapse_padding=True, pad_edge=False,
                      title="Eq. (1) complexity per stage" if not caption else None)
        for i in cols:
            table.add_column(header[i].replace("Eq.(1) ", "stage "),
                             justify="right" if align[i] == "r" else "left",
                             no_wrap=align[i] == "r" or i == 0,
                             overflow="fold")
        for r in rows:
            table.add_row(*(r[i] for i in cols))
        tables.append(table)
    return Group(*tables)


# ---------------------------------------------------------------------------
# diff


DIFF_METRICS = ("params", "macs", "complexity")


def _diff_layer(r: LayerCost | None) -> str:
    return layer_notation(r) if r is not None else ""


def diff_dict(d: Any) -> dict[str, Any]:
    def side(r: LayerCost | None) -> dict[str, Any] | None:
        if r is None:
            return None
        return {"index": r.index, "name": r.name, "notation": layer_notation(r),
                "output": shape_list(r.output), "params": r.params, "macs": r.macs,
                "complexity": r.complexity}
    return {
        "schema": JSON_SCHEMA_VERSION,
        "a": d.a.name, "b": d.b.name, "differs": d.differs,
        "layers": [{"change": r.change.name.lower(), "stage": r.stage, "a": side(r.a),
                    "b": side(r.b), **{f"delta_{m}": r.delta(m) for m in DIFF_METRICS}}
                   for r in d.rows],
        "stages": [{"name": s, **{f"delta_{m}": d.stage_delta(s, m) for m in DIFF_METRICS}}
                   for s in d.stages],
        "totals": {"a": totals_dict(d.a.totals), "b": totals_dict(d.b.totals),
                   **{f"delta_{m}": d.total_delta(m) for m in (*DIFF_METRICS, "flops")}},
    }


def signed(n: int, human: bool = True) -> str:
    if n == 0:
        return "0"
    return ("+" if n > 0 else "") + (humanize(n) if human else str(n))


def render_diff(d: Any, fmt: Format, show_all: bool = False) -> Any:
    if fmt is Format.JSON:
        return to_json(diff_dict(d))
    rows = [r for r in d.rows if show_all or r.change.value != "="]
    human = fmt is not Format.CSV
    cells = [[r.change.value, r.stage, _diff_layer(r.a), _diff_layer(r.b),
              str(r.a.output) if r.a else "", str(r.b.output) if r.b else "",
              *(signed(r.delta(m), human) for m in DIFF_METRICS)] for r in rows]
    header = ["", "stage", d.a.name or "A", d.b.name or "B", "output A", "output B",
              "Δparams", "ΔMACs", "ΔEq. (1)"]
    if fmt is Format.CSV:
        return csv_text([["change", "stage", "a", "b", "output_a", "output_b", "delta_params",
                          "delta_macs", "delta_complexity"],
                         *([r.change.name.lower(), *(safe_cell(x) for x in c[1:6]),
                            *(r.delta(m) for m in DIFF_METRICS)] for r, c in zip(rows, cells))])
    stage_rows = [[s, *(signed(d.stage_delta(s, m)) for m in DIFF_METRICS)] for s in d.stages]
    totals = [[m, humanize(getattr(d.a.totals, m)), humanize(getattr(d.b.totals, m)),
               signed(d.total_delta(m)), _pct(getattr(d.a.totals, m), getattr(d.b.totals, m))]
              for m in (*DIFF_METRICS, "conv_layers")]
    summary = "no differences" if not d.differs else \
        f"{sum(1 for r in d.rows if r.change.value != '=')} layers differ"
    if fmt is Format.MARKDOWN:
        out = f"### diff {d.a.name or 'A'} → {d.b.name or 'B'}: {summary}\n\n"
        if cells:
            out += md_table(header, [[f"`{c}`" if i in (2, 3) and c else c for i, c in enumerate(r)]
                                     for r in cells], "llllrrrrr") + "\n"
        out += md_table(["stage", "Δparams", "ΔMACs", "ΔEq. (1)"], stage_rows, "lrrr") + "\n"
        out += md_table(["total", d.a.name or "A", d.b.name or "B", "Δ", "Δ%"], totals, "lrrrr")
        return out
    from rich.console import Group
    t1 = simple_table(header, cells, "llllrrrrr",
                      title=f"{d.a.name or 'A'} → {d.b.name or 'B'}: {summary}")
    t2 = simple_table(("stage", "Δparams", "ΔMACs", "ΔEq. (1)"), stage_rows, "lrrr", wrap=True)
    t3 = simple_table(("total", d.a.name or "A", d.b.name or "B", "Δ", "Δ%"), totals, "lrrrr",
                      wrap=True)
    return Group(t1, t2, t3)


def _pct(a: int, b: int) -> str:
    return f"{100 * (b - a) / a:+.1f}%" if a else "–"


# ---------------------------------------------------------------------------
# check


def check_dict(c: Any) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA_VERSION,
        "name": c.net.name, "ok": c.ok,
        "baseline": c.baseline.name if c.baseline else None,
        "limits": [{"metric": lim.metric, "value": lim.value, "limit": lim.limit, "rule": lim.rule,
                    "ok": lim.ok, "margin": lim.margin} for lim in c.limits],
        "stages": [{"name": g.stage, "baseline_complexity": g.before, "complexity": g.after,
                    "delta_complexity": g.after - g.before} for g in c.growth],
        "totals": totals_dict(c.net.totals),
    }


def _limit_cells(c: Any, human: bool) -> list[list[str]]:
    num = humanize if human else str
    out = []
    for lim in c.limits:
        how = (f"under by {num(-lim.margin)}" if lim.margin < 0 else
               "at the limit" if lim.margin == 0 else
               f"OVER by {num(lim.margin)} ({100 * lim.margin / lim.limit:+.2f}%)"
               if lim.limit else f"OVER by {num(lim.margin)}")
        out.append(["pass" if lim.ok else "FAIL", lim.metric, num(lim.value), num(lim.limit),
                    lim.rule, how])
    return out


def render_check(c: Any, fmt: Format) -> Any:
    if fmt is Format.JSON:
        return to_json(check_dict(c))
    if fmt is Format.CSV:
        out: list[Sequence[Any]] = [["status", "metric", "value", "limit", "rule", "margin"]]
        for lim, cells in zip(c.limits, _limit_cells(c, human=False)):
            rule = cells[4] if lim.rule.startswith("--max-") else safe_cell(cells[4])  # a name
            out.append([*cells[:4], rule, lim.margin])
        return csv_text(out)
    cells = _limit_cells(c, human=True)
    verdict = "✅ within budget" if c.ok else "❌ over budget"
    failed = [lim.metric for lim in c.limits if not lim.ok]
    headline = f"{c.net.name or 'network'}: {verdict}" + (f" ({', '.join(failed)})" if failed else "")
    if c.baseline is not None:
        growth_header = ["stage", f"Eq. (1) {c.baseline.name or 'baseline'}", "Eq. (1) now", "Δ"]
        growth = [[g.stage, humanize(g.before), humanize(g.after), signed(g.after - g.before)]
                  for g in c.growth[:3]]
        growth_title = "stages that grew most"
    else:
        growth_header = ["stage", "Eq. (1)", "share"]
        total = c.net.totals.complexity
        growth = [[g.stage, humanize(g.after), share(g.after, total)] for g in c.growth[:3]]
        growth_title = "largest stages"
    header = ["", "metric", "value", "limit", "rule", "margin"]
    if fmt is Format.MARKDOWN:
        return (f"### cnncost check — {headline}\n\n" + md_table(header, cells, "llrrll")
                + f"\n**{growth_title}**\n\n"
                + md_table(growth_header, growth, "l" + "r" * (len(growth_header) - 1)))
    from rich.console import Group
    t1 = simple_table(header, cells, "llrrll", title=headline)
    t2 = simple_table(growth_header, growth, "l" + "r" * (len(growth_header) - 1),
                      title=growth_title, wrap=True)
    return Group(t1, t2)


# ---------------------------------------------------------------------------
# zoo


def zoo_rows(entries: list[tuple[str, Any, NetworkCost]]) -> list[dict[str, Any]]:
    from .comparison import matches_published
    rows = []
    for name, spec, net in entries:
        ref = dict(spec.reference)
        row: dict[str, Any] = {"name": name, "source": spec.source, "input": shape_list(net.input),
                               "params": net.totals.params, "macs": net.totals.macs,
                               "published_params": ref.get("params", ""),
                               "published_macs": ref.get("macs", ""),
                               "reference": ref.get("source", "")}
        published = [k for k in ("params", "macs") if k in ref]
        # None (JSON null, an empty CSV cell) when there is nothing published to agree with
        row["agrees"] = all(matches_published(row[k], ref[k]) for k in published) if published else None
        rows.append(row)
    return rows


def render_zoo(entries: list[tuple[str, Any, NetworkCost]], fmt: Format) -> Any:
    rows = zoo_rows(entries)
    if fmt is Format.JSON:
        return to_json({"schema": JSON_SCHEMA_VERSION, "specs": rows})
    if fmt is Format.CSV:
        out: list[Sequence[Any]] = [["name", "source", "input", "params", "macs",
                                     "published_params", "published_macs", "reference", "agrees"]]
        for r in rows:
            out.append([r["name"], safe_cell(r["source"]), "x".join(map(str, r["input"])),
                        r["params"], r["macs"], r["published_params"], r["published_macs"],
                        safe_cell(r["reference"]), "" if r["agrees"] is None else int(r["agrees"])])
        return csv_text(out)
    header = ["name", "input", "params", "MACs", "published", "source"]
    cells = [[r["name"], "x".join(map(str, r["input"])), humanize(r["params"]), humanize(r["macs"]),
              " / ".join(x for x in (r["published_params"], r["published_macs"]) if x)
              + ((" ✓" if r["agrees"] else " ✗") if r["published_params"] or r["published_macs"] else ""),
              r["source"]] for r in rows]
    if fmt is Format.MARKDOWN:
        return md_table(header, cells, "lrrrll")
    return simple_table(header, cells, "lrrrll", wrap={header.index("source")},
                        caption="published = params / MACs as their source gives them; "
                                "✓ = ours agree")


# ---------------------------------------------------------------------------
# replace and sweep


def replace_dict(net: NetworkCost, info: Any, cands: list[Any], total: int, evaluated: int,
                 tol: float) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA_VERSION, "name": net.name, "stage": info.label,
        "tolerance": tol, "evaluated": evaluated, "matching": total,
        "original": {"complexity": info.complexity, "params": info.params,
                     "conv_layers": info.conv_layers},
        "candidates": [{"notation": c.notation(info.n_out), "stage": c.stage_text(info),
                        "layers": c.layers, "size": c.size, "width": c.width,
                        "complexity": c.complexity, "ratio": c.ratio, "params": c.params,
                        "rf": c.rf} for c in cands],
    }


def render_replace(net: NetworkCost, info: Any, cands: list[Any], total: int, evaluated: int,
                   tol: float, fmt: Format) -> Any:
    if fmt is Format.JSON:
        return to_json(replace_dict(net, info, cands, total, evaluated, tol))
    human = fmt is not Format.CSV
    num = humanize if human else str
    header = ["#", f"stage {info.label}", "layers", "Eq. (1)", "comp.", "params", "rf"]
    rows = [[str(i), c.notation(info.n_out), str(c.layers), num(c.complexity),
             f"{c.ratio:.3f}" if human else f"{c.ratio:.6f}", num(c.params), str(c.rf)]
            for i, c in enumerate(cands, 1)]
    title = (f"{net.name or 'network'} stage {info.label}: {info.conv_layers} conv layers, "
             f"Eq. (1) {humanize(info.complexity)}, conv params {humanize(info.params)} — "
             f"{total} of {evaluated:,} candidates within ±{100 * tol:g}%"
             + (f", best {len(cands)} shown" if len(cands) < total else ""))
    if fmt is Format.CSV:
        return csv_text([["rank", "notation", "layers", "complexity", "ratio", "params", "rf"], *rows])
    if fmt is Format.MARKDOWN:
        return f"### {title}\n\n" + md_table(header, rows, "rlrrrrr")
    return simple_table(header, rows, "rlrrrrr", title=title,
                        caption="comp. = Eq. (1) relative to the original stage; "
                                "params = the stage's convolution weights (and biases); "
                                "rf = receptive field at the stage's output")


def render_sweep(grid: Any, found: Any, budget: int | None, fmt: Format) -> Any:
    """A grid (widths × resolutions) of params and MACs, or per resolution the
    largest width within a MACs budget."""
    human = fmt is not Format.CSV and fmt is not Format.JSON
    num = humanize if human else (lambda n: n)
    if found is not None:
        data = [{"resolution": r, "width": w, "params": n.totals.params if n else None,
                 "macs": n.totals.macs if n else None} for r, w, n in found]
        if fmt is Format.JSON:
            return to_json({"schema": JSON_SCHEMA_VERSION, "target_macs": budget, "results": data})
        header = ["resolution", "largest width", "params", "MACs"]
        rows = [[str(d["resolution"]), "none fits" if d["width"] is None else f"{d['width']:.2f}",
                 "" if d["params"] is None else str(num(d["params"])),
                 "" if d["macs"] is None else str(num(d["macs"]))] for d in data]
        title = f"largest width multiplier within {humanize(budget or 0)} MACs"
    else:
        widths, resolutions, cells = grid
        data = [{"width": w, "resolution": r, "params": c.totals.params, "macs": c.totals.macs}
                for w, row in zip(widths, cells) for r, c in zip(resolutions, row)]
        if fmt is Format.JSON:
            return to_json({"schema": JSON_SCHEMA_VERSION, "grid": data})
        if fmt is Format.CSV:
            return csv_text([["width", "resolution", "params", "macs"],
                             *([d["width"], d["resolution"], d["params"], d["macs"]] for d in data)])
        header = ["width", "params", *(f"MACs @{r}" for r in resolutions)]
        rows = [[f"{w:g}", humanize(row[0].totals.params), *(humanize(c.totals.macs) for c in row)]
                for w, row in zip(widths, cells)]
        title = "params and MACs by width multiplier and resolution"
    if fmt is Format.CSV:
        return csv_text([header, *rows])
    if fmt is Format.MARKDOWN:
        return f"### {title}\n\n" + md_table(header, rows, "r" * len(header))
    return simple_table(header, rows, "r" * len(header), title=title)
