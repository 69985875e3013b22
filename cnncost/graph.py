"""Shape inference, validation, padding policies, receptive fields and stages.

:func:`infer` walks a Graph once, in order (nodes only read earlier nodes), and
returns one :class:`NodeInfo` per node. Every validation error points at the
token the user typed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .errors import CnnCostError
from .model import (
    INPUT, LRN, SE, SPP, Activation, AdaptivePool, BatchNorm, ChannelWise, Concat, Conv,
    ConvClassifier, Dense, Depthwise, Dropout, Flatten, GlobalPool, Graph, GroupChannelWise,
    Chunk, Identity, Kind, Node, Padding, Pool, Shape, Shuffle,
)


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What shape inference learns about one node."""

    inputs: tuple[Shape, ...]  # shapes of the tensors it reads
    output: Shape  # shape of the tensor it produces
    pad: tuple[int, int]  # padding per side (h, w) actually used; (0, 0) where none
    rf: tuple[int, int]  # receptive field (h, w) of one output unit on the network input
    jump: tuple[int, int]  # distance on the input between adjacent output units
    stage: str  # stage label


# Layers that pass their input's shape through and do not break a run of
# even-kernel convolutions under the he2015 policy (He & Sun do not write them).
PASSTHROUGH = (Activation, BatchNorm, Dropout, LRN, Identity)


def out_size(size: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False) -> int:
    """Output length of a sliding window, PyTorch's formula (floor or ceil mode)."""
    span = size + 2 * p - d * (k - 1) - 1
    if not ceil:
        return span // s + 1
    out = -(-span // s) + 1
    if (out - 1) * s >= size + p:  # the last window must start inside the input
        out -= 1
    return out


def adaptive_windows(size: int, out: int) -> list[int]:
    """Window lengths of PyTorch's adaptive pooling: [⌊i·n/o⌋, ⌈(i+1)·n/o⌉)."""
    return [-(-((i + 1) * size) // out) - (i * size) // out for i in range(out)]


class _Inferrer:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.infos: list[NodeInfo] = []
        self.run: list[int] = []  # position in a run of even-kernel stride-1 convs (he2015)

    def input_info(self, node_id: int) -> NodeInfo:
        if node_id == INPUT:
            shape = self.graph.input
            assert shape is not None
            return NodeInfo((), shape, (0, 0), (1, 1), (1, 1), "")
        return self.infos[node_id]

    def run_before(self, node_id: int) -> int:
        return 0 if node_id == INPUT else self.run[node_id]

    def node(self, i: int, node: Node) -> NodeInfo:
        ins = [self.input_info(j) for j in node.inputs]
        layer = node.layer
        rule = SHAPE_RULES[layer.kind]
        out, pad, kernel, stride, run = rule(self, node, ins)
        self.run.append(run)
        if out.h < 1 or out.w < 1 or out.c < 1:
            raise CnnCostError(f"the map shrinks below 1×1 here ({ins[0].output} → "
                               f"{out.h}x{out.w}x{out.c})", node.span,
                               hint="remove a downsampling layer or use a larger input")
        # Receptive field: the largest over the inputs, grown by this layer's window.
        rf_h = max(x.rf[0] for x in ins)
        rf_w = max(x.rf[1] for x in ins)
        j_h = max(x.jump[0] for x in ins)
        j_w = max(x.jump[1] for x in ins)
        rf = (rf_h + (kernel[0] - 1) * j_h, rf_w + (kernel[1] - 1) * j_w)
        jump = (j_h * stride[0], j_w * stride[1])
        return NodeInfo(tuple(x.output for x in ins), out, pad, rf, jump, "")


# A shape rule returns (output shape, padding used, effective kernel (h, w) and
# stride (h, w) for the receptive field, he2015 run position).
ShapeResult = tuple[Shape, tuple[int, int], tuple[int, int], tuple[int, int], int]


def _fail(node: Node, message: str, hint: str = "") -> None:
    raise CnnCostError(message, node.span, hint)


def _single(node: Node, ins: list[NodeInfo]) -> Shape:
    return ins[0].output


def _resolve_pad(inf: _Inferrer, node: Node, layer: Conv | Depthwise, k: tuple[int, int]) -> tuple[tuple[int, int], int]:
    """Padding per side (h, w) of a convolution, and its he2015 run position.

    An explicit p= always wins ('same' = ⌊(k−1)/2⌋·d, 'valid' = 0). Otherwise:
    - same policy: p = ⌊(k−1)/2⌋·d, as torchvision's definitions use;
    - he2015 policy (He & Sun's Table 1 map sizes): strided convolutions are
      unpadded; odd kernels at stride 1 keep the size, p = (k−1)/2; in each
      maximal run of consecutive even-kernel stride-1 convolutions (element-wise
      layers between them do not break a run) the 1st, 3rd, 5th… are unpadded
      and the 2nd, 4th… padded by k/2, so 18 → 17 → 18 → 17 …
    """
    d = layer.dilation
    even = layer.stride == 1 and (k[0] % 2 == 0 or k[1] % 2 == 0)
    run = inf.run_before(node.inputs[0]) + 1 if even else 0
    if isinstance(layer.pad, int):
        return (layer.pad, layer.pad), run
    same = ((k[0] - 1) // 2 * d, (k[1] - 1) // 2 * d)
    if layer.pad == "same":
        return same, run
    if layer.pad == "valid":
        return (0, 0), run
    if inf.graph.padding is Padding.SAME:
        return same, run
    if layer.stride > 1:
        return (0, 0), 0
    if even:
        return tuple((kk // 2 * d if run % 2 == 0 else 0) if kk % 2 == 0 else (kk - 1) // 2 * d
                     for kk in k), run  # type: ignore[return-value]
    return same, 0


def _spatial(node: Node, x: Shape, k: tuple[int, int], s: int, p: tuple[int, int], d: int = 1,
             ceil: bool = False) -> tuple[int, int]:
    eff = (d * (k[0] - 1) + 1, d * (k[1] - 1) + 1)
    if x.h + 2 * p[0] < eff[0] or x.w + 2 * p[1] < eff[1]:
        ph, pw = x.h + 2 * p[0], x.w + 2 * p[1]
        _fail(node, f"the {eff[0]}×{eff[1]} window is larger than its padded input {ph}×{pw}",
              hint="pad it (p=…), use a smaller kernel, or remove a downsampling layer before it")
    return out_size(x.h, k[0], s, p[0], d, ceil), out_size(x.w, k[1], s, p[1], d, ceil)


def _conv(inf: _Inferrer, node: Node, ins: list[NodeInfo]) -> ShapeResult:
    layer = node.layer
    assert isinstance(layer, Conv)
    x = _single(node, ins)
    if layer.c_in is not None and layer.c_in != x.c:
        _fail(node, f"this convolution declares {layer.c_in} input channels but receives {x.c}",
              hint=f"write {x.c} as its input channels, or leave them out to infer them")
    g = layer.groups
    if x.c % g or layer.filters % g:
        _fail(node, f"groups g={g} must divide both the input channels ({x.c}) and the filters "
                    f"({layer.filters})", hint="choose a g that divides both")
    return _sliding(inf, node, x, layer, layer.filters)


def _depthwise(inf: _Inferrer, node: Node, ins: list[NodeInfo]) -> ShapeResult:
    layer = node.layer
    assert isinstance(layer, Depthwise)
    x = _single(node, ins)
    return _sliding(inf, node, x, layer, x.c * layer.multiplier)


def _sliding(inf: _Inferrer, node: Node, x: Shape, layer: Conv | Depthwise, c_out: int) -> ShapeResult:
    """A convolution's output, padding, effective (dilated) kernel and stride."""
    k = (layer.kh, layer.kw)
    pad, run = _resolve_pad(inf, node, layer, k)
    h, w = _spatial(node, x, k, layer.stride, pad, layer.dilation)
    d = layer.dilation
    return Shape(h, w, c_out), pad, (d * (k[0] - 1) + 1, d * (k[1] - 1) + 1), \
        (layer.stride, layer.stride), run


def _pool(inf: _Inferrer, node: Node, ins: list[NodeInfo]) -> ShapeResult:
    layer = node.layer
    assert isinstance(layer, Pool)
    x = _single(node, ins)
    k = (layer.kh, layer.kw)
    if 2 * layer.pad > min(k):
        _fail(node, f"pooling padding p={layer.pad} is more than half the {k[0]}×{k[1]} window",
              hint="PyTorch requires p ≤ k/2")
    h, w = _spatial(node, x, k, layer.stride, (layer.pad, layer.pad), ceil=layer.ceil)
    return Shape(h, w, x.c), (layer.pad, layer.pad), k, (layer.stride, layer.stride), 0


def _global(inf: _Inferrer, node: Node, ins: list[NodeInfo]) -> ShapeResult:
    """Whole-map layers act as one window the size of the map."""
    x = _single(node, ins)
    layer = node.layer
    if isinstance(layer, (GlobalPool, ConvClassifier)):
        out = Shape(1, 1, x.c)
        if isinstance(layer, ConvClassifier):
            if layer.classes > x.c:
                _fail(node, f"the convolutional classification layer needs at least as many "
                            f"channels ({x.c}) as classes ({layer.classes})",
                      hint="its channel kernel is dc = channels − classes + 1 ≥ 1")
            out = Shape(1, 1, layer.classes)
    elif isinstance(layer, SPP):
        small = min(x.h, x.w)
        if max(layer.levels) > small:
            _fail(node, f"SPP level {max(layer.levels)}×{max(layer.levels)} needs a map at least "
                        f"that large, but the map is {x.h}×{x.w}",
                  hint="use fewer bins or a larger input")
        out = Shape(1, 1, x.c * sum(n * n for n in layer.levels))
    elif isinstance(layer, (Dense, Flatten)):
        out = Shape(1, 1, layer.units if isinstance(layer, Dense) else x.elements)
    else:
        raise AssertionError(layer)
    return out, (0, 0), (x.h, x.w), (x.h, x.w), 0


def _adaptive(inf: _Inferrer, node: Node, ins: list[NodeInfo]) -> ShapeResult:
    layer = node.layer
    assert isinstance(layer, AdaptivePool)
    x = _single(node, ins)
    kh = max(adaptive_windows(x.h, layer.h))
    kw = max(adaptive_windows(x.w, layer.w))
    return Shape(layer.h, layer.w, x.c), (0, 0), (kh, kw), \
        (max(1, x.h // layer.h), max(1, x.w // layer.w)), 0


def _channelwise(inf: _Inferrer, node: Node, ins: list[NodeInfo]) -> ShapeResult:
    layer = node.layer
    x = _single(node, ins)
    if isinstance(layer, ChannelWise):
        if layer.pad == "same":
            c = -(-x.c // layer.stride)
        else:
            assert isinstance(layer.pad, int)
            if layer.dc > x.c + 2 * layer.pad:
                _fail(node, f"the channel-wise kernel dc={layer.dc} is larger than the "
                            f"{x.c} (padded: {x.c + 2 * layer.pad}) input channels",
                      hint="use a smaller dc, or p=same")
            c = out_size(x.c, layer.dc, layer.stride, layer.pad)
    else:
        assert isinstance(layer, GroupChannelWise)
        if x.c % layer.groups:
            _fail(node, f"groups g={layer.groups} must divide the input channels ({x.c})",
                  hint="choose a g that divides them")
        c = x.c
    return Shape(x.h, x.w, c), (0, 0), (1, 1), (1, 1), 0


def _same(inf: _Inferrer, node: Node, ins: list[NodeInfo]) -> ShapeResult:
    """Element-wise layers: output = input. Passthroughs keep an he2015 run going."""
    x = _single(node, ins)
    layer = node.layer
    if isinstance(layer, SE):
        if layer.squeeze_width(x.c) < 1:
            _fail(node, f"se: {x.c} channels reduced by r={layer.reduction} leave no squeeze "
                        "channels", hint="use a smaller r, or sq=… for the squeeze width")
    if isinstance(layer, Shuffle) and x.c % layer.groups:
        _fail(node, f"shuffle groups g={layer.groups} must divide the channels ({x.c})")
    if isinstance(layer, Chunk):
        if layer.index > layer.parts:
            _fail(node, f"chunk({layer.parts},{layer.index}): there is no slice {layer.index} "
                        f"of {layer.parts}", hint="slices are numbered from 1")
        if x.c % layer.parts:
            _fail(node, f"chunk: {layer.parts} slices must divide the channels ({x.c})")
        x = Shape(x.h, x.w, x.c // layer.parts)
    run = inf.run_before(node.inputs[0]) if isinstance(layer, PASSTHROUGH) else 0
    return x, (0, 0), (1, 1), (1, 1), run


def _merge(inf: _Inferrer, node: Node, ins: list[NodeInfo]) -> ShapeResult:
    shapes = [i.output for i in ins]
    first = shapes[0]
    if isinstance(node.layer, Concat):
        for s in shapes[1:]:
            if (s.h, s.w) != (first.h, first.w):
                _fail(node, "concat needs branches of the same spatial size, got "
                            + ", ".join(str(x) for x in shapes),
                      hint="pad or stride the branches so their H×W agree (e.g. p=1 on a 3×3 pool)")
        return Shape(first.h, first.w, sum(s.c for s in shapes)), (0, 0), (1, 1), (1, 1), 0
    for s in shapes[1:]:
        if s != first:
            _fail(node, "add needs branches of exactly the same shape, got "
                        + ", ".join(str(x) for x in shapes),
                  hint="project the shortcut, e.g. add[ … | 256F(1,1,s=2) ]")
    return first, (0, 0), (1, 1), (1, 1), 0


SHAPE_RULES: dict[Kind, Callable[[_Inferrer, Node, list[NodeInfo]], ShapeResult]] = {
    Kind.CONV: _conv,
    Kind.DEPTHWISE: _depthwise,
    Kind.CHANNELWISE: _channelwise,
    Kind.GROUP_CHANNELWISE: _channelwise,
    Kind.CONV_CLASSIFIER: _global,
    Kind.POOL: _pool,
    Kind.GLOBAL_POOL: _global,
    Kind.ADAPTIVE_POOL: _adaptive,
    Kind.SPP: _global,
    Kind.DENSE: _global,
    Kind.FLATTEN: _global,
    Kind.ACTIVATION: _same,
    Kind.BATCHNORM: _same,
    Kind.LRN: _same,
    Kind.DROPOUT: _same,
    Kind.SE: _same,
    Kind.SHUFFLE: _same,
    Kind.CHUNK: _same,
    Kind.IDENTITY: _same,
    Kind.CONCAT: _merge,
    Kind.ADD: _merge,
}


def infer(graph: Graph) -> list[NodeInfo]:
    """Shapes, padding, receptive field and stage of every node, in order."""
    if graph.input is None:
        first = graph.nodes[0].span if graph.nodes else None
        raise CnnCostError("no input shape: the spec does not say what it is applied to", first,
                           hint="start with Input(224,224,3), set `input:` in YAML, or pass "
                                "--input 224x224x3")
    inf = _Inferrer(graph)
    infos = inf.infos
    for i, node in enumerate(graph.nodes):
        infos.append(inf.node(i, node))
    stages = assign_stages(graph, infos)
    return [NodeInfo(x.inputs, x.output, x.pad, x.rf, x.jump, s) for x, s in zip(infos, stages)]


def assign_stages(graph: Graph, infos: list[NodeInfo]) -> list[str]:
    """Stage label of every node.

    Explicit labels (YAML `stages:`) win. Otherwise a new stage starts at each
    top-level item (a layer, a group, a branch block) that subsamples — its
    cumulative stride (jump) is larger than its input's — as He & Sun's pooling
    layers delimit stages. An unpadded stride-1 layer that trims a border
    (he2015's 18 → 17 → 18) stays in its stage, and a residual block that
    downsamples opens the next stage as a whole. A stage opened by a layer
    whose output is 1×1 (gap, SPP, fc, …) is the "head".
    """
    nodes = graph.nodes
    if nodes and all(n.stage is not None for n in nodes):
        return [n.stage for n in nodes]  # type: ignore[misc]
    assert graph.input is not None
    labels: list[str] = []
    number = 0
    current = ""
    prev_out, prev_jump = graph.input, 1
    i = 0
    while i < len(nodes):
        j = i
        while j + 1 < len(nodes) and nodes[j + 1].unit == nodes[i].unit:
            j += 1
        out, jump = infos[j].output, max(infos[j].jump)
        if i == 0 or (jump > prev_jump and current != "head"):
            if (out.h, out.w) == (1, 1) and (prev_out.h, prev_out.w) != (1, 1):
                current = "head"
            else:
                number += 1
                current = str(number)
        labels.extend([nodes[i].stage or current] * (j - i + 1))
        prev_out, prev_jump = out, jump
        i = j + 1
    return labels
