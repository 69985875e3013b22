"""Where the terminal tables go when they can be written directly: a pipe, a file
or a terminal.

rich lays a table out cell by cell (~1 ms a row); when the tables fit at their
natural widths, report.TerminalTables writes the same text directly — to a pipe
or a file as rich prints it there (no styles), to a terminal as rich prints it
there (the title italic, the header and footer bold, the caption dim italic;
no styles under NO_COLOR). This module decides that, without importing click or
rich, so the script's entry point (cnncost.entry) answers `cnncost analyze SPEC`
itself, and cli.emit does the same for every command.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any


def piped_table(value: Any) -> str | None:
    """The terminal tables as rich prints them to stdout — a pipe or a file (no
    colour, widened so that no value is cut) or a terminal (its width, its styles) —
    written directly when they fit at their natural widths
    (report.TerminalTables.plain_text); None where rich would do more: forced
    colour or terminal, a dumb terminal, a notebook, a non-UTF-8 stream, a table
    that must wrap or hide columns."""
    plain_text = getattr(value, "plain_text", None)
    if plain_text is None or sys.platform == "win32":
        return None
    env = os.environ
    if env.get("TTY_COMPATIBLE", "") in ("1", "0") or env.get("FORCE_COLOR") is not None:
        return None
    try:
        terminal = sys.stdout.isatty()
    except ValueError:
        terminal = False
    if not (getattr(sys.stdout, "encoding", None) or "utf-8").lower().startswith("utf"):
        return None
    if terminal:  # rich's Console there: its width, its styles unless NO_COLOR
        if env.get("TERM", "").strip().lower() in ("dumb", "unknown") \
                or "idlelib" in sys.modules or "IPython" in sys.modules:
            return None  # rich: 80 columns without styles, or no terminal at all
        plain = no_color()
        return plain_text(console_width(), plain, not plain)
    return plain_text(whole_width(value, console_width()), no_color())


def console_width() -> int:
    """rich's Console width: COLUMNS, else the size of the first standard stream
    that is a terminal, else 80."""
    columns = os.environ.get("COLUMNS")
    if columns is not None and columns.isdigit():
        return int(columns)
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or 80
        except (AttributeError, ValueError, OSError):
            pass
    return 80


def no_color() -> bool:
    """Whether NO_COLOR (no-color.org) is set: then the terminal table has no
    styles (no bold) and no emoji — plain words instead (report.Marked)."""
    return bool(os.environ.get("NO_COLOR"))


def whole_width(value: Any, width: int) -> int:
    """The width to print at so that no value is cut: the given one when the tables
    fit it (prose columns may wrap), else the widest table's least width."""
    whole = getattr(value, "whole_width", None)
    return max(width, whole(no_color()) if whole else 0)
