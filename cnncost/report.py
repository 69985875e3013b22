"""Report values, humanised units, and one renderer per format.

A command's result is rendered one of two ways. Its JSON document is a plain
dict: the documented contract, richer than the tables, written by
:mod:`cnncost.jsondoc` (which also builds the analysis document, so that
`analyze --format json` imports none of the tables' code; its names are
re-exported here). For every other format
it is a :class:`Report` — titled tables of typed columns whose rows hold
numbers, not text — that the terminal-table, CSV and markdown renderers turn
into text. RENDERERS maps every Format to its renderer (a Format without one
fails at import), and an :class:`Output` builds only what the chosen format
needs: `analyze --format json` builds no table.

Renderers return a value (a string, or a rich renderable for the terminal) and
never print; the CLI's single `emit` path prints. Machine formats (CSV, JSON)
carry exact numbers; only the table and markdown humanise. rich is imported
only by the terminal renderer, so JSON output starts fast.

Cells: a str is text, the same in every format (CSV neutralises formulas in
it, see :func:`safe_cell`); None is a value that does not exist (– in the table
and markdown, an empty CSV cell); any other value is shown as its column's
:class:`Kind` says.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from fractions import Fraction
    from typing import Any

from . import lazyre
from .choice import Choice
from .costs import LayerCost, NetworkCost, StageCost, Totals
from .jsondoc import (  # the JSON writer and the analysis document, kept apart (and re-exported)
    JSON_SCHEMA_VERSION, LAYER_KEYS, PIECE, Chunks, LayerDicts, _metric_values, _roofline,
    analysis_dict, chunked, count_dict, exact, fold_dict, json_chunks, layer_dict, layer_values,
    shape_list, stage_dict, to_json, totals_dict,
)
from .layers import BY_CLASS
from .memory import intensity
from .metrics import BASELINE, BUDGETS, BY_KEY, COLUMNS, METRICS
from .model import Shape
from .record import NamedTuple


class Format(Choice):
    TABLE = "table"
    CSV = "csv"
    MARKDOWN = "markdown"
    JSON = "json"
    GITHUB = "github"  # workflow commands (check): cnncost.ci
    BENCHMARK_JSON = "benchmark-json"  # github-action-benchmark's customSmallerIsBetter
    HTML = "html"  # one self-contained page (cnncost.html): analyze, compare and diff


def _later(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
    """fn(*args, **kwargs), when called: an Output's builders (functools.partial,
    without importing functools and collections, ~a sixth of a bare interpreter's start)."""
    return lambda: fn(*args, **kwargs)


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


_BINARY = ("B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")


def humanize_bytes(n: int) -> str:
    """Bytes in binary units, three significant digits: 512 B, 1.50 KiB, 7.02 MiB."""
    if n < 1024:
        return f"{n} B"
    exp = 0
    v = float(n)
    while v >= 1024 and exp < len(_BINARY) - 1:
        v /= 1024
        exp += 1
    for decimals, limit in ((2, 10), (1, 100), (0, 1024)):
        text = f"{v:.{decimals}f}"
        if float(text) < limit:
            break
    return f"{text} {_BINARY[exp]}"


def seconds(s: float) -> str:
    """A duration, three significant digits: 12.3 µs, 4.56 ms, 1.20 s."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale or unit == "ns":
            v = s / scale
            return f"{v:.3g} {unit}"
    return f"{s:g} s"  # pragma: no cover


def signed(n: int) -> str:
    """A difference, humanised: +12.3M, -4.10K, 0."""
    return ("+" if n > 0 else "") + humanize(n)


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "–"


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


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


_NUMBER = lazyre.compile(r"[+-]?\d+(?:\.\d+)?")


def safe_cell(text: str) -> str:
    """Neutralise spreadsheet formulas in user-supplied text (CSV injection):
    a cell starting with = + - @ tab or CR gets a leading ' — unless it is a number."""
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class Verbatim(str):
    """Text cnncost wrote itself (a flag name such as --max-params): CSV keeps it as it is."""

    __slots__ = ()


def layer_notation(row: LayerCost) -> str:
    """The canonical spelling of the row's layer (printer.format_layer's)."""
    layer = row.layer
    return BY_CLASS[type(layer)].notation(layer)


# ---------------------------------------------------------------------------
# The report value


class Kind(Choice):
    """How a column shows its values (its str cells are shown as they are)."""

    TEXT = "text"  # str cells only
    CODE = "code"  # notation: `code` in markdown
    SHAPE = "shape"  # a Shape, as HxWxC
    COUNT = "count"  # an int: humanised (12.3M) in the table and markdown, exact in CSV
    BYTES = "bytes"  # an int of bytes: binary units (7.02 MiB) in the table and markdown
    SECONDS = "seconds"  # a float: 12.3 µs in the table and markdown, exact in CSV
    EXACT = "exact"  # an int, a Fraction (1/2) or a float: exact everywhere
    SIGNED = "signed"  # a difference: +12.3M, -4.1K in the table and markdown, exact in CSV
    RATIO = "ratio"  # a float: the column's `decimals` in the table and markdown, 6 in CSV
    PERCENT = "percent"  # a Share: 31.0%
    SHARE = "share"  # a Share: 31.0%, and in the terminal a bar after it


_NUMBERS = frozenset({Kind.SHAPE, Kind.COUNT, Kind.EXACT, Kind.SIGNED, Kind.RATIO, Kind.PERCENT,
                      Kind.BYTES, Kind.SECONDS})


# The report's value types are named tuples (record.NamedTuple), not dataclasses:
# immutable all the same, and a tenth of the cost to define, which every
# `analyze --format json` pays at import (docs/performance.md).


class Share(NamedTuple):
    part: int
    whole: int  # 0: no share exists (shown as –)


class Column(NamedTuple):
    label: str | None  # header in the terminal table and markdown; None: CSV only
    kind: Kind = Kind.TEXT
    key: str | None = None  # CSV header; None: not in CSV
    align: str = ""  # "l" or "r"; "": numbers right, text left
    wrap: bool = False  # the terminal may wrap it onto more lines
    fold: bool = False  # the terminal breaks a word too long for it rather than cut it (…)
    min_width: int | None = None  # the terminal's narrowest
    decimals: int = 2  # RATIO: decimals in the table and markdown
    # A terminal too narrow for the whole table hides the columns with hide > 0,
    # 1 first, then 2, …, naming them in the caption; 0: never hidden.
    hide: int = 0


HUMAN = frozenset({Format.TABLE, Format.MARKDOWN})
EVERYWHERE = frozenset({Format.TABLE, Format.CSV, Format.MARKDOWN})


class Table(NamedTuple):
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]  # one value per column
    title: str | None = None  # above it in the terminal (markdown: from the second table on)
    caption: str | None = None  # under it in the terminal
    footer: tuple[Any, ...] | None = None  # totals: the terminal's footer, markdown's bold last row
    breaks: frozenset[int] = frozenset()  # rows after which the terminal draws a rule
    formats: frozenset[Format] = EVERYWHERE  # where it is shown


class Report(NamedTuple):
    """What a command shows: tables, a markdown heading and a markdown note.
    CSV shows the first table it is for (a CSV file holds one table)."""

    tables: tuple[Table, ...]
    title: str | None = None  # markdown's heading (the terminal titles each table)
    note: str | None = None  # markdown's paragraph after the tables


class Output(NamedTuple):
    """A command's result, built only in the form the chosen format renders."""

    report: Callable[[], Report]  # for the table, CSV and markdown
    data: Callable[[], Any]  # the JSON document
    github: Callable[[], str] | None = None  # workflow commands, where a command has them
    benchmark: Callable[[], list[Any]] | None = None  # github-action-benchmark entries
    page: Callable[[], str] | None = None  # the HTML page; None: the report's tables as one


def cell_text(value: Any, col: Column, human: bool) -> str:
    """A cell as text: for the table and markdown (human) or for CSV (exact)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "–" if human else ""
    kind = col.kind
    if kind is Kind.COUNT and human:
        return humanize(value)
    if kind is Kind.BYTES and human:
        return humanize_bytes(value)
    if kind is Kind.SECONDS and human:
        return seconds(value)
    if kind is Kind.SIGNED and human:
        return signed(value)
    if kind is Kind.RATIO:
        return f"{value:.{col.decimals if human else 6}f}"
    if kind is Kind.PERCENT or kind is Kind.SHARE:
        return share(value.part, value.whole)
    return str(value)  # exact: str(Fraction(1, 2)) is '1/2', str(Shape) 'HxWxC'


def _align(col: Column, terminal: bool) -> str:
    if col.align:
        return col.align
    if col.kind is Kind.SHARE:  # the terminal's bar grows rightwards from the number
        return "l" if terminal else "r"
    return "r" if col.kind in _NUMBERS else "l"


def _shown(t: Table, csv: bool = False) -> list[tuple[int, Column]]:
    return [(i, c) for i, c in enumerate(t.columns) if (c.key if csv else c.label) is not None]


# ---------------------------------------------------------------------------
# Renderers: one per format


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows → CSV text with \\n line ends (csv is imported only when CSV is asked for)."""
    import csv
    import io
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def render_csv(report: Report) -> str:
    t = next(t for t in report.tables if Format.CSV in t.formats)
    cols = _shown(t, csv=True)

    def text(value: Any, col: Column) -> str:
        if isinstance(value, str) and not isinstance(value, Verbatim):
            return safe_cell(value)
        return cell_text(value, col, human=False)
    return csv_text([[c.key for _, c in cols],
                     *([text(row[i], c) for i, c in cols] for row in t.rows)])


def md_table(header: list[str], rows: list[list[str]], align: str) -> str:
    """align: one char per column, 'l' or 'r'."""
    def esc(c: str) -> str:
        return c.replace("|", "\\|")
    sep = ["---:" if a == "r" else ":---" for a in align]
    lines = ["| " + " | ".join(esc(h) for h in header) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _md_cell(value: Any, col: Column, footer: bool = False) -> str:
    text = cell_text(value, col, human=True)
    if col.kind is Kind.CODE and text:
        text = f"`{text}`"
    if footer and text and (isinstance(value, str) or col.kind is Kind.COUNT):
        text = f"**{text}**"  # the label and the totals
    return text


def _markdown_table(t: Table) -> str:
    cols = _shown(t)
    rows = [[_md_cell(r[i], c) for i, c in cols] for r in t.rows]
    if t.footer is not None:
        rows.append([_md_cell(t.footer[i], c, footer=True) for i, c in cols])
    return md_table([c.label or "" for _, c in cols], rows,
                    "".join(_align(c, terminal=False) for _, c in cols))


def render_markdown(report: Report) -> str:
    tables = [t for t in report.tables if Format.MARKDOWN in t.formats]
    parts = [(f"**{t.title}**\n\n" if i and t.title else "") + _markdown_table(t)
             for i, t in enumerate(tables)]
    return ((f"### {report.title}\n\n" if report.title else "") + "\n".join(parts)
            + (f"\n{report.note}\n" if report.note else ""))


class Marked(str):
    """Text with emoji (✅, ✓) that the terminal shows as words under NO_COLOR
    (PLAIN_WORDS): a title, a caption or a cell. Markdown, CSV and JSON are
    documents, not the terminal: they keep the emoji."""

    @property
    def plain(self) -> str:
        text = str(self)
        for emoji, word in PLAIN_WORDS:
            text = text.replace(emoji, word)
        return text


# What NO_COLOR puts for the emoji of check's headline and zoo's published column.
PLAIN_WORDS = (("✅ within budget", "within budget"), ("❌ over budget", "OVER BUDGET"),
               ("✓ = ours agree", "yes = ours agree"), (" ✓", " yes"), (" ✗", " no"))


def _plain(text: Any, plain: bool) -> Any:
    return text.plain if plain and isinstance(text, Marked) else text


def _terminal_cell(value: Any, col: Column, bars: bool = True, plain: bool = False) -> str:
    if col.kind is Kind.SHARE and isinstance(value, Share):
        return share_cell(value.part, value.whole) if bars else share(value.part, value.whole)
    return _plain(cell_text(value, col, human=True), plain)


def _table_width(widths: Iterable[int]) -> int:
    """The width of a terminal table with these column widths: one space at each
    edge, two between columns (the look _rich_table gives it)."""
    widths = list(widths)
    return sum(widths) + 2 * len(widths)


class _Cells(NamedTuple):
    """A table's terminal cells as text, and each column's widths: natural (every
    cell whole on one line) and least (a column that wraps: its longest word)."""

    cols: list[tuple[int, Column]]
    header: list[str]
    rows: list[list[str]]
    footer: list[str] | None
    natural: list[int]
    least: list[int]
    bars: bool  # the share columns have their bars

    def keep(self, ks: list[int]) -> _Cells:
        """The columns numbered ks only."""
        def pick(xs: list[Any]) -> list[Any]:
            return [xs[k] for k in ks]
        return self._replace(cols=pick(self.cols), header=pick(self.header),
                             rows=[pick(row) for row in self.rows],
                             footer=None if self.footer is None else pick(self.footer),
                             natural=pick(self.natural), least=pick(self.least))


# The characters beyond ASCII that the tables print, each one cell wide (rich's
# cell_len says so: a test checks): text made of these and printable ASCII is
# measured by len, without importing rich — a piped table then needs no rich at all.
NARROW = "·×±─█▉▊▋▌▍▎▏→–—…"
# Checked with a set, not a regex: re's import is a fifth of a bare interpreter's start.
_ONE_CELL = frozenset(map(chr, range(0x20, 0x7F))) | frozenset(NARROW)
_ONE_CELL_LINES = _ONE_CELL | {"\n"}  # the same, in lines joined by \n


def cell_len(text: str) -> int:
    """Terminal cells the text takes (rich's cell_len), without rich where it is plain."""
    if _ONE_CELL.issuperset(text):
        return len(text)
    from rich.cells import cell_len
    return cell_len(text)


def _cells(t: Table, bars: bool, plain: bool) -> _Cells:
    cols = _shown(t)
    header = [c.label or "" for _, c in cols]
    rows = [[_terminal_cell(r[i], c, bars, plain) for i, c in cols] for r in t.rows]
    footer = (None if t.footer is None else
              [_terminal_cell(t.footer[i], c, bars, plain) for i, c in cols])
    natural, least = [], []
    for k, (_, c) in enumerate(cols):
        column = [header[k], *(row[k] for row in rows), *((footer[k],) if footer else ())]
        joined = "\n".join(column)
        lines = joined.split("\n")
        plain_text = _ONE_CELL_LINES.issuperset(joined)
        natural.append(max(c.min_width or 0, *map(len if plain_text else cell_len, lines)))
        if c.wrap or (c.fold and c.kind not in _NUMBERS):  # prose: it may wrap at its spaces
            least.append(max(c.min_width or 0, *(cell_len(w) for text in lines for w in text.split())
                             or (0,)))
        else:
            least.append(natural[-1])
    return _Cells(cols, header, rows, footer, natural, least, bars)


class TerminalTable:
    """A report table for the terminal, laid out when printed at the console's
    width so that no number, name or shape is ever cut (docs/conventions.md, "The
    terminal table"): as it is when it fits (prose columns wrapping at their spaces);
    else without the share bars; else without the columns that `Column.hide`
    gives up first (named in the caption); else as one block of `label: value`
    lines per row."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self._cache: dict[tuple[bool, bool], _Cells] = {}

    def cells(self, bars: bool = True, plain: bool = False) -> _Cells:
        key = (bars, plain)
        if key not in self._cache:
            self._cache[key] = _cells(self.table, bars, plain)
        return self._cache[key]

    def whole_width(self, plain: bool = False) -> int:
        """Its natural width: every column whole on one line, prose unwrapped (what
        a pipe or a file gets, whatever COLUMNS says)."""
        return _table_width(self.cells(True, plain).natural)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        plain = bool(console.no_color)
        width = options.max_width
        cells = self.cells(True, plain)
        if _table_width(cells.least) > width:
            cells = self.cells(False, plain)  # the bars are decoration: they go first
        if _table_width(cells.least) <= width:
            yield _rich_table(self.table, cells, plain, width)
            return
        t = self.table
        for level in sorted({c.hide for _, c in cells.cols if c.hide}):
            keep = [k for k, (_, c) in enumerate(cells.cols) if not c.hide or c.hide > level]
            narrow = cells.keep(keep)
            if _table_width(narrow.least) <= width:
                hidden = ", ".join(h for k, h in enumerate(cells.header) if k not in keep)
                note = (f"hidden to fit {width} columns: {hidden} "
                        "(a wider terminal or --format csv shows them)")
                caption = _plain(t.caption, plain)
                t = t._replace(caption=f"{caption}\n{note}" if caption else note)
                yield _rich_table(t, narrow, plain, width)
                return
        yield from _stacked(t, cells, plain)


def _simple(text: str) -> bool:
    r"""Text rich prints as it is, one cell a character: printable (no tab, no
    control), no :emoji: code rich would replace (a match of r":\S+?:", which is
    two colons in one word with a character between: read without re)."""
    if ":" in text and any(word.rfind(":") - word.find(":") >= 2 for word in text.split()):
        return False
    return text.isprintable() and cell_len(text) == len(text)


def _word_starts(line: str) -> list[int]:
    r"""Where each match of r"\s*\S+\s*" starts (a word, the blanks before the first
    and after each) in a line whose only blank is the space, as a printable one's is."""
    starts, at = [], 0
    for piece in line.split(" "):
        if piece:
            starts.append(at)
        at += len(piece) + 1
    if starts:
        starts[0] = 0
    return starts


def _centred(text: str, width: int) -> list[str] | None:
    """A title or caption as rich wraps and centres it over a table `width` cells
    wide (its divide_line: greedy, breaking at spaces); None when a word is longer
    than the width or the text is not _simple (then rich lays it out)."""
    out = []
    for line in text.split("\n"):
        if not _simple(line):
            return None
        breaks, offset = [], 0
        starts = _word_starts(line)
        for start, end in zip(starts, [*starts[1:], len(line)]):
            word = line[start:end]
            length = len(word.rstrip())
            if width - offset >= length:
                offset += len(word)
            elif length > width:
                return None
            elif offset and start:
                breaks.append(start)
                offset = len(word)
        bounds = [0, *breaks, len(line)]
        for a, b in zip(bounds, bounds[1:]):
            piece = line[a:b].rstrip()
            left = (width - len(piece)) // 2
            out.append(" " * left + piece + " " * (width - left - len(piece)))
    return out


# The styles rich gives a table on a terminal (its default theme): the title, the
# header and footer cells, the caption; and the end of each.
_TITLE, _BOLD, _CAPTION, _END = "\x1b[3m", "\x1b[1m", "\x1b[2;3m", "\x1b[0m"


def _direct(t: Table, cells: _Cells, plain: bool, width: int, styled: bool = False
            ) -> list[str] | None:
    """The lines rich prints for _rich_table(t, cells, …) on a console without
    colour, `width` wide, when every column fits at its natural width on one line
    (no cell wraps): written directly, ~50× faster than rich's layout (a 10k-layer
    table). With `styled`, as it prints them on a terminal with colour: the title
    italic, the header and footer bold (each cell and the padding after it), the
    caption dim italic. None for anything else: rich lays that out."""
    widths = cells.natural
    total = _table_width(widths)
    if total > width:
        return None
    records = [cells.header, *cells.rows, *(() if cells.footer is None else (cells.footer,))]
    if not all(_simple(text) for row in records for text in row):
        return None
    right = [_align(c, terminal=cells.bars) == "r" for _, c in cells.cols]

    def line(row: list[str], bold: bool = False) -> str:
        texts = [x.rstrip().rjust(w) if r else x.ljust(w)  # as rich justifies
                 for x, w, r in zip(row, widths, right)]
        if bold and styled:
            return f" {_BOLD}" + f"{_END}{_BOLD} {_END} {_BOLD}".join(texts) + f"{_END} "
        return " " + "  ".join(texts) + " "
    title, caption = _plain(t.title, plain), _plain(t.caption, plain)
    head = _centred(title, total) if title else []
    foot = _centred(caption, total) if caption else []
    if head is None or foot is None:
        return None
    if styled:
        head = [f"{_TITLE}{x}{_END}" for x in head]
        foot = [f"{_CAPTION}{x}{_END}" for x in foot]
    blank = " " * total
    out = [*head, blank, line(cells.header, bold=True), " " + "─" * (total - 2) + " "]
    last = len(cells.rows) - 1
    for n, row in enumerate(cells.rows):
        out.append(line(row))
        if n in t.breaks and n < last:
            out.append(blank)
    if cells.footer is not None:
        out += [blank, line(cells.footer, bold=True)]
    out += [blank, *foot]
    return out


def _fit(cells: _Cells, width: int) -> list[int]:
    """Column widths for `width`: the natural ones, the widest prose column made
    narrower one cell at a time, never below its longest word (rich's own
    collapse would break a word: 'max-p(3,3,1' / ',p=1)')."""
    widths = list(cells.natural)
    excess = _table_width(widths) - width
    while excess > 0:
        k = max((k for k, w in enumerate(widths) if w > cells.least[k]), key=widths.__getitem__,
                default=None)
        if k is None:  # nothing left to wrap (the caller made sure it fits)
            break
        widths[k] -= 1
        excess -= 1
    return widths


def _rich_table(t: Table, cells: _Cells, plain: bool, width: int) -> Any:
    """The terminal tables' one look: a rule under the header, one space between
    columns. Every column's width is set (rich then measures no cell): its widest
    cell, or narrower for prose that wraps to fit `width`."""
    from rich import box
    from rich.table import Table as RichTable
    table = RichTable(box=box.SIMPLE_HEAD, title=_plain(t.title, plain),
                      caption=_plain(t.caption, plain), show_footer=cells.footer is not None,
                      padding=(0, 1), collapse_padding=True, pad_edge=False)
    for k, ((_, c), w) in enumerate(zip(cells.cols, _fit(cells, width))):
        table.add_column(cells.header[k], footer="" if cells.footer is None else cells.footer[k],
                         justify="right" if _align(c, terminal=cells.bars) == "r" else "left",
                         no_wrap=w == cells.natural[k], overflow="fold", width=w)
    for n, row in enumerate(cells.rows):
        table.add_row(*row, end_section=n in t.breaks)
    return table


def _stacked(t: Table, cells: _Cells, plain: bool) -> Any:
    """A table too wide for the terminal even with its secondary columns hidden:
    one block of `label: value` lines per row (its footer the last), all columns."""
    from rich.table import Table as RichTable
    from rich.text import Text
    if t.title:
        yield Text(_plain(t.title, plain), justify="center", style="italic")
    grid = RichTable.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(overflow="fold")
    labels = [h or c.key or "" for h, (_, c) in zip(cells.header, cells.cols)]
    records = [*cells.rows, *((cells.footer,) if cells.footer else ())]
    for n, row in enumerate(records):
        for k, (label, value) in enumerate(zip(labels, row)):
            if value != "" or k == 0:
                grid.add_row(f"{label}:" if label else "", value)
        if n < len(records) - 1:
            grid.add_row("", "")
    yield grid
    if t.caption:
        yield Text(_plain(t.caption, plain), style="dim italic")


class TerminalTables(NamedTuple):
    """A report's tables for the terminal, one after another."""

    tables: tuple[TerminalTable, ...]

    def whole_width(self, plain: bool = False) -> int:
        return max((t.whole_width(plain) for t in self.tables), default=0)

    def plain_text(self, width: int, plain: bool = False, styled: bool = False) -> str | None:
        """What a console `width` wide without colour prints (with `styled`: a
        terminal's, with colour), when every table fits at its natural widths —
        without the share bars where TerminalTable drops them to fit (_direct);
        None: print it with rich."""
        out = []
        for table in self.tables:
            cells = table.cells(True, plain)
            if _table_width(cells.least) > width:
                cells = table.cells(False, plain)  # as TerminalTable lays it out: no bars
            lines = _direct(table.table, cells, plain, width, styled)
            if lines is None:
                return None
            out += lines
        return "".join(f"{x}\n" for x in out)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        yield from self.tables


def render_table(report: Report) -> TerminalTables:
    return TerminalTables(tuple(TerminalTable(t) for t in report.tables
                                if Format.TABLE in t.formats))


RENDERERS: dict[Format, Callable[[Output], Any]] = {
    Format.TABLE: lambda out: render_table(out.report()),
    Format.CSV: lambda out: render_csv(out.report()),
    Format.MARKDOWN: lambda out: render_markdown(out.report()),
    Format.JSON: lambda out: chunked(out.data),
    Format.GITHUB: lambda out: _offered(out.github, Format.GITHUB)(),
    Format.BENCHMARK_JSON: lambda out: to_json(_offered(out.benchmark, Format.BENCHMARK_JSON)()),
    Format.HTML: lambda out: out.page() if out.page is not None else _html("report_page",
                                                                          out.report()),
}
if RENDERERS.keys() != set(Format):  # a format without a renderer is a bug, found at import
    raise TypeError(f"no renderer for {sorted(f.value for f in set(Format) - RENDERERS.keys())}")


def _offered(build: Callable[[], Any] | None, fmt: Format) -> Callable[[], Any]:
    """The builder of a format only some commands have (the CLI offers it only there)."""
    if build is None:
        raise TypeError(f"this command has no {fmt.value} output")
    return build


def _ci(name: str, *args: Any) -> Any:
    """cnncost.ci's `name`(*args), imported only when a GitHub format is asked for."""
    from . import ci
    return getattr(ci, name)(*args)


def render(out: Output, fmt: Format) -> Any:
    """The one dispatch from --format to a renderer."""
    return RENDERERS[fmt](out)


def _html(builder: str, *args: Any) -> str:
    """cnncost.html's `builder`(*args): the HTML page, imported only when asked for."""
    from . import html
    return getattr(html, builder)(*args)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------
# analyze (its JSON document: cnncost.jsondoc)


def count_caption(count: Any) -> str:
    from .counting import describe
    gaps = f" ({len(count.uncounted)} layers it cannot count)" if count.uncounted else ""
    return f"{count.tool} would report {count.total:,}{gaps} — {describe(count.tool)}"


def share_label(share: str) -> str:
    """The share column's header: 'share' of Eq. (1) as ever, else which metric."""
    return "share" if share == "complexity" else f"share of {BY_KEY[share].label}"


def metric_columns(shown: Sequence[Any], memory: bool = False) -> tuple[Column, ...]:
    """The table and markdown show the metrics in `shown`; CSV every cost metric, and
    the memory metrics too when they are asked for (JSON always has them all)."""
    from .metrics import MEMORY_KEYS
    keys = {m.key for m in shown}
    return tuple(Column(m.label if m.key in keys else None,
                        Kind.BYTES if m.unit == "bytes" else Kind.COUNT,
                        m.key if memory or m.key not in MEMORY_KEYS else None,
                        hide=_HIDE.get(m.key, 0)) for m in METRICS)


# What a narrow terminal hides first (Column.hide): the figures that others imply
# (Eq. (1) is MACs for convolutions, param bytes params × dtype) or that training asks
_HIDE = {"train_saved_bytes": 1, "complexity": 2, "param_bytes": 2, "train_flops": 2}


METRIC_COLUMNS = metric_columns(COLUMNS)
_HWC = tuple(Column(None, Kind.EXACT, f"out_{x}") for x in "hwc")  # CSV's output shape


def layer_columns(metrics: tuple[Column, ...], roofline: bool = False, share: bool = True,
                  shown: frozenset[str] = frozenset(), share_name: str = "share",
                  layers: bool = False) -> tuple[Column, ...]:
    """The per-layer table's columns; `shown`: which of LAYER_VALUES the table shows
    (--columns), `layers`: a count of layers per row (a --depth view)."""
    return (
        Column("#", Kind.EXACT, "index", hide=3), Column("name", key="name"), Column(None, key="kind"),
        Column(None, key="stage"), Column("layer", Kind.CODE, "notation", min_width=10,
                                          wrap=layers),  # a block's call may be long
        Column("output", Kind.SHAPE), *_HWC,
        *((Column("layers", Kind.EXACT, "layers", hide=3),) if layers else ()), *metrics,
        Column(share_name if share else None, Kind.SHARE, hide=1),
        Column("rf" if "rf" in shown else None, Kind.EXACT, "rf"),
        Column("jump" if "jump" in shown else None, Kind.EXACT, "jump"),
        Column("intensity", Kind.RATIO, "intensity", decimals=1) if "intensity" in shown else
        Column(None, Kind.EXACT, "intensity" if not share else None),
        *((Column("roofline", Kind.SECONDS, "roofline_s"), Column("bound", key="bound"))
          if roofline else ()),
    )


def stage_columns(metrics: tuple[Column, ...], share_name: str = "share") -> tuple[Column, ...]:
    return (
        Column("stage", key="stage", wrap=True), Column("output", Kind.SHAPE), *_HWC,
        Column("layers", Kind.EXACT, "layers", hide=3), Column("conv", Kind.EXACT, hide=3),
        *metrics, Column(None, Kind.EXACT, "conv_layers"), Column(share_name, Kind.SHARE, hide=1),
    )


LAYER_COLUMNS = layer_columns(METRIC_COLUMNS)
STAGE_COLUMNS = stage_columns(METRIC_COLUMNS)


def _footer(columns: tuple[Column, ...], cells: dict[str, Any]) -> tuple:
    """A footer row: the cells named by their column's key (or label), blank elsewhere."""
    return tuple(cells.get(c.key or c.label or "", "") for c in columns)


def _stage_row(name: str, output: Shape | None, layers: int, t: Totals, whole: int,
               share: str = "complexity") -> tuple:
    shape: tuple = (output, *shape_list(output)) if output is not None else ("",) * 4
    return (name, *shape, layers, t.conv_layers, *t.values.values(), t.conv_layers,
            Share(t[share], whole))


def _fold_rows(net: NetworkCost, depth: int, share: str, whole: int, roof: list, count: Any
               ) -> tuple[tuple, ...]:
    """The rows of a --depth view, cells in layer_columns(layers=True)'s order."""
    from .views import fold
    out = []
    for f in fold(net.rows, depth, net.name):
        t = f.totals
        at = range(f.first - 1, f.first - 1 + len(f.rows))  # its rows' positions
        cells = []
        if roof:
            bounds = {roof[i][1] for i in at}
            cells += [sum(roof[i][0] for i in at), bounds.pop() if len(bounds) == 1 else "mixed"]
        if count is not None:
            counts = [count.values[i] for i in at if count.values[i] is not None]
            cells.append(sum(counts) if counts else None)
        out.append((f.first, "/".join((*f.path[1:], f.name)), f.kind, f.stage, f.text, f.output,
                    *shape_list(f.output), len(f.rows), *(t[m.key] for m in METRICS),
                    Share(t[share], whole), f.rf, f.jump,
                    intensity(t.macs, net.batch, t.bytes_moved), *cells))
    return tuple(out)


def analysis_report(net: NetworkCost, stages: bool = False, memory: bool = False,
                    device: Any = None, count: Any = None, depth: int | None = None,
                    columns: tuple[str, ...] | None = None, share: str = "complexity"
                    ) -> Report:
    """Per layer (stages separated by rules), per stage, or folded to `depth`
    levels (views.fold); totals in the footer. `memory` shows the memory and
    training metrics instead of the costs; `columns` (keys of metrics.METRICS and
    LAYER_VALUES) the ones named; `share` which metric the share column divides."""
    from .metrics import MEMORY, MEMORY_KEYS
    t = net.totals
    whole = t[share]
    shown: frozenset[str] = frozenset()
    if columns is not None:
        shown = frozenset(columns)
        metrics = metric_columns(tuple(m for m in METRICS if m.key in shown),
                                 memory=bool(shown & MEMORY_KEYS))
        memory_caption = bool(shown & MEMORY_KEYS)
    else:
        metrics = metric_columns(MEMORY, memory=True) if memory else METRIC_COLUMNS
        memory_caption = memory
    share_name = share_label(share)
    caption = (f"input {net.input} · padding {net.padding} · {plural(t.conv_layers, 'conv layer')} · "
               f"FLOPs {humanize(t.flops)} = 2×MACs · ops {humanize(t.ops)} · "
               f"complexity = He & Sun Eq. (1)")
    if memory_caption or net.batch != 1 or net.dtype != "fp32":
        caption += (f" · batch {net.batch}, {net.dtype} · peak activations "
                    f"{humanize_bytes(t.peak_activation_bytes)} (live bytes: the most alive "
                    "at once)")
    if device is not None:
        caption += f" · roofline on {device.name}: a lower bound, not a prediction"
    if net.graph.uncosted:
        caption += " · NOT COSTED: " + ", ".join(net.graph.uncosted)
    if count is not None:
        caption += " · " + count_caption(count)
    title = net.name or None
    totals = {m.key: t[m.total_name] for m in METRICS}
    if stages:
        cols = stage_columns(metrics, share_name)
        table = Table(cols, tuple(_stage_row(s.name, s.output, len(s.rows), s.totals, whole, share)
                                  for s in net.stages), title, caption,
                      footer=_stage_row("total", None, len(net.rows), t, whole, share))
    else:
        rows = net.rows
        cols = layer_columns(metrics, device is not None, share=not memory or columns is not None,
                             shown=shown, share_name=share_name, layers=depth is not None)
        if count is not None:
            cols = (*cols, Column(count.tool, Kind.COUNT, "count"))
        roof = [_roofline(r, net.batch, device, net.dtype) for r in rows] if device else []
        if depth is not None:
            body = _fold_rows(net, depth, share, whole, roof, count)
            stage_of = [r[3] for r in body]
        else:
            body = tuple(
                (r.index, r.name, r.kind, r.stage, layer_notation(r), r.output,
                 *shape_list(r.output), *_metric_values(r), Share(getattr(r, share), whole), r.rf,
                 r.jump, intensity(r.macs, net.batch, r.bytes_moved), *(roof[i] if device else ()),
                 *((count.values[i],) if count is not None else ()))
                for i, r in enumerate(rows))
            stage_of = [r.stage for r in rows]
        table = Table(cols, body, title, caption, footer=_footer(cols, {
                "name": "total", **totals, share_name: Share(whole, whole),
                **({"layers": len(rows)} if depth is not None else {}),
                **({"roofline_s": sum(x for x, _ in roof)} if device else {}),
                **({"count": count.total} if count is not None else {})}),
            breaks=frozenset(i for i in range(len(stage_of) - 1)
                             if stage_of[i + 1] != stage_of[i]))
    return Report((table,),
                  title=f"{net.name or 'network'} — input {net.input}, padding {net.padding}",
                  note=("**Not costed** (no rule for them; imported with --allow-unsupported): "
                        + ", ".join(net.graph.uncosted)) if net.graph.uncosted else None)


def render_analysis(net: NetworkCost, fmt: Format, stages: bool = False, memory: bool = False,
                    device: Any = None, count: Any = None, depth: int | None = None,
                    columns: tuple[str, ...] | None = None, share: str = "complexity") -> Any:
    return render(Output(_later(analysis_report, net, stages and count is None, memory, device,
                                 count, depth, columns, share),
                         _later(analysis_dict, net, device, count, depth),
                         benchmark=_later(_ci, "benchmark_analysis", net, count),
                         page=_later(_html, "analysis_page", net, memory, device, count, depth,
                                      columns, share)), fmt)


# ---------------------------------------------------------------------------
# layers

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


def layers_report(rows: list[list[str]]) -> Report:
    hide = {"kind": 1, "PyTorch": 2, "options": 3, "positional": 3}
    columns = tuple(Column(h, Kind.CODE if h in ("name", "example") else Kind.TEXT, h,
                           wrap=h in ("meaning", "PyTorch"), hide=hide.get(h, 0))
                    for h in LAYERS_HEADER)
    return Report((Table(columns, tuple(map(tuple, rows)),
                         caption="plus (s,n)/k, c_in*kh*kw*n, k/s, Nfc, NT(…) and [..]×k "
                                 "— see docs/language.md"),))


def render_layers(fmt: Format) -> Any:
    rows = layers_rows()
    return render(Output(_later(layers_report, rows),
                         lambda: [dict(zip(LAYERS_HEADER, r)) for r in rows]), fmt)


# ---------------------------------------------------------------------------
# compare: He & Sun's Table 1 regenerated


def comparison_dict(cmp: Any, counts: Any = None) -> dict[str, Any]:
    ratios = ("complexity", *(m.key for m in BASELINE if m.key != "complexity"))  # comp. first
    return {
        "schema": JSON_SCHEMA_VERSION,
        "baseline": cmp.baseline,
        "variants": [{
            "name": r.name,
            "input": shape_list(r.net.input),
            "padding": r.net.padding,
            "totals": totals_dict(r.totals, counts[i] if counts else None),
            "relative": {m: r.relative(m) for m in ratios},
            "stages": [{**stage_dict(s), "layers": paper_notation_of(s)} for s in r.net.stages],
        } for i, r in enumerate(cmp.rows)],
    }


def paper_notation_of(stage: StageCost) -> str:
    from .comparison import paper_notation
    return paper_notation(stage.rows)


def _pick(t: Table, cols: Sequence[int], labels: Sequence[str] = (), **kw: Any) -> Table:
    """A terminal table of some of `t`'s columns, in the order given, the first
    len(labels) of them relabelled."""
    columns = [t.columns[i] for i in cols]
    columns[:len(labels)] = [c._replace(label=label) for c, label in zip(columns, labels)]
    return Table(tuple(columns), tuple(tuple(r[i] for i in cols) for r in t.rows),
                 formats=frozenset({Format.TABLE}), **kw)


def comparison_report(cmp: Any, memory: bool = False, metrics: Sequence[Any] = ()) -> Report:
    """One table for CSV and markdown; the terminal gets two, so the paper's columns
    keep their width on 80 columns: Table 1 itself, then Eq. (1) per stage.
    `memory` or `metrics`: which metrics it shows (as diff_report)."""
    shown = _shown_metrics(memory, metrics)
    stages, costed = cmp.varying_stages, cmp.costed_stages  # each computed once: they look at every row
    columns = (Column("model", key="model", fold=True),
               *(Column(f"stage {s}", key=f"layers_stage_{s}", wrap=True, fold=True) for s in stages),
               Column("depth", Kind.EXACT, "depth", fold=True, hide=2),
               *(Column(m.label, Kind.BYTES if m.unit == "bytes" else Kind.COUNT, m.key, fold=True,
                        hide=_HIDE.get(m.key, 0))
                 for m in shown),
               Column("comp.", Kind.RATIO, "relative_complexity", fold=True, hide=1),
               *(Column(f"Eq.(1) {s}", Kind.COUNT, f"complexity_stage_{s}", fold=True)
                 for s in costed))
    rows = []
    for r in cmp.rows:
        notes = r.stage_notation()
        by_stage = {s.name: s.totals.complexity for s in r.net.stages}
        rows.append((r.name, *(notes.get(s, "") for s in stages), r.totals.conv_layers,
                     *(r.totals[m.key] for m in shown), r.relative("complexity"),
                     *(by_stage.get(s) for s in costed)))  # None: a stage this model lacks
    full = Table(columns, tuple(rows), formats=frozenset({Format.CSV, Format.MARKDOWN}))
    varying = set(stages)
    shared = [s for s in cmp.stage_names if s not in varying]
    note = (f"comp. = Eq. (1) complexity relative to {cmp.baseline}; depth = conv layers"
            + (f"; {plural(len(shared), 'stage').split(' ', 1)[1]} {', '.join(shared)} "
               f"{'is' if len(shared) == 1 else 'are'} the same in every model" if shared else ""))
    n = len(stages)
    split = 1 + n + 2 + len(shown)  # model, stages, depth, the metrics, comp.
    tables = [full, _pick(full, [0, *range(1 + n, split), *range(1, 1 + n)], caption=note)]
    if costed:
        tables.append(_pick(full, [0, *range(split, len(columns))],
                            ["model", *(f"stage {s}" for s in costed)],
                            title="Eq. (1) complexity per stage"))
    return Report(tuple(tables), note=note)


def render_comparison(cmp: Any, fmt: Format, counts: Any = None, memory: bool = False,
                      family: str = "", metrics: Sequence[Any] = ()) -> Any:
    report = _later(comparison_report, cmp, memory, metrics)
    if counts:  # the counted totals as one more table
        def report() -> Report:  # type: ignore[misc]
            base = comparison_report(cmp, memory, metrics)
            table = Table((Column("model", key="model"), Column(counts[0].tool, Kind.COUNT, "count")),
                          tuple((r.name, c.total) for r, c in zip(cmp.rows, counts)),
                          title=f"what {counts[0].tool} would report (docs/counting.md)",
                          formats=frozenset({Format.TABLE, Format.MARKDOWN}))
            return base._replace(tables=(*base.tables, table))
    return render(Output(report, _later(comparison_dict, cmp, counts),
                         benchmark=_later(_ci, "benchmark_comparison", cmp, counts, family),
                         page=lambda: _html("comparison_page", cmp, report())), fmt)


# ---------------------------------------------------------------------------
# diff

_DELTAS = tuple(m.key for m in COLUMNS)  # per layer and stage
# in total, also the other metrics a budget limits (FLOPs), after them
_TOTAL_DELTAS = (*_DELTAS, *(m.key for m in BUDGETS if m.key not in _DELTAS))


def _diff_layer(r: LayerCost | None) -> str:
    return layer_notation(r) if r is not None else ""


def _stages_note() -> str:
    from .comparison import STAGES_NOTE
    return STAGES_NOTE


def diff_dict(d: Any, counts: Any = None) -> dict[str, Any]:
    def side(r: LayerCost | None) -> dict[str, Any] | None:
        if r is None:
            return None
        return {"index": r.index, "name": r.name, "notation": layer_notation(r),
                "output": shape_list(r.output), **{m: getattr(r, m) for m in _DELTAS}}
    return {
        "schema": JSON_SCHEMA_VERSION,
        "a": d.a.name, "b": d.b.name, "differs": d.differs,
        "layers": [{"change": r.change.name.lower(), "stage": r.stage, "a": side(r.a),
                    "b": side(r.b), **{f"delta_{m}": r.delta(m) for m in _DELTAS},
                    **({"why": r.why} if r.why else {})}  # a changed layer: what differs
                   for r in d.rows],
        # no stage rollup when the two sides label their stages differently: a note says so
        **({"stages": [{"name": s, **{f"delta_{m}": d.stage_delta(s, m) for m in _DELTAS}}
                       for s in d.stages]} if d.same_stages else {"note": _stages_note()}),
        "totals": {"a": totals_dict(d.a.totals, counts[0] if counts else None),
                   "b": totals_dict(d.b.totals, counts[1] if counts else None),
                   **{f"delta_{m}": d.total_delta(m) for m in _TOTAL_DELTAS},
                   **({"delta_count": counts[1].total - counts[0].total} if counts else {})},
    }


def _total_row(key: str, a: int, b: int) -> tuple:
    pct = f"{100 * (b - a) / a:+.1f}%" if a else "–"
    m = BY_KEY.get(key)
    if m is not None and m.unit == "bytes":  # in binary units (the table and markdown only)
        delta = ("+" if b > a else "-" if b < a else "") + humanize_bytes(abs(b - a))
        return key, humanize_bytes(a), humanize_bytes(b), delta if b != a else "0", pct
    return key, a, b, b - a, pct


def diff_report(d: Any, show_all: bool = False, counts: Any = None, memory: bool = False,
                metrics: Sequence[Any] = ()) -> Report:
    """The changed layers, the stages and the totals; `memory` shows the memory and
    training metrics (metrics.MEMORY) instead of the costs, `metrics` the ones given."""
    shown = _shown_metrics(memory, metrics)
    deltas = tuple(m.key for m in shown)
    a, b = d.a.name or "A", d.b.name or "B"
    rows = tuple((r.change.value, r.change.name.lower(), r.stage, _diff_layer(r.a), _diff_layer(r.b),
                  r.a.output if r.a else "", r.b.output if r.b else "",
                  *(r.delta(m) for m in deltas), r.why)
                 for r in d.rows if show_all or r.change.value != "=")
    note = None if d.same_stages else _stages_note()
    differ = sum(1 for r in d.rows if r.change.value != "=")
    summary = "no differences" if not differ else \
        plural(differ, "layer") + (" differs" if differ == 1 else " differ")
    layers = Table(
        (Column(""), Column(None, key="change"), Column("stage", key="stage"),
         Column(a, Kind.CODE, "a"), Column(b, Kind.CODE, "b"),
         Column("output A", Kind.SHAPE, "output_a", hide=2),
         Column("output B", Kind.SHAPE, "output_b", hide=2),
         *(Column(f"Δ{m.label}", Kind.SIGNED, f"delta_{m.key}", hide=_HIDE.get(m.key, 0))
           for m in shown),
         Column("why", key="why", wrap=True, hide=3)),
        rows, title=f"{a} → {b}: {summary}", caption=note,
        # with no rows, markdown's heading says so; the terminal keeps the title
        formats=EVERYWHERE if rows else frozenset({Format.TABLE, Format.CSV}))
    stages = Table((Column("stage", wrap=True),
                    *(Column(f"Δ{m.label}", Kind.SIGNED, wrap=True) for m in shown)),
                   tuple((s, *(d.stage_delta(s, m) for m in deltas)) for s in d.stages))
    ta, tb = d.a.totals, d.b.totals
    totals = Table((Column("total", wrap=True), Column(a, Kind.COUNT, wrap=True),
                    Column(b, Kind.COUNT, wrap=True), Column("Δ", Kind.SIGNED, wrap=True),
                    Column("Δ%", align="r", wrap=True)),
                   tuple(_total_row(m, getattr(ta, m), getattr(tb, m))
                         for m in (*deltas, "conv_layers"))
                   + ((_total_row(f"count ({counts[0].tool})", counts[0].total, counts[1].total),)
                      if counts else ()))
    return Report((layers, stages, totals) if note is None else (layers, totals),
                  title=f"diff {a} → {b}: {summary}", note=note)


def render_diff(d: Any, fmt: Format, show_all: bool = False, counts: Any = None,
                memory: bool = False, metrics: Sequence[Any] = ()) -> Any:
    return render(Output(_later(diff_report, d, show_all, counts, memory, metrics),
                         _later(diff_dict, d, counts),
                         page=_later(_html, "diff_page", d, show_all, counts, memory)), fmt)


def _shown_metrics(memory: bool, metrics: Sequence[Any]) -> Sequence[Any]:
    """The metrics a table shows: those asked for (--columns KEYS), else the memory
    set or the costs (--columns memory, default)."""
    from .metrics import MEMORY
    return metrics or (MEMORY if memory else COLUMNS)


# ---------------------------------------------------------------------------
# check


def rule(c: Any, lim: Any) -> str:
    """How a limit was set, as the command line sets it: '--max-params' or 'A +2%'."""
    if lim.increase is None:
        return Verbatim("--max-count" if lim.metric == "count" else BY_KEY[lim.metric].flag)
    return f"{c.baseline.name or 'baseline'} +{lim.increase:g}%"


def check_dict(c: Any) -> dict[str, Any]:
    return {
        "schema": JSON_SCHEMA_VERSION,
        "name": c.net.name, "ok": c.ok,
        "baseline": c.baseline.name if c.baseline else None,
        "limits": [{"metric": lim.metric, "value": lim.value, "limit": lim.limit,
                    "rule": rule(c, lim), "ok": lim.ok, "margin": lim.margin,
                    "baseline_value": lim.base} for lim in c.limits],
        "stages": [{"name": g.stage, "baseline_complexity": g.before, "complexity": g.after,
                    "delta_complexity": g.after - g.before} for g in c.growth],
        "totals": totals_dict(c.net.totals, c.count),
    }


def _margin(c: Any, lim: Any) -> str:
    """How far under or over the limit, and in per cent of what the rule is relative
    to: a baseline rule (he2015-a +2%) gives the growth over the baseline, as diff's
    Δ% does (-0.01% vs he2015-a); an absolute one how far over the limit it is."""
    if lim.margin < 0:
        text = f"under by {humanize(-lim.margin)}"
    else:
        text = "at the limit" if lim.margin == 0 else f"OVER by {humanize(lim.margin)}"
    if lim.base is not None:
        growth = _percent(lim.value - lim.base, lim.base) if lim.base else "–"
        return f"{text} ({growth} vs {c.baseline.name or 'baseline'})"
    if lim.margin > 0 and lim.limit:
        return f"{text} ({_percent(lim.margin, lim.limit)} over the limit)"
    return text


def _percent(part: int, whole: int) -> str:
    """100·part/whole as +1.23%; a change too small for two decimals as +<0.01%, not +0.00%."""
    pct = 100 * part / whole
    if part and abs(pct) < 0.005:
        return ("+" if part > 0 else "-") + "<0.01%"
    return f"{pct:+.2f}%"


def distinct(a: int, b: int) -> tuple[str, str]:
    """a and b humanised (12.3M), with more decimals where the two would read the
    same but differ (3.5001M and 3.5000M, not 3.50M and 3.50M)."""
    ta, tb = humanize(a), humanize(b)
    if ta != tb or a == b or ta[-1:] not in _UNITS:
        return ta, tb
    from decimal import Decimal
    exp = 3 * (_UNITS.index(ta[-1]) + 1)
    for decimals in range(3, exp + 1):  # at exp decimals both are exact
        step = Decimal(1).scaleb(-decimals)
        ta, tb = (f"{Decimal(v).scaleb(-exp).quantize(step)}{_UNITS[exp // 3 - 1]}" for v in (a, b))
        if ta != tb:
            break
    return ta, tb


# The value and limit columns twice: exact integers for CSV, and for the table and
# markdown as `distinct` writes them.
LIMIT_COLUMNS = (
    Column("", key="status"), Column("metric", key="metric"),
    Column(None, Kind.COUNT, "value"), Column(None, Kind.COUNT, "limit"),
    Column("value", align="r"), Column("limit", align="r"),
    Column("rule", key="rule", hide=1), Column("margin"), Column(None, Kind.EXACT, "margin"),
)


def check_report(c: Any) -> Report:
    verdict = "✅ within budget" if c.ok else "❌ over budget"
    failed = [lim.metric for lim in c.limits if not lim.ok]
    headline = Marked(f"{c.net.name or 'network'}: {verdict}"
                      + (f" ({', '.join(failed)})" if failed else ""))
    limits = Table(LIMIT_COLUMNS, tuple(("pass" if lim.ok else "FAIL", lim.metric, lim.value,
                                         lim.limit, *distinct(lim.value, lim.limit), rule(c, lim),
                                         _margin(c, lim), lim.margin)
                                        for lim in c.limits), title=headline)
    eq1 = BY_KEY["complexity"].label
    if c.baseline is not None:
        growth = Table((Column("stage", wrap=True),
                        Column(f"{eq1} {c.baseline.name or 'baseline'}", Kind.COUNT, wrap=True),
                        Column(f"{eq1} now", Kind.COUNT, wrap=True),
                        Column("Δ", Kind.SIGNED, wrap=True)),
                       tuple((g.stage, g.before, g.after, g.after - g.before) for g in c.growth[:3]),
                       title="stages that grew most")
    else:
        total = c.net.totals.complexity
        growth = Table((Column("stage", wrap=True), Column(eq1, Kind.COUNT, wrap=True),
                        Column("share", Kind.PERCENT, wrap=True)),
                       tuple((g.stage, g.after, Share(g.after, total)) for g in c.growth[:3]),
                       title="largest stages")
    return Report((limits, growth), title=f"cnncost check — {headline}")


def render_check(c: Any, fmt: Format) -> Any:
    return render(Output(_later(check_report, c), _later(check_dict, c),
                         github=_later(_ci, "github_check", c),
                         benchmark=_later(_ci, "benchmark_check", c)), fmt)


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


ZOO_COLUMNS = (
    Column("name", key="name"), Column(None, key="source"), Column("input", Kind.SHAPE, "input"),
    *(Column(BY_KEY[k].label, Kind.COUNT, k) for k in ("params", "macs")),
    Column(None, key="published_params"), Column(None, key="published_macs"),
    Column(None, key="reference"), Column(None, Kind.EXACT, "agrees"),
    Column("published", hide=2), Column("source", wrap=True, hide=1),
)


def _published(r: dict[str, Any]) -> str:
    """'25557032 / 4.09G ✓': the figures as their source gives them, and whether ours agree."""
    figures = [x for x in (r["published_params"], r["published_macs"]) if x]
    return Marked(" / ".join(figures) + ((" ✓" if r["agrees"] else " ✗") if figures else ""))


def zoo_report(entries: list[tuple[str, Any, NetworkCost]], rows: list[dict[str, Any]]) -> Report:
    return Report((Table(ZOO_COLUMNS, tuple(
        (r["name"], r["source"], net.input, r["params"], r["macs"], r["published_params"],
         r["published_macs"], r["reference"], None if r["agrees"] is None else int(r["agrees"]),
         _published(r), r["source"]) for (_, _, net), r in zip(entries, rows)),
        caption=Marked("published = params / MACs as their source gives them; ✓ = ours agree")),))


def render_zoo(entries: list[tuple[str, Any, NetworkCost]], fmt: Format) -> Any:
    rows = zoo_rows(entries)
    return render(Output(_later(zoo_report, entries, rows),
                         lambda: {"schema": JSON_SCHEMA_VERSION, "specs": rows}), fmt)


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
                        "rf": exact(c.rf)} for c in cands],
    }


def replace_report(net: NetworkCost, info: Any, cands: list[Any], total: int, evaluated: int,
                   tol: float) -> Report:
    columns = (Column("#", Kind.EXACT, "rank"), Column(f"stage {info.label}", key="notation"),
               Column("layers", Kind.EXACT, "layers"),
               Column(BY_KEY["complexity"].label, Kind.COUNT, "complexity"),
               Column("comp.", Kind.RATIO, "ratio", decimals=3),
               Column(BY_KEY["params"].label, Kind.COUNT, "params"),
               Column("rf", Kind.EXACT, "rf", hide=1))
    rows = tuple((i, c.notation(info.n_out), c.layers, c.complexity, c.ratio, c.params, c.rf)
                 for i, c in enumerate(cands, 1))
    title = (f"{net.name or 'network'} stage {info.label}: {info.conv_layers} conv layers, "
             f"Eq. (1) {humanize(info.complexity)}, conv params {humanize(info.params)} — "
             f"{total} of {evaluated:,} candidates within ±{100 * tol:g}%"
             + (f", best {len(cands)} shown" if len(cands) < total else ""))
    return Report((Table(columns, rows, title=title,
                         caption="comp. = Eq. (1) relative to the original stage; "
                                 "params = the stage's convolution weights (and biases); "
                                 "rf = receptive field at the stage's output"),), title=title)


def render_replace(net: NetworkCost, info: Any, cands: list[Any], total: int, evaluated: int,
                   tol: float, fmt: Format) -> Any:
    args = (net, info, cands, total, evaluated, tol)
    return render(Output(_later(replace_report, *args), _later(replace_dict, *args)), fmt)


def sweep_dict(grid: Any, found: Any, budget: int | None) -> dict[str, Any]:
    if found is not None:
        return {"schema": JSON_SCHEMA_VERSION, "target_macs": budget, "results": [
            {"resolution": r, "width": w, "params": n.totals.params if n else None,
             "macs": n.totals.macs if n else None} for r, w, n in found]}
    widths, resolutions, cells = grid
    return {"schema": JSON_SCHEMA_VERSION, "grid": [
        {"width": w, "resolution": r, "params": c.totals.params, "macs": c.totals.macs}
        for w, row in zip(widths, cells) for r, c in zip(resolutions, row)]}


def sweep_report(grid: Any, found: Any, budget: int | None) -> Report:
    if found is not None:
        title = f"largest width multiplier within {humanize(budget or 0)} MACs"
        table = Table((Column("resolution", Kind.EXACT, "resolution"),
                       Column("largest width", key="largest width", align="r"),
                       Column("params", Kind.COUNT, "params"), Column("MACs", Kind.COUNT, "MACs")),
                      tuple((r, "none fits" if w is None else f"{w:.2f}",
                             n.totals.params if n else "", n.totals.macs if n else "")
                            for r, w, n in found), title=title)
        return Report((table,), title=title)
    widths, resolutions, cells = grid
    title = "params and MACs by width multiplier and resolution"
    # CSV: one row per grid cell; the table and markdown: a row per width, a column per resolution
    long = Table((Column("width", Kind.EXACT, "width"), Column("resolution", Kind.EXACT, "resolution"),
                  Column("params", Kind.COUNT, "params"), Column("macs", Kind.COUNT, "macs")),
                 tuple((w, r, c.totals.params, c.totals.macs)
                       for w, row in zip(widths, cells) for r, c in zip(resolutions, row)),
                 formats=frozenset({Format.CSV}))
    wide = Table((Column("width", align="r"), Column("params", Kind.COUNT),
                  *(Column(f"MACs @{r}", Kind.COUNT) for r in resolutions)),
                 tuple((f"{w:g}", row[0].totals.params, *(c.totals.macs for c in row))
                       for w, row in zip(widths, cells)), title=title, formats=HUMAN)
    return Report((long, wide), title=title)


def render_sweep(grid: Any, found: Any, budget: int | None, fmt: Format) -> Any:
    """A grid (widths × resolutions) of params and MACs, or per resolution the
    largest width within a MACs budget."""
    return render(Output(_later(sweep_report, grid, found, budget),
                         _later(sweep_dict, grid, found, budget)), fmt)
