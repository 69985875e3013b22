"""Layers that move elements without arithmetic, and resampling.

flatten, shuffle, chunk and id (views and permutations), pad and cpad (zero
padding), ps and pu (pixel shuffle / unshuffle), up (nearest or bilinear
upsampling).
"""

from __future__ import annotations


from ..errors import CnnCostError
from ..model import Shape
from ..record import Record
from .base import Args, Cost, Ctx, FREE, Geometry, Jump, KindDef, Sig, fail
from .pool import whole_map

UP_MODES = {"nearest": "nearest", "bilinear": "bilinear"}
# ops per output element of upsampling, as fvcore counts aten::upsample_nearest2d
# (elementwise_flop_counter(0, 1)) and aten::upsample_bilinear2d (… (0, 4)).
UP_OPS = {"nearest": 1, "bilinear": 4}


class Flatten(Record):
    kind = "flatten"


class Shuffle(Record):
    """ShuffleNet's channel shuffle: a permutation of channels, no arithmetic."""

    kind = "shuffle"
    groups: int


class Chunk(Record):
    """The index-th (from 1) slice of torch.chunk(x, parts) along the channels: a view."""

    kind = "chunk"
    parts: int
    index: int


class Identity(Record):
    kind = "id"


class Pad(Record):
    """Zero padding of the map: rows on top and bottom, columns left and right."""

    kind = "pad"
    top: int
    bottom: int
    left: int
    right: int


class ChannelPad(Record):
    """Zero channels up to `channels` (ResNet's option A shortcut), split evenly."""

    kind = "cpad"
    channels: int


class PixelShuffle(Record):
    """Depth to space: H×W×C → H·r × W·r × C/r²."""

    kind = "pixel_shuffle"
    r: int


class PixelUnshuffle(Record):
    """Space to depth (YOLOv2's reorg): H×W×C → H/r × W/r × C·r²."""

    kind = "pixel_unshuffle"
    r: int


class Upsample(Record):
    """Upsampling by whole factors (fh, fw) or to a size (h, w)."""

    kind = "upsample"
    fh: int | None = None
    fw: int | None = None
    h: int | None = None
    w: int | None = None
    mode: str = "nearest"
    align_corners: bool = False


# ---------------------------------------------------------------------------
# Shape rules


def _same(layer: object, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    return Geometry(ins[0])


def flatten_shape(layer: Flatten, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    return whole_map(Shape(1, 1, ins[0].elements), ins[0])


def shuffle_shape(layer: Shuffle, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    if ins[0].c % layer.groups:
        fail(f"shuffle groups g={layer.groups} must divide the channels ({ins[0].c})")
    return Geometry(ins[0])


def chunk_slices(channels: int, parts: int) -> list[int]:
    """torch.chunk's slices: ⌈C/k⌉ channels each, the last smaller; fewer than k
    slices when they run out (5 channels in 4 chunks: 2, 2, 1)."""
    size = -(-channels // parts)
    return [min(size, channels - start) for start in range(0, channels, size)]


def chunk_shape(layer: Chunk, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x = ins[0]
    if layer.index > layer.parts:
        fail(f"chunk({layer.parts},{layer.index}): there is no slice {layer.index} of "
             f"{layer.parts}", hint="slices are numbered from 1")
    slices = chunk_slices(x.c, layer.parts)
    if layer.index > len(slices):
        fail(f"chunk({layer.parts},{layer.index}): torch.chunk cuts {x.c} channels into only "
             f"{len(slices)} slices ({', '.join(map(str, slices))})",
             hint=f"ask for a slice from 1 to {len(slices)}")
    return Geometry(Shape(x.h, x.w, slices[layer.index - 1]))


def pad_shape(layer: Pad, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x = ins[0]
    return Geometry(Shape(x.h + layer.top + layer.bottom, x.w + layer.left + layer.right, x.c),
                    (layer.top, layer.bottom, layer.left, layer.right))


def cpad_shape(layer: ChannelPad, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x = ins[0]
    if layer.channels < x.c:
        fail(f"cpad({layer.channels}) pads channels up to {layer.channels}, but the input "
             f"already has {x.c}", hint=f"write cpad(n) with n ≥ {x.c}")
    return Geometry(Shape(x.h, x.w, layer.channels))


def ps_shape(layer: PixelShuffle, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x, r = ins[0], layer.r
    if x.c % (r * r):
        fail(f"ps({r}) needs channels divisible by r² = {r * r}, but the input has {x.c}",
             hint=f"give the layer before it a multiple of {r * r} channels")
    from fractions import Fraction
    return Geometry(Shape(x.h * r, x.w * r, x.c // (r * r)), stride=(Fraction(1, r),) * 2)


def pu_shape(layer: PixelUnshuffle, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    x, r = ins[0], layer.r
    if x.h % r or x.w % r:
        fail(f"pu({r}) needs a map divisible by {r}, but it is {x.h}×{x.w}",
             hint="pad the map first (pad(…)) or use a factor that divides it")
    return Geometry(Shape(x.h // r, x.w // r, x.c * r * r), kernel=(r, r), stride=(r, r))


def _ratio(a: int, b: int) -> Jump:
    """Input units per output unit: a/b, an int where it is whole."""
    if a % b == 0:
        return a // b
    from fractions import Fraction
    return Fraction(a, b)


def up_shape(layer: Upsample, ctx: Ctx, ins: tuple[Shape, ...]) -> Geometry:
    """Nearest reads one input pixel per output pixel, bilinear two per dimension."""
    x = ins[0]
    if layer.fh is not None:
        assert layer.fw is not None
        h, w = x.h * layer.fh, x.w * layer.fw
    else:
        assert layer.h is not None and layer.w is not None
        h, w = layer.h, layer.w
    k = 2 if layer.mode == "bilinear" else 1
    return Geometry(Shape(h, w, x.c), kernel=(min(k, x.h), min(k, x.w)),
                    stride=(_ratio(x.h, h), _ratio(x.w, w)))


# ---------------------------------------------------------------------------
# Syntax


def _chunk(a: Args) -> Chunk:
    return Chunk(parts=a.int("k"), index=a.int("i"))


def _pad(a: Args) -> Pad:
    sides = [a.maybe_int(k, minimum=0) for k in ("t", "b", "l", "r")]
    given = [k for k in ("ph", "pw") if a.has(k)]
    if given and any(s is not None for s in sides):
        a.error(given[0], "give pad(p), pad(ph,pw) or pad(t=,b=,l=,r=), not a mix",
                hint="e.g. pad(1), pad(1,2) or pad(t=0,b=1,l=0,r=1)")
    if any(s is not None for s in sides):
        t, b, left, r = (s or 0 for s in sides)
        return Pad(t, b, left, r)
    ph = a.int("ph", minimum=0)
    pw = a.int("pw", ph, minimum=0)
    return Pad(ph, ph, pw, pw)


def _up(a: Args) -> Upsample:
    mode = a.word("mode", UP_MODES, "nearest")
    align = a.flag("align_corners", False)
    if align and mode != "bilinear":
        a.error("align_corners", "align_corners=1 applies to mode=bilinear only",
                hint="write up(2,mode=bilinear,align_corners=1)")
    has_size = a.has("h") or a.has("w")
    if has_size and (a.has("f") or a.has("fw")):
        a.error("h" if a.has("h") else "w", "give a factor (up(2)) or a size (up(h=,w=)), not both")
    if has_size:
        h = a.int("h") if a.has("h") else a.int("w")
        return Upsample(h=h, w=a.int("w", h), mode=mode, align_corners=align)
    for key in ("f", "fw"):
        v = a.values.get(key)
        if v is not None and not isinstance(v.value, int):
            raise CnnCostError(f"up: the factor must be a whole number, not {v.value}", v.span,
                               hint="other output sizes are written up(h=…,w=…)")
    if not a.has("f"):
        raise CnnCostError("up needs a factor or a size", a.span,
                           hint="e.g. up(2), up(2,1) or up(h=56,w=56)")
    fh = a.int("f")
    return Upsample(fh=fh, fw=a.int("fw", fh), mode=mode, align_corners=align)


SIGS = {
    "pad": Sig(("pad",), ("ph", "pw"), ("t", "b", "l", "r"), _pad, "pad(1)",
               "zero padding: pad(p), pad(ph,pw) or pad(t=,b=,l=,r=)", "nn.ZeroPad2d"),
    "up": Sig(("up",), ("f", "fw"), ("h", "w", "mode", "align_corners"), _up, "up(2)",
              "upsampling by whole factors or to h×w; mode=nearest (default) or bilinear",
              "nn.Upsample"),
}


def pad_notation(layer: Pad) -> str:
    t, b, left, r = layer.top, layer.bottom, layer.left, layer.right
    if t == b and left == r:
        return f"pad({t})" if t == left else f"pad({t},{left})"
    sides = [f"{k}={v}" for k, v in zip("tblr", (t, b, left, r)) if v]
    return "pad(" + ",".join(sides) + ")"


def up_notation(layer: Upsample) -> str:
    if layer.fh is not None:
        size = str(layer.fh) if layer.fh == layer.fw else f"{layer.fh},{layer.fw}"
    else:
        size = f"h={layer.h},w={layer.w}"
    extra = (",mode=bilinear" if layer.mode == "bilinear" else "") + \
        (",align_corners=1" if layer.align_corners else "")
    return f"up({size}{extra})"


def up_torch(layer: Upsample, info) -> str:  # type: ignore[no-untyped-def]
    how = (f"scale_factor={(float(layer.fh), float(layer.fw))}" if layer.fh is not None
           else f"size={(layer.h, layer.w)}")
    corners = f", align_corners={layer.align_corners}" if layer.mode == "bilinear" else ""
    return f"nn.Upsample({how}, mode={layer.mode!r}{corners})"


def _cpad_torch(layer: ChannelPad, info) -> str:  # type: ignore[no-untyped-def]
    extra = layer.channels - info.inputs[0].c
    return f"ChannelPad({extra // 2}, {extra - extra // 2})"


def _free(layer: object, ins: tuple[Shape, ...], out: Shape) -> Cost:
    return FREE


KINDS = (
    KindDef("flatten", Flatten,
            (Sig(("flatten",), (), (), lambda a: Flatten(), "flatten", "flatten to 1×1×(H·W·C)",
                 "x.flatten(1)"),),
            flatten_shape, _free, lambda layer: "flatten", lambda layer, info: "Flat()",
            "flatten", "8.3", silent=True, torch_helpers=("Flat",), view="always"),
    KindDef("shuffle", Shuffle,
            (Sig(("shuffle",), ("g",), (), lambda a: Shuffle(groups=a.int("g")), "shuffle(2)",
                 "channel shuffle with g groups", "view, transpose, reshape"),),
            shuffle_shape, _free, lambda layer: f"shuffle({layer.groups})",
            lambda layer, info: f"Shuffle({layer.groups})", "shuffle", "8.3",
            torch_helpers=("Shuffle",)),
    KindDef("chunk", Chunk,
            (Sig(("chunk",), ("k", "i"), (), _chunk, "chunk(2,1)",
                 "the i-th slice of torch.chunk(x, k) along the channels", "x.chunk(k, 1)[i-1]"),),
            chunk_shape, _free, lambda layer: f"chunk({layer.parts},{layer.index})",
            lambda layer, info: f"Chunk({layer.parts}, {layer.index})", "chunk",
            "8.3", torch_helpers=("Chunk",), view="always"),
    KindDef("id", Identity,
            (Sig(("id",), (), (), lambda a: Identity(), "id", "identity", "nn.Identity"),),
            _same, _free, lambda layer: "id", lambda layer, info: "nn.Identity()", "id",
            "10", passthrough=True, silent=True),
    KindDef("pad", Pad, (SIGS["pad"],), pad_shape, _free, pad_notation,
            lambda layer, info: f"nn.ZeroPad2d({(layer.left, layer.right, layer.top, layer.bottom)})",
            "pad", "8.4"),
    KindDef("cpad", ChannelPad,
            (Sig(("cpad",), ("n",), (), lambda a: ChannelPad(a.int("n")), "cpad(64)",
                 "zero-pad the channels up to n (ResNet option A)", "F.pad on C"),),
            cpad_shape, _free, lambda layer: f"cpad({layer.channels})", _cpad_torch, "cpad",
            "8.4", torch_helpers=("ChannelPad",)),
    KindDef("pixel_shuffle", PixelShuffle,
            (Sig(("ps",), ("r",), (), lambda a: PixelShuffle(a.int("r")), "ps(2)",
                 "pixel shuffle, depth to space: H·r × W·r × C/r²", "nn.PixelShuffle"),),
            ps_shape, _free, lambda layer: f"ps({layer.r})",
            lambda layer, info: f"nn.PixelShuffle({layer.r})", "ps",
            "8.4"),
    KindDef("pixel_unshuffle", PixelUnshuffle,
            (Sig(("pu",), ("r",), (), lambda a: PixelUnshuffle(a.int("r")), "pu(2)",
                 "pixel unshuffle, space to depth (reorg): H/r × W/r × C·r²",
                 "nn.PixelUnshuffle"),),
            pu_shape, _free, lambda layer: f"pu({layer.r})",
            lambda layer, info: f"nn.PixelUnshuffle({layer.r})", "pu",
            "8.4"),
    KindDef("upsample", Upsample, (SIGS["up"],), up_shape,
            lambda layer, ins, out: Cost(ops=UP_OPS[layer.mode] * out.elements),
            up_notation, up_torch, "up", "8.4"),
)
