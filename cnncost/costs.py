"""One pure cost rule per layer kind, the registry, and `analyze`.

The counting convention (notation §7), written once:

- **params**: weights + biases (+ BatchNorm's γ and β; running statistics are
  buffers, not parameters).
- **MACs**: multiply-accumulates of convolution and fully connected layers,
  bias excluded — the convention behind torchvision's published "GFLOPS", and
  half of what ``torch.utils.flop_counter.FlopCounterMode`` reports.
  Conv: kh·kw·(c_in/g)·n·H_out·W_out. FC: in·out.
- **FLOPs**: 2 × MACs.
- **ops**: everything else that touches elements — pooling, activations,
  normalisation, element-wise sums and products — counted per output element
  with the weights in :data:`ACT_OPS` and the rules below; never folded into MACs.
- **complexity**: He & Sun's Eq. (1), Σ n_{l−1}·s_l²·n_l·m_l² over convolutional
  layers only (c_in/g for grouped, kh·kw for non-square kernels): equal to a
  convolution's MACs; fully connected and pooling layers contribute 0.
- **activations**: elements of each layer's output tensor.

A layer kind without a rule here is a bug, not a zero: ``RULES`` is checked to
cover every :class:`~cnncost.model.Kind` by a test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .graph import NodeInfo, adaptive_windows, infer
from .model import (
    LRN, SE, SPP, Act, Activation, AdaptivePool, ChannelWise, Conv, ConvClassifier, Dense,
    Depthwise, Graph, GroupChannelWise, Kind, Layer, Pool, Shape,
)


@dataclass(frozen=True, slots=True)
class Cost:
    params: int = 0
    macs: int = 0
    complexity: int = 0  # He & Sun Eq. (1); conv layers only
    ops: int = 0


FREE = Cost()  # explicitly free: identity, concat, flatten, dropout, shuffle

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
}
BN_OPS = 2  # per element at inference: one multiply, one add
LRN_EXTRA_OPS = 3  # per element, besides `size` squares-and-adds: scale, power, divide


def conv_cost(layer: Conv, x: Shape, out: Shape) -> Cost:
    """kh·kw·(c_in/g)·n weights (+ n biases); MACs = weights·H_out·W_out = Eq. (1)."""
    weights = layer.kh * layer.kw * (x.c // layer.groups) * layer.filters
    macs = weights * out.h * out.w
    return Cost(weights + (layer.filters if layer.bias else 0), macs, macs)


def depthwise_cost(layer: Depthwise, x: Shape, out: Shape) -> Cost:
    """groups = c_in: kh·kw·1·(m·c_in) weights; Eq. (1) with n_{l−1}/g = 1."""
    weights = layer.kh * layer.kw * out.c
    macs = weights * out.h * out.w
    return Cost(weights + (out.c if layer.bias else 0), macs, macs)


def channelwise_cost(layer: ChannelWise, x: Shape, out: Shape) -> Cost:
    """ChannelNets §3.1: one 1-D kernel of dc weights shared across the map;
    each output element costs dc multiply-adds: dc·c_out·H·W."""
    macs = layer.dc * out.elements
    return Cost(layer.dc + (1 if layer.bias else 0), macs, macs)


def group_channelwise_cost(layer: GroupChannelWise, x: Shape, out: Shape) -> Cost:
    """ChannelNets §3.2: g channel-wise convolutions (stride g, c/g outputs each)
    of dc weights each: g·dc params, dc multiply-adds per output element."""
    macs = layer.dc * out.elements
    return Cost(layer.groups * layer.dc + (layer.groups if layer.bias else 0), macs, macs)


def conv_classifier_cost(layer: ConvClassifier, x: Shape, out: Shape) -> Cost:
    """ChannelNets §3.4: a df×df×dc kernel, dc = m − n + 1, no padding, sliding
    along the m channels to give n outputs: df²·dc params, df²·dc·n MACs."""
    dc = layer.channel_kernel(x.c)
    weights = x.h * x.w * dc
    macs = weights * layer.classes
    return Cost(weights + (1 if layer.bias else 0), macs, macs)


def dense_cost(layer: Dense, x: Shape, out: Shape) -> Cost:
    """in·out weights (+ out biases); a spatial input is flattened (in = H·W·C).
    Excluded from Eq. (1), as in He & Sun."""
    macs = x.elements * layer.units
    return Cost(macs + (layer.units if layer.bias else 0), macs, 0)


def pool_cost(layer: Pool, x: Shape, out: Shape) -> Cost:
    """One op per window element per output element: kh·kw·H_out·W_out·C."""
    return Cost(ops=layer.kh * layer.kw * out.elements)


def global_pool_cost(layer: Layer, x: Shape, out: Shape) -> Cost:
    """Every input element once: H·W·C."""
    return Cost(ops=x.elements)


def _adaptive_ops(x: Shape, oh: int, ow: int) -> int:
    """Σ over output cells of their window area, × C (PyTorch's adaptive windows)."""
    return sum(adaptive_windows(x.h, oh)) * sum(adaptive_windows(x.w, ow)) * x.c


def adaptive_pool_cost(layer: AdaptivePool, x: Shape, out: Shape) -> Cost:
    return Cost(ops=_adaptive_ops(x, layer.h, layer.w))


def spp_cost(layer: SPP, x: Shape, out: Shape) -> Cost:
    """Each level is an adaptive max pooling to n×n bins (as PyTorch SPP code
    does); ops = Σ_levels Σ_bins window area × C."""
    return Cost(ops=sum(_adaptive_ops(x, n, n) for n in layer.levels))


def activation_cost(layer: Activation, x: Shape, out: Shape) -> Cost:
    return Cost(ops=ACT_OPS[layer.fn] * out.elements)


def batchnorm_cost(layer: Layer, x: Shape, out: Shape) -> Cost:
    """γ and β per channel are params; the running mean and variance are buffers."""
    return Cost(params=2 * x.c, ops=BN_OPS * out.elements)


def lrn_cost(layer: LRN, x: Shape, out: Shape) -> Cost:
    return Cost(ops=(layer.size + LRN_EXTRA_OPS) * out.elements)


def se_cost(layer: SE, x: Shape, out: Shape) -> Cost:
    """gap → fc(C→sq) → act → fc(sq→C) → gate → channel-wise multiply, with
    biases (as torchvision's 1×1 convs). The two fc layers are MACs (2·C·sq),
    and, being fully connected on a 1×1 map, are outside Eq. (1)."""
    c = x.c
    sq = layer.squeeze_width(c)
    ops = x.elements + ACT_OPS[layer.act] * sq + ACT_OPS[layer.gate] * c + out.elements
    return Cost(params=2 * c * sq + sq + c, macs=2 * c * sq, ops=ops)


def add_cost(layer: Layer, x: Shape, out: Shape, n_inputs: int = 2) -> Cost:
    """(k − 1) additions per output element for k inputs."""
    return Cost(ops=(n_inputs - 1) * out.elements)


def _free(layer: Layer, x: Shape, out: Shape) -> Cost:
    return FREE


Rule = Callable[..., Cost]

RULES: dict[Kind, Rule] = {
    Kind.CONV: conv_cost,
    Kind.DEPTHWISE: depthwise_cost,
    Kind.CHANNELWISE: channelwise_cost,
    Kind.GROUP_CHANNELWISE: group_channelwise_cost,
    Kind.CONV_CLASSIFIER: conv_classifier_cost,
    Kind.POOL: pool_cost,
    Kind.GLOBAL_POOL: global_pool_cost,
    Kind.ADAPTIVE_POOL: adaptive_pool_cost,
    Kind.SPP: spp_cost,
    Kind.DENSE: dense_cost,
    Kind.ACTIVATION: activation_cost,
    Kind.BATCHNORM: batchnorm_cost,
    Kind.LRN: lrn_cost,
    Kind.SE: se_cost,
    Kind.ADD: add_cost,
    Kind.DROPOUT: _free,  # identity at inference
    Kind.FLATTEN: _free,  # a reshape
    Kind.SHUFFLE: _free,  # a permutation of channels
    Kind.CHUNK: _free,  # a view of some channels
    Kind.IDENTITY: _free,
    Kind.CONCAT: _free,  # a copy, no arithmetic
}

# Kinds that count as convolutional layers: He & Sun's depth d in Eq. (1).
CONV_KINDS = frozenset({Kind.CONV, Kind.DEPTHWISE, Kind.CHANNELWISE, Kind.GROUP_CHANNELWISE,
                        Kind.CONV_CLASSIFIER})


def layer_cost(layer: Layer, info: NodeInfo) -> Cost:
    rule = RULES[layer.kind]
    if layer.kind is Kind.ADD:
        return add_cost(layer, info.inputs[0], info.output, len(info.inputs))
    return rule(layer, info.inputs[0], info.output)


# ---------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True)
class LayerCost:
    """One row: a node of the graph and its costs."""

    index: int  # position in topological order, from 1
    name: str  # conv1, pool1, fc1, … (numbered per kind)
    kind: Kind
    layer: Layer  # the layer spec it was computed from
    inputs: tuple[int, ...]  # indices of the rows it reads (0 = the network input)
    stage: str
    output: Shape
    params: int
    macs: int
    complexity: int
    ops: int
    rf: int  # receptive field (the larger of height and width), input pixels
    jump: int  # cumulative stride on the input

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @property
    def activations(self) -> int:
        return self.output.elements


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums over a set of rows; computed, never stored beside the rows."""

    params: int
    macs: int
    complexity: int
    activations: int
    ops: int
    conv_layers: int

    @property
    def flops(self) -> int:
        return 2 * self.macs

    @classmethod
    def of(cls, rows: tuple[LayerCost, ...] | list[LayerCost]) -> "Totals":
        return cls(
            params=sum(r.params for r in rows),
            macs=sum(r.macs for r in rows),
            complexity=sum(r.complexity for r in rows),
            activations=sum(r.activations for r in rows),
            ops=sum(r.ops for r in rows),
            conv_layers=sum(1 for r in rows if r.kind in CONV_KINDS),
        )


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


_NAME_PREFIX: dict[Kind, str] = {
    Kind.CONV: "conv", Kind.DEPTHWISE: "dw", Kind.CHANNELWISE: "cw",
    Kind.GROUP_CHANNELWISE: "gcw", Kind.CONV_CLASSIFIER: "ccl", Kind.POOL: "pool",
    Kind.GLOBAL_POOL: "pool", Kind.ADAPTIVE_POOL: "pool", Kind.SPP: "spp", Kind.DENSE: "fc",
    Kind.BATCHNORM: "bn", Kind.LRN: "lrn", Kind.DROPOUT: "dropout", Kind.FLATTEN: "flatten",
    Kind.SE: "se", Kind.SHUFFLE: "shuffle", Kind.CHUNK: "chunk", Kind.IDENTITY: "id", Kind.CONCAT: "concat",
    Kind.ADD: "add",
}


def _row_name(layer: Layer, counters: dict[str, int]) -> str:
    prefix = layer.fn.value if isinstance(layer, Activation) else _NAME_PREFIX[layer.kind]
    counters[prefix] = counters.get(prefix, 0) + 1
    sep = "_" if prefix[-1].isdigit() else ""  # relu6_1, not relu61
    return f"{prefix}{sep}{counters[prefix]}"


def analyze(graph: Graph) -> NetworkCost:
    """Graph → per-layer costs. Pure: no I/O, exact integers."""
    infos = infer(graph)
    counters: dict[str, int] = {}
    rows = []
    for i, (node, info) in enumerate(zip(graph.nodes, infos)):
        cost = layer_cost(node.layer, info)
        rows.append(LayerCost(
            index=i + 1, name=_row_name(node.layer, counters), kind=node.layer.kind,
            layer=node.layer, inputs=tuple(j + 1 for j in node.inputs), stage=info.stage,
            output=info.output, params=cost.params, macs=cost.macs,
            complexity=cost.complexity, ops=cost.ops, rf=max(info.rf), jump=max(info.jump),
        ))
    assert graph.input is not None
    return NetworkCost(graph.name, graph.input, graph.padding.value, tuple(rows), graph)
