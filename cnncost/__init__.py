"""cnncost: what does this CNN architecture cost? Exact, framework-free counts.

    >>> from cnncost import analyze, parse_spec
    >>> net = analyze(parse_spec("Input(32,32,3) -> 16F(3,3) -> relu -> gap -> 10fc"))
    >>> net.totals.params, net.totals.macs
    (618, 442528)
    >>> analyze("he2015-a", batch=8).to_dict()["totals"]["params"]  # what the CLI accepts
    75000936

`analyze` takes a zoo name, a spec file's path, spec text, a NetworkSpec, a
Document or a Graph (cnncost.api; docs/api.md).

The names below are imported on first use (PEP 562), so `import cnncost` and
`cnncost --help` load nothing they do not need.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any

_EXPORTS = {
    "analyze": ("api", "analyze"),  # a spec of any kind → Analysis (rows, stages, totals, to_dict)
    "parse_spec": ("notation", "parse_spec"),  # notation text → Graph
    "load_spec": ("resolve", "load"),  # a zoo name, a file or text → Document
    "one_network": ("resolve", "one_network"),  # Document (+ variant) → NetworkSpec
    "compare": ("api", "compare"),  # analyses side by side (He & Sun's Table 1)
    "diff": ("api", "diff"),  # two analyses → removed/added/changed layers
    "check": ("api", "check"),  # budgets (validated keys, "30M" amounts) → CheckResult
    "load_text": ("resolve", "load_text"),  # spec text (YAML or notation) → Document
    "Analysis": ("api", "Analysis"),  # analyze's result: a NetworkCost with to_dict()
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
