"""Fully connected layers and squeeze-and-excitation (two fc layers on a 1×1 map)."""

from __future__ import annotations


from ..model import Shape
from ..record import Record
from .base import Args, Cost, Ctx, Geometry, KindDef, Saved, Sig, fail, opts, save_input
from .elementwise import ACT_DEFAULT_ARG, ACT_OPS, ACT_TORCH, ACT_WORDS, SAVES_OUTPUT, Act
from .pool import whole_map


class Dense(Record):
    """Fully connected layer; a spatial input is flattened implicitly."""

    kind = "fc"
    units: int
    bias: bool = True


class SE(Record):
    """Squeeze-and-excitation: gap → fc(sq) → act → fc(C) → gate → channel-wise ×.

    The squeeze width is `squeeze` when given, else C // reduction.
    """

    kind = "se"
    reduction: int = 4
    squeeze: int | None = None  # explicit squeeze channels (sq=)
    act: Act = Act.RELU  # activation between the two fc layers
    gate: Act = Act.SIGMOID  # gating function

    def squeeze_width(self, channels: int) -> int:
        """The squeeze fc's width on a map of `channels`: sq= if given, else C // r."""
        return self.squeeze if self.squeeze is not None else channels // self.reduction


def dense_shape(layer: Dense, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    return whole_map(Shape(1, 1, layer.units), ins[0])


def se_shape(layer: SE, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x = ins[0]
    if layer.squeeze_width(x.c) < 1:
        fail(f"se: {x.c} channels reduced by r={layer.reduction} leave no squeeze channels",
             hint="use a smaller r, or sq=… for the squeeze width")
    return Geometry(x)


def dense_cost(layer: Dense, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """in·out weights (+ out biases); a spatial input is flattened (in = H·W·C).
    Excluded from Eq. (1), as in He & Sun."""
    macs = ins[0].elements * layer.units
    return Cost(macs + (layer.units if layer.bias else 0), macs, 0)


def se_cost(layer: SE, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """gap → fc(C→sq) → act → fc(sq→C) → gate → channel-wise multiply, with
    biases (as torchvision's 1×1 convs). The two fc layers are MACs (2·C·sq),
    and, being fully connected on a 1×1 map, are outside Eq. (1)."""
    x = ins[0]
    c = x.c
    sq = layer.squeeze_width(c)
    ops = x.elements + ACT_OPS[layer.act] * sq + ACT_OPS[layer.gate] * c + out.elements
    return Cost(params=2 * c * sq + sq + c, macs=2 * c * sq, ops=ops)


def _se(a: Args) -> SE:
    return SE(reduction=a.int("r", 4), squeeze=a.maybe_int("sq"),
              act=a.word("act", ACT_WORDS, Act.RELU), gate=a.word("gate", ACT_WORDS, Act.SIGMOID))


def se_notation(layer: SE) -> str:
    head = f"se(sq={layer.squeeze}" if layer.squeeze is not None else f"se({layer.reduction}"
    return head + opts(("act", layer.act.value, "relu"), ("gate", layer.gate.value, "sigmoid")) + ")"


def se_torch(layer: SE, info) -> str:  # type: ignore[no-untyped-def]
    c = info.inputs[0].c
    act = ACT_TORCH[layer.act].format(arg=ACT_DEFAULT_ARG.get(layer.act))
    gate = ACT_TORCH[layer.gate].format(arg=ACT_DEFAULT_ARG.get(layer.gate))
    return f"SE({c}, {layer.squeeze_width(c)}, {act}, {gate})"


def se_saved(layer: SE, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """torchvision's SqueezeExcitation in eager autograd: the pooled vector s (a mean:
    the pooling keeps nothing) is kept by the first 1×1 conv; the activation keeps
    its output a (relu) or its input f1 and the second conv keeps a; the gate keeps
    its output g (sigmoid) or its input f2; x · g keeps x, and g when x needs a gradient."""
    c = info.inputs[0].c
    sq = layer.squeeze_width(c)
    out: list[Saved] = [Saved("new", c), Saved("new", sq)]  # s; a
    if layer.act not in SAVES_OUTPUT:
        out.append(Saved("new", sq))  # f1
    if layer.gate not in SAVES_OUTPUT:
        out.append(Saved("new", c))  # f2
    if layer.gate in SAVES_OUTPUT or grads[0]:
        out.append(Saved("new", c))  # g
    out.append(Saved("in"))  # x
    return tuple(out)


def se_input_macs(layer: SE, ins: tuple[Shape, ...], out: Shape) -> int:
    """The first fc reads the pooled input: C·sq of the 2·C·sq MACs."""
    return ins[0].c * layer.squeeze_width(ins[0].c)


FC = Sig(("fc",), ("n",), ("b",), lambda a: Dense(units=a.int("n"), bias=a.flag("b", True)),
         "4096fc", "fully connected; flattens a spatial input", "nn.Linear")

KINDS = (
    KindDef("fc", Dense, (FC,), dense_shape, dense_cost,
            lambda layer: f"{layer.units}fc" if layer.bias else f"fc({layer.units},b=0)",
            lambda layer, info: f"FC({info.inputs[0].elements}, {layer.units}, {layer.bias})",
            "fc", "7", torch_helpers=("FC",), saved=save_input),
    KindDef("se", SE,
            (Sig(("se",), ("r",), ("sq", "act", "gate"), _se, "se(4)",
                 "squeeze-and-excitation, reduction r (or sq= squeeze channels)",
                 "torchvision's SqueezeExcitation"),),
            se_shape, se_cost, se_notation, se_torch, "se", "8.3",
            torch_helpers=("SE",), saved=se_saved, input_macs=se_input_macs),
)
