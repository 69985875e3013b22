"""Rendering: humanised and exact numbers, spreadsheet-safe cells, the report value and
its renderers."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clihelp import run
from cnncost.metrics import MEMORY_KEYS, COLUMNS, METRICS
from cnncost.report import (RENDERERS, Column, Format, Kind, Report, Share, Table, Verbatim, exact,
                            humanize, render_csv, render_markdown, render_table, safe_cell,
                            to_json)


@pytest.mark.parametrize("n,text", [
    (0, "0"), (999, "999"), (-999, "-999"), (1000, "1.00K"), (9994, "9.99K"), (9996, "10.0K"),
    (9999, "10.0K"), (99_949, "99.9K"), (99_999, "100K"), (999_499, "999K"), (999_999, "1.00M"),
    (25_557_032, "25.6M"), (4_089_184_256, "4.09G"), (-1500, "-1.50K"),
])
def test_humanize_examples(n, text):
    assert humanize(n) == text


@given(st.integers(1000, 999 * 10**18))  # below 999.5E (no unit above E)
def test_humanize_is_three_significant_digits_of_the_value(n):
    text = humanize(n)
    digits, unit = text[:-1], text[-1]
    assert len(digits.replace(".", "")) == 3
    scale = 1000 ** ("KMGTPE".index(unit) + 1)
    # within half a unit of the last digit shown
    last = Decimal(1).scaleb(-len(digits.partition(".")[2])) * scale
    assert abs(Decimal(digits) * scale - n) <= last / 2


@pytest.mark.parametrize("text,safe", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("-12", "-12"), ("+3.5", "+3.5"), ("relu", "relu"),
])
def test_safe_cell(text, safe):
    assert safe_cell(text) == safe


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.tuples(inner, inner) | st.dictionaries(st.text(), inner),
    max_leaves=30)


@given(JSON_VALUES)
def test_to_json_writes_what_json_dumps_writes(data):
    assert to_json(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_to_json_refuses_what_json_refuses():
    with pytest.raises(TypeError, match="Fraction is not JSON serializable"):
        to_json({"rf": Fraction(1, 2)})


# --- exact numbers ------------------------------------------------------------

@pytest.mark.parametrize("x,shown", [
    (3, 3), (Fraction(4, 2), 2), (Fraction(1, 2), "1/2"), (Fraction(7, 2), "7/2"),
])
def test_exact_is_an_int_when_whole_else_p_over_q(x, shown):
    assert exact(x) == shown and type(exact(x)) is type(shown)


UPSAMPLED = "Input(8,8,4) -> up(2) -> 4F(3,3) -> 2F(2,2) -> max-p(3,3,2)"


def test_fractional_receptive_fields_are_exact_in_json_and_csv():
    # up(2) puts output units half an input pixel apart: jump 1/2, rf still 1.
    # A k×k window grows rf by (k-1)·jump: 3×3 → 1 + 2·(1/2) = 2 (whole again);
    # 2×2 → 2 + 1·(1/2) = 5/2; max-p(3,3,2) → 5/2 + 2·(1/2) = 7/2, its jump (1/2)·2 = 1.
    rf = [1, 2, Fraction(5, 2), Fraction(7, 2)]
    jump = [Fraction(1, 2)] * 3 + [1]
    code, out, _ = run("analyze", UPSAMPLED, "--format", "json")
    layers = json.loads(out)["layers"]
    assert code == 0
    assert [x["rf"] for x in layers] == [1, 2, "5/2", "7/2"]
    assert [x["jump"] for x in layers] == ["1/2", "1/2", "1/2", 1]
    code, out, _ = run("analyze", UPSAMPLED, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["rf"] for r in rows] == [str(x) for x in rf] == ["1", "2", "5/2", "7/2"]
    assert [r["jump"] for r in rows] == [str(x) for x in jump] == ["1/2", "1/2", "1/2", "1"]


# --- the report value and its renderers ---------------------------------------

def test_every_format_has_a_renderer():
    assert set(RENDERERS) == set(Format)


REPORT = Report((
    Table((Column("name", key="name"), Column("layer", Kind.CODE, "notation"),
           Column("params", Kind.COUNT, "params"), Column(None, Kind.EXACT, "rf"),
           Column("share", Kind.SHARE), Column("comp.", Kind.RATIO, "ratio"),
           Column("rule", key="rule")),
          (("=a|b", "3/2", 12_345, Fraction(3, 2), Share(1, 4), None, Verbatim("--max-x")),
           ("c", "", -5, 2, Share(0, 0), 0.5, "-y")),
          title="first", footer=("total", "", 12_340, "", Share(4, 4), "", "")),
    Table((Column("stage"), Column("Δ", Kind.SIGNED)), (("s", 1500), ("t", 0)), title="second"),
), title="heading", note="a note")


def test_csv_renders_the_first_table_exactly():
    assert render_csv(REPORT) == ("name,notation,params,rf,ratio,rule\n"
                                  "'=a|b,3/2,12345,3/2,,--max-x\n"
                                  "c,,-5,2,0.500000,'-y\n")


def test_markdown_renders_every_table():
    assert render_markdown(REPORT) == (
        "### heading\n\n"
        "| name | layer | params | share | comp. | rule |\n"
        "| :--- | :--- | ---: | ---: | ---: | :--- |\n"
        "| =a\\|b | `3/2` | 12.3K | 25.0% | – | --max-x |\n"
        "| c |  | -5 | – | 0.50 | -y |\n"
        "| **total** |  | **12.3K** | 100.0% |  |  |\n"
        "\n**second**\n\n"
        "| stage | Δ |\n| :--- | ---: |\n| s | +1.50K |\n| t | 0 |\n"
        "\na note\n")


def test_the_terminal_table_has_titles_bars_and_a_footer():
    from rich.console import Console
    console = Console(width=80, record=True, color_system=None)
    console.print(render_table(REPORT))
    text = console.export_text()
    assert "first" in text and "second" in text and "a note" not in text
    assert "25.0% █▌" in text and "100.0% ██████" in text  # the share's bar
    assert "12.3K" in text and "+1.50K" in text and "rf" not in text  # rf is CSV's only


def test_json_output_does_not_import_rich():
    code = ("import sys; from cnncost.cli import main\n"
            "try:\n    main(['analyze', 'he2015-a', '--format', 'json'])\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "assert 'rich' not in sys.modules, sorted(m for m in sys.modules if 'rich' in m)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_metric_table_drives_every_format():
    keys = [m.key for m in METRICS]
    data = json.loads(run("analyze", "he2015-a", "--format", "json")[1])
    assert list(data["totals"]) == [*(m.total_name for m in METRICS), "conv_layers",
                                    "peak_layer", "intensity"]
    layer = list(data["layers"][0])
    assert layer[layer.index("output") + 1:] == [*keys, "intensity", "rf", "jump"]
    header = run("analyze", "he2015-a", "--format", "csv")[1].splitlines()[0].split(",")
    costs = [k for k in keys if k not in MEMORY_KEYS]  # memory metrics: with --columns memory
    assert header[header.index("out_c") + 1:] == [*costs, "rf", "jump"]
    header = run("analyze", "he2015-a", "--format", "csv", "--columns", "memory")[1]
    assert header.splitlines()[0].split(",")[-len(keys) - 3:] == [*keys, "rf", "jump", "intensity"]
    md = run("analyze", "he2015-a", "--format", "markdown")[1].splitlines()[2]
    assert md == "| # | name | layer | output | " + " | ".join(m.label for m in COLUMNS) + " | share |"
    table = run("analyze", "he2015-a")[1]
    assert all(m.label in table for m in COLUMNS)
    diff = json.loads(run("diff", "he2015-a", "he2015-b", "--format", "json")[1])
    assert [k for k in diff["layers"][0] if k.startswith("delta_")] == \
        [f"delta_{m.key}" for m in COLUMNS]


# A layer's dict: short lists of ints (shapes, inputs) and floats beside ints and
# strs, which the writer takes on short paths; bools and floats mixed in must not.
LAYER_LIKE = st.dictionaries(st.text(max_size=3), st.integers() | st.floats() | st.none() | st.text()
                             | st.lists(st.integers() | st.booleans() | st.floats(), max_size=4)
                             | st.lists(st.lists(st.integers(), max_size=3), max_size=2))


@given(st.lists(LAYER_LIKE, max_size=3))
def test_layer_like_dicts_are_written_as_json_dumps_writes_them(docs):
    assert to_json(docs) == json.dumps(docs, indent=2, ensure_ascii=False) + "\n"


@given(JSON_VALUES, st.integers(0, 1200))
def test_json_chunks_join_to_to_json(data, n):
    """A document's pieces join to to_json's text, long lists (past PIECE items) included."""
    from cnncost.report import json_chunks
    for doc in (data, {"a": data, "layers": list(range(n)), "z": [data] * min(n, 3)}):
        assert "".join(json_chunks(doc)) == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("spec", ["resnet50", "he2015-a", "googlenet", "fcn_resnet50", "inception_v3",
                                  "Input(8,6,4) -> " + " -> ".join(["4F(1,1)", "up(2)", "relu"] * 300)])
@pytest.mark.parametrize("view", ["plain", "device", "count", "depth", "batch", "values", "kept",
                                  "compiled"])
def test_layer_texts_are_what_json_dumps_writes_of_the_dicts(spec, view, monkeypatch):
    """The layers' JSON is written from each row's values without its dict
    (LayerDicts.json_texts): the same text json.dumps writes of the dicts, short
    and long documents (past PIECE layers), with each view's extra keys, at
    another batch and dtype, from layer_values where the metrics' order is
    not the one json_texts reads off a row, where the texts of repeated
    values it keeps are forgotten after every row, and with the row writers
    compiled (a long network's) for every network."""
    if view == "kept":
        monkeypatch.setattr("cnncost.jsondoc._TEXTS_KEPT", 1)
    if view == "compiled":
        monkeypatch.setattr("cnncost.jsondoc._COMPILED_ROWS", 1)
    from cnncost.costs import analyze
    from cnncost.counting import count
    from cnncost.memory import load_device
    from cnncost.report import analysis_dict, json_chunks
    from cnncost.resolve import load, one_network
    if view == "values":
        monkeypatch.setattr("cnncost.jsondoc._ROW_METRICS", ())
    net = analyze(one_network(load(spec)).graph(), *((4, "fp16") if view == "batch" else ()))
    kw = {"device": load_device("nvidia-a100-sxm4-80gb")} if view == "device" else \
        {"count": count(net, "fvcore")} if view == "count" else \
        {"depth": 2} if view == "depth" else {}
    doc = analysis_dict(net, **kw)
    expected = json.dumps(doc, indent=2, ensure_ascii=False, default=list) + "\n"
    assert "".join(json_chunks(doc)) == expected
    assert to_json(doc) == expected
