"""YAML specs: single networks, structured layers, variants, and their errors."""

from __future__ import annotations

import textwrap

import pytest

from cnncost.costs import analyze
from cnncost.errors import CnnCostError
from cnncost.model import Padding, Shape
from cnncost.notation import parse_spec
from cnncost.yaml_spec import load_document


def doc(text: str):
    return load_document(textwrap.dedent(text), "net.yaml")


def graph_of(text: str, variant: str | None = None):
    d = doc(text)
    net = d.networks[variant] if variant else next(iter(d.networks.values()))
    return net.graph()


def error_of(text: str) -> str:
    with pytest.raises(CnnCostError) as info:
        d = doc(text)
        for net in d.networks.values():
            analyze(net.graph())
    return str(info.value)


def test_spec_stages_and_layers_give_the_same_graph():
    chain = "Input(32,32,3) -> 16F(3,3,s=2) -> relu -> concat[ 8F(1,1) | max-p(3,3,1,p=1) ] -> (3,32)x2 -> gap -> 10fc"
    expected = parse_spec(chain)
    a = graph_of("""
        input: 32x32x3
        spec: 16F(3,3,s=2) -> relu -> concat[ 8F(1,1) | max-p(3,3,1,p=1) ] -> (3,32)x2 -> gap -> 10fc
    """)
    b = graph_of("""
        input: [32, 32, 3]
        stages:
          1: 16F(3,3,s=2) -> relu
          2: concat[ 8F(1,1) | max-p(3,3,1,p=1) ] -> (3,32)x2
          head: gap -> 10fc
    """)
    c = graph_of("""
        input: 32x32x3
        layers:
          - {layer: conv, n: 16, kh: 3, s: 2}
          - relu
          - concat:
              - ["8F(1,1)"]
              - [{layer: max-p, kh: 3, kw: 3, s: 1, p: 1}]
          - {repeat: 2, layers: ["(3,32)"]}
          - gap
          - {layer: fc, n: 10}
    """)
    for g in (a, b, c):
        assert [n.layer for n in g.nodes] == [n.layer for n in expected.nodes]
        assert [n.inputs for n in g.nodes] == [n.inputs for n in expected.nodes]
        assert g.input == Shape(32, 32, 3)
    assert [n.stage for n in b.nodes] == ["1", "1", "2", "2", "2", "2", "2", "head", "head"]


def test_structured_res_and_add():
    g = graph_of("""
        input: 8x8x4
        layers:
          - res: ["4F(3,3)", relu]
          - add: [[id], ["4F(1,1)"]]
    """)
    assert [type(n.layer).__name__ for n in g.nodes] == ["Conv", "Activation", "Add", "Conv", "Add"]


def test_variants_replace_stages():
    text = """
        input: 224x224x3
        padding: he2015
        baseline: A
        variants:
          A:
            stages:
              1: (7,64)/2 → 3/3
              2: (5,128) → 2/2
              3: (3,256)×3
              head: spp(6,3,2,1) → 1000fc
          B: { from: A, stages: { 3: "(2,256)×6" } }
          D: { from: B, stages: { 2: "(3,128)×2 → 2/2" } }
    """
    d = doc(text)
    assert d.baseline == "A" and list(d.networks) == ["A", "B", "D"]
    b = analyze(d.networks["B"].graph())
    stage3 = [r for r in b.rows if r.stage == "3"]
    assert [r.output.h for r in stage3] == [17, 18, 17, 18, 17, 18]
    assert d.networks["B"].padding is Padding.HE2015
    dd = analyze(d.networks["D"].graph())
    assert sum(1 for r in dd.rows if r.stage == "2" and r.kind == "conv") == 2
    assert sum(1 for r in dd.rows if r.stage == "3") == 6


ERRORS = [
    ("not a mapping", "- 1\n- 2\n",
     "error: a spec file must be a mapping with keys such as name, input, spec\n"
     "  --> net.yaml:1:1\n  - 1\n  ^~~\n  hint: see docs/language.md, section YAML"),
    ("unknown key", "input: 8x8x3\nspce: relu\n",
     "error: unknown key 'spce' in the spec file (did you mean 'spec'?)\n"
     "  --> net.yaml:2:1\n  spce: relu\n  ^~~~\n"
     "  hint: allowed keys: name, input, padding, vars, spec, stages, layers, blocks, description, source, reference"),
    ("bad spec inside", "input: 8x8x3\nspec: relu -> maxp\n",
     "error: unknown layer 'maxp' (did you mean 'max-p'?)\n  --> net.yaml:2:15\n"
     "  relu -> maxp\n          ^~~~\n  hint: `cnncost layers` lists every layer"),
    ("quoted spec inside", "input: 8x8x3\nspec: \"relu -> maxp\"\n",
     "error: unknown layer 'maxp' (did you mean 'max-p'?)\n  --> net.yaml:2:16\n"
     "  relu -> maxp\n          ^~~~\n  hint: `cnncost layers` lists every layer"),
    ("unknown from", "variants:\n  A: {spec: relu, input: 8x8x3}\n  B: {from: Z}\n",
     "error: variant 'B' is from 'Z', which is not a variant here\n  --> net.yaml:3:13\n"
     "    B: {from: Z}\n              ^\n  hint: variants: A, B"),
    ("cycle", "variants:\n  A: {from: B}\n  B: {from: A}\n",
     "error: variants refer to each other in a cycle: A → B → A\n  --> net.yaml:2:3\n"
     "    A: {from: B}\n    ^\n  hint: one of them must be a full spec instead of `from:`"),
    ("unknown stage", "input: 8x8x3\nvariants:\n  A: {stages: {1: relu}}\n  B: {from: A, stages: {2: relu}}\n",
     "error: stage '2' is not a stage of 'A'\n  --> net.yaml:4:25\n"
     "    B: {from: A, stages: {2: relu}}\n                          ^\n  hint: its stages are 1"),
    ("bad padding", "input: 8x8x3\npadding: he2016\nspec: relu\n",
     "error: unknown padding policy 'he2016' (did you mean 'he2015'?)\n  --> net.yaml:2:10\n"
     "  padding: he2016\n           ^~~~~~\n  hint: one of: same, he2015, tf"),
    ("spec as a list", "input: 8x8x3\nspec: [relu, bn]\n",
     "error: a spec must be a single value\n  --> net.yaml:2:7\n  spec: [relu, bn]\n        ^~~~~~~~~~\n"
     "  hint: write the chain as one string (`spec: relu → bn`), or give a list as `layers:`"),
    ("stage as a mapping", "input: 8x8x3\nstages:\n  1: {a: 1}\n",
     "error: a spec must be a single value\n  --> net.yaml:3:6\n    1: {a: 1}\n       ^~~~~~\n"
     "  hint: write the chain as one string (`spec: relu → bn`), or give a list as `layers:`"),
    ("unknown key in a structural item", "input: 8x8x3\nlayers:\n  - {repeat: 2, layers: [relu], extra: 1}\n",
     "error: unknown key 'extra' in a repeat: item\n  --> net.yaml:3:33\n"
     "    - {repeat: 2, layers: [relu], extra: 1}\n                                  ^~~~~\n"
     "  hint: allowed keys: repeat, layers"),
    ("repeat not a count", "input: 8x8x3\nlayers:\n  - {repeat: true, layers: [relu]}\n",
     "error: repeat must be a whole number ≥ 0\n  --> net.yaml:3:14\n"
     "    - {repeat: true, layers: [relu]}\n               ^~~~\n"
     "  hint: {repeat: 3, layers: [\"(3,256)\"]}; 0 leaves the layers out, as ×0 does"),
    ("invalid yaml at the end", "input: [8, 8",
     "error: this is not valid YAML: expected ',' or ']', but got '<stream end>'\n  --> net.yaml:1:13\n"
     "  input: [8, 8\n              ^\n"
     "  hint: a value that starts with { or [ is YAML syntax: put the spec in quotes"),
    ("invalid yaml after the last line", "input: 8x8x3\nspec: \"relu\n",
     "error: this is not valid YAML: found unexpected end of stream\n  --> net.yaml:3:1\n"
     "  hint: check the indentation and quoting near this position"),
    ("control character", "input: 8x8x3\nspec: relu\x07\n",
     "error: this is not valid YAML: character #x0007 is not allowed\n  --> net.yaml:2:11\n"
     "  spec: relu\ufffd\n            ^\n  hint: a spec file is UTF-8 text without control characters"),
    ("placeholder error on a later line", "input: 8x8x3\nvars: {w: 2}\nspec: |\n  8F(3,3)\n  -> {w*}F(3,3)\n",
     "error: {w*}: not an expression\n  --> net.yaml:5:6\n  -> {w*}F(3,3)\n     ^~~~\n"
     "  hint: write a whole-number expression, e.g. {w*4} or {div(w*0.75, 8)}"),
    ("lone surrogate", 'name: "\\ud800"\ninput: 8x8x3\nspec: relu\n',
     'error: name holds an unpaired UTF-16 surrogate escape\n  --> net.yaml:1:7\n  name: "\\ud800"\n'
     '        ^~~~~~~~\n  hint: write the character itself, or a \\U escape such as \\U0001F600'),
    ("escape sequence in a name", 'name: "x\\e[31m"\ninput: 8x8x3\nspec: relu\n',
     'error: name holds the control character U+001B\n  --> net.yaml:1:7\n  name: "x\\e[31m"\n'
     '        ^~~~~~~~~\n  hint: names and specs are printable text'),
    ("boolean input size", "input: [true, 8, 3]\nspec: relu\n",
     "error: input must be three whole numbers [H, W, C]\n  --> net.yaml:1:8\n  input: [true, 8, 3]\n"
     "         ^~~~~~~~~~~~\n  hint: e.g. [224, 224, 3]"),
    ("block scalar with an indentation indicator", "input: 56x56x64\nspec: |2\n     64F(3,3) → relu\n     → maxp\n",
     "error: unknown layer 'maxp' (did you mean 'max-p'?)\n  --> net.yaml:4:8\n     → maxp\n       ^~~~\n"
     "  hint: `cnncost layers` lists every layer"),
    ("block scalar starting with a blank line", "input: 56x56x64\nspec: |\n\n  64F(3,3) → relu\n\n  → maxp\n",
     "error: unknown layer 'maxp' (did you mean 'max-p'?)\n  --> net.yaml:6:5\n  → maxp\n    ^~~~\n"
     "  hint: `cnncost layers` lists every layer"),
    ("block scalar ending too soon", "input: 56x56x64\nspec: |\n  64F(3,3) → relu\n  → 8F(3,3\n",
     "error: unbalanced parenthesis: expected ')'\n  --> net.yaml:4:11\n  → 8F(3,3\n          ^\n"
     "  hint: write 64F(7,7,3,s=2)"),
    ("invalid yaml", "input: [8, 8\nspec: relu\n",
     "error: this is not valid YAML: expected ',' or ']', but got ':'\n  --> net.yaml:2:5\n"
     "  spec: relu\n      ^\n  hint: check the indentation and quoting near this position"),
]


@pytest.mark.parametrize("name,text,expected", ERRORS, ids=[e[0] for e in ERRORS])
def test_yaml_errors_name_file_line_column(name, text, expected):
    with pytest.raises(CnnCostError) as info:
        d = load_document(text, "net.yaml")
        for net in d.networks.values():
            analyze(net.graph())
    assert str(info.value) == expected


def test_billion_laughs_is_refused():
    """Nine levels of ten aliases each would be 10⁹ layers; it stops at the node budget."""
    levels = ["&l0 [relu, relu, relu, relu, relu, relu, relu, relu, relu, relu]"]
    for i in range(1, 10):
        levels.append(f"&l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    text = "input: 8x8x3\nlayers:\n" + "".join(f"  - {{repeat: 1, layers: {lv}}}\n" for lv in levels)
    with pytest.raises(CnnCostError) as info:
        load_document(text, "lol.yaml")
    assert "the YAML expands to more than 100,000 values" in str(info.value)


def test_deep_nesting_is_refused():
    text = "input: 8x8x3\nlayers: " + "[" * 5000 + "]" * 5000 + "\n"
    with pytest.raises(CnnCostError) as info:
        load_document(text, "deep.yaml")
    assert "nested too deeply" in str(info.value)


def test_block_scalar_error_location():
    with pytest.raises(CnnCostError) as info:
        load_document("input: 8x8x3\nspec: |\n  relu\n    -> maxp\n", "b.yaml")
    assert "--> b.yaml:4:8" in str(info.value)


def test_variant_vars_do_not_depend_on_file_order():
    d = load_document("input: 8x8x3\nvars: {w: 16}\nvariants:\n  B: {from: A, vars: {w: 64}}\n"
                      "  A: {spec: \"{w}F(3,3)\"}\n", "v.yaml")
    assert d.networks["A"].graph().nodes[0].layer.filters == 16


def test_repeat_zero_leaves_layers_out_as_x0_does():
    text = "input: 8x8x3\nlayers:\n  - {repeat: 0, layers: [\"16F(3,3)\"]}\n  - relu\n"
    net = next(iter(doc(text).networks.values()))
    assert [r.kind for r in analyze(net.graph()).rows] == ["act"]


def test_stage_labels_are_kept_as_written():
    text = "input: 8x8x3\nstages:\n  true: relu\n  null: bn\n  1.0: relu\n  01: relu\n"
    net = next(iter(doc(text).networks.values()))
    assert net.stage_labels == ["true", "null", "1.0", "01"]


def test_a_variant_from_another_reads_its_stages_with_its_own_vars():
    d = doc("""
        input: 8x8x3
        vars: {width: 1}
        variants:
          A: {stages: {1: "{8*width}F(3,3)", 2: relu}}
          B: {from: A, vars: {width: 2}}
          C: {from: B, stages: {2: bn}}
          D: {vars: {w: 3}, spec: "{4*w}F(1,1)"}
          E: {from: D}
        """)
    def conv_widths(key):
        return [r.output.c for r in analyze(d.networks[key].graph()).rows if r.kind == "conv"]
    assert conv_widths("A") == [8]
    assert conv_widths("B") == [16]  # A's layers at B's width, not A's
    assert conv_widths("C") == [16]  # B's vars carry on down the chain of from:
    assert [r.kind for r in analyze(d.networks["C"].graph()).rows] == ["conv", "bn"]
    assert conv_widths("E") == [12]  # D's own vars come with its layers


def test_structured_layers_nested_too_deep_are_refused():
    text = "input: 8x8x3\nlayers: " + "[{res: " * 70 + "[relu]" + "}]" * 70 + "\n"
    with pytest.raises(CnnCostError) as info:
        load_document(text, "d.yaml")
    assert info.value.message == "layers are nested more than 64 deep"


def test_a_long_chain_of_from_is_refused_by_its_length():
    n = 100
    text = "input: 8x8x3\nvariants:\n" + "".join(f"  V{i}: {{from: V{i + 1}}}\n" for i in range(n)) \
        + f"  V{n}: {{spec: relu}}\n"
    with pytest.raises(CnnCostError) as info:
        load_document(text, "v.yaml")
    assert info.value.message.startswith("a chain of more than 64 `from:`")


@pytest.mark.parametrize("block,message", [
    ("fc10: bn", "block 'fc10' would be read as a fully connected layer"),
    ("relux2: bn", "block 'relux2' would be read as relu×2"),
    ("foo: bn, foox3: relu", "block 'foox3' would be read as foo×3"),
    ("f: bn", "block 'f' has the name of a built-in layer"),
    ("'foo(a, a)': relu", "block parameter 'a' appears twice"),
])
def test_block_names_the_parser_would_read_otherwise_are_refused(block, message):
    with pytest.raises(CnnCostError) as info:
        load_document(f"input: 8x8x3\nblocks: {{{block}}}\nspec: relu\n", "b.yaml")
    assert info.value.message == message and info.value.hint


def test_an_error_in_inherited_text_names_the_variant_that_caused_it():
    text = ('input: 8x8x3\nvariants:\n  a: {vars: {width: 1}, stages: {1: "{8*width}F(3,3)", 2: gap}}\n'
            '  b: {from: a, vars: {width: 0.3}}\n')
    with pytest.raises(CnnCostError) as info:
        load_document(text, "v.yaml")
    assert info.value.message == "{8*width} = 2.4 is not a whole number (in variant 'b', from 'a')"


def test_a_block_reads_the_channels_that_reach_it():
    """{cin} in a block body without a `cin` parameter: the inferred input channels.
    MobileNetV2's bottleneck: 1×1 to t·cin, 3×3 depthwise, 1×1 to c."""
    doc = load_document(
        "input: 8x8x16\n"
        "blocks:\n"
        "  ir(t, c, s=1): \"{t*cin}F(1,1,b=0) → bn → dw(3,3,s={s},b=0) → {c}F(1,1,b=0)\"\n"
        "spec: ir(6, 24, s=2) → ir(4, 32)×2\n", "cin.yaml")
    rows = analyze(next(iter(doc.networks.values())).graph()).rows
    convs = [(r.layer.filters, r.output.c) for r in rows if r.kind == "conv"]
    # 16 → 6·16 = 96 → 24; 24 → 4·24 = 96 → 32; 32 → 4·32 = 128 → 32
    assert convs == [(96, 96), (24, 24), (96, 96), (32, 32), (128, 128), (32, 32)]
    params = sum(r.params for r in rows)
    expected = (16 * 96 + 2 * 96 + 9 * 96 + 96 * 24 + 24 * 96 + 2 * 96 + 9 * 96 + 96 * 32
                + 32 * 128 + 2 * 128 + 9 * 128 + 128 * 32)
    assert params == expected


def test_fmt_prints_blocks_that_read_cin_expanded():
    from cnncost.printer import format_document
    text = ("input: 8x8x16\n"
            "blocks:\n"
            "  grow(k): \"{cin+k}F(1,1)\"\n"
            "stages:\n"
            "  a: grow(8)×3\n")
    doc = load_document(text, "grow.yaml")
    out = format_document(doc)
    assert '"a": "24F(1,1) → 32F(1,1) → 40F(1,1)"' in out  # each repetition its own cin
    again = load_document(out, "again.yaml")
    a, b = (analyze(next(iter(d.networks.values())).graph()) for d in (doc, again))
    assert [r.output for r in a.rows] == [r.output for r in b.rows]


def test_a_cin_block_without_an_input_shape_is_an_error():
    doc = load_document("blocks:\n  grow(k): \"{cin+k}F(1,1)\"\nspec: grow(8)\n", "x.yaml")
    with pytest.raises(CnnCostError) as info:
        next(iter(doc.networks.values())).graph()
    assert info.value.message.startswith("no input shape")


def test_structured_mul_and_the_tf_policy():
    doc = load_document(
        "input: 9x9x8\npadding: tf\n"
        "layers:\n"
        "  - {layer: conv, n: 8, kh: 3, s: 2}\n"
        "  - mul: [[id], [gap, 2fc, relu, 8fc, sigmoid]]\n", "m.yaml")
    net = next(iter(doc.networks.values()))
    assert net.padding is Padding.TF
    rows = analyze(net.graph()).rows
    assert rows[0].output == Shape(5, 5, 8)  # ⌈9/2⌉ under TensorFlow SAME
    assert rows[-1].kind == "mul" and rows[-1].output == Shape(5, 5, 8)
    assert rows[-1].ops == 5 * 5 * 8  # one product per output element


def test_structured_mul_needs_two_branches():
    with pytest.raises(CnnCostError) as info:
        load_document("input: 9x9x8\nlayers:\n  - mul: [[id]]\n", "m.yaml")
    assert info.value.message == "mul multiplies two or more branches"
