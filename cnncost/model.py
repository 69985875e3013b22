"""Frozen value types: shapes, one typed spec per layer kind, nodes and graphs.

Nothing here computes costs or parses text; these are the values that flow
from the parser (notation.py, yaml_spec.py) through shape inference (graph.py)
to the cost rules (costs.py).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import ClassVar, Union

from .errors import Span


@dataclass(frozen=True, slots=True)
class Shape:
    """A tensor H×W×C. A flat vector of n features is 1×1×n."""

    h: int  # height
    w: int  # width
    c: int  # channels

    @property
    def elements(self) -> int:
        return self.h * self.w * self.c

    def __str__(self) -> str:
        return f"{self.h}x{self.w}x{self.c}"


class Padding(str, enum.Enum):
    """Padding policies (notation §8)."""

    SAME = "same"  # p = ⌊(k−1)/2⌋·d per side unless p= is given (torchvision)
    HE2015 = "he2015"  # He & Sun's convention; see graph.resolve_conv_padding


class Kind(str, enum.Enum):
    """Every layer kind. The cost registry (costs.RULES) has one rule per kind."""

    CONV = "conv"
    DEPTHWISE = "dw"
    CHANNELWISE = "cw"
    GROUP_CHANNELWISE = "gcw"
    CONV_CLASSIFIER = "ccl"
    POOL = "pool"
    GLOBAL_POOL = "global_pool"
    ADAPTIVE_POOL = "adaptive_pool"
    SPP = "spp"
    DENSE = "fc"
    ACTIVATION = "act"
    BATCHNORM = "bn"
    LRN = "lrn"
    DROPOUT = "dropout"
    FLATTEN = "flatten"
    SE = "se"
    SHUFFLE = "shuffle"
    CHUNK = "chunk"
    IDENTITY = "id"
    CONCAT = "concat"
    ADD = "add"


# An explicit padding: an int per side, or the words "same"/"valid".
# None means "not given": the graph's padding policy decides.
Pad = Union[int, str, None]


@dataclass(frozen=True, slots=True)
class Conv:
    """n filters of kh×kw over c_in/groups input channels each."""

    kind: ClassVar[Kind] = Kind.CONV
    filters: int  # n, the number of output channels
    kh: int  # kernel height
    kw: int  # kernel width
    stride: int = 1
    pad: Pad = None  # explicit p=, else the policy decides
    groups: int = 1
    dilation: int = 1
    bias: bool = True  # on by default, as in Caffe
    c_in: int | None = None  # declared input channels, checked against the inferred ones


@dataclass(frozen=True, slots=True)
class Depthwise:
    """Depthwise conv: groups = c_in, `multiplier` filters per input channel."""

    kind: ClassVar[Kind] = Kind.DEPTHWISE
    kh: int
    kw: int
    multiplier: int = 1  # channel multiplier m: c_out = m·c_in
    stride: int = 1
    pad: Pad = None
    dilation: int = 1
    bias: bool = True


@dataclass(frozen=True, slots=True)
class ChannelWise:
    """ChannelNets' channel-wise convolution (arXiv 1809.01330, §3.1).

    One 1-D kernel of size dc slides along the channel axis with stride s,
    shared by every spatial position: params dc, cost dc·n_out·H·W. With
    p=same (the paper's "appropriate padding", TensorFlow SAME) m input channels
    give ⌈m/s⌉ outputs; with an integer p they give ⌊(m + 2p − dc)/s⌋ + 1.
    """

    kind: ClassVar[Kind] = Kind.CHANNELWISE
    dc: int  # kernel size along channels
    stride: int = 1  # stride along channels
    pad: int | str = "same"  # zero padding per end of the channel axis, or "same"
    bias: bool = False


@dataclass(frozen=True, slots=True)
class GroupChannelWise:
    """ChannelNets' group channel-wise convolution (arXiv 1809.01330, §3.2).

    A fusion layer after a g-group convolution: g independent channel-wise
    convolutions, each scanning all c input channels with kernel dc, stride g and
    SAME padding, so each gives c/g channels and together c. params g·dc,
    cost dc·c·H·W (dc multiply-adds per output element).
    """

    kind: ClassVar[Kind] = Kind.GROUP_CHANNELWISE
    groups: int
    dc: int
    bias: bool = False


@dataclass(frozen=True, slots=True)
class ConvClassifier:
    """ChannelNets' convolutional classification layer (arXiv 1809.01330, §3.4).

    Replaces gap → fc(n) on a df×df×m map: a depthwise-separable channel-wise
    3-D convolution with a df×df×dc kernel, dc = m − n + 1, no padding, so the
    output is 1×1×n. params df²·dc, cost df²·dc·n.
    """

    kind: ClassVar[Kind] = Kind.CONV_CLASSIFIER
    classes: int  # n, the number of output classes
    bias: bool = False

    def channel_kernel(self, channels: int) -> int:
        """dc = m − n + 1 on a map of m channels."""
        return channels - self.classes + 1


class PoolOp(str, enum.Enum):
    MAX = "max"
    AVG = "avg"


@dataclass(frozen=True, slots=True)
class Pool:
    """Window kh×kw, stride s pooling."""

    kind: ClassVar[Kind] = Kind.POOL
    op: PoolOp
    kh: int
    kw: int
    stride: int
    pad: int = 0
    ceil: bool = False  # Caffe's ceil rounding; PyTorch's default is floor


@dataclass(frozen=True, slots=True)
class GlobalPool:
    """gap / gmp: the whole map pooled to 1×1×C."""

    kind: ClassVar[Kind] = Kind.GLOBAL_POOL
    op: PoolOp


@dataclass(frozen=True, slots=True)
class AdaptivePool:
    """PyTorch's AdaptiveAvgPool2d/AdaptiveMaxPool2d to a fixed h×w."""

    kind: ClassVar[Kind] = Kind.ADAPTIVE_POOL
    op: PoolOp
    h: int
    w: int


@dataclass(frozen=True, slots=True)
class SPP:
    """Spatial pyramid max pooling: n×n bins per level, flattened to C·Σn²."""

    kind: ClassVar[Kind] = Kind.SPP
    levels: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Dense:
    """Fully connected layer; a spatial input is flattened implicitly."""

    kind: ClassVar[Kind] = Kind.DENSE
    units: int
    bias: bool = True


class Act(str, enum.Enum):
    """Element-wise activations. Value = the canonical spelling."""

    RELU = "relu"
    RELU6 = "relu6"
    SIGMOID = "sigmoid"
    TANH = "tanh"
    SWISH = "swish"  # = SiLU
    HSWISH = "hswish"
    HSIGMOID = "hsigmoid"
    SOFTMAX = "softmax"


@dataclass(frozen=True, slots=True)
class Activation:
    kind: ClassVar[Kind] = Kind.ACTIVATION
    fn: Act


@dataclass(frozen=True, slots=True)
class BatchNorm:
    kind: ClassVar[Kind] = Kind.BATCHNORM


@dataclass(frozen=True, slots=True)
class LRN:
    """Cross-channel local response normalisation over `size` channels."""

    kind: ClassVar[Kind] = Kind.LRN
    size: int = 5


@dataclass(frozen=True, slots=True)
class Dropout:
    kind: ClassVar[Kind] = Kind.DROPOUT


@dataclass(frozen=True, slots=True)
class Flatten:
    kind: ClassVar[Kind] = Kind.FLATTEN


@dataclass(frozen=True, slots=True)
class SE:
    """Squeeze-and-excitation: gap → fc(sq) → act → fc(C) → gate → channel-wise ×.

    The squeeze width is `squeeze` when given, else C // reduction.
    """

    kind: ClassVar[Kind] = Kind.SE
    reduction: int = 4
    squeeze: int | None = None  # explicit squeeze channels (sq=)
    act: Act = Act.RELU  # activation between the two fc layers
    gate: Act = Act.SIGMOID  # gating function

    def squeeze_width(self, channels: int) -> int:
        """The squeeze fc's width on a map of `channels`: sq= if given, else C // r."""
        return self.squeeze if self.squeeze is not None else channels // self.reduction


@dataclass(frozen=True, slots=True)
class Shuffle:
    """ShuffleNet's channel shuffle: a permutation of channels, no arithmetic."""

    kind: ClassVar[Kind] = Kind.SHUFFLE
    groups: int


@dataclass(frozen=True, slots=True)
class Chunk:
    """The index-th (from 1) of `parts` equal slices of the channels: a view."""

    kind: ClassVar[Kind] = Kind.CHUNK
    parts: int
    index: int


@dataclass(frozen=True, slots=True)
class Identity:
    kind: ClassVar[Kind] = Kind.IDENTITY


@dataclass(frozen=True, slots=True)
class Concat:
    """Concatenation of its inputs along channels; spatial sizes must agree."""

    kind: ClassVar[Kind] = Kind.CONCAT


@dataclass(frozen=True, slots=True)
class Add:
    """Element-wise sum of its inputs; shapes must agree exactly."""

    kind: ClassVar[Kind] = Kind.ADD


Layer = Union[
    Conv, Depthwise, ChannelWise, GroupChannelWise, ConvClassifier, Pool, GlobalPool,
    AdaptivePool, SPP, Dense, Activation, BatchNorm, LRN, Dropout, Flatten, SE,
    Shuffle, Chunk, Identity, Concat, Add,
]

INPUT = -1  # the node id that stands for the network's input tensor


@dataclass(frozen=True, slots=True)
class Node:
    """One layer in the graph."""

    layer: Layer  # what the layer is
    inputs: tuple[int, ...]  # ids of the nodes it reads (INPUT for the network input)
    span: Span | None = field(default=None, compare=False)  # where the user typed it
    unit: int = 0  # index of the top-level chain item it belongs to (for stages)
    stage: str | None = None  # explicit stage label from YAML `stages:`


@dataclass(frozen=True, slots=True)
class Graph:
    """A network: nodes in topological order (each reads only earlier nodes)."""

    nodes: tuple[Node, ...]
    input: Shape | None  # None: must come from YAML `input:` or --input
    padding: Padding = Padding.SAME
    name: str = ""
    input_span: Span | None = field(default=None, compare=False)

    @property
    def output(self) -> int:
        """Id of the node whose output is the network's output."""
        return len(self.nodes) - 1
