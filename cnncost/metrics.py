"""The metrics: one row each, driving totals, every format's columns, diff and check.

A metric is a per-layer integer that a LayerCost carries under its key; totals
sum it over rows. Adding one is a row here plus the rule that computes it
(a field of :class:`~cnncost.layers.base.Cost`, or a property of LayerCost).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Metric:
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


METRICS: tuple[Metric, ...] = (
    Metric("params", "params", "weights and biases (and BN's γ, β)"),
    Metric("macs", "MACs", "multiply-accumulates of conv and fc layers, bias excluded"),
    Metric("flops", "FLOPs", "2 × MACs", column=False, baseline=False),
    Metric("complexity", "Eq. (1)", "He & Sun's Eq. (1), convolutional layers only"),
    Metric("activations", "activations", "elements of the layer's output", budget=False,
           column=False),
    Metric("ops", "ops", "element-wise and pooling work, never folded into MACs", budget=False,
           column=False),
)

BY_KEY: dict[str, Metric] = {m.key: m for m in METRICS}
BUDGETS: tuple[Metric, ...] = tuple(m for m in METRICS if m.budget)
COMPARED: tuple[str, ...] = tuple(m.key for m in METRICS if m.compared)
COLUMNS: tuple[Metric, ...] = tuple(m for m in METRICS if m.column)
BASELINE: tuple[Metric, ...] = tuple(m for m in BUDGETS if m.baseline)
