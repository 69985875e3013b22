"""Element-wise layers: activations, normalisations, layer scale, dropout.

They keep their input's shape, have no MACs, and report their work in `ops`
per output element (a documented judgment call, fvcore's where it has one).
"""

from __future__ import annotations

from ..choice import Choice
from ..errors import CnnCostError
from ..model import Shape
from ..record import Record
from .base import (
    FP32, FREE, SAVE_INPUT, SAVE_OUTPUT, Args, Cost, Ctx, Geometry, KindDef, Saved, Sig, fail,
    number_text, save_input,
)


class Act(Choice):
    """Element-wise activations. Value = the canonical spelling."""

    RELU = "relu"
    RELU6 = "relu6"
    SIGMOID = "sigmoid"
    TANH = "tanh"
    SWISH = "swish"  # = SiLU
    HSWISH = "hswish"
    HSIGMOID = "hsigmoid"
    SOFTMAX = "softmax"
    LRELU = "lrelu"  # leaky ReLU; its argument is the slope (0.01)
    ELU = "elu"  # its argument is alpha (1.0)
    GELU = "gelu"  # its argument is the approximation: none or tanh
    MISH = "mish"


# ops per output element of each activation (a documented judgment call):
ACT_OPS: dict[Act, int] = {
    Act.RELU: 1,  # max(x, 0)
    Act.RELU6: 1,  # min(max(x, 0), 6)
    Act.SIGMOID: 1,  # one transcendental
    Act.TANH: 1,  # one transcendental
    Act.HSIGMOID: 1,  # relu6(x + 3) / 6, fused
    Act.SWISH: 2,  # sigmoid + multiply
    Act.HSWISH: 2,  # hsigmoid + multiply
    Act.SOFTMAX: 3,  # exp, sum, divide
    Act.LRELU: 2,  # multiply by the slope, max
    Act.ELU: 2,  # exp − 1 scaled, select
    Act.GELU: 2,  # Φ(x) (erf or tanh), multiply
    Act.MISH: 3,  # softplus, tanh, multiply
}

# Torch modules of the activations; {arg} is the cost-neutral argument.
ACT_TORCH: dict[Act, str] = {
    Act.RELU: "nn.ReLU()", Act.RELU6: "nn.ReLU6()", Act.SIGMOID: "nn.Sigmoid()",
    Act.TANH: "nn.Tanh()", Act.SWISH: "nn.SiLU()", Act.HSWISH: "nn.Hardswish()",
    Act.HSIGMOID: "nn.Hardsigmoid()", Act.SOFTMAX: "nn.Softmax(dim=1)",
    Act.LRELU: "nn.LeakyReLU({arg})", Act.ELU: "nn.ELU({arg})",
    Act.GELU: "nn.GELU(approximate={arg!r})", Act.MISH: "nn.Mish()",
}
ACT_DEFAULT_ARG: dict[Act, object] = {Act.LRELU: 0.01, Act.ELU: 1.0, Act.GELU: "none"}

BN_OPS = 2  # per element at inference: one multiply, one add (statistics are folded)
NORM_OPS = 4  # GN/LN/IN per element: mean, variance, subtract, divide (fvcore's rule) …
AFFINE_OPS = 1  # … and one more with the affine γ, β (fvcore counts 5 with, 4 without)
LRN_EXTRA_OPS = 3  # per element, besides `size` squares-and-adds: scale, power, divide


class Activation(Record):
    kind = "act"
    fn: Act
    arg: float | int | str | None = None  # slope, alpha or approximation; costs nothing


class PReLU(Record):
    """Leaky ReLU with a learned slope: one per channel, or one shared (prelu(1))."""

    kind = "prelu"
    shared: bool = False


class BatchNorm(Record):
    kind = "bn"


class GroupNorm(Record):
    """Group normalisation over g groups of channels (Wu & He 2018): γ, β per channel."""

    kind = "gn"
    groups: int


class LayerNorm(Record):
    """Layer normalisation over the channels at each position (ConvNeXt's LayerNorm2d)."""

    kind = "ln"


class InstanceNorm(Record):
    """Instance normalisation: each channel of each sample; γ, β only with affine=1."""

    kind = "in"
    affine: bool = False


class Scale(Record):
    """A learned per-channel scale (ConvNeXt's layer scale, γ·x): C params."""

    kind = "scale"


class LRN(Record):
    """Cross-channel local response normalisation over `size` channels."""

    kind = "lrn"
    size: int = 5


class Dropout(Record):
    kind = "dropout"


def same_shape(layer: object, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    """Output = input."""
    return Geometry(ins[0])


def _gn_shape(layer: GroupNorm, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    if ins[0].c % layer.groups:
        fail(f"gn({layer.groups}): the groups must divide the channels ({ins[0].c})",
             hint="choose a g that divides them, e.g. gn(32) on 64 channels")
    return same_shape(layer, ctx, ins)


def activation_cost(layer: Activation, ins: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost(ops=ACT_OPS[layer.fn] * out.elements)


def prelu_cost(layer: PReLU, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """One learned slope per channel (or one in all): multiply and max per element."""
    return Cost(params=1 if layer.shared else out.c, ops=2 * out.elements)


def batchnorm_cost(layer: BatchNorm, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """γ and β per channel are params; the running mean and variance are buffers."""
    return Cost(params=2 * out.c, ops=BN_OPS * out.elements)


def norm_cost(affine: bool, out: Shape) -> Cost:
    """GN, LN, IN compute their statistics at inference too: 4 ops per element,
    5 with γ and β (2C params)."""
    return Cost(params=2 * out.c if affine else 0,
                ops=(NORM_OPS + (AFFINE_OPS if affine else 0)) * out.elements)


def lrn_cost(layer: LRN, ins: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost(ops=(layer.size + LRN_EXTRA_OPS) * out.elements)


# ---------------------------------------------------------------------------
# Syntax


ACT_WORDS: dict[str, Act] = {
    "relu": Act.RELU, "relu6": Act.RELU6, "sigmoid": Act.SIGMOID, "tanh": Act.TANH,
    "swish": Act.SWISH, "silu": Act.SWISH, "hswish": Act.HSWISH, "hardswish": Act.HSWISH,
    "h-swish": Act.HSWISH, "hsigmoid": Act.HSIGMOID, "hardsigmoid": Act.HSIGMOID,
    "h-sigmoid": Act.HSIGMOID, "softmax": Act.SOFTMAX, "lrelu": Act.LRELU,
    "leakyrelu": Act.LRELU, "elu": Act.ELU, "gelu": Act.GELU, "mish": Act.MISH,
}


def _plain(fn: Act) -> Sig:
    names = tuple(w for w, f in ACT_WORDS.items() if f is fn)
    return Sig(names, (), (), lambda a: Activation(fn), fn.value, f"element-wise {fn.value}",
               ACT_TORCH[fn])


def _lrelu(a: Args) -> Activation:
    slope = a.number("slope")
    if slope is not None and slope < 0:
        a.error("slope", f"the slope must not be negative, not {slope}", hint="e.g. lrelu(0.1)")
    return Activation(Act.LRELU, slope)


def _elu(a: Args) -> Activation:
    alpha = a.number("alpha")
    if alpha is not None and alpha < 0:
        a.error("alpha", f"alpha must not be negative, not {alpha}", hint="e.g. elu(1.0)")
    return Activation(Act.ELU, alpha)


def _gelu(a: Args) -> Activation:
    approx = a.word("approximate", {"none": "none", "tanh": "tanh"}, None)
    return Activation(Act.GELU, approx)


def _prelu(a: Args) -> PReLU:
    n = a.maybe_int("n")
    if n is not None and n != 1:
        a.error("n", f"prelu({n}): one slope (prelu(1)) or one per channel (prelu)",
                hint="write prelu for a slope per channel, prelu(1) for one shared slope")
    return PReLU(shared=n == 1)


def _ln(a: Args) -> LayerNorm:
    v = a.values.get("over")
    if v is not None and str(v.value).lower() != "c":
        raise CnnCostError("ln normalises over the channels at each position; LayerNorm over "
                           "C×H×W is not supported yet", v.span,
                           hint="write ln (ConvNeXt's LayerNorm2d), or gn(1) for one group "
                                "over C×H×W with per-channel γ, β")
    return LayerNorm()


def _dropout(a: Args) -> Dropout:
    """The rate is checked (0 ≤ rate ≤ 1) but costs nothing: dropout is the identity
    at inference."""
    v = a.values.get("rate")
    if v is not None and (isinstance(v.value, (str, tuple)) or not 0 <= v.value <= 1):
        raise CnnCostError(f"dropout: the rate must be a number from 0 to 1, not {v.value}", v.span,
                           hint="e.g. dropout(0.5), or dropout for the default")
    return Dropout()


PARAMETRIC = {Act.LRELU, Act.ELU, Act.GELU}
ACT_SIGS = (
    *(_plain(fn) for fn in Act if fn not in PARAMETRIC),
    Sig(("lrelu", "leakyrelu"), ("slope",), (), _lrelu, "lrelu(0.1)",
        "leaky ReLU; the slope (default 0.01) costs nothing", "nn.LeakyReLU"),
    Sig(("elu",), ("alpha",), (), _elu, "elu(1.0)", "ELU; alpha (default 1.0) costs nothing",
        "nn.ELU"),
    Sig(("gelu",), ("approximate",), (), _gelu, "gelu(tanh)",
        "GELU, exact or tanh-approximated", "nn.GELU"),
)


def activation_notation(layer: Activation) -> str:
    if layer.arg is None:
        return layer.fn.value
    arg = number_text(layer.arg) if not isinstance(layer.arg, str) else layer.arg
    return f"{layer.fn.value}({arg})"


def activation_torch(layer: Activation, info) -> str:  # type: ignore[no-untyped-def]
    arg = layer.arg if layer.arg is not None else ACT_DEFAULT_ARG.get(layer.fn)
    return ACT_TORCH[layer.fn].format(arg=arg)


# ---------------------------------------------------------------------------
# Saved for backward (derivatives.yaml): relu, sigmoid, tanh and softmax keep their
# result; every other activation keeps its input.

SAVES_OUTPUT = {Act.RELU, Act.SIGMOID, Act.TANH, Act.SOFTMAX}


def activation_saved(layer: Activation, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    return SAVE_OUTPUT if layer.fn in SAVES_OUTPUT else SAVE_INPUT


def _stats(elements: int, per_sample: bool = True) -> tuple[Saved, Saved]:
    """A normalisation's mean and inverse std (fp32 whatever the activations are)."""
    return Saved("new", elements, FP32, per_sample), Saved("new", elements, FP32, per_sample)


def bn_saved(layer: BatchNorm, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """native_batch_norm: the input, and save_mean / save_invstd over the batch (C each)."""
    return (*SAVE_INPUT, *_stats(info.output.c, per_sample=False))


def gn_saved(layer: GroupNorm, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """native_group_norm: the input, mean and rstd per sample and group."""
    return (*SAVE_INPUT, *_stats(layer.groups))


def ln_saved(layer: LayerNorm, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """native_layer_norm on the channels-last view: the input, mean and rstd per position."""
    return (*SAVE_INPUT, *_stats(info.output.h * info.output.w))


def in_saved(layer: InstanceNorm, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """instance_norm is batch_norm on a (1, N·C, H, W) view: the input, statistics per
    sample and channel, and with affine=1 the weight repeated N times (a new tensor)."""
    c = info.output.c
    extra = (Saved("new", c, FP32),) if layer.affine else ()
    return (*SAVE_INPUT, *_stats(c), *extra)


def lrn_saved(layer: LRN, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """F.local_response_norm: x·x keeps x; avg_pool3d keeps the channel-padded squares
    (C + size − 1 channels); pow keeps its base; x / div keeps x and div."""
    x = info.inputs[0]
    plane = x.h * x.w
    return (*SAVE_INPUT, Saved("new", (x.c + layer.size - 1) * plane),
            Saved("new", x.elements), Saved("new", x.elements))


def dropout_saved(layer: Dropout, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """On CPU, dropout in training is x · noise (no fused kernel): the product keeps
    the noise, a tensor of the input's size (counted fp32, notation §12)."""
    return (Saved("new", info.inputs[0].elements, FP32),)


def _act_prefix(layer: Activation) -> str:
    return layer.fn.value


def _free(layer: object, ins: tuple[Shape, ...], out: Shape) -> Cost:
    return FREE


KINDS = (
    KindDef("act", Activation, ACT_SIGS, same_shape, activation_cost, activation_notation,
            activation_torch, _act_prefix, "8.1", passthrough=True, silent=True,
            saved=activation_saved),
    KindDef("prelu", PReLU,
            (Sig(("prelu",), ("n",), (), _prelu, "prelu",
                 "PReLU: a learned slope per channel (prelu(1): one)", "nn.PReLU(C)"),),
            same_shape, prelu_cost, lambda layer: "prelu(1)" if layer.shared else "prelu",
            lambda layer, info: "nn.PReLU()" if layer.shared else f"nn.PReLU({info.output.c})",
            "prelu", "8.1", passthrough=True, silent=True, saved=save_input),
    KindDef("bn", BatchNorm,
            (Sig(("bn",), (), (), lambda a: BatchNorm(), "bn",
                 "batch normalisation (γ, β per channel)", "nn.BatchNorm2d"),),
            same_shape, batchnorm_cost, lambda layer: "bn",
            lambda layer, info: f"nn.BatchNorm2d({info.output.c})", "bn",
            "8.2", passthrough=True, silent=True, saved=bn_saved),
    KindDef("gn", GroupNorm,
            (Sig(("gn",), ("g",), (), lambda a: GroupNorm(a.int("g")), "gn(32)",
                 "group normalisation over g groups (γ, β per channel)", "nn.GroupNorm"),),
            _gn_shape, lambda layer, ins, out: norm_cost(True, out),
            lambda layer: f"gn({layer.groups})",
            lambda layer, info: f"nn.GroupNorm({layer.groups}, {info.output.c})", "gn",
            "8.2", passthrough=True, saved=gn_saved),
    KindDef("ln", LayerNorm,
            (Sig(("ln",), ("over",), (), _ln, "ln",
                 "layer normalisation over the channels at each position (γ, β per channel)",
                 "nn.LayerNorm(C) on channels-last"),),
            same_shape, lambda layer, ins, out: norm_cost(True, out), lambda layer: "ln",
            lambda layer, info: f"LayerNorm2d({info.output.c})", "ln", "8.2",
            passthrough=True, torch_helpers=("LayerNorm2d",), saved=ln_saved),
    KindDef("in", InstanceNorm,
            (Sig(("in",), (), ("affine",), lambda a: InstanceNorm(a.flag("affine", False)), "in",
                 "instance normalisation (γ, β only with affine=1)", "nn.InstanceNorm2d"),),
            same_shape, lambda layer, ins, out: norm_cost(layer.affine, out),
            lambda layer: "in(affine=1)" if layer.affine else "in",
            lambda layer, info: f"nn.InstanceNorm2d({info.output.c}, affine={layer.affine})",
            "in", "8.2", passthrough=True, saved=in_saved),
    KindDef("scale", Scale,
            (Sig(("scale",), (), (), lambda a: Scale(), "scale",
                 "learned per-channel scale (ConvNeXt layer scale): C params",
                 "a C×1×1 parameter times x"),),
            same_shape, lambda layer, ins, out: Cost(params=out.c, ops=out.elements),
            lambda layer: "scale", lambda layer, info: f"Scale({info.output.c})", "scale",
            "8.2", passthrough=True, torch_helpers=("Scale",), saved=save_input),
    KindDef("lrn", LRN,
            (Sig(("lrn",), ("size",), (), lambda a: LRN(size=a.int("size", 5)), "lrn(5)",
                 "local response normalisation across `size` channels",
                 "nn.LocalResponseNorm"),),
            same_shape, lrn_cost, lambda layer: f"lrn({layer.size})",
            lambda layer, info: f"nn.LocalResponseNorm({layer.size})", "lrn",
            "8.2", passthrough=True, saved=lrn_saved),
    KindDef("dropout", Dropout,
            (Sig(("dropout",), ("rate",), (), _dropout, "dropout",
                 "dropout (identity at inference)", "nn.Dropout"),),
            same_shape, _free, lambda layer: "dropout", lambda layer, info: "nn.Dropout()",
            "dropout", "8.3", passthrough=True, silent=True, saved=dropout_saved, view="eval"),
)
