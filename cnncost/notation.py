"""The arrow language: tokenizer, one parse function per grammar rule, lowering.

The grammar (whitespace, line breaks and ``# comments`` are insignificant,
keywords are case-insensitive)::

    spec    := [input link] chain END
    input   := 'Input' '(' INT ',' INT ',' INT ')'  |  INT 'x' INT 'x' INT
    chain   := item (link item)*
    link    := '→' | '->' | '=>' | '+'
    item    := [INT ('x'|'×')] atom (('x'|'×') INT)*      repetition, weights not shared
    atom    := '[' chain ']'                                a group
             | ('concat' | 'add' | 'mul') '[' chain ('|' chain)* ']'
             | 'res' '[' chain ']'                          add[ chain | id ]
             | 'aux' '[' chain ']'                          a training-only head
             | layer
    layer   := INT 'F' args                                 64F(7,7,3,s=2)
             | INT 'T' args                                 64T(2,2,s=2), transposed
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
from. The tree and the lowering are :mod:`cnncost.tree`'s, re-exported here. Every named layer is described once in :data:`LAYERS`, the table the
language reference is written from.
"""

from __future__ import annotations

from . import lazyre
from .blocks import Block, substitute
from .errors import CnnCostError, Source, Span, did_you_mean, shorten
from .layers import BRANCHES, SYNTAX, Identity, Layer
from .layers.base import TORCH_SPELLINGS, Args, Value
from .model import Graph, Padding, Shape
from .record import NamedTuple
from .tree import (  # the syntax tree and its lowering, kept apart (and re-exported)
    MAX_LAYERS, Branch, Chain, Deferred, Item, Leaf, Lowerer, Parsed, Repeat, _new, check_size,
    expand_blocks, expanded_size, lower, lower_stages,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import NoReturn

MAX_NESTING = 64  # brackets nested deeper than this are refused
MAX_SPEC_CHARS = 4_000_000  # refuse spec texts longer than this

# ---------------------------------------------------------------------------
# Tokenizer (after packaging's: a table of regexes, check / expect / read).

TOKENS: dict[str, lazyre.Pattern] = {  # compiled when first used (cnncost.lazyre)
    name: lazyre.compile(pattern)
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
        # Tokens the parser reads where one form could start like another:
        "SHAPE": r"(\d+)\s*[x×X]\s*(\d+)\s*[x×X]\s*(\d+)(?=\s*(?:→|⟶|->|=>|\+|#|$))",  # HxWxC
        "SHAPE_LIKE": r"\d+\s*[x×X]\s*\d+\s*[x×X]\s*\d+[\dx×X\s]*",  # HxWxC out of place
        "COUNT": r"(\d+)\s*(?:[x×X](?=\s*[\d(\[A-Za-z_])|×)",  # 5× in front of an item
        "KEY": r"([A-Za-z_][A-Za-z0-9_]*)\s*=",  # an option's name and its '='
        "NEGATIVE": r"-\s*\d+",
    }.items()
}


_WS = TOKENS["WS"]

# Fast paths for what generated specs are made of: a leaf written the common way
# and the arrow after it, each read by one regex instead of a dozen check() calls.
# Each builds exactly what the general path builds from the same text (through
# the same _leaf/_call), and only where that text leaves the general path no
# choice: the leaf must be followed by a link, a closing bracket, a '|' or the
# end (so no ×k, /s, comment or anything else can follow), and the arrow by the
# start of an item. Anything else, including every error, takes the general path.
# (FAST = False turns them off: the tests compare both paths on many specs.)
FAST = True
_AFTER_LEAF = r"(?=[ \t]*(?:→|⟶|->|=>|\+|\]|\||\Z))"
_FAST_CONV = lazyre.compile(r"(\d{1,9})[fF]\((\d{1,9}),(\d{1,9})\)" + _AFTER_LEAF)
# A bare name's match takes the blanks after it (group 1 is the name): the general
# path's span of a name without arguments ends after them, where its check for
# '(' skipped to.
_FAST_NAME = lazyre.compile(r"([A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z][A-Za-z0-9_]*)*)[ \t]*" + _AFTER_LEAF)
_FAST_LINK = lazyre.compile(r"[ \t]*(?:→|⟶|->|=>|\+)[ \t]*(?=[0-9A-Za-z(\[])")
# the arrow and a leaf after it in one match, for a leaf seen before (chain's loop):
# group 1 is a conv leaf's text as _FAST_CONV matches it, group 2 a name as _FAST_NAME's
_FAST_NEXT = lazyre.compile(r"[ \t]*(?:→|⟶|->|=>|\+)[ \t]*(?:(\d{1,9}[fF]\(\d{1,9},\d{1,9}\))|"
                            r"([A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z][A-Za-z0-9_]*)*)[ \t]*)" + _AFTER_LEAF)
_GLUED = lazyre.compile(r"(.+?)[xX](\d+)")  # relux3: a layer, then ×3 (Parser.layer)
_FC_TIMES = lazyre.compile(r"(?i)fc[xX]\d+")  # 4096fcx2: fc, then ×2
_FC_N = lazyre.compile(r"fc\d+")  # fc4096 read as one NAME
_SHAPE_TEXT = lazyre.compile(r"\s*(\d+)\s*[x×X,]\s*(\d+)\s*[x×X,]\s*(\d+)\s*")  # parse_shape


class Token(NamedTuple):  # one per token read: a tuple is the cheapest to make
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
        self.groups: tuple[str, ...] = ()  # the groups of the last token checked
        self._skipped = -1  # the position whitespace was last skipped to (a parser checks
        # several kinds of token at one position: the skip is done once)

    def _skip_ws(self) -> None:
        pos = self.pos
        if pos == self._skipped:
            return
        text = self.text
        if pos < len(text) and (text[pos].isspace() or text[pos] == "#"):
            m = _WS.match(text, pos)
            if m:
                pos = self.pos = m.end()
        self._skipped = pos

    def check(self, kind: str, peek: bool = False) -> bool:
        """Is the next token of this kind? Remembers it for read()."""
        if self.pos != self._skipped:
            self._skip_ws()
        m = TOKENS[kind].match(self.text, self.pos)
        if not m:
            return False
        if kind in ("INT", "NUMBER") and m.end() - m.start() > MAX_DIGITS:  # a Span only then
            check_digits(m.group().replace(".", ""), Span(self.source, m.start(), m.end()))
        if not peek:
            self.next = Token(kind, m.group(), m.start(), m.end())
            self.groups = m.groups()
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
             hint: str = "", cli_hint: str = "") -> NoReturn:
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
        raise CnnCostError(message, Span(self.source, start, end or start + 1), hint, cli_hint)


TRAILING_ARROW = "remove the arrow at the end, or add the layer it leads to"


def _token_end(text: str, start: int) -> int:
    """End of the word-ish token starting at start (for caret widths)."""
    for kind in ("ARROW", "NAME", "NUMBER", "INT"):
        m = TOKENS[kind].match(text, start)
        if m:
            return m.end()
    return min(start + 1, len(text)) if start < len(text) else start + 1


# ---------------------------------------------------------------------------
# The layer names: every kind's syntax comes from the registry (cnncost.layers)

LAYERS = SYNTAX  # name (aliases included) → signature

BRANCH_WORDS = (*BRANCHES, "res", "aux")

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
        # The fast path's layers, by their text (`16F(1,1)`, `relu`): a generated
        # chain repeats a few leaves thousands of times, and each is built once.
        # Only the layer is shared — a frozen record without spans, as a repeat's
        # nodes already share theirs; each occurrence gets its own Leaf and span.
        self._fast_layers: dict[str, Layer] = {}

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
                t.fail("'|' separates branches only inside concat[ … ], add[ … ] or mul[ … ]",
                       hint="write concat[ a | b ], add[ a | b ] or mul[ a | b ]")
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
        if t.check("SHAPE"):
            t.read()
            dims = [whole(g, t.span(start)) for g in t.groups]
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
        link = _FAST_LINK.match if FAST else None
        after = _FAST_NEXT.match if FAST else None
        known = self._fast_layers
        text = t.text
        while True:
            # an arrow and a leaf seen before: what the link below and _fast_leaf make
            if after is not None and t.next is None and (m := after(text, t.pos)) and \
                    (layer := known.get(m[i := m.lastindex])) is not None:
                end = t.pos = m.end()
                if i == 2:
                    t._skipped = end  # where _call leaves the tokenizer after a bare name
                items.append(_new(Leaf, (layer, _new(Span, (t.source, m.start(i), end)))))
                continue
            if link is not None and t.next is None and (m := link(text, t.pos)):
                start = t.pos = m.end()  # an arrow, then an item's first character (no blank)
                leaf = self._fast_leaf(start)  # what item() would try first
                items.append(self.item(tried_fast=True) if leaf is None else leaf)
                continue
            if not (t.check("ARROW") or t.check("PLUS")):
                break
            t.read()
            if t.check("END", peek=True) or t.check("RBRACKET", peek=True) or t.check("PIPE", peek=True):
                t.fail("expected a layer after the arrow", hint=TRAILING_ARROW)
            items.append(self.item())
        return Chain(tuple(items))

    # item := [INT x] atom (x INT)*
    def item(self, tried_fast: bool = False) -> Item:
        """tried_fast: the caller tried _fast_leaf at this position already."""
        t = self.t
        t._skip_ws()
        start = t.pos
        if FAST and not tried_fast:
            leaf = self._fast_leaf(start)
            if leaf is not None:
                return leaf
        prefix = None
        if t.check("SHAPE_LIKE"):
            t.fail("an input shape (HxWxC) may only come first", start, t.next.end if t.next else None,
                   hint="use Input(H,W,C) at the start, or give an input shape with the spec",
                cli_hint="use Input(H,W,C) at the start, or --input")
        if t.check("COUNT"):
            t.read()
            digits = t.groups[0]
            prefix = whole(digits, Span(t.source, start, start + len(digits)))  # 0: left out
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
            if word == "aux":  # a training-only head: aux[ chain ]
                return Branch("aux", (self._nested(start),), t.span(start))
            branches = [self._nested(start, close=False)]
            while t.check("PIPE"):
                t.read()
                branches.append(self._nested(start, close=False))
            if word == "mul" and len(branches) < 2:
                t.fail("mul[ … ] multiplies two or more branches", start, start + 3,
                       hint="write mul[ id | gap → 16fc → sigmoid ], one branch per operand")
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
                if _FC_TIMES.fullmatch(word.text):  # 4096fcx2: fc, then ×2
                    word = Token("NAME", word.text[:2], word.start, word.start + 2)
                    t.pos = word.end
                low = word.text.lower()
                if low == "f":
                    return self._call(start, "conv", word, pre={"n": (n, first)})
                if low == "t":
                    return self._call(start, "tconv", word, pre={"n": (n, first)})
                if low == "fc":
                    return self._leaf(start, "fc", {"n": (n, first)})
                raise CnnCostError(f"unknown layer '{first.text}{word.text}'"
                                   + did_you_mean(low, ("f", "t", "fc")), t.span(start),
                                   hint=f"write {n}F(3,3) for a convolution, {n}T(2,2,s=2) for "
                                        f"a transposed one, or {n}fc")
            t.fail("expected a layer after the number", start, first.end,
                   hint="write 64F(3,3), (3,64), 128*3*3*256, 3/3 or 4096fc")
        if t.check("NAME"):
            word = t.read()
            glued = _GLUED.fullmatch(word.text)
            if glued and self._known(glued.group(1).lower()):  # relux3: relu, then ×3
                end = word.start + len(glued.group(1))
                word = Token("NAME", glued.group(1), word.start, end)
                t.pos = end
            low = word.text.lower()
            if low == "fc" and t.check("INT"):
                n = t.read()
                return self._leaf(start, "fc", {"n": (int(n.text), n)})
            if _FC_N.fullmatch(low):  # fc4096 read as one NAME
                n = Token("INT", word.text[2:], word.start + 2, word.end)
                return self._leaf(start, "fc", {"n": (int(n.text), n)})
            if low == "input":
                t.fail("Input(H,W,C) may only come first", word.start, word.end,
                       hint="move it to the start of the spec",
                       cli_hint="move it to the start of the spec, or use --input")
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

    def _fast_leaf(self, start: int) -> Leaf | None:
        """`16F(1,1)` or a bare layer name such as `relu`, followed by what ends an
        item, as the general path reads it; None for anything else. A text seen
        before in this spec reuses its layer (self._fast_layers): the same text
        builds an equal layer, and the spans that differ are only the Leaf's and,
        inside the build, those of errors, which a layer in the memo never raised."""
        t = self.t
        text = t.text
        first = text[start:start + 1]
        if first.isdigit():
            m = _FAST_CONV.match(text, start)
            if m is None:
                return None
            end = t.pos = m.end()
            layer = self._fast_layers.get(key := m.group())
            if layer is not None:
                return _new(Leaf, (layer, _new(Span, (t.source, start, end))))  # span: t.span(start)
            (n0, n1), (a0, a1), (b0, b1) = m.span(1), m.span(2), m.span(3)
            src = t.source
            raw: list[tuple[str | None, Value]] = [
                (None, Value(int(m.group(2)), Span(src, a0, a1))),
                (None, Value(int(m.group(3)), Span(src, b0, b1)))]
            leaf = self._leaf(start, "conv",
                              {"n": (int(m.group(1)), Token("INT", m.group(1), n0, n1))}, raw)
            self._fast_layers[key] = leaf.layer
            return leaf
        if not first.isalpha():
            return None
        m = _FAST_NAME.match(text, start)
        if m is None:
            return None
        word = m.group(1)
        layer = self._fast_layers.get(word)
        if layer is not None:  # checked below when first seen
            # where _call leaves the tokenizer: after the blanks its check for '(' skipped
            end = t.pos = t._skipped = m.end()
            return _new(Leaf, (layer, _new(Span, (t.source, start, end))))  # Leaf(…), fast
        low = word.lower()
        if low not in LAYERS or low in ("f", "t", "fc", "input") or low in self.blocks \
                or low in BRANCH_WORDS or _GLUED.fullmatch(word):
            return None
        t.pos = m.end(1)
        leaf = self._call(start, low, Token("NAME", word, start, t.pos))
        self._fast_layers[word] = leaf.layer
        return leaf

    def _known(self, word: str) -> bool:
        return word in LAYERS or word in self.blocks or bool(_FC_N.fullmatch(word))

    def _block(self, start: int, block: Block) -> Chain | Deferred:
        """NAME [args] for a user-defined block: its body, expanded and parsed —
        or, for a block that reads `cin`, a call expanded once its input is known."""
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
        if block.reads_cin:
            return Deferred(block, tuple(args), tuple(kwargs.items()), span,
                            tuple(self.variables.items()), self.blocks, self.block_depth)
        source = block.expand(args, kwargs, span, self.variables)
        body = Parser(source, self.blocks, self.block_depth + 1, self.variables).block_body()
        return Chain(body.items, block.name, span)

    def block_body(self) -> Chain:
        """A block's expanded body: one chain, then the end."""
        chain = self.chain()
        if not self.t.check("END"):
            self.t.fail("expected an arrow or the end of the block",
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
        elif name == "tconv":
            t.fail("expected '(' after T", hint="write 64T(2,2,s=2)")
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
        if t.check("KEY"):
            t.read()
            key = t.groups[0].lower()
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
        if t.check("NEGATIVE", peek=True):
            t.check("NEGATIVE")
            tok = t.read()
            t.fail("negative values are not allowed", tok.start, tok.end,
                   hint="sizes, strides, padding and counts are whole numbers")
        t.fail("expected a value", hint=hint)

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
    display = sig.names[0]
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
                ours = TORCH_SPELLINGS.get(key)
                if ours in allowed:  # PyTorch's spelling of one of ours: stride= → s=
                    close = f" (did you mean '{ours}='?)"
                elif ours and not ours.isidentifier():  # e.g. negative_slope → lrelu(0.1)
                    close = f" (cnncost writes {ours})"
                else:
                    close = did_you_mean(key, allowed)
                raise CnnCostError(f"{display} has no option '{key}'" + close, value.span,
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


def parse_spec(text: str, input: Shape | None = None, padding: Padding | str = Padding.SAME,
               name: str = "") -> Graph:
    """Text in the arrow language → Graph. `input` overrides an Input(...) in the text."""
    parsed = parse(text)
    return lower(parsed, name, Padding(padding), input)


def parse_shape(text: str, what: str = "") -> Shape:
    """'224x224x3' (or 224,224,3) → Shape; a CnnCostError otherwise.
    `what` names where the text came from (e.g. "--input") in messages."""
    m = _SHAPE_TEXT.fullmatch(text)
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
