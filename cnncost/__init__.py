"""cnncost: what does this CNN architecture cost? Exact, framework-free counts.

    >>> from cnncost import analyze, parse_spec
    >>> net = analyze(parse_spec("Input(32,32,3) -> 16F(3,3) -> relu -> gap -> 10fc"))
    >>> net.totals.params, net.totals.macs
    (618, 442528)
"""

from .costs import analyze
from .errors import CnnCostError
from .notation import parse_spec
from .resolve import load as load_spec

__all__ = ["analyze", "parse_spec", "load_spec", "CnnCostError"]
