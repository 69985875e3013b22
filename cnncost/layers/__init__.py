"""The layer registry: every layer kind cnncost knows, each declared once.

A kind is one :class:`~cnncost.layers.base.KindDef` — its typed spec class, the
notation that builds it, and its shape, cost, printer and PyTorch rules — kept
with its family:

    family          kinds (JSON "kind")
    conv.py         conv  dw  tconv  cw  gcw  ccl            convolutional layers (Eq. (1))
    pool.py         pool  global_pool  adaptive_pool  spp
    dense.py        fc  se
    elementwise.py  act  prelu  bn  gn  ln  in  scale  lrn  dropout
    reshape.py      flatten  shuffle  chunk  id  pad  cpad  pixel_shuffle  pixel_unshuffle
                    upsample
    merge.py        concat  add  mul                         the branch forms x[ a | b ]

Everything else — the parser, shape inference, costs, the canonical printer,
``export --torch``, ``cnncost layers`` and the language reference's table —
reads this registry; nothing switches on layer classes. Adding a kind is one
class, its rules and one KindDef in its family's ``KINDS``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any

from . import conv, dense, elementwise, merge, pool, reshape
from .base import Cost, Ctx, Geometry, KindDef, ShapeError, Sig
from .conv import ChannelWise, Conv, ConvClassifier, ConvTranspose, Depthwise, GroupChannelWise
from .dense import SE, Dense
from .elementwise import (
    ACT_OPS, ACT_WORDS, LRN, Act, Activation, BatchNorm, Dropout, GroupNorm, InstanceNorm,
    LayerNorm, PReLU, Scale,
)
from .merge import BRANCHES, Add, Concat, Mul
from .pool import SPP, AdaptivePool, GlobalPool, Pool, PoolOp
from .reshape import (
    ChannelPad, Chunk, Flatten, Identity, Pad, PixelShuffle, PixelUnshuffle, Shuffle, Upsample,
)

KINDS: tuple[KindDef, ...] = (
    *conv.KINDS, *pool.KINDS, *dense.KINDS, *elementwise.KINDS, *reshape.KINDS, *merge.KINDS,
)

BY_CLASS: dict[type, KindDef] = {k.cls: k for k in KINDS}
BY_KIND: dict[str, KindDef] = {k.kind: k for k in KINDS}

# Every name the notation accepts for a layer (aliases included) → its signature.
SYNTAX: dict[str, Sig] = {name: sig for k in KINDS for sig in k.syntax for name in sig.names}

# A layer spec: an instance of one of the classes above (only annotations use the name).
if TYPE_CHECKING:
    Layer = Any
else:
    Layer = object


def kind_of(layer: Layer) -> KindDef:
    return BY_CLASS[type(layer)]


def notation(layer: Layer) -> str:
    """The canonical spelling of a layer; parsing it gives the same layer."""
    return BY_CLASS[type(layer)].notation(layer)


__all__ = [
    "KINDS", "BY_CLASS", "BY_KIND", "SYNTAX", "Layer", "kind_of", "notation", "KindDef", "Cost",
    "Ctx", "Geometry", "ShapeError", "Sig", "BRANCHES", "ACT_OPS", "ACT_WORDS", "Act", "PoolOp",
    "Conv", "Depthwise", "ConvTranspose", "ChannelWise", "GroupChannelWise", "ConvClassifier",
    "Pool", "GlobalPool", "AdaptivePool", "SPP", "Dense", "SE", "Activation", "PReLU",
    "BatchNorm", "GroupNorm", "LayerNorm", "InstanceNorm", "Scale", "LRN", "Dropout", "Flatten",
    "Shuffle", "Chunk", "Identity", "Pad", "ChannelPad", "PixelShuffle", "PixelUnshuffle",
    "Upsample", "Concat", "Add", "Mul",
]
