"""The layers that join branches: concat[ | ], add[ | ] (and res[ ]), mul[ | ]."""

from __future__ import annotations


from ..model import Shape
from ..record import Record
from .base import Cost, Ctx, FREE, Geometry, KindDef, Saved, fail


class Concat(Record):
    """Concatenation of its inputs along channels; spatial sizes must agree."""

    kind = "concat"


class Add(Record):
    """Element-wise sum of its inputs; shapes must agree exactly."""

    kind = "add"


class Mul(Record):
    """Element-wise product of its inputs; a 1×1×1, 1×1×C or H×W×1 operand broadcasts."""

    kind = "mul"


def concat_shape(layer: Concat, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    first = ins[0]
    for s in ins[1:]:
        if (s.h, s.w) != (first.h, first.w):
            fail("concat needs branches of the same spatial size, got "
                 + ", ".join(str(x) for x in ins),
                 hint="pad or stride the branches so their H×W agree (e.g. p=1 on a 3×3 pool)")
    return Geometry(Shape(first.h, first.w, sum(s.c for s in ins)))


def add_shape(layer: Add, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    first = ins[0]
    for s in ins[1:]:
        if s != first:
            fail("add needs branches of exactly the same shape, got "
                 + ", ".join(str(x) for x in ins),
                 hint="project the shortcut, e.g. add[ … | 256F(1,1,s=2) ]")
    return Geometry(first)


def mul_shape(layer: Mul, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    """The full shape H×W×C; every operand is that, or 1×1×1, 1×1×C, H×W×1."""
    out = Shape(max(s.h for s in ins), max(s.w for s in ins), max(s.c for s in ins))
    allowed = {out, Shape(1, 1, 1), Shape(1, 1, out.c), Shape(out.h, out.w, 1)}
    for s in ins:
        if s not in allowed:
            fail("mul needs branches of the same shape, or gates that broadcast (1x1x1, "
                 f"1x1xC, HxWx1), got " + ", ".join(str(x) for x in ins),
                 hint=f"here each branch must be {out}, 1x1x{out.c}, {out.h}x{out.w}x1 or 1x1x1")
    return Geometry(out)


def merge_cost(layer: Add | Mul, ins: tuple[Shape, ...], out: Shape) -> Cost:
    """(k − 1) additions (or products) per output element for k inputs."""
    return Cost(ops=(len(ins) - 1) * out.elements)


def mul_saved(layer: Mul, info, grads: tuple[bool, ...]) -> tuple[Saved, ...]:  # type: ignore[no-untyped-def]
    """out = x0 · x1 · … in turn: each product keeps its left operand when the right one
    needs a gradient, and its right one when the left one does; the running products
    of three or more operands are new tensors."""
    out: list[Saved] = []
    left: Saved = Saved("in", index=0)
    left_grad = grads[0]
    shape = info.inputs[0]
    for i in range(1, len(info.inputs)):
        if grads[i]:
            out.append(left)
        if left_grad:
            out.append(Saved("in", index=i))
        shape = Shape(max(shape.h, info.inputs[i].h), max(shape.w, info.inputs[i].w),
                      max(shape.c, info.inputs[i].c))
        left, left_grad = Saved("new", shape.elements), left_grad or grads[i]
    return tuple(out)


KINDS = (
    KindDef("concat", Concat, (), concat_shape, lambda layer, ins, out: FREE,
            lambda layer: "concat", lambda layer, info: "Concat()", "concat", "10",
            torch_helpers=("Concat",)),
    KindDef("add", Add, (), add_shape, merge_cost, lambda layer: "add",
            lambda layer, info: "Add()", "add", "10", torch_helpers=("Add",)),
    KindDef("mul", Mul, (), mul_shape, merge_cost, lambda layer: "mul",
            lambda layer, info: "Mul()", "mul", "10", torch_helpers=("Mul",), saved=mul_saved),
)

# The branch forms of the notation: word → merge layer (res[ a ] is add[ a | id ]).
BRANCHES = {"concat": Concat, "add": Add, "mul": Mul}
