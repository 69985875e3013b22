"""The `cnncost` script's entry point: the commonest question asked without click.

`cnncost analyze SPEC --format json` (or csv, markdown) — what a CI job runs on
every commit — and `cnncost analyze SPEC` written to a pipe or a file are
answered here by the very calls the click command makes (resolve.load,
costs.analyze, report.render_analysis with the command's defaults, and
piped.piped_table, as cli.emit writes a table), so the text is the same to the
byte, without importing click and building the command tree, which is a third
of such a run. Anything else — another command or option, a table for a
terminal, an error, a note for stderr, a write that fails — goes to cli.main,
which does the whole run itself, with its messages and exit codes.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any

FORMATS = ("json", "csv", "markdown", "table")


def quick(args: list[str]) -> Any:
    """The output of `cnncost ARGS` (a str, or report.Chunks for JSON) when it is a
    plain `analyze SPEC [--format F]` whose spec is read and costed without an error
    or a note for stderr, and for the table when it is written directly (piped);
    None for everything else."""
    if len(args) < 2 or args[0] != "analyze" or args[1].startswith("-"):
        return None
    rest = args[2:]
    if not rest:
        fmt = "table"  # to a pipe or a file (piped.piped_table); a terminal gets rich's
    elif len(rest) == 1 and rest[0].startswith("--format="):
        fmt = rest[0][len("--format="):]
    elif len(rest) == 2 and rest[0] in ("--format", "-f"):
        fmt = rest[1]
    else:
        return None
    if fmt not in FORMATS:
        return None
    try:
        from .costs import analyze
        from .report import Format, render_analysis
        from .resolve import load, one_network
        net = one_network(load(args[1]), None)
        cost = analyze(net.graph(None, None), 1, "fp32")
        if cost.graph.uncosted:
            return None  # cli prints the note
        out = render_analysis(cost, Format(fmt))
        if fmt == "table":
            from .piped import piped_table
            return piped_table(out)
        return out
    except Exception:  # noqa: BLE001 - cli says what is wrong, with its message and status
        return None


def main(prog_name: Any = None) -> None:
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
    os._exit(code)
