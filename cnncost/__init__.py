"""cnncost: what does this CNN architecture cost? Exact, framework-free counts.

    >>> from cnncost import analyze, parse_spec
    >>> net = analyze(parse_spec("Input(32,32,3) -> 16F(3,3) -> relu -> gap -> 10fc"))
    >>> net.totals.params, net.totals.macs
    (618, 442528)

The names below are imported on first use (PEP 562), so `import cnncost` and
`cnncost --help` load nothing they do not need.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "analyze": ("costs", "analyze"),  # Graph → NetworkCost (rows, stages, totals)
    "parse_spec": ("notation", "parse_spec"),  # notation text → Graph
    "load_spec": ("resolve", "load"),  # a zoo name, a file or text → Document
    "one_network": ("resolve", "one_network"),  # Document (+ variant) → NetworkSpec
    "compare": ("comparison", "compare"),  # NetworkCosts side by side (He & Sun's Table 1)
    "diff": ("comparison", "diff"),  # two NetworkCosts → removed/added/changed layers
    "check": ("comparison", "check"),  # budgets → CheckResult
    "CnnCostError": ("errors", "CnnCostError"),  # the one error type for bad input
    "from_torch": ("torch_import", "from_torch"),  # a torch.nn.Module → Document (torch extra)
    "load_onnx": ("onnx_import", "load_onnx"),  # an ONNX model → Document (onnx extra)
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'cnncost' has no attribute '{name}'")
    import importlib
    module, attr = _EXPORTS[name]
    value = getattr(importlib.import_module(f".{module}", __name__), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
