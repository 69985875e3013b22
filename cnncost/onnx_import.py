"""Bring your own model: an ONNX file → the same Document cnncost builds from notation.

    >>> from cnncost.onnx_import import load_onnx          # doctest: +SKIP
    >>> doc = load_onnx("resnet18.onnx")                    # a Document, like resolve.load
    >>> print(format_document(doc))                         # a spec that parses back

Reading uses the ``onnx`` package, an optional extra imported only inside
:func:`import_onnx` (``pip install 'cnncost[onnx]'``). The model becomes a
syntax tree of :mod:`cnncost.notation` (``Chain`` of ``Leaf``/``Branch``/
``Repeat``) inside a one-network :class:`~cnncost.model.Document`, so every
command works on it and ``printer.format_document`` prints a spec that parses
back to the same network (the importer checks this on every import).

How an ONNX graph becomes notation, in three steps:

1. **Ops → layers** (:data:`ONNX_OPS`, one handler per operator). Each node maps
   to a layer kind of the registry, or to nothing (Dropout, Identity, the
   Flatten before a Gemm, the Reshape–Transpose–Reshape of a channel shuffle
   until its last Reshape). Constants are folded with numpy, so shape
   arithmetic (Shape → Gather → Concat → Reshape) costs nothing. Tensors keep
   a *form* beside their H×W×C map (NCHW, flattened, channels-last, the 5-D
   view of a shuffle, …); a layer is emitted only where an op computes. Ops
   torch's exporter writes out step by step are read from their steps:
   LocalResponseNorm (x², a 5-D Pad and AveragePool along the channels, an If
   on a known shape, ·α, +k, ^β, x ÷ ·), pixel_unshuffle (Unsqueeze, Reshape to
   6-D, Transpose, Reshape, Squeeze), and ChannelNets' layers (a Conv3d with one
   dc×1×1 kernel on the 5-D view N×1×C×H×W, its channel axis padded: ``cw``; g
   of them, stride g, concatenated: ``gcw``; a dc×H×W kernel: ``ccl``).
   ONNX's padding is resolved against the map: ``pads`` equal to the ``same``
   policy print as nothing, symmetric ones as ``p=``/``ph=``/``pw=``, TensorFlow
   SAME as ``p=tf``, anything else as an explicit ``pad(t=,b=,l=,r=)`` before
   the layer.
2. **Patterns** over the layer DAG: ``x · sigmoid(x)`` is ``swish``,
   ``x · hardsigmoid(x)`` is ``hswish``, and ``x · gate(conv1×1(act(conv1×1(gap x))))``
   is ``se(…)`` (as torchvision's SqueezeExcitation; its fc layers are not in Eq. (1)).
3. **Structure**: the DAG is decomposed into chains and branches with the
   dominator tree — a merge (Add, Mul, Concat) whose inputs all start from its
   immediate dominator is ``add[ … | … ]``, ``mul[ … ]`` or ``concat[ … ]``.
   Residuals, Inception, SE gates and FPN-like sums have that form. A graph
   that does not (one tensor read inside two different branches) is an error
   naming the node. Equal neighbours are folded into ``×k`` repeats.

Names. Torch's exporter names nodes after their module (``/layer1/layer1.0/conv1/Conv``).
Each top-level item takes the first component of its first node's module path;
when consecutive items share it and it gives between 2 and 64 stages, those are the
network's stage labels (so the canonical form is YAML with ``stages:``); otherwise
the network is plain notation. Every layer keeps its ONNX node as its span,
so an error in shape inference names the node (``Conv /layer1/layer1.0/conv1/Conv``).

Params are counted where each weight is *used*: a layer's params come from its
shape (kh·kw·c_in/g·n + n, γ and β of a BN, …), not from the file's initializers.
Exporters merge identical constants (two freshly initialised BNs share one
tensor through Identity nodes), so a count of unique initializers would be
wrong; a weight that is really shared (tied layers) counts at each use.
:attr:`Imported.shared` lists the initializers read by more than one layer.
A model exported without its weights (``export_params=False``) has them as
graph inputs: when some input after the first is read as a layer's weight,
those inputs are weights, read for their shapes alone.

Unsupported ops are never a silent zero: an op without a mapping is a
:class:`CnnCostError` listing every such node with its op, name and a count.
``allow_unsupported=True`` passes each such node through at no cost where its
output keeps its input's shape (ONNX's own shape inference says so) and returns
the list in :attr:`Imported.uncosted`; a node that changes the shape still
stops the import.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .errors import CnnCostError, Source, Span
from .layers import (
    SE, Act, Activation, Add, AdaptivePool, BatchNorm, ChannelPad, ChannelWise, Chunk, Concat,
    Conv, ConvClassifier, ConvTranspose, GroupChannelWise, Dense, Depthwise, Dropout, Flatten, GlobalPool, GroupNorm, Identity, InstanceNorm,
    LayerNorm, Layer, LRN, Mul, Pad, PixelShuffle, PixelUnshuffle, Pool, PoolOp, PReLU, Scale,
    Shuffle, Upsample, notation,
)
from .layers.base import tf_same
from .layers.reshape import chunk_slices
from .model import INPUT, Document, NetworkSpec, Node, Padding, Shape
from .notation import Branch, Chain, Item, Leaf, Repeat
from .record import Record, replace

MAX_STAGES = 64  # more module groups than this: no stage labels
MAX_PERIOD = 8  # the longest run of items folded into a [ … ]×k repeat
OPSET_MIN = 7  # ONNX opsets older than this are refused


# ---------------------------------------------------------------------------
# The result


class Uncosted(Record):
    """A node that costs nothing because cnncost has no rule for it."""

    op: str  # ONNX op type (or aten op for torch)
    name: str  # the node's name in the model
    reason: str  # why it has no mapping


class Imported(Record):
    """What an import gives: the Document, and what it could not cost."""

    document: Document  # one network, ready for analyze / format_document
    uncosted: tuple[Uncosted, ...] = ()  # passed through at no cost (allow_unsupported)
    # (initializer, layers reading it) where more than one reads it: tied weights, or
    # identical constants the exporter merged (freshly initialised BNs' γ and β)
    shared: tuple[tuple[str, int], ...] = ()

    @property
    def network(self) -> NetworkSpec:
        return next(iter(self.document.networks.values()))


# ---------------------------------------------------------------------------
# Tensors during conversion


class Unsupported(Exception):
    """An op (or an op with these attributes) that has no cnncost layer."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Const(Record, frozen=False):
    """A constant: an initializer or parameter (`param`), or an exporter's constant."""

    dims: tuple[int, ...]
    name: str
    param: bool
    load: Callable[[], Any] | None = None  # → numpy array; None: values unknown (meta)
    _value: Any = None

    def value(self) -> Any:
        if self._value is None:
            if self.load is None:
                raise Unsupported(f"needs the values of {self.name}, which are not known")
            self._value = self.load()
        return self._value

    @property
    def size(self) -> int:
        return math.prod(self.dims)


def const_of(array: Any, name: str = "", param: bool = False) -> Const:
    import numpy as np
    a = np.asarray(array)
    return Const(tuple(int(d) for d in a.shape), name, param, None, a)


class Val(Record):
    """A tensor computed by the network: node `node`'s output (an H×W×C map),
    seen by the model in `form` with `dims`.

    Forms: "nchw" (N,C,H,W); "flat" (N, H·W·C, 1…); "nhwc" (channels-last after
    a Transpose); "groups" (N,g,C/g,H,W) and "groups_t" (N,C/g,g,H,W), the views
    of a channel shuffle; "gn" (N,g,C/g·H·W) and its normalised "gn_norm",
    "gn_mul" (a GroupNorm written as InstanceNorm and an affine)."""

    node: int
    shape: Shape
    form: str = "nchw"
    dims: tuple[int, ...] = ()
    groups: int = 0


UNKNOWN = object()  # the output of a node that could not be converted


class Origin(Record):
    """Where a layer came from in the model."""

    op: str
    name: str
    module: str = ""  # the module path ("layer1.0.conv1"), for stage labels

    def span(self) -> Span:
        return Span(Source(f"{self.op} {self.name}"), len(self.op) + 1,
                    len(self.op) + 1 + max(1, len(self.name)))


class RawNode(Record, frozen=False):
    layer: Layer
    inputs: tuple[int, ...]
    origin: Origin
    alive: bool = True


_CANON: dict[str, Layer] = {}


def canonical(layer: Layer) -> Layer:
    """The layer the notation reads back from its canonical text, so that the
    Document equals what its printed spec parses to."""
    from .notation import parse
    if isinstance(layer, (Add, Mul, Concat)):
        return layer
    text = notation(layer)
    got = _CANON.get(text)
    if got is None:
        got = _CANON[text] = parse(text).chain.items[0].layer  # type: ignore[union-attr]
    return got


def nchw_dims(s: Shape) -> tuple[int, ...]:
    return (1, s.c, s.h, s.w)


class Builder:
    """Layer nodes in order, each shape-inferred as it is added, and the tensor
    forms shared by the ONNX and torch front-ends."""

    def __init__(self, input: Shape) -> None:
        from .graph import Inferrer
        self.input = input
        self.nodes: list[RawNode] = []
        self.inferrer = Inferrer(input, Padding.SAME)
        self.origin = Origin("", "")  # the op being converted

    def input_val(self) -> Val:
        return Val(INPUT, self.input, "nchw", nchw_dims(self.input))

    def add(self, layer: Layer, inputs: Sequence[Val], form: str = "nchw") -> Val:
        layer = canonical(layer)
        ids = tuple(v.node for v in inputs)
        info = self.inferrer.add(Node(layer, ids, self.origin.span()))
        self.nodes.append(RawNode(layer, ids, self.origin))
        out = info.output
        dims = nchw_dims(out) if form == "nchw" else (1, out.h, out.w, out.c)
        return Val(len(self.nodes) - 1, out, form, dims)

    def shape_of(self, node: int) -> Shape:
        return self.input if node == INPUT else self.inferrer.infos[node].output

    # --- forms

    def map(self, v: Any, what: str = "this op") -> Val:
        """The value as an N×C×H×W map: a flattened map becomes a flatten layer."""
        if not isinstance(v, Val):
            raise Unsupported(f"{what} on a constant")
        if v.form == "nchw":
            return v
        if v.form == "flat":
            if v.shape.h == v.shape.w == 1:
                return Val(v.node, v.shape, "nchw", nchw_dims(v.shape))
            return self.add(Flatten(), [v])
        how = "channels-last" if v.form == "nhwc" else "a step of a pattern cnncost does not " \
            "know" if "|" in v.form else "a reshaped view"
        raise Unsupported(f"{what} on a tensor of shape {list(v.dims)} ({how})")

    def same_form(self, vals: Sequence[Any], what: str) -> list[Val]:
        """Operands of an element-wise op: all channels-last, or all maps."""
        if all(isinstance(v, Val) and v.form == "nhwc" for v in vals):
            return list(vals)
        return [self.map(v, what) for v in vals]

    def unary(self, layer: Layer, v: Any, what: str) -> Val:
        """An element-wise layer, which keeps a channels-last tensor channels-last."""
        if isinstance(v, Val) and v.form == "nhwc":
            return self.add(layer, [v], "nhwc")
        return self.add(layer, [self.map(v, what)])

    def reshape(self, v: Val, dims: Sequence[int]) -> Val:
        """A view of the same elements with new dims: a flatten, a shuffle's views, …"""
        dims = tuple(int(d) for d in dims)
        s = v.shape
        if dims == v.dims:
            return v
        e = s.elements
        if v.form.startswith("lrn_sq|") and dims == (1, 1, s.c, s.h, s.w):
            return replace(v, form="lrn_5|nchw", dims=dims)
        if v.form.startswith("lrn_pool|") and dims in ((1, s.c, s.h, s.w), nchw_dims(s)):
            return replace(v, form="lrn_back|nchw", dims=nchw_dims(s))
        got = self._unshuffle(v, dims)
        if got is not None:
            return got
        if v.form == "nchw" and dims == (1, 1, s.c, s.h, s.w):  # x.unsqueeze(1) before a Conv3d
            return Val(v.node, s, "c5", dims, 0)
        if v.form == "c5" and v.groups == 0 and dims == nchw_dims(s):  # .squeeze(1) after it
            return Val(v.node, s, "nchw", dims)
        if v.form in ("nchw", "flat"):
            if dims == nchw_dims(s):
                return Val(v.node, s, "nchw", dims)
            if len(dims) >= 2 and dims[0] == 1 and dims[1] == e and all(d == 1 for d in dims[2:]):
                if len(dims) == 4 and (s.h, s.w) != (1, 1):
                    return self.add(Flatten(), [v])
                return Val(v.node, s, "flat" if len(dims) != 4 else "nchw", dims)
            if len(dims) == 5 and v.form == "nchw" and dims[0] == 1 and dims[3:] == (s.h, s.w) \
                    and dims[1] * dims[2] == s.c:
                return Val(v.node, s, "groups", dims, dims[1])
            if len(dims) == 3 and v.form == "nchw" and dims[0] == 1 and dims[1] * dims[2] == e \
                    and s.c % dims[1] == 0:
                return Val(v.node, s, "gn", dims, dims[1])
        if v.form == "groups_t" and dims == nchw_dims(s):
            return self.add(Shuffle(v.groups), [Val(v.node, s)])
        if v.form == "gn_norm" and dims == nchw_dims(s):
            return Val(v.node, s, "gn_mul", dims, v.groups)
        raise Unsupported(f"a reshape of {list(v.dims)} to {list(dims)} has no cnncost layer")

    def _unshuffle(self, v: Val, dims: tuple[int, ...]) -> Val | None:
        """pixel_unshuffle(r) as torch's exporter writes it: (1,C,H,W) → unsqueeze
        (1,C,H,1,W) → (1,C,H/r,r,W) → (1,C,H/r,r,W/r,r) → transpose (1,C,r,r,H/r,W/r)
        → (1,C·r²,1,1,H/r,W/r) → squeeze (1,C·r²,H/r,W/r); `groups` holds r."""
        s, f, r = v.shape, v.form, v.groups

        def view(form: str, r: int) -> Val:
            return Val(v.node, s, form, dims, r)
        if f == "nchw" and dims == (1, s.c, s.h, 1, s.w):
            return view("pu1", 0)
        if f == "pu1" and len(dims) == 5 and dims[3] > 0 and s.h % dims[3] == 0 and \
                dims == (1, s.c, s.h // dims[3], dims[3], s.w):
            return view("pu2", dims[3])
        if f in ("nchw", "pu2") and len(dims) == 6 and dims[5] > 0 and \
                s.h % dims[5] == 0 and s.w % dims[5] == 0 and (f == "nchw" or dims[5] == r) and \
                dims == (1, s.c, s.h // dims[5], dims[5], s.w // dims[5], dims[5]):
            return view("pu3", dims[5])
        if f in ("pu4", "pu5") and dims in ((1, s.c * r * r, 1, 1, s.h // r, s.w // r),
                                            (1, s.c * r * r, s.h // r, s.w // r)):
            if len(dims) == 6:
                return view("pu5", r)
            return self.add(PixelUnshuffle(r), [Val(v.node, s)])
        return None

    def transpose(self, v: Val, perm: Sequence[int]) -> Val:
        perm = tuple(int(p) for p in perm)
        s = v.shape
        if perm == tuple(range(len(v.dims))):
            return v
        if v.form == "pu3" and perm == (0, 1, 3, 5, 2, 4):
            d = v.dims
            return Val(v.node, s, "pu4", (1, d[1], d[3], d[5], d[2], d[4]), v.groups)
        if v.form == "nchw" and perm == (0, 2, 3, 1):
            return Val(v.node, s, "nhwc", (1, s.h, s.w, s.c))
        if v.form == "nhwc" and perm == (0, 3, 1, 2):
            return Val(v.node, s, "nchw", nchw_dims(s))
        if v.form == "groups" and perm == (0, 2, 1, 3, 4):
            d = v.dims
            return Val(v.node, s, "groups_t", (d[0], d[2], d[1], d[3], d[4]), v.groups)
        raise Unsupported(f"a transpose {list(perm)} of {list(v.dims)} has no cnncost layer")

    def flatten(self, v: Val, start: int = 1, end: int = -1) -> Val:
        rank = len(v.dims)
        start, end = start % rank, end % rank
        dims = v.dims[:start] + (math.prod(v.dims[start:end + 1]),) + v.dims[end + 1:]
        return self.reshape(v, dims)

    def channel_slice(self, v: Val, start: int, end: int) -> Val:
        """Channels [start, end) of a map: a torch.chunk slice, else unsupported."""
        x = self.map(v, "a channel slice")
        c = x.shape.c
        start, end = max(0, min(start, c)), max(0, min(end, c))
        if start == 0 and end == c:
            return x
        for k in range(1, c + 1):
            size = -(-c // k)
            if start % size == 0 and end == min(start + size, c) and end > start:
                if start // size + 1 <= len(chunk_slices(c, k)):
                    return self.add(Chunk(k, start // size + 1), [x])
        raise Unsupported(f"channels {start}:{end} of {c} are not a torch.chunk slice")

    def pad_c5(self, v: Val, front: int, back: int) -> Val:
        """Zero padding of the channel axis of the 5-D view (ChannelNets' F.pad before
        a Conv3d); `groups` holds the padding, front · 2¹⁶ + back, until the conv."""
        if min(front, back) < 0 or max(front, back) >= 1 << 16:
            raise Unsupported("a crop of the channel axis")
        f0, b0 = divmod(v.groups, 1 << 16)
        f0, b0 = f0 + front, b0 + back
        d = v.dims
        return Val(v.node, v.shape, "c5", (1, 1, v.shape.c + f0 + b0, d[3], d[4]),
                   f0 * (1 << 16) + b0)

    def conv3d(self, v: Val, w: Sequence[int], stride: Sequence[int], pads: Sequence[int],
               dilation: Sequence[int], groups: int, bias: bool) -> Val:
        """A Conv3d(1, 1, k) on the 5-D view (N, 1, C, H, W) of a map: ChannelNets'
        channel-wise convolution (k = dc×1×1, sliding along the channels) or its
        convolutional classification layer (k = dc×H×W, no padding)."""
        if v.form != "c5" or len(w) != 5:
            raise Unsupported(f"a {len(w) - 2}-D convolution of {list(v.dims)}; cnncost costs "
                              "2-D ones, and ChannelNets' on the channel axis")
        s = v.shape
        _, _, dc, kh, kw = (int(d) for d in w)
        if tuple(w[:2]) != (1, 1) or groups != 1 or tuple(dilation) != (1, 1, 1) or \
                any(pads[1:3]) or any(pads[4:6]) or tuple(stride[1:]) != (1, 1):
            raise Unsupported("a 3-D convolution that is not ChannelNets' (one 1×1 kernel along "
                              "the channels, no spatial padding or stride)")
        front, back = divmod(v.groups, 1 << 16)
        front, back = front + int(pads[0]), back + int(pads[3])
        st = int(stride[0])
        if (kh, kw) == (1, 1):
            if (front, back) == tf_same(s.c, dc, st):
                pad: int | str = "same"
            elif front == back:
                pad = front
            else:
                raise Unsupported(f"channel padding {front}+{back} that is neither SAME nor "
                                  "symmetric")
            out = self.add(ChannelWise(dc=dc, stride=st, pad=pad, bias=bias), [Val(v.node, s)])
        elif (kh, kw) == (s.h, s.w) and (front, back, st) == (0, 0, 1) and dc <= s.c:
            out = self.add(ConvClassifier(classes=s.c - dc + 1, bias=bias), [Val(v.node, s)])
        else:
            raise Unsupported(f"a 3-D kernel {dc}×{kh}×{kw} on a {s} map")
        o = out.shape
        return Val(out.node, o, "c5", (1, 1, o.c, o.h, o.w), 0)

    def dense(self, v: Val, units: int, n_in: int, bias: bool) -> Val:
        """A linear layer: fully connected on a flattened map, a 1×1 convolution on
        channels-last (a pointwise Linear)."""
        if v.form == "nhwc":
            if n_in != v.shape.c:
                raise Unsupported(f"a linear layer of {n_in} inputs on {v.shape.c} channels")
            return self.add(Conv(units, 1, 1, bias=bias), [v], "nhwc")
        if v.form == "nchw" and (v.shape.h, v.shape.w) != (1, 1):
            raise Unsupported("a linear layer over the width of a map")
        if v.form not in ("nchw", "flat"):
            raise Unsupported(f"a linear layer on a tensor of shape {list(v.dims)}")
        if n_in != v.shape.elements:
            raise Unsupported(f"a linear layer of {n_in} inputs on {v.shape.elements} features")
        out = self.add(Dense(units, bias), [v])
        return Val(out.node, out.shape, "flat", (1, units))

    def set_bias(self, v: Val, n: int) -> Val | None:
        """Fold a bias added after a layer without one (MatMul + Add); None if not."""
        if v.node == INPUT or v.form not in ("nchw", "flat", "nhwc"):
            return None
        raw = self.nodes[v.node]
        layer = raw.layer
        if isinstance(layer, (Dense, Conv)) and not layer.bias and \
                n == (layer.units if isinstance(layer, Dense) else layer.filters):
            raw.layer = canonical(replace(layer, bias=True))
            return v
        return None

    def merge(self, kind: type, vals: Sequence[Any], what: str) -> Val:
        vals = self.same_form(vals, what)
        form = vals[0].form
        if len(vals) == 1:
            return vals[0]
        return self.add(kind(), vals, form)

    def scale(self, v: Val, c: Const) -> Val:
        """x times a per-channel parameter: layer scale; a GroupNorm's γ."""
        s = v.shape
        if v.form == "gn_mul" and c.size == s.c:
            return replace(v, form="gn_add")
        if c.param and c.size == s.c and _channel_dims(c.dims, v):
            return self.unary(Scale(), v, "a scale")
        raise Unsupported(f"a product with a constant of shape {list(c.dims)}")


def _channel_dims(dims: tuple[int, ...], v: Val) -> bool:
    """Whether a constant of these dims broadcasts one value per channel over v."""
    if v.form == "nhwc" or (v.form == "flat") or (v.shape.h == v.shape.w == 1):
        return dims[-1:] == (v.shape.c,) or dims == (v.shape.c, 1, 1) or \
            dims == (1, v.shape.c, 1, 1)
    d = tuple(dims)
    while len(d) > 3 and d[0] == 1:
        d = d[1:]
    return d == (v.shape.c, 1, 1)


# ---------------------------------------------------------------------------
# Patterns on the layer DAG


def _consumers(nodes: list[RawNode]) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in nodes]
    for i, n in enumerate(nodes):
        if n.alive:
            for j in n.inputs:
                if j != INPUT:
                    out[j].append(i)
    return out


def rewrite(nodes: list[RawNode]) -> None:
    """swish, hswish and squeeze-and-excitation, from the products that spell them."""
    users = _consumers(nodes)

    def only_for(j: int, i: int) -> bool:
        return j != INPUT and nodes[j].alive and users[j] == [i]

    def act(j: int, *fns: Act) -> bool:
        lay = nodes[j].layer
        return isinstance(lay, Activation) and lay.fn in fns and lay.arg is None

    for i, n in enumerate(nodes):
        if not (n.alive and isinstance(n.layer, Mul) and len(n.inputs) == 2):
            continue
        for x, g in (n.inputs, n.inputs[::-1]):
            if not only_for(g, i) or g == x:
                continue
            gate = nodes[g]
            # x · sigmoid(x) = swish, x · hardsigmoid(x) = hswish
            if act(g, Act.SIGMOID, Act.HSIGMOID) and gate.inputs == (x,):
                fn = Act.SWISH if gate.layer.fn is Act.SIGMOID else Act.HSWISH
                n.layer, n.inputs, gate.alive = canonical(Activation(fn)), (x,), False
                if x != INPUT:
                    users[x] = [u for u in users[x] if u != g]
                break
            # x · gate(conv(act(conv(gap(x))))) = se
            chain = [g]
            for _ in range(4):
                j = nodes[chain[-1]].inputs[0]
                if len(nodes[chain[-1]].inputs) != 1 or not only_for(j, chain[-1]):
                    break
                chain.append(j)
            if len(chain) != 5:
                continue
            gate_, c2, a, c1, gap = (nodes[j] for j in chain)
            if not (act(chain[0], Act.SIGMOID, Act.HSIGMOID) and isinstance(a.layer, Activation)
                    and a.layer.arg is None and _pointwise(c1.layer) and _pointwise(c2.layer)
                    and isinstance(gap.layer, GlobalPool) and gap.layer.op is PoolOp.AVG
                    and gap.inputs == (x,)):
                continue
            sq, c = c1.layer.filters, c2.layer.filters
            r = c // sq if c % sq == 0 else None
            layer = SE(reduction=r, act=a.layer.fn, gate=gate_.layer.fn) if r else \
                SE(squeeze=sq, act=a.layer.fn, gate=gate_.layer.fn)
            n.layer, n.inputs = canonical(layer), (x,)
            for j in chain:
                nodes[j].alive = False
            if x != INPUT:
                users[x] = [u for u in users[x] if u != chain[-1]]
            break


def rewrite_spp(nodes: list[RawNode], shape: Callable[[int], Shape]) -> None:
    """A concatenation of max poolings of one map to n×n bins, each flattened, is
    spatial pyramid pooling: spp(n1,n2,…)."""
    users = _consumers(nodes)
    for i, n in enumerate(nodes):
        if not (n.alive and isinstance(n.layer, Concat)):
            continue
        levels, dead, source = [], [], None
        for j in n.inputs:
            path = [j]
            if j != INPUT and isinstance(nodes[j].layer, Flatten):
                path.append(nodes[j].inputs[0])
            p = path[-1]
            if p == INPUT or any(users[k] != [path[m - 1] if m else i] for m, k in
                                 enumerate(path)):
                break
            pool, x = nodes[p].layer, nodes[p].inputs[0]
            level = _adaptive_level(pool, shape(x), shape(p))
            if level is None or (source is not None and x != source):
                break
            source = x
            levels.append(level)
            dead += path
        else:
            if len(levels) >= 2:
                from .layers import SPP
                n.layer, n.inputs = canonical(SPP(tuple(levels))), (source,)  # type: ignore[assignment]
                for j in dead:
                    nodes[j].alive = False


def rewrite_gcw(nodes: list[RawNode], shape: Callable[[int], Shape]) -> None:
    """g channel-wise convolutions of one map, stride g and SAME padding, concatenated:
    ChannelNets' group channel-wise convolution gcw(g, dc)."""
    users = _consumers(nodes)
    for i, n in enumerate(nodes):
        if not (n.alive and isinstance(n.layer, Concat) and len(n.inputs) >= 2):
            continue
        convs = [nodes[j] if j != INPUT else None for j in n.inputs]
        first = convs[0]
        if first is None or not isinstance(first.layer, ChannelWise):
            continue
        g, lay, src = len(convs), first.layer, first.inputs[0]
        if lay.stride != g or lay.pad != "same" or shape(src).c % g or \
                len(set(n.inputs)) != g or any(
                    c is None or c.layer != lay or c.inputs != (src,) or users[j] != [i]
                    for c, j in zip(convs, n.inputs)):
            continue
        n.layer, n.inputs = canonical(GroupChannelWise(g, lay.dc, lay.bias)), (src,)
        for c in convs:
            c.alive = False  # type: ignore[union-attr]


def _adaptive_level(pool: Layer, x: Shape, out: Shape) -> int | None:
    """n when this pooling is adaptive max pooling of x to n×n bins, else None."""
    if isinstance(pool, GlobalPool) and pool.op is PoolOp.MAX:
        return 1
    if isinstance(pool, AdaptivePool) and pool.op is PoolOp.MAX and pool.h == pool.w:
        return pool.h
    if isinstance(pool, Pool) and pool.op is PoolOp.MAX and out.h == out.w and \
            pool.kh == pool.kw == pool.stride and pool.sh is None and not pool.ceil and \
            pool.pad in (None, 0) and pool.ph is None and pool.pw is None and \
            x.h == x.w == pool.kh * out.h:
        return out.h
    return None


def _pointwise(layer: Layer) -> bool:
    return isinstance(layer, Conv) and layer.kh == layer.kw == 1 and layer.groups == 1 \
        and layer.bias and layer.stride == 1 and layer.sh is None and layer.dilation == 1


def prune(nodes: list[RawNode], output: int) -> list[RawNode]:
    """The nodes the output depends on, renumbered in order."""
    keep = [False] * len(nodes)
    stack = [output]
    while stack:
        i = stack.pop()
        if i == INPUT or keep[i]:
            continue
        keep[i] = True
        stack.extend(nodes[i].inputs)
    new_id: dict[int, int] = {INPUT: INPUT}
    out = []
    for i, n in enumerate(nodes):
        if keep[i]:
            assert n.alive, "a rewritten node is still read"
            new_id[i] = len(out)
            out.append(RawNode(n.layer, tuple(new_id[j] for j in n.inputs), n.origin))
    return out


# ---------------------------------------------------------------------------
# Structure: the DAG as chains and branches


def _idoms(nodes: list[RawNode]) -> list[int]:
    """Immediate dominators (from the network input) of a DAG in topological order."""
    idom = [INPUT] * len(nodes)
    depth = [1] * len(nodes)

    def dep(i: int) -> int:
        return 0 if i == INPUT else depth[i]

    for i, node in enumerate(nodes):
        preds = list(dict.fromkeys(node.inputs))
        d = preds[0]
        for p in preds[1:]:
            a, b = d, p
            while a != b:
                if dep(a) >= dep(b):
                    a = idom[a]
                else:
                    b = idom[b]
            d = a
        idom[i] = d
        depth[i] = dep(d) + 1
    return idom


def nest_concats(nodes: list[RawNode]) -> list[RawNode]:
    """Concatenations that exporters flattened (cat(a, cat(b, c)) → cat(a, b, c))
    nested again where their inputs branch off later than the others, as in
    Inception-v3's blocks, so that the branches start from one tensor."""
    for _ in range(64):
        idom = _idoms(nodes)
        for i, node in enumerate(nodes):
            if not isinstance(node.layer, Concat) or len(node.inputs) < 3:
                continue
            fork = idom[i]

            def head(p: int) -> int | None:
                if p == fork:
                    return None
                while idom[p] != fork:
                    p = idom[p]
                return p
            heads = [head(p) for p in node.inputs]
            start = next((k for k in range(len(heads) - 1)
                          if heads[k] is not None and heads[k] == heads[k + 1]), None)
            if start is None:
                continue
            end = start
            while end + 1 < len(heads) and heads[end + 1] == heads[start]:
                end += 1
            group = node.inputs[start:end + 1]
            inner = RawNode(Concat(), group, node.origin)
            outer = RawNode(node.layer, node.inputs[:start] + (i,) + node.inputs[end + 1:],
                            node.origin)
            shifted = [RawNode(n.layer, tuple(j + 1 if j >= i else j for j in n.inputs),
                               n.origin) for n in nodes[i + 1:]]
            nodes = nodes[:i] + [inner, outer] + shifted
            break
        else:
            return nodes
    return nodes


def flatten_merges(nodes: list[RawNode]) -> list[RawNode]:
    """(a + b) + c as one add[ a | b | c ] (PyTorch sums left to right), and the same
    for products, where both sums branch off the same tensor."""
    idom = _idoms(nodes)
    users = _consumers(nodes)
    for i, n in enumerate(nodes):
        if not isinstance(n.layer, (Add, Mul)):
            continue
        j = n.inputs[0]
        while (j != INPUT and type(nodes[j].layer) is type(n.layer) and users[j] == [i]
               and idom[j] == idom[i] and nodes[j].alive):
            n.inputs = nodes[j].inputs + n.inputs[1:]
            nodes[j].alive = False
            j = n.inputs[0]
    return prune(nodes, len(nodes) - 1)


def fuse_pads(nodes: list[RawNode], shape: Callable[[int], Shape]) -> None:
    """pad → conv (or pool) without padding, where the pad is TensorFlow SAME's, as
    one layer with p=tf (export --torch writes p=tf as nn.ZeroPad2d before the layer)."""
    users = _consumers(nodes)
    for i, n in enumerate(nodes):
        if not isinstance(n.layer, Pad) or len(users[i]) != 1 or not nodes[users[i][0]].alive:
            continue
        user = nodes[users[i][0]]
        lay = user.layer
        if not isinstance(lay, (Conv, Depthwise, Pool)) or lay.ph is not None \
                or lay.pw is not None or lay.pad not in ((0,) if not isinstance(lay, Pool)
                                                         else (0, None)):
            continue
        if isinstance(lay, Pool) and lay.ceil:
            continue
        x = shape(n.inputs[0])
        d = getattr(lay, "dilation", 1)
        sh, sw = lay.sh or lay.stride, lay.sw or lay.stride
        p = n.layer
        if (p.top, p.bottom) == tf_same(x.h, lay.kh, sh, d) and \
                (p.left, p.right) == tf_same(x.w, lay.kw, sw, d):
            user.layer = canonical(replace(lay, pad="tf"))
            user.inputs = n.inputs
            n.alive = False


def structure(nodes: list[RawNode]) -> Chain:
    """The syntax tree whose lowering is this DAG (the last node is the output).

    Series-parallel decomposition with the dominator tree: walking back from a
    tensor to one that dominates it, a layer with one input continues the chain,
    and a merge opens a branch block whose branches run from the merge's
    immediate dominator to each of its inputs."""
    n = len(nodes)
    idom = _idoms(nodes)
    emitted = [0] * n
    span_of = [node.origin.span() for node in nodes]

    def chain(a: int, b: int) -> Chain:
        items: list[Item] = []
        cur = b
        while cur != a:
            if cur == INPUT:
                raise AssertionError("walked past the dominator")
            emitted[cur] += 1
            if emitted[cur] > 1:
                o = nodes[cur].origin
                raise CnnCostError(
                    f"the model is not a chain of branch blocks: the output of {o.op} "
                    f"{o.name} is read in two different branches", span_of[cur],
                    hint="cnncost writes branches that start from one tensor and join in one "
                         "merge (add, mul, concat); a tensor reused across blocks has no "
                         "such form")
            node = nodes[cur]
            if len(node.inputs) == 1:
                items.append(Leaf(node.layer, span_of[cur]))
                cur = node.inputs[0]
                continue
            fork = idom[cur]
            branches = tuple(chain(fork, p) if p != fork else
                             Chain((Leaf(Identity(), span_of[cur]),)) for p in node.inputs)
            op = {Add: "add", Mul: "mul", Concat: "concat"}[type(node.layer)]
            items.append(Branch(op, branches, span_of[cur]))
            cur = fork
        items.reverse()
        return Chain(tuple(items))

    return chain(INPUT, n - 1)


def fold_repeats(chain: Chain) -> Chain:
    """Equal neighbours as repeats: a×3, [a → b]×2 (inside branches too)."""
    items = [_fold_item(i) for i in chain.items]
    out: list[Item] = []
    i = 0
    while i < len(items):
        best_p, best_r = 1, 1
        for p in range(1, MAX_PERIOD + 1):
            body = items[i:i + p]
            if len(body) < p:
                break
            if p > 1 and _silent(body[0]):
                continue  # [conv → bn → relu]×2, not conv → [bn → relu → conv]×2
            r = 1
            while items[i + r * p:i + (r + 1) * p] == body:
                r += 1
            if r > 1 and p * r > best_p * best_r:
                best_p, best_r = p, r
        if best_r == 1:
            out.append(items[i])
            i += 1
            continue
        body_items = tuple(items[i:i + best_p])
        body: Item = body_items[0] if best_p == 1 else Chain(body_items)
        out.append(Repeat(body, best_r, getattr(body_items[0], "span", None)))  # type: ignore[arg-type]
        i += best_p * best_r
    return Chain(tuple(out))


def _silent(item: Item) -> bool:
    """A normalisation or activation: a poor first item for a repeated group."""
    from .layers import kind_of
    return isinstance(item, Leaf) and kind_of(item.layer).passthrough


def _fold_item(item: Item) -> Item:
    if isinstance(item, Branch):
        return Branch(item.op, tuple(fold_repeats(b) for b in item.branches), item.span)
    return item


def stages(chain: Chain, nodes: list[RawNode]) -> tuple[tuple[str | None, Chain], ...]:
    """Stage labels from module paths (see the module docstring), else one stage."""
    labels: list[str] = []
    items = chain.items

    def first_module(item: Item) -> str:
        leaf = _leftmost_leaf(item)
        if leaf is None:
            return ""
        return _top_module(leaf.span.source.text.partition(" ")[2])

    prev = ""
    for item in items:
        label = first_module(item) or prev
        labels.append(label)
        prev = label
    groups: list[tuple[str, list[Item]]] = []
    for label, item in zip(labels, items):
        if groups and groups[-1][0] == label:
            groups[-1][1].append(item)
        else:
            groups.append((label, [item]))
    names = [g for g, _ in groups]
    grouped = sum(len(g) for _, g in groups if len(g) > 1)
    if (not all(names) or not 2 <= len(groups) <= MAX_STAGES or len(set(names)) != len(names)
            or 2 * grouped < len(items)):
        return ((None, fold_repeats(chain)),)
    return tuple((label, fold_repeats(Chain(tuple(g)))) for label, g in groups)


def _leftmost_leaf(item: Item) -> Leaf | None:
    while True:
        if isinstance(item, Leaf):
            return None if isinstance(item.layer, Identity) else item
        if isinstance(item, Branch):
            for b in item.branches:
                got = _leftmost_leaf(b)
                if got is not None:
                    return got
            return None
        if isinstance(item, Chain):
            for sub in item.items:
                got = _leftmost_leaf(sub)
                if got is not None:
                    return got
            return None
        if isinstance(item, Repeat):
            item = item.body
            continue
        return None


def _top_module(name: str) -> str:
    """The top-level module in a node name: "/layer1/layer1.0/conv1/Conv" (torch's
    ONNX exporter) and "layer1.0.conv1:conv2d" (from_torch) → "layer1"; the items of
    a ModuleList, "/layers.3/Conv", → "layers"."""
    if name.startswith("/"):
        parts = [p for p in name.split("/") if p]
        return parts[0].split(".")[0] if len(parts) >= 2 else ""
    if ":" in name:
        return name.rsplit(":", 1)[0].split(".")[0]
    return ""


def document(nodes: list[RawNode], input: Shape, name: str, description: str = "") -> Document:
    """The Document of a converted DAG, checked: lowering it gives the same graph."""
    if not nodes:
        raise CnnCostError("the model computes nothing cnncost can cost: its output is its input",
                           hint="export the model with its layers")
    tree = structure(nodes)
    net = NetworkSpec(name, input, Padding.SAME, stages(tree, nodes), description)
    graph = net.graph()
    # Lowering may order the nodes differently; the layers and the wiring must agree.
    if sorted(map(_key_layer, graph.nodes)) != sorted(map(_key_layer, nodes)):
        raise AssertionError("the syntax tree does not lower to the imported graph")
    return Document({name: net}, None, name, False)


def _key_layer(node: Any) -> str:
    return notation(node.layer) + f"/{len(node.inputs)}"


# ---------------------------------------------------------------------------
# Reading ONNX


def _need_onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise CnnCostError("reading ONNX needs the onnx package",
                           hint="pip install 'cnncost[onnx]'") from None
    return onnx


def _read_bytes(source: str | Path | bytes) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), ""
    path = Path(source)
    try:
        if path.is_dir():
            raise CnnCostError(f"{path} is a directory, not an ONNX file",
                               hint="name a .onnx file")
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise CnnCostError(f"no such file: {path}", hint="give the path of an .onnx file") \
            from None
    except OSError as e:
        raise CnnCostError(f"cannot read {path}: {e.strerror or e}") from None


def _parse_model(onnx: Any, data: bytes, shown: str) -> Any:
    what = shown or "the data"
    if not data:
        raise CnnCostError(f"{what} is empty, not an ONNX model",
                           hint="export the model with torch.onnx.export or another exporter")
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as e:  # protobuf's DecodeError, truncated or not protobuf at all
        kind = "truncated or not an ONNX model" if data[:1] == b"\x08" else "not an ONNX model"
        raise CnnCostError(f"{what} is {kind} ({type(e).__name__}: {e})",
                           hint="export the model again; a .onnx file is a protobuf "
                                "ModelProto") from None
    if model.ir_version < 1 or not model.HasField("graph") or not model.graph.node:
        raise CnnCostError(f"{what} is not an ONNX model (it has no graph of nodes)",
                           hint="export the model with torch.onnx.export or another exporter")
    return model


def _opset(onnx: Any, model: Any, shown: str) -> int:
    version = 0
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            version = o.version
    if not version:
        version = 1
    newest = onnx.defs.onnx_opset_version()
    if version > newest:
        raise CnnCostError(f"{shown or 'the model'} uses ONNX opset {version}, newer than the "
                           f"{newest} this onnx package ({onnx.__version__}) knows",
                           hint="upgrade onnx (pip install -U onnx), or export with an older "
                                "opset_version")
    if version < OPSET_MIN:
        raise CnnCostError(f"{shown or 'the model'} uses ONNX opset {version}; cnncost reads "
                           f"opset {OPSET_MIN} and newer",
                           hint="convert it with onnx.version_converter, or export it again")
    return version


class OnnxReader:
    """Converts a ModelProto node by node with the handlers of ONNX_OPS."""

    def __init__(self, onnx: Any, model: Any, input_shape: Shape | None, shown: str,
                 allow_unsupported: bool) -> None:
        self.onnx, self.model, self.shown = onnx, model, shown
        self.graph = model.graph
        self.allow = allow_unsupported
        self.opset = _opset(onnx, model, shown)
        self.env: dict[str, Any] = {}
        self.uses: dict[str, int] = {}
        self.unsupported: list[Uncosted] = []
        self.skipped: list[Uncosted] = []
        self._inferred: dict[str, tuple[int, ...]] | None = None
        inits = {t.name for t in self.graph.initializer}
        for t in self.graph.initializer:
            self.env[t.name] = self._const_of_proto(t, param=True)
        for t in self.graph.sparse_initializer:
            raise CnnCostError("sparse initializers are not supported",
                               hint="store the weights densely")
        others = [i for i in self.graph.input if i.name not in inits]
        self.weight_inputs = _weight_inputs(self.graph, others)
        for i in self.weight_inputs:  # export_params=False: the shape, not the values
            self.env[i.name] = Const(_static_dims(i) or (), i.name, True, None)
        data_inputs = [i for i in others if i not in self.weight_inputs]
        if len(data_inputs) != 1:
            names = ", ".join(i.name for i in data_inputs) or "none"
            raise CnnCostError(f"the model takes {len(data_inputs)} inputs ({names}); cnncost "
                               "costs models of one image input",
                               hint="export the model with one N×C×H×W input")
        self.input_name = data_inputs[0].name
        shape = self._input_shape(data_inputs[0], input_shape)
        self.b = Builder(shape)
        self.env[self.input_name] = self.b.input_val()

    def _const_of_proto(self, t: Any, param: bool) -> Const:
        from onnx import numpy_helper
        dims = tuple(int(d) for d in t.dims)
        external = t.data_location == self.onnx.TensorProto.EXTERNAL

        def load() -> Any:
            if external:
                raise Unsupported(f"the values of {t.name} are in an external data file")
            return numpy_helper.to_array(t)
        return Const(dims, t.name, param, load)

    def _input_shape(self, inp: Any, given: Shape | None) -> Shape:
        tt = inp.type.tensor_type
        if not inp.type.HasField("tensor_type"):
            raise CnnCostError(f"the model's input {inp.name} is not a tensor")
        dims: list[int | str | None] = []
        for d in tt.shape.dim:
            dims.append(d.dim_value if d.HasField("dim_value") else (d.dim_param or None))
        if tt.HasField("shape") and len(dims) != 4:
            raise CnnCostError(f"the model's input {inp.name} has {len(dims)} dimensions; "
                               "cnncost costs image models, N×C×H×W",
                               hint="export the model with a 4-D input")
        if not tt.HasField("shape"):
            dims = [None] * 4
        c, h, w = dims[1], dims[2], dims[3]
        if given is not None:
            for what, mine, theirs in (("channels", given.c, c), ("height", given.h, h),
                                       ("width", given.w, w)):
                if isinstance(theirs, int) and theirs and theirs != mine:
                    raise CnnCostError(
                        f"the input shape given, {given}, does not match the model's "
                        f"input {inp.name} of {_dims_text(dims)}: its {what} is {theirs}",
                        hint="give the shape the model was exported with, or leave it out")
            return given
        missing = [n for n, d in (("channels", c), ("height", h), ("width", w))
                   if not (isinstance(d, int) and d > 0)]
        if missing:
            raise CnnCostError(f"the model's input '{inp.name}' is {_dims_text(dims)}: its "
                               f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                               "dynamic, so an input shape is needed",
                               hint="give the input shape, e.g. 224x224x3 (H×W×C)",
                               cli_hint="pass --input 224x224x3 (H×W×C)")
        return Shape(int(h), int(w), int(c))  # type: ignore[arg-type]

    def run(self) -> int:
        for node in self.graph.node:
            self._node(node)
        if self.unsupported:
            raise unsupported_error(self.unsupported, "ONNX")
        outs = list(self.graph.output)
        if len(outs) != 1:
            raise CnnCostError(f"the model has {len(outs)} outputs "
                               f"({', '.join(o.name for o in outs)}); cnncost costs models "
                               "with one output", hint="export the model with one output")
        out = self.env.get(outs[0].name)
        if out is UNKNOWN or out is None:
            raise CnnCostError(f"the model's output {outs[0].name} is not computed by a node "
                               "cnncost can follow")
        if not isinstance(out, Val):
            raise CnnCostError("the model's output is a constant",
                               hint="export the model with its layers")
        if out.form not in ("nchw", "flat", "nhwc"):
            self.b.origin = Origin("Output", outs[0].name)
            try:
                self.b.map(out, "the output")
            except Unsupported as e:
                raise CnnCostError(f"the model's output is {e.reason}") from None
        return out.node

    def _node(self, node: Any) -> None:
        op = node.op_type
        name = node.name or (node.output[0] if node.output else op)
        ins: list[Any] = []
        for n in node.input:
            if not n:
                ins.append(None)
                continue
            if n not in self.env:
                raise CnnCostError(f"{op} {name} reads {n}, which no node computes before it",
                                   hint="the model's nodes must be in topological order "
                                        "(run onnx.checker on it)")
            ins.append(self.env[n])
        if any(v is UNKNOWN for v in ins):  # after a node that could not be converted
            if node.domain not in ("", "ai.onnx") or (op not in ONNX_OPS and op not in FOLD):
                self.unsupported.append(Uncosted(op, name, "no cnncost layer"))
            self._set(node, [UNKNOWN] * len(node.output))
            return
        self.b.origin = Origin(op, name)
        attrs = {a.name: _attr(self.onnx, a) for a in node.attribute}
        if node.domain not in ("", "ai.onnx"):
            self._unsupported(node, ins, f"an operator of the domain {node.domain}")
            return
        try:
            if op == "Identity" and isinstance(ins[0], Const):
                outs = [ins[0]]  # exporters alias merged constants so: keep the initializer
            elif all(v is None or isinstance(v, Const) for v in ins) and op in FOLD:
                outs = FOLD[op](self, ins, attrs, node)
                outs = [o if isinstance(o, Const) else const_of(o, node.output[0],
                        any(isinstance(v, Const) and v.param for v in ins)) for o in outs]
            else:
                handler = ONNX_OPS.get(op)
                if handler is None:
                    raise Unsupported("no cnncost layer")
                outs = handler(self, ins, attrs, node)
        except Unsupported as e:
            self._unsupported(node, ins, e.reason)
            return
        for v in ins:
            if isinstance(v, Const) and v.param and op not in ("Identity",):
                self.uses[v.name] = self.uses.get(v.name, 0) + 1
        self._set(node, outs)

    def _set(self, node: Any, outs: Sequence[Any]) -> None:
        for name, v in zip(node.output, outs):
            if name:
                self.env[name] = v

    def _unsupported(self, node: Any, ins: list[Any], reason: str) -> None:
        op = node.op_type
        name = node.name or (node.output[0] if node.output else op)
        entry = Uncosted(op, name, reason)
        data = [v for v in ins if isinstance(v, Val)]
        if self.allow and data and len(node.output) >= 1:
            shape = self.inferred().get(node.output[0])
            x = data[0]
            if shape is not None and tuple(shape[1:]) == tuple(x.dims[1:]):
                self.skipped.append(entry)
                self._set(node, [x] + [UNKNOWN] * (len(node.output) - 1))
                return
            entry = Uncosted(op, name, reason + "; it changes the tensor's shape, so it cannot "
                             "be passed through")
            self.unsupported.append(entry)
        elif self.allow and not data:
            self.skipped.append(entry)
        else:
            self.unsupported.append(entry)
        self._set(node, [UNKNOWN] * len(node.output))

    def inferred(self) -> dict[str, tuple[int, ...]]:
        """ONNX's own shape inference, the input fixed and the weights left out."""
        if self._inferred is not None:
            return self._inferred
        onnx = self.onnx
        from onnx import helper
        g = self.graph
        s = self.b.input
        inputs = [helper.make_tensor_value_info(self.input_name, onnx.TensorProto.FLOAT,
                                                [1, s.c, s.h, s.w])]
        small = []
        for i in self.weight_inputs:
            inputs.append(i)
        for t in g.initializer:
            if math.prod(t.dims) <= 64 and t.data_location != onnx.TensorProto.EXTERNAL:
                small.append(t)
            else:
                inputs.append(helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)))
        graph = helper.make_graph(list(g.node), g.name or "g", inputs, list(g.output), small)
        model = helper.make_model(graph, opset_imports=list(self.model.opset_import))
        model.ir_version = self.model.ir_version
        try:
            model = onnx.shape_inference.infer_shapes(model, data_prop=True)
        except Exception:  # inference is advice here; without it nothing is passed through
            self._inferred = {}
            return self._inferred
        out: dict[str, tuple[int, ...]] = {}
        for vi in list(model.graph.value_info) + list(model.graph.output):
            dims = vi.type.tensor_type.shape.dim
            if all(d.HasField("dim_value") for d in dims):
                out[vi.name] = tuple(d.dim_value for d in dims)
        self._inferred = out
        return out


# The inputs a layer reads its weights from (exported without them: export_params=False).
WEIGHT_SLOTS: dict[str, tuple[int, ...]] = {
    "Conv": (1, 2), "ConvTranspose": (1, 2), "BatchNormalization": (1, 2, 3, 4),
    "Gemm": (1, 2), "MatMul": (1,), "PRelu": (1,), "InstanceNormalization": (1, 2),
    "LayerNormalization": (1, 2), "GroupNormalization": (1, 2),
}


def _static_dims(vi: Any) -> tuple[int, ...] | None:
    if not vi.type.HasField("tensor_type") or not vi.type.tensor_type.HasField("shape"):
        return None
    dims = vi.type.tensor_type.shape.dim
    if not all(d.HasField("dim_value") for d in dims):
        return None
    return tuple(int(d.dim_value) for d in dims)


def _weight_inputs(graph: Any, inputs: list[Any]) -> list[Any]:
    """The graph inputs that hold weights, in a model exported without its weights
    (``torch.onnx.export(export_params=False)``): when some input is read as a
    layer's weight, every input after the first with a static shape is a weight
    (a layer scale's γ is read by a Mul). Otherwise none."""
    if len(inputs) < 2:
        return []
    alias = {n.output[0]: n.input[0] for n in graph.node
             if n.op_type == "Identity" and n.input and n.output}
    read: set[str] = set()
    for n in graph.node:
        for k in WEIGHT_SLOTS.get(n.op_type, ()):
            if k < len(n.input) and n.input[k]:
                name = n.input[k]
                for _ in range(8):
                    if name not in alias:
                        break
                    name = alias[name]
                read.add(name)
    first, rest = inputs[0], inputs[1:]
    if first.name in read or not any(i.name in read for i in rest):
        return []
    return [i for i in rest if _static_dims(i) is not None]


def _dims_text(dims: Sequence[int | str | None]) -> str:
    return "[" + ", ".join("?" if d is None else str(d) for d in dims) + "]"


def _attr(onnx: Any, a: Any) -> Any:
    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, list) and v and isinstance(v[0], bytes):
        return [x.decode("utf-8", "replace") for x in v]
    return v


def unsupported_error(found: Sequence[Uncosted], what: str) -> CnnCostError:
    """One error listing every node without a mapping, by op, with a count."""
    by_op: dict[str, list[Uncosted]] = {}
    for u in found:
        by_op.setdefault(u.op, []).append(u)
    parts = []
    for op, us in by_op.items():
        shown = ", ".join(f"{u.name} ({u.reason})" for u in us[:3])
        more = f", and {len(us) - 3} more" if len(us) > 3 else ""
        parts.append(f"{op} ×{len(us)}: {shown}{more}")
    n = len(found)
    return CnnCostError(
        f"the {what} model has {n} node{'s' if n != 1 else ''} cnncost cannot cost — "
        + "; ".join(parts),
        hint="allow_unsupported=True costs the rest and lists these nodes",
        cli_hint="--allow-unsupported costs the rest and lists these nodes")


# ---------------------------------------------------------------------------
# ONNX op handlers: (reader, inputs, attributes, node) -> outputs


def _val(v: Any, what: str = "the input") -> Val:
    if not isinstance(v, Val):
        raise Unsupported(f"{what} is a constant")
    return v


def _const(v: Any, what: str) -> Const:
    if not isinstance(v, Const):
        raise Unsupported(f"{what} is computed, not a constant")
    return v


def _ints(v: Any, what: str) -> list[int]:
    return [int(x) for x in _const(v, what).value().reshape(-1)]


def _floats(v: Any, what: str) -> list[float]:
    return [float(x) for x in _const(v, what).value().reshape(-1)]


def _pair(values: Sequence[int] | None, default: int, what: str) -> tuple[int, int]:
    if values is None:
        return default, default
    if len(values) != 2:
        raise Unsupported(f"a {len(values)}-D {what}; cnncost costs 2-D layers")
    return int(values[0]), int(values[1])


def _pads(a: dict, x: Shape, k: tuple[int, int], s: tuple[int, int], d: int
          ) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) from ONNX pads or auto_pad."""
    auto = a.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        (t, b), (l, r) = tf_same(x.h, k[0], s[0], d), tf_same(x.w, k[1], s[1], d)
        return (t, b, l, r) if auto == "SAME_UPPER" else (b, t, r, l)
    if auto == "VALID":
        return 0, 0, 0, 0
    p = a.get("pads")
    if p is None:
        return 0, 0, 0, 0
    if len(p) != 4:
        raise Unsupported(f"{len(p) // 2}-D padding")
    if min(p) < 0:
        raise Unsupported("negative padding")
    return int(p[0]), int(p[2]), int(p[1]), int(p[3])


def _window_pads(pads: tuple[int, int, int, int], x: Shape, k: tuple[int, int],
                 s: tuple[int, int], d: int, same: tuple[int, int] | None
                 ) -> tuple[dict[str, Any], Pad | None]:
    """The p=/ph=/pw= options of a conv or pool for these pads, or an explicit pad
    layer before it when they are not symmetric (and not TensorFlow SAME)."""
    t, b, l, r = pads
    if t == b and l == r:
        if same is not None and (t, l) == same:
            return {}, None
        if t == l:
            return ({"pad": t} if (same is not None or t) else {}), None
        return {"ph": t, "pw": l}, None
    if (t, b) == tf_same(x.h, k[0], s[0], d) and (l, r) == tf_same(x.w, k[1], s[1], d):
        return {"pad": "tf"}, None
    return {"pad": 0} if same is not None else {}, Pad(t, b, l, r)


def _strides(s: tuple[int, int]) -> dict[str, Any]:
    return {"stride": s[0]} if s[0] == s[1] else {"stride": 1, "sh": s[0], "sw": s[1]}


def emit_conv(b: Builder, x: Val, n: int, cg: int, k: tuple[int, int], g: int,
              s: tuple[int, int], d: int, pads: tuple[int, int, int, int], bias: bool) -> Val:
    """A convolution (depthwise where g = c_in), with an explicit pad before it
    when its padding is neither symmetric nor TensorFlow SAME."""
    if cg * g != x.shape.c:
        raise Unsupported(f"weights of {cg}×{g} input channels on {x.shape.c}")
    kh, kw = k
    opts, pad = _window_pads(pads, x.shape, k, s, d, ((kh - 1) // 2 * d, (kw - 1) // 2 * d))
    if pad is not None:
        x = b.add(pad, [x])
    common = dict(kh=kh, kw=kw, dilation=d, bias=bias, **_strides(s), **opts)
    if g == x.shape.c and g > 1 and n % g == 0:
        return b.add(Depthwise(multiplier=n // g, **common), [x])
    return b.add(Conv(filters=n, groups=g, **common), [x])


def emit_tconv(b: Builder, x: Val, n: int, k: tuple[int, int], g: int, s: tuple[int, int],
               d: int, p: tuple[int, int], op: tuple[int, int], bias: bool) -> Val:
    ph, pw = p
    layer = ConvTranspose(
        filters=n, kh=k[0], kw=k[1], **_strides(s), pad=ph if ph == pw else 0,
        ph=None if ph == pw else (ph or None), pw=None if ph == pw else (pw or None),
        out_pad=op[0] if op[0] == op[1] else 0,
        oph=None if op[0] == op[1] else (op[0] or None),
        opw=None if op[0] == op[1] else (op[1] or None), groups=g, dilation=d, bias=bias)
    return b.add(layer, [x])


def emit_pool(b: Builder, x: Val, op: PoolOp, k: tuple[int, int], s: tuple[int, int],
              pads: tuple[int, int, int, int], ceil: bool) -> Val:
    opts, pad = _window_pads(pads, x.shape, k, s, 1, None)
    if opts.get("pad") == "tf" and ceil:
        opts, pad = {}, Pad(*pads)
    t, bb, l, r = pads
    if pad is None and opts.get("pad") != "tf" and (2 * max(t, bb) > k[0] or 2 * max(l, r) > k[1]):
        opts, pad = {}, Pad(*pads)  # more than PyTorch allows in the window: a pad first
    if pad is not None:
        x = b.add(pad, [x])
    return b.add(Pool(op, k[0], k[1], ceil=ceil, **_strides(s), **opts), [x])


def op_conv(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    b = rd.b
    w = _const(ins[1], "the weight")
    bias = len(ins) > 2 and ins[2] is not None
    if len(w.dims) == 5 and isinstance(ins[0], Val) and ins[0].form == "c5":
        if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
            raise Unsupported("a 3-D convolution with auto_pad")
        return [b.conv3d(ins[0], w.dims, a.get("strides", [1] * 3), a.get("pads", [0] * 6),
                         a.get("dilations", [1] * 3), int(a.get("group", 1)), bias)]
    x = b.map(_val(ins[0]), "a convolution")
    if len(w.dims) != 4:
        raise Unsupported(f"a {len(w.dims) - 2}-D convolution; cnncost costs 2-D ones")
    n, cg, kh, kw = w.dims
    s = _pair(a.get("strides"), 1, "stride")
    dil = _pair(a.get("dilations"), 1, "dilation")
    if dil[0] != dil[1]:
        raise Unsupported(f"dilations {list(dil)} that differ per dimension")
    pads = _pads(a, x.shape, (kh, kw), s, dil[0])
    return [emit_conv(b, x, n, cg, (kh, kw), int(a.get("group", 1)), s, dil[0], pads, bias)]


def op_conv_transpose(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    b = rd.b
    x = b.map(_val(ins[0]), "a transposed convolution")
    w = _const(ins[1], "the weight")
    if len(w.dims) != 4:
        raise Unsupported(f"a {len(w.dims) - 2}-D transposed convolution")
    cin, ng, kh, kw = w.dims
    g = int(a.get("group", 1))
    s = _pair(a.get("strides"), 1, "stride")
    dil = _pair(a.get("dilations"), 1, "dilation")
    if dil[0] != dil[1]:
        raise Unsupported("dilations that differ per dimension")
    if "output_shape" in a or a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise Unsupported("output_shape or auto_pad; export with explicit pads")
    p = a.get("pads", [0, 0, 0, 0])
    if len(p) != 4 or p[0] != p[2] or p[1] != p[3]:
        raise Unsupported(f"asymmetric padding {list(p)}")
    op = _pair(a.get("output_padding"), 0, "output padding")
    return [emit_tconv(b, x, ng * g, (kh, kw), g, s, dil[0], (int(p[0]), int(p[1])), op,
                       len(ins) > 2 and ins[2] is not None)]


def op_batchnorm(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    if a.get("training_mode", 0) or sum(1 for o in node.output if o) > 1:
        raise Unsupported("batch normalisation in training mode")
    return [rd.b.add(BatchNorm(), [rd.b.map(_val(ins[0]), "batch normalisation")])]


def op_instancenorm(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    b = rd.b
    x = _val(ins[0])
    scale, bias = _const(ins[1], "the scale"), _const(ins[2], "the bias")
    if x.form == "gn":
        # GroupNorm written out: reshape to (N, g, ·), instance norm, reshape, γ, β
        return [replace(x, form="gn_norm")]
    x = b.map(x, "instance normalisation")
    affine = scale.param or bias.param or not (_all(scale, 1.0) and _all(bias, 0.0))
    return [b.add(InstanceNorm(affine=affine), [x])]


def _all(c: Const, value: float) -> bool:
    try:
        return bool((c.value() == value).all())
    except Unsupported:
        return False


def op_groupnorm(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    g = int(a["num_groups"])
    return [rd.b.add(GroupNorm(g), [rd.b.map(_val(ins[0]), "group normalisation")])]


def op_layernorm(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    axis = int(a.get("axis", -1))
    if x.form == "nhwc" and axis in (-1, 3):
        return [rd.b.add(LayerNorm(), [x], "nhwc")]
    if x.form in ("flat", "nchw") and x.shape.h == x.shape.w == 1 and axis in (-1, 1) \
            and len(x.dims) == 2:
        return [rd.b.add(LayerNorm(), [rd.b.map(x)])]
    raise Unsupported(f"layer normalisation over axes {axis}… of {list(x.dims)}; cnncost's ln "
                      "normalises the channels at each position (channels-last)")


def _act(fn: Act, arg: Any = None) -> Callable:
    def handler(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
        return [rd.b.unary(Activation(fn, arg), _val(ins[0]), fn.value)]
    return handler


def _float_arg(x: float, default: float) -> float | None:
    """A float attribute as the user would write it (float32 0.1 → 0.1); None at
    the default."""
    import numpy as np
    text = str(np.float32(x))
    value = float(text)
    return None if value == default else value


def op_leaky(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    arg = _float_arg(a.get("alpha", 0.01), 0.01)
    return [rd.b.unary(Activation(Act.LRELU, arg), _val(ins[0]), "leaky relu")]


def op_elu(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    arg = _float_arg(a.get("alpha", 1.0), 1.0)
    return [rd.b.unary(Activation(Act.ELU, arg), _val(ins[0]), "elu")]


def op_gelu(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    approx = a.get("approximate", "none")
    return [rd.b.unary(Activation(Act.GELU, "tanh" if approx == "tanh" else None),
                       _val(ins[0]), "gelu")]


def op_hardsigmoid(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    # cost-neutral constants: PyTorch's (1/6, 1/2) and Keras' (0.2, 0.5) alike
    return [rd.b.unary(Activation(Act.HSIGMOID), _val(ins[0]), "hard sigmoid")]


def op_clip(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    if rd.opset >= 11:
        lo = _floats(ins[1], "the minimum")[0] if len(ins) > 1 and ins[1] is not None else None
        hi = _floats(ins[2], "the maximum")[0] if len(ins) > 2 and ins[2] is not None else None
    else:
        lo, hi = a.get("min"), a.get("max")
    if lo == 0 and hi == 6:
        return [rd.b.unary(Activation(Act.RELU6), _val(ins[0]), "relu6")]
    if lo == 0 and (hi is None or math.isinf(hi)):
        return [rd.b.unary(Activation(Act.RELU), _val(ins[0]), "relu")]
    raise Unsupported(f"a clip to [{lo}, {hi}]; cnncost has relu (0, ∞) and relu6 (0, 6)")


def op_softmax(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    axis = int(a.get("axis", 1 if rd.opset < 13 else -1))
    rank = len(x.dims)
    axis %= rank
    if axis == 1 or (x.form == "nhwc" and axis == 3):
        return [rd.b.unary(Activation(Act.SOFTMAX), x, "softmax")]
    raise Unsupported(f"a softmax over axis {axis} of {list(x.dims)}; cnncost's is over channels")


def op_prelu(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    slope = _const(ins[1], "the slope")
    if slope.size == 1:
        return [rd.b.unary(PReLU(shared=True), x, "prelu")]
    if slope.size == x.shape.c:
        return [rd.b.unary(PReLU(), x, "prelu")]
    raise Unsupported(f"a slope of shape {list(slope.dims)}")


def op_pool(op: PoolOp) -> Callable:
    def handler(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
        b = rd.b
        v = _val(ins[0])
        if v.form.startswith("lrn_pad|") and op is PoolOp.AVG and \
                list(a.get("kernel_shape", [])) == [v.groups, 1, 1] and \
                list(a.get("strides", [1, 1, 1])) == [1, 1, 1] and not any(a.get("pads", [])):
            s = v.shape
            return [replace(_step(v, "lrn_pool"), dims=(1, 1, s.c, s.h, s.w))]
        x = b.map(v, "pooling")
        k = _pair(a.get("kernel_shape"), 1, "kernel")
        s = _pair(a.get("strides"), 1, "stride")
        if tuple(a.get("dilations", [1, 1])) != (1, 1):
            raise Unsupported("dilated pooling")
        if op is PoolOp.MAX and sum(1 for o in node.output if o) > 1:
            raise Unsupported("pooling that also returns indices")
        ceil = bool(a.get("ceil_mode", 0))
        return [emit_pool(b, x, op, k, s, _pads(a, x.shape, k, s, 1), ceil)]
    return handler


def op_global(op: PoolOp) -> Callable:
    def handler(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
        return [rd.b.add(GlobalPool(op), [rd.b.map(_val(ins[0]), "global pooling")])]
    return handler


def op_reduce(op: PoolOp) -> Callable:
    def handler(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
        b = rd.b
        x = _val(ins[0])
        axes = a.get("axes")
        if axes is None and len(ins) > 1 and ins[1] is not None:
            axes = _ints(ins[1], "the axes")
        rank = len(x.dims)
        axes = sorted(int(i) % rank for i in (axes or []))
        keep = int(a.get("keepdims", 1))
        if x.form == "nchw" and axes == [2, 3]:
            y = b.add(GlobalPool(op), [x])
            return [y if keep else Val(y.node, y.shape, "flat", (1, y.shape.c))]
        if x.form == "nhwc" and axes == [1, 2]:
            y = b.add(GlobalPool(op), [Val(x.node, x.shape)])
            return [Val(y.node, y.shape, "nhwc", (1, 1, 1, y.shape.c)) if keep else
                    Val(y.node, y.shape, "flat", (1, y.shape.c))]
        raise Unsupported(f"a reduction over axes {axes} of {list(x.dims)}; cnncost pools H×W")
    return handler


def op_gemm(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    w = _const(ins[1], "the weight")
    if a.get("transA", 0) or len(w.dims) != 2:
        raise Unsupported("a transposed input")
    units, n_in = (w.dims[0], w.dims[1]) if a.get("transB", 0) else (w.dims[1], w.dims[0])
    bias = len(ins) > 2 and ins[2] is not None and float(a.get("beta", 1.0)) != 0.0
    if len(ins) > 2 and isinstance(ins[2], Val):
        raise Unsupported("a computed bias")
    return [rd.b.dense(x, units, n_in, bias)]


def op_matmul(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    if isinstance(ins[0], Const) and isinstance(ins[1], Val):
        raise Unsupported("a constant times a tensor")
    x = _val(ins[0])
    w = _const(ins[1], "the weight")
    if len(w.dims) != 2:
        raise Unsupported(f"a product with a weight of shape {list(w.dims)}")
    return [rd.b.dense(x, w.dims[1], w.dims[0], False)]


# GELU written out at opsets before 20: x · 0.5 · (1 + erf(x / √2)), in either order.
# The steps are forms of x ("gelu_div|nchw", …) until the last product emits gelu.


def _step(v: Val, stage: str) -> Val:
    return replace(v, form=f"{stage}|{_base(v)}")


def _base(v: Val) -> str:
    return v.form.split("|")[-1]


def _scalar(c: Const, value: float) -> bool:
    try:
        return c.size == 1 and abs(float(c.value().reshape(-1)[0]) - value) < 1e-6 * max(1, value)
    except Unsupported:
        return False


def _gelu(rd: OnnxReader, x: Val) -> Val:
    return rd.b.unary(Activation(Act.GELU), replace(x, form=_base(x)), "gelu")


def op_div(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x, d = ins[0], ins[1]
    if isinstance(x, Val) and isinstance(d, Val) and d.form.startswith("lrn_pow|") and \
            x.form == "nchw" and x.node == d.node:
        return [rd.b.add(LRN(size=d.groups), [x])]
    if isinstance(ins[0], Val) and isinstance(ins[1], Const) and _scalar(ins[1], math.sqrt(2)) \
            and "|" not in ins[0].form:
        return [_step(ins[0], "gelu_div")]
    raise Unsupported("a division (cnncost reads it only inside GELU's x / √2)")


def op_pow(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    if isinstance(ins[0], Val) and ins[0].form.startswith("lrn_k|") and \
            isinstance(ins[1], Const) and ins[1].size == 1:
        return [_step(ins[0], "lrn_pow")]
    raise Unsupported("a power (cnncost reads it only inside LocalResponseNorm)")


def op_if(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    """An If on a condition known from the shapes (torch's LocalResponseNorm asks
    whether a dim is 1): the branch taken, converted in place."""
    cond = _const(ins[0], "the condition").value()
    branch = a["then_branch"] if bool(cond.reshape(-1)[0]) else a["else_branch"]
    for sub in branch.node:
        rd._node(sub)
    outs = []
    for o in branch.output:
        v = rd.env.get(o.name)
        if v is UNKNOWN or v is None:
            raise Unsupported("a branch cnncost could not follow")
        outs.append(v)
    return outs


def op_erf(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    if isinstance(ins[0], Val) and ins[0].form.startswith("gelu_div|"):
        return [_step(ins[0], "gelu_erf")]
    raise Unsupported("erf (cnncost reads it only inside GELU)")


def op_add(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    vals = [v for v in ins if isinstance(v, Val)]
    consts = [v for v in ins if isinstance(v, Const)]
    if consts:
        c, x = consts[0], vals[0]
        if len(vals) == 1 and len(consts) == 1 and x.form.startswith("gelu_erf|") \
                and _scalar(c, 1.0):
            return [_step(x, "gelu_add")]
        if len(vals) == 1 and len(consts) == 1:
            if x.form.startswith("lrn_alpha|") and c.size == 1:
                return [_step(x, "lrn_k")]
            if x.form == "gn_add" and c.size == x.shape.c:
                return [rd.b.add(GroupNorm(x.groups), [Val(x.node, x.shape)])]
            got = rd.b.set_bias(x, c.size)
            if got is not None:
                return [got]
        raise Unsupported(f"a sum with a constant of shape {list(c.dims)}")
    return [rd.b.merge(Add, vals, "a sum")]


def op_mul(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    vals = [v for v in ins if isinstance(v, Val)]
    consts = [v for v in ins if isinstance(v, Const)]
    if consts:
        if len(vals) == 1 and len(consts) == 1:
            x, c = vals[0], consts[0]
            if x.form.startswith("lrn_back|") and c.size == 1:
                return [_step(x, "lrn_alpha")]
            if _scalar(c, 0.5) and x.form.startswith("gelu_mul|"):
                return [_gelu(rd, x)]
            if _scalar(c, 0.5) and "|" not in x.form:
                return [_step(x, "gelu_half")]
            return [rd.b.scale(x, c)]
        raise Unsupported("a product with constants")
    if len(vals) == 2 and vals[0] == vals[1] and vals[0].form == "nchw":
        # x², the start of LocalResponseNorm as torch's exporter writes it
        return [_step(vals[0], "lrn_sq")]
    if len(vals) == 2:
        for x, y in (vals, vals[::-1]):
            if y.form.startswith("gelu_add|") and x.node == y.node:
                if "|" not in x.form:
                    return [_step(y, "gelu_mul")]
                if x.form.startswith("gelu_half|"):
                    return [_gelu(rd, x)]
    return [rd.b.merge(Mul, vals, "a product")]


def op_concat(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    vals = [v for v in ins if v is not None]
    if any(isinstance(v, Const) for v in vals):
        raise Unsupported("a concatenation with a constant")
    axis = int(a.get("axis", 1))
    rank = len(vals[0].dims)
    axis %= rank
    if all(v.form == "flat" and len(v.dims) == 2 for v in vals) and axis == 1:
        maps = [rd.b.map(v) for v in vals]
        out = rd.b.add(Concat(), maps)
        return [Val(out.node, out.shape, "flat", (1, out.shape.c))]
    if axis != 1 and not (all(v.form == "nhwc" for v in vals) and axis == 3):
        raise Unsupported(f"a concatenation along axis {axis}; cnncost's is along channels")
    return [rd.b.merge(Concat, vals, "a concatenation")]


def op_split(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = rd.b.map(_val(ins[0]), "a split")
    axis = int(a.get("axis", 0)) % 4
    if axis != 1:
        raise Unsupported(f"a split along axis {axis}; cnncost slices channels")
    n = len(node.output)
    c = x.shape.c
    if len(ins) > 1 and ins[1] is not None:
        sizes = _ints(ins[1], "the split sizes")
    elif "split" in a:
        sizes = [int(s) for s in a["split"]]
    else:
        k = int(a.get("num_outputs", n))
        size = -(-c // k)
        sizes = [min(size, c - i * size) for i in range(k)]
    outs, start = [], 0
    for size in sizes:
        outs.append(rd.b.channel_slice(x, start, start + size))
        start += size
    return outs


def op_split_to_sequence(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    """torch.chunk of uneven parts, as the TorchScript exporter writes it: a sequence
    of channel slices, read back with SequenceAt."""
    x = rd.b.map(_val(ins[0]), "a split")
    if int(a.get("axis", 0)) % 4 != 1 or not int(a.get("keepdims", 1)):
        raise Unsupported("a split along a dim other than the channels")
    c = x.shape.c
    sizes = _ints(ins[1], "the split") if len(ins) > 1 and ins[1] is not None else [1] * c
    if len(sizes) == 1 and _const(ins[1], "the split").dims == ():
        sizes = [min(sizes[0], c - s) for s in range(0, c, sizes[0])]
    outs, start = [], 0
    for size in sizes:
        if start >= c:
            break
        outs.append(rd.b.channel_slice(x, start, start + size))
        start += size
    return [tuple(outs)]


def op_sequence_at(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    if not isinstance(ins[0], tuple):
        raise Unsupported("a sequence cnncost did not make")
    return [ins[0][_ints(ins[1], "the position")[0]]]


def op_slice(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    if rd.opset >= 10:
        starts, ends = _ints(ins[1], "starts"), _ints(ins[2], "ends")
        axes = _ints(ins[3], "axes") if len(ins) > 3 and ins[3] is not None else \
            list(range(len(starts)))
        steps = _ints(ins[4], "steps") if len(ins) > 4 and ins[4] is not None else \
            [1] * len(starts)
    else:
        starts, ends = list(a["starts"]), list(a["ends"])
        axes = list(a.get("axes", range(len(starts))))
        steps = [1] * len(starts)
    rank = len(x.dims)
    cut = []
    for st, en, ax, sp in zip(starts, ends, axes, steps):
        ax %= rank
        size = x.dims[ax]
        st = st + size if st < 0 else st
        en = en + size if en < 0 else en
        st, en = max(0, min(st, size)), max(0, min(en, size))
        if (st, en, sp) == (0, size, 1):
            continue
        cut.append((ax, st, en, sp))
    if not cut:
        return [x]
    if len(cut) == 1 and cut[0][0] == 1 and cut[0][3] == 1 and x.form in ("nchw", "flat") \
            and (x.form == "nchw" or x.shape.h == x.shape.w == 1):
        return [rd.b.channel_slice(x, cut[0][1], cut[0][2])]
    raise Unsupported(f"a slice {cut} of {list(x.dims)}; cnncost slices channels (torch.chunk)")


def op_flatten(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    axis = int(a.get("axis", 1))
    if axis % len(x.dims) != 1:
        raise Unsupported(f"a flatten from axis {axis}")
    return [rd.b.flatten(x, 1, -1)]


def _target_dims(x: Val, shape: Sequence[int], allowzero: bool = False) -> list[int]:
    dims = [int(d) for d in shape]
    for i, d in enumerate(dims):
        if d == 0 and not allowzero:
            dims[i] = x.dims[i]
    if -1 in dims:
        known = math.prod(d for d in dims if d != -1)
        dims[dims.index(-1)] = x.shape.elements // known if known else 0
    return dims


def op_reshape(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    if len(ins) > 1 and ins[1] is not None:
        shape = _ints(ins[1], "the shape")
    else:
        shape = list(a["shape"])
    return [rd.b.reshape(x, _target_dims(x, shape, bool(a.get("allowzero", 0))))]


def op_transpose(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    perm = a.get("perm", list(range(len(x.dims)))[::-1])
    return [rd.b.transpose(x, perm)]


def _axes(rd: OnnxReader, ins: list, a: dict) -> list[int]:
    if "axes" in a:
        return [int(i) for i in a["axes"]]
    if len(ins) > 1 and ins[1] is not None:
        return _ints(ins[1], "the axes")
    return []


def op_unsqueeze(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    axes = _axes(rd, ins, a)
    rank = len(x.dims) + len(axes)
    dims = list(x.dims)
    for ax in sorted(i % rank for i in axes):
        dims.insert(ax, 1)
    return [rd.b.reshape(x, dims)]


def op_squeeze(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    axes = _axes(rd, ins, a)
    rank = len(x.dims)
    drop = {i % rank for i in axes} if axes else {i for i, d in enumerate(x.dims) if d == 1}
    if 0 in drop:
        raise Unsupported("a squeeze of the batch dimension")
    return [rd.b.reshape(x, [d for i, d in enumerate(x.dims) if i not in drop])]


def op_pass(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    return [ins[0]]


def op_dropout(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    """A dropout layer (the identity at inference; exporters in eval mode leave it out)."""
    if sum(1 for o in node.output if o) > 1:
        raise Unsupported("dropout whose mask is used")
    return [rd.b.unary(Dropout(), _val(ins[0]), "dropout")]


def op_lrn(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    return [rd.b.add(LRN(size=int(a["size"])), [rd.b.map(_val(ins[0]), "LRN")])]


def op_resize(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = rd.b.map(_val(ins[0]), "resizing")
    mode = a.get("mode", "nearest")
    if mode not in ("nearest", "linear", "bilinear"):
        raise Unsupported(f"{mode} resizing; cnncost has nearest and bilinear")
    coord = a.get("coordinate_transformation_mode", "half_pixel")
    align = mode != "nearest" and coord == "align_corners"
    mode = "nearest" if mode == "nearest" else "bilinear"
    if node.op_type == "Upsample":
        scales = a.get("scales") or _floats(ins[1], "the scales")
        sizes = None
    else:
        scales_in = ins[2] if len(ins) > 2 else (ins[1] if rd.opset < 11 else None)
        sizes_in = ins[3] if len(ins) > 3 else None
        scales = _floats(scales_in, "the scales") if scales_in is not None else []
        sizes = _ints(sizes_in, "the sizes") if sizes_in is not None else None
        if "axes" in a:
            raise Unsupported("resizing with axes=")
    if sizes:
        if len(sizes) != 4 or sizes[:2] != [1, x.shape.c]:
            raise Unsupported(f"a resize to {sizes}")
        return [rd.b.add(Upsample(h=sizes[2], w=sizes[3], mode=mode, align_corners=align), [x])]
    if len(scales) != 4 or scales[:2] != [1.0, 1.0]:
        raise Unsupported(f"a resize by {scales}")
    fh, fw = scales[2], scales[3]
    if fh == int(fh) and fw == int(fw) and fh >= 1 and fw >= 1:
        return [rd.b.add(Upsample(fh=int(fh), fw=int(fw), mode=mode, align_corners=align), [x])]
    h, w = math.floor(x.shape.h * fh), math.floor(x.shape.w * fw)
    return [rd.b.add(Upsample(h=h, w=w, mode=mode, align_corners=align), [x])]


def op_depth_to_space(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    # DCR (TensorFlow's order) and CRD (PyTorch's) differ only in channel order
    return [rd.b.add(PixelShuffle(int(a["blocksize"])), [rd.b.map(_val(ins[0]))])]


def op_space_to_depth(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    return [rd.b.add(PixelUnshuffle(int(a["blocksize"])), [rd.b.map(_val(ins[0]))])]


def op_pad(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    x = _val(ins[0])
    rank = len(x.dims)
    if rd.opset >= 11:
        pads = _ints(ins[1], "the pads")
        if len(ins) > 3 and ins[3] is not None:
            axes = [i % rank for i in _ints(ins[3], "the axes")]
            full = [0] * (2 * rank)
            for i, ax in enumerate(axes):
                full[ax], full[ax + rank] = pads[i], pads[i + len(axes)]
            pads = full
    else:
        pads = [int(p) for p in a["pads"]]
    if x.form.startswith("lrn_5|") and len(pads) == 10 and \
            not any(p for k, p in enumerate(pads) if k not in (2, 7)) and \
            (pads[2], pads[7]) == ((pads[2] + pads[7] + 1) // 2, (pads[2] + pads[7]) // 2):
        return [replace(_step(x, "lrn_pad"), groups=pads[2] + pads[7] + 1)]
    if x.form == "c5" and len(pads) == 10:  # ChannelNets: the channel axis of the 5-D view
        if any(p for k, p in enumerate(pads) if k not in (2, 7)):
            raise Unsupported(f"padding {pads} of the 5-D view of a map")
        return [rd.b.pad_c5(x, pads[2], pads[7])]
    x = rd.b.map(x, "padding")
    if len(pads) != 8:
        raise Unsupported(f"padding of {len(pads) // 2} dimensions")
    if min(pads) < 0:
        raise Unsupported("negative padding (a crop)")
    n0, c0, t, l, n1, c1, bo, r = pads
    if n0 or n1:
        raise Unsupported("padding of the batch")
    # the mode (constant, reflect, edge) and value do not change the cost
    if c0 or c1:
        extra = c0 + c1
        if (t, l, bo, r) != (0, 0, 0, 0) or (c0, c1) != (extra // 2, extra - extra // 2):
            raise Unsupported(f"channel padding {c0}+{c1} that is not split evenly")
        return [rd.b.add(ChannelPad(x.shape.c + extra), [x])]
    if (t, bo, l, r) == (0, 0, 0, 0):
        return [x]
    return [rd.b.add(Pad(t, bo, l, r), [x])]


def op_shape(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    import numpy as np
    x = _val(ins[0])
    dims = list(x.dims)
    start, end = a.get("start", 0), a.get("end")
    return [const_of(np.array(dims[start:end], dtype=np.int64), node.output[0])]


def op_swish(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
    if float(a.get("alpha", 1.0)) != 1.0:
        raise Unsupported("swish with alpha ≠ 1")
    return [rd.b.unary(Activation(Act.SWISH), _val(ins[0]), "swish")]


ONNX_OPS: dict[str, Callable[..., list]] = {
    # convolutions
    "Conv": op_conv, "ConvTranspose": op_conv_transpose,
    # normalisation
    "BatchNormalization": op_batchnorm, "InstanceNormalization": op_instancenorm,
    "GroupNormalization": op_groupnorm, "LayerNormalization": op_layernorm, "LRN": op_lrn,
    # activations
    "Relu": _act(Act.RELU), "Sigmoid": _act(Act.SIGMOID), "Tanh": _act(Act.TANH),
    "HardSwish": _act(Act.HSWISH), "HardSigmoid": op_hardsigmoid, "Mish": _act(Act.MISH),
    "Swish": op_swish, "LeakyRelu": op_leaky, "Elu": op_elu, "Gelu": op_gelu,
    "Clip": op_clip, "Softmax": op_softmax, "PRelu": op_prelu,
    # pooling
    "MaxPool": op_pool(PoolOp.MAX), "AveragePool": op_pool(PoolOp.AVG),
    "GlobalAveragePool": op_global(PoolOp.AVG), "GlobalMaxPool": op_global(PoolOp.MAX),
    "ReduceMean": op_reduce(PoolOp.AVG), "ReduceMax": op_reduce(PoolOp.MAX),
    # fully connected
    "Gemm": op_gemm, "MatMul": op_matmul,
    # merges (and a constant operand: a bias, a layer scale, a GroupNorm's γ, β)
    "Add": op_add, "Sum": op_add, "Mul": op_mul, "Concat": op_concat,
    "Div": op_div, "Erf": op_erf,  # only inside GELU written out
    "Pow": op_pow, "If": op_if,  # only inside LocalResponseNorm written out
    # slices, views and resampling
    "Split": op_split, "SplitToSequence": op_split_to_sequence, "SequenceAt": op_sequence_at,
    "Slice": op_slice, "Flatten": op_flatten, "Reshape": op_reshape,
    "Transpose": op_transpose, "Unsqueeze": op_unsqueeze, "Squeeze": op_squeeze,
    "Resize": op_resize, "Upsample": op_resize, "DepthToSpace": op_depth_to_space,
    "SpaceToDepth": op_space_to_depth, "Pad": op_pad,
    # free
    "Identity": op_pass, "Dropout": op_dropout, "Shape": op_shape,
}


# Constant folding: ops on constants only (shape arithmetic, weight reshapes), in numpy.
def _fold(fn: Callable[..., Any]) -> Callable[..., list]:
    def handler(rd: OnnxReader, ins: list, a: dict, node: Any) -> list:
        vals = [v.value() if isinstance(v, Const) else None for v in ins]
        out = fn(vals, a, rd)
        return list(out) if isinstance(out, tuple) else [out]
    return handler


def _np() -> Any:
    import numpy as np
    return np


def _fold_slice(v: list, a: dict, rd: OnnxReader) -> Any:
    np = _np()
    x = v[0]
    if rd.opset >= 10:
        starts, ends = list(v[1]), list(v[2])
        axes = list(v[3]) if len(v) > 3 and v[3] is not None else list(range(len(starts)))
        steps = list(v[4]) if len(v) > 4 and v[4] is not None else [1] * len(starts)
    else:
        starts, ends = a["starts"], a["ends"]
        axes = a.get("axes", list(range(len(starts))))
        steps = [1] * len(starts)
    index = [slice(None)] * x.ndim
    for st, en, ax, sp in zip(starts, ends, axes, steps):
        index[int(ax)] = slice(int(st), int(np.clip(en, -2**62, 2**62)), int(sp))
    return x[tuple(index)]


def _fold_unsqueeze(v: list, a: dict, rd: OnnxReader) -> Any:
    np = _np()
    axes = a.get("axes") if "axes" in a else list(v[1])
    x = v[0]
    rank = x.ndim + len(axes)
    for ax in sorted(int(i) % rank for i in axes):
        x = np.expand_dims(x, ax)
    return x


def _fold_squeeze(v: list, a: dict, rd: OnnxReader) -> Any:
    np = _np()
    axes = a.get("axes") if "axes" in a else (list(v[1]) if len(v) > 1 and v[1] is not None
                                              else None)
    return np.squeeze(v[0], axis=tuple(int(i) for i in axes) if axes else None)


def _fold_reshape(v: list, a: dict, rd: OnnxReader) -> Any:
    x, shape = v[0], [int(d) for d in v[1]]
    shape = [x.shape[i] if d == 0 and not a.get("allowzero") else d for i, d in enumerate(shape)]
    return x.reshape(shape)


def _fold_cast(v: list, a: dict, rd: OnnxReader) -> Any:
    from onnx import helper
    return v[0].astype(helper.tensor_dtype_to_np_dtype(a["to"]))


def _fold_constant(v: list, a: dict, rd: OnnxReader) -> Any:
    np = _np()
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in a:
            val = a[key]
            if key == "value":
                from onnx import numpy_helper
                return numpy_helper.to_array(val)
            return np.array(val)
    raise Unsupported("a Constant of a kind cnncost does not read")


def _fold_constant_of_shape(v: list, a: dict, rd: OnnxReader) -> Any:
    np = _np()
    fill = a.get("value")
    from onnx import numpy_helper
    fill_v = numpy_helper.to_array(fill) if fill is not None else np.zeros(1, np.float32)
    return np.full([int(d) for d in v[0]], fill_v.reshape(-1)[0], dtype=fill_v.dtype)


FOLD: dict[str, Callable[..., list]] = {
    "Constant": _fold(_fold_constant),
    "Identity": _fold(lambda v, a, rd: v[0]),
    "Cast": _fold(_fold_cast),
    "Reshape": _fold(_fold_reshape),
    "Unsqueeze": _fold(_fold_unsqueeze),
    "Squeeze": _fold(_fold_squeeze),
    "Concat": _fold(lambda v, a, rd: _np().concatenate([x for x in v if x is not None],
                                                        axis=int(a.get("axis", 0)))),
    "Gather": _fold(lambda v, a, rd: _np().take(v[0], v[1], axis=int(a.get("axis", 0)))),
    "Slice": _fold(_fold_slice),
    "Shape": _fold(lambda v, a, rd: _np().array(v[0].shape[a.get("start", 0):a.get("end")],
                                                dtype="int64")),
    "Transpose": _fold(lambda v, a, rd: _np().transpose(v[0], a.get("perm"))),
    "Add": _fold(lambda v, a, rd: v[0] + v[1]),
    "Sub": _fold(lambda v, a, rd: v[0] - v[1]),
    "Mul": _fold(lambda v, a, rd: v[0] * v[1]),
    "Div": _fold(lambda v, a, rd: v[0] // v[1] if v[0].dtype.kind in "iu" else v[0] / v[1]),
    "Neg": _fold(lambda v, a, rd: -v[0]),
    "Sqrt": _fold(lambda v, a, rd: _np().sqrt(v[0])),
    "Floor": _fold(lambda v, a, rd: _np().floor(v[0])),
    "Ceil": _fold(lambda v, a, rd: _np().ceil(v[0])),
    "Min": _fold(lambda v, a, rd: _np().minimum.reduce(v)),
    "Max": _fold(lambda v, a, rd: _np().maximum.reduce(v)),
    "Equal": _fold(lambda v, a, rd: v[0] == v[1]),
    "Where": _fold(lambda v, a, rd: _np().where(v[0], v[1], v[2])),
    "Expand": _fold(lambda v, a, rd: v[0] * _np().ones([int(d) for d in v[1]], v[0].dtype)),
    "Range": _fold(lambda v, a, rd: _np().arange(v[0], v[1], v[2])),
    "ConstantOfShape": _fold(_fold_constant_of_shape),
}


# ---------------------------------------------------------------------------
# The entry points


def import_onnx(source: str | Path | bytes, input_shape: Shape | None = None, *,
                allow_unsupported: bool = False, name: str | None = None) -> Imported:
    """Read an ONNX model (a path or its bytes) into a one-network Document.

    `input_shape` (H×W×C) fixes a dynamic input and must agree with a static one.
    With `allow_unsupported`, nodes without a mapping that keep their input's
    shape are passed through at no cost and listed in ``Imported.uncosted``;
    otherwise any such node is a CnnCostError naming them all."""
    onnx = _need_onnx()
    data, shown = _read_bytes(source)
    model = _parse_model(onnx, data, shown)
    if len(model.functions):
        try:
            from onnx import inliner
            model = inliner.inline_local_functions(model)
        except Exception as e:  # an older onnx without the inliner, or a broken function
            raise CnnCostError(f"the model's local functions cannot be inlined ({e})",
                               hint="export it without functions") from None
    rd = OnnxReader(onnx, model, input_shape, shown, allow_unsupported)
    out = rd.run()
    if name is None:
        graph_name = model.graph.name
        if graph_name in ("main_graph", "torch_jit", "torch-jit-export", "torch_jit_export"):
            graph_name = ""  # what torch's exporters call every graph
        name = Path(shown).stem if shown else graph_name
    return finish(rd.b, out, name, rd.skipped, rd.uses, "ONNX")


def finish(b: Builder, out: int, name: str, skipped: Sequence[Uncosted],
           uses: dict[str, int], what: str) -> Imported:
    """Patterns, pruning and structure: the Imported of a converted layer DAG."""
    nodes, input, shape = b.nodes, b.input, b.shape_of
    rewrite(nodes)
    rewrite_spp(nodes, shape)
    rewrite_gcw(nodes, shape)
    fuse_pads(nodes, shape)
    if out != INPUT and not nodes[out].alive:
        raise AssertionError("the output was rewritten away")
    kept = nest_concats(flatten_merges(prune(nodes, out))) if out != INPUT else []
    description = f"imported from {what}"
    if skipped:
        description += "; not costed: " + ", ".join(f"{u.op} {u.name}" for u in skipped)
    doc = document(kept, input, name, description)
    shared = tuple(sorted((k, v) for k, v in uses.items() if v > 1))
    return Imported(doc, tuple(skipped), shared)


def load_onnx(source: str | Path | bytes, input_shape: Shape | None = None, *,
              allow_unsupported: bool = False, name: str | None = None) -> Document:
    """The Document of an ONNX model (see :func:`import_onnx`). With
    `allow_unsupported`, the nodes left uncosted are named in the network's
    description; :func:`import_onnx` returns them as data."""
    return import_onnx(source, input_shape, allow_unsupported=allow_unsupported,
                       name=name).document


__all__ = ["load_onnx", "import_onnx", "Imported", "Uncosted", "ONNX_OPS"]
