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

from dataclasses import dataclass
from operator import attrgetter

from .graph import NodeInfo, infer
from .layers import BY_CLASS, Cost, Layer
from .layers.base import Jump
from .metrics import METRICS
from .model import Graph, Shape


def layer_cost(layer: Layer, info: NodeInfo, train_only: bool = False) -> Cost:
    """The kind's rule; a layer of a training-only head (aux[ … ]) keeps its params
    and costs nothing at inference."""
    cost = BY_CLASS[type(layer)].cost(layer, info.inputs, info.output)
    return Cost(params=cost.params) if train_only else cost


# ---------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class LayerCost:
    """One row: a node of the graph and its costs."""

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

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def activations(self) -> int:
        return self.output.elements


_GETTERS = tuple((m.key, attrgetter(m.key)) for m in METRICS)


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums of every metric over a set of rows; computed, never stored beside the rows.
    Read a metric as ``totals.macs`` or ``totals["macs"]``."""

    values: dict[str, int]  # metric key → sum, in METRICS order
    conv_layers: int  # convolutional layers: He & Sun's depth

    def __getattr__(self, key: str) -> int:
        if key == "values":  # not set yet (copying, unpickling)
            raise AttributeError(key)
        try:
            return self.values[key]
        except KeyError:
            raise AttributeError(key) from None

    def __getitem__(self, key: str) -> int:
        return self.values[key]

    @classmethod
    def of(cls, rows: tuple[LayerCost, ...] | list[LayerCost]) -> "Totals":
        values = {key: sum(map(get, rows)) for key, get in _GETTERS}
        return cls(values, sum(1 for r in rows if BY_CLASS[type(r.layer)].conv))


@dataclass(frozen=True, slots=True)
class StageCost:
    name: str
    rows: tuple[LayerCost, ...]

    @property
    def output(self) -> Shape:
        return self.rows[-1].output

    @property
    def totals(self) -> Totals:
        return Totals.of(self.rows)


@dataclass(frozen=True, slots=True)
class NetworkCost:
    name: str
    input: Shape
    padding: str
    rows: tuple[LayerCost, ...]
    graph: Graph

    @property
    def totals(self) -> Totals:
        return Totals.of(self.rows)

    @property
    def stages(self) -> tuple[StageCost, ...]:
        order: dict[str, list[LayerCost]] = {}
        for r in self.rows:
            order.setdefault(r.stage, []).append(r)
        return tuple(StageCost(name, tuple(rows)) for name, rows in order.items())


def _row_name(layer: Layer, counters: dict[str, int]) -> str:
    prefix = BY_CLASS[type(layer)].prefix
    if not isinstance(prefix, str):
        prefix = prefix(layer)
    counters[prefix] = counters.get(prefix, 0) + 1
    sep = "_" if prefix[-1].isdigit() else ""  # relu6_1, not relu61
    return f"{prefix}{sep}{counters[prefix]}"


def analyze(graph: Graph) -> NetworkCost:
    """Graph → per-layer costs. Pure: no I/O, exact integers."""
    infos = infer(graph)
    counters: dict[str, int] = {}
    rows = []
    for i, (node, info) in enumerate(zip(graph.nodes, infos)):
        cost = layer_cost(node.layer, info, node.train_only)
        rows.append(LayerCost(
            index=i + 1, name=_row_name(node.layer, counters), kind=node.layer.kind,
            layer=node.layer, inputs=tuple(j + 1 for j in node.inputs), stage=info.stage,
            output=info.output, params=cost.params, macs=cost.macs,
            complexity=cost.complexity, ops=cost.ops, rf=max(info.rf), jump=max(info.jump),
        ))
    assert graph.input is not None
    return NetworkCost(graph.name, graph.input, graph.padding.value, tuple(rows), graph)
