"""Cost rules against numbers computed independently, here in the test.

Every expected value below is either a formula written in this file (the
counting convention of notation §7: conv weights kh·kw·(c_in/g)·n, MACs =
weights·H_out·W_out, fc in·out, BN 2C, …) with map sizes from PyTorch's
output-size formula, or a measurement of a torch.nn module built in this file:
params = Σ p.numel(), MACs = FlopCounterMode's total / 2, shapes from a
forward pass (torch is NCHW, ours is H×W×C). Nothing is copied from cnncost's
own output.

ChannelNets layers (cw, gcw, ccl) are tested elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from types import SimpleNamespace
from typing import Callable, NamedTuple

import pytest

from cnncost import analyze, parse_spec

# ---------------------------------------------------------------------------
# Formulas (notation §7), written once here, independently of cnncost.costs


class Cost(NamedTuple):
    """Expected totals: params, MACs, and He & Sun's Eq. (1) complexity."""

    params: int = 0
    macs: int = 0
    complexity: int = 0

    def __add__(self, other: "Cost") -> "Cost":  # type: ignore[override]
        return Cost(*(a + b for a, b in zip(self, other)))

    def __mul__(self, k: int) -> "Cost":  # type: ignore[override]
        return Cost(*(a * k for a in self))


def total(*costs: Cost) -> Cost:
    return sum(costs, Cost())


def conv(kh: int, kw: int, c_in: int, n: int, h: int, w: int, *, g: int = 1,
         bias: bool = True) -> Cost:
    """kh·kw·(c_in/g)·n weights (+ n biases); MACs = Eq. (1) term = weights·H_out·W_out."""
    weights = kh * kw * (c_in // g) * n
    return Cost(weights + (n if bias else 0), weights * h * w, weights * h * w)


def fc(n_in: int, n: int, *, bias: bool = True) -> Cost:
    """n_in·n weights (+ n biases); outside Eq. (1), as in He & Sun."""
    return Cost(n_in * n + (n if bias else 0), n_in * n, 0)


def bn(c: int) -> Cost:
    """γ and β per channel; running statistics are buffers."""
    return Cost(2 * c, 0, 0)


def se(c: int, sq: int) -> Cost:
    """Two fully connected layers C→sq→C with biases: 2·C·sq + sq + C params, 2·C·sq MACs."""
    return Cost(2 * c * sq + sq + c, 2 * c * sq, 0)


def out_size(n: int, k: int, s: int = 1, p: int = 0, d: int = 1, ceil: bool = False) -> int:
    """PyTorch's output-size formula (Conv2d / MaxPool2d docs), floor or ceil mode.
    In ceil mode the last window must start inside the input (or left padding)."""
    span = n + 2 * p - d * (k - 1) - 1
    if not ceil:
        return span // s + 1
    out = -(-span // s) + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


def net(spec: str, padding: str = "same"):
    return analyze(parse_spec(spec, padding=padding))


def shapes(result) -> list[tuple[int, int, int]]:
    return [(r.output.h, r.output.w, r.output.c) for r in result.rows]


def row(result, name: str):
    (found,) = [r for r in result.rows if r.name == name]
    return found


# ---------------------------------------------------------------------------
# The notation's example specs

SEC1 = ("Input(224,224,3) → 64F(7,7,3,s=2) → max-p(3,3,3) → 128F(5,5,64) → max-p(2,2,2)"
        " → 256F(3,3,128) → 256F(3,3,256) → 256F(3,3,256) → spp(6*6,3*3,2*2,1*1)"
        " → 4096fc → 4096fc → 1000fc → softmax")
INCEPTION = ("Input(28,28,192) → concat[ 64F(1,1) | 96F(1,1) → 128F(3,3) | 16F(1,1) → 32F(5,5)"
             " | max-p(3,3,1,p=1) → 32F(1,1) ]")
BOTTLENECK = ("Input(56,56,64) → add[ 64F(1,1,b=0) → bn → relu → 64F(3,3,b=0) → bn → relu"
              " → 256F(1,1,b=0) → bn | 256F(1,1,b=0) → bn ] → relu")
SPP_BINS = 6 * 6 + 3 * 3 + 2 * 2 + 1 * 1  # Σ n² over the pyramid levels = 50

# §1 under same padding: 7×7/2 is padded by 3, 5×5 by 2, 3×3 by 1
S1 = out_size(224, 7, 2, 3)  # 112
S2 = out_size(S1, 3, 3)  # 37
S3 = out_size(S2, 2, 2)  # 18

# ---------------------------------------------------------------------------
# The reference table: one row per case, expected totals from formulas


@dataclass(frozen=True)
class Ref:
    id: str
    spec: str
    expected: Cost
    shapes: list[tuple[int, int, int]] | None = None  # every row's output H×W×C
    padding: str = "same"
    conv_layers: int | None = None


REFERENCE = [
    # §1 chain, he2015: 7×7/2 unpadded (224→109), 3/3 pool → 36, odd kernels keep the
    # size, 2/2 → 18; spp → 256·Σn² = 12800; fc's in·out + out; Eq. (1) over the 5 convs.
    Ref("sec1-he2015", SEC1, total(
        conv(7, 7, 3, 64, 109, 109), conv(5, 5, 64, 128, 36, 36),
        conv(3, 3, 128, 256, 18, 18), conv(3, 3, 256, 256, 18, 18) * 2,
        fc(256 * SPP_BINS, 4096), fc(4096, 4096), fc(4096, 1000)),
        [(109, 109, 64), (36, 36, 64), (36, 36, 128), (18, 18, 128), (18, 18, 256),
         (18, 18, 256), (18, 18, 256), (1, 1, 12800), (1, 1, 4096), (1, 1, 4096),
         (1, 1, 1000), (1, 1, 1000)], padding="he2015", conv_layers=5),
    # §1 chain, same padding: p = ⌊(k−1)/2⌋ (7×7/2 → p=3: 112; 3/3 pool → 37; 2/2 → 18)
    Ref("sec1-same", SEC1, total(
        conv(7, 7, 3, 64, S1, S1), conv(5, 5, 64, 128, S2, S2),
        conv(3, 3, 128, 256, S3, S3), conv(3, 3, 256, 256, S3, S3) * 2,
        fc(256 * SPP_BINS, 4096), fc(4096, 4096), fc(4096, 1000)),
        [(S1, S1, 64), (S2, S2, 64), (S2, S2, 128), (S3, S3, 128), (S3, S3, 256),
         (S3, S3, 256), (S3, S3, 256), (1, 1, 12800), (1, 1, 4096), (1, 1, 4096),
         (1, 1, 1000), (1, 1, 1000)], conv_layers=5),
    # §6 Inception (3a) on 28×28×192: every conv keeps 28×28; 64+128+32+32 = 256 channels
    Ref("sec6-inception", INCEPTION, total(
        conv(1, 1, 192, 64, 28, 28),
        conv(1, 1, 192, 96, 28, 28), conv(3, 3, 96, 128, 28, 28),
        conv(1, 1, 192, 16, 28, 28), conv(5, 5, 16, 32, 28, 28),
        conv(1, 1, 192, 32, 28, 28)),
        [(28, 28, 64), (28, 28, 96), (28, 28, 128), (28, 28, 16), (28, 28, 32),
         (28, 28, 192), (28, 28, 32), (28, 28, 256)], conv_layers=6),
    # §6 ResNet bottleneck with projection shortcut on 56×56×64, no conv biases, BN 2C each
    Ref("sec6-bottleneck-projection", BOTTLENECK, total(
        conv(1, 1, 64, 64, 56, 56, bias=False), bn(64),
        conv(3, 3, 64, 64, 56, 56, bias=False), bn(64),
        conv(1, 1, 64, 256, 56, 56, bias=False), bn(256),
        conv(1, 1, 64, 256, 56, 56, bias=False), bn(256)), conv_layers=4),
    # §2: 256F(3,3,256,g=8): 3·3·(256/8)·256 weights; ungrouped 256·3·3·256 = 589,824
    Ref("grouped-g8", "Input(14,14,256) → 256F(3,3,256,g=8,b=0)",
        conv(3, 3, 256, 256, 14, 14, g=8, bias=False), [(14, 14, 256)], conv_layers=1),
    Ref("ungrouped", "Input(14,14,256) → 256F(3,3,256,b=0)",
        conv(3, 3, 256, 256, 14, 14, bias=False), [(14, 14, 256)], conv_layers=1),
    # 1×1–3×3–1×1 bottleneck 256→64→64→256 vs one plain 3×3 256→256 on 56×56
    Ref("bottleneck-1-3-1", "Input(56,56,256) → 64F(1,1) → relu → 64F(3,3) → relu → 256F(1,1)",
        total(conv(1, 1, 256, 64, 56, 56), conv(3, 3, 64, 64, 56, 56),
              conv(1, 1, 64, 256, 56, 56)), conv_layers=3),
    Ref("plain-3x3-256", "Input(56,56,256) → 256F(3,3)",
        conv(3, 3, 256, 256, 56, 56), [(56, 56, 256)], conv_layers=1),
    # SPP feeding 4096fc: C·Σn²·4096 weights + 4096 biases; SPP itself has no params
    Ref("spp-4096fc", "Input(13,13,256) → spp(6,3,2,1) → 4096fc",
        fc(256 * SPP_BINS, 4096), [(1, 1, 256 * SPP_BINS), (1, 1, 4096)], conv_layers=0),
    Ref("spp-x-levels-4096fc", "Input(13,13,256) → spp(6x6,3x3,2x2,1x1) → fc(4096)",
        fc(256 * SPP_BINS, 4096), [(1, 1, 256 * SPP_BINS), (1, 1, 4096)]),
    # residual basic block with identity shortcut (res[…] = add[… | id])
    Ref("res-identity", "Input(56,56,64) → res[ 64F(3,3,b=0) → bn → relu → 64F(3,3,b=0) → bn ]"
        " → relu", total(conv(3, 3, 64, 64, 56, 56, bias=False), bn(64)) * 2,
        [(56, 56, 64)] * 7, conv_layers=2),
    # downsampling block with projection: 3×3/2 (p=1: 56→28) and 1×1/2 shortcut (p=0: 56→28)
    Ref("add-projection-stride2",
        "Input(56,56,64) → add[ 128F(3,3,s=2) → relu → 128F(3,3) | 128F(1,1,s=2) ]",
        total(conv(3, 3, 64, 128, out_size(56, 3, 2, 1), out_size(56, 3, 2, 1)),
              conv(3, 3, 128, 128, 28, 28), conv(1, 1, 64, 128, out_size(56, 1, 2), 28)),
        [(28, 28, 128)] * 5, conv_layers=3),
    # depthwise separable: dw 3·3·C (+C) then pointwise C·n (+n), vs a standard 3×3
    Ref("depthwise-separable", "Input(56,56,128) → dw(3,3) → 256F(1,1)",
        total(conv(3, 3, 128, 128, 56, 56, g=128), conv(1, 1, 128, 256, 56, 56)),
        [(56, 56, 128), (56, 56, 256)], conv_layers=2),
    Ref("depthwise-m2-s2", "Input(56,56,32) → dw(3,3,m=2,s=2,b=0)",
        conv(3, 3, 32, 64, out_size(56, 3, 2, 1), out_size(56, 3, 2, 1), g=32, bias=False),
        [(28, 28, 64)], conv_layers=1),
    Ref("standard-3x3", "Input(56,56,128) → 256F(3,3)",
        conv(3, 3, 128, 256, 56, 56), [(56, 56, 256)], conv_layers=1),
    # fc after a spatial map flattens: H·W·C·n + n
    Ref("fc-flattens", "Input(7,7,512) → 4096fc", fc(7 * 7 * 512, 4096), [(1, 1, 4096)],
        conv_layers=0),
    Ref("fc-no-bias", "Input(1,1,4096) → fc(1000,b=0)", fc(4096, 1000, bias=False)),
    # BN: γ, β per channel
    Ref("bn", "Input(14,14,96) → bn", bn(96), [(14, 14, 96)], conv_layers=0),
    # dilation: same padding is ⌊(k−1)/2⌋·d = 2 → size kept; explicit p=0 → 32 − 2·2 = 28
    Ref("dilation-same", "Input(32,32,16) → 32F(3,3,d=2)",
        conv(3, 3, 16, 32, out_size(32, 3, 1, 2, 2), out_size(32, 3, 1, 2, 2)),
        [(32, 32, 32)]),
    Ref("dilation-p0", "Input(32,32,16) → 32F(3,3,d=2,p=0)",
        conv(3, 3, 16, 32, out_size(32, 3, 1, 0, 2), out_size(32, 3, 1, 0, 2)),
        [(28, 28, 32)]),
    # stride: 3×3/2 same-padded (p=1) on 56 → 28; (s,n)/k form; non-square map and kernel
    Ref("stride-2", "Input(56,56,64) → 128F(3,3,s=2)",
        conv(3, 3, 64, 128, out_size(56, 3, 2, 1), out_size(56, 3, 2, 1)), [(28, 28, 128)]),
    Ref("table1-stride", "Input(224,224,3) → (7,64)/2", conv(7, 7, 3, 64, 112, 112),
        [(out_size(224, 7, 2, 3), out_size(224, 7, 2, 3), 64)]),
    Ref("non-square", "Input(17,19,8) → 16F(3,5,s=2)",
        conv(3, 5, 8, 16, out_size(17, 3, 2, 1), out_size(19, 5, 2, 2)),
        [(out_size(17, 3, 2, 1), out_size(19, 5, 2, 2), 16)]),
    # explicit p= beats the policy; p=valid is 0; p=same is ⌊(k−1)/2⌋
    Ref("explicit-p-beats-he2015", "Input(224,224,3) → 64F(7,7,s=2,p=3)",
        conv(7, 7, 3, 64, 112, 112), [(out_size(224, 7, 2, 3), out_size(224, 7, 2, 3), 64)],
        padding="he2015"),
    Ref("explicit-p0-beats-same", "Input(32,32,16) → 16F(3,3,p=0)",
        conv(3, 3, 16, 16, 30, 30), [(out_size(32, 3), out_size(32, 3), 16)]),
    Ref("p-valid", "Input(32,32,16) → 16F(5,5,p=valid)",
        conv(5, 5, 16, 16, 28, 28), [(out_size(32, 5), out_size(32, 5), 16)]),
    Ref("p-same-he2015-strided", "Input(224,224,3) → 64F(7,7,s=2,p=same)",
        conv(7, 7, 3, 64, 112, 112), [(112, 112, 64)], padding="he2015"),
    # he2015: strided convs unpadded: (224 − 7)/2 + 1 = 109
    Ref("he2015-strided-unpadded", "Input(224,224,3) → (7,64)/2",
        conv(7, 7, 3, 64, 109, 109), [(out_size(224, 7, 2), out_size(224, 7, 2), 64)],
        padding="he2015"),
    # he2015: a run of 2×2 stride-1 convs alternates unpadded / padded by 1: 18→17→18…
    Ref("he2015-2x2-alternation", "Input(18,18,256) → (2,256)×6",
        total(conv(2, 2, 256, 256, 17, 17), conv(2, 2, 256, 256, 18, 18)) * 3,
        [(17, 17, 256), (18, 18, 256)] * 3, padding="he2015", conv_layers=6),
    Ref("he2015-2x2-product-prefix", "Input(18,18,256) → 5x256*2*2*256",
        conv(2, 2, 256, 256, 17, 17) * 3 + conv(2, 2, 256, 256, 18, 18) * 2,
        [(17, 17, 256), (18, 18, 256)] * 2 + [(17, 17, 256)], padding="he2015"),
    # §5's example: explicit p= inside (s,n); the run alternates 18 → 17 → 18 regardless
    Ref("he2015-explicit-p-group", "Input(18,18,256) → [(2,256,p=0) + (2,256,p=1)]×3",
        total(conv(2, 2, 256, 256, 17, 17), conv(2, 2, 256, 256, 18, 18)) * 3,
        [(17, 17, 256), (18, 18, 256)] * 3, padding="he2015"),
    # an odd-kernel conv ends a run of even kernels: the next 2×2 is a 1st again (unpadded)
    Ref("he2015-run-broken-by-odd", "Input(18,18,8) → (2,8) → (3,8) → (2,8)",
        total(conv(2, 2, 8, 8, 17, 17), conv(3, 3, 8, 8, 17, 17), conv(2, 2, 8, 8, 16, 16)),
        [(17, 17, 8), (17, 17, 8), (16, 16, 8)], padding="he2015"),
    # he2015: odd kernels at stride 1 keep the size (p = (k−1)/2)
    Ref("he2015-odd-keep", "Input(36,36,64) → (5,128) → (3,128) → (1,128)",
        total(conv(5, 5, 64, 128, 36, 36), conv(3, 3, 128, 128, 36, 36),
              conv(1, 1, 128, 128, 36, 36)), [(36, 36, 128)] * 3, padding="he2015"),
    # se(4) on 64 channels: sq = 64/4 = 16
    Ref("se4", "Input(14,14,64) → se(4)", se(64, 64 // 4), [(14, 14, 64)], conv_layers=0),
    # pooling, activations and softmax cost nothing in params/MACs/Eq. (1)
    Ref("pool-free", "Input(112,112,64) → max-p(3,3,2) → avg-p(2,2,2) → gap → relu",
        Cost(), [(55, 55, 64), (27, 27, 64), (1, 1, 64), (1, 1, 64)], conv_layers=0),
]


@pytest.mark.parametrize("ref", REFERENCE, ids=[r.id for r in REFERENCE])
def test_reference_table(ref: Ref):
    result = net(ref.spec, ref.padding)
    t = result.totals
    assert (t.params, t.macs, t.complexity) == ref.expected
    assert t.flops == 2 * ref.expected.macs
    assert sum(r.flops for r in result.rows) == 2 * ref.expected.macs
    if ref.shapes is not None:
        assert shapes(result) == ref.shapes
        assert [r.activations for r in result.rows] == [h * w * c for h, w, c in ref.shapes]
        assert t.activations == sum(h * w * c for h, w, c in ref.shapes)
    if ref.conv_layers is not None:
        assert t.conv_layers == ref.conv_layers


# ---------------------------------------------------------------------------
# Comparisons the notation states as facts


def weights(spec: str) -> int:
    return net(spec).totals.params


def test_grouped_conv_has_one_eighth_of_the_weights():
    ungrouped = 256 * 3 * 3 * 256
    assert ungrouped == 589_824
    g8 = weights("Input(14,14,256) → 256F(3,3,256,g=8,b=0)")
    full = weights("Input(14,14,256) → 256F(3,3,256,b=0)")
    assert full == ungrouped
    assert g8 * 8 == ungrouped
    assert Fraction(g8, full) == Fraction(1, 8)


def test_bottleneck_against_plain_3x3():
    """256→64→64→256 as 1×1–3×3–1×1 vs one 256×3×3×256: the same ratio in weights and MACs."""
    bottleneck = net("Input(56,56,256) → 64F(1,1,b=0) → 64F(3,3,b=0) → 256F(1,1,b=0)").totals
    plain = net("Input(56,56,256) → 256F(3,3,b=0)").totals
    ratio = Fraction(256 * 64 + 3 * 3 * 64 * 64 + 64 * 256, 256 * 3 * 3 * 256)
    assert ratio == Fraction(17, 144)
    assert Fraction(bottleneck.params, plain.params) == ratio
    assert Fraction(bottleneck.macs, plain.macs) == ratio


@pytest.mark.parametrize("small, stack, big, fewer, percent", [
    # two 3×3 see 5×5: 2·3² / 5² = 18/25 → 28% fewer weights (VGG's argument)
    pytest.param("64F(3,3,b=0) → 64F(3,3,b=0)", 2, "64F(5,5,b=0)", Fraction(7, 25), 28,
                 id="two-3x3-vs-5x5"),
    # three 3×3 see 7×7: 3·3² / 7² = 27/49 → 22/49 ≈ 45% fewer
    pytest.param("[64F(3,3,b=0)]×3", 3, "64F(7,7,b=0)", Fraction(22, 49), 45,
                 id="three-3x3-vs-7x7"),
])
def test_stacked_3x3_against_one_large_kernel(small, stack, big, fewer, percent):
    k = {2: 5, 3: 7}[stack]
    a = net(f"Input(28,28,64) → {small}").totals
    b = net(f"Input(28,28,64) → {big}").totals
    assert a.params == stack * 3 * 3 * 64 * 64
    assert b.params == k * k * 64 * 64
    assert 1 - Fraction(a.params, b.params) == fewer == 1 - Fraction(stack * 3 * 3, k * k)
    assert round(100 * fewer) == percent
    assert 1 - Fraction(a.macs, b.macs) == fewer  # same padding keeps 28×28 in both
    assert net(f"Input(28,28,64) → {small}").rows[-1].rf == k  # the same receptive field
    assert net(f"Input(28,28,64) → {big}").rows[-1].rf == k


@pytest.mark.parametrize("c, n", [(128, 256), (32, 64), (512, 512)])
def test_depthwise_separable_against_standard(c, n):
    """(dw 3·3·C + pointwise C·n) / (3·3·C·n) = 1/n + 1/3² (MobileNet's ratio), weights and MACs."""
    sep = net(f"Input(28,28,{c}) → dw(3,3,b=0) → {n}F(1,1,b=0)").totals
    std = net(f"Input(28,28,{c}) → {n}F(3,3,b=0)").totals
    assert sep.params == 3 * 3 * c + c * n
    assert std.params == 3 * 3 * c * n
    assert Fraction(sep.params, std.params) == Fraction(1, n) + Fraction(1, 9)
    assert Fraction(sep.macs, std.macs) == Fraction(1, n) + Fraction(1, 9)


def test_spp_feeding_4096fc():
    c = 256
    result = net(f"Input(13,13,{c}) → spp(6,3,2,1) → 4096fc")
    assert row(result, "spp1").params == 0
    assert row(result, "spp1").output.c == c * (6 * 6 + 3 * 3 + 2 * 2 + 1 * 1)
    assert row(result, "fc1").params == c * (6**2 + 3**2 + 2**2 + 1**2) * 4096 + 4096
    # the three spellings of the levels are one layer
    for levels in ("6*6,3*3,2*2,1*1", "6x6,3x3,2x2,1x1"):
        other = net(f"Input(13,13,{c}) → spp({levels}) → 4096fc")
        assert other.totals == result.totals


@pytest.mark.parametrize("spec, add_shape", [
    pytest.param("Input(56,56,64) → res[ 64F(3,3) → relu → 64F(3,3) ]", (56, 56, 64),
                 id="res-identity"),
    pytest.param(BOTTLENECK, (56, 56, 256), id="add-projection"),
    pytest.param("Input(56,56,64) → add[ 128F(3,3,s=2) → relu → 128F(3,3) | 128F(1,1,s=2) ]",
                 (28, 28, 128), id="add-projection-stride2"),
])
def test_add_ops_are_output_elements(spec, add_shape):
    """A two-input element-wise sum: one addition per output element, no params or MACs."""
    add = row(net(spec), "add1")
    assert (add.output.h, add.output.w, add.output.c) == add_shape
    assert add.ops == add_shape[0] * add_shape[1] * add_shape[2]
    assert (add.params, add.macs, add.complexity) == (0, 0, 0)


def test_add_of_three_branches_is_two_additions_per_element():
    add = row(net("Input(8,8,16) → add[ id | 16F(1,1) | 16F(3,3) ]"), "add1")
    assert add.ops == 2 * 8 * 8 * 16


CONV_FIELDS = ("index", "name", "kind", "inputs", "stage", "output", "params", "macs",
               "complexity", "ops", "rf", "jump", "flops", "activations")


def test_three_convolution_spellings_give_identical_rows():
    spellings = ["Input(28,28,128) → 64F(3,3,128)",
                 "Input(28,28,128) → (3,64)",
                 "Input(28,28,128) → 128*3*3*64"]
    rows = [[tuple(getattr(r, f) for f in CONV_FIELDS) for r in net(s).rows] for s in spellings]
    assert rows[0] == rows[1] == rows[2]
    (only,) = net(spellings[0]).rows
    assert (only.params, only.macs) == conv(3, 3, 128, 64, 28, 28)[:2]


def test_fc_and_pooling_are_outside_eq1():
    """He & Sun Eq. (1): Σ n_{l−1}·s_l²·n_l·m_l² over conv layers; fc and pooling add 0."""
    result = net(SEC1, "he2015")
    for r in result.rows:
        if r.kind in ("fc", "pool", "spp", "act"):
            assert r.complexity == 0, r.name
        elif r.kind == "conv":
            assert r.complexity == r.macs, r.name
    eq1 = (3 * 7**2 * 64 * 109**2 + 64 * 5**2 * 128 * 36**2 + 128 * 3**2 * 256 * 18**2
           + 2 * 256 * 3**2 * 256 * 18**2)
    assert result.totals.complexity == eq1
    fc_macs = 12800 * 4096 + 4096 * 4096 + 4096 * 1000
    assert result.totals.macs == eq1 + fc_macs
    assert result.totals.conv_layers == 5


def test_eq1_grouped_uses_c_in_over_g_and_non_square_kernels():
    result = net("Input(14,14,64) → 128F(3,3,g=4) → 128F(1,7) → 128F(7,1)")
    assert result.totals.complexity == (
        (64 // 4) * 3 * 3 * 128 * 14 * 14 + 128 * 1 * 7 * 128 * 14 * 14
        + 128 * 7 * 1 * 128 * 14 * 14)
    assert result.totals.conv_layers == 3


def test_se_block():
    c, r = 64, 4
    sq = c // r
    (only,) = net(f"Input(14,14,{c}) → se({r})").rows
    assert only.params == 2 * c * sq + sq + c
    assert only.macs == 2 * c * sq
    assert only.complexity == 0
    (explicit,) = net(f"Input(14,14,{c}) → se(4,sq=10)").rows
    assert (explicit.params, explicit.macs) == (2 * c * 10 + 10 + c, 2 * c * 10)


# ---------------------------------------------------------------------------
# Pooling: floor (PyTorch's default) and ceil (Caffe's) rounding


POOL_CASES = [(n, k, s, p) for n in (112, 13, 14, 5, 6, 7) for k, s, p in
              ((3, 2, 0), (2, 2, 0), (3, 2, 1), (2, 2, 1), (3, 3, 0))]


@pytest.mark.parametrize("ceil", [False, True], ids=["floor", "ceil"])
@pytest.mark.parametrize("n, k, s, p", POOL_CASES,
                         ids=[f"{n}-k{k}s{s}p{p}" for n, k, s, p in POOL_CASES])
def test_pool_rounding_matches_pytorch(n, k, s, p, ceil):
    torch = pytest.importorskip("torch")
    spec = f"Input({n},{n},4) → max-p({k},{k},{s},p={p},ceil={int(ceil)})"
    (pool,) = net(spec).rows
    expected = out_size(n, k, s, p, ceil=ceil)
    pt = torch.nn.MaxPool2d(k, s, p, ceil_mode=ceil)(torch.zeros(1, 4, n, n))
    assert (pool.output.h, pool.output.w, pool.output.c) == (expected, expected, 4)
    assert tuple(pt.shape) == (1, 4, expected, expected)
    assert pool.ops == k * k * expected * expected * 4
    assert (pool.params, pool.macs) == (0, 0)


def test_floor_and_ceil_differ_on_112():
    floor = net("Input(112,112,64) → max-p(3,3,2)").rows[0].output
    ceil = net("Input(112,112,64) → max-p(3,3,2,ceil=1)").rows[0].output
    assert (floor.h, ceil.h) == ((112 - 3) // 2 + 1, -(-(112 - 3) // 2) + 1) == (55, 56)
    # and agree on 13: (13 − 3)/2 is whole
    assert net("Input(13,13,64) → max-p(3,3,2)").rows[0].output.h == 6
    assert net("Input(13,13,64) → max-p(3,3,2,ceil=1)").rows[0].output.h == 6


# ---------------------------------------------------------------------------
# Receptive field: rf_l = rf_{l−1} + (k_l − 1)·jump_{l−1}, jump_l = jump_{l−1}·s_l


@pytest.mark.parametrize("spec, padding, rf, jump", [
    # 1 + 3·(3 − 1) = 7
    pytest.param("Input(32,32,3) → 8F(3,3) → 8F(3,3) → 8F(3,3)", "same", 7, 1,
                 id="three-3x3"),
    # 7, jump 2; then 7 + (3 − 1)·2 = 11, jump 4
    pytest.param("Input(224,224,3) → 64F(7,7,s=2) → max-p(3,3,2)", "same", 11, 4,
                 id="7x7s2-then-3x3s2-pool"),
    # He & Sun: 7×7/2 then 3/3: 7 + 2·2 = 11, jump 6
    pytest.param("Input(224,224,3) → (7,64)/2 → 3/3", "he2015", 11, 6, id="he2015-stage1"),
    # dilation 2 makes a 3×3 cover 5×5: 1 + 4 + 4 = 9
    pytest.param("Input(32,32,3) → 8F(3,3,d=2) → 8F(3,3,d=2)", "same", 9, 1, id="dilated"),
    # 1 + 2·1 + 2·2 + 2·4 = 15, jump 8
    pytest.param("Input(64,64,3) → [8F(3,3,s=2)]×3", "same", 15, 8, id="three-3x3s2"),
])
def test_receptive_field(spec, padding, rf, jump):
    last = net(spec, padding).rows[-1]
    assert (last.rf, last.jump) == (rf, jump)


# ---------------------------------------------------------------------------
# Cross-checks against torch.nn modules built here


def hwc(t) -> tuple[int, int, int]:
    """A torch output (NCHW, or N×F for flat features) as our H×W×C."""
    return (t.shape[2], t.shape[3], t.shape[1]) if t.dim() == 4 else (1, 1, t.shape[1])


def torch_nn() -> SimpleNamespace:
    """torch.nn, plus small modules for the notation's branch, SPP, fc and SE forms."""
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class Rows(nn.Sequential):
        """A chain whose children correspond one-to-one to our rows (shapes compared per row)."""

    class Merge(nn.Module):
        """concat[ … ] (along channels) or add[ … ] (element-wise sum) of branches."""

        def __init__(self, op: str, *branches: nn.Module) -> None:
            super().__init__()
            self.op = op
            self.branches = nn.ModuleList(branches)

        def forward(self, x):
            outs = [b(x) for b in self.branches]
            return torch.cat(outs, 1) if self.op == "concat" else sum(outs[1:], outs[0])

    class SPP(nn.Module):
        """Spatial pyramid max pooling: adaptive max pooling to n×n per level, flattened."""

        def __init__(self, *levels: int) -> None:
            super().__init__()
            self.pools = nn.ModuleList(nn.AdaptiveMaxPool2d(n) for n in levels)

        def forward(self, x):
            return torch.cat([p(x).flatten(1) for p in self.pools], 1)

    class FC(nn.Sequential):
        """A fully connected layer that flattens a spatial input first."""

        def __init__(self, n_in: int, n: int, bias: bool = True) -> None:
            super().__init__(nn.Flatten(), nn.Linear(n_in, n, bias=bias))

    class SE(nn.Module):
        """gap → 1×1 conv C→sq (bias) → relu → 1×1 conv sq→C (bias) → sigmoid → x·gate."""

        def __init__(self, c: int, sq: int) -> None:
            super().__init__()
            self.gate = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(c, sq, 1), nn.ReLU(),
                                      nn.Conv2d(sq, c, 1), nn.Sigmoid())

        def forward(self, x):
            return x * self.gate(x)

    return SimpleNamespace(torch=torch, nn=nn, Rows=Rows, Merge=Merge, SPP=SPP, FC=FC, SE=SE)


@dataclass
class Measured:
    params: int  # Σ p.numel()
    macs: int  # FlopCounterMode total / 2
    output: tuple[int, int, int]  # final output, H×W×C
    rows: list[tuple[int, int, int]] | None  # each child's output, for a Rows chain


def measure(build: Callable[[SimpleNamespace], object], input_hwc: tuple[int, int, int]) -> Measured:
    """Build on the meta device, count parameters, run once under FlopCounterMode."""
    t = torch_nn()
    from torch.utils.flop_counter import FlopCounterMode
    with t.torch.device("meta"):
        module = build(t).eval()
        seen: list[tuple[int, int, int]] = []
        per_row = isinstance(module, t.Rows)
        if per_row:
            for child in module:
                child.register_forward_hook(lambda m, i, o: seen.append(hwc(o)))
        h, w, c = input_hwc
        counter = FlopCounterMode(display=False)
        with counter, t.torch.no_grad():
            out = module(t.torch.zeros(1, c, h, w))
    flops = counter.get_total_flops()
    assert flops % 2 == 0
    return Measured(sum(p.numel() for p in module.parameters()), flops // 2, hwc(out),
                    seen if per_row else None)


def _conv_options(t):
    nn = t.nn
    return t.Rows(
        nn.Conv2d(8, 16, 3, padding=1),  # 16F(3,3): same → p=1
        nn.Conv2d(16, 16, (3, 1), stride=2, padding=(1, 0), bias=False),  # 16F(3,1,s=2,b=0)
        nn.Conv2d(16, 32, 3, padding=2, dilation=2, groups=4),  # 32F(3,3,g=4,d=2): p=⌊(3−1)/2⌋·2
        nn.Conv2d(32, 8, 2, padding=0),  # 8F(2,2): ⌊(2−1)/2⌋ = 0
        nn.Conv2d(8, 8, 5, padding=1),  # 8F(5,5,p=1): explicit p beats the policy
        nn.Conv2d(8, 4, 3, padding=0, stride=2))  # 4F(3,3,s=2,p=valid)


def _linear(t):
    nn = t.nn
    return t.Rows(t.FC(4 * 4 * 32, 100), nn.ReLU(), t.FC(100, 10, bias=False), nn.Softmax(1))


def _batchnorm(t):
    nn = t.nn
    return t.Rows(nn.Conv2d(16, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())


def _inception(t):
    nn = t.nn
    return t.Merge("concat",
                   nn.Conv2d(192, 64, 1),
                   nn.Sequential(nn.Conv2d(192, 96, 1), nn.Conv2d(96, 128, 3, padding=1)),
                   nn.Sequential(nn.Conv2d(192, 16, 1), nn.Conv2d(16, 32, 5, padding=2)),
                   nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(192, 32, 1)))


def _bottleneck(t):
    nn = t.nn
    main = nn.Sequential(
        nn.Conv2d(64, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.Conv2d(64, 256, 1, bias=False), nn.BatchNorm2d(256))
    shortcut = nn.Sequential(nn.Conv2d(64, 256, 1, bias=False), nn.BatchNorm2d(256))
    return nn.Sequential(t.Merge("add", main, shortcut), nn.ReLU())


def _basic_block(t):
    nn = t.nn
    main = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(64, 64, 3, padding=1))
    return nn.Sequential(t.Merge("add", main, nn.Identity()), nn.ReLU())


def _downsample_block(t):
    nn = t.nn
    main = nn.Sequential(nn.Conv2d(64, 128, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Conv2d(128, 128, 3, padding=1))
    return t.Merge("add", main, nn.Conv2d(64, 128, 1, stride=2))


def _separable(t):
    nn = t.nn
    return t.Rows(nn.Conv2d(32, 32, 3, padding=1, groups=32), nn.ReLU(),
                  nn.Conv2d(32, 64, 1),
                  nn.Conv2d(64, 128, 3, stride=2, padding=1, groups=64, bias=False))


def _se(t):
    return t.Rows(t.nn.Conv2d(16, 32, 3, padding=1), t.SE(32, 32 // 4), t.SE(32, 5))


def _sec1_he2015(t):
    nn = t.nn
    return t.Rows(
        nn.Conv2d(3, 64, 7, stride=2),  # strided: unpadded
        nn.MaxPool2d(3, 3),
        nn.Conv2d(64, 128, 5, padding=2),  # odd kernel keeps the size
        nn.MaxPool2d(2, 2),
        nn.Conv2d(128, 256, 3, padding=1), nn.Conv2d(256, 256, 3, padding=1),
        nn.Conv2d(256, 256, 3, padding=1),
        t.SPP(6, 3, 2, 1),
        t.FC(12800, 4096), t.FC(4096, 4096), t.FC(4096, 1000), nn.Softmax(1))


def _he2015_even_runs(t):
    nn = t.nn
    # in each run of 2×2 convs the 1st, 3rd, 5th are unpadded, the 2nd, 4th padded by 1;
    # pooling ends a run, relu does not
    return t.Rows(*(nn.Conv2d(256, 256, 2, padding=i % 2) for i in range(5)),
                  nn.MaxPool2d(2, 2),
                  nn.Conv2d(256, 512, 2), nn.ReLU(), nn.Conv2d(512, 512, 2, padding=1))


def _pooling(t):
    nn = t.nn
    return t.Rows(nn.MaxPool2d(3, 2, ceil_mode=True), nn.AvgPool2d(3, 2, padding=1),
                  nn.MaxPool2d(3, 3), nn.AdaptiveAvgPool2d(1), t.FC(4, 3))


TORCH_CASES = [
    # Conv2d with bias / no bias, non-square kernel and map, stride, groups, dilation, padding
    pytest.param("Input(17,19,8) → 16F(3,3) → 16F(3,1,s=2,b=0) → 32F(3,3,g=4,d=2) → 8F(2,2)"
                 " → 8F(5,5,p=1) → 4F(3,3,s=2,p=valid)", "same", _conv_options, (17, 19, 8),
                 id="conv2d-options"),
    # Linear on a flattened 4×4×32 map, then one without bias
    pytest.param("Input(4,4,32) → 100fc → relu → fc(10,b=0) → softmax", "same", _linear,
                 (4, 4, 32), id="linear-flatten"),
    pytest.param("Input(14,14,16) → 32F(3,3,b=0) → bn → relu", "same", _batchnorm,
                 (14, 14, 16), id="batchnorm2d"),
    pytest.param(INCEPTION, "same", _inception, (28, 28, 192), id="inception"),
    pytest.param(BOTTLENECK, "same", _bottleneck, (56, 56, 64), id="bottleneck-projection"),
    pytest.param("Input(56,56,64) → res[ 64F(3,3) → relu → 64F(3,3) ] → relu", "same",
                 _basic_block, (56, 56, 64), id="res-identity"),
    pytest.param("Input(56,56,64) → add[ 128F(3,3,s=2) → relu → 128F(3,3) | 128F(1,1,s=2) ]",
                 "same", _downsample_block, (56, 56, 64), id="add-projection-stride2"),
    pytest.param("Input(28,28,32) → dw(3,3) → relu → 64F(1,1) → dw(3,3,s=2,m=2,b=0)", "same",
                 _separable, (28, 28, 32), id="depthwise-separable"),
    pytest.param("Input(8,8,16) → 32F(3,3) → se(4) → se(4,sq=5)", "same", _se, (8, 8, 16),
                 id="se"),
    pytest.param(SEC1, "he2015", _sec1_he2015, (224, 224, 3), id="sec1-he2015-spp"),
    pytest.param("Input(18,18,256) → (2,256)×5 → 2/2 → (2,512) → relu → (2,512)", "he2015",
                 _he2015_even_runs, (18, 18, 256), id="he2015-2x2-runs"),
    pytest.param("Input(13,13,4) → max-p(3,3,2,ceil=1) → avg-p(3,3,2,p=1) → 3/3 → gap → 3fc",
                 "same", _pooling, (13, 13, 4), id="pooling"),
]


@pytest.mark.parametrize("spec, padding, build, input_hwc", TORCH_CASES)
def test_against_torch_modules(spec, padding, build, input_hwc):
    result = net(spec, padding)
    measured = measure(build, input_hwc)
    assert result.totals.params == measured.params
    assert result.totals.macs == measured.macs
    last = result.rows[-1].output
    assert (last.h, last.w, last.c) == measured.output
    if measured.rows is not None:
        assert shapes(result) == measured.rows


@pytest.mark.parametrize("repeat,written", [
    # one conv object on 32, 16, 8, 4: each shape is its own geometry and cost
    ("[64F(3,3,s=2) → relu]×4", " → ".join(["64F(3,3,s=2) → relu"] * 4)),
    # he2015's run of even kernels: the same layer pads by its position in the run
    ("(2,64)×5", " → ".join(["(2,64)"] * 5)),
    # a branch block repeated: multi-input layers (add) on maps that shrink
    ("[add[ 32F(3,3) | 32F(1,1) ] → max-p(2,2,2)]×3",
     " → ".join(["add[ 32F(3,3) | 32F(1,1) ] → max-p(2,2,2)"] * 3)),
])
@pytest.mark.parametrize("padding", ["same", "he2015"])
def test_a_repeated_layer_object_is_costed_on_each_of_its_inputs(repeat, written, padding):
    """Shape inference and costing ask a kind's rule once for the same layer object
    on inputs of the same shapes (graph.Inferrer, costs._costs): a repeat (one object
    on every map it meets) gives the rows of the same layers written out (one object
    each), every field."""
    def rows(chain):
        spec = f"Input(32,32,32) → {chain}"
        return [(r.kind, r.output, r.params, r.macs, r.complexity, r.ops, r.rf, r.jump, r.mem)
                for r in analyze(parse_spec(spec, padding=padding)).rows]
    assert rows(repeat) == rows(written)


@pytest.mark.parametrize("name", ["resnet50", "inception_v3", "he2015-a", "fcn_resnet50"])
def test_totals_combine_their_parts(name):
    """Totals.combine gives the totals of all the rows from those of any split of
    them (sums summed, the peak's peak, conv layers counted): the stages' and
    pieces of three rows, against Totals.of on every row; and Totals.of gives each
    metric's sum (or peak) of the rows' values, written here."""
    from cnncost.costs import Totals
    from cnncost.resolve import load, one_network
    net = analyze(one_network(load(name)).graph())
    rows = net.rows
    whole = Totals.of(rows)
    assert Totals.combine([s.totals for s in net.stages]) == whole
    assert Totals.combine([Totals.of(rows[i:i + 3]) for i in range(0, len(rows), 3)]) == whole
    assert whole.macs == sum(r.macs for r in rows)
    assert whole.peak_activation_bytes == max(r.live_bytes for r in rows)
    from cnncost.metrics import METRICS
    for m in METRICS:  # every metric, the memory figures (read as columns) included
        values = [getattr(r, m.key) for r in rows]
        assert whole[m.key] == (max(values) if m.total == "max" else sum(values)), m.key


@pytest.mark.parametrize("name", ["inception_v3", "resnet50", "he2015-a", "mobilenet_v2"])
def test_totals_are_the_rows_sums_read_one_by_one(name):
    """Totals.of reads the rows column by column (FLOPs as twice the MACs' sum, the
    activations from the outputs' sizes): the same as each metric of each row summed
    (or its peak), and the depth as the conv layers outside aux[ … ] heads counted."""
    from cnncost.api import analyze as analyze_any
    from cnncost.costs import Totals
    from cnncost.layers import BY_CLASS
    from cnncost.metrics import METRICS
    rows = analyze_any(name, batch=3).rows
    totals = Totals.of(rows)
    for m in METRICS:
        each = [getattr(r, m.key) for r in rows]
        assert totals.values[m.total_name] == (max(each) if m.total == "max" else sum(each)), m.key
    assert totals.conv_layers == len([r for r in rows if BY_CLASS[type(r.layer)].conv
                                      and not r.train_only])
    assert any(r.train_only for r in rows) or name != "inception_v3"


def test_stages_group_the_rows_by_label_in_order_of_first_appearance():
    """NetworkCost.stages: each label's rows in order, wherever they are (runs of a
    label split by another's are joined), the labels in the order they first appear."""
    from cnncost.api import analyze as analyze_any
    from cnncost.record import replace
    net = analyze_any("resnet50")
    rows = net.rows[:40] + net.rows[100:130] + net.rows[40:100] + net.rows[130:]
    mixed = replace(net, rows=rows)
    expected: dict[str, list] = {}
    for r in rows:
        expected.setdefault(r.stage, []).append(r)
    assert [(s.name, list(s.rows)) for s in mixed.stages] == list(expected.items())
    assert len({r.stage for r in rows[:70]}) > 1  # the runs do interleave
