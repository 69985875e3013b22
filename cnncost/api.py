"""The library's front door: what the command line accepts, as Python values.

    >>> import cnncost
    >>> net = cnncost.analyze("Input(32,32,3) -> 16F(3,3) -> relu -> gap -> 10fc")
    >>> net.totals.params, net.to_dict()["totals"]["macs"]
    (618, 442528)

`analyze` takes a zoo name, a spec file's path, notation or YAML text, a
NetworkSpec, a Document or a Graph, with the CLI's --input, --padding, --batch,
--dtype and --variant as keywords; its result is a NetworkCost whose
`to_dict()` is the document `cnncost analyze --format json` prints. `check`,
`compare` and `diff` take those results (or anything `analyze` takes). Every
mistake is a CnnCostError: a message and a hint, never an AttributeError.
docs/api.md has the examples.
"""

from __future__ import annotations

import os
from typing import Any

from .costs import NetworkCost
from .errors import CnnCostError, did_you_mean, shorten
from .graph import Graph
from .model import Document, NetworkSpec, Padding, Shape
from .record import fields

DTYPES = ("fp32", "fp16", "bf16", "int8")


class Analysis(NetworkCost):
    """A NetworkCost (rows, stages, totals) that can say itself as the CLI's JSON."""

    def to_dict(self, depth: int | None = None) -> dict[str, Any]:
        """What `cnncost analyze --format json` prints (with `--depth depth`), as
        Python values."""
        import json
        from .report import analysis_dict, to_json
        return json.loads(to_json(analysis_dict(self, depth=None if depth is None
                                                else _depth(depth))))  # exactly the JSON

    def fold(self, depth: int) -> list[Any]:
        """The rows of `cnncost analyze --depth depth`: cnncost.views.Fold, each a
        layer or the layers of one block, with their totals."""
        from .views import fold
        return fold(self.rows, _depth(depth), self.name)


def _depth(depth: Any) -> int:
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise CnnCostError(f"depth {depth!r} is not a depth",
                           hint="0 (the whole network), 1 (its stages), 2 (their blocks) or more")
    return depth


def _analysis(net: NetworkCost) -> Analysis:
    if isinstance(net, Analysis):
        return net
    return Analysis(**{f.name: getattr(net, f.name) for f in fields(NetworkCost)})


def analyze(spec: Any, batch: int = 1, dtype: str = "fp32", *,
            input: Shape | str | tuple[int, int, int] | None = None,
            padding: Padding | str | None = None, variant: str | None = None) -> Analysis:
    """Per-layer costs of `spec`: a zoo name ("resnet50", "he2015-a"), a path to a
    spec file (.yaml, notation text, .onnx), the spec text itself (notation or
    YAML), a NetworkSpec, a Document (its `variant`, or its baseline) or a Graph.

    `input` ("224x224x3", (224, 224, 3) or a Shape) and `padding` ("same",
    "he2015", "tf") override the spec's own, as --input and --padding do; `batch`
    and `dtype` size the memory metrics (positional too, as cnncost.costs.analyze
    takes them: `analyze(graph, 8, "fp16")`)."""
    from .costs import analyze as analyze_graph
    batch = _batch(batch)
    dtype = _dtype(dtype)
    if isinstance(spec, NetworkCost):
        raise CnnCostError("this is already an analysis (a NetworkCost)",
                           hint="pass the spec itself, or use the result as it is")
    if isinstance(spec, Graph):
        if input is not None or padding is not None or variant is not None:
            raise CnnCostError("a Graph has its shapes and padding already: input, padding "
                               "and variant do not apply to it",
                               hint="pass the spec (text, a NetworkSpec or a Document) instead")
        return _analysis(analyze_graph(spec, batch, dtype))
    shape, pad = _shape(input), _padding(padding)
    net = network_spec(spec, variant, shape)
    return _analysis(analyze_graph(net.graph(shape, pad), batch, dtype))


def network_spec(spec: Any, variant: str | None = None, input: Shape | None = None) -> NetworkSpec:
    """The NetworkSpec a zoo name, path, text, Document or NetworkSpec stands for."""
    from .resolve import load, one_network
    if isinstance(spec, NetworkSpec):
        if variant is not None:
            raise CnnCostError(f"variant {variant}: a NetworkSpec is one network",
                               hint="pass the Document (load_spec) to choose a variant")
        return spec
    if isinstance(spec, os.PathLike):
        spec = os.fspath(spec)
        if not os.path.isfile(spec):
            raise CnnCostError(f"no such file: {spec}", hint="give the path of a spec file")
    if isinstance(spec, str):
        spec = load(spec, input_shape=input)
    if isinstance(spec, Document):
        return one_network(spec, variant)
    raise CnnCostError(f"cannot analyse a value of type {type(spec).__name__}",
                       hint="give a zoo name, a spec file's path, spec text, a NetworkSpec, "
                            "a Document or a Graph")


def _batch(batch: Any) -> int:
    if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
        raise CnnCostError(f"batch={batch!r} is not a batch size",
                           hint="give a whole number ≥ 1, e.g. batch=8")
    return batch


def _dtype(dtype: Any) -> str:
    if dtype not in DTYPES:
        raise CnnCostError(f"dtype={shorten(repr(dtype))} is not an element type"
                           + (did_you_mean(dtype, DTYPES) if isinstance(dtype, str) else ""),
                           hint="one of " + ", ".join(DTYPES))
    return str(dtype)


def _shape(value: Any) -> Shape | None:
    if value is None or isinstance(value, Shape):
        return value
    if isinstance(value, str):
        from .notation import parse_shape
        return parse_shape(value, "input")
    if (isinstance(value, (tuple, list)) and len(value) == 3
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)):
        return Shape(*value)
    raise CnnCostError(f"input={shorten(repr(value))} is not a shape",
                       hint='give "224x224x3", (224, 224, 3) or a Shape (height, width, channels)')


def _padding(value: Any) -> Padding | None:
    if value is None or isinstance(value, Padding):
        return value
    choices = [p.value for p in Padding]
    if isinstance(value, str) and value.lower() in choices:
        return Padding(value.lower())
    raise CnnCostError(f"padding={shorten(repr(value))} is not a padding policy"
                       + (did_you_mean(value, choices) if isinstance(value, str) else ""),
                       hint="one of " + ", ".join(choices))


def _cost(net: Any) -> NetworkCost:
    """An analysis as it is, or anything `analyze` takes, analysed."""
    return net if isinstance(net, NetworkCost) else analyze(net)


def check(net: Any, limits: dict[str, int | str], baseline: Any = None,
          max_increase: float | str | None = None, count: Any = None) -> Any:
    """`cnncost check`: `limits` maps a budget (metrics.BUDGETS: "params", "macs",
    …, or "count" with a `count`) to its largest allowed value — an int, or text
    as the CLI takes it ("30M", "2GiB"); `max_increase` (2 or "2%") is the growth
    allowed over `baseline`. `count` is a tool's name ("fvcore") or its Count.
    Returns a CheckResult (`.ok`, `.limits`)."""
    from .comparison import check as check_, parse_amount, parse_percent
    from .metrics import BUDGETS
    net = _cost(net)
    if not isinstance(limits, dict):
        raise CnnCostError(f"limits must be a dict of budget → value, not a "
                           f"{type(limits).__name__}", hint='e.g. {"params": "30M"}')
    by_key = {m.key: m for m in BUDGETS}
    # the flag's name works too: "peak_memory" (--max-peak-memory) for "live_bytes"
    aliases = {m.flag[len("--max-"):].replace("-", "_"): m.key for m in BUDGETS}
    valid = [*by_key, "count"]
    values: dict[str, int] = {}
    for given, value in limits.items():
        key = aliases.get(given, given) if isinstance(given, str) else given
        if key not in valid:
            raise CnnCostError(f"no budget '{given}'" + did_you_mean(str(given),
                                                                     [*valid, *aliases]),
                               hint="the budgets: " + ", ".join(valid) + " (or as the "
                                    "CLI's flags name them: " + ", ".join(
                                        a for a in aliases if a not in by_key) + ")")
        nbytes = key in by_key and by_key[key].unit == "bytes"
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise CnnCostError(f"{key}={shorten(repr(value))} is not an amount",
                               hint='give a whole number or text such as "30M" or "2GiB"')
        values[key] = value if isinstance(value, int) else parse_amount(value, key, nbytes)
    base = _cost(baseline) if baseline is not None else None
    if max_increase is not None and base is None:
        raise CnnCostError("max_increase needs a baseline", hint="e.g. baseline=\"he2015-a\"")
    pct = None
    if max_increase is not None:
        pct = float(max_increase) if isinstance(max_increase, (int, float)) else \
            parse_percent(str(max_increase), "max_increase")
    if isinstance(count, str):
        from .counting import count as count_
        count = count_(net, count)
    if "count" in values and count is None:
        raise CnnCostError("a 'count' budget needs count= (a tool's name, e.g. \"fvcore\")")
    return check_(net, values, base, pct, count)


def compare(nets: Any, baseline: str | int | None = None) -> Any:
    """He & Sun's Table 1: the analyses (or specs) side by side, relative to
    `baseline` (a name or a position; default the first)."""
    from .comparison import compare as compare_
    if isinstance(nets, (str, NetworkSpec, Document, Graph, os.PathLike)):
        raise CnnCostError("compare takes a list of networks",
                           hint="e.g. compare([analyze(\"he2015-a\"), analyze(\"he2015-b\")])")
    return compare_([_cost(n) for n in nets], baseline)


def diff(a: Any, b: Any) -> Any:
    """Layers removed, added or changed from `a` to `b` (analyses or specs)."""
    from .comparison import diff as diff_
    return diff_(_cost(a), _cost(b))
