"""Terminal tables never cut a value (issue #13, item 3): on a terminal of 60, 80
or 120 columns every number, name and shape that the table shows is printed
whole — the share bars, then the secondary columns (report.Column.hide), give way
first, then the table turns into one `label: value` block per row.

The values looked for come from the same command's JSON (exact ints, humanised
here with report.humanize), never from the table itself."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from cnncost.cli import main
from cnncost.report import humanize, humanize_bytes, signed

WIDTHS = (60, 80, 120)


def tty(args, width):
    """A terminal of `width` columns (rich: TTY_COMPATIBLE), no colour."""
    env = {"COLUMNS": str(width), "NO_COLOR": "1", "TTY_COMPATIBLE": "1", "TERM": "xterm"}
    result = CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout


def data(args):
    result = CliRunner(env={"NO_COLOR": "1"}).invoke(main, [*args, "--format", "json"],
                                                     catch_exceptions=False)
    return json.loads(result.stdout)


def shape(s):
    return "x".join(map(str, s))


def each(rows, *cells):
    """Every row's cells, each computed from the row by one of `cells`."""
    return [cell(r) for r in rows for cell in cells]


def name(r):
    return r["name"]


def counts(*keys):
    return [lambda r, k=k: humanize(r[k]) for k in keys]


def layers(d):
    return each(d["layers"], name, lambda r: shape(r["output"]), *counts("params", "macs"))


def memory(d):
    return each(d["layers"], name, lambda r: shape(r["output"]),
                lambda r: humanize_bytes(r["live_bytes"]))


def stages(d):
    return each(d["stages"], name, lambda r: shape(r["output"]), *counts("params", "macs"))


def compared(d):
    return each(d["variants"], name, *(lambda r, k=k: humanize(r["totals"][k])
                                       for k in ("params", "macs")))


def diffed(d):
    out = []
    for r in d["layers"]:
        if r["change"] != "same":
            out += [r["stage"], signed(r["delta_params"]), signed(r["delta_macs"]),
                    {"added": "+", "removed": "-"}.get(r["change"], "~")]
            out += [side["notation"] for side in (r["a"], r["b"]) if side]
    return out


def checked(d):
    return each(d["limits"], lambda r: r["metric"], *counts("value", "limit"))


def zoo(d):
    return each(d["specs"], name, lambda r: shape(r["input"]), *counts("params", "macs"))


def replaced(d):
    return each(d["candidates"], lambda r: r["notation"], lambda r: str(r["layers"]),
                *counts("params"))


def swept(d):
    return each(d["grid"], *counts("params", "macs"))


def targeted(d):
    return each(d["results"], lambda r: str(r["resolution"]), lambda r: f"{r['width']:.2f}",
                *counts("params", "macs"))


def layer_kinds(d):
    return each(d, name, lambda r: r["example"])


CASES = {
    "analyze": (["analyze", "shufflenet_v2_x1_0"], layers),
    "analyze --stages": (["analyze", "resnet50", "--stages"], stages),
    "analyze --columns memory": (["analyze", "resnet18", "--columns", "memory"], memory),
    "compare": (["compare", "he2015"], compared),
    "compare two": (["compare", "resnet18", "resnet34"], compared),
    "diff": (["diff", "resnet50", "resnet50_v1"], diffed),
    "diff, layers added": (["diff", "he2015-a", "he2015-b"], diffed),
    "check": (["check", "resnet50", "--max-params", "10M"], checked),
    "check --baseline": (["check", "he2015-e", "--baseline", "he2015-a", "--max-increase", "2%"],
                         checked),
    "zoo": (["zoo"], zoo),
    "replace": (["replace", "he2015-a", "--stage", "3", "--tolerance", "8%"], replaced),
    "sweep": (["sweep", "mobilenet_v1", "--width", "0.25,0.5,0.75,1.0",
               "--resolution", "128,160,192,224"], swept),
    "sweep --target-macs": (["sweep", "mobilenet_v1", "--resolution", "160,224",
                             "--target-macs", "400M"], targeted),
    "scale": (["scale", "mobilenet_v1", "--width", "0.5", "--resolution", "160"], layers),
    "layers": (["layers"], layer_kinds),
}


def whole(value, text):
    """`value` stands in `text` as a whole cell: spaces (or a line's ends) around it."""
    return re.search(rf"(?<!\S){re.escape(value)}(?!\S)", text) is not None


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_value_is_cut_at_any_width(name):
    args, values = CASES[name]
    expected = values(data(args))
    assert expected  # the test looks at something
    for width in WIDTHS:
        out = tty(args, width)
        assert "…" not in out.replace("NT(…)", "").replace("torch.cat(…", "").replace("levels…", "")
        assert max(map(cell_len, out.splitlines())) <= width  # it fits the terminal
        missing = [v for v in expected if not whole(v, out)]
        assert not missing, f"{name} at {width} columns: {missing[:5]}"


def test_a_wide_terminal_keeps_every_column_and_the_bars():
    out = tty(["analyze", "shufflenet_v2_x1_0"], 120)
    assert "Eq. (1)" in out and "share" in out and "█" in out and "hidden" not in out


def test_the_bars_go_first_then_the_hidden_columns_are_named():
    out = tty(["analyze", "resnet50", "--stages"], 80)
    assert "share" in out and "█" in out  # 80 columns hold it all
    out = tty(["analyze", "shufflenet_v2_x1_0"], 80)
    assert "█" not in out and "5.6%" in out and "hidden" not in out  # conv1: 8128512 / total
    out = tty(["analyze", "shufflenet_v2_x1_0"], 60)
    assert "hidden to fit 60 columns: #, Eq. (1), share" in " ".join(out.split())
    assert "Eq. (1)" not in out.split("hidden")[0]


def test_a_table_too_wide_for_its_primary_columns_is_stacked():
    out = tty(["diff", "resnet50", "resnet50_v1"], 60)
    assert "resnet50_v1: 128F(1,1,s=2,b=0)" in " ".join(out.split())
    assert "ΔMACs: -77.1M" in " ".join(out.split())  # 128·56·56·256 − 128·28·28·256 fewer
    assert 128 * 256 * (56 * 56 - 28 * 28) == 77_070_336


def test_no_color_has_no_escape_and_no_emoji_at_any_width():
    for width in WIDTHS:
        for args in (["check", "resnet50", "--max-params", "10M"], ["zoo"]):
            out = tty(args, width)
            assert "\x1b[" not in out
            assert not set("✅❌✓✗") & set(out)


def test_a_pipe_still_prints_the_whole_table():
    """Not a terminal: as wide as the table needs (a CI log, `> file`)."""
    result = CliRunner(env={"COLUMNS": "60", "NO_COLOR": "1"}).invoke(
        main, ["analyze", "shufflenet_v2_x1_0"], catch_exceptions=False)
    assert "Eq. (1)" in result.stdout and "█" in result.stdout and "hidden" not in result.stdout
