"""Count like other tools (notation §13): what fvcore, ptflops, thop, … report.

Every tool counts a network its own way: bias or not, BatchNorm at 1, 2 or 4
per element, pooling by its input or its output, ReLU or not, a fused
multiply-add as 1 or 2. This module writes each tool's rule down once, as data
— one table per tool, one small function per layer kind of the layer, its
input shapes and its output shape, fvcore-handle-table style — so that
:func:`count` reproduces, exactly, the number the tool reports for the module
that ``cnncost export --torch`` writes (batch 1, eval mode, torch 2.13)::

    >>> from cnncost import analyze, parse_spec
    >>> net = analyze(parse_spec("Input(8,8,4) -> 16F(3,3) -> bn -> relu"))
    >>> count(net, "ptflops").total   # conv + bias, BN 2/element, ReLU twice
    41984

Each table's comment names the tool's version and the source file and function
that decide each term; docs/counting.md has them side by side, and
tests/test_counting.py runs the real tools against these tables.

A layer the tool cannot count — it says so itself: fvcore's "unsupported
operator", torchscan's "Module type not supported", thop's "Cannot find rule"
(``report_missing=True``), ptflops' "treated as a zero-op" (``verbose=True``) —
is reported in ``Count.uncounted``, with the tool's words, and its value is
None where the tool counts nothing of it: a count is never made up for what
the tool does not count. The other tools (torchvision, FlopCounterMode,
ptflops' aten backend, torchinfo, DeepSpeed) count a fixed set of operations
and say nothing about the rest, so they never report a layer as uncounted.

Pure: no torch, no I/O; exact integers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .costs import NetworkCost
from .errors import CnnCostError, did_you_mean
from .graph import infer
from .layers import Act, PoolOp
from .layers.base import adaptive_windows
from .layers.conv import strides_of
from .model import Shape
from .record import Record


class Gap(Record):
    """What a rule returns for a layer the tool reports it cannot count (fully or
    in part): `counted` is what the tool still adds for the layer, `why` what it
    says it does not count."""

    why: str
    counted: int = 0


class View(Record):
    """What a rule sees of one layer: the layer spec, its inputs and output (H×W×C),
    cnncost's MACs for it, and the padding cnncost resolved (top, bottom, left, right)."""

    layer: object
    ins: tuple[Shape, ...]
    out: Shape
    macs: int
    pad: tuple[int, int, int, int]

    @property
    def x(self) -> Shape:
        """The first (for most kinds the only) input."""
        return self.ins[0]

    @property
    def bias_out(self) -> int:
        """One addition per output element when the layer has a bias, else 0."""
        return self.out.elements if getattr(self.layer, "bias", False) else 0

    @property
    def pad_module(self) -> bool:
        """The export puts an explicit pad module before the layer (TensorFlow SAME's
        odd pixel: nn.ZeroPad2d / nn.ConstantPad2d in an nn.Sequential)."""
        t, b, left, r = self.pad
        return t != b or left != r

    @property
    def seen(self) -> Shape:
        """The input the torch layer itself reads: padded first when pad_module."""
        x = self.x
        if not self.pad_module:
            return x
        t, b, left, r = self.pad
        return Shape(x.h + t + b, x.w + left + r, x.c)


Rule = Callable[[View], "int | Gap"]


class Tool(Record):
    name: str
    version: str  # the release the rules were read from and tested against
    unit: str  # what its number is: "MACs", "FLOPs", "Mult-Adds"
    what: str  # one line: what it includes (describe())
    rules: Mapping[str, Rule]  # layer kind (layers.KINDS) → rule


class Count(Record):
    """What one tool reports for a network, row by row."""

    tool: str
    total: int  # the tool's total: the sum of `values` (None as 0)
    values: tuple[int | None, ...]  # per row of NetworkCost.rows; None: the tool counts none of it
    uncounted: tuple[int, ...] = ()  # positions in rows of the layers the tool says it cannot count
    why: tuple[str, ...] = ()  # per uncounted layer, what the tool does not count there

    @property
    def complete(self) -> bool:
        """The tool counted every layer it saw (its total is not a lower bound)."""
        return not self.uncounted


# ---------------------------------------------------------------------------
# Shared arithmetic


def _bias(v: View) -> bool:
    return bool(getattr(v.layer, "bias", False))


def _avg_windows(size: int, out: int, k: int, s: int, p: int) -> int:
    """Σ over the outputs of one dimension of the window length inside the padded
    input [−p, size+p): thop's count_avgpool (count_include_pad=True)."""
    return sum(max(min(i * s - p + k, size + p) - max(i * s - p, -p), 0) for i in range(out))


def _adaptive_sum(size: int, out: int) -> int:
    """Σ of PyTorch's adaptive window lengths along one dimension."""
    return sum(adaptive_windows(size, out))


def _scan_kernel(size: int, out: int) -> int:
    """torchscan's adaptive kernel (modules/_pooling.py adaptive_kernel_size)."""
    return size // out if size % out == 0 else size % out + 1


def _softmax_thop(elements: int, channels: int) -> int:
    """thop calculate_softmax over dim=1: per position, C exp + (C−1) add + C div."""
    return elements // channels * (3 * channels - 1)


def _pool_kernel(v: View) -> tuple[int, int]:
    return v.layer.kh, v.layer.kw  # type: ignore[attr-defined]


def _fn(v: View) -> Act:
    return v.layer.fn  # type: ignore[attr-defined]


def _levels(v: View) -> int:
    return len(v.layer.levels)  # type: ignore[attr-defined]


def _zero(v: View) -> int:
    return 0


def _gap(why: str, counted: Callable[[View], int] = _zero) -> Rule:
    return lambda v: Gap(why, counted(v))


def _free_kinds(rule: Rule) -> dict[str, Rule]:
    """The kinds that move elements without arithmetic, all given one rule."""
    return {k: rule for k in ("flatten", "shuffle", "chunk", "id", "pad", "cpad",
                              "pixel_shuffle", "pixel_unshuffle", "concat", "dropout")}


# Every kind a table must cover (tests check this against the registry).
CONV_KINDS = ("conv", "dw", "tconv", "cw", "gcw", "ccl")


# ---------------------------------------------------------------------------
# torchvision: cnncost's MACs (docs/conventions.md) — the convention behind
# torchvision's published GFLOPS (torchvision/models/*.py `_ops`): multiply-adds of
# convolutions and fully connected layers, bias excluded, nothing else.

_TORCHVISION: dict[str, Rule] = {k: (lambda v: v.macs) for k in (
    *CONV_KINDS, "fc", "se", "pool", "global_pool", "adaptive_pool", "spp", "act", "prelu", "bn",
    "gn", "ln", "in", "scale", "lrn", "upsample", "add", "mul",
    *_free_kinds(_zero))}


# ---------------------------------------------------------------------------
# flopcounter: torch 2.13 torch/utils/flop_counter.py, FlopCounterMode: only
# matmul-like aten ops (mm, addmm, bmm, convolution, …) at 2 FLOPs per multiply-add
# (conv_flop_count: "2 * … (multiply and add)"), biases not counted (addmm_flop
# counts the matmul only), a transposed convolution per *input* position
# (conv_flop_count: transposed=True uses the input's spatial size). = 2 × MACs.

_FLOPCOUNTER: dict[str, Rule] = {k: (lambda v: 2 * v.macs) for k in _TORCHVISION}


# ---------------------------------------------------------------------------
# fvcore 0.1.5.post20221221, fvcore/nn/flop_count.py _DEFAULT_SUPPORTED_OPS over a
# torch.jit trace (fvcore/nn/jit_analysis.py); "one fused multiply-add = one flop":
# - aten::_convolution → jit_handles.conv_flop_jit: prod(w)·prod(out spatial), the
#   input's spatial size when transposed; no bias.  aten::linear → linear_flop_jit:
#   in·out, no bias.
# - aten::batch_norm → batchnorm_flop_jit: eval, affine: 2 per input element.
# - aten::group_norm, aten::layer_norm → norm_flop_counter(2): 5 per element with
#   γ, β; aten::instance_norm → norm_flop_counter(1): 5 with, 4 without.
# - aten::adaptive_avg_pool2d → elementwise_flop_counter(1, 0): 1 per input element.
# - aten::upsample_nearest2d (0, 1): 1, aten::upsample_bilinear2d (0, 4): 4 per
#   output element.
# - _IGNORED_OPS (jit_analysis.py, counted as 0 without a word): relu, dropout, cat,
#   chunk, flatten, view, reshape, transpose, …
# - everything else is an "unsupported operator" (its warning): max_pool2d,
#   avg_pool2d, adaptive_max_pool2d, add, mul, sigmoid, hardtanh (ReLU6), silu,
#   hardswish, softmax, gelu, prelu, pad (nn.ZeroPad2d and F.pad trace as aten::pad,
#   so a channel-wise conv and a TF-SAME conv are reported too), pixel_shuffle, …

_FV_ACT = {Act.RELU: 0}  # aten::relu is ignored; every other activation is unsupported
_FV_ACT_OP = {
    Act.RELU6: "aten::hardtanh", Act.SIGMOID: "aten::sigmoid", Act.TANH: "aten::tanh",
    Act.SWISH: "aten::silu", Act.HSWISH: "aten::hardswish", Act.HSIGMOID: "aten::hardsigmoid",
    Act.SOFTMAX: "aten::softmax", Act.LRELU: "aten::leaky_relu", Act.ELU: "aten::elu",
    Act.GELU: "aten::gelu", Act.MISH: "aten::mish",
}


def _fv_padded(why: str = "aten::pad") -> Rule:
    """A convolution: its MACs, but the pad module before it is unsupported."""
    return lambda v: Gap(why, v.macs) if v.pad_module else v.macs


def _fv_pool(v: View) -> Gap:
    op = "aten::max_pool2d" if v.layer.op is PoolOp.MAX else "aten::avg_pool2d"  # type: ignore[attr-defined]
    return Gap(op + (", aten::pad" if v.pad_module else ""))


def _fv_act(v: View) -> int | Gap:
    fn = _fn(v)
    return _FV_ACT[fn] if fn in _FV_ACT else Gap(_FV_ACT_OP[fn])


def _fv_se(v: View) -> Gap:
    """Its two 1×1 convs and the pooling (aten::adaptive_avg_pool2d, 1 per input
    element) are counted; the gate, x · gate and a non-ReLU activation are not."""
    layer = v.layer
    ops = [_FV_ACT_OP[f] for f in (layer.act, layer.gate) if f not in _FV_ACT]  # type: ignore[attr-defined]
    return Gap(", ".join(dict.fromkeys([*ops, "aten::mul"])), v.macs + v.x.elements)


_FVCORE: dict[str, Rule] = {
    "conv": _fv_padded(), "dw": _fv_padded(), "tconv": lambda v: v.macs,
    "cw": lambda v: Gap("aten::pad", v.macs), "gcw": lambda v: Gap("aten::pad", v.macs),
    "ccl": lambda v: v.macs, "fc": lambda v: v.macs, "se": _fv_se,
    "pool": _fv_pool,
    "global_pool": lambda v: (v.x.elements if v.layer.op is PoolOp.AVG
                              else Gap("aten::adaptive_max_pool2d")),
    "adaptive_pool": lambda v: (v.x.elements if v.layer.op is PoolOp.AVG
                                else Gap("aten::adaptive_max_pool2d")),
    "spp": _gap("aten::adaptive_max_pool2d"),
    "act": _fv_act, "prelu": _gap("aten::prelu"),
    "bn": lambda v: 2 * v.out.elements,
    "gn": lambda v: 5 * v.out.elements, "ln": lambda v: 5 * v.out.elements,
    "in": lambda v: (5 if v.layer.affine else 4) * v.out.elements,  # type: ignore[attr-defined]
    "scale": _gap("aten::mul"),
    "lrn": _gap("aten::mul, aten::pad, aten::avg_pool3d, aten::add, aten::pow, aten::div"),
    "upsample": lambda v: (4 if v.layer.mode == "bilinear" else 1) * v.out.elements,  # type: ignore[attr-defined]
    **_free_kinds(_zero),
    "pad": _gap("aten::pad"), "cpad": _gap("aten::pad"),
    "pixel_shuffle": _gap("aten::pixel_shuffle"), "pixel_unshuffle": _gap("aten::pixel_unshuffle"),
    "add": _gap("aten::add"), "mul": _gap("aten::mul"),
}


# ---------------------------------------------------------------------------
# ptflops 0.7.5, default backend "pytorch" (ptflops/pytorch_engine.py): forward hooks
# on the module types of pytorch_ops.MODULES_MAPPING, *plus* patched functionals
# (pytorch_engine.patch_functional / patch_tensor_ops) that count every call, also
# the ones made inside a hooked module — so ReLU, ELU, GELU, PReLU, pooling and
# upsampling count twice (nn.ReLU's hook and F.relu). MACs:
# - conv_flops_counter_hook: kh·kw·c_in·(n/g) per output position (per *input*
#   position when transposed) + 1 per output element for the bias.
# - linear_flops_counter_hook: (in + 1 if bias)·out.
# - bn_flops_counter_hook (BatchNorm, GroupNorm, InstanceNorm, nn.LayerNorm — exact
#   types only, so LayerNorm2d is not hooked): 1 per input element, 2 with affine.
# - relu_flops_counter_hook (ReLU, ReLU6, LeakyReLU, ELU, PReLU, GELU): 1 per output
#   element; F.relu, F.elu, F.gelu, F.prelu, F.silu, F.softmax add 1 more (nn.ReLU6
#   calls F.hardtanh, nn.LeakyReLU F.leaky_relu: not patched).
# - pool_flops_counter_hook: 1 per input element; F.*pool* add 1 per input element.
# - upsample_flops_counter_hook: 1 per output element; F.interpolate adds
#   _interpolate_functional_flops_hook: 1 per output element.
# - Tensor.mul / Tensor.add (patched) count inside F.local_response_norm; `a * b` and
#   `a + b` (our Add, Mul, Scale, SE's gate) are operators, not patched.
# A leaf module without a hook is "treated as a zero-op" (its verbose warning).

_PT_ACT = {  # per output element: the module hook, + the patched functional it calls
    Act.RELU: 2, Act.RELU6: 1, Act.SIGMOID: 0, Act.TANH: 0, Act.SWISH: 1, Act.HSWISH: 0,
    Act.HSIGMOID: 0, Act.SOFTMAX: 1, Act.LRELU: 1, Act.ELU: 2, Act.GELU: 2, Act.MISH: 0,
}
_PT_HOOKED = {Act.RELU, Act.RELU6, Act.LRELU, Act.ELU, Act.GELU}  # in MODULES_MAPPING
_PT_MODULE = {  # the torch module of an activation that has no hook
    Act.SIGMOID: "Sigmoid", Act.TANH: "Tanh", Act.SWISH: "SiLU", Act.HSWISH: "Hardswish",
    Act.HSIGMOID: "Hardsigmoid", Act.SOFTMAX: "Softmax", Act.MISH: "Mish",
}


def _pt_zero_op(*modules: str) -> str:
    return ", ".join(modules) + " treated as a zero-op"


def _pt_conv(v: View) -> int | Gap:
    n = v.macs + v.bias_out
    return Gap(_pt_zero_op("ZeroPad2d"), n) if v.pad_module else n


def _pt_pool(v: View) -> int | Gap:
    n = 2 * v.seen.elements
    if not v.pad_module:
        return n
    return Gap(_pt_zero_op("ConstantPad2d" if v.layer.op is PoolOp.MAX else "ZeroPad2d"), n)  # type: ignore[attr-defined]


def _pt_act(v: View) -> int | Gap:
    fn = _fn(v)
    n = _PT_ACT[fn] * v.out.elements
    return n if fn in _PT_HOOKED else Gap(_pt_zero_op(_PT_MODULE[fn]), n)


def _pt_se(v: View) -> int | Gap:
    """Two hooked 1×1 convs with biases, the activation and gate by _PT_ACT,
    F.adaptive_avg_pool2d (1 per input element); x · gate is an operator."""
    layer, c = v.layer, v.x.c
    sq = layer.squeeze_width(c)  # type: ignore[attr-defined]
    n = v.macs + sq + c + _PT_ACT[layer.act] * sq + _PT_ACT[layer.gate] * c + v.x.elements  # type: ignore[attr-defined]
    missing = [_PT_MODULE[f] for f in (layer.act, layer.gate) if f not in _PT_HOOKED]  # type: ignore[attr-defined]
    return Gap(_pt_zero_op(*dict.fromkeys(missing)), n) if missing else n


def _lrn_functional(v: View) -> int:
    """F.local_response_norm calls x.mul(x), avg_pool3d over the channel-padded
    squares ((C + size − 1)·H·W elements), .mul(alpha), .add(k): the three Tensor
    methods and the pooling that patching tools see."""
    x = v.x
    return 3 * x.elements + (x.c + v.layer.size - 1) * x.h * x.w  # type: ignore[attr-defined]


_PTFLOPS: dict[str, Rule] = {
    "conv": _pt_conv, "dw": _pt_conv,
    "tconv": lambda v: v.macs + v.bias_out, "cw": lambda v: v.macs + v.bias_out,
    "gcw": lambda v: v.macs + v.bias_out, "ccl": lambda v: v.macs + v.bias_out,
    "fc": lambda v: v.macs + (v.out.c if _bias(v) else 0),
    "se": _pt_se, "pool": _pt_pool,
    "global_pool": lambda v: 2 * v.x.elements, "adaptive_pool": lambda v: 2 * v.x.elements,
    "spp": lambda v: Gap(_pt_zero_op("SPP"), _levels(v) * v.x.elements),
    "act": _pt_act, "prelu": lambda v: 2 * v.out.elements,
    "bn": lambda v: 2 * v.out.elements, "gn": lambda v: 2 * v.out.elements,
    "ln": _gap(_pt_zero_op("LayerNorm2d")),
    "in": lambda v: (2 if v.layer.affine else 1) * v.out.elements,  # type: ignore[attr-defined]
    "scale": _gap(_pt_zero_op("Scale")),
    "lrn": lambda v: Gap(_pt_zero_op("LocalResponseNorm"), _lrn_functional(v)),
    "upsample": lambda v: 2 * v.out.elements,
    "flatten": _gap(_pt_zero_op("Flat")), "shuffle": _gap(_pt_zero_op("Shuffle")),
    "chunk": _gap(_pt_zero_op("Chunk")), "id": _zero, "pad": _gap(_pt_zero_op("ZeroPad2d")),
    "cpad": _gap(_pt_zero_op("ChannelPad")),
    "pixel_shuffle": _gap(_pt_zero_op("PixelShuffle")),
    "pixel_unshuffle": _gap(_pt_zero_op("PixelUnshuffle")),
    "concat": _gap(_pt_zero_op("Concat")), "dropout": _gap(_pt_zero_op("Dropout")),
    "add": _gap(_pt_zero_op("Add")), "mul": _gap(_pt_zero_op("Mul")),
}


# ---------------------------------------------------------------------------
# ptflops 0.7.5, backend "aten" (ptflops/aten_engine.py FlopCounterMode, a
# TorchDispatchMode): only aten_ops.ATEN_OPS_MAPPING — mm, matmul, addmm, bmm,
# convolution — at 1 per multiply-add; conv_flop_count adds 1 per output element
# for a bias, addmm_flop 1 per output for the bias; every other op is 0.

_ATEN: dict[str, Rule] = {
    **{k: (lambda v: v.macs + v.bias_out) for k in CONV_KINDS},
    "fc": lambda v: v.macs + (v.out.c if _bias(v) else 0),
    "se": lambda v: v.macs + v.layer.squeeze_width(v.x.c) + v.x.c,  # type: ignore[attr-defined]
    **{k: _zero for k in ("pool", "global_pool", "adaptive_pool", "spp", "act", "prelu", "bn",
                          "gn", "ln", "in", "scale", "lrn", "upsample", "add", "mul")},
    **_free_kinds(_zero),
}


# ---------------------------------------------------------------------------
# torchinfo 1.8.0, "Total mult-adds" (torchinfo/layer_info.py LayerInfo.calculate_macs,
# summed over leaf layers in model_statistics.py): for each parameter named weight
# or bias of a leaf module, its size × the output positions N·∏out[2:] when "Conv" is
# in the class name, else × the batch (output_size[0] = 1). So a conv counts its
# bias per output element, a transposed conv its weights per *output* position,
# BatchNorm/GroupNorm/LayerNorm/InstanceNorm(affine) their 2C parameters once, PReLU
# its slopes once, fc in·out + out; pooling, activations and merges have no weights: 0.

def _ti_tconv(v: View) -> int:
    layer, x = v.layer, v.x
    weights = layer.kh * layer.kw * x.c * (layer.filters // layer.groups)  # type: ignore[attr-defined]
    return (weights + (layer.filters if _bias(v) else 0)) * v.out.h * v.out.w  # type: ignore[attr-defined]


_TORCHINFO: dict[str, Rule] = {
    **{k: (lambda v: v.macs + v.bias_out) for k in CONV_KINDS},
    "tconv": _ti_tconv,
    "fc": lambda v: v.macs + (v.out.c if _bias(v) else 0),
    "se": lambda v: v.macs + v.layer.squeeze_width(v.x.c) + v.x.c,  # type: ignore[attr-defined]
    "bn": lambda v: 2 * v.out.c, "gn": lambda v: 2 * v.out.c, "ln": lambda v: 2 * v.out.c,
    "in": lambda v: 2 * v.out.c if v.layer.affine else 0,  # type: ignore[attr-defined]
    "prelu": lambda v: 1 if v.layer.shared else v.out.c,  # type: ignore[attr-defined]
    **{k: _zero for k in ("pool", "global_pool", "adaptive_pool", "spp", "act", "scale", "lrn",
                          "upsample", "add", "mul")},
    **_free_kinds(_zero),
}


# ---------------------------------------------------------------------------
# torchscan 0.2.0, MACs (torchscan/modules/macs.py module_macs, over leaf modules in
# torchscan/crawler.py crawl_module; a partial total is its known_value):
# - macs_convnd: out.numel()·(c_in/g)·∏kernel — bias "included in the accumulation";
#   macs_convtransposend: the same per *output* element + 4 per spatial dimension.
# - macs_linear: in·out.  macs_bn: 1 per element + 1 with affine (eval: no tracking).
# - macs_maxpool: (k − 1) per output element; macs_avgpool: (k − 1 + 2) per output;
#   adaptive: the same with its approximate kernel (modules/_pooling.py).
# - ReLU, ELU, LeakyReLU, ReLU6, Tanh, Sigmoid, Identity, Flatten, Dropout: 0.
# - any other leaf module (SiLU, Hardswish, GELU, Softmax, PReLU, the norms but BN,
#   upsampling, padding, our Add, Mul, Concat, …): "Module type not supported".

_TS_ZERO = {Act.RELU, Act.ELU, Act.LRELU, Act.RELU6, Act.TANH, Act.SIGMOID}
_TS_MODULE = {Act.SWISH: "SiLU", Act.HSWISH: "Hardswish", Act.HSIGMOID: "Hardsigmoid",
              Act.SOFTMAX: "Softmax", Act.GELU: "GELU", Act.MISH: "Mish"}


def _ts_unsupported(*modules: str) -> str:
    return "Module type not supported: " + ", ".join(modules)


def _ts_conv(v: View) -> int | Gap:
    return Gap(_ts_unsupported("ZeroPad2d"), v.macs) if v.pad_module else v.macs


def _ts_tconv(v: View) -> int:
    layer = v.layer
    return 4 * 2 + v.out.elements * (v.x.c // layer.groups) * layer.kh * layer.kw  # type: ignore[attr-defined]


def _ts_pool(v: View) -> int | Gap:
    kh, kw = _pool_kernel(v)
    extra = 0 if v.layer.op is PoolOp.MAX else 2  # type: ignore[attr-defined]
    n = v.out.elements * (kh * kw - 1 + extra)
    if not v.pad_module:
        return n
    return Gap(_ts_unsupported("ConstantPad2d" if v.layer.op is PoolOp.MAX else "ZeroPad2d"), n)  # type: ignore[attr-defined]


def _ts_adaptive(v: View) -> int:
    x, out = v.x, v.out
    k = _scan_kernel(x.h, out.h) * _scan_kernel(x.w, out.w)
    return out.elements * (k - 1 + (2 if v.layer.op is PoolOp.AVG else 0))  # type: ignore[attr-defined]


def _ts_act(v: View) -> int | Gap:
    fn = _fn(v)
    return 0 if fn in _TS_ZERO else Gap(_ts_unsupported(_TS_MODULE[fn]))


def _ts_se(v: View) -> int | Gap:
    layer = v.layer
    missing = [_TS_MODULE[f] for f in (layer.act, layer.gate) if f not in _TS_ZERO]  # type: ignore[attr-defined]
    return Gap(_ts_unsupported(*dict.fromkeys(missing)), v.macs) if missing else v.macs


_TORCHSCAN: dict[str, Rule] = {
    "conv": _ts_conv, "dw": _ts_conv, "tconv": _ts_tconv,
    "cw": lambda v: v.macs, "gcw": lambda v: v.macs, "ccl": lambda v: v.macs,
    "fc": lambda v: v.macs, "se": _ts_se,
    "pool": _ts_pool, "global_pool": _ts_adaptive, "adaptive_pool": _ts_adaptive,
    "spp": _gap(_ts_unsupported("SPP")),
    "act": _ts_act, "prelu": _gap(_ts_unsupported("PReLU")),
    "bn": lambda v: 2 * v.out.elements,
    "gn": _gap(_ts_unsupported("GroupNorm")), "ln": _gap(_ts_unsupported("LayerNorm2d")),
    "in": _gap(_ts_unsupported("InstanceNorm2d")), "scale": _gap(_ts_unsupported("Scale")),
    "lrn": _gap(_ts_unsupported("LocalResponseNorm")),
    "upsample": _gap(_ts_unsupported("Upsample")),
    "flatten": _gap(_ts_unsupported("Flat")), "shuffle": _gap(_ts_unsupported("Shuffle")),
    "chunk": _gap(_ts_unsupported("Chunk")), "id": _zero,
    "pad": _gap(_ts_unsupported("ZeroPad2d")), "cpad": _gap(_ts_unsupported("ChannelPad")),
    "pixel_shuffle": _gap(_ts_unsupported("PixelShuffle")),
    "pixel_unshuffle": _gap(_ts_unsupported("PixelUnshuffle")),
    "concat": _gap(_ts_unsupported("Concat")), "dropout": _zero,
    "add": _gap(_ts_unsupported("Add")), "mul": _gap(_ts_unsupported("Mul")),
}


# ---------------------------------------------------------------------------
# thop (ultralytics-thop 2.2.3; `import thop`), thop/profile.py register_hooks and
# thop/vision/basic_hooks.py + calc_func.py; "MACs", summed as float64:
# - count_convNd / count_convtNd → calculate_conv2d_flops: ∏out·(c_in/g)·∏kernel, a
#   transposed conv ∏in·(c_out/g)·∏kernel; no bias.  count_linear: in·out, no bias.
# - count_normalization (_NormBase: BN and InstanceNorm; LayerNorm, GroupNorm):
#   calculate_norm = 2 per input element, ×2 with affine (so BN counts 4).
# - count_prelu: 1 per element (eval).  count_softmax: C exp + (C−1) add + C div.
# - count_avgpool: Σ window elements (padding included) + 1 division per output;
#   count_adap_avgpool: Σ adaptive windows + 1 per output.
# - count_upsample: nearest 0, bilinear 11 per output element.
# - zero_ops: ReLU, ReLU6, LeakyReLU, max pooling (also adaptive), dropout, padding,
#   PixelShuffle/Unshuffle, Identity, containers.
# - no rule ("Cannot find rule for …", report_missing=True): Sigmoid, Tanh, SiLU,
#   Hardswish, Hardsigmoid, ELU, GELU, Mish, LocalResponseNorm and our helpers
#   (Add, Mul, Concat, Flat, …). `a * b`, `a + b` and the pooling inside SE are
#   functions the profiler does not count (its _FunctionCounter counts products only).

_TH_ZERO = {Act.RELU, Act.RELU6, Act.LRELU}
_TH_MODULE = {Act.SIGMOID: "Sigmoid", Act.TANH: "Tanh", Act.SWISH: "SiLU",
              Act.HSWISH: "Hardswish", Act.HSIGMOID: "Hardsigmoid", Act.ELU: "ELU",
              Act.GELU: "GELU", Act.MISH: "Mish"}


def _th_missing(*modules: str) -> str:
    return "Cannot find rule for " + ", ".join(modules)


def _th_act(v: View) -> int | Gap:
    fn = _fn(v)
    if fn is Act.SOFTMAX:
        return _softmax_thop(v.out.elements, v.out.c)
    return 0 if fn in _TH_ZERO else Gap(_th_missing(_TH_MODULE[fn]))


def _th_se(v: View) -> int | Gap:
    layer, c = v.layer, v.x.c
    sq = layer.squeeze_width(c)  # type: ignore[attr-defined]
    n = v.macs
    missing = []
    for fn, size in ((layer.act, sq), (layer.gate, c)):  # type: ignore[attr-defined]
        if fn is Act.SOFTMAX:
            n += _softmax_thop(size, size)
        elif fn not in _TH_ZERO:
            missing.append(_TH_MODULE[fn])
    return Gap(_th_missing(*dict.fromkeys(missing)), n) if missing else n


def _th_pool(v: View) -> int:
    if v.layer.op is PoolOp.MAX:  # type: ignore[attr-defined]
        return 0
    kh, kw = _pool_kernel(v)
    sh, sw = strides_of(v.layer)  # type: ignore[arg-type]
    seen, out = v.seen, v.out
    ph, pw = (0, 0) if v.pad_module else (v.pad[0], v.pad[2])
    windows = _avg_windows(seen.h, out.h, kh, sh, ph) * _avg_windows(seen.w, out.w, kw, sw, pw)
    return seen.c * windows + out.elements


def _th_adaptive(v: View) -> int:
    if v.layer.op is PoolOp.MAX:  # type: ignore[attr-defined]
        return 0
    x, out = v.x, v.out
    return x.c * _adaptive_sum(x.h, out.h) * _adaptive_sum(x.w, out.w) + out.elements


_THOP: dict[str, Rule] = {
    **{k: (lambda v: v.macs) for k in CONV_KINDS}, "fc": lambda v: v.macs, "se": _th_se,
    "pool": _th_pool, "global_pool": _th_adaptive, "adaptive_pool": _th_adaptive,
    "spp": _gap(_th_missing("SPP")),
    "act": _th_act, "prelu": lambda v: v.out.elements,
    "bn": lambda v: 4 * v.out.elements, "gn": lambda v: 4 * v.out.elements,
    "ln": lambda v: 4 * v.out.elements,
    "in": lambda v: (4 if v.layer.affine else 2) * v.out.elements,  # type: ignore[attr-defined]
    "scale": _gap(_th_missing("Scale")), "lrn": _gap(_th_missing("LocalResponseNorm")),
    "upsample": lambda v: (11 if v.layer.mode == "bilinear" else 0) * v.out.elements,  # type: ignore[attr-defined]
    **_free_kinds(_zero),
    "flatten": _gap(_th_missing("Flat")), "shuffle": _gap(_th_missing("Shuffle")),
    "chunk": _gap(_th_missing("Chunk")), "cpad": _gap(_th_missing("ChannelPad")),
    "concat": _gap(_th_missing("Concat")),
    "add": _gap(_th_missing("Add")), "mul": _gap(_th_missing("Mul")),
}


# ---------------------------------------------------------------------------
# deepspeed 0.19.8, FLOPs (deepspeed/profiling/flops_profiler/profiler.py,
# get_model_profile → FlopsProfiler): patched torch.nn.functional calls and Tensor
# methods, credited to the module that runs them (calflops 0.3.2 copies these rules;
# the tests run calflops, see docs/counting.md for the two places they differ):
# - _conv_flops_compute: 2 per multiply-add + 1 per output element for a bias;
#   _conv_trans_flops_compute: 2·kh·kw·c_in·(n/g) per *input* position + the bias per
#   output element.
# - _linear_flops_compute: 2·in·out, bias not counted.
# - _batch_norm_flops_compute: eval, affine: 2 per element; _group_norm/_layer_norm/
#   _instance_norm_flops_compute: 5 per element with γ, β, 4 without.
# - _relu/_prelu/_elu/_leaky_relu/_silu/_gelu/_softmax_flops_compute: 1 per element
#   (nn.ReLU6 calls F.hardtanh, Sigmoid/Tanh/Hardswish/Mish torch functions: 0).
# - _pool_flops_compute (every pooling, also adaptive): 1 per *input* element.
# - _upsample_flops_compute: ∏size (H_out·W_out: no batch, no channels) when the
#   size is given, else input elements × ∏scale_factor.
# - Tensor.mul / Tensor.add count 1 per element (inside F.local_response_norm);
#   `a * b`, `a + b` are operators, not patched: Add, Mul, Scale, SE's gate count 0.

_DS_ACT = {
    Act.RELU: 1, Act.RELU6: 0, Act.SIGMOID: 0, Act.TANH: 0, Act.SWISH: 1, Act.HSWISH: 0,
    Act.HSIGMOID: 0, Act.SOFTMAX: 1, Act.LRELU: 1, Act.ELU: 1, Act.GELU: 1, Act.MISH: 0,
}


def _ds_se(v: View) -> int:
    layer, c = v.layer, v.x.c
    sq = layer.squeeze_width(c)  # type: ignore[attr-defined]
    return (2 * v.macs + sq + c + v.x.elements + _DS_ACT[layer.act] * sq  # type: ignore[attr-defined]
            + _DS_ACT[layer.gate] * c)  # type: ignore[attr-defined]


def _ds_upsample(v: View) -> int:
    layer = v.layer
    if layer.fh is None:  # type: ignore[attr-defined]
        return v.out.h * v.out.w
    return v.x.elements * layer.fh * layer.fw  # type: ignore[attr-defined]


_DEEPSPEED: dict[str, Rule] = {
    **{k: (lambda v: 2 * v.macs + v.bias_out) for k in CONV_KINDS},
    "fc": lambda v: 2 * v.macs, "se": _ds_se,
    "pool": lambda v: v.seen.elements, "global_pool": lambda v: v.x.elements,
    "adaptive_pool": lambda v: v.x.elements, "spp": lambda v: _levels(v) * v.x.elements,
    "act": lambda v: _DS_ACT[_fn(v)] * v.out.elements, "prelu": lambda v: v.out.elements,
    "bn": lambda v: 2 * v.out.elements, "gn": lambda v: 5 * v.out.elements,
    "ln": lambda v: 5 * v.out.elements,
    "in": lambda v: (5 if v.layer.affine else 4) * v.out.elements,  # type: ignore[attr-defined]
    "scale": _zero, "lrn": _lrn_functional, "upsample": _ds_upsample,
    "add": _zero, "mul": _zero,
    **_free_kinds(_zero),
}


TOOLS: dict[str, Tool] = {t.name: t for t in (
    Tool("torchvision", "0.29.1", "MACs",
         "cnncost's MACs, torchvision's GFLOPS convention: conv and fc multiply-adds, bias "
         "excluded; nothing else", _TORCHVISION),
    Tool("flopcounter", "torch 2.13.0", "FLOPs",
         "torch FlopCounterMode: 2 FLOPs per conv/matmul multiply-add, no bias, nothing else "
         "(= 2 × MACs)", _FLOPCOUNTER),
    Tool("fvcore", "0.1.5.post20221221", "FLOPs (1 per multiply-add)",
         "fvcore: conv/fc multiply-adds without bias, BN 2, GN/LN/IN 5 (IN 4 without affine) "
         "per element, adaptive avg pooling 1 per input, upsampling 1 (bilinear 4) per output; "
         "max/avg pooling, add, mul, pad and every activation but ReLU unsupported",
         _FVCORE),
    Tool("ptflops", "0.7.5", "MACs",
         "ptflops (pytorch backend): conv/fc multiply-adds + bias, BN/GN/IN 2 per element, "
         "pooling 2 per input, ReLU/ELU/GELU 2 and ReLU6/LeakyReLU/SiLU/softmax 1 per element, "
         "upsampling 2 per output (module hooks plus patched functionals); add, mul not counted",
         _PTFLOPS),
    Tool("ptflops-aten", "0.7.5", "MACs",
         "ptflops (aten backend): conv/fc multiply-adds + 1 per output element for biases; "
         "nothing else", _ATEN),
    Tool("thop", "ultralytics-thop 2.2.3", "MACs",
         "thop: conv/fc multiply-adds without bias, BN/GN/LN 4 (IN 2) per element, avg pooling "
         "1 per window element + 1 per output, bilinear upsampling 11 per output, softmax "
         "3C−1 per position; max pooling, ReLU 0; other activations, add, mul have no rule",
         _THOP),
    Tool("torchinfo", "1.8.0", "Mult-Adds",
         "torchinfo: each weight and bias × the output positions for convs, × 1 for other "
         "layers (fc + bias, BN/GN/LN 2C); pooling, activations, merges 0", _TORCHINFO),
    Tool("torchscan", "0.2.0", "MACs",
         "torchscan: conv/fc multiply-adds without bias (transposed per output position), BN 2 "
         "per element, max pooling k−1 and avg pooling k+1 per output; other norms, SiLU, GELU, "
         "softmax, upsampling, add, mul not supported", _TORCHSCAN),
    Tool("deepspeed", "0.19.8", "FLOPs",
         "DeepSpeed flops profiler: 2 per conv/fc multiply-add + conv bias, BN 2, GN/LN/IN 5 per "
         "element, pooling 1 per input, ReLU/SiLU/GELU/softmax 1 per element; add, mul 0",
         _DEEPSPEED),
)}


def tool(name: str) -> Tool:
    """The tool called `name`, or a CnnCostError naming the close one."""
    try:
        return TOOLS[name]
    except KeyError:
        raise CnnCostError(f"unknown tool '{name}'" + did_you_mean(name, TOOLS),
                           hint="one of " + ", ".join(TOOLS)) from None


def describe(name: str) -> str:
    """One line: what the tool's number includes, with its version (for a table caption)."""
    t = tool(name)
    return f"{t.what} [{t.version}, {t.unit}]"


def count(net: NetworkCost, name: str) -> Count:
    """What the tool reports for the module `export --torch` writes for this network
    (batch 1, eval mode): its total, one value per row, and the layers it cannot count."""
    t = tool(name)
    infos = infer(net.graph)
    values: list[int | None] = []
    uncounted: list[int] = []
    why: list[str] = []
    for i, (row, info) in enumerate(zip(net.rows, infos)):
        if row.train_only:  # an aux[ … ] head does not run in eval mode
            values.append(0)
            continue
        got = t.rules[row.kind](View(row.layer, info.inputs, info.output, row.macs, info.pad))
        if isinstance(got, Gap):
            values.append(got.counted or None)
            uncounted.append(i)
            why.append(got.why)
        else:
            values.append(got)
    return Count(t.name, sum(v or 0 for v in values), tuple(values), tuple(uncounted), tuple(why))


__all__ = ["TOOLS", "Tool", "Count", "Gap", "View", "count", "describe", "tool"]
