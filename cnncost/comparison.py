"""Compare variants, diff two architectures, check budgets — over NetworkCost values.

Pure functions: NetworkCost in, plain frozen values out; report.py renders them.
"""

from __future__ import annotations

import difflib
import enum
import re
from typing import Any
from dataclasses import dataclass
from operator import attrgetter

from .costs import LayerCost, NetworkCost, Totals
from .errors import CnnCostError, shorten
from .layers import BY_CLASS, Conv, Layer, Pool, PoolOp
from .metrics import BASELINE, BUDGETS, COMPARED
from .printer import format_layer

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
    return collapse([t for r in rows if (t := paper_token(r.layer)) is not None])


# ---------------------------------------------------------------------------
# compare


@dataclass(frozen=True, slots=True)
class VariantRow:
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


@dataclass(frozen=True, slots=True)
class Comparison:
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


class Change(str, enum.Enum):
    SAME = "="
    CHANGED = "~"
    ADDED = "+"
    REMOVED = "-"


@dataclass(frozen=True, slots=True)
class DiffRow:
    change: Change
    stage: str
    a: LayerCost | None
    b: LayerCost | None

    def delta(self, metric: str) -> int:
        va = getattr(self.a, metric) if self.a is not None else 0
        vb = getattr(self.b, metric) if self.b is not None else 0
        return vb - va


@dataclass(frozen=True, slots=True)
class Diff:
    a: NetworkCost
    b: NetworkCost
    rows: tuple[DiffRow, ...]

    @property
    def differs(self) -> bool:
        return any(r.change is not Change.SAME for r in self.rows)

    @property
    def stages(self) -> list[str]:
        names: dict[str, None] = {}
        for r in self.rows:
            names.setdefault(r.stage, None)
        return list(names)

    def stage_delta(self, stage: str, metric: str) -> int:
        return sum(r.delta(metric) for r in self.rows if r.stage == stage)

    def total_delta(self, metric: str) -> int:
        """A metric key, or conv_layers."""
        return getattr(self.b.totals, metric) - getattr(self.a.totals, metric)


def _signature(r: LayerCost) -> str:
    return format_layer(r.layer)


_compared = attrgetter("output", *COMPARED)  # equal for a layer that did not change


def _merged_stages(a: list[str], b: list[str]) -> list[str]:
    """B's stage order, with A-only stages placed after the stage they follow in A."""
    order = list(b)
    for i, name in enumerate(a):
        if name not in order:
            order.insert(order.index(a[i - 1]) + 1 if i else 0, name)
    return order


def diff(a: NetworkCost, b: NetworkCost) -> Diff:
    """Align layers stage by stage with a longest-common-subsequence over their
    notation; equal notation with a different output or metric (metrics.COMPARED)
    is 'changed'."""
    rows: list[DiffRow] = []
    for stage in _merged_stages([s.name for s in a.stages], [s.name for s in b.stages]):
        ra = [r for r in a.rows if r.stage == stage]
        rb = [r for r in b.rows if r.stage == stage]
        sm = difflib.SequenceMatcher(None, [_signature(r) for r in ra],
                                     [_signature(r) for r in rb], autojunk=False)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == "equal":
                for x, y in zip(ra[i1:i2], rb[j1:j2]):
                    same = _compared(x) == _compared(y)
                    rows.append(DiffRow(Change.SAME if same else Change.CHANGED, stage, x, y))
                continue
            xs, ys = ra[i1:i2], rb[j1:j2]
            paired = min(len(xs), len(ys)) if op == "replace" else 0
            for x, y in zip(xs[:paired], ys[:paired]):
                rows.append(DiffRow(Change.CHANGED, stage, x, y))
            rows.extend(DiffRow(Change.REMOVED, stage, x, None) for x in xs[paired:])
            rows.extend(DiffRow(Change.ADDED, stage, None, y) for y in ys[paired:])
    return Diff(a, b, tuple(rows))


# ---------------------------------------------------------------------------
# check

_SUFFIX = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}


_BINARY = {"KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def parse_amount(text: str, what: str, nbytes: bool = False) -> int:
    """'5M' → 5_000_000, '1.2G' → 1_200_000_000, '600000' → 600000 (SI, powers of 1000).
    With `nbytes`, also byte units meaning what they say: 512MB = 512·10⁶, 2GiB = 2·2³⁰."""
    if nbytes:
        b = re.fullmatch(r"\s*(\d{1,30}(?:\.\d{1,30})?)\s*(?:([kKmMgGtT])(i?)[bB]|([bB]))?\s*",
                         text)
        if b and (b.group(2) or b.group(4)):
            from fractions import Fraction
            unit = (1 if b.group(4) else
                    _BINARY[b.group(2).upper() + "IB"] if b.group(3) else _SUFFIX[b.group(2).upper()])
            value = Fraction(b.group(1)) * unit
            if value.denominator != 1:
                raise CnnCostError(f"{what}: '{text}' is not a whole number of bytes",
                                   hint="e.g. 2GiB or 512MB")
            return int(value)
    m = re.fullmatch(r"\s*(\d{1,30}(?:\.\d{1,30})?)\s*([kKmMgGtT]?)\s*", text)
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
    m = re.fullmatch(r"\s*(\d{1,9}(?:\.\d{1,9})?)\s*%?\s*", text)
    if not m:
        raise CnnCostError(f"{what}: '{shorten(text)}' is not a percentage", hint="e.g. 2% or 0.5%")
    return float(m.group(1))


@dataclass(frozen=True, slots=True)
class Limit:
    metric: str  # a metrics.BUDGETS key
    value: int  # the network's value
    limit: int  # the largest allowed value
    increase: float | None = None  # None: an absolute maximum; else the baseline's value + this %

    @property
    def ok(self) -> bool:
        return self.value <= self.limit

    @property
    def margin(self) -> int:
        """How far under (negative) or over (positive) the limit."""
        return self.value - self.limit


@dataclass(frozen=True, slots=True)
class StageGrowth:
    stage: str
    before: int  # complexity in the baseline (0 without one)
    after: int


@dataclass(frozen=True, slots=True)
class CheckResult:
    net: NetworkCost
    baseline: NetworkCost | None
    limits: tuple[Limit, ...]
    growth: tuple[StageGrowth, ...]  # stages, largest growth (or share) first
    count: Any = None  # --count TOOL: what that tool would report (cnncost.counting.Count)

    @property
    def ok(self) -> bool:
        return all(limit.ok for limit in self.limits)


def check(net: NetworkCost, max_values: dict[str, int], baseline: NetworkCost | None = None,
          max_increase: float | None = None, count: Any = None) -> CheckResult:
    """Absolute limits per metric (max_values: metrics.BUDGETS key → largest allowed),
    and/or an allowed % increase over a baseline for each metrics.BASELINE metric.
    With a tool's `count` (cnncost.counting), max_values["count"] limits its total."""
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
            limits.append(Limit(m.key, totals[m.key], allowed, pct))
    if not limits:
        budgets = " or ".join(m.label for m in BUDGETS)
        raise CnnCostError("check needs a limit",
                           hint=f"give the largest allowed {budgets}, or a baseline",
                           cli_hint="give " + "/".join(m.flag for m in BUDGETS)
                                    + ", or --baseline")
    if baseline is not None:
        before = {s.name: s.totals.complexity for s in baseline.stages}
        growth = [StageGrowth(s.name, before.get(s.name, 0), s.totals.complexity)
                  for s in net.stages]
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
    m = re.fullmatch(r"(\d+)(?:\.(\d+))?\s*([KMGT]?)", text, re.IGNORECASE)
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
