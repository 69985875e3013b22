"""The table written directly (report._direct) is, to the byte, what rich prints
for it — to a pipe or a file, and to a terminal with its styles — for every zoo
network's layers and stages, and for the other commands' tables, at several
widths; where it declines, rich prints it."""

from __future__ import annotations

import io
import os

import pytest
from rich.console import Console

from clihelp import ENV
from cnncost.costs import analyze
from cnncost.report import Format, render_analysis
from cnncost.resolve import load, one_network, zoo_entry_names


def rich_text(tables, width: int, plain: bool) -> str:
    out = io.StringIO()
    Console(file=out, width=width, highlight=False, markup=False,
            **({"color_system": None} if plain else {})).print(tables)
    return out.getvalue()


NETS = sorted({n for n in zoo_entry_names() if "-" not in n})


@pytest.mark.parametrize("name", NETS)
def test_every_zoo_table_as_rich_prints_it(name):
    cost = analyze(one_network(load(name)).graph())
    used = 0
    for stages in (False, True):
        tables = render_analysis(cost, Format.TABLE, stages)
        for width in (60, 80, 100, 200):  # at 80, some without their share bars
            for plain in (False, True):
                direct = tables.plain_text(width, plain)
                if direct is not None:
                    used += 1
                    assert direct == rich_text(tables, width, plain)
    assert used  # at 200 columns every zoo table fits


def terminal_text(tables, width: int, color_system: str) -> str:
    out = io.StringIO()
    Console(file=out, width=width, highlight=False, markup=False, force_terminal=True,
            color_system=color_system).print(tables)
    return out.getvalue()


@pytest.mark.parametrize("name", NETS)
def test_every_zoo_table_as_rich_prints_it_on_a_terminal(name):
    """With `styled`, what rich prints on a terminal with colour (any colour system:
    the tables' styles are bold, italic and dim)."""
    cost = analyze(one_network(load(name)).graph())
    used = 0
    for view in ({}, {"stages": True}, {"memory": True}):
        tables = render_analysis(cost, Format.TABLE, **view)
        for width, color_system in ((60, "standard"), (80, "256"), (100, "256"),
                                    (200, "truecolor"), (84, "standard")):
            direct = tables.plain_text(width, False, styled=True)
            if direct is not None:
                used += 1
                assert "\x1b[1m" in direct and direct == terminal_text(tables, width, color_system)
    assert used


@pytest.fixture
def a_terminal(monkeypatch):
    """CliRunner's stdout says it is a terminal (to rich, to cnncost.piped)."""
    import click.testing
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True,
                        raising=False)


@pytest.mark.parametrize("args", [
    ["analyze", "resnet50"], ["analyze", "he2015-a", "--stages"], ["compare", "he2015"],
    ["diff", "he2015-a", "he2015-b"], ["check", "he2015-a", "--max-params", "1M"], ["zoo"],
    ["replace", "he2015-a", "--stage", "3", "--top", "5"], ["analyze", "resnet18", "--memory"],
])
@pytest.mark.parametrize("columns", ["60", "100", "250"])
@pytest.mark.parametrize("term", ["xterm-256color", "dumb"])
@pytest.mark.parametrize("no_color", ["1", None])
def test_tables_on_a_terminal_as_rich_prints_them(args, columns, term, no_color, a_terminal,
                                                  monkeypatch):
    """Through the CLI at a terminal, with the direct path and with rich only: the same
    text, styles included (a dumb terminal's: rich's)."""
    import cnncost.cli as cli
    from click.testing import CliRunner
    env = {**ENV, "COLUMNS": columns, "NO_COLOR": no_color, "TERM": term}

    def shown():
        r = CliRunner(env=env).invoke(cli.main, args, catch_exceptions=False)
        return r.exit_code, r.stdout, r.stderr
    fast = shown()
    assert ("\x1b[1m" in fast[1]) == (term != "dumb" and not no_color) or fast[0] != 0
    monkeypatch.setattr(cli, "_piped_table", lambda value: None)
    assert shown() == fast


@pytest.mark.parametrize("args", [
    ["compare", "he2015"], ["diff", "resnet50", "resnet50_v1"], ["diff", "he2015-a", "he2015-b"],
    ["check", "he2015-e", "--baseline", "he2015-a", "--max-increase", "2%"],
    ["check", "he2015-a", "--max-params", "1M"], ["zoo"], ["layers"],
    ["replace", "he2015-a", "--stage", "3", "--top", "5"], ["sweep", "mobilenet_v1"],
    ["scale", "resnet50", "--width", "0.5"], ["analyze", "resnet18", "--columns", "memory"],
])
@pytest.mark.parametrize("columns", ["60", "100", "250"])
@pytest.mark.parametrize("no_color", ["1", None])
def test_other_tables_piped_as_rich_prints_them(args, columns, no_color, monkeypatch):
    """Through the CLI (a pipe: CliRunner), with the direct path and with rich only."""
    import cnncost.cli as cli
    from click.testing import CliRunner
    env = {**ENV, "COLUMNS": columns, "NO_COLOR": no_color}

    def piped():
        r = CliRunner(env=env).invoke(cli.main, args, catch_exceptions=False)
        return r.exit_code, r.stdout, r.stderr
    fast = piped()
    monkeypatch.setattr(cli, "_piped_table", lambda value: None)
    assert piped() == fast


def test_a_table_too_wide_for_its_bars_is_written_without_them():
    """ResNet-50's table is 84 columns with its share bars: an 80-column terminal's
    drops them (TerminalTable), and that too is written directly, as rich prints it."""
    tables = render_analysis(analyze(one_network(load("resnet50")).graph()), Format.TABLE)
    assert tables.whole_width() == 84
    for styled in (False, True):
        direct = tables.plain_text(80, False, styled)
        assert direct is not None and "█" not in direct and "%" in direct
        assert direct == (terminal_text(tables, 80, "standard") if styled else
                          rich_text(tables, 80, False))
    assert "█" in tables.plain_text(84)


def test_the_direct_path_is_taken():
    """A 10k-layer table is what it is for: written without rich's layout."""
    import cnncost.cli as cli
    from cnncost.resolve import load_text
    text = "Input(32,32,16) -> " + " -> ".join(["16F(1,1)", "relu"] * 50)
    tables = render_analysis(analyze(one_network(load_text(text)).graph()), Format.TABLE)
    assert tables.plain_text(100) is not None
    assert cli._piped_table(tables) is not None or not hasattr(cli.sys.stdout, "isatty")


def test_cell_len_is_richs_without_rich():
    """report.cell_len measures the tables' own characters (report.NARROW) by len, and
    agrees with rich's cell_len on them and on anything else (wide, combining, emoji)."""
    from rich.cells import cell_len as rich_cell_len

    from cnncost.report import NARROW, cell_len
    assert all(rich_cell_len(ch) == 1 and ch.isprintable() for ch in NARROW)
    for text in ["56×56×64", "█████▏ 12.3%", "3 · 2 → 1 – …", "—", "", "plain ascii ~",
                 "寬字", "e\u0301", "😀 x", "tab\there", "ｆｕｌｌ"]:
        assert cell_len(text) == rich_cell_len(text), text
