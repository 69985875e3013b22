"""The canonical printer: layers, syntax trees, networks and documents as text.

The inverse of the front-ends: parsing what it prints gives the same layers
and networks back. Each layer kind prints itself through the registry
(:func:`cnncost.layers.notation`); this module prints the structure around
them — chains, repeats, branches, stages, variants — as notation or YAML.
"""

from __future__ import annotations

from .errors import CnnCostError
from .layers import Identity, notation
from .model import Document, NetworkSpec, Padding
from .notation import Branch, Chain, Deferred, Item, Leaf, Repeat, expand_blocks


def format_layer(layer: object) -> str:
    """The canonical spelling of a layer; parsing it gives the same layer."""
    return notation(layer)


def format_item(item: Item) -> str:
    """Canonical text of a syntax-tree item; parsing it gives the same graph."""
    if isinstance(item, Leaf):
        return format_layer(item.layer)
    if isinstance(item, Deferred):
        raise CnnCostError(f"block {item.block.name} reads cin, the channels reaching it, so "
                           "its layers are known only with an input shape", item.span,
                           hint="give the spec an input shape to print it")
    if isinstance(item, Chain):
        inner = " → ".join(format_item(i) for i in item.items)
        return f"[ {inner} ]"
    if isinstance(item, Repeat):
        body = item.body
        if isinstance(body, Chain) and len(body.items) == 1 and \
                isinstance(body.items[0], (Leaf, Branch)):
            body = body.items[0]  # a group of one layer is that layer (a unit either way)
        return f"{format_item(body)}×{item.count}"
    branches = item.branches
    if (item.op == "add" and len(branches) == 2 and len(branches[1].items) == 1
            and isinstance(branches[1].items[0], Leaf)
            and isinstance(branches[1].items[0].layer, Identity)):
        return f"res[ {format_chain(branches[0])} ]"
    return f"{item.op}[ " + " | ".join(format_chain(b) for b in branches) + " ]"  # also aux[ a ]


def format_chain(chain: Chain) -> str:
    return " → ".join(format_item(i) for i in chain.items)


def _stages(net: NetworkSpec) -> list[tuple[str | None, Chain]]:
    """The network's stages with blocks that read `cin` expanded."""
    return expand_blocks(net.stages, net.input, net.padding)


def format_network(net: NetworkSpec) -> str:
    """The canonical notation of a network: Input(...), then its chain, one line
    per stage with the stage's label as a comment."""
    lines = []
    if net.input is not None:
        s = net.input
        lines.append(f"Input({s.h},{s.w},{s.c})")
    for label, chain in _stages(net):
        text = format_chain(chain)
        prefix = "→ " if lines else ""
        comment = f"  # stage {label}" if label is not None else ""
        lines.append(f"{prefix}{text}{comment}")
    return "\n".join(lines) + "\n"


def yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar that reads back as `text`: JSON's escapes, plus
    the line breaks YAML has and JSON does not (U+0085, U+2028, U+2029)."""
    import json
    out = json.dumps(text, ensure_ascii=False)
    return out.replace("\x85", "\\N").replace("\u2028", "\\L").replace("\u2029", "\\P")


def needs_yaml(net: NetworkSpec) -> bool:
    """Whether the notation alone would lose something: a padding policy other
    than `same`, or stage labels (the notation has neither)."""
    return net.padding is not Padding.SAME or any(label is not None for label, _ in net.stages)


def format_document(doc: Document) -> str:
    """The canonical form of a document, which loads back to identical networks.

    One network with `same` padding and no stage labels is its notation
    (:func:`format_network`). Otherwise it is YAML: name, input, padding and the
    stages (or spec) in canonical notation; a variants file becomes one with
    every variant written out in full (`from:` resolved, vars substituted).
    """
    q = yaml_quote
    def body(net: NetworkSpec, indent: str) -> list[str]:
        lines = []
        if net.input is not None:
            lines.append(f"{indent}input: {net.input.h}x{net.input.w}x{net.input.c}")
        lines.append(f"{indent}padding: {net.padding.value}")
        stages = _stages(net)
        if all(label is not None for label, _ in stages):
            lines.append(f"{indent}stages:")
            lines += [f"{indent}  {q(str(label))}: {q(format_chain(chain))}"
                      for label, chain in stages]
        else:  # unlabelled pieces: one chain
            whole = Chain(tuple(item for _, chain in stages for item in chain.items))
            lines.append(f"{indent}spec: {q(format_chain(whole))}")
        return lines

    if not doc.is_variants:
        net = next(iter(doc.networks.values()))
        if not needs_yaml(net):
            return format_network(net)
        head = [f"name: {q(net.name)}"] if net.name else []
        return "\n".join(head + body(net, "")) + "\n"
    lines = [f"name: {q(doc.name)}"] if doc.name else []
    lines += [f"baseline: {q(doc.baseline or '')}", "variants:"]
    for key, net in doc.networks.items():
        lines.append(f"  {q(key)}:")
        if net.name != key:
            lines.append(f"    name: {q(net.name)}")
        lines += body(net, "    ")
    return "\n".join(lines) + "\n"
