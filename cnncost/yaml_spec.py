"""YAML specs: a single network, or a variants file of stage replacements.

A single network::

    name: he2015-A
    input: 224x224x3          # or [224, 224, 3]
    padding: he2015           # same (default) | he2015
    spec: (7,64)/2 → 3/3 → …  # one chain in the notation, or:
    stages:                   # labelled sub-chains, in order, or:
      1: (7,64)/2 → 3/3
      head: spp(6,3,2,1) → 4096fc
    layers:                   # a structured list (for generated specs)
      - {layer: conv, n: 64, kh: 7, s: 2}
      - "3/3"                 # any item may be notation text
      - {repeat: 3, layers: ["(3,256)"]}
      - {concat: [["64F(1,1)"], ["96F(1,1)", "128F(3,3)"]]}   # also add:, res:

A variants file (He & Sun's layer replacement as data)::

    baseline: A
    input: 224x224x3          # shared defaults for every variant
    padding: he2015
    variants:
      A: { stages: { 1: …, 2: …, 3: …, head: … } }
      B: { from: A, stages: { 3: "(2,256)×6" } }

YAML is read with PyYAML's safe composer; errors name the file, line and column.
"""

from __future__ import annotations

import re
from typing import Any

from .blocks import Block, parse_signature
from .errors import CnnCostError, Source, Span, did_you_mean
from .layers import Identity
from .layers.base import Value
from .model import Document, NetworkSpec, Padding, Shape
from .notation import (
    BRANCH_WORDS, LAYERS, MAX_NESTING, Branch, Chain, Item, Leaf, Repeat, build_layer, parse,
    parse_shape,
)

MAX_YAML_NODES = 100_000
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and newline
# `reference:` holds published figures to check against: params and MACs either
# exact (25557032) or as published (4.09G, "4.2M"), and where they come from.
REFERENCE_KEYS = ("params", "macs", "source", "note")  # guards against alias expansion ("billion laughs")

NETWORK_KEYS = ("name", "input", "padding", "vars", "spec", "stages", "layers", "blocks",
                "description", "source", "reference")
VARIANTS_KEYS = ("name", "input", "padding", "vars", "baseline", "variants", "blocks",
                 "description", "source", "reference")
VARIANT_KEYS = ("from", "name", "input", "padding", "vars", "spec", "stages", "layers",
                "description", "source", "reference")

# The keys a structural item of a `layers:` list may have.
STRUCTURE_KEYS = {"repeat": ("repeat", "layers"), "concat": ("concat",), "add": ("add",),
                  "mul": ("mul",), "res": ("res",), "aux": ("aux",)}


# ---------------------------------------------------------------------------
# Reading YAML nodes with their positions


class _Reader:
    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.filename = filename
        self.visited = 0
        self.depth = 0  # nesting of structured `layers:` lists
        self.blocks: dict[str, Block] = {}  # the file's `blocks:`, by lower-case name
        self.vars: dict[str, float | int] = {}  # `vars:` in force (width, depth, …)
        self.overrides: dict[str, float | int] = {}  # values set from outside (cnncost scale)
        self.declared: set[str] = set()  # every variable any `vars:` declares

    def fail(self, node, message: str, hint: str = "") -> None:  # type: ignore[no-untyped-def]
        raise CnnCostError(message, self.node_span(node), hint)

    def node_span(self, node) -> Span:  # type: ignore[no-untyped-def]
        """A span over the node's first line, so errors show the YAML line."""
        mark, end = node.start_mark, node.end_mark
        line = self.lines[mark.line] if mark.line < len(self.lines) else ""
        stop = end.column if end.line == mark.line else len(line)
        src = Source(line, self.filename, mark.line + 1, 1)
        return Span(src, mark.column, max(stop, mark.column + 1))

    def tick(self, node) -> None:  # type: ignore[no-untyped-def]
        self.visited += 1
        if self.visited > MAX_YAML_NODES:
            self.fail(node, f"the YAML expands to more than {MAX_YAML_NODES:,} values",
                      hint="anchors and aliases that multiply are not allowed")

    def mapping(self, node, what: str, allowed: tuple[str, ...]) -> dict:  # type: ignore[no-untyped-def]
        import yaml
        self.tick(node)
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{what} must be a mapping (key: value lines)")
        out = {}
        for k, v in node.value:
            self.tick(k)
            self.scalar(k, "a key")
            key = str(k.value)  # as written: a stage `true:` is "true", not "True"
            if allowed and key not in allowed:
                hint = ("inside { … }, a comma ends the value: quote a spec that has commas, "
                        "spec: \"4F(1,1)\"" if re.search(r"[()\[\]]", key) else
                        "allowed keys: " + ", ".join(allowed))
                self.fail(k, f"unknown key '{key}' in {what}" + did_you_mean(key, allowed), hint)
            if key in out:
                self.fail(k, f"key '{key}' appears twice in {what}")
            out[key] = (k, v)
        return out

    def scalar(self, node, what: str, hint: str = ""):  # type: ignore[no-untyped-def]
        import yaml
        self.tick(node)
        if not isinstance(node, yaml.ScalarNode):
            self.fail(node, f"{what} must be a single value", hint)
        if node.tag.endswith(":int"):
            try:
                return int(node.value.replace("_", ""), 0)
            except ValueError:
                return node.value
        if node.tag.endswith(":float"):
            try:
                return float(node.value)
            except ValueError:
                return node.value
        if node.tag.endswith(":bool"):
            return node.value.lower() in ("true", "yes", "on")
        if node.tag.endswith(":null"):
            return None
        if _SURROGATE.search(node.value):  # "\ud800" in YAML: not text any output can carry
            self.fail(node, f"{what} holds an unpaired UTF-16 surrogate escape",
                      hint="write the character itself, or a \\U escape such as \\U0001F600")
        control = _CONTROL.search(node.value)
        if control:  # "\e[31m" would reach the terminal as an escape sequence
            self.fail(node, f"{what} holds the control character U+{ord(control.group()):04X}",
                      hint="names and specs are printable text")
        return node.value

    def string(self, node, what: str, hint: str = "") -> str:  # type: ignore[no-untyped-def]
        value = self.scalar(node, what, hint)
        if value is None:
            self.fail(node, f"{what} is empty")
        return str(value)

    def scalar_source(self, node) -> Source:  # type: ignore[no-untyped-def]
        """Where a string value's text starts in the file, for carets."""
        mark = node.start_mark
        line, column = mark.line + 1, mark.column + 1
        if node.style in ('"', "'"):
            column += 1
        elif node.style in ("|", ">"):
            line += 1
            header = self.lines[mark.line][mark.column:] if mark.line < len(self.lines) else ""
            explicit = re.match(r"[|>][+-]?([1-9])|[|>]([1-9])", header)
            if explicit:  # |2: the content is indented 2 more than the key's line
                key_line = self.lines[mark.line]
                indent = len(key_line) - len(key_line.lstrip(" ")) + int(explicit.group(1)
                                                                          or explicit.group(2))
            else:  # the first line that is not blank sets the indentation
                body = self.lines[mark.line + 1: node.end_mark.line + 1]
                first = next((ln for ln in body if ln.strip()), "")
                indent = len(first) - len(first.lstrip(" "))
            return Source(str(node.value), self.filename, line, indent + 1, indent=indent)
        return Source(str(node.value), self.filename, line, column)


# ---------------------------------------------------------------------------


def _point(text: str, filename: str, line: int, column: int) -> Span:
    """A one-character span at 0-based (line, column) of a file's text."""
    lines = text.splitlines()
    source = Source(lines[line] if line < len(lines) else "", filename, line + 1, 1)
    return Span(source, column, column + 1)


def load_document(text: str, filename: str = "<yaml>",
                  overrides: dict[str, float | int] | None = None) -> Document:
    """YAML text → Document. Every error is a CnnCostError with file:line:col."""
    import yaml

    try:
        try:  # libyaml's C loader when PyYAML has it: several times faster
            root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:  # the pure-Python loader words errors the same everywhere
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        span = _point(text, filename, mark.line, mark.column) if mark is not None else None
        line_text = span.source.text if span else ""
        hint = ("a value that starts with { or [ is YAML syntax: put the spec in quotes"
                if re.search(r":\s*[{\[]", line_text) else
                "check the indentation and quoting near this position")
        raise CnnCostError(f"this is not valid YAML: {e.problem}", span, hint)
    except yaml.reader.ReaderError as e:  # a control character: a position, not a mark
        pos = min(max(int(e.position), 0), len(text))
        span = _point(text, filename, text.count("\n", 0, pos), pos - (text.rfind("\n", 0, pos) + 1))
        code = e.character if isinstance(e.character, int) else ord(e.character)
        raise CnnCostError(f"this is not valid YAML: character #x{code:04x} is not allowed",
                           span, hint="a spec file is UTF-8 text without control characters")
    except yaml.YAMLError as e:  # no position at all: name the file at least
        raise CnnCostError(f"{filename}: this is not valid YAML: {e}")
    except RecursionError:
        raise CnnCostError(f"{filename}: the YAML is nested too deeply",
                           hint="flatten the file; a spec needs only a few levels")
    if root is None:
        raise CnnCostError(f"{filename} is empty", hint="write at least `spec:` and `input:`")
    r = _Reader(text, filename)
    r.overrides = dict(overrides or {})
    try:
        return _document(r, root)
    except RecursionError:
        raise CnnCostError(f"{filename}: the YAML is nested too deeply",
                           hint="flatten the file; a spec needs only a few levels")


def _document(r: _Reader, root) -> Document:  # type: ignore[no-untyped-def]
    import yaml
    if not isinstance(root, yaml.MappingNode):
        r.fail(root, "a spec file must be a mapping with keys such as name, input, spec",
               hint="see docs/language.md, section YAML")
    keys = {str(r.scalar(k, "a key")): v for k, v in root.value}
    r.vars = _vars(r, keys["vars"], {}) if "vars" in keys else {}
    if "blocks" in keys:
        _blocks(r, keys["blocks"])
    if "variants" in keys:
        doc = _variants(r, root)
    else:
        top = r.mapping(root, "the spec file", NETWORK_KEYS)
        net, _ = _network(r, top, {}, "the spec file", None)
        doc = Document({net.name: net}, None, net.name, False)
    unknown = sorted(set(r.overrides) - r.declared)
    if unknown:
        declared = ", ".join(sorted(r.declared))
        close = did_you_mean(unknown[0], sorted(r.declared)) if len(unknown) == 1 else ""
        raise CnnCostError(f"{r.filename} has no variable {', '.join(unknown)} to set" + close,
                           hint="variables are declared in YAML `vars:`; this spec has "
                           + (declared or "none"),
                           cli_hint=f"this spec's variables: {declared} (--set NAME=VALUE sets "
                                    "one)" if declared else
                                    "this spec declares no `vars:`, so there is nothing to set")
    return doc


def _vars(r: _Reader, node, inherited: dict) -> dict[str, float | int]:  # type: ignore[no-untyped-def]
    """`vars:` — name: number, usable as {expressions} in spec text and blocks.
    Values set from outside (r.overrides) win."""
    out = dict(inherited)
    for key, (k, v) in r.mapping(node, "vars", ()).items():
        value = r.scalar(v, f"variable {key}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            r.fail(v, f"variable '{key}' must be a number",
                   hint="YAML reads 1e15 as text: write 1.0e+15" if isinstance(value, str)
                   and re.fullmatch(r"[-+]?\d+(\.\d*)?[eE][-+]?\d+", value) else "e.g. width: 1.0")
        out[key] = value
    r.declared.update(out)
    for key, value in r.overrides.items():
        if key in out:
            out[key] = value
    return out


def _blocks(r: _Reader, node) -> None:  # type: ignore[no-untyped-def]
    """`blocks:` — signature: body, e.g. `bottleneck(w, s=1): add[ … ]`."""
    key_of = {}  # block name → its key's node, for messages
    for key, (k, v) in r.mapping(node, "blocks", ()).items():
        span = r.node_span(k)
        block = parse_signature(key, r.string(v, f"block {key}"), r.scalar_source(v), span)
        if block.name in LAYERS or block.name in (*BRANCH_WORDS, "input"):
            r.fail(k, f"block '{block.name}' has the name of a built-in layer",
                   hint="choose another name")
        if re.fullmatch(r"fc\d+", block.name):  # the parser reads fc10 as a 10-way fc layer
            r.fail(k, f"block '{block.name}' would be read as a fully connected layer",
                   hint="choose a name that is not fc and digits")
        if block.name in r.blocks:
            r.fail(k, f"block '{block.name}' is defined twice")
        r.blocks[block.name] = block
        key_of[block.name] = k
    for name in r.blocks:  # relux2 is read as relu×2 when relu is a layer or a block
        glued = re.fullmatch(r"(.+?)x(\d+)", name)
        if glued and (glued.group(1) in LAYERS or glued.group(1) in r.blocks):
            r.fail(key_of[name], f"block '{name}' would be read as {glued.group(1)}×{glued.group(2)}",
                   hint="choose a name that is not another layer's name, x and digits")


def _defaults(r: _Reader, m: dict, inherited: dict) -> dict:
    out = dict(inherited)
    if "input" in m:
        out["input"] = _input(r, m["input"][1])
        out["input_span"] = r.node_span(m["input"][1])
    if "padding" in m:
        node = m["padding"][1]
        word = r.string(node, "padding").lower()
        try:
            out["padding"] = Padding(word)
        except ValueError:
            r.fail(node, f"unknown padding policy '{word}'"
                   + did_you_mean(word, [p.value for p in Padding]),
                   hint="one of: " + ", ".join(p.value for p in Padding))
    for key in ("description", "source"):
        if key in m:
            out[key] = r.string(m[key][1], key)
    if "reference" in m:
        ref = r.mapping(m["reference"][1], "reference", REFERENCE_KEYS)
        out["reference"] = tuple((k, str(r.scalar(v, k))) for k, (_, v) in ref.items())
    return out


def _input(r: _Reader, node) -> Shape:  # type: ignore[no-untyped-def]
    import yaml
    if isinstance(node, yaml.SequenceNode):
        dims = [r.scalar(n, "an input size") for n in node.value]
        if len(dims) != 3 or not all(type(d) is int and 1 <= d < 10**9 for d in dims):  # not bool
            r.fail(node, "input must be three whole numbers [H, W, C]", hint="e.g. [224, 224, 3]")
        return Shape(*dims)
    text = str(r.scalar(node, "input"))
    try:
        return parse_shape(text)
    except CnnCostError as e:
        raise CnnCostError(e.message, r.node_span(node), e.hint) from None


# Where each stage of a network is read from: (label or None, key, YAML node),
# key being "spec", "layers" or "stage". A variant `from:` another re-reads the
# other's nodes under its own vars, so `from: A` with `vars: {width: 2}` is A
# at width 2, not A's layers as A's vars made them.
StageNodes = list[tuple[str | None, str, Any]]


def _network(r: _Reader, m: dict, inherited: dict, what: str,
             base: tuple[str, StageNodes] | None) -> tuple[NetworkSpec, StageNodes]:
    d = _defaults(r, m, inherited)
    name = r.string(m["name"][1], "name") if "name" in m else d.get("name", "")
    nodes = _stage_nodes(r, m, what, base)
    inherited_nodes = {id(node) for _, _, node in base[1]} if base is not None else set()
    stages = []
    for label, key, node in nodes:
        try:
            stages.append((label, _read_stage(r, key, node)))
        except CnnCostError as e:  # the base's text read with this variant's vars: say whose
            if base is None or id(node) not in inherited_nodes:
                raise
            raise CnnCostError(f"{e.message} (in {what}, from '{base[0]}')", e.span,
                               e.hint) from None
    net = NetworkSpec(name, d.get("input"), d.get("padding", Padding.SAME), tuple(stages),
                      d.get("description", ""), d.get("source", ""), d.get("input_span"),
                      reference=d.get("reference", ()))
    return net, nodes


def _stage_nodes(r: _Reader, m: dict, what: str,
                 base: tuple[str, StageNodes] | None) -> StageNodes:
    bodies = [k for k in ("spec", "stages", "layers") if k in m]
    if len(bodies) > 1:
        r.fail(m[bodies[1]][0], f"{what} has both '{bodies[0]}' and '{bodies[1]}'",
               hint="give the layers once: spec:, stages: or layers:")
    if bodies and bodies[0] != "stages":
        return [(None, bodies[0], m[bodies[0]][1])]
    if base is not None:
        base_name, nodes = base[0], list(base[1])
        if bodies:
            _replace_stages(r, m["stages"], base_name, nodes)
        return nodes
    if not bodies:
        anchor = next(iter(m.values()))[0] if m else None
        if anchor is None:
            raise CnnCostError(f"{what} has no layers", hint="add spec:, stages: or layers:")
        r.fail(anchor, f"{what} has no layers", hint="add spec:, stages: or layers:")
    smap = r.mapping(m["stages"][1], "stages", ())
    if not smap:
        r.fail(m["stages"][1], "stages is empty", hint="label each stage: `1: (7,64)/2 → 3/3`")
    return [(label, "stage", v) for label, (_, v) in smap.items()]


def _read_stage(r: _Reader, key: str, node) -> Chain:  # type: ignore[no-untyped-def]
    if key == "spec":
        return _chain_text(r, node)
    if key == "layers":
        return _layers(r, node)
    return _stage_body(r, node)


def _chain_text(r: _Reader, node) -> Chain:  # type: ignore[no-untyped-def]
    text = r.string(node, "a spec", hint="write the chain as one string (`spec: relu → bn`), "
                    "or give a list as `layers:`")  # a scalar, checked before its position
    src = r.scalar_source(node)
    parsed = parse(text, src.name, src.line, src.column, r.blocks, r.vars, src.indent)
    if parsed.input is not None:
        raise CnnCostError("Input(...) inside a YAML spec: use the `input:` key instead",
                           parsed.input_span, hint="move the shape to `input: 224x224x3`")
    return parsed.chain


def _stage_body(r: _Reader, node) -> Chain:  # type: ignore[no-untyped-def]
    import yaml
    if isinstance(node, yaml.SequenceNode):
        return _layers(r, node)
    return _chain_text(r, node)


def _replace_stages(r: _Reader, kv: tuple, base_name: str, nodes: StageNodes) -> None:
    """Put a variant's `stages:` in place of the base's stages of the same labels."""
    key_node, node = kv
    m = r.mapping(node, "stages", ())
    labels = [label for label, _, _ in nodes if label is not None]
    if not labels:
        r.fail(key_node, f"'{base_name}' has no labelled stages to replace",
               hint="give the base network `stages:`, or give this variant a full spec:")
    for label, (k, v) in m.items():
        if label not in labels:
            r.fail(k, f"stage '{label}' is not a stage of '{base_name}'" + did_you_mean(label, labels),
                   hint="its stages are " + ", ".join(labels))
        i = next(i for i, (lab, _, _) in enumerate(nodes) if lab == label)
        nodes[i] = (label, "stage", v)


# Structured `layers:` lists ------------------------------------------------

def _layers(r: _Reader, node) -> Chain:  # type: ignore[no-untyped-def]
    import yaml
    r.tick(node)
    if isinstance(node, yaml.ScalarNode):
        return _chain_text(r, node)
    if not isinstance(node, yaml.SequenceNode):
        r.fail(node, "layers must be a list", hint="- {layer: conv, n: 64, kh: 3}")
    if not node.value:
        r.fail(node, "the layer list is empty")
    r.depth += 1
    if r.depth > MAX_NESTING:  # as the notation's brackets
        r.fail(node, f"layers are nested more than {MAX_NESTING} deep",
               hint="use repeat: instead of nesting groups")
    chain = Chain(tuple(_layer_item(r, item) for item in node.value))
    r.depth -= 1
    return chain


def _layer_item(r: _Reader, node) -> Item:  # type: ignore[no-untyped-def]
    import yaml
    if isinstance(node, yaml.ScalarNode):
        chain = _chain_text(r, node)
        return chain.items[0] if len(chain.items) == 1 else chain
    if isinstance(node, yaml.SequenceNode):  # a nested list is a group
        return _layers(r, node)
    m = r.mapping(node, "a layer", ())
    span = r.node_span(node)
    for op, keys in STRUCTURE_KEYS.items():
        if op in m:
            for key, (k, _) in m.items():
                if key not in keys:
                    r.fail(k, f"unknown key '{key}' in a {op}: item" + did_you_mean(key, keys),
                           hint="allowed keys: " + ", ".join(keys))
            break
    if "repeat" in m:
        count = r.scalar(m["repeat"][1], "repeat")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            r.fail(m["repeat"][1], "repeat must be a whole number ≥ 0",
                   hint="{repeat: 3, layers: [\"(3,256)\"]}; 0 leaves the layers out, as ×0 does")
        if "layers" not in m:
            r.fail(node, "repeat needs `layers:`", hint="{repeat: 3, layers: [\"(3,256)\"]}")
        return Repeat(_layers(r, m["layers"][1]), count, span)
    for op in ("concat", "add", "mul"):
        if op in m:
            bnode = m[op][1]
            if not isinstance(bnode, yaml.SequenceNode) or not bnode.value:
                r.fail(bnode, f"{op} needs a list of branches, each a list of layers")
            if op == "mul" and len(bnode.value) < 2:
                r.fail(bnode, "mul multiplies two or more branches",
                       hint="mul: [[id], [gap, 16fc, sigmoid]]")
            return Branch(op, tuple(_layers(r, b) for b in bnode.value), span)
    if "aux" in m:
        return Branch("aux", (_layers(r, m["aux"][1]),), span)
    if "res" in m:
        body = _layers(r, m["res"][1])
        return Branch("add", (body, Chain((Leaf(Identity(), span),))), span)
    if "layer" not in m:
        r.fail(node, "a structured layer needs `layer:` (or repeat:, concat:, add:, mul:, res:)",
               hint="- {layer: conv, n: 64, kh: 3, s: 2}")
    name = r.string(m["layer"][1], "layer").lower()
    canon = name
    if canon not in LAYERS:
        r.fail(m["layer"][1], f"unknown layer '{name}'" + did_you_mean(name, LAYERS))
    values = {}
    raw = []
    for key, (k, v) in m.items():
        if key == "layer":
            continue
        value = r.scalar(v, key)
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, list):
            value = tuple(value)
        raw.append((key.lower(), Value(value, r.node_span(v))))
    return Leaf(build_layer(canon, values, raw, span), span)


# Variants files ------------------------------------------------------------

def _variants(r: _Reader, root) -> Document:  # type: ignore[no-untyped-def]
    top = r.mapping(root, "the variants file", VARIANTS_KEYS)
    shared = _defaults(r, top, {})
    shared.pop("reference", None)  # published figures belong to one variant, not to all
    vnode = top["variants"][1]
    vm = r.mapping(vnode, "variants", ())
    if not vm:
        r.fail(vnode, "variants is empty", hint="A: { spec: … }")
    done: dict[str, NetworkSpec] = {}
    nodes_of: dict[str, StageNodes] = {}
    vars_of: dict[str, dict[str, float | int]] = {}
    visiting: list[str] = []
    shared_vars = dict(r.vars)  # each variant sees these plus its own, whatever the order

    def resolve(name: str) -> NetworkSpec:
        if name in done:
            return done[name]
        key_node, node = vm[name]
        if name in visiting:
            cycle = " → ".join([*visiting[visiting.index(name):], name])
            r.fail(key_node, f"variants refer to each other in a cycle: {cycle}",
                   hint="one of them must be a full spec instead of `from:`")
        visiting.append(name)
        if len(visiting) > MAX_NESTING:
            r.fail(key_node, f"a chain of more than {MAX_NESTING} `from:` leads to variant '{name}'",
                   hint="give one of the variants in the chain a full spec")
        m = r.mapping(node, f"variant '{name}'", VARIANT_KEYS)
        base = None
        inherited = dict(shared, name=name)
        own_vars = dict(shared_vars)
        if "from" in m:
            fnode = m["from"][1]
            other = r.string(fnode, "from")
            if other not in vm:
                r.fail(fnode, f"variant '{name}' is from '{other}', which is not a variant here"
                       + did_you_mean(other, vm), hint="variants: " + ", ".join(vm))
            base_net = resolve(other)
            inherited.update(input=base_net.input, padding=base_net.padding,
                             input_span=base_net.input_span)
            base = (other, nodes_of[other])
            own_vars = dict(vars_of[other])  # the base's vars, then this variant's own
        outer = r.vars
        r.vars = _vars(r, m["vars"][1], own_vars) if "vars" in m else own_vars
        net, nodes_of[name] = _network(r, m, inherited, f"variant '{name}'", base)
        vars_of[name] = r.vars
        r.vars = outer
        visiting.pop()
        done[name] = net
        return net

    for name in vm:
        resolve(name)
    baseline = next(iter(vm))
    if "baseline" in top:
        bnode = top["baseline"][1]
        baseline = r.string(bnode, "baseline")
        if baseline not in vm:
            r.fail(bnode, f"baseline '{baseline}' is not a variant" + did_you_mean(baseline, vm),
                   hint="variants: " + ", ".join(vm))
    name = r.string(top["name"][1], "name") if "name" in top else ""
    return Document({n: done[n] for n in vm}, baseline, name, True)
