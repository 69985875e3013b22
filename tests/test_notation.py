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
    # notation §11
    "16T(2,2,s=2)", "16T(3,3,8,s=2,p=1,op=1,g=2,d=2,b=0)", "16T(3,2,sh=2,sw=1,ph=1,pw=0,oph=1)",
    "up(2)", "up(2,3,mode=bilinear,align_corners=1)", "up(h=7,w=9)", "ps(2)", "pu(3)", "pad(1)",
    "pad(1,2)", "pad(t=1,r=2)", "cpad(64)", "64F(3,3,sh=2,sw=1,ph=0,pw=1)", "64F(3,3,s=2,p=tf)",
    "dw(3,3,sw=2,p=tf)", "max-p(2,2,1,sh=2,sw=1,ph=0,pw=1)", "avg-p(3,3,2,p=tf)", "max-p(3,3,2,p=0)",
    "lrelu", "lrelu(0.1)", "elu(1.0)", "gelu", "gelu(tanh)", "mish", "prelu", "prelu(1)", "gn(32)",
    "ln", "in", "in(affine=1)", "scale", "chunk(4,3)",
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


@pytest.mark.parametrize("text,expected", [
    ("64F(3,3,sh=2,sw=2)", "64F(3,3,s=2)"),  # equal per-dimension values are s=, p=
    ("64F(3,3,ph=1,pw=1)", "64F(3,3,p=1)"),
    ("max-p(kh=2,kw=2,sh=2,sw=1,ph=0,pw=1)", "max-p(2,2,1,sh=2,sw=1,ph=0,pw=1)"),
    ("16T(2,2,s=2,ph=0,oph=0)", "16T(2,2,s=2)"),
    ("leakyrelu(0.2)", "lrelu(0.2)"),
    ("pad(t=1,b=1,l=2,r=2)", "pad(1,2)"),
    ("up(2,2)", "up(2)"),
    ("tconv(8,3)", "8T(3,3)"),
])
def test_canonical_spelling(text, expected):
    assert format_layer(layers(text)[0]) == expected


@pytest.mark.parametrize("spec,message", [
    ("64F(3,3,stride=2)", "conv has no option 'stride' (did you mean 's='?)"),
    ("64F(3,3,padding=1)", "conv has no option 'padding' (did you mean 'p='?)"),
    ("64F(3,3,groups=2)", "conv has no option 'groups' (did you mean 'g='?)"),
    ("lrelu(negative_slope=0.1)", "lrelu has no option 'negative_slope' (cnncost writes the slope, "
                                   "lrelu(0.1))"),
    ("up(2,mode=bicubic)", "up: unknown mode 'bicubic'"),
    ("up(2,align_corners=1)", "up: align_corners=1 applies to mode=bilinear only"),
    ("up(1.5)", "up: the factor must be a whole number, not 1.5"),
    ("up(2,h=4)", "up: give a factor (up(2)) or a size (up(h=,w=)), not both"),
    ("up", "up needs a factor or a size"),
    ("max-p(3,3,2,p=tf,ceil=1)", "max-p: p=tf has no ceil mode (TensorFlow SAME rounds by padding)"),
    ("pad(1,t=2)", "pad: give pad(p), pad(ph,pw) or pad(t=,b=,l=,r=), not a mix"),
    ("prelu(3)", "prelu: prelu(3): one slope (prelu(1)) or one per channel (prelu)"),
    ("ln(chw)", "ln normalises over the channels at each position; LayerNorm over C×H×W is not "
                "supported yet"),
    ("mul[ id ]", "mul[ … ] multiplies two or more branches"),
    ("gelu(fast)", "gelu: unknown approximate 'fast'"),
    ("16T(2,2,p=same)", "tconv: padding must be a whole number"),
])
def test_new_forms_refuse_bad_arguments_with_a_message(spec, message):
    with pytest.raises(CnnCostError) as info:
        parse_spec(spec)
    assert info.value.message == message
    assert info.value.span is not None and info.value.hint is not None


@pytest.mark.parametrize("spec,message", [
    ("Input(4,4,8) -> ps(3)", "ps(3) needs channels divisible by r² = 9, but the input has 8"),
    ("Input(5,4,8) -> pu(2)", "pu(2) needs a map divisible by 2, but it is 5×4"),
    ("Input(8,8,4) -> mul[ id | 2F(1,1) ]",
     "mul needs branches of the same shape, or gates that broadcast (1x1x1, 1x1xC, HxWx1), got "
     "8x8x4, 8x8x2"),
    ("Input(8,8,4) -> mul[ id | max-p ]",
     "mul needs branches of the same shape, or gates that broadcast (1x1x1, 1x1xC, HxWx1), got "
     "8x8x4, 4x4x4"),
    ("Input(8,8,4) -> 4T(3,3,s=2,op=2)",
     "the output padding op=2 of the height must be smaller than the stride (2) or the dilation (1)"),
    ("Input(8,8,4) -> 4T(3,3,op=1)",
     "the output padding op=1 of the height must be smaller than the stride (1) or the dilation (1)"),
    ("Input(4,4,5) -> chunk(4,4)",
     "chunk(4,4): torch.chunk cuts 5 channels into only 3 slices (2, 2, 1)"),
    ("Input(4,4,6) -> gn(4)", "gn(4): the groups must divide the channels (6)"),
    ("Input(4,4,64) -> cpad(32)",
     "cpad(32) pads channels up to 32, but the input already has 64"),
    ("Input(2,2,8) -> max-p(3,3,2)", "the 3×3 window is larger than its padded input 2×2"),
    ("Input(8,8,3) -> 4T(3,3,3,s=2) -> 4T(2,2,5)",
     "this transposed convolution declares 5 input channels but receives 4"),
])
def test_new_kinds_refuse_inputs_they_cannot_take(spec, message):
    from cnncost.costs import analyze
    with pytest.raises(CnnCostError) as info:
        analyze(parse_spec(spec))
    assert info.value.message == message
    assert info.value.span is not None and info.value.span.start > 0  # points at the layer


def test_pytorch_ceil_mode_and_adaptive_levels_on_small_maps():
    """PyTorch: MaxPool2d(3, 2, ceil_mode=True) on 2×2 gives 1×1 (one window that
    starts inside the input); adaptive max pooling to 6×6 accepts a 4×4 map."""
    from cnncost.costs import analyze
    net = analyze(parse_spec("Input(2,2,8) -> max-p(3,3,2,ceil=1)"))
    assert net.rows[-1].output == Shape(1, 1, 8)
    net = analyze(parse_spec("Input(4,4,8) -> spp(6,3,2,1)"))
    assert net.rows[-1].output == Shape(1, 1, 8 * (36 + 9 + 4 + 1))
    net = analyze(parse_spec("Input(17,17,64) -> squeeze_like"
                             .replace("squeeze_like", "max-p(3,3,2,ceil=1) -> max-p(3,3,2,ceil=1)"
                                      " -> max-p(3,3,2,ceil=1)")))
    # ⌈(17−3)/2⌉+1 = 8, ⌈(8−3)/2⌉+1 = 4 (3·2 < 8), ⌈(4−3)/2⌉+1 = 2 (1·2 < 4)
    assert [r.output.h for r in net.rows] == [8, 4, 2]


def test_torch_chunk_slices():
    """torch.chunk(x, k): slices of ⌈C/k⌉, the last smaller (5 in 4 chunks: 2, 2, 1)."""
    from cnncost.costs import analyze
    channels = [analyze(parse_spec(f"Input(2,2,{c}) -> chunk({k},{i})")).rows[0].output.c
                for c, k, i in ((5, 4, 1), (5, 4, 3), (10, 3, 3), (7, 2, 2))]
    assert channels == [2, 1, 10 - 2 * 4, 3]


def test_receptive_field_and_jump_through_upsampling():
    """up(2) halves the jump: 1/2. A 3×3 conv after it grows rf by 2·(1/2) = 1; a
    2×2/2 pool doubles the jump back to 1. ps(2) divides it like up(2)."""
    from fractions import Fraction

    from cnncost.costs import analyze
    rows = analyze(parse_spec("Input(8,8,4) -> up(2) -> 4F(3,3) -> max-p -> 16F(3,3) -> ps(2)"
                              " -> up(2,mode=bilinear)")).rows
    assert [r.jump for r in rows] == [Fraction(1, 2), Fraction(1, 2), 1, 1, Fraction(1, 2),
                                      Fraction(1, 4)]
    assert [r.rf for r in rows] == [1, 2, Fraction(5, 2), Fraction(9, 2), Fraction(9, 2), 5]
    assert type(rows[2].jump) is int  # whole again: an int, not Fraction(1)


def test_tf_padding_policy_applies_where_p_is_not_given():
    """TensorFlow SAME: out = ⌈H/s⌉; total padding max((⌈H/s⌉−1)·s + k − H, 0), the odd
    pixel at the bottom/right. An explicit p= wins."""
    from cnncost.costs import analyze
    from cnncost.graph import infer
    g = parse_spec("Input(17,18,3) -> 8F(3,3,s=2) -> 8F(4,4) -> max-p(3,3,2) -> 8F(3,3,p=0)",
                   padding="tf")
    infos = infer(g)
    # 17/2 → 9: total (9−1)·2+3−17 = 2 → 1,1; 18/2 → 9: (8·2+3−18) = 1 → 0,1
    assert infos[0].output == Shape(9, 9, 8) and infos[0].pad == (1, 1, 0, 1)
    # a 4×4 at stride 1: total 3 → 1 before, 2 after
    assert infos[1].pad == (1, 2, 1, 2) and infos[1].output == Shape(9, 9, 8)
    assert infos[2].output == Shape(5, 5, 8)  # ⌈9/2⌉
    assert infos[3].output == Shape(3, 3, 8)  # p=0 is explicit
    assert analyze(g).rows[0].macs == 3 * 3 * 3 * 8 * 9 * 9


def test_stages_follow_a_decoder():
    """A new automatic stage where the jump changes in either direction."""
    from cnncost.costs import analyze
    net = analyze(parse_spec("Input(32,32,3) -> 8F(3,3) -> max-p -> 16F(3,3) -> max-p -> 16F(3,3)"
                             " -> 8T(2,2,s=2) -> 8F(3,3) -> 4T(2,2,s=2) -> 2F(1,1)"))
    assert [r.stage for r in net.rows] == ["1", "2", "2", "3", "3", "4", "4", "5", "5"]
