"""Bring your own model: a torch.nn.Module → the same Document cnncost builds from notation.

    >>> from cnncost.torch_import import from_torch       # doctest: +SKIP
    >>> doc = from_torch(torchvision.models.resnet18(), Shape(224, 224, 3))

The module is traced with ``torch.export.export(strict=False)``: its forward
runs once on fake tensors (no real arithmetic, no memory for activations), and
the ATen graph that comes back has every shape static — helper modules that
read ``x.shape`` (cnncost's own ``Shuffle``, ``view``/``reshape`` calls) trace
as they are. ``torch.fx.symbolic_trace`` cannot: a Proxy's shape cannot be
unpacked (``n, c, h, w = x.shape``), which every channel shuffle does.

Each ATen op goes through the same :class:`~cnncost.onnx_import.Builder` and
the same patterns and structure as ONNX (see :mod:`cnncost.onnx_import`): the
tensor forms, swish/hswish/SE, the branch decomposition, repeats and stage
labels (the top-level module of each node: ``layer1``, ``features``, …).
``nn.LocalResponseNorm``, which PyTorch computes as a dozen primitive ops, is
read as one ``lrn`` from its module; ChannelNets' Conv3d on the 5-D channel
view is read as in ONNX (``cw``, ``gcw``, ``ccl``). Params are counted from each layer's
shape where it is used, as for ONNX; a parameter used by two layers is listed
in :attr:`Imported.shared`.

torch is the optional ``torch`` extra, imported only inside the functions.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Callable

from .errors import CnnCostError
from .layers import (
    Act, Activation, Add, AdaptivePool, BatchNorm, ChannelPad, Chunk, Concat, Dropout, GlobalPool,
    GroupNorm, InstanceNorm, LayerNorm, LRN, Mul, Pad, PixelShuffle, PixelUnshuffle, PoolOp,
    PReLU, Upsample,
)
from .layers.reshape import chunk_slices
from .model import Document, Shape
from .onnx_import import (
    Builder, Const, Imported, Origin, Unsupported, Uncosted, Val, _float_arg,
    _target_dims, emit_conv, emit_pool, emit_tconv, finish, unsupported_error,
)


def _need_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise CnnCostError("reading a PyTorch module needs torch",
                           hint="pip install 'cnncost[torch]'") from None
    return torch


def _input_shape(input_shape: Any) -> Shape:
    """Shape(H, W, C), "HxWxC", or torch's order (C, H, W) / (N, C, H, W)."""
    if isinstance(input_shape, Shape):
        return input_shape
    if isinstance(input_shape, str):
        from .notation import parse_shape
        return parse_shape(input_shape)
    dims = tuple(int(d) for d in input_shape)
    if len(dims) == 4:
        dims = dims[1:]
    if len(dims) != 3 or min(dims) < 1:
        raise CnnCostError(f"input shape {input_shape!r}: give Shape(H, W, C), 'HxWxC', or "
                           "torch's (C, H, W) or (N, C, H, W)")
    c, h, w = dims
    return Shape(h, w, c)


def import_torch(module: Any, input_shape: Any, *, allow_unsupported: bool = False,
                 name: str | None = None) -> Imported:
    """Trace `module` (eval mode) for one N=1 input of `input_shape` into a Document.

    `input_shape` is a :class:`Shape` (H×W×C), "HxWxC", or torch's (C, H, W) /
    (N, C, H, W). Ops without a mapping are a CnnCostError listing them all;
    with `allow_unsupported` those that keep their input's shape are passed
    through at no cost and listed in ``Imported.uncosted``."""
    torch = _need_torch()
    shape = _input_shape(input_shape)
    if not isinstance(module, torch.nn.Module):
        raise CnnCostError(f"from_torch needs a torch.nn.Module, not {type(module).__name__}")
    params = list(module.parameters()) + list(module.buffers())
    device = params[0].device if params else torch.device("cpu")
    x = torch.zeros(1, shape.c, shape.h, shape.w, device=device)
    was_training = module.training
    module.eval()
    try:
        ep = torch.export.export(module, (x,), strict=False)
    except Exception as e:  # torch's own message says what in forward() failed to trace
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CnnCostError(f"torch.export could not trace the module: {first}",
                           hint="the forward must run on a (1, C, H, W) tensor; check the "
                                "input shape") from None
    finally:
        module.train(was_training)
    reader = TorchReader(torch, ep, module, shape, allow_unsupported)
    out = reader.run()
    return finish(reader.b, out, name if name is not None else type(module).__name__,
                  reader.skipped, reader.uses, "PyTorch")


def from_torch(module: Any, input_shape: Any, *, allow_unsupported: bool = False,
               name: str | None = None) -> Document:
    """The Document of a torch module (see :func:`import_torch`)."""
    return import_torch(module, input_shape, allow_unsupported=allow_unsupported,
                        name=name).document


# Modules PyTorch computes as many primitive ops that cnncost reads as one layer.
def _collapsed(torch: Any) -> dict[type, Callable[[Any], Any]]:
    return {torch.nn.LocalResponseNorm: lambda m: LRN(size=int(m.size))}


class TorchReader:
    def __init__(self, torch: Any, ep: Any, module: Any, shape: Shape, allow: bool) -> None:
        self.torch, self.ep, self.module = torch, ep, module
        self.allow = allow
        self.b = Builder(shape)
        self.env: dict[str, Any] = {}
        self.uses: dict[str, int] = {}
        self.unsupported: list[Uncosted] = []
        self.skipped: list[Uncosted] = []
        self.collapse = _collapsed(torch)
        self.collapsed: dict[str, Val] = {}

    def run(self) -> int:
        sig = self.ep.graph_signature
        params = dict(sig.inputs_to_parameters)
        buffers = dict(sig.inputs_to_buffers)
        consts = dict(getattr(sig, "inputs_to_lifted_tensor_constants", {}) or {})
        user = list(sig.user_inputs)
        output = None
        for node in self.ep.graph.nodes:
            if node.op == "placeholder":
                if node.name in user:
                    self.env[node.name] = self.b.input_val()
                    continue
                val = node.meta.get("val")
                dims = tuple(int(d) for d in getattr(val, "shape", ()))
                target = params.get(node.name) or buffers.get(node.name) or \
                    consts.get(node.name) or node.name
                load = None
                if node.name in consts:
                    tensor = self.ep.constants.get(target)
                    load = (lambda t=tensor: t.detach().cpu().numpy()) if tensor is not None \
                        else None
                self.env[node.name] = Const(dims, target, node.name in params, load)
            elif node.op == "call_function":
                self._node(node)
            elif node.op == "output":
                output = node.args[0]
        if self.unsupported:
            raise unsupported_error(self.unsupported, "PyTorch")
        outs = list(output) if isinstance(output, (list, tuple)) else [output]
        if len(outs) != 1:
            raise CnnCostError(f"the module returns {len(outs)} tensors; cnncost costs models "
                               "with one output")
        out = self.env.get(outs[0].name)
        if not isinstance(out, Val):
            raise CnnCostError("the module's output is not computed by layers cnncost can follow")
        if out.form not in ("nchw", "flat", "nhwc"):
            self.b.origin = Origin("output", "output")
            try:
                self.b.map(out, "the output")
            except Unsupported as e:
                raise CnnCostError(f"the module's output is {e.reason}") from None
        return out.node

    def _arg(self, a: Any) -> Any:
        fx = self.torch.fx
        if isinstance(a, fx.Node):
            return self.env[a.name]
        if isinstance(a, (list, tuple)):
            return type(a)(self._arg(x) for x in a)
        return a

    def _bind(self, node: Any) -> dict[str, Any]:
        schema = node.target._schema
        out: dict[str, Any] = {}
        for i, arg in enumerate(schema.arguments):
            if i < len(node.args):
                out[arg.name] = node.args[i]
            elif arg.name in node.kwargs:
                out[arg.name] = node.kwargs[arg.name]
            elif arg.has_default_value():
                out[arg.name] = arg.default_value
            else:
                out[arg.name] = None
        return {k: self._arg(v) for k, v in out.items()}

    def _node(self, node: Any) -> None:
        target = node.target
        stack = node.meta.get("nn_module_stack") or {}
        path = list(stack.values())[-1][0] if stack else ""
        if target is operator.getitem:
            seq = self.env[node.args[0].name]
            self.env[node.name] = seq[node.args[1]] if isinstance(seq, (list, tuple)) else seq
            return
        op = getattr(getattr(target, "_overloadpacket", None), "__name__", None) or \
            getattr(target, "__name__", str(target))
        self.b.origin = Origin(op, f"{path}:{op}" if path else op)
        # a module read as one layer (nn.LocalResponseNorm)
        for mpath, _ in stack.values():
            sub = self._submodule(mpath)
            if sub is not None and type(sub) in self.collapse:
                if mpath not in self.collapsed:
                    first = next((v for v in self._flat_args(node) if isinstance(v, Val)), None)
                    if first is None:
                        self._unsupported(node, op, "a collapsed module without an input")
                        return
                    self.b.origin = Origin(type(sub).__name__, f"{mpath}:{type(sub).__name__}")
                    self.collapsed[mpath] = self.b.add(self.collapse[type(sub)](sub),
                                                       [self.b.map(first)])
                self.env[node.name] = self.collapsed[mpath]
                return
        try:
            args = self._bind(node) if hasattr(target, "_schema") else None
        except KeyError:
            self.env[node.name] = None
            return
        vals = list(self._flat_args(node))
        handler = ATEN.get(op)
        if any(v is None for v in vals):  # reads the output of a node that was not converted
            if handler is None:
                self.unsupported.append(Uncosted(op, self.b.origin.name, "no cnncost layer"))
            self.env[node.name] = None
            return
        if handler is None or args is None:
            self._unsupported(node, op, "no cnncost layer")
            return
        try:
            out = handler(self, args, node)
        except Unsupported as e:
            self._unsupported(node, op, e.reason)
            return
        for v in vals:
            if isinstance(v, Const) and v.param:
                self.uses[v.name] = self.uses.get(v.name, 0) + 1
        self.env[node.name] = out

    def _flat_args(self, node: Any) -> list[Any]:
        out: list[Any] = []

        def walk(a: Any) -> None:
            if isinstance(a, self.torch.fx.Node):
                out.append(self.env.get(a.name))
            elif isinstance(a, (list, tuple)):
                for x in a:
                    walk(x)
        for a in list(node.args) + list(node.kwargs.values()):
            walk(a)
        return out

    def _submodule(self, path: str) -> Any:
        try:
            return self.module.get_submodule(path) if path else None
        except AttributeError:
            return None

    def _unsupported(self, node: Any, op: str, reason: str) -> None:
        name = self.b.origin.name
        entry = Uncosted(op, name, reason)
        data = [v for v in self._flat_args(node) if isinstance(v, Val)]
        val = node.meta.get("val")
        if self.allow and data:
            x = data[0]
            dims = tuple(int(d) for d in getattr(val, "shape", ()))
            if dims[1:] == tuple(x.dims[1:]):
                self.skipped.append(entry)
                self.env[node.name] = x
                return
            self.unsupported.append(Uncosted(op, name, reason + "; it changes the tensor's "
                                             "shape, so it cannot be passed through"))
        elif self.allow and not data:
            self.skipped.append(entry)
        else:
            self.unsupported.append(entry)
        self.env[node.name] = None


# ---------------------------------------------------------------------------
# ATen ops (the pre-dispatch IR of torch.export): (reader, bound args, node) -> output


def _val(v: Any) -> Val:
    if not isinstance(v, Val):
        raise Unsupported("an input that is not computed by the network" if v is None
                          else "a constant input")
    return v


def _dims(v: Any) -> tuple[int, ...]:
    if isinstance(v, Const):
        return v.dims
    raise Unsupported("a weight computed inside the network")


def _two(v: Any, default: int) -> tuple[int, int]:
    if v is None or (isinstance(v, (list, tuple)) and not v):
        return default, default
    if isinstance(v, int):
        return v, v
    v = list(v)
    return (int(v[0]), int(v[0])) if len(v) == 1 else (int(v[0]), int(v[1]))


def a_conv(rd: TorchReader, a: dict, node: Any) -> Val:
    b = rd.b
    x = b.map(_val(a["input"]), "a convolution")
    w = _dims(a["weight"])
    if len(w) != 4:
        raise Unsupported(f"a {len(w) - 2}-D convolution; cnncost costs 2-D ones")
    n, cg, kh, kw = w
    s = _two(a["stride"], 1)
    dil = _two(a["dilation"], 1)
    if dil[0] != dil[1]:
        raise Unsupported("dilations that differ per dimension")
    p = a["padding"]
    if isinstance(p, str):
        from .layers.base import tf_same
        if p == "valid":
            pads = (0, 0, 0, 0)
        else:  # PyTorch's "same" (stride 1): the odd pixel at the end, as TensorFlow
            (t, bo), (l, r) = tf_same(x.shape.h, kh, 1, dil[0]), tf_same(x.shape.w, kw, 1, dil[0])
            pads = (t, bo, l, r)
    else:
        ph, pw = _two(p, 0)
        pads = (ph, ph, pw, pw)
    return emit_conv(b, x, n, cg, (kh, kw), int(a["groups"]), s, dil[0], pads,
                     a["bias"] is not None)


def _three(v: Any, default: int) -> list[int]:
    if v is None or (isinstance(v, (list, tuple)) and not v):
        return [default] * 3
    if isinstance(v, int):
        return [v] * 3
    v = [int(d) for d in v]
    return v * 3 if len(v) == 1 else v


def a_conv3d(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["input"])
    if isinstance(a["padding"], str):
        if a["padding"] != "valid":
            raise Unsupported("a 3-D convolution with padding='same'")
        p = [0, 0, 0]
    else:
        p = _three(a["padding"], 0)
    return rd.b.conv3d(x, _dims(a["weight"]), _three(a["stride"], 1), p + p,
                       _three(a["dilation"], 1), int(a["groups"]), a["bias"] is not None)


def a_tconv(rd: TorchReader, a: dict, node: Any) -> Val:
    x = rd.b.map(_val(a["input"]), "a transposed convolution")
    w = _dims(a["weight"])
    if len(w) != 4:
        raise Unsupported(f"a {len(w) - 2}-D transposed convolution")
    cin, ng, kh, kw = w
    g = int(a["groups"])
    dil = _two(a["dilation"], 1)
    if dil[0] != dil[1]:
        raise Unsupported("dilations that differ per dimension")
    return emit_tconv(rd.b, x, ng * g, (kh, kw), g, _two(a["stride"], 1), dil[0],
                      _two(a["padding"], 0), _two(a["output_padding"], 0), a["bias"] is not None)


def a_bn(rd: TorchReader, a: dict, node: Any) -> Any:
    if a.get("training"):
        raise Unsupported("batch normalisation in training mode")
    out = rd.b.add(BatchNorm(), [rd.b.map(_val(a["input"]), "batch normalisation")])
    return (out, None, None) if "legit" in str(node.target) else out


def _unary(layer: Any, what: str) -> Callable:
    def handler(rd: TorchReader, a: dict, node: Any) -> Val:
        return rd.b.unary(layer, _val(a.get("self", a.get("input"))), what)
    return handler


def a_hardtanh(rd: TorchReader, a: dict, node: Any) -> Val:
    lo, hi = float(a["min_val"]), float(a["max_val"])
    if (lo, hi) == (0.0, 6.0):
        return rd.b.unary(Activation(Act.RELU6), _val(a["self"]), "relu6")
    raise Unsupported(f"hardtanh to [{lo}, {hi}]; cnncost has relu6 (0, 6)")


def a_leaky(rd: TorchReader, a: dict, node: Any) -> Val:
    return rd.b.unary(Activation(Act.LRELU, _float_arg(float(a["negative_slope"]), 0.01)),
                      _val(a["self"]), "leaky relu")


def a_elu(rd: TorchReader, a: dict, node: Any) -> Val:
    return rd.b.unary(Activation(Act.ELU, _float_arg(float(a["alpha"]), 1.0)),
                      _val(a["self"]), "elu")


def a_gelu(rd: TorchReader, a: dict, node: Any) -> Val:
    arg = "tanh" if a.get("approximate") == "tanh" else None
    return rd.b.unary(Activation(Act.GELU, arg), _val(a["self"]), "gelu")


def a_softmax(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["self"])
    dim = int(a["dim"]) % len(x.dims)
    if dim == 1 or (x.form == "nhwc" and dim == 3):
        return rd.b.unary(Activation(Act.SOFTMAX), x, "softmax")
    raise Unsupported(f"a softmax over dim {dim} of {list(x.dims)}; cnncost's is over channels")


def a_prelu(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["self"])
    n = math.prod(_dims(a["weight"]))
    if n not in (1, x.shape.c):
        raise Unsupported(f"a PReLU of {n} slopes on {x.shape.c} channels")
    return rd.b.unary(PReLU(shared=n == 1), x, "prelu")


def _pool(op: PoolOp) -> Callable:
    def handler(rd: TorchReader, a: dict, node: Any) -> Val:
        x = rd.b.map(_val(a["self"]), "pooling")
        k = _two(a["kernel_size"], 1)
        s = _two(a["stride"], 0)
        if s == (0, 0):
            s = k
        if _two(a.get("dilation"), 1) != (1, 1):
            raise Unsupported("dilated pooling")
        ph, pw = _two(a["padding"], 0)
        return emit_pool(rd.b, x, op, k, s, (ph, ph, pw, pw), bool(a["ceil_mode"]))
    return handler


def _adaptive(op: PoolOp) -> Callable:
    def handler(rd: TorchReader, a: dict, node: Any) -> Any:
        x = rd.b.map(_val(a["self"]), "adaptive pooling")
        h, w = _two(a["output_size"], 1)
        out = rd.b.add(GlobalPool(op) if (h, w) == (1, 1) else AdaptivePool(op, h, w), [x])
        return (out, None) if op is PoolOp.MAX else out
    return handler


def a_mean(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["self"])
    rank = len(x.dims)
    dims = sorted(int(d) % rank for d in (a.get("dim") or []))
    keep = bool(a.get("keepdim"))
    if x.form == "nchw" and dims == [2, 3]:
        y = rd.b.add(GlobalPool(PoolOp.AVG), [x])
        return y if keep else Val(y.node, y.shape, "flat", (1, y.shape.c))
    if x.form == "nhwc" and dims == [1, 2]:
        y = rd.b.add(GlobalPool(PoolOp.AVG), [Val(x.node, x.shape)])
        return Val(y.node, y.shape, "nhwc", (1, 1, 1, y.shape.c)) if keep else \
            Val(y.node, y.shape, "flat", (1, y.shape.c))
    raise Unsupported(f"a mean over dims {dims} of {list(x.dims)}; cnncost pools H×W")


def a_linear(rd: TorchReader, a: dict, node: Any) -> Val:
    units, n_in = _dims(a["weight"])
    return rd.b.dense(_val(a["input"]), units, n_in, a["bias"] is not None)


def a_flatten(rd: TorchReader, a: dict, node: Any) -> Val:
    return rd.b.flatten(_val(a["self"]), int(a["start_dim"]), int(a["end_dim"]))


def a_view(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["self"])
    return rd.b.reshape(x, _target_dims(x, list(a.get("size") or a.get("shape")), True))


def a_transpose(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["self"])
    rank = len(x.dims)
    perm = list(range(rank))
    d0, d1 = int(a["dim0"]) % rank, int(a["dim1"]) % rank
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return rd.b.transpose(x, perm)


def a_permute(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["self"])
    return rd.b.transpose(x, [int(d) % len(x.dims) for d in a["dims"]])


def a_unsqueeze(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["self"])
    dims = list(x.dims)
    dims.insert(int(a["dim"]) % (len(dims) + 1), 1)
    return rd.b.reshape(x, dims)


def a_squeeze(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["self"])
    val = node.meta.get("val")
    return rd.b.reshape(x, [int(d) for d in val.shape])


def a_pass(rd: TorchReader, a: dict, node: Any) -> Any:
    return a.get("self", a.get("input"))


def a_dropout(rd: TorchReader, a: dict, node: Any) -> Val:
    return rd.b.unary(Dropout(), _val(a["input"]), "dropout")


def a_cat(rd: TorchReader, a: dict, node: Any) -> Val:
    vals = list(a["tensors"])
    if any(not isinstance(v, Val) for v in vals):
        raise Unsupported("a concatenation with a constant")
    dim = int(a["dim"]) % len(vals[0].dims)
    if all(v.form == "flat" and len(v.dims) == 2 for v in vals) and dim == 1:
        out = rd.b.add(Concat(), [rd.b.map(v) for v in vals])
        return Val(out.node, out.shape, "flat", (1, out.shape.c))
    if dim != 1 and not (all(v.form == "nhwc" for v in vals) and dim == 3):
        raise Unsupported(f"a concatenation along dim {dim}; cnncost's is along channels")
    return rd.b.merge(Concat, vals, "a concatenation")


def _binary(kind: type) -> Callable:
    def handler(rd: TorchReader, a: dict, node: Any) -> Val:
        x, y = a["self"], a["other"]
        if kind is Add and a.get("alpha", 1) != 1:
            raise Unsupported("a sum with alpha ≠ 1")
        vals = [v for v in (x, y) if isinstance(v, Val)]
        consts = [v for v in (x, y) if isinstance(v, Const)]
        if len(vals) == 2:
            return rd.b.merge(kind, vals, "a sum" if kind is Add else "a product")
        if len(vals) == 1 and consts:
            c = consts[0]
            if kind is Mul:
                return rd.b.scale(vals[0], c)
            got = rd.b.set_bias(vals[0], c.size)
            if got is not None:
                return got
        raise Unsupported(f"a {'sum' if kind is Add else 'product'} with a number or constant")
    return handler


def a_chunk(rd: TorchReader, a: dict, node: Any) -> list:
    x = rd.b.map(_val(a["self"]), "a chunk")
    if int(a["dim"]) % 4 != 1:
        raise Unsupported("a chunk along a dim other than the channels")
    k = int(a["chunks"])
    return [rd.b.add(Chunk(k, i + 1), [x]) for i in range(len(chunk_slices(x.shape.c, k)))]


def a_split(rd: TorchReader, a: dict, node: Any) -> list:
    x = rd.b.map(_val(a["self"]), "a split")
    if int(a["dim"]) % 4 != 1:
        raise Unsupported("a split along a dim other than the channels")
    c = x.shape.c
    if "split_sizes" in a:
        sizes = [int(s) for s in a["split_sizes"]]
    else:
        size = int(a["split_size"])
        sizes = [min(size, c - s) for s in range(0, c, size)]
    outs, start = [], 0
    for size in sizes:
        outs.append(rd.b.channel_slice(x, start, start + size))
        start += size
    return outs


def a_slice(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["self"])
    dim = int(a["dim"]) % len(x.dims)
    size = x.dims[dim]
    start = int(a["start"] if a["start"] is not None else 0)
    end = int(a["end"] if a["end"] is not None else size)
    start, end = (start + size if start < 0 else start), (end + size if end < 0 else end)
    start, end = max(0, min(start, size)), max(0, min(end, size))
    if (start, end, int(a["step"])) == (0, size, 1):
        return x
    if dim == 1 and int(a["step"]) == 1:
        return rd.b.channel_slice(x, start, end)
    raise Unsupported(f"a slice {start}:{end} of dim {dim}; cnncost slices channels")


def a_upsample(mode: str) -> Callable:
    def handler(rd: TorchReader, a: dict, node: Any) -> Val:
        x = rd.b.map(_val(a["input"] if "input" in a else a["self"]), "upsampling")
        out = node.meta["val"].shape
        h, w = int(out[2]), int(out[3])
        align = bool(a.get("align_corners")) if mode == "bilinear" else False
        scales = a.get("scale_factors")
        if scales is None and a.get("scales_h") is not None:
            scales = [a["scales_h"], a["scales_w"]]
        if a.get("output_size") is None and scales and all(float(f) == int(f) for f in scales):
            fh, fw = int(scales[0]), int(scales[-1])
            if (x.shape.h * fh, x.shape.w * fw) == (h, w):
                return rd.b.add(Upsample(fh=fh, fw=fw, mode=mode, align_corners=align), [x])
        return rd.b.add(Upsample(h=h, w=w, mode=mode, align_corners=align), [x])
    return handler


def a_pixel(kind: type) -> Callable:
    def handler(rd: TorchReader, a: dict, node: Any) -> Val:
        r = a.get("upscale_factor", a.get("downscale_factor"))
        return rd.b.add(kind(int(r)), [rd.b.map(_val(a["self"]))])
    return handler


def a_pad(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["self"] if "self" in a else a["input"])
    if x.form == "c5":  # ChannelNets: F.pad of the channel axis of the 5-D view
        pad5 = [int(p) for p in a["pad"]] + [0] * 6
        if any(pad5[:4]) or any(pad5[6:]):
            raise Unsupported(f"padding {pad5} of the 5-D view of a map")
        return rd.b.pad_c5(x, pad5[4], pad5[5])
    x = rd.b.map(x, "padding")
    pad = [int(p) for p in a["pad"]] + [0] * 6
    l, r, t, bo, c0, c1 = pad[:6]
    if min(pad) < 0:
        raise Unsupported("negative padding (a crop)")
    if c0 or c1:
        extra = c0 + c1
        if (l, r, t, bo) != (0, 0, 0, 0) or (c0, c1) != (extra // 2, extra - extra // 2):
            raise Unsupported(f"channel padding {c0}+{c1} that is not split evenly")
        return rd.b.add(ChannelPad(x.shape.c + extra), [x])
    if (l, r, t, bo) == (0, 0, 0, 0):
        return x
    return rd.b.add(Pad(t, bo, l, r), [x])


def a_layer_norm(rd: TorchReader, a: dict, node: Any) -> Val:
    x = _val(a["input"])
    shape = [int(d) for d in a["normalized_shape"]]
    if x.form == "nhwc" and shape == [x.shape.c]:
        return rd.b.add(LayerNorm(), [x], "nhwc")
    if x.form in ("flat", "nchw") and x.shape.h == x.shape.w == 1 and shape == [x.shape.c] \
            and len(x.dims) == 2:
        return rd.b.add(LayerNorm(), [rd.b.map(x)])
    raise Unsupported(f"a layer norm over {shape} of {list(x.dims)}; cnncost's ln normalises "
                      "the channels at each position (channels-last)")


def a_group_norm(rd: TorchReader, a: dict, node: Any) -> Val:
    if a["weight"] is None:
        raise Unsupported("a group norm without γ and β (affine=False)")
    return rd.b.add(GroupNorm(int(a["num_groups"])), [rd.b.map(_val(a["input"]))])


def a_instance_norm(rd: TorchReader, a: dict, node: Any) -> Val:
    return rd.b.add(InstanceNorm(affine=a["weight"] is not None), [rd.b.map(_val(a["input"]))])


ATEN: dict[str, Callable[..., Any]] = {
    "conv2d": a_conv, "conv3d": a_conv3d, "conv_transpose2d": a_tconv,
    "batch_norm": a_bn, "_native_batch_norm_legit_no_training": a_bn,
    "layer_norm": a_layer_norm, "group_norm": a_group_norm, "instance_norm": a_instance_norm,
    "relu": _unary(Activation(Act.RELU), "relu"), "relu_": _unary(Activation(Act.RELU), "relu"),
    "sigmoid": _unary(Activation(Act.SIGMOID), "sigmoid"),
    "tanh": _unary(Activation(Act.TANH), "tanh"),
    "silu": _unary(Activation(Act.SWISH), "swish"), "silu_": _unary(Activation(Act.SWISH), "swish"),
    "hardswish": _unary(Activation(Act.HSWISH), "hswish"),
    "hardswish_": _unary(Activation(Act.HSWISH), "hswish"),
    "hardsigmoid": _unary(Activation(Act.HSIGMOID), "hsigmoid"),
    "hardsigmoid_": _unary(Activation(Act.HSIGMOID), "hsigmoid"),
    "mish": _unary(Activation(Act.MISH), "mish"),
    "hardtanh": a_hardtanh, "hardtanh_": a_hardtanh, "leaky_relu": a_leaky,
    "leaky_relu_": a_leaky, "elu": a_elu, "gelu": a_gelu, "softmax": a_softmax,
    "_softmax": a_softmax, "prelu": a_prelu,
    "max_pool2d": _pool(PoolOp.MAX), "avg_pool2d": _pool(PoolOp.AVG),
    "adaptive_avg_pool2d": _adaptive(PoolOp.AVG), "adaptive_max_pool2d": _adaptive(PoolOp.MAX),
    "mean": a_mean, "linear": a_linear,
    "flatten": a_flatten, "view": a_view, "reshape": a_view, "_unsafe_view": a_view,
    "transpose": a_transpose, "permute": a_permute, "unsqueeze": a_unsqueeze,
    "squeeze": a_squeeze, "contiguous": a_pass, "clone": a_pass, "alias": a_pass,
    "detach": a_pass, "dropout": a_dropout, "feature_dropout": a_dropout,
    "cat": a_cat, "add": _binary(Add), "add_": _binary(Add), "mul": _binary(Mul),
    "mul_": _binary(Mul), "chunk": a_chunk, "split": a_split, "split_with_sizes": a_split,
    "slice": a_slice, "upsample_nearest2d": a_upsample("nearest"),
    "upsample_bilinear2d": a_upsample("bilinear"), "pixel_shuffle": a_pixel(PixelShuffle),
    "pixel_unshuffle": a_pixel(PixelUnshuffle), "pad": a_pad, "constant_pad_nd": a_pad,
}


__all__ = ["from_torch", "import_torch", "ATEN"]
