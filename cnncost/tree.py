"""The arrow language's syntax tree, and its lowering to a graph.

:mod:`cnncost.notation` parses text into this tree (:class:`Chain`,
:class:`Repeat`, :class:`Branch`, :class:`Leaf`, and :class:`Deferred` for a
block that waits for its input channels); :func:`lower_stages` expands it into
a :class:`~cnncost.model.Graph` whose nodes keep the span of the token they
came from. The two live apart so that a network read from the zoo's
precompiled form (cnncost.cache) is lowered without importing the parser, its
tokens and the blocks' expander: a tenth of `cnncost analyze resnet50 --format
json` (docs/performance.md). notation imports all of this back:
``notation.Chain``, ``notation.lower`` and the rest are the same objects.
"""

from __future__ import annotations

from .errors import CnnCostError, Span
from .layers import BRANCHES, Identity, Layer
from .model import INPUT, Graph, Level, Node, Padding, Shape
from .record import NamedTuple, Record, field

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from collections.abc import Sequence

    from .blocks import Block

MAX_LAYERS = 250_000  # refuse specs that expand to more layers than this


# ---------------------------------------------------------------------------
# Syntax tree


_new = tuple.__new__  # a named tuple made without its __new__'s Python frame (hot paths)

class Leaf(NamedTuple):  # a named tuple: one a layer typed; equal by its layer
    layer: Layer
    span: Span = field(compare=False)


class Repeat(Record):
    body: "Item"
    count: int
    span: Span = field(compare=False)


class Branch(Record):
    op: str  # "concat" | "add"
    branches: tuple["Chain", ...]
    span: Span = field(compare=False)


class Chain(Record):
    items: tuple["Item", ...]
    block: str | None = field(default=None, compare=False)  # a named block's body: its name
    span: Span | None = field(default=None, compare=False)  # … and where it is called


class Deferred(Record):
    """A call of a block that reads `cin`, the channels reaching it: it is
    expanded during lowering, once shape inference knows them."""

    block: Block
    args: tuple[float | int, ...]
    kwargs: tuple[tuple[str, float | int], ...]
    span: Span = field(compare=False)
    variables: tuple[tuple[str, float | int], ...] = ()  # YAML vars in force at the call
    blocks: dict = field(default_factory=dict, compare=False)  # the blocks it may call
    depth: int = 0  # block nesting at the call

    def expand(self, cin: int) -> "Chain":
        from .notation import Parser  # a block's body is parsed when it is expanded
        variables = dict(self.variables)
        source = self.block.expand(list(self.args), dict(self.kwargs), self.span,
                                   {**variables, "cin": cin})
        body = Parser(source, self.blocks, self.depth + 1, variables).block_body()
        return Chain(body.items, self.block.name, self.span)


Item = Leaf | Repeat | Branch | Chain | Deferred


class Parsed(Record):
    """A parsed spec: its optional Input(...) and its chain."""

    input: Shape | None
    chain: Chain
    input_span: Span | None = None


# ---------------------------------------------------------------------------
# Lowering: syntax tree → Graph


def expanded_size(item: Item) -> int:
    """How many nodes lowering would create, computed without creating them
    (a block that waits for its input channels counts as one)."""
    if isinstance(item, Leaf):
        return 0 if isinstance(item.layer, Identity) else 1
    if isinstance(item, Chain):  # most items are layers: counted without a call
        return sum([(type(i.layer) is not Identity) if type(i) is Leaf else expanded_size(i)
                    for i in item.items])
    if isinstance(item, Repeat):
        return item.count * expanded_size(item.body)
    if isinstance(item, Deferred):
        return 1
    return 1 + sum(expanded_size(b) for b in item.branches)


class Lowerer:
    """Expands a syntax tree into graph nodes, in order.

    A block that reads `cin` is expanded when lowering reaches it: the nodes
    before it are shape-inferred (graph.Inferrer) to learn the channels that
    reach it. With `rebuild`, each call also returns the syntax tree with those
    blocks expanded (a repeat whose expansions differ is written out), which
    is what the canonical printer prints."""

    def __init__(self, input: Shape | None = None, padding: Padding = Padding.SAME,
                 rebuild: bool = False) -> None:
        self.nodes: list[Node] = []
        self.unit = -1  # index of the current top-level unit
        self.input, self.padding, self.rebuild = input, padding, rebuild
        self.inferrer = None  # created when a block first asks for its input channels
        self.train_only = False  # inside aux[ … ]
        self.path: tuple[Level, ...] = ()  # the levels lowering is inside (Node.path)
        self.numbers: dict[str, int] = {}  # levels made so far, per name
        self.whole_body = False  # the next branch is a block's whole body: no level of its own

    def push(self, name: str, kind: str, span: Span | None) -> tuple[Level, ...]:
        """Enter a level (a block, branch merge, aux head or repeat); returns the
        path to restore on leaving it."""
        n = self.numbers[name] = self.numbers.get(name, 0) + 1
        outer = self.path
        self.path = (*outer, Level(f"{name}{'_' if name[-1].isdigit() else ''}{n}", kind, span))
        return outer

    def top(self, chain: Chain, prev: int, stage: str | None = None) -> tuple[int, list[Item]]:
        """Lower a top-level chain: each (repeated) item is its own unit."""
        out: list[Item] = []
        nodes = self.nodes
        for item in chain.items:
            if type(item) is Leaf and type(item.layer) is not Identity \
                    and len(nodes) < MAX_LAYERS:  # most items: a layer, its own unit
                self.unit += 1  # _append(_node(…)), checked above, without their frames
                nodes.append(_new(Node, (item.layer, (prev,), item.span, self.unit, stage,
                                         self.train_only, self.path)))
                prev = len(nodes) - 1
                out.append(item)
            else:
                prev = self._top_item(item, prev, stage, out)
        return prev, out

    def _top_item(self, item: Item, prev: int, stage: str | None, out: list[Item]) -> int:
        if isinstance(item, Repeat):
            start = len(out)
            outer = self.push("repeat", "repeat", item.span) if _repeat_level(item) else None
            for _ in range(item.count):
                prev = self._top_item(item.body, prev, stage, out)
            if outer is not None:
                self.path = outer
            if self.rebuild:  # ×0 leaves nothing to print
                done = out[start:]
                if done and all(x == done[0] for x in done) and len(done) == item.count:
                    out[start:] = [Repeat(done[0], item.count, item.span)]
            return prev
        self.unit += 1
        prev, rebuilt = self.item(item, prev, self.unit, stage)
        out.append(rebuilt)
        return prev

    def _node(self, leaf: Leaf, prev: int, unit: int, stage: str | None) -> Node:
        """A layer's node, reading node `prev`, where lowering is."""
        return _new(Node, (leaf.layer, (prev,), leaf.span, unit, stage, self.train_only, self.path))

    def _append(self, node: Node) -> int:
        if len(self.nodes) >= MAX_LAYERS:
            raise CnnCostError(f"the spec expands to more than {MAX_LAYERS:,} layers", node.span,
                               hint="lower the repeat counts")
        self.nodes.append(node)
        return len(self.nodes) - 1

    def channels(self, prev: int, span: Span) -> int:
        """The channels of node `prev`'s output: infers the nodes not inferred yet."""
        if self.inferrer is None:
            from .graph import Inferrer, require_input
            graph = Graph((Node(Identity(), (INPUT,), span),), self.input, self.padding)
            self.inferrer = Inferrer(require_input(graph), self.padding)
        inf = self.inferrer
        while len(inf.infos) < len(self.nodes):
            inf.add(self.nodes[len(inf.infos)])
        return inf.info(prev).output.c

    def item(self, item: Item, prev: int, unit: int, stage: str | None) -> tuple[int, Item]:
        if isinstance(item, Leaf):
            if isinstance(item.layer, Identity):
                return prev, item
            return self._append(self._node(item, prev, unit, stage)), item
        if isinstance(item, Chain):
            outer = None
            if item.block is not None:
                outer = self.push(item.block, "block", item.span)
                self.whole_body = len(item.items) == 1 and isinstance(item.items[0], Branch)
            subs = []
            for sub in item.items:
                prev, done = self.item(sub, prev, unit, stage)
                subs.append(done)
            if outer is not None:
                self.path = outer
            return prev, Chain(tuple(subs)) if self.rebuild else item
        if isinstance(item, Repeat):
            reps = []
            outer = self.push("repeat", "repeat", item.span) if _repeat_level(item) else None
            for _ in range(item.count):
                prev, done = self.item(item.body, prev, unit, stage)
                reps.append(done)
            if outer is not None:
                self.path = outer
            if not self.rebuild:
                return prev, item
            if not reps:  # ×0: nothing, which prints as the identity
                return prev, Leaf(Identity(), item.span)
            if any(r != reps[0] for r in reps):
                return prev, Chain(tuple(reps))
            return prev, Repeat(reps[0], item.count, item.span)
        if isinstance(item, Deferred):
            prev, done = self.item(item.expand(self.channels(prev, item.span)), prev, unit, stage)
            if isinstance(done, Chain) and len(done.items) == 1:
                done = done.items[0]  # a group of one item is that item
            return prev, done
        path = self.path
        if self.whole_body:  # the block's level is this branch's
            self.whole_body = False
        else:
            kind = "res" if _is_res(item) else item.op
            self.push("res" if kind == "res" else "aux" if kind == "aux" else "branch", kind,
                      item.span)
        if item.op == "aux":  # a side branch that runs only in training; the chain goes on
            outer, self.train_only = self.train_only, True
            _, done = self.item(item.branches[0], prev, unit, stage)
            self.train_only, self.path = outer, path
            return prev, Branch("aux", (done,), item.span) if self.rebuild else item  # type: ignore[arg-type]
        ends, branches = [], []
        for b in item.branches:
            end, done = self.item(b, prev, unit, stage)
            ends.append(end)
            branches.append(done)
        node = Node(BRANCHES[item.op](), tuple(ends), item.span, unit, stage, self.train_only,
                    self.path)
        self.path = path
        rebuilt = Branch(item.op, tuple(branches), item.span) if self.rebuild else item
        return self._append(node), rebuilt  # type: ignore[arg-type]


def _is_res(item: Branch) -> bool:
    """res[ a ]: add[ a | id ]."""
    last = item.branches[-1].items if len(item.branches) == 2 else ()
    return item.op == "add" and len(last) == 1 and isinstance(last[0], Leaf) \
        and isinstance(last[0].layer, Identity)


def _repeat_level(item: Repeat) -> bool:
    """Whether a repeat is a level of its own: not when each repetition is one
    (a block, a branch merge), as `basic(64)×2` is two blocks."""
    body = item.body
    while isinstance(body, Chain) and body.block is None and len(body.items) == 1:
        body = body.items[0]
    return not (isinstance(body, (Branch, Deferred)) or isinstance(body, Chain)
                and body.block is not None)


def check_size(chains: list[Chain], span: Span | None) -> None:
    total = sum(expanded_size(c) for c in chains)
    if total > MAX_LAYERS:
        raise CnnCostError(f"the spec expands to {total:,} layers; the limit is {MAX_LAYERS:,}",
                           span, hint="lower the repeat counts")
    if total == 0:
        raise CnnCostError("the spec has no layers to analyse", span,
                           hint="add at least one layer (id and ×0 add none)")


def lower_stages(stages: Sequence[tuple[str | None, Chain]], input: Shape | None,
                 padding: Padding, name: str = "", input_span: Span | None = None) -> Graph:
    """Expand (label, chain) stages into a Graph (no shape inference yet), after
    checking the expanded size."""
    chains = [c for _, c in stages]
    check_size(chains, getattr(chains[0].items[0], "span", None))
    lw = Lowerer(input, padding)
    prev = INPUT
    for label, chain in stages:
        prev, _ = lw.top(chain, prev, label)
    if lw.nodes and lw.nodes[-1].train_only:
        raise CnnCostError("aux[ … ] cannot end the network: the output is the layer after it",
                           lw.nodes[-1].span, hint="move the aux head before the layers it branches off from")
    return Graph(tuple(lw.nodes), input, padding, name, input_span)


def expand_blocks(stages: Sequence[tuple[str | None, Chain]], input: Shape | None,
                  padding: Padding) -> list[tuple[str | None, Chain]]:
    """The stages with every block that reads `cin` expanded (for printing)."""
    if not any(_has_deferred(c) for _, c in stages):
        return list(stages)
    lw = Lowerer(input, padding, rebuild=True)
    prev, out = INPUT, []
    for label, chain in stages:
        prev, items = lw.top(chain, prev, label)
        out.append((label, Chain(tuple(items))))
    return out


def _has_deferred(item: Item) -> bool:
    if isinstance(item, Deferred):
        return True
    if isinstance(item, Leaf):
        return False
    if isinstance(item, Chain):
        return any(_has_deferred(i) for i in item.items)
    if isinstance(item, Repeat):
        return _has_deferred(item.body)
    return any(_has_deferred(b) for b in item.branches)


def lower(parsed: Parsed, name: str = "", padding: Padding = Padding.SAME,
          input: Shape | None = None) -> Graph:
    """Expand a parsed spec into a Graph (no shape inference yet)."""
    return lower_stages([(None, parsed.chain)], input or parsed.input, padding, name,
                        parsed.input_span)
