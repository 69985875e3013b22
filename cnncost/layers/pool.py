"""Pooling: windowed (max-p, avg-p, k/s), global (gap, gmp), adaptive (aap, amp), SPP."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Callable

from ..choice import Choice
from ..errors import CnnCostError
from ..model import Padding, Shape
from ..record import Record
from .base import (
    INT64, NOTHING, SAVE_INPUT, Args, Cost, Ctx, Geometry, KindDef, Saved, Sig, adaptive_windows,
    fail, opts, tf_same,
)
from .conv import padded, padded_input, sliding, strides_of, torch_stride


class PoolOp(Choice):
    MAX = "max"
    AVG = "avg"


class Pool(Record):
    """Window kh×kw, stride s pooling."""

    kind = "pool"
    op: PoolOp
    kh: int
    kw: int
    stride: int
    pad: int | str | None = None  # p= per side, or "tf"; None: 0 (TF SAME under the tf policy)
    ceil: bool = False  # Caffe's ceil rounding; PyTorch's default is floor
    sh: int | None = None
    sw: int | None = None
    ph: int | None = None
    pw: int | None = None


class GlobalPool(Record):
    """gap / gmp: the whole map pooled to 1×1×C."""

    kind = "global_pool"
    op: PoolOp


class AdaptivePool(Record):
    """PyTorch's AdaptiveAvgPool2d/AdaptiveMaxPool2d to a fixed h×w."""

    kind = "adaptive_pool"
    op: PoolOp
    h: int
    w: int


class SPP(Record):
    """Spatial pyramid max pooling: n×n bins per level, flattened to C·Σn²."""

    kind = "spp"
    levels: tuple[int, ...]


# ---------------------------------------------------------------------------
# Shape rules


def _pool_pads(layer: Pool, ctx: Ctx, x: Shape) -> tuple[int, int, int, int]:
    word = layer.pad
    if word is None:
        word = "tf" if ctx.padding is Padding.TF else 0
        if word == "tf" and layer.ceil:
            fail("ceil=1 pooling under the tf padding policy: TensorFlow SAME has no ceil mode",
                 hint="give the pool its padding, e.g. p=0, or drop ceil=1")
    sh, sw = strides_of(layer)
    out = []
    for size, k, s, override in ((x.h, layer.kh, sh, layer.ph), (x.w, layer.kw, sw, layer.pw)):
        if override is not None:
            out += [override, override]
        elif word == "tf":
            out += list(tf_same(size, k, s))
        else:
            assert isinstance(word, int)
            out += [word, word]
    t, b, left, r = out
    if word != "tf" and (2 * max(t, b) > layer.kh or 2 * max(left, r) > layer.kw):
        p = max(out)
        fail(f"pooling padding p={p} is more than half the {layer.kh}×{layer.kw} window",
             hint="PyTorch requires p ≤ k/2")
    return t, b, left, r


def pool_shape(layer: Pool, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x = ins[0]
    pad = _pool_pads(layer, ctx, x)
    strides = strides_of(layer)
    h, w = sliding(x, (layer.kh, layer.kw), strides, pad, ceil=layer.ceil)
    return Geometry(Shape(h, w, x.c), pad, (layer.kh, layer.kw), strides)


def whole_map(out: Shape, x: Shape) -> Geometry:
    """Layers that read the whole map at once: one window the size of the map."""
    return Geometry(out, kernel=(x.h, x.w), stride=(x.h, x.w))


def global_shape(layer: GlobalPool, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    return whole_map(Shape(1, 1, ins[0].c), ins[0])


def adaptive_shape(layer: AdaptivePool, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    """Levels larger than the map are allowed: PyTorch's windows then overlap."""
    x = ins[0]
    kh = max(adaptive_windows(x.h, layer.h))
    kw = max(adaptive_windows(x.w, layer.w))
    return Geometry(Shape(layer.h, layer.w, x.c), kernel=(kh, kw),
                    stride=(max(1, x.h // layer.h), max(1, x.w // layer.w)))


def spp_shape(layer: SPP, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    """Each level is an adaptive max pooling, so a level may exceed the map."""
    x = ins[0]
    return whole_map(Shape(1, 1, x.c * sum(n * n for n in layer.levels)), x)


# ---------------------------------------------------------------------------
# Cost rules


def pool_cost(layer: Pool, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """One op per window element per output element: kh·kw·H_out·W_out·C."""
    return Cost(ops=layer.kh * layer.kw * out.elements)


def global_pool_cost(layer: GlobalPool, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """Every input element once: H·W·C."""
    return Cost(ops=ins[0].elements)


def adaptive_ops(x: Shape, oh: int, ow: int) -> int:
    """Σ over output cells of their window area, × C (PyTorch's adaptive windows)."""
    return sum(adaptive_windows(x.h, oh)) * sum(adaptive_windows(x.w, ow)) * x.c


def adaptive_pool_cost(layer: AdaptivePool, ins: tuple[Shape, ...], out: Shape) -> Cost:
    return Cost(ops=adaptive_ops(ins[0], layer.h, layer.w))


def spp_cost(layer: SPP, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """Each level is an adaptive max pooling to n×n bins (as PyTorch SPP code
    does); ops = Σ_levels Σ_bins window area × C."""
    return Cost(ops=sum(adaptive_ops(ins[0], n, n) for n in layer.levels))


# ---------------------------------------------------------------------------
# Syntax


def _pool(op: PoolOp) -> Callable[[Args], Pool]:
    def build(a: Args) -> Pool:
        # bare → 2×2/2; (k) → k×k/k; (k,s) → k×k/s; (kh,kw,s)
        kh = a.int("kh", 2)
        if a.positional == 2 and not a.has("s"):
            kw, stride = kh, a.int("kw")
        else:
            kw = a.int("kw", kh)
            stride = a.int("s", kh)
        sh, sw = a.int("sh", stride), a.int("sw", stride)
        stride, sh_, sw_ = (sh, None, None) if sh == sw else (1, sh, sw)
        pad = a.pad(words=("tf",))
        ceil = a.flag("ceil", False)
        if pad == "tf" and ceil:
            a.error("p", "p=tf has no ceil mode (TensorFlow SAME rounds by padding)",
                    hint="drop ceil=1, or give a whole-number padding")
        ph, pw = a.maybe_int("ph", 0), a.maybe_int("pw", 0)
        if ph is not None and ph == pw and pad is None:
            pad, ph, pw = ph, None, None
        return Pool(op=op, kh=kh, kw=kw, stride=stride, pad=pad, ceil=ceil, sh=sh_, sw=sw_,
                    ph=ph, pw=pw)
    return build


def _adaptive(op: PoolOp) -> Callable[[Args], AdaptivePool]:
    def build(a: Args) -> AdaptivePool:
        h = a.int("h")
        return AdaptivePool(op=op, h=h, w=a.int("w", h))
    return build


def _levels(a: Args) -> SPP:
    out = []
    for name in a.sig.positional:
        v = a.values.get(name)
        if v is None:
            continue
        value = v.value
        if isinstance(value, tuple):
            if len(set(value)) != 1 or len(value) != 2:
                raise CnnCostError("spp: each level is n×n bins, like 6*6 or 6", v.span)
            value = value[0]
        if not isinstance(value, int) or value < 1:
            raise CnnCostError("spp: a level must be a whole number of bins ≥ 1", v.span)
        out.append(value)
    if not out:
        raise CnnCostError("spp needs at least one level", a.span, hint="for example spp(6,3,2,1)")
    return SPP(tuple(out))


_POOL_OPTS = ("p", "ceil", "sh", "sw", "ph", "pw")
MAX_P = Sig(("max-p",), ("kh", "kw", "s"), _POOL_OPTS, _pool(PoolOp.MAX), "max-p(3,3,2)",
            "max pooling kh×kw, stride s; max-p(k) = k×k/k; bare max-p = 2×2/2",
            "nn.MaxPool2d")
SIGS = (
    MAX_P,
    Sig(("avg-p",), ("kh", "kw", "s"), _POOL_OPTS, _pool(PoolOp.AVG), "avg-p(3,3,2)",
        "average pooling, same forms as max-p", "nn.AvgPool2d"),
)


# ---------------------------------------------------------------------------
# Canonical notation and PyTorch


def pool_notation(layer: Pool) -> str:
    return (f"{layer.op.value}-p({layer.kh},{layer.kw},{layer.stride}"
            + opts(("sh", layer.sh, None), ("sw", layer.sw, None), ("p", layer.pad, None),
                   ("ph", layer.ph, None), ("pw", layer.pw, None),
                   ("ceil", layer.ceil, False)) + ")")


def pool_torch(layer: Pool, info) -> str:  # type: ignore[no-untyped-def]
    cls = "nn.MaxPool2d" if layer.op is PoolOp.MAX else "nn.AvgPool2d"
    return padded(info.pad, f"{cls}(({layer.kh}, {layer.kw}), "
                  f"stride={torch_stride(strides_of(layer))}, padding={{pad}}, "
                  f"ceil_mode={layer.ceil})",
                  value="float('-inf')" if layer.op is PoolOp.MAX else "")


def _adaptive_torch(layer: AdaptivePool, info) -> str:  # type: ignore[no-untyped-def]
    cls = "nn.AdaptiveAvgPool2d" if layer.op is PoolOp.AVG else "nn.AdaptiveMaxPool2d"
    return f"{cls}(({layer.h}, {layer.w}))"


# ---------------------------------------------------------------------------
# Saved for backward: max pooling keeps its input and int64 indices of the
# output's size (max_pool2d_with_indices, adaptive_max_pool2d); average pooling
# its input (avg_pool2d, _adaptive_avg_pool2d) — except to 1×1, which PyTorch
# computes as a mean, keeping nothing.


def _indices(out: Shape) -> Saved:
    return Saved("new", out.elements, INT64)


def pool_saved(layer: Pool, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    x = padded_input(info)
    return (*x, _indices(info.output)) if layer.op is PoolOp.MAX else x


def global_saved(layer: GlobalPool, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    return (*SAVE_INPUT, _indices(info.output)) if layer.op is PoolOp.MAX else NOTHING


def adaptive_saved(layer: AdaptivePool, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    if layer.op is PoolOp.MAX:
        return (*SAVE_INPUT, _indices(info.output))
    return NOTHING if (layer.h, layer.w) == (1, 1) else SAVE_INPUT


def spp_saved(layer: SPP, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """An adaptive max pooling per level: the input once, indices per level."""
    return (*SAVE_INPUT, Saved("new", info.output.elements, INT64))


KINDS = (
    KindDef("pool", Pool, SIGS, pool_shape, pool_cost, pool_notation, pool_torch, "pool",
            "6", saved=pool_saved),
    KindDef("global_pool", GlobalPool,
            (Sig(("gap",), (), (), lambda a: GlobalPool(PoolOp.AVG), "gap",
                 "global average pooling", "nn.AdaptiveAvgPool2d(1)"),
             Sig(("gmp",), (), (), lambda a: GlobalPool(PoolOp.MAX), "gmp",
                 "global max pooling", "nn.AdaptiveMaxPool2d(1)")),
            global_shape, global_pool_cost,
            lambda layer: "gap" if layer.op is PoolOp.AVG else "gmp",
            lambda layer, info: ("nn.AdaptiveAvgPool2d(1)" if layer.op is PoolOp.AVG
                                 else "nn.AdaptiveMaxPool2d(1)"),
            "pool", "6.1", saved=global_saved),
    KindDef("adaptive_pool", AdaptivePool,
            (Sig(("aap",), ("h", "w"), (), _adaptive(PoolOp.AVG), "aap(7,7)",
                 "adaptive average pooling to h×w", "nn.AdaptiveAvgPool2d"),
             Sig(("amp",), ("h", "w"), (), _adaptive(PoolOp.MAX), "amp(6,6)",
                 "adaptive max pooling to h×w", "nn.AdaptiveMaxPool2d")),
            adaptive_shape, adaptive_pool_cost,
            lambda layer: f"{'aap' if layer.op is PoolOp.AVG else 'amp'}({layer.h},{layer.w})",
            _adaptive_torch, "pool", "6.1", saved=adaptive_saved),
    KindDef("spp", SPP,
            (Sig(("spp",), tuple(f"l{i}" for i in range(1, 9)), (), _levels, "spp(6,3,2,1)",
                 "spatial pyramid max pooling, n×n bins per level, flattened",
                 "adaptive max pooling per level, concatenated"),),
            spp_shape, spp_cost, lambda layer: "spp(" + ",".join(map(str, layer.levels)) + ")",
            lambda layer, info: f"SPP({list(layer.levels)})", "spp", "6.2",
            torch_helpers=("SPP",), saved=spp_saved),
)
