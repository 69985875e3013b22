"""`--format html`: one self-contained page (docs/html.md).

The unit tests parse the page (tests/htmlcheck.py refuses tags that do not nest)
and check its numbers against the JSON and against hand-computed values. The
browser tests load it in headless Chromium and read the rendered DOM and a
screenshot; they skip, with the reason, where no Chromium is installed, except
under CNNCOST_BROWSER_REQUIRED=1 (.ci/run sets it, after installing Debian's
chromium-headless-shell), where a missing browser fails.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from clihelp import run
from htmlcheck import external_references, parse

# Hand-checkable: conv 3·3·3·4 + 4 = 112 params, 3·3·3·4·8·8 = 6912 MACs;
# gap: none; fc 4·2 + 2 = 10 params, 8 MACs.
TINY = "Input(8,8,3) -> 4F(3,3) -> relu -> gap -> 2fc"
INCEPTION = ("Input(8,8,4) -> concat[ 4F(1,1) | 4F(3,3) -> relu | max-p(3,3,1,p=1) ] "
             "-> res[ 12F(3,3) -> relu ]")


def page(*args: str):
    code, out, err = run(*args, "--format", "html")
    assert (code, err) == (0, ""), err
    return out, parse(out)


def json_of(*args: str):
    code, out, err = run(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def values(el, key: str) -> list[str]:
    """The exact values of a column's cells (a footer's label has none)."""
    return [td["data-value"] for td in el.find_all("td", data_key=key) if "data-value" in td.attrs]


def layer_rows(dom):
    return dom.find("section", id="layers").find("tbody").find_all("tr")


# --- the page, without a browser ----------------------------------------------

@pytest.mark.parametrize("args", [["analyze", INCEPTION], ["compare", "he2015"],
                                  ["diff", "he2015-a", "he2015-b"],
                                  ["diff", "he2015-a", "he2015-a", "--all"]])
def test_the_page_is_well_formed_and_refers_to_nothing_outside(args):
    text, dom = page(*args)
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\">") and text.endswith("</html>\n")
    assert external_references(dom, text) == []
    assert dom.find("meta", charset="utf-8")
    anchors = [a["href"] for a in dom.find_all("a")]
    assert anchors and all(h[1:] in {s["id"] for s in dom.find_all("section")} for h in anchors)
    assert dom.find_all("style") and dom.find_all("svg")


def test_the_numbers_are_the_hand_computed_ones():
    _, dom = page("analyze", TINY)
    rows = layer_rows(dom)
    assert [r.find("td", data_key="name").text for r in rows] == ["conv1", "relu1", "pool1", "fc1"]
    layers = dom.find("section", id="layers")
    assert values(layers, "params") == ["112", "0", "0", "10", str(112 + 10)]  # the footer last
    assert values(layers, "macs") == ["6912", "0", "0", "8", str(6912 + 8)]
    conv = rows[0].find("td", data_key="macs")
    assert (conv["title"], conv.text) == ("6,912", "6.91K")
    share = rows[0].find("td", data_key=None, data_part="6912")  # Eq. (1): the conv's MACs
    assert share["data-whole"] == "6912" and share.text == "100.0%"
    totals = dom.find("section", id="totals")
    card = totals.find("div", data_key="params")
    assert card["data-value"] == "122" and "122" in card.text


def test_every_layer_row_and_total_agrees_with_the_json():
    data = json_of("analyze", "resnet18")
    _, dom = page("analyze", "resnet18")
    rows = layer_rows(dom)
    # ResNet-18: 1 + 16 + 3 (shortcut) convs, each with its BN; 1 + 16 ReLUs; 8 sums; pool, gap, fc
    assert len(rows) == len(data["layers"]) == 20 + 20 + 17 + 8 + 3
    layers = dom.find("section", id="layers")
    for key in ("index", "params", "macs", "complexity"):
        assert values(layers.find("tbody"), key) == [str(x[key]) for x in data["layers"]]
        assert values(layers.find("tfoot"), key) == ([str(data["totals"][key])]
                                                     if key != "index" else [])
    assert [r.find("td", data_key="notation").text for r in rows] == \
        [x["notation"] for x in data["layers"]]
    cards = {c["data-key"]: c["data-value"] for c in dom.find("section", id="totals").find_all(
        "div", class_="card")}
    assert cards == {k: json.dumps(v).strip('"') for k, v in data["totals"].items()}
    stages = dom.find("section", id="stages")
    assert values(stages.find("tbody"), "layers") == [
        str(sum(1 for x in data["layers"] if x["stage"] == s["name"])) for s in data["stages"]]
    assert [r.find("td", data_key="stage").text for r in stages.find("tbody").find_all("tr")] == \
        [s["name"] for s in data["stages"]]


def test_a_rule_between_stages_as_the_terminal_draws_one():
    data = json_of("analyze", "resnet18")
    _, dom = page("analyze", "resnet18")
    starts = [r.attrs.get("class") == "break" for r in layer_rows(dom)]
    stages = [x["stage"] for x in data["layers"]]
    assert starts == [i > 0 and stages[i] != stages[i - 1] for i in range(len(stages))]


HOSTILE = '<script>alert("x")</script> & <b>'


@pytest.mark.parametrize("command", [["analyze", "{f}"], ["compare", "{f}", TINY],
                                     ["diff", "{f}", TINY]])
def test_user_text_is_escaped(tmp_path, command):
    path = tmp_path / "n.yaml"
    path.write_text(f"name: '{HOSTILE}'\ninput: 8x8x3\nstages:\n  '{HOSTILE}': 8F(3,3) -> relu\n")
    text, dom = page(*[a.replace("{f}", str(path)) for a in command])
    assert "<script" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in text
    assert HOSTILE in dom.find("title").text or HOSTILE in dom.find("h1").text or \
        any(HOSTILE in f.text for f in dom.find_all("figcaption"))


def test_the_graph_draws_every_layer_and_every_edge():
    data = json_of("analyze", "googlenet")
    _, dom = page("analyze", "googlenet")
    svg = dom.find("section", id="graph").find("svg")
    nodes = svg.find_all("g", class_="node")
    assert [int(g["data-index"]) for g in nodes] == list(range(len(data["layers"]) + 1))
    assert len(svg.find_all("path")) == sum(len(x["inputs"]) for x in data["layers"])
    x = {int(g["data-index"]): int(g.find("rect")["x"]) for g in nodes}
    y = {int(g["data-index"]): int(g.find("rect")["y"]) for g in nodes}
    concat = next(layer for layer in data["layers"] if layer["kind"] == "concat")
    assert len(concat["inputs"]) == 4
    # the four branches side by side, the merge below all of them
    assert len({x[i] for i in concat["inputs"]}) == 4
    assert all(y[concat["index"]] > y[i] for i in concat["inputs"])
    assert nodes[concat["index"]]["class"] == "node merge"


def test_the_layout_of_branches():
    from cnncost import analyze
    from cnncost.html import layout
    net = analyze(INCEPTION)
    assert [(r.name, r.inputs) for r in net.rows] == [
        ("conv1", (0,)), ("conv2", (0,)), ("relu1", (2,)), ("pool1", (0,)), ("concat1", (1, 3, 4)),
        ("conv3", (5,)), ("relu2", (6,)), ("add1", (7, 5))]
    level, col = layout(net.rows)
    # input; the three branches side by side; concat below the longest; res beside nothing
    assert list(zip(level, col)) == [(0, 0), (1, 0), (1, 1), (2, 1), (1, 2), (3, 0),
                                     (4, 0), (5, 0), (6, 0)]


def test_a_shortcut_bows_out_beside_its_column():
    from cnncost import analyze
    from cnncost.html import BOX_W, PAD, graph_svg
    svg = parse(graph_svg(analyze(INCEPTION).rows, analyze(INCEPTION).input))
    right = PAD + BOX_W  # the right edge of column 0's boxes
    bows = [p["d"] for p in svg.find_all("path") if p["d"].startswith(f"M{right} ")]
    assert len(bows) == 1 and re.fullmatch(rf"M{right} \d+C\d+ \d+ \d+ \d+ {right} \d+", bows[0])


def test_a_diff_marks_the_changed_layers_on_both_sides():
    data = json_of("diff", "he2015-a", "he2015-j")
    _, dom = page("diff", "he2015-a", "he2015-j")
    a, b = dom.find("section", id="graph").find_all("svg")
    marked = {c: {"a": set(), "b": set()} for c in ("added", "removed", "changed")}
    for side, svg in (("a", a), ("b", b)):
        for g in svg.find_all("g", class_="node"):
            for c in marked:
                if c in g["class"].split():
                    marked[c][side].add(int(g["data-index"]))
    for c in marked:
        for side in ("a", "b"):
            assert marked[c][side] == {x[side]["index"] for x in data["layers"]
                                       if x["change"] == c and x[side] is not None}
    assert marked["added"]["b"] and marked["changed"]["a"]


def test_compare_and_diff_agree_with_their_json():
    data = json_of("compare", "he2015")
    _, dom = page("compare", "he2015")
    models = dom.find("section", id="models")
    assert [td.text for td in models.find_all("td", data_key="model")] == \
        [v["name"] for v in data["variants"]]
    for key in ("params", "macs", "complexity"):
        assert values(models, key) == [str(v["totals"][key]) for v in data["variants"]]
    assert values(models, "depth") == [str(v["totals"]["conv_layers"]) for v in data["variants"]]
    assert [float(x) for x in values(models, "relative_complexity")] == \
        [v["relative"]["complexity"] for v in data["variants"]]
    assert len(dom.find("section", id="graph").find_all("svg")) == len(data["variants"])

    data = json_of("diff", "he2015-a", "he2015-b")
    _, dom = page("diff", "he2015-a", "he2015-b")
    layers = dom.find("section", id="layers")
    changed = [x for x in data["layers"] if x["change"] != "same"]
    for key in ("delta_params", "delta_macs", "delta_complexity"):
        assert values(layers, key) == [str(x[key]) for x in changed]
    totals = {r.find_all("td")[0].text: [td["data-value"] for td in r.find_all("td")[1:4]]
              for r in dom.find("section", id="totals").find_all("tr")[1:]}
    assert totals["params"] == [str(data["totals"]["a"]["params"]),
                                str(data["totals"]["b"]["params"]),
                                str(data["totals"]["delta_params"])]


@pytest.mark.parametrize("args", [["layers"], ["check", "he2015-a", "--max-params", "1G"],
                                  ["zoo"], ["scale", "mobilenet_v1", "--width", "0.5"],
                                  ["sweep", "mobilenet_v1"], ["replace", "he2015-a", "--stage", "3"]])
def test_other_commands_refuse_html_and_list_the_choices(args):
    code, out, err = run(*args, "--format", "html")
    assert (code, out) == (2, "")
    # the command's own choices: the four every command has, and check's CI formats
    assert err.startswith("error: Invalid value for '--format' / '-f': 'html' is not one of "
                          "'table', 'csv', 'markdown', 'json'")
    assert "'html'" not in err.partition("is not one of")[2]


def test_the_help_of_the_three_commands_names_html():
    for command in ("analyze", "compare", "diff"):
        code, out, _ = run(command, "--help")
        assert code == 0 and "table|csv|markdown|json|html" in out


# --- in a browser ---------------------------------------------------------------

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")
# Debian's chromium-headless-shell: /usr/bin/chromium-headless-shell runs this one
BROWSER_PATHS = ("/usr/lib/chromium/chromium-headless-shell",)


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    for path in BROWSER_PATHS:
        if os.access(path, os.X_OK):
            return path
    reason = ("no headless Chromium (" + ", ".join(BROWSERS) + ") on PATH: install one, e.g. "
              "apt-get install chromium-headless-shell (.ci/run does)")
    if os.environ.get("CNNCOST_BROWSER_REQUIRED") == "1":
        pytest.fail(reason + "; CNNCOST_BROWSER_REQUIRED=1 says the browser test must run")
    pytest.skip(reason)


def test_without_a_browser_the_test_skips_with_the_reason_or_fails_in_ci(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(globals(), "BROWSER_PATHS", ())
    monkeypatch.delenv("CNNCOST_BROWSER_REQUIRED", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium-headless-shell"):
        browser()
    monkeypatch.setenv("CNNCOST_BROWSER_REQUIRED", "1")
    with pytest.raises(pytest.fail.Exception, match="CNNCOST_BROWSER_REQUIRED=1"):
        browser()


_LOADED = re.compile(r"(?:FileURLLoader::Start|NotifyBeforeURLRequest): (\S+)")


def rendered(tmp_path: Path, text: str):
    """Load the page in headless Chromium: (its rendered DOM, the screenshot's PNG
    bytes, every URL the browser loaded)."""
    exe = browser()
    path = tmp_path / "page.html"
    path.write_text(text, encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=1280,1600", f"--screenshot={shot}", "--enable-logging=stderr", "--v=1",
         "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = _LOADED.findall(done.stderr)
    # the verbose log names each load: the page's own shows the check below can see them
    assert path.as_uri() in loaded, "the browser's log names no loads: " + done.stderr[-2000:]
    assert set(loaded) == {path.as_uri()}, loaded
    assert not re.search(r"net::ERR_|Failed to load|Refused to", done.stderr)
    return parse(done.stdout), shot.read_bytes()


def check_png(png: bytes, width: int = 1280, height: int = 1600) -> None:
    """A PNG of the window's size whose pixels are not all one colour."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (width, height)
    data, i = b"", 8
    while i < len(png):
        n = int.from_bytes(png[i:i + 4], "big")
        if png[i + 4:i + 8] == b"IDAT":
            data += png[i + 8:i + 8 + n]
        i += 12 + n
    assert len(set(zlib.decompress(data))) > 16  # text, bars and boxes: many values


def test_analyze_in_a_browser(tmp_path):
    data = json_of("analyze", "googlenet")
    text, _ = page("analyze", "googlenet")
    dom, png = rendered(tmp_path, text)
    check_png(png)
    rows = layer_rows(dom)
    assert len(rows) == len(data["layers"])
    layers = dom.find("section", id="layers")
    for key in ("params", "macs", "complexity"):
        assert [int(v) for v in values(layers.find("tbody"), key)] == \
            [x[key] for x in data["layers"]]
        assert [int(v) for v in values(layers.find("tfoot"), key)] == [data["totals"][key]]
    # the text shown is the exact value humanised, as in markdown
    from cnncost.report import humanize
    assert [td.text for td in layers.find("tbody").find_all("td", data_key="macs")] == \
        [humanize(x["macs"]) for x in data["layers"]]
    svg = dom.find("section", id="graph").find("svg")
    assert len(svg.find_all("g", class_="node")) == len(data["layers"]) + 1


def test_compare_in_a_browser(tmp_path):
    data = json_of("compare", "he2015")
    text, _ = page("compare", "he2015")
    dom, png = rendered(tmp_path, text)
    check_png(png)
    models = dom.find("section", id="models")
    for key in ("params", "macs", "complexity"):
        assert [int(v) for v in values(models, key)] == [v["totals"][key] for v in data["variants"]]
    assert len(dom.find("section", id="graph").find_all("svg")) == len(data["variants"])


def test_diff_in_a_browser(tmp_path):
    data = json_of("diff", "he2015-a", "he2015-b")
    text, _ = page("diff", "he2015-a", "he2015-b")
    dom, png = rendered(tmp_path, text)
    check_png(png)
    changed = [x for x in data["layers"] if x["change"] != "same"]
    layers = dom.find("section", id="layers")
    assert [int(v) for v in values(layers, "delta_macs")] == [x["delta_macs"] for x in changed]
    marked = [g for g in dom.find_all("g", class_="node")
              if {"added", "removed", "changed"} & set(g["class"].split())]
    assert len(marked) == sum((x["a"] is not None) + (x["b"] is not None) for x in changed)


def test_the_page_takes_the_views():
    """analyze --depth/--columns/--share: the page's layer table is the folded one,
    its rows the JSON's blocks, with the chosen columns and the share of MACs."""
    args = ["analyze", "resnet18", "--depth", "2", "--columns", "params,macs,rf", "--share", "macs"]
    code, text, _ = run(*args, "--format", "html")
    assert code == 0
    data = json.loads(run(*args, "--format", "json")[1])
    rows = parse(text).find("section", id="layers").find("tbody").find_all("tr")
    assert len(rows) == len(data["blocks"]) < len(data["layers"])
    params = [int(td["data-value"]) for r in rows for td in r.find_all("td", **{"data-key": "params"})]
    assert params == [b["params"] for b in data["blocks"]]
    assert sum(params) == data["totals"]["params"]
    head = [th.text for th in parse(text).find("section", id="layers").find_all("th")]
    assert "share of MACs" in head and "rf" in head and "Eq. (1)" not in head
