"""Shape inference, validation, receptive fields and stages.

:func:`infer` walks a Graph once, in order (nodes only read earlier nodes), and
returns one :class:`NodeInfo` per node. Each layer's shape rule lives with its
kind (:mod:`cnncost.layers`); every error it raises is given the span of the
token the user typed.
"""

from __future__ import annotations

from .errors import CnnCostError
from .layers import BY_CLASS, Ctx, Layer, ShapeError
from .layers.base import Jump
from .model import INPUT, Graph, Node, Padding, Shape
from .record import NamedTuple

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any


class NodeInfo(NamedTuple):
    """What shape inference learns about one node (a named tuple: made once per
    node, on the hot path)."""

    inputs: tuple[Shape, ...]  # shapes of the tensors it reads
    output: Shape  # shape of the tensor it produces
    pad: tuple[int, int, int, int]  # padding used: top, bottom, left, right; 0s where none
    rf: tuple[Jump, Jump]  # receptive field (h, w) of one output unit on the network input
    jump: tuple[Jump, Jump]  # distance on the input between adjacent output units
    stage: str  # stage label


def _whole(x: Jump) -> Jump:
    """A Fraction that is whole becomes an int again (the common, fast case)."""
    return x.numerator if type(x) is not int and x.denominator == 1 else x


class Inferrer:
    """Infers nodes one at a time, in order; lowering uses it to learn a block's
    input channels before expanding the block."""

    def __init__(self, input: Shape, padding: Padding) -> None:
        self.input_info = NodeInfo((), input, (0, 0, 0, 0), (1, 1), (1, 1), "")
        self.padding = padding
        self.infos: list[NodeInfo] = []
        self.shaped: list[tuple[Any, int, Layer]] = []  # each node's entry of the memo below
        self.run: list[int] = []  # position in a run of even-kernel stride-1 convs (he2015)
        self._ctx: dict[int, Ctx] = {}  # one Ctx per he2015 run position
        # A kind's shape rule is pure: the same layer object on inputs of the same
        # shapes at the same run position gives the same Geometry (a repeat's layers,
        # a generated spec's). Keyed by the layer's id (hashing the record is slower
        # than most rules); each entry holds the layer, so its id is not reused.
        self._geometry: dict[tuple[Any, ...], tuple[Any, int, Layer]] = {}

    def info(self, node_id: int) -> NodeInfo:
        return self.input_info if node_id == INPUT else self.infos[node_id]

    def add(self, node: Node) -> NodeInfo:
        inputs = node.inputs
        infos = self.infos
        layer = node.layer
        first = inputs[0]
        run_before = 0 if first == INPUT else self.run[first]
        if len(inputs) == 1:  # most nodes: one input, no lists
            one = self.input_info if first == INPUT else infos[first]
            x = one.output
            shapes: tuple[Shape, ...] = (x,)
            key: tuple[Any, ...] = (id(layer), run_before, x.h, x.w, x.c)
        else:
            ins = [self.input_info if j == INPUT else infos[j] for j in inputs]  # self.info(j)
            shapes = tuple([x.output for x in ins])
            key = (id(layer), run_before, *[(x.h, x.w, x.c) for x in shapes])
        known = self._geometry.get(key)
        if known is None:
            known = self._geometry[key] = self._shape(node, run_before, shapes)
        self.shaped.append(known)
        geo, run_after, _ = known
        self.run.append(run_after)
        out = geo.out
        # Receptive field: the largest over the inputs, grown by this layer's window.
        # A gate that broadcasts (mul[ x | gap → … ]) does not count, as se(…) does not.
        if len(inputs) == 1:
            rf_in, jump_in = one.rf, one.jump
        else:
            if (out.h, out.w) != (1, 1):
                ins = [x for x in ins if (x.output.h, x.output.w) == (out.h, out.w)] or ins
            rf_in = (max(x.rf[0] for x in ins), max(x.rf[1] for x in ins))
            jump_in = (max(x.jump[0] for x in ins), max(x.jump[1] for x in ins))
        (kh, kw), (sh, sw) = geo.kernel, geo.stride
        if kh == kw == sh == sw == 1 and type(sh) is int and type(sw) is int:
            rf, jump = rf_in, jump_in  # a 1×1 window, stride 1: as its input's
        else:
            (rf_h, rf_w), (j_h, j_w) = rf_in, jump_in
            rf = (rf_h + (kh - 1) * j_h, rf_w + (kw - 1) * j_w)
            jump = (j_h * sh, j_w * sw)
            if type(sh) is not int or type(sw) is not int or type(j_h) is not int \
                    or type(j_w) is not int:  # a Fraction somewhere (after upsampling)
                rf, jump = (_whole(rf[0]), _whole(rf[1])), (_whole(jump[0]), _whole(jump[1]))
        info = tuple.__new__(NodeInfo, (shapes, out, geo.pad, rf, jump, ""))  # NodeInfo(…), fast
        infos.append(info)
        return info

    def _shape(self, node: Node, run_before: int, shapes: tuple[Shape, ...]
               ) -> tuple[Any, int, Layer]:
        """The kind's shape rule on this node's inputs: its Geometry and the run
        position after it, checked (with the layer, which the memo keeps alive)."""
        layer = node.layer
        kdef = BY_CLASS[type(layer)]
        ctx = self._ctx.get(run_before)
        if ctx is None:
            ctx = self._ctx[run_before] = Ctx(self.padding, run_before)
        try:
            geo = kdef.shape(layer, ctx, shapes)
        except ShapeError as e:
            raise CnnCostError(e.message, node.span, e.hint) from None
        out = geo.out
        if out.h < 1 or out.w < 1 or out.c < 1:
            raise CnnCostError(f"the map shrinks below 1×1 here ({shapes[0]} → "
                               f"{out.h}x{out.w}x{out.c})", node.span,
                               hint="remove a downsampling layer or use a larger input")
        return geo, run_before if kdef.passthrough else geo.run, layer


def infer(graph: Graph) -> list[NodeInfo]:
    """Shapes, padding, receptive field and stage of every node, in order."""
    infos, stages, _ = infer_unstaged(graph)
    return [NodeInfo(x.inputs, x.output, x.pad, x.rf, x.jump, s) for x, s in zip(infos, stages)]


def infer_unstaged(graph: Graph) -> tuple[list[NodeInfo], list[str], list[Any]]:
    """infer's infos with their stage left "", the stage labels beside them
    (costs.analyze reads both, without making every info twice), and each node's
    entry of the shape rule's memo (Inferrer.shaped: costs._costs keys its own by it)."""
    inf = Inferrer(require_input(graph), graph.padding)
    add = inf.add
    for node in graph.nodes:
        add(node)
    return inf.infos, assign_stages(graph, inf.infos), inf.shaped


def require_input(graph: Graph) -> Shape:
    if graph.input is None:
        first = graph.nodes[0].span if graph.nodes else None
        raise CnnCostError("no input shape: the spec does not say what it is applied to", first,
                           hint="start with Input(224,224,3), set `input:` in YAML, or give "
                                "an input shape with the spec",
                           cli_hint="start with Input(224,224,3), set `input:` in YAML, or pass "
                                    "--input 224x224x3 (to the commands that take it)")
    return graph.input


def assign_stages(graph: Graph, infos: list[NodeInfo]) -> list[str]:
    """Stage label of every node.

    Explicit labels (YAML `stages:`) win. Otherwise a new stage starts at each
    top-level item (a layer, a group, a branch block) that changes the
    cumulative stride (jump): one that subsamples, as He & Sun's pooling layers
    delimit stages, or one that upsamples, as each level of a decoder does. An
    unpadded stride-1 layer that trims a border (he2015's 18 → 17 → 18) stays in
    its stage, and a residual block that downsamples opens the next stage as a
    whole. A stage opened by a layer whose output is 1×1 (gap, SPP, fc, …) is
    the "head". A training-only head (aux[ … ]) stays in the stage it branches from.
    """
    nodes = graph.nodes
    if nodes and all(n.stage is not None for n in nodes):
        return [n.stage for n in nodes]  # type: ignore[misc]
    assert graph.input is not None
    labels: list[str] = []
    number = 0
    current = ""
    prev_out: Shape = graph.input
    prev_jump: Jump = 1
    i = 0
    n = len(nodes)
    while i < n:
        j = i
        unit = nodes[i].unit
        while j + 1 < n and nodes[j + 1].unit == unit:
            j += 1
        info = infos[j]
        out, (j_h, j_w) = info.output, info.jump
        jump = j_h if j_h >= j_w else j_w  # max(info.jump)
        if nodes[j].train_only and i > 0:  # an aux[ … ] head stays in the stage it leaves
            labels.extend([nodes[i].stage or current] * (j - i + 1))
            i = j + 1
            continue
        if i == 0 or (jump != prev_jump and current != "head"):
            if (out.h, out.w) == (1, 1) and (prev_out.h, prev_out.w) != (1, 1):
                current = "head"
            else:
                number += 1
                current = str(number)
        if i == j:  # a unit of one node, as most are
            labels.append(nodes[i].stage or current)
        else:
            labels.extend([nodes[i].stage or current] * (j - i + 1))
        prev_out, prev_jump = out, jump
        i = j + 1
    return labels
