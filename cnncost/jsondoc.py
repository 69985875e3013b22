"""The JSON documents: a writer that matches json.dumps to the byte, and the analysis document.

Every command's JSON is a plain dict (its documented contract, notation §11–§13
and docs/json.md) written by :func:`to_json`, or by :func:`json_chunks` in
pieces. The analysis document — `cnncost analyze SPEC --format json`, what a CI
job runs on every commit — is built here too (:func:`analysis_dict`, its layers
made as they are written by :class:`LayerDicts`), apart from the tables'
renderers in :mod:`cnncost.report`, so that answering it loads neither them nor
anything they import (docs/performance.md). report imports all of this back:
``report.analysis_dict`` and the rest are the same objects.
"""

from __future__ import annotations

# Sequence from where CPython defines it, which every interpreter has loaded at start:
# collections.abc would import collections (a sixth of a bare interpreter's start).
from _collections_abc import Sequence
from _operator import attrgetter  # operator's C half: operator.py itself is not needed

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from fractions import Fraction
    from typing import Any

    from .model import Shape

try:  # the C string encoder behind json.dumps(ensure_ascii=False)
    from _json import encode_basestring as _json_str
except ImportError:  # pragma: no cover - an interpreter without _json
    from json.encoder import py_encode_basestring as _json_str

from .costs import LayerCost, NetworkCost, StageCost, Totals
from .layers import BY_CLASS
from .memory import FIELDS, intensity
from .metrics import METRICS

JSON_SCHEMA_VERSION = 1


def chunked(data: Callable[[], Any]) -> Chunks:
    """The JSON document `data()` makes, as the CLI writes it (report's renderer for
    --format json): made and written piece by piece when it is read."""
    return Chunks(lambda: json_chunks(data()))


def shape_list(s: Shape) -> list[int]:
    return [s.h, s.w, s.c]


def exact(x: int | Fraction) -> int | str:
    """A number for JSON, exactly: an int when whole, else 'p/q' (a receptive
    field or jump after upsampling, e.g. '1/2')."""
    if type(x) is int or x.denominator == 1:
        return int(x)
    return f"{x.numerator}/{x.denominator}"


def to_json(data: Any) -> str:
    """json.dumps(data, indent=2, ensure_ascii=False) and a newline, to the byte, for the
    plain data the JSON documents hold (str keys; str, int, float, bool, None, list,
    tuple, dict values) — written here because `import json` and its generic encoder
    cost the hot path (`analyze --format json`) more than the whole document takes."""
    out: list[str] = []
    _json_value(data, "\n", out)
    out.append("\n")
    return "".join(out)


class Chunks:
    """Text made piece by piece — a JSON document with thousands of layers — which
    the CLI's emit writes as the pieces come, so the document is never one string
    (nor all its pieces at once): 100k layers are 60 MB of JSON. str() joins it."""

    __slots__ = ("_pieces",)

    def __init__(self, pieces: Callable[[], Iterator[str]]) -> None:
        self._pieces = pieces

    def __iter__(self) -> Iterator[str]:
        return self._pieces()

    def __str__(self) -> str:
        return "".join(self._pieces())


PIECE = 512  # list items per piece of json_chunks


def json_chunks(data: Any) -> Iterator[str]:
    """to_json(data) in pieces: a top-level dict's long lists (the layers) come
    PIECE items at a time, made as they are written."""
    if not isinstance(data, dict) or not data:
        yield to_json(data)
        return
    sep = "{\n  "
    for key, value in data.items():
        part = [sep, _json_str(key), ": "]
        if isinstance(value, (list, tuple, LayerDicts)) and len(value) > PIECE:
            from itertools import islice
            texts = _item_texts(value, "\n    ")
            part.append("[\n    ")
            for _ in range(0, len(value), PIECE):  # PIECE items a piece, joined in C
                yield "".join(part) + ",\n    ".join(islice(texts, PIECE))
                part = [",\n    "]
            part = ["\n  ]"]
        else:
            _json_value(value, "\n  ", part)
        yield "".join(part)
        sep = ",\n  "
    yield "\n}\n"


def _item_texts(items: Any, newline: str) -> Iterator[str]:
    """Each item of a list (or of the layers) as _json_value writes it at this indent."""
    if isinstance(items, LayerDicts):
        yield from items.json_texts(newline)
        return
    for item in items:
        part: list[str] = []
        _json_value(item, newline, part)
        yield "".join(part)


def _json_value(o: Any, newline: str, out: list[str]) -> None:
    if type(o) is int:  # the most common value first
        out.append(int.__repr__(o))
    elif isinstance(o, str):
        out.append(_json_str(o))
    elif o is None or o is True or o is False:
        out.append("null" if o is None else "true" if o else "false")
    elif isinstance(o, int):
        out.append(int.__repr__(o))
    elif isinstance(o, float):  # as json writes it: repr, or NaN / Infinity / -Infinity
        out.append(float.__repr__(o) if o == o and o not in _INFINITIES else
                   "NaN" if o != o else "Infinity" if o > 0 else "-Infinity")
    elif isinstance(o, (dict, list, tuple, LayerDicts)):
        if not o:
            out.append("{}" if isinstance(o, dict) else "[]")
            return
        inner = newline + "  "
        if isinstance(o, dict):
            template = _dict_template(tuple(o), newline)
            values = []
            for value in o.values():
                kind = type(value)  # a layer's dict is mostly ints and strs: no call for them
                if kind is int:
                    values.append(int.__repr__(value))
                elif kind is str:
                    values.append(_json_str(value))
                elif kind is list and value and set(map(type, value)) == _INTS:  # a shape
                    values.append(_int_list(value, inner))
                elif kind is float and value - value == 0.0:  # finite: as json writes it
                    values.append(float.__repr__(value))
                elif value is None:
                    values.append("null")
                else:
                    part: list[str] = []
                    _json_value(value, inner, part)
                    values.append("".join(part))
            out.append(template % tuple(values))
        elif isinstance(o, LayerDicts):
            sep = "[" + inner
            for text in o.json_texts(inner):
                out.append(sep + text)
                sep = "," + inner
            out.append(newline + "]")
        else:
            sep = "[" + inner
            for value in o:  # one string per item: 100k layers are 100k strings, not 10M
                if type(value) is int:  # a shape's or an input list's
                    out.append(sep + int.__repr__(value))
                else:
                    part = [sep]
                    _json_value(value, inner, part)
                    out.append("".join(part))
                sep = "," + inner
            out.append(newline + "]")
    else:
        raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


_INFINITIES = (float("inf"), float("-inf"))
_INTS = {int}
_TEMPLATES: dict[tuple[tuple[str, ...], str], str] = {}
_LIST_TEMPLATES: dict[tuple[int, str], str] = {}


def _int_list(o: list[int], newline: str) -> str:
    """A non-empty list of ints (a shape, a layer's inputs) as _json_value writes
    it at this indent: one % of a template made once per length and indent."""
    template = _LIST_TEMPLATES.get((len(o), newline))
    if template is None:
        inner = newline + "  "
        template = "[" + inner + ("," + inner).join(["%s"] * len(o)) + newline + "]"
        if len(_LIST_TEMPLATES) < 256:
            _LIST_TEMPLATES[len(o), newline] = template
    return template % tuple(map(int.__repr__, o))


def _dict_template(keys: tuple[str, ...], newline: str) -> str:
    """'{\\n  "a": %s,\\n  "b": %s\\n}' for a dict with these keys at this indent: the
    layers' dicts all have the same keys, so each is one % of its values."""
    template = _TEMPLATES.get((keys, newline))
    if template is None:
        inner = newline + "  "
        template = "{" + inner + ("," + inner).join(
            _json_str(k).replace("%", "%%") + ": %s" for k in keys) + newline + "}"
        if len(_TEMPLATES) < 256:
            _TEMPLATES[keys, newline] = template
    return template


_KEYS = tuple(m.key for m in METRICS)
_metric_values = attrgetter(*_KEYS)  # a row's metrics, in METRICS order


def totals_dict(t: Totals, count: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {**t.values, "conv_layers": t.conv_layers}
    if count is not None:  # --count TOOL (notation §13)
        out["count"] = count_dict(count)
    return out


def count_dict(count: Any) -> dict[str, Any]:
    """{"tool", "value"}, and the layers the tool cannot count (by position) when any."""
    out: dict[str, Any] = {"tool": count.tool, "value": count.total}
    if count.uncounted:
        out["uncounted"] = [{"layer": i + 1, "why": w} for i, w in zip(count.uncounted, count.why)]
    return out






def stage_dict(s: StageCost, totals: Totals | None = None) -> dict[str, Any]:
    """A stage for JSON; `totals` are its totals where they are known already."""
    return {"name": s.name, "output": shape_list(s.output),
            **totals_dict(s.totals if totals is None else totals)}


# A layer's keys in the JSON, in order (then roofline_s and bound with a device,
# count with --count, path with --depth), and their values: one definition for
# the dict (layer_dict) and for the text written without one (LayerDicts.json_texts).
LAYER_KEYS = ("index", "name", "kind", "notation", "stage", "inputs", "output", *_KEYS,
              "intensity", "rf", "jump")


def layer_values(r: LayerCost, batch: int = 1) -> tuple[Any, ...]:
    """A row's values for LAYER_KEYS, in their order."""
    layer, out, rf, jump = r.layer, r.output, r.rf, r.jump
    return (r.index, r.name, r.kind, BY_CLASS[type(layer)].notation(layer), r.stage,
            list(r.inputs), [out.h, out.w, out.c], *_metric_values(r),
            intensity(r.macs, batch, r.bytes_moved),
            rf if type(rf) is int else exact(rf), jump if type(jump) is int else exact(jump))


# The metrics as json_texts reads them off a row: the costs, then memory.FIELDS
# (LayerCost.mem) in their order; where METRICS says otherwise it reads layer_values.
_ROW_METRICS = ("params", "macs", "flops", "complexity", "activations", "ops", *FIELDS)
# A LayerCost's fields as json_texts unpacks them (it reads 14 of the 16); a row of
# other fields takes layer_values' path.
_ROW_FIELDS = ("index", "name", "kind", "layer", "inputs", "stage", "output", "params", "macs",
               "complexity", "ops", "rf", "jump", "train_only", "mem", "path")
_MOVED = FIELDS.index("bytes_moved")
_TEXTS_KEPT = 4096  # runs of a row's values kept as text for the rows that repeat them


def _repeats(distinct: int, rows: int) -> bool:
    """Whether keeping a run's texts still pays after `rows` rows gave `distinct`
    of them: while most rows repeat one (a generated spec's chain, ResNet-50's
    blocks: half its rows), and at most _TEXTS_KEPT are kept. Where few repeat
    (Inception-v3's costs: none of 322), looking them up is ~10% of the layers'
    JSON time, so they are formatted on every row after the first ~64."""
    return distinct < _TEXTS_KEPT and 4 * distinct <= 3 * rows + 64


_COMPILED_ROWS = 2048  # from this many rows, the JSON's row writers are compiled f-strings


def _row_templates(n_inputs: int, newline: str, compiled: bool = False) -> tuple[Any, Any, Any]:
    """A layer's dict as _json_value writes it at this indent, as three writers,
    each a function of a tuple of values that returns their text (one value for
    each key of LAYER_KEYS, each input and each dimension of the output; an int
    comes out as json writes it, a float (the intensity) as its repr, and the
    strings come written as JSON already): the costs' run, from the output through
    ops; memory.FIELDS' run; and the row, with one value for each of those runs'
    texts. A repeated layer's runs come out the same on many rows, and formatting
    an int is most of a row's time. Each writer is its %-template's `%`, or with
    `compiled` an f-string compiled here (_writer), which formats a row for ~2/3 of
    what the template costs but takes ~1M instructions to compile (the three: as
    ~1,200 rows gain): for long networks only."""
    inner = newline + "  "

    def ints(n: int) -> str:
        return "[" + inner + "  " + ("," + inner + "  ").join(["%s"] * n) + inner + "]" if n else "[]"
    values = {"inputs": ints(n_inputs), "output": ints(3)}
    pieces = ("{" + inner + ("," + inner).join(
        _json_str(k).replace("%", "%%") + ": " + values.get(k, "%s") for k in LAYER_KEYS)
        + newline + "}").split("%s")  # pieces[i]: the text before value i
    costs = LAYER_KEYS.index("output") + n_inputs - 1  # its first value (inputs has n_inputs)
    mem = costs + 3 + LAYER_KEYS.index(FIELDS[0]) - LAYER_KEYS.index("params")  # after ops
    end = mem + len(FIELDS)

    def run(a: int, b: int) -> str:  # values a … b-1 and the text between them
        return "%s" + "".join(piece + "%s" for piece in pieces[a + 1:b])
    row = "".join(piece + "%s" for piece in pieces[:costs]) + pieces[costs] + "%s" \
        + pieces[mem] + "%s" + "%s".join(pieces[end:])
    costs_run, mem_run = run(costs, mem), run(mem, end)
    if not compiled:
        return row.__mod__, costs_run.__mod__, mem_run.__mod__
    return _writer(row), _writer(costs_run), _writer(mem_run)


def _writer(template: str) -> Any:
    """`template % values` (a tuple of them) as an f-string, compiled once, which
    formats them ~1.5× as fast as % does: its values go straight into one join,
    with no template to read on every call."""
    pieces = template.split("%s")
    names = [f"v{i}" for i in range(len(pieces) - 1)]
    body = "".join(piece.replace("{", "{{").replace("}", "}}") + (f"{{{name}}}" if k < len(names) else "")
                   for k, (piece, name) in enumerate(zip(pieces, [*names, ""])))
    env: dict[str, Any] = {}
    exec(f"def write(values):\n  ({', '.join(names)},) = values\n  return f{body!r}",  # noqa: S102
         env)  # our own template, as record compiles its methods
    return env["write"]


def _json_scalar(value: Any) -> str:
    """An int, str, float or None as _json_value writes it (rf and jump: an int or 'p/q')."""
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if kind is str:
        return _json_str(value)
    part: list[str] = []
    _json_value(value, "", part)
    return "".join(part)


def layer_dict(r: LayerCost, batch: int = 1, device: Any = None, dtype: str = "fp32"
               ) -> dict[str, Any]:
    d = dict(zip(LAYER_KEYS, layer_values(r, batch)))
    if device is not None:
        d["roofline_s"], d["bound"] = _roofline(r, batch, device, dtype)
    return d


def _roofline(r: LayerCost, batch: int, device: Any, dtype: str) -> tuple[float, str | None]:
    from .memory import roofline
    if not r.bytes_moved:  # an aux[ … ] layer: it does not run at inference
        return 0.0, None
    return roofline(2 * r.macs * batch, r.bytes_moved, device, dtype)


class LayerDicts(Sequence):  # type: ignore[type-arg]
    """The JSON's "layers": each row's dict made when it is read, not all held at
    once (a 100k-layer network's dicts alone are ~150 MB); a list for the API."""

    def __init__(self, net: NetworkCost, device: Any, count: Any, paths: bool = False) -> None:
        self.net, self.device, self.count, self.paths = net, device, count, paths

    def __len__(self) -> int:
        return len(self.net.rows)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        net, row = self.net, self.net.rows[i]
        d = layer_dict(row, net.batch, self.device, net.dtype)
        if self.count is not None:
            d["count"] = self.count.values[i if i >= 0 else len(self) + i]  # None: not counted
        if self.paths:  # --depth: the levels it is inside, the stage first (views.fold)
            d["path"] = [row.stage, *(lv.name for lv in row.path)]
        return d

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def json_texts(self, newline: str) -> Iterator[str]:
        """Each layer's dict as _json_value writes it at this indent, from the row's
        values without making the dict (a fifth of a 10k-layer document's time),
        where the layers have only LAYER_KEYS; else from the dicts."""
        if self.device is not None or self.count is not None or self.paths:
            for d in self:
                part: list[str] = []
                _json_value(d, newline, part)
                yield "".join(part)
            return
        if _KEYS != _ROW_METRICS or LayerCost._fields != _ROW_FIELDS:  # each row's values
            yield from self._texts_from_values(newline)
            return
        templates: dict[int, tuple[str, str, str]] = {}  # by the number of inputs
        # a row's costs and its memory metrics as JSON (_row_templates), by value
        costs_texts: dict[tuple[int, ...], str] | None = {}  # None: not kept (_repeats)
        mem_texts: dict[tuple[int, ...], str] | None = {}
        notations: dict[int, str] = {}  # a layer's notation, as JSON, by id (the rows hold them)
        # an intensity as JSON, by value: repr of a float is a tenth of a row's time, and
        # a network's layers have few (never -0.0 or NaN, whose repr a dict would confuse)
        ratios: dict[float, str] = {None: "null"}  # type: ignore[dict-item]
        batch = self.net.batch
        compiled = len(self.net.rows) >= _COMPILED_ROWS
        for (index, name, kind, layer, inputs, stage, out, params, macs, complexity, ops, rf,
             jump, _, mem, _) in self.net.rows:  # a row's fields, in LayerCost's order
            known = templates.get(len(inputs))
            if known is None:
                known = templates[len(inputs)] = _row_templates(len(inputs), newline, compiled)
            template, costs_template, mem_template = known
            notation = notations.get(id(layer))
            if notation is None:
                notation = notations[id(layer)] = _json_str(BY_CLASS[type(layer)].notation(layer))
            moved = mem[_MOVED]  # memory.intensity(macs, batch, moved), without its call
            ratio = 2 * macs * batch / moved if moved else None
            ratio_text = ratios.get(ratio)  # type: ignore[arg-type]
            if ratio_text is None:
                ratio_text = ratios[ratio] = float.__repr__(ratio)  # type: ignore[arg-type]
            # the costs' run by output (the rows hold each) and costs; memory's by its values
            costs_text = None if costs_texts is None else \
                costs_texts.get((id(out), params, macs, complexity, ops))
            if costs_text is None:
                costs_text = costs_template((out.h, out.w, out.c, params, macs, 2 * macs,
                                             complexity, out.h * out.w * out.c, ops))
                if costs_texts is not None:
                    costs_texts[id(out), params, macs, complexity, ops] = costs_text
                    if not _repeats(len(costs_texts), index):
                        costs_texts = None  # formatted on every row from here on
            mem_text = None if mem_texts is None else mem_texts.get(mem)
            if mem_text is None:
                mem_text = mem_template(mem)
                if mem_texts is not None:
                    mem_texts[mem] = mem_text
                    if not _repeats(len(mem_texts), index):
                        mem_texts = None
            yield template((
                index, _json_str(name), _json_str(kind), notation, _json_str(stage),
                *inputs, costs_text, mem_text, ratio_text,
                rf if type(rf) is int else _json_scalar(exact(rf)),
                jump if type(jump) is int else _json_scalar(exact(jump))))

    def _texts_from_values(self, newline: str) -> Iterator[str]:
        template = _dict_template(LAYER_KEYS, newline)
        inner = newline + "  "
        metrics = len(_KEYS)
        batch = self.net.batch
        for row in self.net.rows:
            v = layer_values(row, batch)
            inputs, output = v[5], v[6]
            yield template % (
                int.__repr__(v[0]), _json_str(v[1]), _json_str(v[2]), _json_str(v[3]),
                _json_str(v[4]),
                _int_list(inputs, inner) if inputs else "[]", _int_list(output, inner),
                *map(int.__repr__, v[7:7 + metrics]), *map(_json_scalar, v[7 + metrics:]))

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    __hash__ = None  # type: ignore[assignment]


def analysis_dict(net: NetworkCost, device: Any = None, count: Any = None,
                  depth: int | None = None) -> dict[str, Any]:
    """The JSON document; with `depth`, every layer also has its "path" and the
    document the rows of that view as "blocks" (views.fold)."""
    stages = net.stages
    stage_totals = [s.totals for s in stages]
    t = Totals.combine(stage_totals)  # net.totals, without summing every row again
    totals: dict[str, Any] = totals_dict(t, count)
    peak = t.live_bytes  # the peak; its layer: the first where it happens
    totals["peak_layer"] = next(r.name for r in net.rows if r.live_bytes == peak)
    totals["intensity"] = intensity(t.macs, net.batch, t.bytes_moved)
    layers = LayerDicts(net, device, count, depth is not None)
    out: dict[str, Any] = {"schema": JSON_SCHEMA_VERSION, "name": net.name,
                           "input": shape_list(net.input), "padding": net.padding,
                           "batch": net.batch, "dtype": net.dtype}
    if device is not None:
        out["device"] = {"name": device.name, "source": device.source}
        totals["roofline_s"] = sum(d["roofline_s"] for d in layers)
    if net.graph.uncosted:  # an imported model's nodes without a rule (--allow-unsupported)
        out["uncosted"] = list(net.graph.uncosted)
    out.update(totals=totals, stages=[stage_dict(s, st) for s, st in zip(stages, stage_totals)],
               layers=layers)
    if depth is not None:
        from .views import fold
        out["depth"] = depth
        out["blocks"] = [fold_dict(f, net.batch) for f in fold(net.rows, depth, net.name)]
    return out


def fold_dict(f: Any, batch: int) -> dict[str, Any]:
    """One row of a --depth view (views.Fold) for JSON: its first layer's index,
    what it is, its layers and totals, and its output's shape, rf and jump."""
    t = f.totals
    return {"index": f.first, "name": f.name, "kind": f.kind, "notation": f.text,
            "stage": f.stage, "path": list(f.path), "layers": len(f.rows),
            "output": shape_list(f.output), **{m.key: t[m.key] for m in METRICS},
            "intensity": intensity(t.macs, batch, t.bytes_moved),
            "rf": exact(f.rf), "jump": exact(f.jump)}
