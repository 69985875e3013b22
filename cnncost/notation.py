"""The arrow language: tokenizer, one parse function per grammar rule, lowering.

The grammar (whitespace, line breaks and ``# comments`` are insignificant,
keywords are case-insensitive)::

    spec    := [input link] chain END
    input   := 'Input' '(' INT ',' INT ',' INT ')'  |  INT 'x' INT 'x' INT
    chain   := item (link item)*
    link    := '→' | '->' | '=>' | '+'
    item    := [INT ('x'|'×')] atom (('x'|'×') INT)*      repetition, weights not shared
    atom    := '[' chain ']'                                a group
             | ('concat' | 'add') '[' chain ('|' chain)* ']'
             | 'res' '[' chain ']'                          add[ chain | id ]
             | layer
    layer   := INT 'F' args                                 64F(7,7,3,s=2)
             | '(' INT ',' INT (',' option)* ')' ['/' INT]  (7,64)/2   He & Sun Table 1
             | INT '*' INT '*' INT '*' INT                  128*3*3*256 = c_in*kh*kw*n
             | INT '/' INT                                  3/3: max pool k×k, stride s
             | INT 'fc' | 'fc' INT                          4096fc, fc4096
             | NAME [args]                                  max-p(3,3,2), gap, se(4), …
    args    := '(' [arg (',' arg)*] ')'
    arg     := [NAME '='] value
    value   := INT (('x'|'*') INT)* | NUMBER | NAME

Parsing produces a small syntax tree (:class:`Chain`, :class:`Repeat`,
:class:`Branch`, :class:`Leaf`); :func:`lower` expands it into a
:class:`~cnncost.model.Graph` whose nodes keep the span of the token they came
from. Every named layer is described once in :data:`LAYERS`, the table the
language reference is written from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .blocks import Block, substitute
from .errors import CnnCostError, Source, Span, did_you_mean, shorten
from .model import (
    INPUT, LRN, SE, SPP, Act, Activation, AdaptivePool, Add, BatchNorm, ChannelWise, Chunk,
    Concat, Conv, ConvClassifier, Dense, Depthwise, Dropout, Flatten, GlobalPool, Graph,
    GroupChannelWise, Identity, Layer, Node, Padding, Pool, PoolOp, Shape, Shuffle,
)

MAX_LAYERS = 250_000  # refuse specs that expand to more layers than this
MAX_NESTING = 64  # brackets nested deeper than this are refused
MAX_SPEC_CHARS = 4_000_000  # refuse spec texts longer than this

# ---------------------------------------------------------------------------
# Tokenizer (after packaging's: a table of regexes, check / expect / read).

TOKENS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "WS": r"(?:\s+|#[^\n]*)+",
        "ARROW": r"→|⟶|->|=>",
        "PLUS": r"\+",
        "LBRACKET": r"\[",
        "RBRACKET": r"\]",
        "PIPE": r"\|",
        "LPAREN": r"\(",
        "RPAREN": r"\)",
        "COMMA": r",",
        "EQUALS": r"=",
        "SLASH": r"/",
        "STAR": r"\*",
        # 'x' or '×' as "times" after an item must be followed by a count.
        "TIMES_SUFFIX": r"[x×X]\s*(?=\d)",
        "TIMES": r"[x×X]",
        "NUMBER": r"\d+\.\d+",
        "INT": r"\d+",
        "NAME": r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z_][A-Za-z0-9_]*)*'?",
        "END": r"\Z",
    }.items()
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int
    end: int


MAX_DIGITS = 9  # sizes, channels, strides and counts: at most 999,999,999


def check_digits(text: str, span: Span) -> None:
    """Refuse a number too long to be a size or count (so nothing downstream meets
    a 400-digit channel count)."""
    if len(text) > MAX_DIGITS:
        raise CnnCostError(f"the number {shorten(text, 20)} is too large", span,
                           hint=f"sizes, channels and counts have at most {MAX_DIGITS} digits")


def whole(text: str, span: Span) -> int:
    """A run of digits as an int, within MAX_DIGITS."""
    check_digits(text, span)
    return int(text)


class Tokenizer:
    """Reads tokens on demand, so the parser decides what may come next."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text
        self.pos = 0
        self.next: Token | None = None

    def _skip_ws(self) -> None:
        pos = self.pos
        if pos < len(self.text) and (self.text[pos].isspace() or self.text[pos] == "#"):
            m = TOKENS["WS"].match(self.text, pos)
            if m:
                self.pos = m.end()

    def check(self, kind: str, peek: bool = False) -> bool:
        """Is the next token of this kind? Remembers it for read()."""
        self._skip_ws()
        m = TOKENS[kind].match(self.text, self.pos)
        if not m:
            return False
        if kind in ("INT", "NUMBER"):
            check_digits(m.group().replace(".", ""), Span(self.source, m.start(), m.end()))
        if not peek:
            self.next = Token(kind, m.group(), m.start(), m.end())
        return True

    def check_name(self, *words: str) -> bool:
        """Is the next token a NAME equal (case-insensitively) to one of words?"""
        self._skip_ws()
        m = TOKENS["NAME"].match(self.text, self.pos)
        if m and m.group().lower() in words:
            self.next = Token("NAME", m.group(), m.start(), m.end())
            return True
        return False

    def read(self) -> Token:
        token = self.next
        assert token is not None, "read() without a successful check()"
        self.pos = token.end
        self.next = None
        return token

    def expect(self, kind: str, expected: str, hint: str = "") -> Token:
        if not self.check(kind):
            self.fail(f"expected {expected}", hint=hint)
        return self.read()

    def span(self, start: int, end: int | None = None) -> Span:
        return Span(self.source, start, self.pos if end is None else end)

    def fail(self, message: str, start: int | None = None, end: int | None = None,
             hint: str = "") -> None:
        """Raise an error at [start, end), by default at the next token."""
        self._skip_ws()
        if start is None:
            start = self.pos
            end = _token_end(self.text, start)
        if start >= len(self.text):
            if message.startswith("expected"):
                message += ", found the end of the spec"
            start = len(self.text.rstrip())  # just after the last character, on its line
            end = start + 1
        raise CnnCostError(message, Span(self.source, start, end or start + 1), hint)


TRAILING_ARROW = "remove the arrow at the end, or add the layer it leads to"


def _token_end(text: str, start: int) -> int:
    """End of the word-ish token starting at start (for caret widths)."""
    for kind in ("ARROW", "NAME", "NUMBER", "INT"):
        m = TOKENS[kind].match(text, start)
        if m:
            return m.end()
    return min(start + 1, len(text)) if start < len(text) else start + 1


# ---------------------------------------------------------------------------
# Syntax tree


@dataclass(frozen=True, slots=True)
class Leaf:
    layer: Layer
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Repeat:
    body: "Item"
    count: int
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Branch:
    op: str  # "concat" | "add"
    branches: tuple["Chain", ...]
    span: Span = field(compare=False)


@dataclass(frozen=True, slots=True)
class Chain:
    items: tuple["Item", ...]


Item = Leaf | Repeat | Branch | Chain


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed spec: its optional Input(...) and its chain."""

    input: Shape | None
    chain: Chain
    input_span: Span | None = None


# ---------------------------------------------------------------------------
# Arguments and the layer table


@dataclass(frozen=True, slots=True)
class Value:
    """One argument value: an int, a float, a word, or an `a x b` pair."""

    value: int | float | str | tuple[int, ...]
    span: Span


@dataclass
class Args:
    """A call's arguments; builders pull typed values out by name."""

    layer: str  # canonical layer name, for messages
    sig: "Sig"
    values: dict[str, Value]
    span: Span
    positional: int = 0  # how many arguments were given by position

    def has(self, name: str) -> bool:
        return name in self.values

    def _get(self, name: str) -> Value | None:
        return self.values.get(name)

    def int(self, name: str, default: int | None = None, minimum: int = 1) -> int:
        v = self._get(name)
        if v is None:
            if default is None:
                raise CnnCostError(
                    f"{self.layer} needs its argument '{name}'", self.span,
                    hint=f"write it as {self.sig.example}")
            return default
        if not isinstance(v.value, int):
            raise CnnCostError(f"{self.layer}: '{name}' must be a whole number", v.span,
                               hint=f"for example {self.sig.example}")
        if v.value < minimum:
            raise CnnCostError(f"{self.layer}: '{name}' must be at least {minimum}, not {v.value}",
                               v.span)
        return v.value

    def flag(self, name: str, default: bool) -> bool:
        v = self._get(name)
        if v is None:
            return default
        if v.value not in (0, 1):
            raise CnnCostError(f"{self.layer}: '{name}' must be 0 or 1", v.span)
        return bool(v.value)

    def pad(self, name: str = "p") -> int | str | None:
        v = self._get(name)
        if v is None:
            return None
        if isinstance(v.value, str) and v.value.lower() in ("same", "valid"):
            return v.value.lower()
        if isinstance(v.value, int):
            return v.value
        raise CnnCostError(f"{self.layer}: padding must be a whole number, 'same' or 'valid'",
                           v.span, hint="for example p=1, p=same or p=valid")

    def word(self, name: str, choices: dict[str, Act], default: Act) -> Act:
        v = self._get(name)
        if v is None:
            return default
        key = str(v.value).lower()
        if key not in choices:
            raise CnnCostError(f"{self.layer}: unknown {name} '{v.value}'"
                               + did_you_mean(key, choices), v.span,
                               hint="one of " + ", ".join(sorted(choices)))
        return choices[key]

    def levels(self) -> tuple[int, ...]:
        out = []
        for name in self.sig.positional:
            v = self._get(name)
            if v is None:
                continue
            value = v.value
            if isinstance(value, tuple):
                if len(set(value)) != 1 or len(value) != 2:
                    raise CnnCostError("spp: each level is n×n bins, like 6*6 or 6", v.span)
                value = value[0]
            if not isinstance(value, int) or value < 1:
                raise CnnCostError("spp: a level must be a whole number of bins ≥ 1", v.span)
            out.append(value)
        if not out:
            raise CnnCostError("spp needs at least one level", self.span,
                               hint="for example spp(6,3,2,1)")
        return tuple(out)


@dataclass(frozen=True, slots=True)
class Sig:
    """A named layer's signature: positional names, options, builder, example."""

    positional: tuple[str, ...]  # in order; any may also be given as name=value
    options: tuple[str, ...]  # keyword-only
    build: Callable[[Args], Layer]
    example: str  # shown in hints and in the language reference
    doc: str  # one line for the language reference


def _conv(a: Args) -> Conv:
    kh = a.int("kh")
    return Conv(filters=a.int("n"), kh=kh, kw=a.int("kw", kh), stride=a.int("s", 1),
                pad=a.pad(), groups=a.int("g", 1), dilation=a.int("d", 1),
                bias=a.flag("b", True), c_in=a.int("c_in") if a.has("c_in") else None)


def _dw(a: Args) -> Depthwise:
    kh = a.int("kh")
    return Depthwise(kh=kh, kw=a.int("kw", kh), multiplier=a.int("m", 1), stride=a.int("s", 1),
                     pad=a.pad(), dilation=a.int("d", 1), bias=a.flag("b", True))


def _pool(op: PoolOp) -> Callable[[Args], Pool]:
    def build(a: Args) -> Pool:
        # bare → 2×2/2; (k) → k×k/k; (k,s) → k×k/s; (kh,kw,s)
        kh = a.int("kh", 2)
        if a.positional == 2 and not a.has("s"):
            kw, stride = kh, a.int("kw")
        else:
            kw = a.int("kw", kh)
            stride = a.int("s", kh)
        pad = a.pad()
        if isinstance(pad, str):
            raise CnnCostError("pooling padding must be a whole number", a.values["p"].span,
                               hint="for example p=1")
        return Pool(op=op, kh=kh, kw=kw, stride=stride, pad=pad or 0, ceil=a.flag("ceil", False))
    return build


def _adaptive(op: PoolOp) -> Callable[[Args], AdaptivePool]:
    def build(a: Args) -> AdaptivePool:
        h = a.int("h")
        return AdaptivePool(op=op, h=h, w=a.int("w", h))
    return build


def _act(fn: Act) -> Sig:
    return Sig((), (), lambda a: Activation(fn), fn.value, f"element-wise {fn.value}")


def _se(a: Args) -> SE:
    return SE(reduction=a.int("r", 4), squeeze=a.int("sq") if a.has("sq") else None,
              act=a.word("act", ACT_WORDS, Act.RELU), gate=a.word("gate", ACT_WORDS, Act.SIGMOID))


def _cw_pad(a: Args) -> int | str:
    pad = a.pad()
    if pad is None or pad == "same":
        return "same"
    return 0 if pad == "valid" else pad


def _dropout(a: Args) -> Dropout:
    """The rate is checked (0 ≤ rate ≤ 1) but costs nothing: dropout is the identity
    at inference."""
    v = a.values.get("rate")
    if v is not None and (isinstance(v.value, (str, tuple)) or not 0 <= v.value <= 1):
        raise CnnCostError(f"dropout: the rate must be a number from 0 to 1, not {v.value}", v.span,
                           hint="e.g. dropout(0.5), or dropout for the default")
    return Dropout()


ACT_WORDS: dict[str, Act] = {
    "relu": Act.RELU, "relu6": Act.RELU6, "sigmoid": Act.SIGMOID, "tanh": Act.TANH,
    "swish": Act.SWISH, "silu": Act.SWISH, "hswish": Act.HSWISH, "hardswish": Act.HSWISH,
    "h-swish": Act.HSWISH, "hsigmoid": Act.HSIGMOID, "hardsigmoid": Act.HSIGMOID,
    "h-sigmoid": Act.HSIGMOID, "softmax": Act.SOFTMAX,
}

_ACTS = {fn: _act(fn) for fn in Act}

# Every named layer, once. Aliases map to the same Sig object.
_CONV = Sig(("n", "kh", "kw", "c_in"), ("s", "p", "g", "d", "b"), _conv, "64F(7,7,3,s=2)",
            "n filters of kh×kw over c_in channels; also (s,n)/k and c_in*kh*kw*n")
_FC = Sig(("n",), ("b",), lambda a: Dense(units=a.int("n"), bias=a.flag("b", True)), "4096fc",
          "fully connected; flattens a spatial input")
LAYERS: dict[str, Sig] = {
    "conv": _CONV,
    "dw": Sig(("kh", "kw"), ("m", "s", "p", "d", "b"), _dw, "dw(3,3,s=2)",
              "depthwise: groups = channels, m filters per channel"),
    "cw": Sig(("dc",), ("s", "p", "b"),
              lambda a: ChannelWise(dc=a.int("dc"), stride=a.int("s", 1),
                                    pad=_cw_pad(a), bias=a.flag("b", False)),
              "cw(64,s=2)", "channel-wise convolution (ChannelNets §3.1); p=same by default"),
    "gcw": Sig(("g", "dc"), ("b",),
               lambda a: GroupChannelWise(groups=a.int("g"), dc=a.int("dc"),
                                          bias=a.flag("b", False)),
               "gcw(2,8)", "group channel-wise convolution (ChannelNets §3.2)"),
    "ccl": Sig(("n",), ("b",),
               lambda a: ConvClassifier(classes=a.int("n"), bias=a.flag("b", False)),
               "ccl(1000)", "convolutional classification layer (ChannelNets §3.4)"),
    "max-p": Sig(("kh", "kw", "s"), ("p", "ceil"), _pool(PoolOp.MAX), "max-p(3,3,2)",
                 "max pooling kh×kw, stride s; max-p(k) = k×k/k; bare max-p = 2×2/2"),
    "avg-p": Sig(("kh", "kw", "s"), ("p", "ceil"), _pool(PoolOp.AVG), "avg-p(3,3,2)",
                 "average pooling, same forms as max-p"),
    "gap": Sig((), (), lambda a: GlobalPool(PoolOp.AVG), "gap", "global average pooling"),
    "gmp": Sig((), (), lambda a: GlobalPool(PoolOp.MAX), "gmp", "global max pooling"),
    "aap": Sig(("h", "w"), (), _adaptive(PoolOp.AVG), "aap(7,7)",
               "adaptive average pooling to h×w (PyTorch AdaptiveAvgPool2d)"),
    "amp": Sig(("h", "w"), (), _adaptive(PoolOp.MAX), "amp(6,6)",
               "adaptive max pooling to h×w (PyTorch AdaptiveMaxPool2d)"),
    "spp": Sig(tuple(f"l{i}" for i in range(1, 9)), (),
               lambda a: SPP(a.levels()), "spp(6,3,2,1)",
               "spatial pyramid max pooling, n×n bins per level, flattened"),
    "fc": _FC,
    **{word: _ACTS[fn] for word, fn in ACT_WORDS.items()},  # aliases share one Sig
    "bn": Sig((), (), lambda a: BatchNorm(), "bn", "batch normalisation (γ, β per channel)"),
    "lrn": Sig(("size",), (), lambda a: LRN(size=a.int("size", 5)), "lrn(5)",
               "local response normalisation across `size` channels"),
    "dropout": Sig(("rate",), (), _dropout, "dropout", "dropout (identity at inference)"),
    "flatten": Sig((), (), lambda a: Flatten(), "flatten", "flatten to 1×1×(H·W·C)"),
    "se": Sig(("r",), ("sq", "act", "gate"), _se, "se(4)",
              "squeeze-and-excitation, reduction r (or sq= squeeze channels)"),
    "shuffle": Sig(("g",), (), lambda a: Shuffle(groups=a.int("g")), "shuffle(2)",
                   "channel shuffle with g groups"),
    "id": Sig((), (), lambda a: Identity(), "id", "identity"),
    "chunk": Sig(("k", "i"), (), lambda a: Chunk(parts=a.int("k"), index=a.int("i")),
                 "chunk(2,1)", "the i-th of k equal channel slices (ShuffleNet v2's split)"),
}
# The name a user types for conv is `F` (64F(...)); `conv` is its long form.
LAYERS["f"] = _CONV

BRANCH_WORDS = ("concat", "add", "res")

# ---------------------------------------------------------------------------
# Parser: one function per grammar rule.


MAX_BLOCK_DEPTH = 16  # blocks that use blocks, at most this deep


class Parser:
    def __init__(self, source: Source, blocks: dict[str, Block] | None = None,
                 block_depth: int = 0, variables: dict[str, float | int] | None = None) -> None:
        if len(source.text) > MAX_SPEC_CHARS:
            raise CnnCostError(
                f"the spec is {len(source.text):,} characters long; the limit is {MAX_SPEC_CHARS:,}",
                hint="use repetition (×k) instead of writing layers out")
        self.t = Tokenizer(source)
        self.depth = 0
        self.blocks = blocks or {}  # user-defined blocks (YAML `blocks:`), by lower-case name
        self.block_depth = block_depth
        self.variables = variables or {}  # YAML `vars:` (width, depth, …), seen by blocks

    # spec := [input link] chain END
    def spec(self) -> Parsed:
        t = self.t
        shape, shape_span = self.input()
        if shape is not None:
            if t.check("END"):
                t.fail("expected a layer after the input shape",
                       hint="the input alone has no cost: write Input(224,224,3) -> 64F(3,3) -> …")
            if not (t.check("ARROW") or t.check("PLUS")):
                t.fail("expected an arrow after the input shape", hint="write Input(224,224,3) -> …")
            t.read()
            if t.check("END"):
                t.fail("expected a layer after the arrow", hint=TRAILING_ARROW)
        if t.check("END"):
            t.fail("the spec is empty", hint="write layers joined by arrows, e.g. 64F(3,3) -> relu")
        chain = self.chain()
        if not t.check("END"):
            if t.check("PIPE", peek=True):
                t.fail("'|' separates branches only inside concat[ … ] or add[ … ]",
                       hint="write concat[ a | b ] or add[ a | b ]")
            if t.check("RBRACKET", peek=True):
                t.fail("unbalanced bracket: nothing open to close here",
                       hint="remove it, or open a group with '['")
            t.fail("expected an arrow or the end of the spec",
                   hint="join layers with →, ->, => or +")
        return Parsed(shape, chain, shape_span)

    # input := 'Input' '(' INT ',' INT ',' INT ')' | INT x INT x INT
    def input(self) -> tuple[Shape | None, Span | None]:
        t = self.t
        t._skip_ws()
        start = t.pos
        m = re.compile(r"(\d+)\s*[x×X]\s*(\d+)\s*[x×X]\s*(\d+)(?=\s*(?:→|⟶|->|=>|\+|#|$))").match(t.text, start)
        if m:
            t.pos = m.end()
            dims = [whole(g, t.span(start)) for g in m.groups()]
            return self._shape(dims, t.span(start)), t.span(start)
        if not t.check_name("input"):
            return None, None
        t.read()
        t.expect("LPAREN", "'(' after Input", hint="write Input(224,224,3)")
        dims = []
        for i in range(3):
            if i:
                t.expect("COMMA", "',' between Input's height, width and channels",
                         hint="write Input(224,224,3)")
            dims.append(int(t.expect("INT", "a whole number", hint="write Input(224,224,3)").text))
        t.expect("RPAREN", "')' to close Input(H,W,C)", hint="write Input(224,224,3)")
        return self._shape(dims, t.span(start)), t.span(start)

    @staticmethod
    def _shape(dims: list[int], span: Span) -> Shape:
        if min(dims) < 1:
            raise CnnCostError("input sizes must be at least 1", span,
                               hint="height, width and channels, e.g. 224x224x3")
        return Shape(*dims)

    # chain := item (link item)*
    def chain(self) -> Chain:
        t = self.t
        items = [self.item()]
        while t.check("ARROW") or t.check("PLUS"):
            t.read()
            if t.check("END", peek=True) or t.check("RBRACKET", peek=True) or t.check("PIPE", peek=True):
                t.fail("expected a layer after the arrow", hint=TRAILING_ARROW)
            items.append(self.item())
        return Chain(tuple(items))

    # item := [INT x] atom (x INT)*
    def item(self) -> Item:
        t = self.t
        t._skip_ws()
        start = t.pos
        prefix = None
        m = re.compile(r"(\d+)\s*(?:[x×X](?=\s*[\d(\[A-Za-z_])|×)").match(t.text, start)
        if m and not re.compile(r"\d+\s*[x×X]\s*\d+\s*[x×X]\s*\d+").match(t.text, start):
            prefix = whole(m.group(1), Span(t.source, start, m.end(1)))  # 0: the item is left out
            t.pos = m.end()
        elif m:
            t.fail("an input shape (HxWxC) may only come first", start,
                   re.compile(r"[\dx×X\s]+").match(t.text, start).end(),
                   hint="use Input(H,W,C) at the start, or --input")
        atom = self.atom()
        if prefix is not None:
            atom = Repeat(atom, prefix, t.span(start))
        while t.check("TIMES_SUFFIX"):
            t.read()
            count_tok = t.expect("INT", "a repeat count after ×")
            atom = Repeat(atom, int(count_tok.text), t.span(start))  # ×0 leaves it out
        return atom

    # atom := '[' chain ']' | branch | layer
    def atom(self) -> Item:
        t = self.t
        t._skip_ws()
        start = t.pos
        if t.check("LBRACKET"):
            t.read()
            chain = self._nested(start)
            return chain
        if t.check_name(*BRANCH_WORDS):
            word = t.read().text.lower()
            if not t.check("LBRACKET"):
                t.fail(f"expected '[' after {word}", hint=f"write {word}[ a | b ]")
            t.read()
            if word == "res":
                body = self._nested(start)
                return Branch("add", (body, Chain((Leaf(Identity(), t.span(start)),))), t.span(start))
            branches = [self._nested(start, close=False)]
            while t.check("PIPE"):
                t.read()
                branches.append(self._nested(start, close=False))
            self._close(start)
            return Branch(word, tuple(branches), t.span(start))
        return self.layer()

    def _nested(self, open_pos: int, close: bool = True) -> Chain:
        """A chain inside brackets, with a depth limit."""
        t = self.t
        self.depth += 1
        if self.depth > MAX_NESTING:
            t.fail(f"brackets are nested more than {MAX_NESTING} deep", open_pos, open_pos + 1,
                   hint="flatten the spec; repeats (×k) do not need nesting")
        if t.check("RBRACKET", peek=True) or t.check("PIPE", peek=True):
            t.fail("expected a layer: an empty group or branch",
                   hint="write at least one layer, or id for the identity")
        if t.check("END", peek=True):
            t.fail("unbalanced bracket: '[' is never closed", open_pos, open_pos + 1,
                   hint="add ']'")
        chain = self.chain()
        self.depth -= 1
        if close:
            self._close(open_pos)
        return chain

    def _close(self, open_pos: int) -> None:
        t = self.t
        if t.check("RBRACKET"):
            t.read()
            return
        if t.check("END", peek=True):
            t.fail("unbalanced bracket: '[' is never closed", open_pos, open_pos + 1, hint="add ']'")
        t.fail("expected ']' or '|'", hint="branches are separated by '|' and closed by ']'")

    # layer := INT 'F' args | '(' INT ',' INT … ')' ['/' INT] | INT*INT*INT*INT
    #        | INT '/' INT | INT 'fc' | NAME [args]
    def layer(self) -> Leaf:
        t = self.t
        t._skip_ws()
        start = t.pos
        if t.check("LPAREN"):
            return self._table1_conv(start)
        if t.check("INT"):
            first = t.read()
            n = int(first.text)
            if t.check("STAR"):
                return self._product(start, first)
            if t.check("SLASH"):
                t.read()
                s = self._int("the pooling stride after '/'", hint="write 3/3 or 2/2")
                return self._leaf(start, "max-p", {"kh": (n, first), "s": s})
            if t.check("NAME"):
                word = t.read()
                if re.fullmatch(r"fc[xX]\d+", word.text, re.IGNORECASE):  # 4096fcx2: fc, then ×2
                    word = Token("NAME", word.text[:2], word.start, word.start + 2)
                    t.pos = word.end
                low = word.text.lower()
                if low == "f":
                    return self._call(start, "conv", word, pre={"n": (n, first)})
                if low == "fc":
                    return self._leaf(start, "fc", {"n": (n, first)})
                raise CnnCostError(f"unknown layer '{first.text}{word.text}'"
                                   + did_you_mean(low, ("f", "fc")),
                                   t.span(start), hint=f"write {n}F(3,3) for a convolution or {n}fc")
            t.fail("expected a layer after the number", start, first.end,
                   hint="write 64F(3,3), (3,64), 128*3*3*256, 3/3 or 4096fc")
        if t.check("NAME"):
            word = t.read()
            glued = re.fullmatch(r"(.+?)[xX](\d+)", word.text)
            if glued and self._known(glued.group(1).lower()):  # relux3: relu, then ×3
                end = word.start + len(glued.group(1))
                word = Token("NAME", glued.group(1), word.start, end)
                t.pos = end
            low = word.text.lower()
            if low == "fc" and t.check("INT"):
                n = t.read()
                return self._leaf(start, "fc", {"n": (int(n.text), n)})
            if re.fullmatch(r"fc\d+", low):  # fc4096 read as one NAME
                n = Token("INT", word.text[2:], word.start + 2, word.end)
                return self._leaf(start, "fc", {"n": (int(n.text), n)})
            if low == "input":
                t.fail("Input(H,W,C) may only come first", word.start, word.end,
                       hint="move it to the start of the spec, or use --input")
            if low in self.blocks:
                return self._block(start, self.blocks[low])
            if low not in LAYERS:
                raise CnnCostError(f"unknown layer '{word.text}'"
                                   + did_you_mean(low, [*LAYERS, *BRANCH_WORDS, *self.blocks]),
                                   Span(t.source, word.start, word.end),
                                   hint="`cnncost layers` lists every layer")
            return self._call(start, "conv" if low == "f" else low, word)
        if t.check("END", peek=True):
            t.fail("expected a layer")
        t.fail("expected a layer", hint="write 64F(3,3), (3,64)/2, 3/3, max-p, 4096fc, …")
        raise AssertionError  # unreachable

    def _known(self, word: str) -> bool:
        return word in LAYERS or word in self.blocks or bool(re.fullmatch(r"fc\d+", word))

    def _block(self, start: int, block: Block) -> Chain:
        """NAME [args] for a user-defined block: its body, expanded and parsed."""
        t = self.t
        raw: list[tuple[str | None, Value]] = []
        if t.check("LPAREN"):
            t.read()
            raw = self._args_tail(close_hint=f"write {block.signature}", allow_empty=True)
        span = t.span(start)
        args: list[float | int] = []
        kwargs: dict[str, float | int] = {}
        for key, v in raw:
            if not isinstance(v.value, (int, float)):
                raise CnnCostError(f"block {block.name}: arguments must be numbers", v.span)
            if key is None:
                args.append(v.value)
            else:
                kwargs[key] = v.value
        if self.block_depth >= MAX_BLOCK_DEPTH:
            raise CnnCostError(f"blocks nest more than {MAX_BLOCK_DEPTH} deep here", span,
                               hint="does a block use itself?")
        source = block.expand(args, kwargs, span, self.variables)
        inner = Parser(source, self.blocks, self.block_depth + 1, self.variables)
        chain = inner.chain()
        if not inner.t.check("END"):
            inner.t.fail("expected an arrow or the end of the block",
                         hint="join layers with →, ->, => or +")
        return chain

    def _int(self, what: str, hint: str = "") -> tuple[int, Token]:
        tok = self.t.expect("INT", what, hint=hint)
        return int(tok.text), tok

    def _table1_conv(self, start: int) -> Leaf:
        """'(' s ',' n (',' option)* ')' ['/' k] — He & Sun's Table 1."""
        t = self.t
        t.read()
        hint = "write (s,n) like (3,256), optionally /stride: (7,64)/2"
        s = self._int("the filter size s in (s,n)", hint)
        t.expect("COMMA", "',' between filter size and number of filters", hint)
        n = self._int("the number of filters n in (s,n)", hint)
        values = {"kh": s, "kw": s, "n": n}
        raw = self._args_tail(close_hint=hint)
        end_paren = t.pos
        if t.check("SLASH"):
            t.read()
            values["s"] = self._int("a stride after '/'", hint)
        return self._leaf(start, "conv", values, raw, name_span=(start, end_paren))

    def _product(self, start: int, first: Token) -> Leaf:
        """c_in '*' kh '*' kw '*' n — the seed texts' product form."""
        t = self.t
        nums = [(int(first.text), first)]
        while t.check("STAR"):
            t.read()
            nums.append(self._int("a number after '*'", hint="write c_in*kh*kw*n, e.g. 128*3*3*256"))
        if len(nums) != 4:
            t.fail(f"the product form has 4 numbers c_in*kh*kw*n, not {len(nums)}", start, t.pos,
                   hint="e.g. 128*3*3*256")
        values = dict(zip(("c_in", "kh", "kw", "n"), nums))
        return self._leaf(start, "conv", values)

    def _call(self, start: int, name: str, word: Token, pre: dict | None = None) -> Leaf:
        """NAME [args] — and nF(args), where n was already read."""
        t = self.t
        sig = LAYERS[name]
        raw: list[tuple[str | None, Value]] = []
        if t.check("LPAREN"):
            t.read()
            raw = self._args_tail(close_hint=f"write {sig.example}", allow_empty=True)
        elif name == "conv":
            t.fail("expected '(' after F", hint="write 64F(3,3) or 64F(7,7,3,s=2)")
        return self._leaf(start, name, pre or {}, raw)

    def _args_tail(self, close_hint: str, allow_empty: bool = False) -> list[tuple[str | None, Value]]:
        """(',' arg)* ')' when called after the first values, or arg list after '('."""
        t = self.t
        out: list[tuple[str | None, Value]] = []
        first = allow_empty
        while True:
            if t.check("RPAREN"):
                t.read()
                return out
            if not first:
                if t.check("END", peek=True):
                    t.fail("unbalanced parenthesis: expected ')'", hint=close_hint)
                t.expect("COMMA", "',' or ')'", hint=close_hint)
            first = False
            out.append(self._arg(close_hint))

    def _arg(self, hint: str) -> tuple[str | None, Value]:
        t = self.t
        t._skip_ws()
        start = t.pos
        key = None
        m = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*=").match(t.text, start)
        if m:
            key = m.group(1).lower()
            t.pos = m.end()
        t._skip_ws()
        vstart = t.pos
        if t.check("NUMBER"):
            return key, Value(float(t.read().text), t.span(vstart))
        if t.check("INT"):
            nums = [int(t.read().text)]
            while t.check("STAR") or t.check("TIMES"):
                t.read()
                nums.append(int(t.expect("INT", "a number", hint=hint).text))
            value: int | tuple[int, ...] = nums[0] if len(nums) == 1 else tuple(nums)
            return key, Value(value, t.span(vstart))
        if t.check("NAME"):
            return key, Value(t.read().text, t.span(vstart))
        if t.check("END", peek=True):
            t.fail("unbalanced parenthesis: expected ')'", hint=hint)
        if re.compile(r"-\s*\d").match(t.text, t.pos):
            t.fail("negative values are not allowed", t.pos,
                   re.compile(r"-\s*\d+").match(t.text, t.pos).end(),
                   hint="sizes, strides, padding and counts are whole numbers")
        t.fail("expected a value", hint=hint)
        raise AssertionError  # unreachable

    def _leaf(self, start: int, name: str, pre: dict, raw: list | None = None,
              name_span: tuple[int, int] | None = None) -> Leaf:
        span = self.t.span(start)
        values: dict[str, Value] = {}
        for key, (v, tok) in pre.items():
            values[key] = Value(v, Span(self.t.source, tok.start, tok.end))
        return Leaf(build_layer(name, values, raw or [], span), span)


def build_layer(name: str, values: dict[str, Value], raw: list[tuple[str | None, Value]],
                span: Span) -> Layer:
    """Bind positional and keyword arguments to a layer's signature and build it."""
    sig = LAYERS[name]
    display = name
    params = list(sig.positional)
    free = [p for p in params if p not in values]
    positional = 0
    named = False  # positional arguments come first, as in Python
    for key, value in raw:
        if key is None:
            if named:
                raise CnnCostError(f"{display}: a positional argument after a named one",
                                   value.span, hint=f"put positional arguments first: {sig.example}")
            positional += 1
            if not free:
                raise CnnCostError(f"{display} takes at most {len(params)} positional arguments",
                                   value.span, hint=f"write it as {sig.example}")
            key = free.pop(0)
        else:
            named = True
            if key not in sig.positional and key not in sig.options:
                allowed = [*sig.positional, *sig.options]
                raise CnnCostError(f"{display} has no option '{key}'" + did_you_mean(key, allowed),
                                   value.span,
                                   hint="its options are " + (", ".join(allowed) or "none"))
            if key in values:
                raise CnnCostError(f"{display}: '{key}' is given twice", value.span)
            if key in free:
                free.remove(key)
        values[key] = value
    return sig.build(Args(display, sig, values, span, positional))


def _substitute_code(source: Source, variables: dict[str, float | int]) -> str:
    """Replace {expressions} outside # comments, line by line."""
    out = []
    for i, line in enumerate(source.text.split("\n")):
        code, hash_, comment = line.partition("#")
        part = Source(code, source.name, source.line + i,
                      source.column if i == 0 else 1 + source.indent)
        out.append((substitute(part, variables) if "{" in code else code) + hash_ + comment)
    return "\n".join(out)


def parse(text: str, name: str = "", line: int = 1, column: int = 1,
          blocks: dict[str, Block] | None = None,
          variables: dict[str, float | int] | None = None, indent: int = 0) -> Parsed:
    """Parse spec text into its input shape (if any) and syntax tree.

    `{expression}` placeholders are replaced first, from `variables` (YAML `vars:`)."""
    source = Source(text, name, line, column, indent)
    if "{" in text:
        # columns after a placeholder are those of the substituted text
        source = Source(_substitute_code(source, variables or {}), name, line, column, indent)
    return Parser(source, blocks, 0, variables).spec()


# ---------------------------------------------------------------------------
# Lowering: syntax tree → Graph


def expanded_size(item: Item) -> int:
    """How many nodes lowering would create, computed without creating them."""
    if isinstance(item, Leaf):
        return 0 if isinstance(item.layer, Identity) else 1
    if isinstance(item, Chain):
        return sum(expanded_size(i) for i in item.items)
    if isinstance(item, Repeat):
        return item.count * expanded_size(item.body)
    return 1 + sum(expanded_size(b) for b in item.branches)


class Lowerer:
    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.unit = -1  # index of the current top-level unit

    def top(self, chain: Chain, prev: int, stage: str | None = None) -> int:
        """Lower a top-level chain: each (repeated) item is its own unit."""
        for item in chain.items:
            prev = self._top_item(item, prev, stage)
        return prev

    def _top_item(self, item: Item, prev: int, stage: str | None) -> int:
        if isinstance(item, Repeat):
            for _ in range(item.count):
                prev = self._top_item(item.body, prev, stage)
            return prev
        self.unit += 1
        return self.item(item, prev, self.unit, stage)

    def item(self, item: Item, prev: int, unit: int, stage: str | None) -> int:
        if isinstance(item, Leaf):
            if isinstance(item.layer, Identity):
                return prev
            self.nodes.append(Node(item.layer, (prev,), item.span, unit, stage))
            return len(self.nodes) - 1
        if isinstance(item, Chain):
            for sub in item.items:
                prev = self.item(sub, prev, unit, stage)
            return prev
        if isinstance(item, Repeat):
            for _ in range(item.count):
                prev = self.item(item.body, prev, unit, stage)
            return prev
        ends = tuple(self.item(b, prev, unit, stage) for b in item.branches)
        merge = Concat() if item.op == "concat" else Add()
        self.nodes.append(Node(merge, ends, item.span, unit, stage))
        return len(self.nodes) - 1


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
    lw = Lowerer()
    prev = INPUT
    for label, chain in stages:
        prev = lw.top(chain, prev, label)
    return Graph(tuple(lw.nodes), input, padding, name, input_span)


def lower(parsed: Parsed, name: str = "", padding: Padding = Padding.SAME,
          input: Shape | None = None) -> Graph:
    """Expand a parsed spec into a Graph (no shape inference yet)."""
    return lower_stages([(None, parsed.chain)], input or parsed.input, padding, name,
                        parsed.input_span)


def parse_spec(text: str, input: Shape | None = None, padding: Padding | str = Padding.SAME,
               name: str = "") -> Graph:
    """Text in the arrow language → Graph. `input` overrides an Input(...) in the text."""
    parsed = parse(text)
    return lower(parsed, name, Padding(padding), input)


def parse_shape(text: str, what: str = "") -> Shape:
    """'224x224x3' (or 224,224,3) → Shape; a CnnCostError otherwise.
    `what` names where the text came from (e.g. "--input") in messages."""
    m = re.fullmatch(r"\s*(\d+)\s*[x×X,]\s*(\d+)\s*[x×X,]\s*(\d+)\s*", text)
    src = Source(text)
    if not m:
        shown = f"{what} '{text}'" if what else f"'{text}'"
        raise CnnCostError(f"{shown} is not an input shape", Span(src, 0, max(1, len(text))),
                           hint="write height x width x channels, e.g. 224x224x3")
    dims = [whole(g, Span(src, 0, len(text))) for g in m.groups()]
    if min(dims) < 1:
        raise CnnCostError("input sizes must be at least 1", Span(src, 0, len(text)),
                           hint="e.g. 224x224x3")
    return Shape(*dims)


# ---------------------------------------------------------------------------
# Canonical notation of one layer (the inverse of build_layer)


def _opts(*pairs: tuple[str, object, object]) -> str:
    """',k=v' for each (key, value, default) whose value is not the default."""
    out = []
    for key, value, default in pairs:
        if value != default:
            v = int(value) if isinstance(value, bool) else value
            out.append(f",{key}={v}")
    return "".join(out)


def format_layer(layer: Layer) -> str:
    """The canonical spelling of a layer; parsing it gives the same layer."""
    if isinstance(layer, Conv):
        c_in = f",{layer.c_in}" if layer.c_in is not None else ""
        return (f"{layer.filters}F({layer.kh},{layer.kw}{c_in}"
                + _opts(("s", layer.stride, 1), ("p", layer.pad, None), ("g", layer.groups, 1),
                        ("d", layer.dilation, 1), ("b", layer.bias, True)) + ")")
    if isinstance(layer, Depthwise):
        return (f"dw({layer.kh},{layer.kw}"
                + _opts(("m", layer.multiplier, 1), ("s", layer.stride, 1), ("p", layer.pad, None),
                        ("d", layer.dilation, 1), ("b", layer.bias, True)) + ")")
    if isinstance(layer, ChannelWise):
        return (f"cw({layer.dc}" + _opts(("s", layer.stride, 1), ("p", layer.pad, "same"),
                                         ("b", layer.bias, False)) + ")")
    if isinstance(layer, GroupChannelWise):
        return f"gcw({layer.groups},{layer.dc}" + _opts(("b", layer.bias, False)) + ")"
    if isinstance(layer, ConvClassifier):
        return f"ccl({layer.classes}" + _opts(("b", layer.bias, False)) + ")"
    if isinstance(layer, Pool):
        return (f"{layer.op.value}-p({layer.kh},{layer.kw},{layer.stride}"
                + _opts(("p", layer.pad, 0), ("ceil", layer.ceil, False)) + ")")
    if isinstance(layer, GlobalPool):
        return "gap" if layer.op is PoolOp.AVG else "gmp"
    if isinstance(layer, AdaptivePool):
        return f"{'aap' if layer.op is PoolOp.AVG else 'amp'}({layer.h},{layer.w})"
    if isinstance(layer, SPP):
        return "spp(" + ",".join(str(n) for n in layer.levels) + ")"
    if isinstance(layer, Dense):
        return f"{layer.units}fc" if layer.bias else f"fc({layer.units},b=0)"
    if isinstance(layer, Activation):
        return layer.fn.value
    if isinstance(layer, LRN):
        return f"lrn({layer.size})"
    if isinstance(layer, SE):
        head = f"se(sq={layer.squeeze}" if layer.squeeze is not None else f"se({layer.reduction}"
        return (head + _opts(
                                               ("act", layer.act.value, "relu"),
                                               ("gate", layer.gate.value, "sigmoid")) + ")")
    if isinstance(layer, Shuffle):
        return f"shuffle({layer.groups})"
    if isinstance(layer, Chunk):
        return f"chunk({layer.parts},{layer.index})"
    simple = {BatchNorm: "bn", Dropout: "dropout", Flatten: "flatten", Identity: "id",
              Concat: "concat", Add: "add"}
    return simple[type(layer)]


# ---------------------------------------------------------------------------
# Canonical notation of a whole spec (`cnncost fmt`)


def format_item(item: Item) -> str:
    """Canonical text of a syntax-tree item; parsing it gives the same graph."""
    if isinstance(item, Leaf):
        return format_layer(item.layer)
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
    return f"{item.op}[ " + " | ".join(format_chain(b) for b in branches) + " ]"


def format_chain(chain: Chain) -> str:
    return " → ".join(format_item(i) for i in chain.items)
