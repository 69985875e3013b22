"""Where the terminal tables go when stdout is no terminal: a pipe or a file.

rich lays a table out cell by cell (~1 ms a row); when stdout is a pipe or a
file and the tables fit at their natural widths, report.TerminalTables writes
the same text directly. This module decides that, without importing click or
rich, so the script's entry point (cnncost.entry) answers `cnncost analyze SPEC
> file` itself, and cli.emit does the same for every command.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any


def piped_table(value: Any) -> str | None:
    """The terminal tables as rich prints them to a pipe or a file (no terminal, no
    colour), written directly when they fit at their natural widths
    (report.TerminalTables.plain_text); None where rich would do more: a terminal,
    forced colour, a non-UTF-8 stream, a table that must wrap or hide columns."""
    plain_text = getattr(value, "plain_text", None)
    if plain_text is None or sys.platform == "win32":
        return None
    env = os.environ
    if env.get("TTY_COMPATIBLE", "") in ("1", "0") or env.get("FORCE_COLOR") is not None:
        return None
    try:
        if sys.stdout.isatty():
            return None
    except ValueError:
        pass
    if not (getattr(sys.stdout, "encoding", None) or "utf-8").lower().startswith("utf"):
        return None
    return plain_text(whole_width(value, console_width()), no_color())


def console_width() -> int:
    """rich's Console width where it is not a terminal: COLUMNS, else the size of
    the first standard stream that is a terminal, else 80."""
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
