"""GitHub-native output: workflow commands, the step summary and benchmark entries.

* `check --format github` prints one ``::error`` workflow command per failed
  limit — on the spec file and line of the stage (or layer) most to blame, when
  the spec is a file — and a last line that sums it up (docs/ci.md).
* With ``$GITHUB_STEP_SUMMARY`` set, `check` and `diff` append a markdown summary
  to it: the totals first, the per-layer details inside ``<details>``.
* ``--format benchmark-json`` is github-action-benchmark's `customSmallerIsBetter`
  input: a list of ``{"name", "unit", "value"}``, one per network and metric.

Pure: values in, text out; the CLI writes it.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

from .metrics import BUDGETS, BY_KEY
from .report import Report, Table, check_report, humanize, humanize_bytes, render_markdown

# ---------------------------------------------------------------------------
# Workflow commands (docs.github.com: "Workflow commands for GitHub Actions")


def escape_data(text: str) -> str:
    """A command's message: % CR and LF escaped, so a message is one line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value (file=…, title=…): also : and , which end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **properties: Any) -> str:
    """'::error file=a.yaml,line=3,title=T::message' — properties that are None are left out."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in properties.items()
                     if v is not None)
    return f"::{command}{' ' + props if props else ''}::{escape_data(message)}"


class Blame(NamedTuple):
    """Where a failed limit comes from: a stage (or the layer at a peak) and its place."""

    what: str  # 'most of it in stage 3 (62.1% of params)', 'stage 3 grew most (+1.20M params)'
    file: str | None  # the spec file, relative to the working directory; None: not a file
    line: int | None


def _label(metric: str, c: Any) -> str:
    """A limited metric in words: 'params', 'MACs', 'peak memory', 'fvcore count'."""
    m = BY_KEY.get(metric)
    if m is None:
        return f"{c.count.tool} count"
    return "peak memory" if m.total == "max" else m.label


def _amount(metric: str, n: int) -> str:
    m = BY_KEY.get(metric)
    return humanize_bytes(n) if m is not None and m.unit == "bytes" else humanize(n)


def span_place(span: Any) -> tuple[str, int, int] | None:
    """(file, line, column) of a span in a spec file under the working directory;
    None for a built-in spec, the command line, standard input or a file elsewhere."""
    if span is None or not span.source.name or not os.path.isfile(span.source.name):
        return None
    path = os.path.relpath(span.source.name)
    if os.path.isabs(path) or path.split(os.sep)[0] == os.pardir:
        return None  # outside the checkout: GitHub could not show it
    return (path.replace(os.sep, "/"), *span.location())


def _place(net: Any, row: Any) -> tuple[str | None, int | None]:
    """The spec file and line where a layer was written (span_place)."""
    place = span_place(net.graph.nodes[row.index - 1].span)
    return (place[0], place[1]) if place else (None, None)


def blame(c: Any, lim: Any) -> Blame | None:
    """The stage most to blame for a failed limit: over a baseline, the one whose
    metric grew most; for an absolute limit, the one holding the most of it; for a
    peak (peak memory), the layer where it peaks. None for a tool's count."""
    m = BY_KEY.get(lim.metric)
    net = c.net
    if m is None or not net.rows:
        return None
    if m.total == "max":
        row = max(net.rows, key=lambda r: getattr(r, m.key))  # the first at the peak
        return Blame(f"the peak is at layer {row.name} in stage {row.stage}", *_place(net, row))
    stages = net.stages
    if lim.increase is not None and c.baseline is not None:
        from .comparison import comparable_stages
        before = {s.name: s.totals[m.key] for s in c.baseline.stages}
        if comparable_stages(list(before), [s.name for s in stages]):
            growth = [(s.totals[m.key] - before.get(s.name, 0), s, m) for s in stages]
        else:  # other stage boundaries: check's own growth (Eq. (1), by alignment)
            by_name = {s.name: s for s in stages}
            growth = [(g.after - g.before, by_name[g.stage], BY_KEY["complexity"])
                      for g in c.growth[:1]]
        grew, stage, by = max(growth, key=lambda x: x[0], default=(0, None, m))
        if stage is None or grew <= 0:
            return None
        return Blame(f"stage {stage.name} grew most (+{_amount(by.key, grew)} {by.label})",
                     *_place(net, stage.rows[0]))
    stage = max(stages, key=lambda s: s.totals[m.key])
    whole = net.totals[m.key]
    pct = f" ({100 * stage.totals[m.key] / whole:.1f}% of {m.label})" if whole else ""
    return Blame(f"most of it in stage {stage.name}{pct}", *_place(net, stage.rows[0]))


def github_check(c: Any) -> str:
    """`check --format github`: an ::error per failed limit, then one summary line
    (a ::notice when every limit holds)."""
    from .report import rule
    name = c.net.name or "network"
    lines = []
    for lim in c.limits:
        if lim.ok:
            continue
        label = _label(lim.metric, c)
        pct = 100 * lim.margin / lim.limit if lim.limit else None
        over = "" if pct is None else f" (+{pct:.2f}%)" if pct >= 0.01 else " (+<0.01%)"
        message = (f"{name}: {label} {_amount(lim.metric, lim.value)} ({lim.value}) is over the "
                   f"limit {_amount(lim.metric, lim.limit)} ({lim.limit}, {rule(c, lim)}) by "
                   f"{_amount(lim.metric, lim.margin)}{over}")
        where = blame(c, lim)
        if where is not None:
            message += f"; {where.what}"
        lines.append(workflow_command("error", message,
                                      file=where.file if where else None,
                                      line=where.line if where and where.file else None,
                                      title=f"cnncost check: {label} over budget"))
    failed = [lim.metric for lim in c.limits if not lim.ok]
    n = len(c.limits)
    if failed:
        lines.append(f"cnncost check: {name} is over budget: {len(failed)} of {n} "
                     f"limit{'s' if n != 1 else ''} failed ({', '.join(failed)})")
    else:
        lines.append(workflow_command("notice", f"{name} is within budget: "
                                      f"{n} limit{'s hold' if n != 1 else ' holds'} "
                                      f"({', '.join(lim.metric for lim in c.limits)})",
                                      title="cnncost check passed"))
    return "\n".join(lines) + "\n"


def github_error(e: Any) -> str:
    """Bad input (a CnnCostError) as an ::error, on the spec's line and column where
    the error has them, its hint after the message."""
    place = span_place(e.span)
    hint = e.cli_hint or e.hint
    return workflow_command("error", e.message + (f" (hint: {hint})" if hint else ""),
                            file=place[0] if place else None, line=place[1] if place else None,
                            col=place[2] if place else None,
                            title="cnncost: bad input") + "\n"


# ---------------------------------------------------------------------------
# The step summary ($GITHUB_STEP_SUMMARY)


def _details(summary: str, report: Report) -> str:
    """A collapsed section; the blank lines let GitHub render the markdown inside."""
    return f"<details><summary>{summary}</summary>\n\n{render_markdown(report)}\n</details>\n"


def _summary(title: str, first: tuple[Table, ...], details: list[tuple[str, Report]]) -> str:
    head = render_markdown(Report(first, title=title))
    return head + "".join("\n" + _details(s, r) for s, r in details) + "\n"


def check_summary(c: Any) -> str:
    """The limits first; the stages and every layer's costs collapsed."""
    from .report import analysis_report
    report = check_report(c)
    limits, growth = report.tables
    layers = analysis_report(c.net)._replace(title=None)
    return _summary(report.title or "cnncost check", (limits,),
                    [(growth.title or "stages", Report((growth._replace(title=None),))),
                     (f"per-layer costs of {c.net.name or 'the network'}", layers)])


def diff_summary(d: Any) -> str:
    """The totals first; the changed layers (and the stages) collapsed."""
    from .report import Format, diff_report
    report = diff_report(d)
    layers, *stages, totals = report.tables
    details = [("stages", Report((stages[0],)))] if stages else []
    if Format.MARKDOWN in layers.formats:  # some layer differs
        details.append(("layers that differ", Report((layers._replace(title=None),))))
    return _summary(report.title or "cnncost diff", (totals,), details) + (
        f"{report.note}\n\n" if report.note else "")


# ---------------------------------------------------------------------------
# github-action-benchmark (tool: customSmallerIsBetter)


def _unit(m: Any) -> str:
    return "bytes" if m.unit == "bytes" else m.label


def benchmark_entries(name: str, totals: Any, count: Any = None) -> list[dict[str, Any]]:
    """One {"name", "unit", "value"} per metric a budget can limit, exact ints:
    'he2015-a params', unit 'params', 60909608."""
    out = [{"name": f"{name} {m.total_name}", "unit": _unit(m), "value": totals[m.key]}
           for m in BUDGETS]
    if count is not None:
        out.append({"name": f"{name} count ({count.tool})", "unit": count.tool,
                    "value": count.total})
    return out


def benchmark_analysis(net: Any, count: Any = None) -> list[dict[str, Any]]:
    return benchmark_entries(net.name or "network", net.totals, count)


def benchmark_comparison(cmp: Any, counts: Any = None, prefix: str = "") -> list[dict[str, Any]]:
    """Every model's entries; `prefix` names the family ('he2015 ' → 'he2015 A params')."""
    return [e for i, r in enumerate(cmp.rows)
            for e in benchmark_entries(prefix + r.name, r.totals, counts[i] if counts else None)]


def benchmark_check(c: Any) -> list[dict[str, Any]]:
    return benchmark_analysis(c.net, c.count)
