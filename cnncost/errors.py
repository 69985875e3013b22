"""The one error type cnncost raises for bad input, and how it draws itself.

Every error carries the source text it is about and the span of the offending
token, so the message can show the line with a caret under it::

    error: unknown layer 'maxp' (did you mean 'max-p'?)
      64F(7,7,3,s=2) -> maxp(3,3,3)
                        ^~~~

The CLI prints ``str(err)`` and exits with status 2; nothing else is shown.
"""

from __future__ import annotations

from .record import NamedTuple, Record, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:  # collections costs a sixth of a bare interpreter's start to import
    from collections.abc import Iterable


class Source(Record):
    """A piece of spec text and where it came from."""

    text: str  # the spec text exactly as the user typed it
    name: str = ""  # file path, or "" for a literal spec on the command line
    line: int = 1  # line in `name` where `text` starts (YAML values start mid-file)
    column: int = 1  # column in `name` where `text` starts
    indent: int = 0  # columns YAML stripped from each later line of a block scalar


class Span(NamedTuple):
    """Half-open character range [start, end) into a Source (a named tuple: one a
    layer typed; equal by start and end)."""

    source: Source = field(repr=False, compare=False)
    start: int = 0
    end: int = 0

    def location(self) -> tuple[int, int]:
        """1-based (line, column) of the span's start in the source's file."""
        before = self.source.text[: self.start]
        line_in_text = before.count("\n")
        col_in_line = self.start - (before.rfind("\n") + 1)
        line = self.source.line + line_in_text
        column = (self.source.column if line_in_text == 0 else 1 + self.source.indent) + col_in_line
        return line, column


class CnnCostError(Exception):
    """Bad input: a message, optionally the span it is about, and a hint.

    The core never names command-line flags; where the fix is a flag, `cli_hint`
    says it in the CLI's words and the CLI shows it instead of `hint`."""

    def __init__(self, message: str, span: Span | None = None, hint: str = "",
                 cli_hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.cli_hint = cli_hint

    def for_cli(self) -> str:
        """The message as the command line shows it."""
        if not self.cli_hint:
            return str(self)
        return str(CnnCostError(self.message, self.span, self.cli_hint))

    def __str__(self) -> str:
        out = [f"error: {self.message}"]
        span = self.span
        if span is not None:
            if span.source.name:
                line, column = span.location()
                out.append(f"  --> {span.source.name}:{line}:{column}")
            if span.source.text.strip():  # an empty line (the end of a file) has nothing to point at
                out.extend(_caret_lines(span))
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)


def _caret_lines(span: Span) -> list[str]:
    """The source line holding the span's start, and a caret line under it."""
    text = span.source.text
    start = min(max(span.start, 0), len(text))
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if line_end == -1:
        line_end = len(text)
    line = text[line_start:line_end]
    # Tabs would misalign the caret: one space each. Other unprintable characters
    # (an escape sequence would reach the terminal) show as U+FFFD, one column each.
    shown = "".join(" " if ch == "\t" else ch if ch.isprintable() else "\ufffd" for ch in line)
    if len(shown) > 160:  # keep very long generated specs readable
        lo = max(0, start - line_start - 60)
        shown = ("…" if lo else "") + shown[lo : lo + 120] + "…"
        offset = start - line_start - lo + (1 if lo else 0)
    else:
        offset = start - line_start
    width = max(1, min(span.end, line_end) - start)
    width = min(width, max(1, len(shown) - offset))
    return [f"  {shown}", "  " + " " * offset + "^" + "~" * (width - 1)]


def shorten(text: str, limit: int = 40) -> str:
    """User text for a message: at most `limit` characters, cut with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest choice, or ''."""
    import difflib  # only on the error path
    match = difflib.get_close_matches(word.lower(), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
