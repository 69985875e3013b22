"""compare, diff, check and fmt; the seeds' worked examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clihelp import run
from cnncost.comparison import check, collapse, diff, parse_amount
from cnncost.costs import analyze
from cnncost.errors import CnnCostError
from cnncost.metrics import BASELINE, BUDGETS, COMPARED
from cnncost.notation import parse_spec
from cnncost.resolve import load
from cnncost import zoo
from cnncost.printer import format_network
from cnncost.yaml_spec import load_document

EXAMPLES = Path(__file__).parent.parent / "specs" / "examples"


def variants(path: Path) -> dict:
    doc = load(str(path))
    return {name: analyze(net.graph()) for name, net in doc.networks.items()}


# --- the seeds' arithmetic, each number from a formula here ---------------

def test_bottleneck_against_plain():
    v = variants(EXAMPLES / "bottleneck.yaml")
    assert v["plain"].totals.params == 256 * 3 * 3 * 256 == 589_824
    assert v["bottleneck"].totals.params == 256 * 64 + 64 * 3 * 3 * 64 + 64 * 256
    assert v["bottleneck"].totals.macs == (256 * 64 + 64 * 9 * 64 + 64 * 256) * 56 * 56


def test_eight_groups_give_one_eighth():
    v = variants(EXAMPLES / "groups.yaml")
    assert v["g8"].totals.params == 8 * (32 * 3 * 3 * 32) == v["dense"].totals.params // 8
    assert v["g8"].totals.macs * 8 == v["dense"].totals.macs


def test_stacks_of_3x3():
    v = variants(EXAMPLES / "factorized.yaml")
    c = 128
    assert v["5x5"].totals.params == 25 * c * c and v["3x3-x2"].totals.params == 18 * c * c
    assert v["7x7"].totals.params == 49 * c * c and v["3x3-x3"].totals.params == 27 * c * c
    assert round(1 - 18 / 25, 2) == 0.28 and round(1 - 27 / 49, 2) == 0.45
    assert v["3x3-x2"].totals.macs * 25 == v["5x5"].totals.macs * 18
    assert v["3x3-x3"].totals.macs * 49 == v["7x7"].totals.macs * 27
    assert v["5x5"].rows[-1].rf == v["3x3-x2"].rows[-1].rf == 5
    assert v["7x7"].rows[-1].rf == v["3x3-x3"].rows[-1].rf == 7


def test_inception_reductions():
    v = variants(EXAMPLES / "inception.yaml")
    naive_w = 192 * 64 + 192 * 9 * 128 + 192 * 25 * 32
    reduced_w = 192 * 64 + (192 * 96 + 96 * 9 * 128) + (192 * 16 + 16 * 25 * 32) + 192 * 32
    assert v["naive"].totals.params == naive_w + 64 + 128 + 32
    assert v["reduced"].totals.params == reduced_w + 64 + 96 + 128 + 16 + 32 + 32
    assert v["naive"].rows[-1].output.c == 64 + 128 + 32 + 192
    assert v["reduced"].rows[-1].output.c == 64 + 128 + 32 + 32


def test_depthwise_separable():
    v = variants(EXAMPLES / "depthwise.yaml")
    hw = 112 * 112
    assert v["standard"].totals.macs == 3 * 3 * 64 * 128 * hw
    assert v["separable"].totals.macs == (3 * 3 * 64 + 64 * 128) * hw
    assert v["separable"].totals.params == 3 * 3 * 64 + 64 * 128 + 2 * (2 * 64) + 2 * 128 - 2 * 64


# --- compare ----------------------------------------------------------------

@pytest.mark.parametrize("tokens,text", [
    (["(2,256)"] * 6, "(2,256)×6"),
    (["(3,160)"] * 5 + ["(3,256)"], "(3,160)×5 + (3,256)"),
    (["(2,256,p=0)", "(2,256,p=1)"] * 3, "[(2,256,p=0) + (2,256,p=1)]×3"),
    (["a", "b", "b", "c"], "a + b×2 + c"),
    ([], ""),
])
def test_collapse_repeats(tokens, text):
    assert collapse(tokens) == text


def _notation(spec: str) -> str:
    from cnncost.comparison import paper_notation
    net = analyze(next(iter(load(spec).networks.values())).graph())
    return paper_notation(net.rows)


@pytest.mark.parametrize("spec,text", [
    # a plain chain: Table 1's tokens, repeats collapsed, bn/relu/softmax not written
    ("Input(224,224,3) -> (7,64)/2 -> 3/3 -> (3,128) -> relu -> (3,128) -> (3,128) -> 2/2 "
     "-> 4096fc -> softmax", "(7,64)/2 + 3/3 + (3,128)×3 + 2/2 + 4096fc"),
    # two equal layers in two branches are two branches, never one layer ×2
    ("Input(32,32,16) -> add[ 16F(1,1) | 16F(1,1) ]", "add[ (1,16) | (1,16) ]"),
    ("Input(32,32,16) -> res[ (3,16) -> bn -> relu -> (3,16) ]", "res[ (3,16)×2 ]"),
    ("Input(32,32,8) -> concat[ id | (3,8) ]x2", "concat[ id | (3,8) ]×2"),
    ("Input(32,32,8) -> add[ bn | (3,8) ]", "add[ bn | (3,8) ]"),  # a branch of only bn
    ("Input(32,32,8) -> mul[ id | gap -> 8fc ]", "mul[ id | gap + 8fc ]"),
    ("Input(32,32,3) -> (3,16) -> aux[ 3/2 -> 10fc ] -> (3,16)", "(3,16) + aux[ 3/2 + 10fc ] + (3,16)"),
])
def test_paper_notation_writes_branches_as_branches(spec, text):
    assert _notation(spec) == text


def _bottleneck(w: int, first: str = "", mid: str = "") -> str:
    """He et al. 2016, Table 1: [1×1, w; 3×3, w; 1×1, 4w]; bias-free convolutions."""
    return f"{w}F(1,1{first},b=0) + {w}F(3,3{mid},b=0) + {4 * w}F(1,1,b=0)"


def _stage(w: int, blocks: int, s: str, v1: bool) -> str:
    """A stage of `blocks` bottlenecks: the first with a projection shortcut (1×1, 4w,
    the stage's stride), the rest with identity shortcuts."""
    first = _bottleneck(w, s if v1 else "", "" if v1 else s)
    return (f"add[ {first} | {4 * w}F(1,1{s},b=0) ] + res[ {_bottleneck(w)} ]×{blocks - 1}")


@pytest.mark.parametrize("name,v1", [("resnet50", False), ("resnet50_v1", True)])
def test_paper_notation_of_resnet50(name, v1):
    """Table 1's 50-layer column: conv2_x is a 3×3 max pool, stride 2, then
    [1×1, 64; 3×3, 64; 1×1, 256]×3; conv3_x–conv5_x [1×1, w; 3×3, w; 1×1, 4w]×4, ×6, ×3
    for w = 128, 256, 512, stride 2 (on the 3×3 in torchvision's v1.5, on the first 1×1
    in the paper's v1). The first block of each stage projects its shortcut."""
    code, out, _ = run("compare", name, "--format", "json")
    stages = {s["name"]: s["layers"] for s in json.loads(out)["variants"][0]["stages"]}
    assert code == 0 and stages == {
        "conv1": "64F(7,7,s=2,b=0)",
        "conv2_x": "max-p(3,3,2,p=1) + " + _stage(64, 3, "", v1),
        "conv3_x": _stage(128, 4, ",s=2", v1),
        "conv4_x": _stage(256, 6, ",s=2", v1),
        "conv5_x": _stage(512, 3, ",s=2", v1),
        "head": "gap + 1000fc",
    }


def test_compare_json_contract():
    code, out, _ = run("compare", "he2015", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["baseline"] == "A"
    names = [v["name"] for v in data["variants"]]
    assert names == ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "J-prime"]
    b = data["variants"][1]
    a = data["variants"][0]
    assert b["relative"]["complexity"] == b["totals"]["complexity"] / a["totals"]["complexity"]
    assert [s["layers"] for s in b["stages"]][2] == "(2,256)×6"
    assert data["variants"][5]["stages"][2]["layers"] == "(3,160)×5 + (3,256)"


def test_compare_any_list_with_baseline():
    code, out, _ = run("compare", "he2015-a", "he2015-b", "Input(18,18,128) -> (3,256)x3",
                       "--baseline", "he2015-b", "-f", "json")
    data = json.loads(out)
    assert code == 0 and data["baseline"] == "he2015-b"
    assert data["variants"][2]["name"] == "Input(18,18,128) -> (3,256)…"
    code, _, err = run("compare", "he2015-a", "--baseline", "nope")
    assert code == 2 and "baseline 'nope' is not among" in err


# --- diff ------------------------------------------------------------------

def test_compare_to_a_zero_baseline_has_no_ratio():
    """A baseline with no convolutions has no Eq. (1) to divide by: null, never NaN."""
    specs = ["Input(8,8,3) -> relu", "Input(8,8,3) -> 8F(3,3) -> 2/2 -> 8F(3,3)"]
    code, out, _ = run("compare", *specs, "--format", "json")
    assert code == 0
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
    assert [v["relative"]["complexity"] for v in data["variants"]] == [None, None]
    code, out, _ = run("compare", *specs, "--format", "csv")
    rows = out.splitlines()
    assert rows[0].split(",")[7] == "relative_complexity"
    import csv
    table = list(csv.DictReader(rows))
    assert [r["relative_complexity"] for r in table] == ["", ""]
    assert table[0]["complexity_stage_2"] == ""  # the first model has no stage 2, not 0
    assert table[1]["complexity_stage_2"] == str(8 * 9 * 8 * 4 * 4)
    code, out, _ = run("compare", *specs, "--format", "markdown")
    assert "nan" not in out.lower() and "–" in out


def test_diff_a_j_changes_stages_3_and_4():
    code, out, _ = run("diff", "he2015-a", "he2015-j", "-f", "json", "--exit-code")
    data = json.loads(out)
    assert code == 1 and data["differs"]
    stages = {s["name"]: s for s in data["stages"]}
    a, j = (analyze(load(n).networks[n].graph()) for n in ("he2015-a", "he2015-j"))
    for s in ("1", "2", "3", "4", "head"):
        before = sum(r.complexity for r in a.rows if r.stage == s)
        after = sum(r.complexity for r in j.rows if r.stage == s)
        assert stages[s]["delta_complexity"] == after - before, s
    assert data["totals"]["delta_params"] == j.totals.params - a.totals.params
    added = [x["b"]["notation"] for x in data["layers"] if x["change"] == "added"]
    assert "2304F(2,2)" in added


def test_diff_same_notation_and_output_with_other_costs_is_changed():
    """8F(3,3) reads 3 channels in A and 4 in B: same notation, same output, other params."""
    def cost(spec: str):
        return analyze(load(spec).networks[next(iter(load(spec).networks))].graph())
    a, b = cost("Input(8,8,3) -> 8F(3,3)"), cost("Input(8,8,4) -> 8F(3,3)")
    assert a.rows[0].output == b.rows[0].output and "params" in COMPARED
    assert [r.change.value for r in diff(a, b).rows] == ["~"]
    assert [r.change.value for r in diff(a, a).rows] == ["="]


def test_diff_identical_exit_code_zero():
    code, out, _ = run("diff", "he2015-a", "he2015", "--exit-code")  # he2015's baseline is A
    assert code == 0 and "no differences" in out


# --- check -------------------------------------------------------------------

A_PARAMS = (3 * 49 * 64 + 64) + (64 * 25 * 128 + 128) + (128 * 9 * 256 + 256) + 2 * (256 * 9 * 256 + 256) \
    + (256 * 50 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000)


@pytest.mark.parametrize("limit,code", [(A_PARAMS - 1, 1), (A_PARAMS, 0), (A_PARAMS + 1, 0)])
def test_check_under_at_over(limit, code):
    got, out, _ = run("check", "he2015-a", "--max-params", str(limit), "-f", "json")
    assert got == code
    assert json.loads(out)["limits"][0]["margin"] == A_PARAMS - limit


def test_check_against_baseline():
    assert run("check", "he2015-e", "--baseline", "he2015-a", "--max-increase", "2%")[0] == 0
    code, out, _ = run("check", "he2015-j", "--baseline", "he2015-a", "--max-increase", "0%")
    assert code == 1 and "over budget (params)" in out.lower() and "OVER by" in out


def test_check_max_flops():
    flops = 2 * analyze(load("he2015-a").networks["he2015-a"].graph()).totals.macs
    assert run("check", "he2015-a", "--max-flops", str(flops))[0] == 0
    code, out, _ = run("check", "he2015-a", "--max-flops", str(flops - 1), "-f", "csv")
    assert code == 1 and out.splitlines()[1] == f"FAIL,flops,{flops},{flops - 1},--max-flops,1"


def test_check_core_stores_metric_keys_and_names_no_flags():
    a, e = (analyze(load(n).networks[n].graph()) for n in ("he2015-a", "he2015-e"))
    result = check(e, {"params": 1}, baseline=a, max_increase=2)
    assert [(lim.metric, lim.increase) for lim in result.limits] == \
        [("params", None), *((m.key, 2) for m in BASELINE)]
    with pytest.raises(CnnCostError) as info:
        check(e, {})
    assert "--" not in info.value.message + info.value.hint
    assert info.value.cli_hint == "give " + "/".join(m.flag for m in BUDGETS) + ", or --baseline"


def test_check_usage_errors():
    assert run("check", "he2015-a")[0] == 2
    assert run("check", "he2015-a", "--max-increase", "2%")[0] == 2
    code, _, err = run("check", "he2015-a", "--max-macs", "lots")
    assert code == 2 and "is not an amount" in err


@pytest.mark.parametrize("text,value", [("5M", 5_000_000), ("1.2G", 1_200_000_000),
                                        ("600000", 600_000), ("2.5k", 2500), ("1T", 10**12)])
def test_parse_amount(text, value):
    assert parse_amount(text, "x") == value


def test_parse_amount_rejects_fractions():
    with pytest.raises(CnnCostError):
        parse_amount("1.0000001K", "x")


# --- fmt: canonical notation round-trips ------------------------------------

LAYER = st.sampled_from([
    "16F(3,3)", "(3,16)", "(2,8,p=0)", "8*1*1*16", "dw(3,3)", "relu", "bn", "max-p(3,3,1,p=1)",
    "avg-p(2,2,1)", "se(4)", "32F(1,1,b=0)", "shuffle(2)", "dropout", "swish", "cw(3)", "id",
])


def _chain(depth: int) -> st.SearchStrategy[str]:
    item = LAYER
    if depth > 0:
        sub = _chain(depth - 1)
        item = st.one_of(
            LAYER,
            st.tuples(sub, st.integers(1, 3)).map(lambda t: f"[{t[0]}]x{t[1]}"),
            st.lists(sub, min_size=1, max_size=3).map(lambda bs: "concat[ " + " | ".join(bs) + " ]"),
            sub.map(lambda b: f"res[ 16F(1,1) -> {b} -> 16F(1,1) ]"),
        )
    return st.lists(item, min_size=1, max_size=4).map(" -> ".join)


@settings(max_examples=150, deadline=None)
@given(_chain(2))
def test_fmt_round_trips(text):
    spec = "Input(16,16,16) -> 16F(1,1) -> " + text
    first = load(spec).networks[""]
    canonical = format_network(first)
    again = parse_spec(canonical)
    original = parse_spec(spec)
    assert [(n.layer, n.inputs, n.unit) for n in again.nodes] == \
        [(n.layer, n.inputs, n.unit) for n in original.nodes]
    assert again.input == original.input
    assert format_network(load(canonical).networks[""]) == canonical


def test_fmt_command():
    code, out, _ = run("fmt", "Input(224,224,3) -> (7,64)/2 -> 3/3 -> (3,256)x3")
    assert code == 0
    assert out == "Input(224,224,3)\n→ 64F(7,7,s=2) → max-p(3,3,3) → 256F(3,3)×3\n"


def _rows(net):
    return [(r.layer, r.inputs, r.output, r.stage) for r in analyze(net.graph()).rows]


@pytest.mark.parametrize("name", zoo.names())
def test_fmt_of_every_zoo_entry_loads_back_to_the_same_networks(name):
    """Padding policy, stage labels, variants: the canonical form keeps them all."""
    doc = load(name)
    code, out, _ = run("fmt", name)
    assert code == 0
    again = load_document(out, "fmt.yaml") if out.lstrip().startswith(("name:", "input:", "baseline:")) \
        else load(out)
    assert list(again.networks) == list(doc.networks)
    for key, net in doc.networks.items():
        back = again.networks[key]
        assert back.padding == net.padding and back.input == net.input
        assert back.stage_labels == net.stage_labels
        assert _rows(back) == _rows(net)


def test_fmt_of_a_he2015_variant_keeps_its_padding():
    code, out, _ = run("fmt", "he2015", "--variant", "B")
    assert code == 0 and "padding: he2015" in out
    stage3 = [r for r in analyze(load_document(out, "b.yaml").networks["B"].graph()).rows
              if r.stage == "3"]
    assert [r.output.h for r in stage3] == [17, 18, 17, 18, 17, 18]  # the 2×2 alternation


def test_compare_a_variants_file_whose_baseline_has_its_own_name(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text('input: 8x8x3\nvariants:\n  A: {name: X, spec: "4F(1,1)"}\n  B: {spec: "8F(1,1)"}\n')
    code, out, _ = run("compare", str(path), "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["baseline"] == "X"
    assert [v["relative"]["params"] for v in data["variants"]] == [1.0, (3 * 8 + 8) / (3 * 4 + 4)]


@given(st.text(min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_fmt_keeps_any_variant_name(name):
    from cnncost.printer import yaml_quote
    text = f"input: 8x8x3\nvariants:\n  {yaml_quote(name)}: {{spec: relu}}\n"
    try:
        doc = load_document(text, "v.yaml")
    except CnnCostError:  # a name we refuse (control characters): nothing to format
        return
    from cnncost.printer import format_document
    again = load_document(format_document(doc), "fmt.yaml")
    assert list(again.networks) == list(doc.networks) == [name]


def test_compare_divides_by_the_files_baseline_even_when_names_repeat(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text('baseline: b\ninput: 8x8x3\nvariants:\n  a: {spec: "8F(3,3) -> gap"}\n'
                    '  b: {spec: "16F(3,3) -> gap", name: "a"}\n')
    code, out, _ = run("compare", str(path), "--format", "json")
    rel = [v["relative"]["complexity"] for v in json.loads(out)["variants"]]
    assert code == 0 and rel == [(8 * 27 * 64) / (16 * 27 * 64), 1.0]


# --- diff by structure: labels, names, stage boundaries and branch order are no change

def _net(spec: str):
    doc = load(spec)
    return analyze(doc.networks[next(iter(doc.networks))].graph())


R20_BODY = ("16F(3,3,b=0) -> bn -> relu -> "
            "[ add[ 16F(3,3,b=0) -> bn -> relu -> 16F(3,3,b=0) -> bn | id ] -> relu ]x3 -> "
            "{down32} -> relu -> [ res[ 32F(3,3,b=0) -> bn -> relu -> 32F(3,3,b=0) -> bn ] -> relu ]x2"
            " -> add[ 64F(3,3,s=2,b=0) -> bn -> relu -> 64F(3,3,b=0) -> bn | max-p(1,1,2) -> cpad(64) ]"
            " -> relu -> [ res[ 64F(3,3,b=0) -> bn -> relu -> 64F(3,3,b=0) -> bn ] -> relu ]x2"
            " -> gap -> 10fc")
# the option A shortcut written first: branch order is no change either
R20_PLAIN = "Input(32,32,3) -> " + R20_BODY.format(
    down32="add[ max-p(1,1,2) -> cpad(32) | 32F(3,3,s=2,b=0) -> bn -> relu -> 32F(3,3,b=0) -> bn ]")
R20_STAGES = """name: resnet-20
input: 32x32x3
stages:
  stem: "16F(3,3,b=0) → bn → relu"
  s1: "[ res[ 16F(3,3,b=0) → bn → relu → 16F(3,3,b=0) → bn ] → relu ]×3"
  s2: "add[ 32F(3,3,s=2,b=0) → bn → relu → 32F(3,3,b=0) → bn | max-p(1,1,2) → cpad(32) ] → relu
       → [ res[ 32F(3,3,b=0) → bn → relu → 32F(3,3,b=0) → bn ] → relu ]×2"
  s3: "add[ 64F(3,3,s=2,b=0) → bn → relu → 64F(3,3,b=0) → bn | max-p(1,1,2) → cpad(64) ] → relu
       → [ res[ 64F(3,3,b=0) → bn → relu → 64F(3,3,b=0) → bn ] → relu ]×2"
  head: "gap → 10fc"
"""


def test_resnet20_plain_and_with_named_stages_are_the_same(tmp_path):
    path = tmp_path / "r20.yaml"
    path.write_text(R20_STAGES, encoding="utf-8")
    code, out, _ = run("diff", R20_PLAIN, str(path), "--exit-code", "-f", "json")
    data = json.loads(out)
    assert code == 0 and not data["differs"], [x for x in data["layers"] if x["change"] != "same"]
    assert len(data["layers"]) == len(_net(R20_PLAIN).rows) == 72 and "stages" not in data and "stage rollup" in data["note"]
    assert all(v == 0 for k, v in data["totals"].items() if k.startswith("delta_"))
    code, out, _ = run("diff", R20_PLAIN, str(path), "--exit-code")
    assert code == 0 and "no differences" in out and "no stage rollup" in out
    code, out, _ = run("check", str(path), "--baseline", R20_PLAIN, "-f", "json")
    stages = json.loads(out)["stages"]
    assert code == 0 and [s["delta_complexity"] for s in stages] == [0] * 5
    assert {s["name"] for s in stages} == {"stem", "s1", "s2", "s3", "head"}
    assert stages[1]["baseline_complexity"] == stages[1]["complexity"] > 0


@pytest.mark.parametrize("a,b", [
    ("Input(8,8,4) -> concat[ 8F(1,1) | 4F(3,3) -> relu ] -> 16F(3,3)",
     "Input(8,8,4) -> concat[ 4F(3,3) -> relu | 8F(1,1) ] -> 16F(3,3)"),
    ("Input(8,8,4) -> add[ 4F(3,3) -> bn | id ] -> relu", "Input(8,8,4) -> add[ id | 4F(3,3) -> bn ] -> relu"),
    ("Input(8,8,4) -> concat[ concat[ 2F(1,1) | 3F(1,1) ] | 4F(3,3) -> relu ]",
     "Input(8,8,4) -> concat[ 4F(3,3) -> relu | concat[ 3F(1,1) | 2F(1,1) ] ]"),
])
def test_branch_order_is_no_change(a, b):
    """concat[ a | b ] and concat[ b | a ] order the output channels otherwise, but the
    shapes and every cost agree: the same."""
    assert not diff(_net(a), _net(b)).differs
    assert run("diff", a, b, "--exit-code")[0] == 0


def test_stage_boundaries_and_names_are_no_change(tmp_path):
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text('name: one\ninput: 8x8x3\nstages:\n  a: "8F(3,3) -> relu"\n'
                   '  b: "8F(3,3) -> 2/2"\n  c: "gap -> 10fc"\n')
    two.write_text('name: two\ninput: 8x8x3\nstages:\n  x: "8F(3,3)"\n'
                   '  y: "relu -> 8F(3,3) -> 2/2 -> gap"\n  z: "10fc"\n')
    d = diff(_net(str(one)), _net(str(two)))
    assert not d.differs and d.stages == [] and not d.same_stages
    assert run("diff", str(one), str(two), "--exit-code")[0] == 0
    plain = "Input(8,8,3) -> 8F(3,3) -> relu -> 8F(3,3) -> 2/2 -> gap -> 10fc"
    assert run("diff", plain, str(two), "--exit-code")[0] == 0


def _changes(a: str, b: str):
    d = diff(_net(a), _net(b))
    return d, [(r.change.value, (r.a or r.b).layer.kind if (r.a or r.b) else None, r.why)
               for r in d.rows if r.change.value != "="]


def test_one_layer_inserted_is_one_added():
    a = "Input(16,16,8) -> 8F(3,3) -> relu -> 16F(3,3) -> gap -> 10fc"
    d, changes = _changes(a, a.replace("relu ->", "relu -> 8F(1,1) -> bn ->"))
    assert [c[:2] for c in changes] == [("+", "conv"), ("+", "bn")]
    assert run("diff", a, a.replace("relu ->", "relu -> bn ->"), "--exit-code")[0] == 1
    # an inserted layer that widens what the next one reads: that one is changed, and says so
    d, changes = _changes(a, a.replace("relu ->", "relu -> 32F(1,1) ->"))
    assert changes == [("+", "conv", ""), ("~", "conv", "input channels 8 → 32")]


def test_one_width_changed_says_why():
    a = "Input(16,16,8) -> 64F(3,3) -> relu -> 16F(3,3) -> gap -> 10fc"
    d, changes = _changes(a, a.replace("64F", "128F"))
    assert changes == [("~", "conv", "filters 64 → 128, output channels 64 → 128"),
                       ("~", "act", "input channels 64 → 128, output channels 64 → 128"),
                       ("~", "conv", "input channels 64 → 128")]
    code, out, _ = run("diff", a, a.replace("64F", "128F"), "-f", "json", "--exit-code")
    data = json.loads(out)
    assert code == 1 and data["layers"][0]["why"] == "filters 64 → 128, output channels 64 → 128"
    assert [s["name"] for s in data["stages"]] == ["1", "head"]
    _, changes = _changes(a, a.replace("16F(3,3)", "16F(3,3,s=2)"))
    assert changes[0] == ("~", "conv", "stride 1 → 2, output 16x16x16 → 8x8x16")


def test_one_branch_added():
    a = "Input(8,8,4) -> concat[ 8F(1,1) | 4F(3,3) -> relu ] -> 16F(3,3)"
    b = "Input(8,8,4) -> concat[ 8F(1,1) | 4F(3,3) -> relu | max-p(3,3,1,p=1) ] -> 16F(3,3)"
    _, changes = _changes(a, b)
    assert changes == [("+", "pool", ""),
                       ("~", "concat", "inputs 2 → 3, output channels 12 → 16"),
                       ("~", "conv", "input channels 12 → 16")]
    b2 = "Input(8,8,4) -> concat[ max-p(3,3,1,p=1) | 4F(3,3) -> relu | 8F(1,1) ] -> 16F(3,3)"  # in another order
    assert _changes(a, b2)[1] == changes


def test_a_widened_branch_stays_aligned_with_its_sibling():
    a = "Input(8,8,4) -> concat[ 8F(1,1) | 4F(3,3) -> relu ] -> 16F(3,3)"
    _, changes = _changes(a, a.replace("4F(3,3)", "6F(3,3)"))
    assert changes == [("~", "conv", "filters 4 → 6, output channels 4 → 6"),
                       ("~", "act", "input channels 4 → 6, output channels 4 → 6"),
                       ("~", "concat", "inputs 8x8x4 + 8x8x8 → 8x8x6 + 8x8x8, output channels 12 → 14"),
                       ("~", "conv", "input channels 12 → 14")]
    # widened past its sibling: the branches are still paired by their structure
    _, changes = _changes(a, a.replace("4F(3,3)", "16F(3,3)"))
    assert [c[:2] for c in changes] == [("~", "conv"), ("~", "act"), ("~", "concat"), ("~", "conv")]


def test_renamed_stages_markdown_notes_the_missing_rollup(tmp_path):
    path = tmp_path / "r20.yaml"
    path.write_text(R20_STAGES, encoding="utf-8")
    code, out, _ = run("diff", R20_PLAIN, str(path), "-f", "markdown")
    assert code == 0 and "no stage rollup" in out and "| stage | Δparams" not in out
    code, out, _ = run("diff", R20_PLAIN, str(path), "-f", "csv")
    assert code == 0 and out.splitlines()[0].endswith(",why")


def test_a_layer_of_another_kind_is_removed_and_added_in_bs_order():
    a = "Input(8,8,4) -> concat[ 8F(1,1) | 4F(3,3) -> relu ] -> 16F(3,3)"
    b = "Input(8,8,4) -> concat[ max-p(3,3,1,p=1) | 4F(3,3) -> relu ] -> 16F(3,3)"
    d, changes = _changes(a, b)
    assert changes == [("-", "conv", ""), ("+", "pool", ""),
                       ("~", "concat", "inputs 8x8x4 + 8x8x8 → 8x8x4 + 8x8x4, output channels 12 → 8"),
                       ("~", "conv", "input channels 12 → 8")]
    assert [r.b.name for r in d.rows if r.b is not None] == ["pool1", "conv1", "relu1", "concat1",
                                                              "conv2"]


FITS = st.sampled_from(["16F(3,3)", "(3,8)", "relu", "bn", "max-p(3,3,1,p=1)", "se(4)", "dw(3,3)",
                        "32F(1,1,b=0)", "avg-p(2,2,1)", "res[ bn -> relu ]", "res[ dw(3,3) ]"])


def _fitting(depth: int) -> st.SearchStrategy[str]:
    """Chains that always fit together: no declared channels, merges by concat."""
    item = FITS
    if depth > 0:
        sub = _fitting(depth - 1)
        item = st.one_of(FITS, st.lists(sub, min_size=1, max_size=3).map(
            lambda bs: "concat[ " + " | ".join(bs) + " ]"))
    return st.lists(item, min_size=1, max_size=4).map(" -> ".join)


@settings(max_examples=60, deadline=None)
@given(_fitting(2), _fitting(2))
def test_diff_accounts_for_every_layer_once(x, y):
    """Every layer of each side is in exactly one row, so the rows' deltas add up to the
    totals'; a network is never different from itself."""
    try:
        a = _net("Input(16,16,16) -> 16F(1,1) -> " + x)
        b = _net("Input(16,16,16) -> 16F(1,1) -> " + y)
    except CnnCostError:  # a chain that does not fit together (declared channels): no network
        assume(False)
    d = diff(a, b)
    assert sorted(r.a.index for r in d.rows if r.a) == [r.index for r in a.rows]
    assert sorted(r.b.index for r in d.rows if r.b) == [r.index for r in b.rows]
    for m in ("params", "macs", "complexity"):
        assert sum(r.delta(m) for r in d.rows) == d.total_delta(m)
    assert not diff(a, a).differs and not diff(b, b).differs
    assert all(r.why for r in d.rows if r.change.value == "~")


@pytest.mark.parametrize("name", ["googlenet", "inception_v3", "densenet121"])
def test_a_zoo_network_and_its_canonical_form_are_the_same(name):
    code, out, _ = run("fmt", name)
    assert code == 0
    doc = load_document(out, "fmt.yaml") if out.lstrip().startswith(("name:", "input:")) \
        else load(out)
    a = _net(name)
    b = analyze(doc.networks[next(iter(doc.networks))].graph())
    assert not diff(a, b).differs and not diff(b, a).differs


@settings(max_examples=40, deadline=None)
@given(st.lists(_fitting(1), min_size=2, max_size=4), st.randoms(use_true_random=False))
def test_any_branch_order_is_the_same(branches, rnd):
    shuffled = list(branches)
    rnd.shuffle(shuffled)
    try:
        a = _net("Input(16,16,16) -> concat[ " + " | ".join(branches) + " ] -> 8F(1,1)")
        b = _net("Input(16,16,16) -> concat[ " + " | ".join(shuffled) + " ] -> 8F(1,1)")
    except CnnCostError:
        assume(False)
    assert not diff(a, b).differs
