"""Design-space search the way the papers do it.

- :func:`replace` — He & Sun's layer replacement: candidate convolution stacks
  for one stage whose Eq. (1) complexity stays within a tolerance of the
  original stage's, evaluated in closed form over the whole
  (filter size × depth × width) grid, on the real map sizes of the spec's
  padding policy (in Python, or as numpy arrays on grids big enough to repay
  numpy's import).
- :func:`scaled` / :func:`sweep` — width / depth / resolution multipliers
  (MobileNet, EfficientNet), through the spec's own `vars:` (width, depth), so
  each model's rounding rules (which layers scale, multiples of 8) stay in the
  spec file.

numpy is imported inside the functions that need it, so `analyze` starts fast.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any


from .comparison import collapse
from .costs import LayerCost, NetworkCost, analyze
from .errors import CnnCostError
from .graph import infer
from .layers import BY_CLASS, Conv
from .model import INPUT, Graph, NetworkSpec, Node, Shape
from .notation import Chain, Item, Repeat, parse
from .printer import format_chain, format_layer, yaml_quote
from .record import Record, replace as dc_replace

INT64_SAFE = 2**62  # evaluate in int64 only while every value stays below this
MAX_DEPTH = 256  # layers in a candidate stage
MAX_WIDTHS = 10_000  # widths n in the grid


class StageInfo(Record):
    """What a replacement must fit: the stage's input, output and cost."""

    label: str
    shape_in: Shape  # tensor entering the stage
    out_hw: tuple[int, int]  # map size of the stage's last convolution
    n_out: int  # filters of the stage's last convolution (the width to restore)
    complexity: int  # Eq. (1) of the stage's convolutions
    params: int
    conv_layers: int
    bias: bool  # whether the stage's first convolution has a bias (candidates follow it)
    inner: tuple[str, ...]  # element-wise layers after the first conv (e.g. bn, relu): after
    #                         every candidate layer but the last
    last: tuple[str, ...]  # element-wise layers after the last conv: after the last one
    trailing: tuple[str, ...]  # layers after those (e.g. the pool)
    leading: tuple[str, ...]  # layers of the stage before its first conv (e.g. the pool
    #                           that starts an automatic stage)
    prefix: int  # how many graph nodes come before the stage's first conv


def _passthrough(row: LayerCost) -> bool:
    """An element-wise layer (bn, relu, …) that a replacement keeps after its convs."""
    return BY_CLASS[type(row.layer)].passthrough


def stage_info(net: NetworkCost, label: str) -> StageInfo:
    rows = [r for r in net.rows if r.stage == label]
    if not rows:
        raise CnnCostError(f"no stage '{label}' in {net.name or 'this network'}",
                           hint="its stages are " + ", ".join(s.name for s in net.stages))
    convs = [r for r in rows if isinstance(r.layer, Conv)]
    if not convs:
        raise CnnCostError(f"stage {label} has no convolution to replace")
    i0, i1 = rows.index(convs[0]), rows.index(convs[-1])
    if any(r.inputs != (r.index - 1,) for r in rows) or any(
            not (isinstance(r.layer, Conv) or _passthrough(r)) for r in rows[i0: i1 + 1]):
        raise CnnCostError(f"stage {label} is not a plain chain of convolutions",
                           hint="replace works on stages such as He & Sun's: (pooling,) "
                                "convolutions and element-wise layers, (pooling)")
    first = convs[0].index  # row numbers count from 1; row k is graph node k − 1
    before = net.rows[first - 2] if first > 1 else None
    shape_in = before.output if before else net.input

    def run_after(conv: LayerCost) -> list[LayerCost]:
        out = []
        for r in rows[rows.index(conv) + 1:]:
            if not _passthrough(r):
                break
            out.append(r)
        return out

    inner, last_run = run_after(convs[0]), run_after(convs[-1])
    after_last = rows[rows.index(convs[-1]) + 1 + len(last_run):]
    last = convs[-1]
    return StageInfo(
        label, shape_in, (last.output.h, last.output.w), last.output.c,
        sum(r.complexity for r in convs), sum(r.params for r in convs), len(convs),
        convs[0].layer.bias, tuple(format_layer(r.layer) for r in inner),
        tuple(format_layer(r.layer) for r in last_run),
        tuple(format_layer(r.layer) for r in after_last),
        tuple(format_layer(r.layer) for r in rows[:i0]), first - 1)


class Candidate(Record):
    size: int  # filter size s
    depth: int  # d: layers of width n before the restoring layer (uniform: all layers)
    width: int  # n
    uniform: bool  # (s, n_out)×depth instead of (s, n)×depth + (s, n_out)
    complexity: int
    params: int
    rf: int
    ratio: float  # complexity / the original stage's

    @property
    def layers(self) -> int:
        return self.depth if self.uniform else self.depth + 1

    def notation(self, n_out: int) -> str:
        if self.uniform:
            return collapse([f"({self.size},{n_out})"] * self.depth)
        return collapse([f"({self.size},{self.width})"] * self.depth + [f"({self.size},{n_out})"])

    def stage_text(self, info: StageInfo) -> str:
        """The replacement stage in the notation: each convolution followed by the
        element-wise layers the original's first one had (the last by the
        original last one's), bias as the original's, then the trailing layers."""
        option = "" if info.bias else ",b=0"

        def run(width: int, count: int, suffix: tuple[str, ...]) -> list[str]:
            if count == 0:
                return []
            unit = " → ".join([f"({self.size},{width}{option})", *suffix])
            if count == 1:
                return [unit]
            return [f"[ {unit} ]×{count}" if suffix else f"{unit}×{count}"]

        inner_width = info.n_out if self.uniform else self.width
        inner_count = self.layers - 1
        parts = run(inner_width, inner_count, info.inner) + run(info.n_out, 1, info.last)
        return " → ".join([*info.leading, *parts, *info.trailing])


def _maps(info: StageInfo, graph: Graph, size: int, count: int) -> tuple[list[int], list[int]]:
    """Map areas and receptive fields of up to `count` stacked size×size convolutions
    in place of the stage's, computed by the same shape inference as everything
    else on the network up to the stage — so the padding policy sees what comes
    before (an he2015 run of even kernels carries on into the stage). Shorter
    than `count` where the map would vanish."""
    prefix = graph.nodes[: info.prefix]

    def infos(n: int) -> list[Any] | None:
        nodes = prefix + tuple(
            Node(Conv(1, size, size), (info.prefix - 1 + i if info.prefix + i else INPUT,))
            for i in range(n))
        try:
            return infer(Graph(nodes, graph.input, graph.padding))[info.prefix:]
        except CnnCostError:
            return None

    found = infos(count)
    if found is None:  # the map vanishes on the way: the longest stack that fits
        lo, hi, found = 0, count - 1, []  # lo fits (found is its result); above hi does not
        while lo < hi:
            mid = (lo + hi + 1) // 2
            result = infos(mid)
            if result is not None:
                lo, found = mid, result
            else:
                hi = mid - 1
    return [x.output.h * x.output.w for x in found], [max(x.rf) for x in found]


def replace(net: NetworkCost, label: str, tolerance: float = 0.05,
            sizes: tuple[int, ...] = (1, 2, 3, 5, 7), depths: tuple[int, int] = (1, 16),
            widths: tuple[int, ...] | None = None) -> tuple[StageInfo, list[Candidate], int]:
    """Candidates for stage `label` within ±tolerance of its Eq. (1) complexity.

    Returns the stage, the candidates ranked (deeper first, then closer to the
    budget, then fewer params), and how many candidates were evaluated.
    """
    info = stage_info(net, label)
    if widths is None:
        if 2 * info.n_out // 8 > MAX_WIDTHS:
            raise CnnCostError(f"the default widths (multiples of 8 up to {2 * info.n_out:,}) are "
                               f"more than {MAX_WIDTHS:,}", hint="give the widths to try", cli_hint="give --widths")
        widths = tuple(range(8, 2 * info.n_out + 1, 8))
    sizes = tuple(dict.fromkeys(sizes))  # each once, in the order given
    widths = tuple(dict.fromkeys(widths))
    if min(widths, default=1) < 1:
        raise CnnCostError(f"width {min(widths)} is not a positive number of filters",
                           hint="give widths of at least 1", cli_hint="give --widths of at least 1")
    if len(widths) > MAX_WIDTHS:
        raise CnnCostError(f"{len(widths):,} widths are more than {MAX_WIDTHS:,}",
                           hint="give fewer widths", cli_hint="give fewer --widths")
    lo, hi = depths
    if lo < 1 or hi < lo:
        raise CnnCostError(f"depths {lo}..{hi} are not a range of at least one layer",
                           hint="e.g. depths 1..16", cli_hint="e.g. --depth 1..16")
    if hi > MAX_DEPTH:
        raise CnnCostError(f"depth {hi} is more than the {MAX_DEPTH} layers a stage may have here",
                           hint=f"e.g. depths 1..{min(64, MAX_DEPTH)}",
                           cli_hint=f"e.g. --depth 1..{min(64, MAX_DEPTH)}")
    c_in, n_out, c0 = info.shape_in.c, info.n_out, info.complexity
    bias = 1 if info.bias else 0
    grid = [(s, *_maps(info, net.graph, s, hi)) for s in sizes]
    cells = len(widths) * sum(max(0, min(hi, len(areas)) - lo + 1) for _, areas, _ in grid)
    # numpy's import (~0.1 s) pays only on big grids; the default grid is far faster in Python
    stack = _stack_numpy(widths) if cells > NUMPY_FROM else _stack_python(widths)
    found: list[Candidate] = []
    evaluated = 0
    for s, areas, rfs in grid:
        hi_s = min(hi, len(areas))  # the map vanishes before hi layers: shorter stacks only
        s2 = s * s
        if s2 * max(c_in, max(widths), n_out) ** 2 * sum(areas) >= INT64_SAFE:
            raise CnnCostError("the candidate grid would overflow 64-bit integers",
                               hint="use fewer or smaller widths or depths",
                               cli_hint="use fewer or smaller --widths or --depth")
        for layers in range(lo, hi_s + 1):
            final = areas[layers - 1]
            if final != info.out_hw[0] * info.out_hw[1]:
                continue  # the stage must hand the same map size to the next stage
            inner = sum(areas[1: layers - 1])
            # (s, n)×d + (s, n_out), d = layers − 1: closed form over all widths n,
            # complexity = lin·n + sq·n², params = p_lin·n + p_sq·n² + p_0
            if layers >= 2:
                d = layers - 1
                evaluated += len(widths)
                for w, cx, p in stack(c0, tolerance, n_out,
                                      s2 * (c_in * areas[0] + n_out * final), s2 * inner,
                                      s2 * (c_in + n_out) + bias * d, s2 * (d - 1),
                                      bias * n_out):
                    found.append(Candidate(s, d, w, False, cx, p, rfs[layers - 1], cx / c0))
            # (s, n_out)×layers
            rest = sum(areas[1:layers])
            comp_u = s2 * (c_in * n_out * areas[0] + n_out * n_out * rest)
            params_u = s2 * (c_in * n_out + (layers - 1) * n_out * n_out) + bias * layers * n_out
            evaluated += 1
            if abs(comp_u - c0) <= tolerance * c0:
                found.append(Candidate(s, layers, n_out, True, comp_u, params_u, rfs[layers - 1],
                                       comp_u / c0))
    found.sort(key=lambda c: (-c.layers, abs(c.ratio - 1), c.params, c.size, c.width))
    return info, found, evaluated


NUMPY_FROM = 400_000  # grid cells (widths × depths × sizes) from which numpy is faster


# The widths n of one (size, depth) whose complexity lin·n + sq·n² is within
# tolerance of c0, as (n, complexity, params); the width n_out is left out (the
# uniform stack covers it). Two backends, the same answer: Python ints compared
# as the floats numpy compares.
def _stack_python(widths: tuple[int, ...]) -> Any:
    """The widths within tolerance found by bisection: for widths n ≥ 1 (lin > 0,
    sq ≥ 0) the complexity (lin + sq·n)·n grows with n, so its distance to c0 falls,
    then rises, and the widths within tolerance are one run of the sorted widths
    (the search ranks its candidates itself, so their order here does not matter)."""
    from bisect import bisect_left
    ordered = sorted(widths)

    def stack(c0: int, tolerance: float, n_out: int, lin: int, sq: int, p_lin: int, p_sq: int,
              p_0: int) -> list[tuple[int, int, int]]:
        tol = tolerance * c0
        rising = bisect_left(ordered, True, key=lambda n: (lin + sq * n) * n >= c0)
        # the same test as the scan's, float(abs(cx − c0)) <= tol, on each side of c0
        first = bisect_left(ordered, True, 0, rising,
                            key=lambda n: float(c0 - (lin + sq * n) * n) <= tol)
        end = bisect_left(ordered, True, rising, len(ordered),
                          key=lambda n: float((lin + sq * n) * n - c0) > tol)
        return [(n, (lin + sq * n) * n, (p_lin + p_sq * n) * n + p_0)
                for n in ordered[first:end] if n != n_out]
    return stack


def _stack_numpy(widths: tuple[int, ...]) -> Any:
    import numpy as np
    n = np.asarray(widths, dtype=np.int64)

    def stack(c0: int, tolerance: float, n_out: int, lin: int, sq: int, p_lin: int, p_sq: int,
              p_0: int) -> Any:
        comp = (lin + sq * n) * n
        ok = (np.abs(comp - c0) <= tolerance * c0) & (n != n_out)
        kept = n[ok]
        return zip(kept.tolist(), comp[ok].tolist(), ((p_lin + p_sq * kept) * kept + p_0).tolist())
    return stack


def candidate_network(spec: NetworkSpec, net: NetworkCost, info: StageInfo,
                      cand: Candidate) -> NetworkSpec:
    """The spec with stage `info.label` replaced by the candidate."""
    stages = labelled_stages(spec, net)
    chain = parse(cand.stage_text(info)).chain
    new = [(label, chain if label == info.label else c) for label, c in stages]
    return dc_replace(spec, stages=tuple(new))


def labelled_stages(spec: NetworkSpec, net: NetworkCost) -> list[tuple[str, Chain]]:
    """The spec's chain cut into its stages (labelled, or found automatically)."""
    if spec.stages and all(label is not None for label, _ in spec.stages):
        return [(label, chain) for label, chain in spec.stages]  # type: ignore[misc]
    items: list[Item] = []
    for _, chain in spec.stages:
        for item in chain.items:
            items.extend(_expand_top(item))
    stage_of_unit: dict[int, str] = {}
    for node, row in zip(net.graph.nodes, net.rows):
        stage_of_unit.setdefault(node.unit, row.stage)
    out: list[tuple[str, list[Item]]] = []
    current = net.rows[0].stage
    for unit, item in enumerate(items):
        current = stage_of_unit.get(unit, current)
        if not out or out[-1][0] != current:
            out.append((current, []))
        out[-1][1].append(item)
    return [(label, Chain(tuple(its))) for label, its in out]


def _expand_top(item: Item) -> list[Item]:
    """Top-level repeats become one item per repetition, as the lowerer makes units."""
    if isinstance(item, Repeat):
        return [x for _ in range(item.count) for x in _expand_top(item.body)]
    return [item]


def variants_yaml(spec: NetworkSpec, net: NetworkCost, info: StageInfo,
                  cands: list[Candidate]) -> str:
    """A variants file: the base with labelled stages, and each candidate as a
    replacement of one stage, ready for `cnncost compare FILE`."""
    stages = labelled_stages(spec, net)
    q = yaml_quote
    lines = [f"# Stage {info.label} replacements within Eq. (1) budget, from `cnncost replace`.",
             f"name: {q((spec.name or 'spec') + '-stage' + info.label)}"]
    s = spec.input or net.input
    lines += [f"input: {s.h}x{s.w}x{s.c}", f"padding: {net.padding}", "baseline: base",
              "variants:", "  base:", "    stages:"]
    lines += [f"      {q(label)}: {q(format_chain(chain))}" for label, chain in stages]
    for i, c in enumerate(cands, 1):
        lines += [f"  c{i}:  # {c.notation(info.n_out)}, comp. {c.ratio:.3f}",
                  "    from: base",
                  f"    stages: {{ {q(info.label)}: {q(c.stage_text(info))} }}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Scaling through `vars:`


def scaled(load_fn: Any, ref: str, width: float | None = None, depth: float | None = None,
           resolution: int | None = None, variant: str | None = None, batch: int = 1,
           dtype: str = "fp32") -> NetworkCost:
    """Analyse `ref` (its `variant`, or its baseline) with its `width`/`depth` vars
    set and its input resized."""
    from .resolve import one_network
    overrides = {k: v for k, v in (("width", width), ("depth", depth)) if v is not None}
    spec = one_network(load_fn(ref, overrides), variant)
    shape = spec.input
    if resolution is not None:
        if shape is None:
            raise CnnCostError("a new resolution needs a spec with an input shape",
                               cli_hint="--resolution needs a spec with an input shape")
        shape = Shape(resolution, resolution, shape.c)
        # --resolution means to change the input, even one written as Input(...)
        spec = dc_replace(spec, input_in_text=False)
    return analyze(spec.graph(shape), batch, dtype)


def compound(phi: float, alpha: float, beta: float, gamma: float) -> tuple[float, float, float]:
    """EfficientNet's compound scaling: depth α^φ, width β^φ, resolution γ^φ."""
    return beta ** phi, alpha ** phi, gamma ** phi


MAX_WIDTH = 4.0  # largest_width searches multipliers 0.01 … 4.00


def largest_width(at: Any, budget: int, lo: int = 1, hi: int = round(100 * MAX_WIDTH)
                  ) -> tuple[float | None, Any]:
    """The largest width multiplier w = k/100 (k in lo..hi) whose network stays
    within `budget` MACs; `at(w)` analyses the network at width w. MACs grow
    with width (up to rounding steps), so a bisection finds the boundary, then
    a short scan above it makes sure no larger k also fits."""
    def fits(k: int) -> Any:
        net = at(k / 100)
        return net if net.totals.macs <= budget else None

    if fits(lo) is None:
        return None, None
    a, b = lo, hi
    if fits(hi) is not None:
        return hi / 100, at(hi / 100)
    while b - a > 1:  # invariant: a fits, b does not
        mid = (a + b) // 2
        if fits(mid) is not None:
            a = mid
        else:
            b = mid
    for k in range(min(hi, a + 5), a, -1):  # rounding can make MACs dip again just above
        if fits(k) is not None:
            a = k
            break
    return a / 100, at(a / 100)
