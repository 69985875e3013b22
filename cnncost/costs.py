"""Per-layer costs from the layer registry, and `analyze`.

The counting convention (notation §7), written once; each kind's rule lives
with the kind in :mod:`cnncost.layers`:

- **params**: weights + biases (+ BatchNorm's γ and β; running statistics are
  buffers, not parameters).
- **MACs**: multiply-accumulates of convolution and fully connected layers,
  bias excluded — the convention behind torchvision's published "GFLOPS", and
  half of what ``torch.utils.flop_counter.FlopCounterMode`` reports.
  Conv: kh·kw·(c_in/g)·n·H_out·W_out. FC: in·out. Transposed conv: per *input*
  position, kh·kw·(c_in/g)·n·H_in·W_in, as FlopCounterMode counts it.
- **FLOPs**: 2 × MACs.
- **ops**: everything else that touches elements — pooling, activations,
  normalisation, resampling, element-wise sums and products — counted per
  output element with the weights documented at each rule; never folded into MACs.
- **complexity**: He & Sun's Eq. (1), Σ n_{l−1}·s_l²·n_l·m_l² over convolutional
  layers only (c_in/g for grouped, kh·kw for non-square kernels): equal to a
  convolution's MACs; fully connected and pooling layers contribute 0.
- **activations**: elements of each layer's output tensor.

Every layer kind has a cost rule (the registry requires one); a kind without
one cannot be declared, so nothing counts as a silent zero.
"""

from __future__ import annotations

from _operator import and_, attrgetter, mul, not_  # operator.py is only its re-export of these

from .graph import NodeInfo, infer_unstaged
from .layers import BY_CLASS, Cost, Layer
from .layers.base import Jump
from .memory import FIELDS as MEM_FIELDS
from .metrics import METRICS
from .model import Graph, Level, Shape
from .record import NamedTuple, Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any


def layer_cost(layer: Layer, info: NodeInfo) -> Cost:
    """The kind's rule: what the layer costs when it runs."""
    return BY_CLASS[type(layer)].cost(layer, info.inputs, info.output)


# ---------------------------------------------------------------------------
# Results


class LayerCost(NamedTuple):
    """One row: a node of the graph and its costs (a named tuple: made once per
    layer, on the hot path, at a fifth of a record's cost)."""

    index: int  # position in topological order, from 1
    name: str  # conv1, pool1, fc1, … (numbered per kind)
    kind: str  # the layer kind (layers.KINDS), e.g. "conv"
    layer: Layer  # the layer spec it was computed from
    inputs: tuple[int, ...]  # indices of the rows it reads (0 = the network input)
    stage: str
    output: Shape
    params: int
    macs: int
    complexity: int
    ops: int
    rf: Jump  # receptive field (the larger of height and width), input pixels
    jump: Jump  # cumulative stride on the input; a Fraction after upsampling
    train_only: bool = False  # in an aux[ … ] head: params only, nothing at inference
    mem: tuple[int, ...] = (0, 0, 0, 0, 0, 0)  # memory.FIELDS, at the analysis' batch, dtype
    path: tuple[Level, ...] = ()  # the blocks, branches and repeats it is inside (model.Level)

    @property
    def flops(self) -> int:
        return 2 * self.macs

    # memory and training cost (cnncost.memory)
    param_bytes = property(lambda self: self.mem[0])
    activation_bytes = property(lambda self: self.mem[1])
    live_bytes = property(lambda self: self.mem[2])  # outputs alive while it runs; max: the peak
    train_saved_bytes = property(lambda self: self.mem[3])
    train_flops = property(lambda self: self.mem[4])
    bytes_moved = property(lambda self: self.mem[5])

    @property
    def activations(self) -> int:
        return self.output.elements


_TOTAL_OF = {m.key: m.total_name for m in METRICS}  # live_bytes → peak_activation_bytes
_GETTERS = tuple((m.total_name, max if m.total == "max" else sum, attrgetter(m.key))
                 for m in METRICS)
# where each metric sits: in LayerCost.mem (memory.FIELDS' order), or a field of its own
_IN_MEM = tuple(MEM_FIELDS.index(m.key) if m.key in MEM_FIELDS else None for m in METRICS)
_FIELD = tuple(m.key if m.key in (*LayerCost._fields, "activations", "flops") else None
               for m in METRICS)
_HWC = attrgetter("h", "w", "c")
_STAGE = attrgetter("stage")
_CONV_CLASSES = frozenset(cls for cls, kind in BY_CLASS.items() if kind.conv)


class Totals(Record):
    """Sums of every metric over a set of rows; computed, never stored beside the rows.
    Read a metric as ``totals.macs`` or ``totals["macs"]``."""

    values: dict[str, int]  # metric total_name → sum (or peak), in METRICS order
    conv_layers: int  # convolutional layers: He & Sun's depth

    def __getattr__(self, key: str) -> int:
        if key == "values":  # not set yet (copying, unpickling)
            raise AttributeError(key)
        try:
            return self.values[_TOTAL_OF.get(key, key)]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> int:
        """By metric key or total name: totals["live_bytes"] is the peak."""
        return self.values[_TOTAL_OF.get(key, key)]

    @classmethod
    def of(cls, rows: tuple[LayerCost, ...] | list[LayerCost]) -> "Totals":
        if not rows:
            return cls({key: total(map(get, rows)) for key, total, get in _GETTERS}, 0)
        # A row's fields and its memory figures column by column, the FLOPs and the
        # activations from theirs (no property read a row: each is a Python call).
        columns = dict(zip(LayerCost._fields, zip(*rows)))
        mem = list(zip(*columns["mem"]))
        hs, ws, cs = zip(*map(_HWC, columns["output"]))
        columns["activations"] = tuple(map(mul, map(mul, hs, ws), cs))
        columns["flops"] = ()  # 2·MACs, row by row: twice the MACs' sum, below
        values = {key: total(mem[i]) if i is not None else
                  total(columns[f]) if f is not None else total(map(get, rows))
                  for (key, total, get), i, f in zip(_GETTERS, _IN_MEM, _FIELD)}
        if "flops" in values:
            values["flops"] = 2 * values["macs"]
        conv = map(_CONV_CLASSES.__contains__, map(type, columns["layer"]))
        return cls(values, sum(map(and_, conv, map(not_, columns["train_only"]))))

    @classmethod
    def combine(cls, parts: list["Totals"]) -> "Totals":
        """The totals of rows split into these parts, from the parts' totals (each
        metric's sums summed, its peaks' peak): the network's from its stages'."""
        values = {key: total([p.values[key] for p in parts]) for key, total, _ in _GETTERS}
        return cls(values, sum(p.conv_layers for p in parts))


class StageCost(Record):
    name: str
    rows: tuple[LayerCost, ...]

    @property
    def output(self) -> Shape:
        """The stage's output: its last layer's (an aux[ … ] head's is not)."""
        return next((r for r in reversed(self.rows) if not r.train_only), self.rows[-1]).output

    @property
    def totals(self) -> Totals:
        return Totals.of(self.rows)


class NetworkCost(Record):
    name: str
    input: Shape
    padding: str
    rows: tuple[LayerCost, ...]
    graph: Graph
    batch: int = 1  # samples per batch, for the memory metrics
    dtype: str = "fp32"  # element type of activations and weights, for the memory metrics

    @property
    def totals(self) -> Totals:
        return Totals.of(self.rows)

    @property
    def stages(self) -> tuple[StageCost, ...]:
        from itertools import groupby
        rows, at = self.rows, 0
        order: dict[str, list[LayerCost]] = {}  # a stage's rows, wherever they are
        for name, run in groupby(map(_STAGE, rows)):  # runs of one stage, read in C
            end = at + len(list(run))
            order.setdefault(name, []).extend(rows[at:end])
            at = end
        return tuple(StageCost(name, tuple(rows)) for name, rows in order.items())


def _prefix(layer: Layer) -> str:
    """What a layer's row name starts with: its kind's prefix, then its number
    (relu6_1, not relu61)."""
    prefix = BY_CLASS[type(layer)].prefix
    if not isinstance(prefix, str):
        prefix = prefix(layer)
    return f"{prefix}_" if prefix[-1].isdigit() else prefix


def _costs(graph: Graph, infos: list[NodeInfo], shaped: list[Any]) -> list[Cost]:
    """layer_cost of every node. A kind's rule is pure: the same layer object on
    inputs and an output of the same shapes costs the same (a repeat's layers, a
    generated spec's), so each is asked once: once for each entry of the shape
    rule's memo (`shaped`, graph.Inferrer's, one a node), which is one layer on
    inputs of the same shapes, and so one output, kept alive by the list."""
    known: dict[int, Cost] = {}
    out = []
    for node, info, entry in zip(graph.nodes, infos, shaped):
        cost = known.get(id(entry))
        if cost is None:
            layer = node.layer
            cost = known[id(entry)] = BY_CLASS[type(layer)].cost(layer, info.inputs, info.output)
        out.append(cost)
    return out


def analyze(graph: Graph, batch: int = 1, dtype: str = "fp32") -> NetworkCost:
    """Graph → per-layer costs. Pure: no I/O, exact integers. `batch` and `dtype`
    (fp32, fp16, bf16, int8) size the memory metrics (cnncost.memory).

    A layer of a training-only head (aux[ … ]) keeps its params and costs nothing
    at inference."""
    from .memory import memory
    infos, stages, shaped = infer_unstaged(graph)
    costs = _costs(graph, infos, shaped)
    mems = memory(graph, infos, costs, batch, dtype)
    counters: dict[str, int] = {}
    prefixes: dict[int, str] = {}  # each layer object's name prefix (the rows keep the layers)
    rows = []
    append, new = rows.append, tuple.__new__
    for i, (node, info, stage, cost, mem) in enumerate(zip(graph.nodes, infos, stages, costs, mems)):
        layer = node.layer
        if node.train_only:
            cost = Cost(params=cost.params)
        prefix = prefixes.get(id(layer))
        if prefix is None:
            prefix = prefixes[id(layer)] = _prefix(layer)
        number = counters[prefix] = counters.get(prefix, 0) + 1
        inputs = node.inputs
        (rf_h, rf_w), (j_h, j_w) = info.rf, info.jump
        append(new(LayerCost, (  # LayerCost(…), without its __new__'s Python frame
            i + 1, f"{prefix}{number}", layer.kind, layer,
            (inputs[0] + 1,) if len(inputs) == 1 else tuple([j + 1 for j in inputs]), stage,
            info.output, cost.params, cost.macs, cost.complexity, cost.ops,
            rf_h if rf_h >= rf_w else rf_w, j_h if j_h >= j_w else j_w, node.train_only, mem,
            node.path,
        )))
    assert graph.input is not None
    return NetworkCost(graph.name, graph.input, graph.padding.value, tuple(rows), graph, batch,
                       dtype)
