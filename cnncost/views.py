"""Views of an analysis: `analyze --depth N` folds the layers below level N.

A network's levels (torchinfo's depth): 0 is the whole network, 1 its stages,
and from 2 on the structure the spec is written in — each named block's call,
branch merge (res[ … ], add/concat/mul[ … | … ]), aux[ … ] head and repeat
(model.Level; lowering records them in each layer's path). With --depth N, a
layer deeper than N is folded into its ancestor at level N: consecutive layers
with the same ancestor make one row whose metrics are their totals (sums, the
peak for live bytes: costs.Totals), whose output is the last layer's and whose
rf and jump are at that output. Rows at level N or above stay as they are, so
the rows still partition the layers and add up to the network's totals.

Pure: rows in, rows out; nothing here renders.
"""

from __future__ import annotations


from .costs import LayerCost, Totals
from .model import Shape
from .record import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any
    from fractions import Fraction


class Fold(Record):
    """One row of a --depth view: a layer as it is, or the layers of one block."""

    name: str  # the layer's or the level's name (basic3, res2, conv1 for a stage, …)
    kind: str  # the layer's kind, or "network", "stage", "block", "res", "add", "concat", …
    text: str  # the layer's notation, or what was written for the level
    stage: str
    path: tuple[str, ...]  # the names of the levels above it (the stage first)
    rows: tuple[LayerCost, ...]  # the layers it stands for, in order
    folded: bool  # False: one layer, shown as it is

    @property
    def first(self) -> int:
        return self.rows[0].index

    @property
    def totals(self) -> Totals:
        return Totals.of(self.rows)

    @property
    def last(self) -> LayerCost:
        """The layer whose output is the row's (an aux[ … ] head's is not)."""
        return next((r for r in reversed(self.rows) if not r.train_only), self.rows[-1])

    @property
    def output(self) -> Shape:
        return self.last.output

    @property
    def rf(self) -> int | Fraction:
        return self.last.rf

    @property
    def jump(self) -> int | Fraction:
        return self.last.jump


def _key(r: LayerCost, depth: int) -> tuple[Any, ...]:
    """The level a row is shown at: (stage, levels…) cut at `depth`; the row itself
    when it is no deeper."""
    return (r.stage, *r.path)[:depth]


def fold(rows: tuple[LayerCost, ...] | list[LayerCost], depth: int, name: str = "",
         text: str = "") -> list[Fold]:
    """The rows of a --depth `depth` view (depth ≥ 0), in order."""
    from .report import layer_notation
    if depth == 0:
        return [Fold(name or "network", "network", text, "", (), tuple(rows), True)]
    out: list[Fold] = []
    i, n = 0, len(rows)
    while i < n:
        r = rows[i]
        if len(r.path) + 2 <= depth:  # a layer in a stage (no path) is at level 2: shown
            out.append(Fold(r.name, r.kind, layer_notation(r), r.stage,
                            (r.stage, *(lv.name for lv in r.path)), (r,), False))
            i += 1
            continue
        key = _key(r, depth)
        j = i + 1
        while j < n and len(rows[j].path) + 2 > depth and _key(rows[j], depth) == key:
            j += 1
        if depth == 1:
            out.append(Fold(r.stage, "stage", "", r.stage, (), tuple(rows[i:j]), True))
        else:
            lv = r.path[depth - 2]
            out.append(Fold(lv.name, lv.kind, lv.text, r.stage,
                            (r.stage, *(x.name for x in r.path[:depth - 2])), tuple(rows[i:j]),
                            True))
        i = j
    return out
