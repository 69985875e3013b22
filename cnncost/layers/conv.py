"""Convolutions: nF, dw, nT (transposed), and ChannelNets' cw, gcw, ccl.

Every kind here is a convolutional layer for He & Sun's Eq. (1) and depth.
"""

from __future__ import annotations


from ..model import Padding, Shape
from ..record import Record
from .base import (
    SAVE_INPUT, Args, Cost, Ctx, Geometry, KindDef, Saved, Sig, fail, opts, out_size, save_input,
    tf_same,
)

# An explicit padding: an int per side, or the words "same"/"valid"/"tf".
# None means "not given": the graph's padding policy decides.
Pad = int | str | None


class Conv(Record):
    """n filters of kh×kw over c_in/groups input channels each."""

    kind = "conv"
    filters: int  # n, the number of output channels
    kh: int  # kernel height
    kw: int  # kernel width
    stride: int = 1  # both dimensions, unless sh/sw say otherwise
    pad: Pad = None  # explicit p=, else the policy decides
    groups: int = 1
    dilation: int = 1
    bias: bool = True  # on by default, as in Caffe
    c_in: int | None = None  # declared input channels, checked against the inferred ones
    sh: int | None = None  # stride along the height, when it differs from the width's
    sw: int | None = None
    ph: int | None = None  # padding of the height (top and bottom), overriding p=
    pw: int | None = None


class Depthwise(Record):
    """Depthwise conv: groups = c_in, `multiplier` filters per input channel."""

    kind = "dw"
    kh: int
    kw: int
    multiplier: int = 1  # channel multiplier m: c_out = m·c_in
    stride: int = 1
    pad: Pad = None
    dilation: int = 1
    bias: bool = True
    sh: int | None = None
    sw: int | None = None
    ph: int | None = None
    pw: int | None = None


class ConvTranspose(Record):
    """Transposed convolution ("up-conv", "deconv"): n filters of kh×kw.

    out = (H−1)·s − 2p + d(k−1) + op + 1, as PyTorch's ConvTranspose2d; p= is
    never set by a padding policy (default 0, as in PyTorch)."""

    kind = "tconv"
    filters: int
    kh: int
    kw: int
    stride: int = 1
    pad: int = 0
    out_pad: int = 0  # op=: extra rows/columns on the bottom/right
    groups: int = 1
    dilation: int = 1
    bias: bool = True
    c_in: int | None = None
    sh: int | None = None
    sw: int | None = None
    ph: int | None = None
    pw: int | None = None
    oph: int | None = None
    opw: int | None = None


def strides_of(layer: Conv | Depthwise | ConvTranspose | "Pool") -> tuple[int, int]:  # noqa: F821
    return (layer.sh or layer.stride, layer.sw or layer.stride)


class ChannelWise(Record):
    """ChannelNets' channel-wise convolution (arXiv 1809.01330, §3.1).

    One 1-D kernel of size dc slides along the channel axis with stride s,
    shared by every spatial position: params dc, cost dc·n_out·H·W. With
    p=same (the paper's "appropriate padding", TensorFlow SAME) m input channels
    give ⌈m/s⌉ outputs; with an integer p they give ⌊(m + 2p − dc)/s⌋ + 1.
    """

    kind = "cw"
    dc: int  # kernel size along channels
    stride: int = 1  # stride along channels
    pad: int | str = "same"  # zero padding per end of the channel axis, or "same"
    bias: bool = False


class GroupChannelWise(Record):
    """ChannelNets' group channel-wise convolution (arXiv 1809.01330, §3.2).

    A fusion layer after a g-group convolution: g independent channel-wise
    convolutions, each scanning all c input channels with kernel dc, stride g and
    SAME padding, so each gives c/g channels and together c. params g·dc,
    cost dc·c·H·W (dc multiply-adds per output element).
    """

    kind = "gcw"
    groups: int
    dc: int
    bias: bool = False


class ConvClassifier(Record):
    """ChannelNets' convolutional classification layer (arXiv 1809.01330, §3.4).

    Replaces gap → fc(n) on a df×df×m map: a depthwise-separable channel-wise
    3-D convolution with a df×df×dc kernel, dc = m − n + 1, no padding, so the
    output is 1×1×n. params df²·dc, cost df²·dc·n.
    """

    kind = "ccl"
    classes: int  # n, the number of output classes
    bias: bool = False

    def channel_kernel(self, channels: int) -> int:
        """dc = m − n + 1 on a map of m channels."""
        return channels - self.classes + 1


# ---------------------------------------------------------------------------
# Padding and the sliding window


def _pad_dim(word: Pad, policy: Padding, size: int, k: int, s: int, d: int,
             strided: bool, even_pos: int | None) -> tuple[int, int]:
    """Padding (before, after) of one dimension of a convolution or pooling window.

    An explicit p= always wins ('same' = ⌊(k−1)/2⌋·d, 'valid' = 0, 'tf' =
    TensorFlow SAME). Otherwise the policy decides:
    - same: p = ⌊(k−1)/2⌋·d, as torchvision's definitions use;
    - tf: TensorFlow SAME (networks ported from Keras or TF-slim);
    - he2015 (He & Sun's Table 1 map sizes): strided convolutions are unpadded;
      odd kernels at stride 1 keep the size, p = (k−1)/2; in each maximal run of
      consecutive even-kernel stride-1 convolutions (element-wise layers between
      them do not break a run) the 1st, 3rd, 5th… are unpadded and the 2nd,
      4th… padded by k/2, so 18 → 17 → 18 → 17 …
    """
    if isinstance(word, int):
        return word, word
    same = (k - 1) // 2 * d
    if word is None:
        word = policy.value
    if word == "same":
        return same, same
    if word == "valid":
        return 0, 0
    if word == "tf":
        return tf_same(size, k, s, d)
    # he2015
    if strided:
        return 0, 0
    if even_pos is not None:
        p = (k // 2 * d if even_pos % 2 == 0 else 0) if k % 2 == 0 else same
        return p, p
    return same, same


def window_pads(layer: Conv | Depthwise, ctx: Ctx, x: Shape
                ) -> tuple[tuple[int, int, int, int], int]:
    """Padding (top, bottom, left, right) of a convolution, and its he2015 run position."""
    d = layer.dilation
    if layer.pad is None and ctx.padding is Padding.SAME and layer.ph is None \
            and layer.pw is None:  # the common case, first
        ph, pw = (layer.kh - 1) // 2 * d, (layer.kw - 1) // 2 * d
        return (ph, ph, pw, pw), 0
    sh, sw = strides_of(layer)
    k = (layer.kh, layer.kw)
    even = sh == sw == 1 and (k[0] % 2 == 0 or k[1] % 2 == 0)
    run = ctx.run_before + 1 if even else 0
    strided = sh > 1 or sw > 1
    pos = run if even else None
    top, bottom = ((layer.ph, layer.ph) if layer.ph is not None else
                   _pad_dim(layer.pad, ctx.padding, x.h, k[0], sh, d, strided, pos))
    left, right = ((layer.pw, layer.pw) if layer.pw is not None else
                   _pad_dim(layer.pad, ctx.padding, x.w, k[1], sw, d, strided, pos))
    return (top, bottom, left, right), run


def sliding(x: Shape, k: tuple[int, int], strides: tuple[int, int], pad: tuple[int, int, int, int],
            d: int = 1, ceil: bool = False) -> tuple[int, int]:
    """Output H×W of a sliding window; a window larger than its padded input is an
    error, except in ceil mode, where PyTorch accepts it as long as one window fits."""
    eff = (d * (k[0] - 1) + 1, d * (k[1] - 1) + 1)
    ph, pw = x.h + pad[0] + pad[1], x.w + pad[2] + pad[3]
    h = out_size(x.h, k[0], strides[0], pad[0], d, ceil, pad[1])
    w = out_size(x.w, k[1], strides[1], pad[2], d, ceil, pad[3])
    if (ph < eff[0] or pw < eff[1]) and not (ceil and h >= 1 and w >= 1):
        fail(f"the {eff[0]}×{eff[1]} window is larger than its padded input {ph}×{pw}",
             hint="pad it (p=…), use a smaller kernel, or remove a downsampling layer before it")
    return h, w


def _sliding_geometry(layer: Conv | Depthwise, ctx: Ctx, x: Shape, c_out: int) -> Geometry:
    pad, run = window_pads(layer, ctx, x)
    strides = strides_of(layer)
    h, w = sliding(x, (layer.kh, layer.kw), strides, pad, layer.dilation)
    d = layer.dilation
    return Geometry(Shape(h, w, c_out), pad, (d * (layer.kh - 1) + 1, d * (layer.kw - 1) + 1),
                    strides, run)


# ---------------------------------------------------------------------------
# Shape rules


def _check_c_in(declared: int | None, x: Shape, what: str = "convolution") -> None:
    if declared is not None and declared != x.c:
        fail(f"this {what} declares {declared} input channels but receives {x.c}",
             hint=f"write {x.c} as its input channels, or leave them out to infer them")


def _check_groups(g: int, x: Shape, filters: int) -> None:
    if x.c % g or filters % g:
        fail(f"groups g={g} must divide both the input channels ({x.c}) and the filters "
             f"({filters})", hint="choose a g that divides both")


def conv_shape(layer: Conv, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x = ins[0]
    _check_c_in(layer.c_in, x)
    _check_groups(layer.groups, x, layer.filters)
    return _sliding_geometry(layer, ctx, x, layer.filters)


def depthwise_shape(layer: Depthwise, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    return _sliding_geometry(layer, ctx, ins[0], ins[0].c * layer.multiplier)


def tconv_shape(layer: ConvTranspose, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    """out = (H−1)·s − 2p + d(k−1) + op + 1. The receptive field grows by the input
    positions one output reads, ⌊(d(k−1))/s⌋ + 1, and the jump divides by s."""
    x = ins[0]
    _check_c_in(layer.c_in, x, "transposed convolution")
    _check_groups(layer.groups, x, layer.filters)
    sh, sw = strides_of(layer)
    d = layer.dilation
    ph = layer.ph if layer.ph is not None else layer.pad
    pw = layer.pw if layer.pw is not None else layer.pad
    oph = layer.oph if layer.oph is not None else layer.out_pad
    opw = layer.opw if layer.opw is not None else layer.out_pad
    for op, s, dim in ((oph, sh, "height"), (opw, sw, "width")):
        if op >= s and op >= d:
            fail(f"the output padding op={op} of the {dim} must be smaller than the stride "
                 f"({s}) or the dilation ({d})", hint="PyTorch requires op < s or op < d; "
                                                     "use op=0 or a larger stride")
    h = (x.h - 1) * sh - 2 * ph + d * (layer.kh - 1) + oph + 1
    w = (x.w - 1) * sw - 2 * pw + d * (layer.kw - 1) + opw + 1
    from fractions import Fraction
    jump = tuple(Fraction(1, s) if s > 1 else 1 for s in (sh, sw))
    kernel = (d * (layer.kh - 1) // sh + 1, d * (layer.kw - 1) // sw + 1)
    return Geometry(Shape(h, w, layer.filters), (ph, ph, pw, pw), kernel, jump)  # type: ignore[arg-type]


def channelwise_shape(layer: ChannelWise, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x = ins[0]
    if layer.pad == "same":
        c = -(-x.c // layer.stride)
    else:
        assert isinstance(layer.pad, int)
        if layer.dc > x.c + 2 * layer.pad:
            fail(f"the channel-wise kernel dc={layer.dc} is larger than the "
                 f"{x.c} (padded: {x.c + 2 * layer.pad}) input channels",
                 hint="use a smaller dc, or p=same")
        c = out_size(x.c, layer.dc, layer.stride, layer.pad)
    return Geometry(Shape(x.h, x.w, c))


def group_channelwise_shape(layer: GroupChannelWise, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x = ins[0]
    if x.c % layer.groups:
        fail(f"groups g={layer.groups} must divide the input channels ({x.c})",
             hint="choose a g that divides them")
    return Geometry(x)


def conv_classifier_shape(layer: ConvClassifier, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x = ins[0]
    if layer.classes > x.c:
        fail(f"the convolutional classification layer needs at least as many "
             f"channels ({x.c}) as classes ({layer.classes})",
             hint="its channel kernel is dc = channels − classes + 1 ≥ 1")
    return Geometry(Shape(1, 1, layer.classes), kernel=(x.h, x.w), stride=(x.h, x.w))


# ---------------------------------------------------------------------------
# Cost rules


def conv_cost(layer: Conv, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """kh·kw·(c_in/g)·n weights (+ n biases); MACs = weights·H_out·W_out = Eq. (1)."""
    weights = layer.kh * layer.kw * (ins[0].c // layer.groups) * layer.filters
    macs = weights * out.h * out.w
    return Cost(weights + (layer.filters if layer.bias else 0), macs, macs)


def depthwise_cost(layer: Depthwise, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """groups = c_in: kh·kw·1·(m·c_in) weights; Eq. (1) with n_{l−1}/g = 1."""
    weights = layer.kh * layer.kw * out.c
    macs = weights * out.h * out.w
    return Cost(weights + (out.c if layer.bias else 0), macs, macs)


def tconv_cost(layer: ConvTranspose, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """c_in·(n/g)·kh·kw weights (+ n biases). Each *input* position is multiplied
    by every weight of its group, so MACs = weights·H_in·W_in — as FlopCounterMode
    counts a transposed convolution. Eq. (1) takes the same product (a transposed
    convolution is a convolutional layer; its cost grows with the map it reads)."""
    x = ins[0]
    weights = layer.kh * layer.kw * x.c * (layer.filters // layer.groups)
    macs = weights * x.h * x.w
    return Cost(weights + (layer.filters if layer.bias else 0), macs, macs)


def channelwise_cost(layer: ChannelWise, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """ChannelNets §3.1: one 1-D kernel of dc weights shared across the map;
    each output element costs dc multiply-adds: dc·c_out·H·W."""
    macs = layer.dc * out.elements
    return Cost(layer.dc + (1 if layer.bias else 0), macs, macs)


def group_channelwise_cost(layer: GroupChannelWise, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """ChannelNets §3.2: g channel-wise convolutions (stride g, c/g outputs each)
    of dc weights each: g·dc params, dc multiply-adds per output element."""
    macs = layer.dc * out.elements
    return Cost(layer.groups * layer.dc + (layer.groups if layer.bias else 0), macs, macs)


def conv_classifier_cost(layer: ConvClassifier, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """ChannelNets §3.4: a df×df×dc kernel, dc = m − n + 1, no padding, sliding
    along the m channels to give n outputs: df²·dc params, df²·dc·n MACs."""
    x = ins[0]
    weights = x.h * x.w * layer.channel_kernel(x.c)
    macs = weights * layer.classes
    return Cost(weights + (1 if layer.bias else 0), macs, macs)


# ---------------------------------------------------------------------------
# Syntax


def _conv(a: Args) -> Conv:
    kh = a.int("kh")
    stride, sh, sw = a.strides()
    pad, ph, pw = a.pads()
    return Conv(filters=a.int("n"), kh=kh, kw=a.int("kw", kh), stride=stride, pad=pad,
                groups=a.int("g", 1), dilation=a.int("d", 1), bias=a.flag("b", True),
                c_in=a.maybe_int("c_in"), sh=sh, sw=sw, ph=ph, pw=pw)


def _dw(a: Args) -> Depthwise:
    kh = a.int("kh")
    stride, sh, sw = a.strides()
    pad, ph, pw = a.pads()
    return Depthwise(kh=kh, kw=a.int("kw", kh), multiplier=a.int("m", 1), stride=stride,
                     pad=pad, dilation=a.int("d", 1), bias=a.flag("b", True), sh=sh, sw=sw,
                     ph=ph, pw=pw)


def _tconv(a: Args) -> ConvTranspose:
    kh = a.int("kh")
    stride, sh, sw = a.strides()
    p = a.pad("p", words=())
    op = a.int("op", 0, minimum=0)
    ph, pw = a.maybe_int("ph", 0), a.maybe_int("pw", 0)
    oph, opw = a.maybe_int("oph", 0), a.maybe_int("opw", 0)
    pad = 0 if p is None else p
    assert isinstance(pad, int)
    return ConvTranspose(
        filters=a.int("n"), kh=kh, kw=a.int("kw", kh), stride=stride, pad=pad, out_pad=op,
        groups=a.int("g", 1), dilation=a.int("d", 1), bias=a.flag("b", True),
        c_in=a.maybe_int("c_in"), sh=sh, sw=sw,
        ph=None if ph == pad else ph, pw=None if pw == pad else pw,
        oph=None if oph == op else oph, opw=None if opw == op else opw)


def _cw_pad(a: Args) -> int | str:
    pad = a.pad(words=("same", "valid"))
    if pad is None or pad == "same":
        return "same"
    return 0 if pad == "valid" else pad


_SLIDE_OPTS = ("s", "sh", "sw", "p", "ph", "pw")

SIGS = {
    "conv": Sig(("conv", "f"), ("n", "kh", "kw", "c_in"), (*_SLIDE_OPTS, "g", "d", "b"), _conv,
                "64F(7,7,3,s=2)",
                "n filters of kh×kw over c_in channels; also (s,n)/k and c_in*kh*kw*n",
                "nn.Conv2d"),
    "dw": Sig(("dw",), ("kh", "kw"), ("m", *_SLIDE_OPTS, "d", "b"), _dw, "dw(3,3,s=2)",
              "depthwise: groups = channels, m filters per channel", "nn.Conv2d(groups=C)"),
    "tconv": Sig(("tconv", "t"), ("n", "kh", "kw", "c_in"),
                 ("s", "sh", "sw", "p", "ph", "pw", "op", "oph", "opw", "g", "d", "b"), _tconv,
                 "64T(2,2,s=2)", "transposed convolution (up-conv), n filters of kh×kw",
                 "nn.ConvTranspose2d"),
    "cw": Sig(("cw",), ("dc",), ("s", "p", "b"),
              lambda a: ChannelWise(dc=a.int("dc"), stride=a.int("s", 1), pad=_cw_pad(a),
                                    bias=a.flag("b", False)),
              "cw(64,s=2)", "channel-wise convolution (ChannelNets §3.1); p=same by default",
              "nn.Conv3d(1, 1, (dc,1,1))"),
    "gcw": Sig(("gcw",), ("g", "dc"), ("b",),
               lambda a: GroupChannelWise(groups=a.int("g"), dc=a.int("dc"),
                                          bias=a.flag("b", False)),
               "gcw(2,8)", "group channel-wise convolution (ChannelNets §3.2)",
               "g × nn.Conv3d(1, 1, (dc,1,1))"),
    "ccl": Sig(("ccl",), ("n",), ("b",),
               lambda a: ConvClassifier(classes=a.int("n"), bias=a.flag("b", False)),
               "ccl(1000)", "convolutional classification layer (ChannelNets §3.4)",
               "nn.Conv3d(1, 1, (dc,H,W))"),
}


# ---------------------------------------------------------------------------
# Canonical notation


def _slide_opts(layer: Conv | Depthwise | ConvTranspose) -> list[tuple[str, object, object]]:
    return [("s", layer.stride, 1), ("sh", layer.sh, None), ("sw", layer.sw, None)]


def conv_notation(layer: Conv) -> str:
    c_in = f",{layer.c_in}" if layer.c_in is not None else ""
    return (f"{layer.filters}F({layer.kh},{layer.kw}{c_in}"
            + opts(*_slide_opts(layer), ("p", layer.pad, None), ("ph", layer.ph, None),
                   ("pw", layer.pw, None), ("g", layer.groups, 1), ("d", layer.dilation, 1),
                   ("b", layer.bias, True)) + ")")


def depthwise_notation(layer: Depthwise) -> str:
    return (f"dw({layer.kh},{layer.kw}"
            + opts(("m", layer.multiplier, 1), *_slide_opts(layer), ("p", layer.pad, None),
                   ("ph", layer.ph, None), ("pw", layer.pw, None), ("d", layer.dilation, 1),
                   ("b", layer.bias, True)) + ")")


def tconv_notation(layer: ConvTranspose) -> str:
    c_in = f",{layer.c_in}" if layer.c_in is not None else ""
    return (f"{layer.filters}T({layer.kh},{layer.kw}{c_in}"
            + opts(*_slide_opts(layer), ("p", layer.pad, 0), ("ph", layer.ph, None),
                   ("pw", layer.pw, None), ("op", layer.out_pad, 0), ("oph", layer.oph, None),
                   ("opw", layer.opw, None), ("g", layer.groups, 1), ("d", layer.dilation, 1),
                   ("b", layer.bias, True)) + ")")


def channelwise_notation(layer: ChannelWise) -> str:
    return (f"cw({layer.dc}" + opts(("s", layer.stride, 1), ("p", layer.pad, "same"),
                                    ("b", layer.bias, False)) + ")")


# ---------------------------------------------------------------------------
# PyTorch


def torch_stride(strides: tuple[int, int]) -> str:
    return str(strides[0]) if strides[0] == strides[1] else str(strides)


def padded(pad: tuple[int, int, int, int], module: str, value: str = "") -> str:
    """`module` with its padding: in the module when symmetric, else an explicit pad
    before it (TensorFlow SAME pads the odd pixel on the bottom/right)."""
    t, b, left, r = pad
    if t == b and left == r:
        return module.replace("{pad}", str((t, left)))
    pad_module = f"nn.ConstantPad2d({(left, r, t, b)}, {value})" if value else \
        f"nn.ZeroPad2d({(left, r, t, b)})"
    return f"nn.Sequential({pad_module}, {module.replace('{pad}', '0')})"


def conv_torch(layer: Conv, info) -> str:  # type: ignore[no-untyped-def]
    x = info.inputs[0]
    return padded(info.pad, f"nn.Conv2d({x.c}, {layer.filters}, ({layer.kh}, {layer.kw}), "
                  f"stride={torch_stride(strides_of(layer))}, padding={{pad}}, "
                  f"dilation={layer.dilation}, groups={layer.groups}, bias={layer.bias})")


def depthwise_torch(layer: Depthwise, info) -> str:  # type: ignore[no-untyped-def]
    x = info.inputs[0]
    return padded(info.pad, f"nn.Conv2d({x.c}, {info.output.c}, ({layer.kh}, {layer.kw}), "
                  f"stride={torch_stride(strides_of(layer))}, padding={{pad}}, "
                  f"dilation={layer.dilation}, groups={x.c}, bias={layer.bias})")


def tconv_torch(layer: ConvTranspose, info) -> str:  # type: ignore[no-untyped-def]
    x = info.inputs[0]
    oph = layer.oph if layer.oph is not None else layer.out_pad
    opw = layer.opw if layer.opw is not None else layer.out_pad
    t, _, left, _ = info.pad
    return (f"nn.ConvTranspose2d({x.c}, {layer.filters}, ({layer.kh}, {layer.kw}), "
            f"stride={torch_stride(strides_of(layer))}, padding={(t, left)}, "
            f"output_padding={(oph, opw)}, groups={layer.groups}, bias={layer.bias}, "
            f"dilation={layer.dilation})")


def _same_channel_pad(c: int, dc: int, stride: int) -> tuple[int, int]:
    """TensorFlow SAME padding of the channel axis: ⌈c/s⌉ outputs."""
    return tf_same(c, dc, stride)


def channelwise_torch(layer: ChannelWise, info) -> str:  # type: ignore[no-untyped-def]
    x = info.inputs[0]
    pad = _same_channel_pad(x.c, layer.dc, layer.stride) if layer.pad == "same" \
        else (layer.pad, layer.pad)
    return f"ChannelWise({layer.dc}, {layer.stride}, {pad}, {layer.bias})"


def group_channelwise_torch(layer: GroupChannelWise, info) -> str:  # type: ignore[no-untyped-def]
    pad = _same_channel_pad(info.inputs[0].c, layer.dc, layer.groups)
    return f"GroupChannelWise({layer.groups}, {layer.dc}, {pad}, {layer.bias})"


def conv_classifier_torch(layer: ConvClassifier, info) -> str:  # type: ignore[no-untyped-def]
    x = info.inputs[0]
    return f"ConvClassifier({layer.channel_kernel(x.c)}, {x.h}, {x.w}, {layer.bias})"


# ---------------------------------------------------------------------------
# Saved for backward (PyTorch eager: convolution's autograd node keeps its input
# and weight — the weight is a parameter, not counted)


def padded_input(info, elements_of=None) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """The input, or the padded copy an explicit pad module makes first (TensorFlow
    SAME's odd pixel: nn.ZeroPad2d before the conv, which then saves that copy)."""
    t, b, left, r = info.pad
    if t == b and left == r:
        return SAVE_INPUT
    x = info.inputs[0]
    return (Saved("new", (x.h + t + b) * (x.w + left + r) * x.c),)


def conv_saved(layer: Conv | Depthwise, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    return padded_input(info)


def channelwise_saved(layer: ChannelWise, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """F.pad of the channel axis always copies (even with no padding); Conv3d keeps the copy."""
    x = info.inputs[0]
    front, back = _same_channel_pad(x.c, layer.dc, layer.stride) if layer.pad == "same" \
        else (layer.pad, layer.pad)
    return (Saved("new", (x.c + front + back) * x.h * x.w),)


def group_channelwise_saved(layer: GroupChannelWise, info, grads: tuple[bool, ...]  # type: ignore[no-untyped-def]
                            ) -> tuple[Saved, ...]:
    """g channel-wise convolutions, each keeping its own padded copy."""
    x = info.inputs[0]
    front, back = _same_channel_pad(x.c, layer.dc, layer.groups)
    return tuple(Saved("new", (x.c + front + back) * x.h * x.w) for _ in range(layer.groups))


KINDS = (
    KindDef("conv", Conv, (SIGS["conv"],), conv_shape, conv_cost, conv_notation, conv_torch,
            "conv", "4", conv=True, saved=conv_saved),
    KindDef("dw", Depthwise, (SIGS["dw"],), depthwise_shape, depthwise_cost, depthwise_notation,
            depthwise_torch, "dw", "5.1", conv=True, saved=conv_saved),
    KindDef("tconv", ConvTranspose, (SIGS["tconv"],), tconv_shape, tconv_cost, tconv_notation,
            tconv_torch, "tconv", "4.6", conv=True, saved=save_input),
    KindDef("cw", ChannelWise, (SIGS["cw"],), channelwise_shape, channelwise_cost,
            channelwise_notation, channelwise_torch, "cw", "5.2", conv=True,
            torch_helpers=("ChannelWise",), saved=channelwise_saved),
    KindDef("gcw", GroupChannelWise, (SIGS["gcw"],), group_channelwise_shape,
            group_channelwise_cost,
            lambda layer: f"gcw({layer.groups},{layer.dc}" + opts(("b", layer.bias, False)) + ")",
            group_channelwise_torch, "gcw", "5.2", conv=True,
            torch_helpers=("ChannelWise", "GroupChannelWise"), saved=group_channelwise_saved),
    KindDef("ccl", ConvClassifier, (SIGS["ccl"],), conv_classifier_shape, conv_classifier_cost,
            lambda layer: f"ccl({layer.classes}" + opts(("b", layer.bias, False)) + ")",
            conv_classifier_torch, "ccl", "5.2", conv=True,
            torch_helpers=("ConvClassifier",), saved=save_input),
)
