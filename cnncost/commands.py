"""Command bodies that need no click: what a command does with its options' text.

cli's command reads its options with click and calls the body here; the script's
entry point (cnncost.entry) calls the same body for the commonest forms of the
command without importing click at all, so the two cannot disagree. Each body
takes the options as the user typed them (strings), checks them with the CLI's
messages, and returns values; writing them is the caller's.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any, Callable

from .errors import CnnCostError, shorten


def parse_range(text: str) -> tuple[int, int] | None:
    r"""'1..16' or '2-8' → (1, 16) or (2, 8): two numbers of up to 9 digits (what
    r"\s*(\d{1,9})\s*(?:\.\.|-)\s*(\d{1,9})\s*" matches, read without re, whose
    import is a fifth of a bare interpreter's start); None for anything else."""
    low, dots, high = text.partition("..")
    if not dots:
        low, _, high = text.partition("-")
    low, high = low.strip(), high.strip()
    if low.isdecimal() and high.isdecimal() and len(low) <= 9 and len(high) <= 9:
        return int(low), int(high)
    return None


def number_list(text: str, what: str, cast: Callable[[str], Any], example: str) -> tuple[Any, ...]:
    """'1,2,3' → (1, 2, 3): positive finite numbers, or one clear error."""
    import math
    parts = [x.strip() for x in text.split(",") if x.strip()]
    try:  # a part longer than 12 characters is too long to be a size or multiplier
        values = tuple(cast(x) for x in parts) if all(len(x) <= 12 for x in parts) else ()
    except ValueError:
        values = ()
    if not values or not all(math.isfinite(v) and v > 0 for v in values):
        kind = "whole numbers" if cast is int else "numbers"
        raise CnnCostError(f"{what}: '{shorten(text)}' is not a list of positive {kind}", hint=f"e.g. {example}")
    return values


def int_list(text: str, what: str, example: str) -> tuple[int, ...]:
    return number_list(text, what, int, example)


def float_list(text: str, what: str, example: str) -> tuple[float, ...]:
    return number_list(text, what, float, example)


# `cnncost replace`'s defaults: the click command's options and the entry's quick path
# both take them from here
TOLERANCE, SIZES, DEPTHS = "5%", "1,2,3,5,7", "1..16"


def replace(load: Callable[[], Any], stage: str, tolerance: str = TOLERANCE, sizes: str = SIZES,
            depth_range: str = DEPTHS, widths: str | None = None, top: int = 0,
            shape: Any = None, pad: Any = None, batch: int = 1, dtype: str = "fp32"
            ) -> tuple[Any, Any, Any, list[Any], int, int, float]:
    """`cnncost replace` on the spec that `load()` reads (resolve.load's document; read
    once the options are checked, as the command always has): the network spec, its
    analysis, the stage, the candidates shown (--top), how many matched, how many
    were evaluated, and the tolerance as a fraction."""
    from .comparison import parse_percent
    from .costs import analyze
    from .resolve import one_network
    from .search import replace as search
    depths = parse_range(depth_range)
    if depths is None:
        raise CnnCostError(f"--depth: '{shorten(depth_range)}' is not a range", hint="e.g. 1..16")
    if top < 0:
        raise CnnCostError(f"--top {top}: give how many candidates to show (0 shows all)",
                           hint="e.g. --top 10")
    net_spec = one_network(load())
    net = analyze(net_spec.graph(shape, pad), batch, dtype)
    tol = parse_percent(tolerance, "--tolerance") / 100
    widths_ = int_list(widths, "--widths", "64,128,256") if widths is not None else None
    info, cands, evaluated = search(net, stage, tol, int_list(sizes, "--sizes", "1,2,3,5,7"),
                                    depths, widths_)
    shown = cands[:top] if top > 0 else cands
    return net_spec, net, info, shown, len(cands), evaluated, tol
