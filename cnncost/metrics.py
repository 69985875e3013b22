"""The metrics: one row each, driving totals, every format's columns, diff and check.

A metric is a per-layer integer that a LayerCost carries under its key; totals
sum it over rows. Adding one is a row here plus the rule that computes it
(a field of :class:`~cnncost.layers.base.Cost`, or a property of LayerCost).
"""

from __future__ import annotations

from .record import Record



class Metric(Record):
    key: str  # JSON and CSV key, and the LayerCost attribute that holds it
    label: str  # column header in the terminal table and markdown
    meaning: str  # one line, for help texts and the docs
    unit: str = "count"  # "count": humanised in SI units (12.3M)
    budget: bool = True  # `check --max-<key>` can limit it
    compared: bool = True  # a layer whose value differs has changed (`diff`)
    column: bool = True  # a column of the terminal table and markdown, and a delta in `diff`;
    #                      the others are in CSV and JSON only
    baseline: bool = True  # a budget that `check --baseline` holds against the baseline's;
    #                        not one that is a fixed multiple of another (its % says nothing new)
    total: str = "sum"  # how rows add up: "sum", or "max" (a peak)
    total_key: str = ""  # the totals' key when it is not `key` (live_bytes → peak_activation_bytes)
    option: str = ""  # `check --max-<option>` when it is not the key with dashes

    @property
    def total_name(self) -> str:
        return self.total_key or self.key

    @property
    def flag(self) -> str:
        return "--max-" + (self.option or self.key.replace("_", "-"))


# The memory metrics (notation §12, cnncost.memory) are bytes, humanised in binary
# units (KiB, MiB); they are in JSON and CSV, and in tables that ask for them.
_MEMORY = dict(unit="bytes", column=False, baseline=False)

METRICS: tuple[Metric, ...] = (
    Metric("params", "params", "weights and biases (and BN's γ, β)"),
    Metric("macs", "MACs", "multiply-accumulates of conv and fc layers, bias excluded"),
    Metric("flops", "FLOPs", "2 × MACs", column=False, baseline=False),
    Metric("complexity", "Eq. (1)", "He & Sun's Eq. (1), convolutional layers only"),
    Metric("activations", "activations", "elements of the layer's output", budget=False,
           column=False),
    Metric("ops", "ops", "element-wise and pooling work, never folded into MACs", budget=False,
           column=False),
    Metric("param_bytes", "param bytes", "params × dtype bytes", **_MEMORY),  # type: ignore[arg-type]
    Metric("activation_bytes", "activation bytes", "output elements × batch × dtype bytes",
           budget=False, **_MEMORY),  # type: ignore[arg-type]
    Metric("live_bytes", "live bytes", "layer outputs alive while the layer runs (inference); "
           "the total is the peak", total="max", total_key="peak_activation_bytes",
           option="peak-memory", **_MEMORY),  # type: ignore[arg-type]
    Metric("train_saved_bytes", "saved bytes", "what autograd keeps for the backward pass",
           budget=False, **_MEMORY),  # type: ignore[arg-type]
    Metric("train_flops", "train FLOPs", "forward + backward FLOPs of a training step",
           column=False, baseline=False),
    Metric("bytes_moved", "bytes moved", "weights + inputs + output bytes", budget=False,
           **_MEMORY),  # type: ignore[arg-type]
)
MEMORY: tuple["Metric", ...] = ()  # set below: the `--columns memory` set

BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
BUDGETS: tuple[Metric, ...] = tuple(m for m in METRICS if m.budget)
COMPARED: tuple[str, ...] = tuple(m.key for m in METRICS if m.compared)
COLUMNS: tuple[Metric, ...] = tuple(m for m in METRICS if m.column)
BASELINE: tuple[Metric, ...] = tuple(m for m in BUDGETS if m.baseline)
MEMORY = tuple(BY_KEY[k] for k in ("param_bytes", "live_bytes", "train_saved_bytes",
                                   "train_flops"))
MEMORY_KEYS = frozenset(m.key for m in METRICS if m.unit == "bytes" or m.key == "train_flops")


# The columns a table may show: presets, or metric keys and these per-layer values
LAYER_VALUES = ("rf", "jump", "intensity")
COLUMN_PRESETS = ("default", "memory")
SHARES = ("complexity", "macs", "params")  # what --share may show the share of


def column_choices() -> tuple[str, ...]:
    """What --columns takes: a preset, or a comma-separated list of these keys."""
    return (*COLUMN_PRESETS, *(m.key for m in METRICS), *LAYER_VALUES)


def parse_columns(text: str) -> tuple[str, ...] | None:
    """A column choice: None for a preset, else the keys asked for (comma-separated),
    each once. ValueError, with the choices, for a key there is not."""
    if text in COLUMN_PRESETS:
        return None
    keys = [k.strip().lower() for k in text.split(",")]
    known = column_choices()[len(COLUMN_PRESETS):]
    for k in keys:
        if k not in known:
            what = f"unknown column '{k[:30]}'" if k else "an empty column name"
            raise ValueError(f"{what}; choose from: " + ", ".join(column_choices()))
    return tuple(dict.fromkeys(keys))
