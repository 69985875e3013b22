"""Compare variants, diff two architectures, check budgets — over NetworkCost values.

Pure functions: NetworkCost in, plain frozen values out; report.py renders them.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any

from operator import attrgetter

from . import lazyre
from .choice import Choice
from .costs import LayerCost, NetworkCost, Totals
from .errors import CnnCostError, shorten
from .layers import BY_CLASS, Conv, Layer, Pool, PoolOp
from .metrics import BASELINE, BUDGETS, COMPARED
from .printer import format_layer
from .record import Record, fields as record_fields

# ---------------------------------------------------------------------------
# He & Sun's Table 1 notation, rendered from the graph

MAX_PERIOD = 8  # longest repeated sequence that is collapsed into [ … ]×k


def paper_token(layer: Layer) -> str | None:
    """(s,n)/k for a plain square convolution, k/s for square max pooling, else
    the canonical notation; None for layers Table 1 does not write."""
    if BY_CLASS[type(layer)].silent:  # bn, relu, … are not written in Table 1
        return None
    if (isinstance(layer, Conv) and layer.kh == layer.kw and layer.groups == 1
            and layer.dilation == 1 and layer.bias and layer.c_in is None
            and layer.sh is None and layer.ph is None and layer.pw is None):
        pad = f",p={layer.pad}" if layer.pad is not None else ""
        stride = f"/{layer.stride}" if layer.stride > 1 else ""
        return f"({layer.kh},{layer.filters}{pad}){stride}"
    if (isinstance(layer, Pool) and layer.op is PoolOp.MAX and layer.kh == layer.kw
            and layer.pad is None and not layer.ceil and layer.sh is None and layer.ph is None
            and layer.pw is None):
        return f"{layer.kh}/{layer.stride}"
    return format_layer(layer)


def collapse(tokens: list[str]) -> str:
    """Run-length encode repeats: a×3 → 'a×3'; [a, b]×2 → '[a + b]×2'; joined by ' + '."""
    out: list[str] = []
    i, n = 0, len(tokens)
    while i < n:
        best_p, best_k = 1, 1
        for p in range(1, min(MAX_PERIOD, (n - i) // 2) + 1):
            k = 1
            while tokens[i + k * p: i + (k + 1) * p] == tokens[i: i + p]:
                k += 1
            if k > 1 and p * k > best_p * best_k:
                best_p, best_k = p, k
        unit = tokens[i: i + best_p]
        text = unit[0] if best_p == 1 else "[" + " + ".join(unit) + "]"
        out.append(text if best_k == 1 else f"{text}×{best_k}")
        i += best_p * best_k
    return " + ".join(out)


def paper_notation(rows: tuple[LayerCost, ...] | list[LayerCost]) -> str:
    """A stage's layers in Table 1's notation, branches as branches.

    A chain is its layers' paper_token()s joined by ' + ', repeats collapsed. A merge
    and the branches that meet in it are one token in the spec language's own form —
    `res[ a + b ]` for an add whose other operand is the block's input (an identity
    shortcut), else `add[ a | b ]`, `concat[ a | b | c ]`, `mul[ a | b ]`, `id` for an
    operand that is the input itself — so a repeat (×k) is collapsed within a branch
    or over whole blocks, never over layers of different branches. ResNet-50's
    conv2_x reads `max-p(3,3,2,p=1) + add[ 64F(1,1,b=0) + 64F(3,3,b=0) + 256F(1,1,b=0)
    | 256F(1,1,b=0) ] + res[ 64F(1,1,b=0) + 64F(3,3,b=0) + 256F(1,1,b=0) ]×2`: Table 1's
    [1×1, 64; 3×3, 64; 1×1, 256]×3 with the first block's projection shortcut.

    A branch starts where its merge's operands last share a layer (the merge's
    immediate dominator in the stage; layers of earlier stages count as one input).
    A training-only head (aux[ … ]) is written after the layer it branches from."""
    return _Stage(rows).notation()


_OUTSIDE = 0  # the stage's input: the network input or any layer of an earlier stage


class _Stage:
    """A stage's layers as a graph: each layer's operands within the stage, and its
    immediate dominator (the last layer every path from the stage's input to it passes)."""

    def __init__(self, rows: tuple[LayerCost, ...] | list[LayerCost]) -> None:
        self.rows = {r.index: r for r in rows}
        self.preds: dict[int, list[int]] = {}
        self.idom: dict[int, int] = {_OUTSIDE: _OUTSIDE}
        depth = {_OUTSIDE: 0}
        for r in rows:  # topological order: every operand's dominator is known
            preds = [j if j in self.rows else _OUTSIDE for j in r.inputs] or [_OUTSIDE]
            self.preds[r.index] = preds
            d = preds[0]
            for p in preds[1:]:
                a, b = d, p
                while a != b:
                    while depth[a] > depth[b]:
                        a = self.idom[a]
                    while depth[b] > depth[a]:
                        b = self.idom[b]
                    if a != b:
                        a, b = self.idom[a], self.idom[b]
                d = a
            self.idom[r.index] = d
            depth[r.index] = depth[d] + 1
        self.seen: set[int] = set()

    def notation(self) -> str:
        read = {j for r in self.rows.values() for j in r.inputs}
        main = [i for i, r in self.rows.items() if not r.train_only]
        end = max(main, default=None)  # None: a stage of only an aux[ … ] head
        chain = self.chain(end, _OUTSIDE) if end is not None else []
        for sink in sorted(i for i in self.rows if i not in read and i != end):
            fork = sink  # where it leaves the layers written so far
            while fork in self.rows and fork not in self.seen:
                fork = self._back(fork)
            fork = fork if fork in self.rows else _OUTSIDE
            head = self.chain(sink, fork)
            text = ("aux" if self.rows[sink].train_only else "") + \
                f"[ {collapse([t for _, t in head])} ]"
            at = next((k + 1 for k, (i, _) in enumerate(chain) if i == fork),
                      0 if fork == _OUTSIDE else len(chain))
            chain.insert(at, (sink, text))
        return collapse([t for _, t in chain])

    def chain(self, end: int, stop: int, silent_too: bool = False) -> list[tuple[int, str]]:
        """(layer, token) from just after `stop` to `end`, in order; with `silent_too`,
        the layers Table 1 leaves out are written too (a branch of only bn)."""
        out: list[tuple[int, str]] = []
        v = end
        while v != stop and v in self.rows and v not in self.seen:
            self.seen.add(v)
            r, preds = self.rows[v], self.preds[v]
            if len(set(preds)) == 1:
                token = format_layer(r.layer) if silent_too else paper_token(r.layer)
                if token is not None:
                    out.append((v, token))
                v = preds[0]
                continue
            fork = self.idom[v]
            out.append((v, self.merge(r, [self.branch(p, fork) for p in preds])))
            v = fork
        out.reverse()
        return out

    def branch(self, start: int, fork: int) -> str:
        """One operand of a merge: '' when it is the fork's output itself."""
        if start == fork:
            return ""
        tokens = self.chain(start, fork)
        if not tokens:  # only layers Table 1 leaves out (bn, relu): write them
            self.seen.difference_update(self._between(start, fork))
            tokens = self.chain(start, fork, silent_too=True)
        return collapse([t for _, t in tokens])

    def _between(self, start: int, fork: int) -> set[int]:
        out, v = set(), start
        while v != fork and v in self.rows:
            out.add(v)
            v = self._back(v)
        return out

    def _back(self, v: int) -> int:
        """The layer before v on its path: its operand, or for a merge its dominator."""
        preds = self.preds[v]
        return preds[0] if len(set(preds)) == 1 else self.idom[v]

    @staticmethod
    def merge(r: LayerCost, branches: list[str]) -> str:
        if r.kind == "add" and len(branches) == 2 and branches.count("") == 1:
            return f"res[ {branches[0] or branches[1]} ]"
        return f"{r.kind}[ " + " | ".join(b or "id" for b in branches) + " ]"


# ---------------------------------------------------------------------------
# compare


class VariantRow(Record):
    name: str
    net: NetworkCost
    baseline: Totals

    @property
    def totals(self) -> Totals:
        return self.net.totals

    def relative(self, metric: str) -> float | None:
        """This row's metric over the baseline's; None when the baseline's is 0
        (no ratio exists: JSON null, shown as – or an empty CSV cell)."""
        base = self.baseline[metric]
        return self.totals[metric] / base if base else None

    def stage_notation(self) -> dict[str, str]:
        return {s.name: paper_notation(s.rows) for s in self.net.stages}


class Comparison(Record):
    baseline: str
    rows: tuple[VariantRow, ...]

    @property
    def stage_names(self) -> list[str]:
        """Stage labels in first-seen order over all variants."""
        names: list[str] = []
        for r in self.rows:
            names = _merged_stages([s.name for s in r.net.stages], names)
        return names

    @property
    def costed_stages(self) -> list[str]:
        """Stages with a nonzero Eq. (1) complexity in some model."""
        costed = {st.name for r in self.rows for st in r.net.stages if st.totals.complexity}
        return [s for s in self.stage_names if s in costed]

    @property
    def varying_stages(self) -> list[str]:
        """Stages whose layers differ between variants (the others are shared)."""
        notations = [r.stage_notation() for r in self.rows]
        return [s for s in self.stage_names if len({n.get(s, "") for n in notations}) > 1]


def compare(nets: list[NetworkCost], baseline: str | int | None = None) -> Comparison:
    """Side by side, relative to `baseline`: a name (case-insensitive), or the
    position in `nets` (a variants file's baseline, whatever its name), or the first."""
    if not nets:
        raise CnnCostError("nothing to compare", hint="name two or more specs, or a variants file")
    names = [n.name for n in nets]
    if isinstance(baseline, int):
        match = [nets[baseline]]
    else:
        base = baseline if baseline is not None else names[0]
        match = [n for n in nets if n.name.lower() == base.lower()]
        if not match:
            raise CnnCostError(f"baseline '{base}' is not among the compared networks",
                               hint="compared: " + ", ".join(names))
    b = match[0].totals
    return Comparison(match[0].name, tuple(VariantRow(n.name, n, b) for n in nets))


# ---------------------------------------------------------------------------
# diff


class Change(Choice):
    SAME = "="
    CHANGED = "~"
    ADDED = "+"
    REMOVED = "-"


class DiffRow(Record):
    change: Change
    stage: str  # B's stage of the layer (A's for a removed one)
    a: LayerCost | None
    b: LayerCost | None
    why: str = ""  # a changed layer: what differs, e.g. "filters 64 → 128, output 8x8x64 → 8x8x128"

    def delta(self, metric: str) -> int:
        va = getattr(self.a, metric) if self.a is not None else 0
        vb = getattr(self.b, metric) if self.b is not None else 0
        return vb - va


STAGES_NOTE = ("no stage rollup: the two networks label their stages differently "
               "(a renamed stage is not a change; the layers are aligned by structure)")


def comparable_stages(a: list[str], b: list[str]) -> bool:
    """Stage rollups (and check's growth by label) need the same stage labels: one
    side's labels in order, with whole stages that only the other side has allowed
    (he2015-j adds a stage 4 to A's 1, 2, 3, head)."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    it = iter(long)
    return all(name in it for name in short) and bool(set(a) & set(b))


class Diff(Record):
    a: NetworkCost
    b: NetworkCost
    rows: tuple[DiffRow, ...]

    @property
    def differs(self) -> bool:
        return any(r.change is not Change.SAME for r in self.rows)

    @property
    def same_stages(self) -> bool:
        """Do both sides label their stages alike (comparable_stages)? Otherwise
        there is no stage rollup (`stages` is empty)."""
        return comparable_stages([s.name for s in self.a.stages], [s.name for s in self.b.stages])

    @property
    def stages(self) -> list[str]:
        """The stage labels to roll up: B's order, with A-only stages after the stage
        they follow in A; [] when the two sides label their stages differently."""
        if not self.same_stages:
            return []
        return _merged_stages([s.name for s in self.a.stages], [s.name for s in self.b.stages])

    def stage_delta(self, stage: str, metric: str) -> int:
        """B's stage total minus A's stage total (0 for a side without that stage)."""
        vb = sum(getattr(r, metric) for r in self.b.rows if r.stage == stage)
        va = sum(getattr(r, metric) for r in self.a.rows if r.stage == stage)
        return vb - va

    def total_delta(self, metric: str) -> int:
        """A metric key, or conv_layers."""
        return getattr(self.b.totals, metric) - getattr(self.a.totals, metric)


# What must be equal for a layer that did not change: its output and metrics.COMPARED,
# less what a layer's row holds by its neighbours, not by itself: live_bytes (the
# outputs alive while it runs depend on the schedule, e.g. the order of a merge's
# branches) and train_saved_bytes (a storage autograd keeps counts once, at the first
# layer that saves it: a relu before a conv takes the conv's). Their totals still show.
_LAYER_METRICS = tuple(m for m in COMPARED if m not in ("live_bytes", "train_saved_bytes"))
_compared = attrgetter("output", *_LAYER_METRICS)


def _merged_stages(a: list[str], b: list[str]) -> list[str]:
    """B's stage order, with A-only stages placed after the stage they follow in A."""
    order = list(b)
    for i, name in enumerate(a):
        if name not in order:
            order.insert(order.index(a[i - 1]) + 1 if i else 0, name)
    return order


def _input_shapes(net: NetworkCost, r: LayerCost) -> tuple:
    """The shapes a layer reads; a merge's sorted, so branch order never shows."""
    shapes = [net.input if j == 0 else net.rows[j - 1].output for j in r.inputs]
    return tuple(shapes) if len(shapes) < 2 else tuple(sorted(shapes, key=lambda s: (s.h, s.w, s.c)))


def _signature(net: NetworkCost, r: LayerCost) -> str:
    """What aligns a layer with its counterpart: its canonical notation and the
    shapes it reads (a changed input shows). Names and stage labels play no part."""
    return format_layer(r.layer) + " @ " + " + ".join(map(str, _input_shapes(net, r)))


def structural_order(net: NetworkCost) -> list[LayerCost]:
    """The layers in a canonical topological order: depth first from the outputs,
    each layer after its inputs, and a merge's inputs visited in the order of their
    structure — a hash of the whole subgraph that feeds each, by layer kinds first (so
    that widening a branch does not reorder it among its siblings), then by
    signatures; never names — so that `concat[ a | b ]` and `concat[ b | a ]` list
    the same layers alike."""
    import hashlib  # here: it loads OpenSSL (~5 ms), and only diff needs it
    rows = net.rows
    n = len(rows)
    key: list[tuple[str, str]] = []

    def h(*parts: str) -> str:
        return hashlib.sha1("\n".join(parts).encode()).hexdigest()

    for r in rows:  # rows are in topological order: every input's key is known
        ins = [("in", "in") if j == 0 else key[j - 1] for j in r.inputs]
        key.append((h(r.kind, *sorted(k for k, _ in ins)),
                    h(_signature(net, r), *sorted(d for _, d in ins))))
    read = {j for r in rows for j in r.inputs}
    sinks = [i for i in range(n) if i + 1 not in read]
    done = [False] * n
    order: list[LayerCost] = []
    for sink in sinks:
        stack = [(sink, False)]
        while stack:  # iterative post-order: deep networks do not reach Python's recursion limit
            i, expanded = stack.pop()
            if done[i]:
                continue
            if expanded:
                done[i] = True
                order.append(rows[i])
                continue
            stack.append((i, True))
            ins = sorted({j - 1 for j in rows[i].inputs if j and not done[j - 1]},
                         key=lambda k: key[k], reverse=True)
            stack.extend((k, False) for k in ins)
    return order


_FIELD_NAMES = {"pad": "padding", "c_in": "declared input channels", "sh": "stride (height)",
                "sw": "stride (width)", "ph": "padding (height)", "pw": "padding (width)"}


def _value(v: Any) -> str:
    if v is None:
        return "default"
    if isinstance(v, Choice):
        return str(v.value)
    return str(v)


def _shape_change(what: str, x: Any, y: Any) -> str:
    if (x.h, x.w) == (y.h, y.w):
        return f"{what} channels {x.c} → {y.c}"
    return f"{what} {x} → {y}"


def why(a: NetworkCost, x: LayerCost, b: NetworkCost, y: LayerCost) -> str:
    """What differs between two aligned layers, most telling first: the layer itself
    (its kind, or each option: "filters 64 → 128", "kernel 3x3 → 2x2"), what it reads
    ("input channels 64 → 128"), what it writes ("output 56x56x64 → 28x28x64"), else
    the costs that differ."""
    parts: list[str] = []
    la, lb = x.layer, y.layer
    if type(la) is not type(lb):
        parts.append(f"{format_layer(la)} → {format_layer(lb)}")
    elif la != lb:
        fields = [f.name for f in record_fields(la) if getattr(la, f.name) != getattr(lb, f.name)]
        if "kh" in fields or "kw" in fields:
            parts.append(f"kernel {la.kh}x{la.kw} → {lb.kh}x{lb.kw}")  # type: ignore[attr-defined]
        for f in fields:
            if f not in ("kh", "kw"):
                parts.append(f"{_FIELD_NAMES.get(f, f)} {_value(getattr(la, f))} → "
                             f"{_value(getattr(lb, f))}")
    ia, ib = _input_shapes(a, x), _input_shapes(b, y)
    if ia != ib:
        if len(ia) != len(ib):
            parts.append(f"inputs {len(ia)} → {len(ib)}")
        elif len(ia) == 1:
            parts.append(_shape_change("input", ia[0], ib[0]))
        else:
            parts.append(f"inputs {' + '.join(map(str, ia))} → {' + '.join(map(str, ib))}")
    if x.output != y.output:
        parts.append(_shape_change("output", x.output, y.output))
    if not parts:
        parts = [f"{m} {getattr(x, m)} → {getattr(y, m)}" for m in _LAYER_METRICS
                 if getattr(x, m) != getattr(y, m)]
        if x.train_only != y.train_only:
            parts.append("training-only" if y.train_only else "no longer training-only")
    return ", ".join(parts)


def _pair(a: NetworkCost, b: NetworkCost, xs: list[LayerCost], ys: list[LayerCost],
          rows: list[DiffRow]) -> None:
    """A replaced run: aligned again by notation alone (a layer whose input changed
    is 'changed', not removed and added), the rest paired in order where the kinds
    agree (a conv whose kernel changed); what is left over is removed or added."""
    from difflib import SequenceMatcher
    sm = SequenceMatcher(None, [format_layer(r.layer) for r in xs],
                                 [format_layer(r.layer) for r in ys], autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        px, py = xs[i1:i2], ys[j1:j2]
        paired = len(px) if op == "equal" else min(len(px), len(py)) if op == "replace" else 0
        for x, y in zip(px[:paired], py[:paired]):
            if x.kind == y.kind:
                _matched(a, b, x, y, rows)
            else:
                rows.append(DiffRow(Change.REMOVED, x.stage, x, None))
                rows.append(DiffRow(Change.ADDED, y.stage, None, y))
        rows.extend(DiffRow(Change.REMOVED, x.stage, x, None) for x in px[paired:])
        rows.extend(DiffRow(Change.ADDED, y.stage, None, y) for y in py[paired:])


def _matched(a: NetworkCost, b: NetworkCost, x: LayerCost, y: LayerCost,
             rows: list[DiffRow]) -> None:
    same = _compared(x) == _compared(y) and x.train_only == y.train_only \
        and format_layer(x.layer) == format_layer(y.layer) \
        and _input_shapes(a, x) == _input_shapes(b, y)
    rows.append(DiffRow(Change.SAME, y.stage, x, y) if same else
                DiffRow(Change.CHANGED, y.stage, x, y, why(a, x, b, y)))


def diff(a: NetworkCost, b: NetworkCost) -> Diff:
    """Align the two graphs by structure, never by labels.

    Each side's layers are listed in structural_order (branches of a merge in the
    order of their structure), and a longest-common-subsequence (difflib) over their
    signatures — canonical notation plus input shapes — pairs them; a replaced run is
    aligned again by notation alone. Layer names, stage labels and stage boundaries,
    and the order of a merge's branches never make a difference: `concat[ a | b ]`
    and `concat[ b | a ]` are the same (their output channels come in another order,
    but the shapes and every cost agree). A paired layer whose notation, output or a
    metric (metrics.COMPARED) differs is 'changed', with `why`."""
    ra, rb = structural_order(a), structural_order(b)
    from difflib import SequenceMatcher
    sm = SequenceMatcher(None, [_signature(a, r) for r in ra],
                                 [_signature(b, r) for r in rb], autojunk=False)
    rows: list[DiffRow] = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            for x, y in zip(ra[i1:i2], rb[j1:j2]):
                _matched(a, b, x, y, rows)
        else:
            _pair(a, b, ra[i1:i2], rb[j1:j2], rows)
    return Diff(a, b, tuple(_in_b_order(rows)))


def _in_b_order(rows: list[DiffRow]) -> list[DiffRow]:
    """The aligned rows in B's own order (as B's spec is written); a removed layer
    stays after the layer aligned before it."""
    keyed, last = [], 0
    for n, r in enumerate(rows):
        if r.b is not None:
            last = r.b.index
        keyed.append(((last, n), r))
    return [r for _, r in sorted(keyed, key=lambda kr: kr[0])]


# ---------------------------------------------------------------------------
# check

_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


_BINARY = {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}
_BYTES = lazyre.compile(r"\s*(\d{1,30}(?:\.\d{1,30})?)\s*(?:([kKmMgGtT])(i?)[bB]|([bB]))?\s*")
_AMOUNT = lazyre.compile(r"\s*(\d{1,30}(?:\.\d{1,30})?)\s*([kKmMgGtT]?)\s*")
_PUBLISHED = lazyre.compile(r"(?i)(\d+)(?:\.(\d+))?\s*([KMGT]?)")


def parse_amount(text: str, what: str, nbytes: bool = False) -> int:
    """'5M' → 5_000_000, '1.2G' → 1_200_000_000, '600000' → 600000 (SI, powers of 1000).
    With `nbytes`, also byte units meaning what they say: 512MB = 512·10⁶, 2GiB = 2·2³⁰."""
    if nbytes:
        b = _BYTES.fullmatch(text)
        if b and (b.group(2) or b.group(4)):
            from fractions import Fraction
            unit = (1 if b.group(4) else
                    _BINARY[b.group(2).upper() + "IB"] if b.group(3) else _SUFFIX[b.group(2).upper()])
            value = Fraction(b.group(1)) * unit
            if value.denominator != 1:
                raise CnnCostError(f"{what}: '{text}' is not a whole number of bytes",
                                   hint="e.g. 2GiB or 512MB")
            return int(value)
    m = _AMOUNT.fullmatch(text)
    if not m:
        if nbytes:
            raise CnnCostError(f"{what}: '{shorten(text)}' is not an amount of bytes",
                               hint="a number with B, KB, MB, GB, TB (powers of 1000) or KiB, "
                                    "MiB, GiB, TiB (powers of 1024), e.g. 2GiB or 512MB")
        raise CnnCostError(f"{what}: '{shorten(text)}' is not an amount",
                           hint="a number (up to 30 digits) with an optional K, M, G or T suffix, "
                                "e.g. 5M or 1.2G")
    from fractions import Fraction
    value = Fraction(m.group(1)) * _SUFFIX[m.group(2).upper()]
    if value.denominator != 1:
        raise CnnCostError(f"{what}: '{text}' is not a whole number", hint="e.g. 5M or 1.2G")
    return int(value)


def parse_percent(text: str, what: str) -> float:
    r"""'5%', '0.5 %' or '2' → the number: up to 9 digits, and up to 9 after a point
    (what r"\s*(\d{1,9}(?:\.\d{1,9})?)\s*%?\s*" matches, read without re, whose
    import is a fifth of a bare interpreter's start: replace's --tolerance)."""
    number = text.strip()
    if number.endswith("%"):
        number = number[:-1].rstrip()
    whole, point, fraction = number.partition(".")
    if not (whole.isdecimal() and len(whole) <= 9 and
            (not point or fraction.isdecimal() and len(fraction) <= 9)):
        raise CnnCostError(f"{what}: '{shorten(text)}' is not a percentage", hint="e.g. 2% or 0.5%")
    return float(number)


class Limit(Record):
    metric: str  # a metrics.BUDGETS key
    value: int  # the network's value
    limit: int  # the largest allowed value
    increase: float | None = None  # None: an absolute maximum; else the baseline's value + this %
    base: int | None = None  # the baseline's value (with `increase`)

    @property
    def ok(self) -> bool:
        return self.value <= self.limit

    @property
    def margin(self) -> int:
        """How far under (negative) or over (positive) the limit."""
        return self.value - self.limit


class StageGrowth(Record):
    stage: str
    before: int  # complexity in the baseline (0 without one)
    after: int


class CheckResult(Record):
    net: NetworkCost
    baseline: NetworkCost | None
    limits: tuple[Limit, ...]
    growth: tuple[StageGrowth, ...]  # stages, largest growth (or share) first
    count: Any = None  # --count TOOL: what that tool would report (cnncost.counting.Count)

    @property
    def ok(self) -> bool:
        return all(limit.ok for limit in self.limits)


def stage_growth(net: NetworkCost, baseline: NetworkCost) -> list[StageGrowth]:
    """Each of `net`'s stages: its Eq. (1) complexity in the baseline and now.

    With the same stage labels on both sides (comparable_stages, as diff's stage
    rollup), a stage is compared with the baseline's stage of that label (0 for a
    stage the baseline lacks). Otherwise — a renamed stage, or other boundaries —
    the growth goes by position in diff's structural alignment: a stage's baseline
    value is that of the baseline layers aligned with its layers, and a removed layer
    counts in the stage of the layer aligned before it (the first stage if none), so
    a renamed stage never "grows"."""
    if comparable_stages([s.name for s in baseline.stages], [s.name for s in net.stages]):
        before = {s.name: s.totals.complexity for s in baseline.stages}
        return [StageGrowth(s.name, before.get(s.name, 0), s.totals.complexity)
                for s in net.stages]
    aligned = {s.name: 0 for s in net.stages}
    current = net.stages[0].name if net.stages else ""
    for r in diff(baseline, net).rows:
        if r.b is not None:
            current = r.b.stage
        if r.a is not None and current in aligned:
            aligned[current] += r.a.complexity
    return [StageGrowth(s.name, aligned[s.name], s.totals.complexity) for s in net.stages]


def check(net: NetworkCost, max_values: dict[str, int], baseline: NetworkCost | None = None,
          max_increase: float | None = None, count: Any = None) -> CheckResult:
    """Absolute limits per metric (max_values: metrics.BUDGETS key → largest allowed),
    and/or an allowed % increase over a baseline for each metrics.BASELINE metric.
    With a tool's `count` (cnncost.counting), max_values["count"] limits its total.
    A baseline's stage growth is stage_growth's: by label where both sides label their
    stages alike, else by diff's structural alignment."""
    totals = net.totals
    limits = [Limit(m.key, totals[m.total_name], max_values[m.key]) for m in BUDGETS
              if m.key in max_values]
    if "count" in max_values:
        assert count is not None, "a count limit needs the tool's count"
        limits.append(Limit("count", count.total, max_values["count"]))
    if baseline is not None:
        from fractions import Fraction
        pct = max_increase if max_increase is not None else 0.0
        base = baseline.totals
        for m in BASELINE:
            # floor(base·(1 + pct/100)) exactly, without float rounding at the boundary
            allowed = int(base[m.key] * (1 + Fraction(str(pct)) / 100))
            limits.append(Limit(m.key, totals[m.key], allowed, pct, base[m.key]))
    if not limits:
        budgets = " or ".join(m.label for m in BUDGETS)
        raise CnnCostError("check needs a limit",
                           hint=f"give the largest allowed {budgets}, or a baseline",
                           cli_hint="give " + "/".join(m.flag for m in BUDGETS)
                                    + ", or --baseline")
    if baseline is not None:
        growth = stage_growth(net, baseline)
        growth.sort(key=lambda g: g.after - g.before, reverse=True)
    else:
        growth = sorted((StageGrowth(s.name, 0, s.totals.complexity) for s in net.stages),
                        key=lambda g: g.after, reverse=True)
    return CheckResult(net, baseline, tuple(limits), tuple(growth), count)


# ---------------------------------------------------------------------------
# published figures


def matches_published(value: int, published: str) -> bool:
    """Does an exact count agree with a figure as published?

    '25557032' must equal exactly; '4.09G' or '569M' must equal the count
    rounded to the same unit and number of decimals (SI powers of 1000).
    """
    text = published.strip().replace(",", "").replace("_", "")
    m = _PUBLISHED.fullmatch(text)
    if not m:
        raise CnnCostError(f"'{published}' is not a published figure",
                           hint="write an exact count (25557032) or a rounded one (4.09G, 569M)")
    if not m.group(3):
        return m.group(2) is None and value == int(m.group(1))
    decimals = len(m.group(2) or "")
    unit = _SUFFIX[m.group(3).upper()]
    from decimal import ROUND_HALF_EVEN, Decimal
    ours = (Decimal(value) / unit).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    return ours == Decimal(f"{m.group(1)}.{m.group(2) or '0'}")
