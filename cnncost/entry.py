"""The `cnncost` script's entry point: the commonest questions asked without click.

`cnncost analyze SPEC --format json` (or csv, markdown) — what a CI job runs on
every commit — and `cnncost analyze SPEC`, its table at a terminal or written to
a pipe or a file, are answered here by the very calls the click command makes
(resolve.load, costs.analyze, report.render_analysis with the command's defaults
— for JSON the two calls it makes, jsondoc.analysis_dict and jsondoc.chunked,
without importing report's tables — and piped.piped_table, as cli.emit writes a
table), so the text is the same to the byte; so is `cnncost replace SPEC --stage
S` with its search options (the command's own body, commands.replace). Neither
imports click nor builds the command tree, which is a third of such a run.
Anything else — another command or option, a table that rich must lay out (one
too wide for the terminal, a dumb terminal), an error, a note for stderr, a
write that fails — goes to cli.main, which does the whole run itself, with its
messages and exit codes.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any

FORMATS = ("json", "csv", "markdown", "table")
# The options each quick command reads (the command's own names): `--name VALUE`,
# `--name=VALUE`, or the short form with its value after it.
ANALYZE = {"--format": "fmt", "-f": "fmt"}
REPLACE = {"--stage": "stage", "--tolerance": "tolerance", "--sizes": "sizes",
           "--depth": "depth_range", "--widths": "widths", "--top": "top", **ANALYZE}


def quick(args: list[str]) -> Any:
    """The output of `cnncost ARGS` (a str, or jsondoc.Chunks for JSON) when it is a
    plain `analyze SPEC [--format F]` or `replace SPEC --stage S [its search options]
    [--format F]` whose spec is read and costed without an error or a note for
    stderr, and for the table when it is written directly (piped.piped_table); None for
    everything else."""
    if len(args) < 2 or args[1].startswith("-") or args[0] not in ("analyze", "replace"):
        return None
    opts = _options(args[2:], ANALYZE if args[0] == "analyze" else REPLACE)
    if opts is None:
        return None
    fmt = opts.pop("fmt", "table")  # a table written directly where it can be (piped.piped_table)
    if fmt not in FORMATS:
        return None
    try:
        from .resolve import load
        if args[0] == "analyze":
            from .costs import analyze
            from .resolve import one_network
            net = one_network(load(args[1]), None)
            cost = analyze(net.graph(None, None), 1, "fp32")
            if cost.graph.uncosted:
                return None  # cli prints the note
            if fmt == "json":  # report's renderer for JSON, without importing report
                from .jsondoc import analysis_dict, chunked
                return chunked(lambda: analysis_dict(cost, None, None, None))
            from .report import Format, render_analysis
            out = render_analysis(cost, Format(fmt))
        else:
            from .report import Format
            if "stage" not in opts or not opts.setdefault("top", "0").isdecimal():
                return None  # click says --stage is missing, or reads --top's number
            from .commands import replace
            from .report import render_replace
            opts["top"] = int(opts["top"])
            _, cost, info, shown, found, evaluated, tol = replace(lambda: load(args[1]), **opts)
            out = render_replace(cost, info, shown, found, evaluated, tol, Format(fmt))
        if fmt == "table":
            from .piped import piped_table
            return piped_table(out)
        return out
    except Exception:  # noqa: BLE001 - cli says what is wrong, with its message and status
        return None


def _options(rest: list[str], names: dict[str, str]) -> dict[str, Any] | None:
    """The options in `rest` by their parameter names, each of `names` given once
    with a value that is no option; None for anything else (another option or a
    flag, a repeat, a second argument, a value that looks like an option): click
    reads those, with its messages."""
    out: dict[str, Any] = {}
    i = 0
    while i < len(rest):
        name, eq, value = rest[i].partition("=") if rest[i].startswith("--") else (rest[i], "", "")
        key = names.get(name)
        if key is None or key in out:
            return None
        if not eq:
            if i + 1 == len(rest):
                return None
            i += 1
            value = rest[i]
        if value.startswith("-"):
            return None
        out[key] = value
        i += 1
    return out


def main(prog_name: Any = None) -> None:
    # The cycle collector would walk every object made so far, again and again as
    # a long spec's rows are made (~15% of a 100k-layer run), and find only a few
    # hundred objects a run in cycles, however long the spec: it is off while the
    # quick answer is made and written, on again for click's run.
    import gc
    gc.disable()
    global _bundle
    from .bundle import install
    _bundle = install()  # the package's modules from one file (cnncost.bundle)
    text = quick(sys.argv[1:]) if sys.stdout is not None else None
    if text is not None:
        try:
            for piece in (text,) if isinstance(text, str) else text:
                sys.stdout.write(piece)
            sys.stdout.flush()
            _exit(0)
            return
        except OSError:
            pass  # cli writes it again and handles the error (a closed pipe, a full disk)
        except Exception as e:  # a bug while writing the pieces: cli's one-line report
            from .cli import Exit, _internal_error
            _internal_error(e, debug=False)
            sys.exit(Exit.INTERNAL)
    gc.enable()
    from .cli import main as cli_main
    try:
        cli_main(prog_name=prog_name)
    except SystemExit as e:  # click's standalone mode ends every run so
        if e.code is None or type(e.code) is int:
            _exit(e.code or 0)
        raise


def _exit(code: int) -> None:
    """End the process now, once what it wrote is flushed: tearing down the
    interpreter (every module, every object) is ~10 ms of a zoo network's run and
    changes nothing outside. Only the script does this (cnncost.__main__ and the
    console script); an embedding program's cli.main or quick returns as usual.
    Where a stream cannot be flushed, the normal exit reports it."""
    import os
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except Exception:  # noqa: BLE001 - Python's own exit says what went wrong
        return
    from .bundle import refresh
    refresh(_bundle)  # written again where it was absent or out of date, after the answer
    os._exit(code)


_bundle = None  # the bundle's finder main installed, if any
