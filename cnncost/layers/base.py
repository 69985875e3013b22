"""What every layer kind is made of: its syntax, its geometry, its cost, its printer.

A kind is one :class:`KindDef` (see ``layers/__init__.py``, the registry): the
typed spec class, the notation names that build it (:class:`Sig`), and four
pure rules with one signature each:

- ``shape(layer, ctx, ins) -> Geometry`` — output shape, padding used, and the
  window and stride the receptive field grows by; bad input raises
  :class:`ShapeError` (the graph attaches the span the user typed);
- ``cost(layer, ins, out) -> Cost`` — params, MACs, Eq. (1) and ops;
- ``notation(layer) -> str`` — the canonical spelling (parsing it gives the layer back);
- ``torch(layer, info) -> str`` — a torch module expression for ``export --torch``.

Nothing here parses text or prints; the rules are small functions of shapes.
"""

from __future__ import annotations

from ..errors import CnnCostError, Span, did_you_mean
from ..model import Padding, Shape
from ..record import NamedTuple, Record

# A distance on the input between adjacent output units: an int, or a Fraction
# after upsampling (up(2) halves it).
# (fractions is imported only where one is made: up, ps, nT — not on every run)
Jump = "int | Fraction"
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from collections.abc import Callable
    from fractions import Fraction
    from typing import Any, NoReturn


class Cost(Record):
    params: int = 0
    macs: int = 0
    complexity: int = 0  # He & Sun Eq. (1); convolutional layers only
    ops: int = 0  # element-wise and pooling work, never folded into MACs


FREE = Cost()  # explicitly free: a copy, a view or a permutation


class Geometry(NamedTuple):
    """What a shape rule learns about one layer (a NamedTuple: made once per layer,
    on the hot path)."""

    out: Shape
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)  # padding used: top, bottom, left, right
    kernel: tuple[int, int] = (1, 1)  # window (h, w) in units of the input map
    stride: tuple[Jump, Jump] = (1, 1)  # input units per output unit: 1/f after up(f)
    run: int = 0  # position in a run of even-kernel stride-1 convolutions (he2015)


class ShapeError(Exception):
    """A layer that cannot apply to its input; graph.infer adds the span."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def fail(message: str, hint: str = "") -> NoReturn:
    raise ShapeError(message, hint)


class Saved(Record):
    """One tensor autograd keeps for the backward pass (train mode, PyTorch eager).

    `ref` says which: "in" (the storage of input `index`), "out" (the layer's own
    output storage), or "new" (a tensor of `elements` elements of `itemsize` bytes —
    0 means the activation dtype — made inside the layer: pooling indices, BN's
    statistics, a padded copy). `per_sample` new tensors grow with the batch."""

    ref: str
    elements: int = 0
    itemsize: int = 0
    per_sample: bool = True
    index: int = 0


SAVE_INPUT = (Saved("in"),)
SAVE_OUTPUT = (Saved("out"),)
NOTHING: tuple[Saved, ...] = ()
INT64, FP32 = 8, 4  # pooling indices and normalisation statistics keep their own types


def save_nothing(layer: object, info: object, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
    return NOTHING


def save_input(layer: object, info: object, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
    return SAVE_INPUT


def save_output(layer: object, info: object, grads: tuple[bool, ...]) -> tuple[Saved, ...]:
    return SAVE_OUTPUT


class Ctx(Record):
    """What a shape rule may know besides its inputs."""

    padding: Padding  # the graph's padding policy
    run_before: int  # he2015 run position of the (first) input's producer


# ---------------------------------------------------------------------------
# Sliding-window arithmetic (PyTorch's formulas)


def out_size(size: int, k: int, s: int, p: int, d: int = 1, ceil: bool = False,
             p_end: int | None = None) -> int:
    """Output length of a sliding window: PyTorch's formula, floor or ceil mode.
    `p` pads the start and `p_end` (default p) the end."""
    p_end = p if p_end is None else p_end
    span = size + p + p_end - d * (k - 1) - 1
    if not ceil:
        return span // s + 1
    out = -(-span // s) + 1
    if (out - 1) * s >= size + p:  # the last window must start inside the input
        out -= 1
    return out


def adaptive_windows(size: int, out: int) -> list[int]:
    """Window lengths of PyTorch's adaptive pooling: [⌊i·n/o⌋, ⌈(i+1)·n/o⌉)."""
    return [-(-((i + 1) * size) // out) - (i * size) // out for i in range(out)]


def tf_same(size: int, k: int, s: int, d: int = 1) -> tuple[int, int]:
    """TensorFlow "SAME": total max((⌈n/s⌉−1)·s + d(k−1)+1 − n, 0), the odd pixel at the end."""
    total = max((-(-size // s) - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


# ---------------------------------------------------------------------------
# Notation: signatures and argument binding


class Value(Record):
    """One argument value: an int, a float, a word, or an `a x b` pair."""

    value: int | float | str | tuple[int, ...]
    span: Span


# PyTorch's and Keras' spellings of our options, for "did you mean" hints.
TORCH_SPELLINGS = {
    "stride": "s", "strides": "s", "padding": "p", "groups": "g", "dilation": "d", "bias": "b",
    "use_bias": "b", "output_padding": "op", "kernel_size": "kh", "out_channels": "n",
    "in_channels": "c_in", "filters": "n", "scale_factor": "f", "size": "h=, w=",
    "negative_slope": "the slope, lrelu(0.1)", "num_groups": "g", "num_parameters": "prelu(1)",
    "upscale_factor": "r", "downscale_factor": "r", "ceil_mode": "ceil", "affine": "affine",
    "approximate": "gelu(tanh)", "alpha": "elu(1.0)",
}


class Args(Record, frozen=False):
    """A call's arguments; builders pull typed values out by name."""

    layer: str  # canonical layer name, for messages
    sig: "Sig"
    values: dict[str, Value]
    span: Span
    positional: int = 0  # how many arguments were given by position

    def has(self, name: str) -> bool:
        return name in self.values

    def error(self, name: str, message: str, hint: str = "") -> NoReturn:
        v = self.values.get(name)
        raise CnnCostError(f"{self.layer}: {message}", v.span if v else self.span, hint)

    def int(self, name: str, default: int | None = None, minimum: int = 1) -> int:
        v = self.values.get(name)
        if v is None:
            if default is None:
                raise CnnCostError(f"{self.layer} needs its argument '{name}'", self.span,
                                   hint=f"write it as {self.sig.example}")
            return default
        if not isinstance(v.value, int):
            raise CnnCostError(f"{self.layer}: '{name}' must be a whole number", v.span,
                               hint=f"for example {self.sig.example}")
        if v.value < minimum:
            raise CnnCostError(f"{self.layer}: '{name}' must be at least {minimum}, not {v.value}",
                               v.span)
        return v.value

    def maybe_int(self, name: str, minimum: int = 1) -> int | None:
        return self.int(name, minimum=minimum) if name in self.values else None

    def number(self, name: str) -> float | int | None:
        """A cost-neutral number (a slope, an alpha), kept to be printed back."""
        v = self.values.get(name)
        if v is None:
            return None
        if isinstance(v.value, (str, tuple)):
            raise CnnCostError(f"{self.layer}: '{name}' must be a number", v.span,
                               hint=f"for example {self.sig.example}")
        return v.value

    def flag(self, name: str, default: bool) -> bool:
        v = self.values.get(name)
        if v is None:
            return default
        if v.value not in (0, 1) or isinstance(v.value, float):
            raise CnnCostError(f"{self.layer}: '{name}' must be 0 or 1", v.span)
        return bool(v.value)

    def word(self, name: str, choices: dict[str, Any], default: Any) -> Any:
        v = self.values.get(name)
        if v is None:
            return default
        key = str(v.value).lower()
        if key not in choices:
            raise CnnCostError(f"{self.layer}: unknown {name} '{v.value}'"
                               + did_you_mean(key, choices), v.span,
                               hint="one of " + ", ".join(sorted(choices)))
        return choices[key]

    def pad(self, name: str = "p", words: tuple[str, ...] = ("same", "valid", "tf")
            ) -> int | str | None:
        v = self.values.get(name)
        if v is None:
            return None
        if isinstance(v.value, str) and v.value.lower() in words:
            return v.value.lower()
        if isinstance(v.value, int):
            return v.value
        quoted = [f"'{w}'" for w in words]
        shown = "".join(f", {w}" for w in quoted[:-1]) + (f" or {quoted[-1]}" if quoted else "")
        raise CnnCostError(f"{self.layer}: padding must be a whole number{shown}", v.span,
                           hint="for example " + ", ".join(["p=1", *(f"p={w}" for w in words)]))

    def strides(self) -> tuple[int, int | None, int | None]:
        """s=, sh=, sw= normalised: (stride, sh, sw) with sh/sw set only when they differ."""
        s = self.int("s", 1)
        sh, sw = self.int("sh", s), self.int("sw", s)
        return (sh, None, None) if sh == sw else (1, sh, sw)

    def pads(self, words: tuple[str, ...] = ("same", "valid", "tf")
             ) -> tuple[int | str | None, int | None, int | None]:
        """p=, ph=, pw= normalised: ph/pw override p= in their own dimension."""
        p = self.pad("p", words)
        ph = self.maybe_int("ph", minimum=0)
        pw = self.maybe_int("pw", minimum=0)
        if ph is not None and pw is not None and ph == pw:
            return ph, None, None
        if ph is not None and ph == p:
            ph = None
        if pw is not None and pw == p:
            pw = None
        return p, ph, pw


class Sig(Record):
    """A named layer's signature: names, positional and keyword arguments, builder."""

    names: tuple[str, ...]  # the first is canonical; the rest are aliases
    positional: tuple[str, ...]  # in order; any may also be given as name=value
    options: tuple[str, ...]  # keyword-only
    build: Callable[[Args], Any]
    example: str  # shown in hints and in the language reference
    doc: str  # one line for the language reference
    torch: str = ""  # the PyTorch equivalent, for the reference


def opts(*pairs: tuple[str, object, object]) -> str:
    """',k=v' for each (key, value, default) whose value is not the default."""
    out = []
    for key, value, default in pairs:
        if value != default:
            v = int(value) if isinstance(value, bool) else value
            out.append(f",{key}={v}")
    return "".join(out)


def number_text(x: float | int) -> str:
    """A cost-neutral number as the user would write it (0.1, 1.0, 2)."""
    return repr(x) if isinstance(x, float) else str(x)


# ---------------------------------------------------------------------------
# The registry entry


class KindDef(Record):
    """Everything cnncost knows about one layer kind, in one place."""

    kind: str  # stable id: JSON "kind", CSV "kind"
    cls: type  # the typed spec class
    syntax: tuple[Sig, ...]  # how it is written (empty for the branch merges: concat[ | ])
    shape: Callable[..., Geometry]  # (layer, ctx, ins) -> Geometry
    cost: Callable[..., Cost]  # (layer, ins, out) -> Cost
    notation: Callable[[Any], str]  # layer -> canonical text
    torch: Callable[[Any, Any], str]  # (layer, NodeInfo) -> a torch module expression
    prefix: str | Callable[[Any], str]  # row names: conv1, relu6_2, …
    doc: str  # the section of docs/language.md that documents it, e.g. "4.6"
    conv: bool = False  # a convolutional layer: He & Sun's depth, Eq. (1)
    passthrough: bool = False  # keeps an he2015 run of even kernels going (bn, relu, …)
    silent: bool = False  # not written in He & Sun's Table 1 notation (bn, relu, …)
    torch_helpers: tuple[str, ...] = ()  # names of helper classes in torch_export.HELPERS
    # (layer, NodeInfo, which inputs need a gradient) -> what autograd keeps; the
    # comment at each rule says which PyTorch function decides it
    saved: Callable[..., tuple[Saved, ...]] = save_nothing
    view: str = ""  # "always" or "eval": the output is a view of the input (no new storage)
    input_macs: Callable[..., int] | None = None  # MACs that read the layer's input (default all)
