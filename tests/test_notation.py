"""Parser cases as data: valid spec → expected layers; invalid spec → exact message.

The bad-input corpus lives in tests/cases/bad_specs.txt: blocks of
``spec`` / ``---`` / expected message, separated by ``===``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnncost.errors import CnnCostError
from cnncost.layers import (
    LRN, SE, SPP, Act, Activation, AdaptivePool, Add, BatchNorm, Concat, Conv, Dense,
    Depthwise, Dropout, Flatten, GlobalPool, Pool, PoolOp, Shuffle,
)
from cnncost.model import INPUT, Shape
from cnncost.notation import parse_spec
from cnncost.printer import format_layer

CASES = Path(__file__).parent / "cases"


def layers(text: str) -> list:
    return [n.layer for n in parse_spec(text).nodes]


MAX = PoolOp.MAX
AVG = PoolOp.AVG

VALID = [
    # --- the three convolution spellings and their options
    ("64F(7,7,3,s=2)", [Conv(64, 7, 7, stride=2, c_in=3)]),
    ("64f(7,7)", [Conv(64, 7, 7)]),
    ("64F(3)", [Conv(64, 3, 3)]),
    ("(7,64)/2", [Conv(64, 7, 7, stride=2)]),
    ("(3,256)", [Conv(256, 3, 3)]),
    ("(2,256,p=0)", [Conv(256, 2, 2, pad=0)]),
    ("(2,256,p=1)/2", [Conv(256, 2, 2, stride=2, pad=1)]),
    ("128*3*3*256", [Conv(256, 3, 3, c_in=128)]),
    ("256F(3,3,256,g=8)", [Conv(256, 3, 3, groups=8, c_in=256)]),
    ("64F(3,3,d=2,b=0,p=same)", [Conv(64, 3, 3, dilation=2, bias=False, pad="same")]),
    ("64F(3,3,p=valid,s=2)", [Conv(64, 3, 3, stride=2, pad="valid")]),
    ("conv(kh=3,kw=1,n=64)", [Conv(64, 3, 1)]),
    ("conv(64,3,3)", [Conv(64, 3, 3)]),
    ("dw(3,3)", [Depthwise(3, 3)]),
    ("dw(5,5,m=2,s=2,b=0)", [Depthwise(5, 5, multiplier=2, stride=2, bias=False)]),
    # --- pooling
    ("max-p(3,3,3)", [Pool(MAX, 3, 3, 3)]),
    ("max-p(3)", [Pool(MAX, 3, 3, 3)]),
    ("max-p", [Pool(MAX, 2, 2, 2)]),
    ("max-p(3,2)", [Pool(MAX, 3, 3, 2)]),
    ("MAX-P(3,3,2,p=1,ceil=1)", [Pool(MAX, 3, 3, 2, pad=1, ceil=True)]),
    ("avg-p(2,2,2)", [Pool(AVG, 2, 2, 2)]),
    ("3/3", [Pool(MAX, 3, 3, 3)]),
    ("2/2", [Pool(MAX, 2, 2, 2)]),
    ("3/2", [Pool(MAX, 3, 3, 2)]),
    ("gap -> gmp", [GlobalPool(AVG), GlobalPool(MAX)]),
    ("aap(7,7) -> amp(6)", [AdaptivePool(AVG, 7, 7), AdaptivePool(MAX, 6, 6)]),
    ("spp(6*6,3*3,2*2,1*1)", [SPP((6, 3, 2, 1))]),
    ("spp(6x6,3x3,2x2,1x1)", [SPP((6, 3, 2, 1))]),
    ("spp(6,3,2,1)", [SPP((6, 3, 2, 1))]),
    # --- fc and the other layers
    ("4096fc", [Dense(4096)]),
    ("fc4096", [Dense(4096)]),
    ("fc(4096)", [Dense(4096)]),
    ("fc(10,b=0)", [Dense(10, bias=False)]),
    ("relu → relu6 → sigmoid → tanh → swish → silu", [Activation(a) for a in (
        Act.RELU, Act.RELU6, Act.SIGMOID, Act.TANH, Act.SWISH, Act.SWISH)]),
    ("hswish -> hardswish -> hsigmoid -> hardsigmoid -> softmax", [Activation(a) for a in (
        Act.HSWISH, Act.HSWISH, Act.HSIGMOID, Act.HSIGMOID, Act.SOFTMAX)]),
    ("bn -> lrn -> lrn(3) -> dropout -> dropout(0.5) -> flatten",
     [BatchNorm(), LRN(5), LRN(3), Dropout(), Dropout(), Flatten()]),
    ("se(4) -> se(16,sq=8,act=swish,gate=hsigmoid) -> shuffle(2)",
     [SE(4), SE(16, squeeze=8, act=Act.SWISH, gate=Act.HSIGMOID), Shuffle(2)]),
    # --- links, whitespace, comments, case
    ("relu->bn=>relu+bn→relu", [Activation(Act.RELU), BatchNorm(), Activation(Act.RELU),
                                BatchNorm(), Activation(Act.RELU)]),
    ("  RELU  # a comment\n\n  ->\tBN # another\n", [Activation(Act.RELU), BatchNorm()]),
    ("id -> relu", [Activation(Act.RELU)]),
    # --- repetition
    ("(3,256)×3", [Conv(256, 3, 3)] * 3),
    ("256F(3,3,256)x3", [Conv(256, 3, 3, c_in=256)] * 3),
    ("(3,256) x 2", [Conv(256, 3, 3)] * 2),
    ("5×256*2*2*256", [Conv(256, 2, 2, c_in=256)] * 5),
    ("5x256*2*2*256", [Conv(256, 2, 2, c_in=256)] * 5),
    ("2x(3,64)", [Conv(64, 3, 3)] * 2),
    ("[(2,256,p=0) + (2,256,p=1)]×3", [Conv(256, 2, 2, pad=0), Conv(256, 2, 2, pad=1)] * 3),
    ("[relu]x2x3", [Activation(Act.RELU)] * 6),
    ("relux3", [Activation(Act.RELU)] * 3),
    ("4096fcx2", [Dense(4096)] * 2),
    ("4096FCx2", [Dense(4096)] * 2),
    ("4096FCX2", [Dense(4096)] * 2),
    ("3xrelu", [Activation(Act.RELU)] * 3),
    ("h-swish -> h-sigmoid", [Activation(Act.HSWISH), Activation(Act.HSIGMOID)]),
    ("relu # {not a placeholder}", [Activation(Act.RELU)]),
    ("relu -> bn x0 -> 0x[relu] -> relu", [Activation(Act.RELU)] * 2),
]


@pytest.mark.parametrize("text,expected", VALID, ids=[v[0] for v in VALID])
def test_valid_spec_gives_layers(text, expected):
    assert layers(text) == expected


def test_branches_wire_inputs():
    g = parse_spec("Input(28,28,192) -> concat[ 64F(1,1) | 96F(1,1) → 128F(3,3) | "
                   "max-p(3,3,1,p=1) → 32F(1,1) ] -> res[ 16F(1,1) -> 256F(1,1) ] -> "
                   "add[ id | relu ]")
    wiring = [(type(n.layer).__name__, n.inputs) for n in g.nodes]
    assert wiring == [
        ("Conv", (INPUT,)), ("Conv", (INPUT,)), ("Conv", (1,)), ("Pool", (INPUT,)),
        ("Conv", (3,)), ("Concat", (0, 2, 4)),
        ("Conv", (5,)), ("Conv", (6,)), ("Add", (7, 5)),
        ("Activation", (8,)), ("Add", (8, 9)),
    ]
    assert g.input == Shape(28, 28, 192)


def test_input_forms():
    assert parse_spec("Input(224,224,3) -> relu").input == Shape(224, 224, 3)
    assert parse_spec("224x224x3 -> relu").input == Shape(224, 224, 3)
    assert parse_spec("224X224X3 -> relu").input == Shape(224, 224, 3)
    assert parse_spec("input( 32 , 16 , 1 ) => relu").input == Shape(32, 16, 1)
    assert parse_spec("relu").input is None
    assert parse_spec("8x8x3  # the input\n-> relu").input == Shape(8, 8, 3)
    assert parse_spec("8x8x3#input\n-> relu").input == Shape(8, 8, 3)


def test_a_deeply_nested_placeholder_is_an_error_not_a_crash():
    with pytest.raises(CnnCostError) as info:
        parse_spec("Input(8,8,3) -> {" + "-" * 100_000 + "1}F(3,3)")
    assert info.value.message == "{" + "-" * 39 + "…}: the expression is nested too deeply"


def test_repeats_do_not_share_weights_but_are_separate_nodes():
    g = parse_spec("(3,256)×3")
    assert [n.inputs for n in g.nodes] == [(INPUT,), (0,), (1,)]


@pytest.mark.parametrize("text", [
    "64F(7,7,3,s=2)", "64F(3,3,p=valid,g=2,d=2,b=0)", "dw(3,3,m=2,s=2,p=1,b=0)", "max-p(3,3,2,p=1,ceil=1)",
    "avg-p(2,2,2)", "gap", "gmp", "aap(7,7)", "spp(6,3,2,1)", "4096fc", "fc(10,b=0)", "relu",
    "bn", "lrn(5)", "dropout", "flatten", "se(4,sq=8,act=swish,gate=hsigmoid)", "shuffle(2)",
    "cw(8,s=2,p=1,b=1)", "gcw(2,8)", "ccl(10)",
])
def test_format_layer_round_trips(text):
    layer = layers(text)[0]
    assert layers(format_layer(layer)) == [layer]


def _bad_cases() -> list[tuple[str, str, str]]:
    text = (CASES / "bad_specs.txt").read_text(encoding="utf-8")
    out = []
    for block in text.split("\n===\n"):
        block = block.strip("\n")
        if not block or block.startswith("#!"):
            continue
        spec, _, expected = block.partition("\n---\n")
        header, _, spec = spec.partition("\n")
        args = header.removeprefix("input:").strip()
        out.append((spec, args, expected.rstrip("\n")))
    return out


@pytest.mark.parametrize("spec,input_shape,expected", _bad_cases(),
                         ids=[c[0][:40] for c in _bad_cases()])
def test_bad_spec_exact_message(spec, input_shape, expected):
    from cnncost.costs import analyze
    from cnncost.notation import parse_shape
    with pytest.raises(CnnCostError) as info:
        shape = parse_shape(input_shape) if input_shape else None
        analyze(parse_spec(spec, input=shape))
    assert str(info.value) == expected


def test_row_names_do_not_collide():
    from cnncost.costs import analyze
    names = [r.name for r in analyze(parse_spec("relu×6 → relu6 → relu6", input=Shape(2, 2, 1))).rows]
    assert names == ["relu1", "relu2", "relu3", "relu4", "relu5", "relu6", "relu6_1", "relu6_2"]


def test_layers_lists_each_layer_once_with_its_aliases():
    from cnncost.report import layers_rows
    names = [r[0] for r in layers_rows()]
    assert "hswish / hardswish / h-swish" in names and "swish / silu" in names
    flat = [n for row in names for n in row.split(" / ")]
    assert len(flat) == len(set(flat))


def test_unprintable_characters_do_not_reach_the_terminal():
    with pytest.raises(CnnCostError) as info:
        parse_spec("Input(8,8,3) -> relu\x1b[31m")
    assert "\x1b" not in str(info.value)
    assert str(info.value).splitlines()[1] == "  Input(8,8,3) -> relu\ufffd[31m"
