"""The core value types: shapes, nodes and graphs, and networks as written.

Layer specs live with their kind in :mod:`cnncost.layers`; nothing here
computes costs or parses text. These are the values that flow from the
front-ends (notation.py, yaml_spec.py) through shape inference (graph.py) to
the cost rules (costs.py).
"""

from __future__ import annotations

from .choice import Choice
from .errors import CnnCostError, Span
from .record import NamedTuple, Record, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any
    from .tree import Chain


class Shape(Record):
    """A tensor H×W×C. A flat vector of n features is 1×1×n."""

    h: int  # height
    w: int  # width
    c: int  # channels

    @property
    def elements(self) -> int:
        return self.h * self.w * self.c

    def __str__(self) -> str:
        return f"{self.h}x{self.w}x{self.c}"


class Padding(Choice):
    """Padding policies (notation §8, §11)."""

    SAME = "same"  # p = ⌊(k−1)/2⌋·d per side unless p= is given (torchvision)
    HE2015 = "he2015"  # He & Sun's convention; see layers.conv._pad_dim
    TF = "tf"  # TensorFlow/Keras "SAME" on every conv and pool without p=


INPUT = -1  # the node id that stands for the network's input tensor


class Level(Record):
    """One level of a network's structure that `analyze --depth` folds: a named
    block's call, a branch merge (res[ … ], add/concat/mul[ … | … ]), an aux[ … ]
    head or a repeat. One object per occurrence, shared by the path of every node in it."""

    name: str  # basic1, res3, repeat2, … (numbered per name, in order)
    kind: str  # "block", "res", "add", "concat", "mul", "aux" or "repeat"
    span: Span | None = field(default=None, compare=False)  # where it is written

    @property
    def text(self) -> str:
        """What was written, on one line ('' when unknown)."""
        if self.span is None:
            return ""
        return " ".join(self.span.source.text[self.span.start:self.span.end].split())


class Node(NamedTuple):
    """One layer in the graph (a named tuple: made once per layer, on the hot path)."""

    layer: Any  # what the layer is: a spec from cnncost.layers
    inputs: tuple[int, ...]  # ids of the nodes it reads (INPUT for the network input)
    span: Span | None = field(default=None, compare=False)  # where the user typed it
    unit: int = 0  # index of the top-level chain item it belongs to (for stages)
    stage: str | None = None  # explicit stage label from YAML `stages:`
    train_only: bool = False  # inside aux[ … ]: runs only in training (params, no inference cost)
    path: tuple[Level, ...] = field(default=(), compare=False)  # the levels it is inside, outer first


class Graph(Record):
    """A network: nodes in topological order (each reads only earlier nodes)."""

    nodes: tuple[Node, ...]
    input: Shape | None  # None: must come from YAML `input:` or the caller
    padding: Padding = Padding.SAME
    name: str = ""
    input_span: Span | None = field(default=None, compare=False)
    uncosted: tuple[str, ...] = ()  # imported nodes left uncosted (--allow-unsupported)

    @property
    def output(self) -> int:
        """Id of the node whose output is the network's output."""
        return len(self.nodes) - 1


class NetworkSpec(Record):
    """A network as written: its (optionally labelled) stages of parsed chains."""

    name: str
    input: Shape | None
    padding: Padding
    stages: tuple[tuple[str | None, "Chain"], ...]  # (label or None, chain) in order
    description: str = ""
    source: str = ""
    input_span: Span | None = field(default=None, compare=False)
    reference: tuple[tuple[str, str], ...] = ()  # published figures: (key, value as written)
    input_in_text: bool = False  # written as Input(...) in the spec text itself
    uncosted: tuple[str, ...] = ()  # imported nodes cnncost could not cost ("Op name")

    @property
    def stage_labels(self) -> list[str]:
        return [label for label, _ in self.stages if label is not None]

    def graph(self, input: Shape | None = None, padding: Padding | None = None) -> Graph:
        """Lower to a Graph; `input`/`padding` override the spec's own."""
        from .tree import lower_stages  # not the parser: a zoo network comes parsed (cache)
        if input is not None and self.input_in_text and input != self.input:
            assert self.input is not None
            raise CnnCostError(f"the spec says Input({self.input.h},{self.input.w},{self.input.c}) "
                               f"but the input given is {input}", self.input_span,
                               hint="drop one of them")
        graph = lower_stages(self.stages, input or self.input, padding or self.padding, self.name,
                             self.input_span)
        if self.uncosted:
            from .record import replace
            graph = replace(graph, uncosted=self.uncosted)
        return graph


class Document(Record):
    """What a spec file holds: one network, or named variants with a baseline."""

    networks: dict[str, NetworkSpec]
    baseline: str | None = None  # the variants file's baseline (None for one network)
    name: str = ""
    is_variants: bool = False
