"""Memory and training cost (notation §12): bytes, liveness, what autograd keeps.

Pure functions of a graph and its shapes. Every number is exact arithmetic on
element counts; each is checked against PyTorch in tests/test_memory.py:

- **param_bytes**: params × dtype bytes.
- **activation_bytes**: the layer's output elements × batch × dtype bytes.
- **live_bytes**: inference (eval, no_grad), layers in topological order: the bytes
  of layer outputs alive while the layer runs — its inputs, its output and every
  output still awaited by a later layer. Memory is counted per *storage*: a view
  (flatten, chunk, dropout at inference) adds nothing and keeps its input alive.
  The network input lives throughout; the final output counts. The largest is the
  network's **peak_activation_bytes**. Temporaries inside a layer are not outputs
  and are not counted.
- **train_saved_bytes**: train mode, PyTorch eager autograd: what the layer's
  backward keeps (each kind's `saved` rule in cnncost.layers), per unique storage,
  each counted at the first layer that keeps it — so the sum over layers is what
  the whole network keeps. A parameter-free layer whose inputs need no gradient
  keeps nothing; parameters and BN running statistics are not counted.
- **train_flops**: forward + backward FLOPs of the layers with MACs: 6·MACs, less
  2·MACs where the layer's input needs no gradient (the input's gradient is not
  computed), × batch.
- **bytes_moved**: (weights + inputs + output) bytes; **intensity** = FLOPs·batch / bytes_moved.
"""

from __future__ import annotations

import math
import os
from itertools import accumulate

from .layers import BY_CLASS
from .model import INPUT, Graph
from .record import Record

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}


# The memory metrics of one node, in this order (a plain tuple: one per layer, cheap):
#   param_bytes, activation_bytes,
#   live_bytes         layer outputs alive while it runs (inference); 0 for aux[ … ] layers
#   train_saved_bytes  what autograd newly keeps for this layer's backward
#   train_flops,
#   bytes_moved        0 for aux[ … ] layers, which do not run at inference
FIELDS = ("param_bytes", "activation_bytes", "live_bytes", "train_saved_bytes", "train_flops",
          "bytes_moved")
LayerMemory = tuple[int, int, int, int, int, int]


def dtype_bytes(dtype: str) -> int:
    return DTYPE_BYTES[dtype]


def memory(graph: Graph, infos: list, costs: list, batch: int = 1,  # type: ignore[type-arg]
           dtype: str = "fp32") -> list[LayerMemory]:
    """The memory metrics of every node. `infos` are graph.infer's, `costs` the
    kinds' cost rules (params and MACs as at training: aux[ … ] layers included)."""
    size = DTYPE_BYTES[dtype]
    nodes = graph.nodes
    assert graph.input is not None
    scale = batch * size
    # bytes of each node's output; the network input's is the last entry, so that
    # INPUT (-1) indexes it
    obytes = [o.h * o.w * o.c * scale for o in [info.output for info in infos]] \
        + [graph.input.elements * scale]  # (Shape.elements, without a call a node)
    kinds = [BY_CLASS[type(node.layer)] for node in nodes]
    live = _liveness(graph, kinds, obytes)
    saved, grads = _saved(graph, infos, kinds, costs, batch, size, obytes)
    out = []
    for k, (node, cost, own) in enumerate(zip(nodes, costs, obytes)):
        params = cost.params * size
        ins = node.inputs
        train = 0
        macs = cost.macs
        if macs:
            input_grad = grads[ins[0]] if len(ins) == 1 else any([grads[j] for j in ins])
            kind = kinds[k]
            reads = kind.input_macs(node.layer, infos[k].inputs, infos[k].output) \
                if kind.input_macs else macs
            train = batch * (6 * macs - (0 if input_grad else 2 * reads))
        if node.train_only:
            moved = 0
        else:
            moved = params + (obytes[ins[0]] if len(ins) == 1 else sum([obytes[j] for j in ins])) \
                + own
        out.append((params, own, live[k], saved[k], train, moved))
    return out


def _liveness(graph: Graph, kinds: list, obytes: list[int]) -> list[int]:  # type: ignore[type-arg]
    """Bytes of layer outputs alive while each layer runs, at inference."""
    nodes = graph.nodes
    n = len(nodes)
    root = list(range(n))  # the node whose storage each output is (INPUT: the input's)
    last = list(range(n))  # the last node that reads each storage
    for k, node in enumerate(nodes):
        if node.train_only:  # aux[ … ] heads do not run at inference
            continue
        if kinds[k].view:
            first = node.inputs[0]
            root[k] = INPUT if first == INPUT else root[first]
        for j in node.inputs:
            r = INPUT if j == INPUT else root[j]
            if r != INPUT and last[r] < k:
                last[r] = k
    final = root[n - 1]
    if final != INPUT:
        last[final] = n - 1  # the network's output is kept
    delta = [0] * (n + 1)
    train_only = [node.train_only for node in nodes]
    for k in range(n):
        if root[k] == k and not train_only[k]:
            delta[k] += obytes[k]
            delta[last[k] + 1] -= obytes[k]
    del delta[n]
    # the running total (in C), the input living throughout; 0 for an aux[ … ] layer
    live = list(accumulate(delta, initial=obytes[INPUT]))[1:]
    if any(train_only):
        live = [0 if aux else total for total, aux in zip(live, train_only)]
    return live


def _saved(graph: Graph, infos: list, kinds: list, costs: list,  # type: ignore[type-arg]
           batch: int, size: int, obytes: list[int]) -> tuple[list[int], list[bool]]:
    """Per node, the bytes of storages it is the first to keep for backward; and
    whether each node's output needs a gradient in training: it has parameters or
    reads something that does (the last entry, which INPUT indexes, is the network
    input's: it does not)."""
    nodes = graph.nodes
    root: list[int] = []  # storages in training: only true views share (dropout copies)
    kept: set[object] = set()
    out = []
    grads = [False] * (len(nodes) + 1)  # filled in order: a node's inputs come before it
    for k, (node, kind, cost, info) in enumerate(zip(nodes, kinds, costs, infos)):
        inputs = node.inputs
        first = inputs[0]
        if kind.view != "always":
            root.append(k)
        else:
            root.append(INPUT if first == INPUT else root[first])
        if len(inputs) == 1:
            ins: tuple[bool, ...] = (grads[first],)
            any_grad = ins[0]
        else:
            ins = tuple([grads[j] for j in inputs])
            any_grad = any(ins)
        if not cost.params and not any_grad:
            out.append(0)  # nothing needs this layer's backward, nor its output a gradient
            continue
        grads[k] = True
        new = 0
        for i, item in enumerate(kind.saved(node.layer, info, ins)):
            ref = item.ref
            if ref == "new":
                key: object = (k, i)
                nbytes = item.elements * (item.itemsize or size) * (batch if item.per_sample else 1)
            else:
                j = inputs[item.index] if ref == "in" else k
                key = INPUT if j == INPUT else root[j]
                nbytes = obytes[key]  # type: ignore[index]
            if key not in kept:
                kept.add(key)
                new += nbytes
        out.append(new)
    return out, grads


def intensity(macs: int, batch: int, bytes_moved: int) -> float | None:
    """FLOPs per byte moved, FLOPs = 2·MACs·batch; None where nothing moves."""
    return 2 * macs * batch / bytes_moved if bytes_moved else None


def peak(live: list[int]) -> tuple[int, int]:
    """The largest live total and the index of the first layer where it happens."""
    best = max(range(len(live)), key=lambda k: (live[k], -k))
    return live[best], best


# ---------------------------------------------------------------------------
# Devices and the roofline: a lower bound, never a prediction


class Device(Record):
    """Peak arithmetic and memory bandwidth of a machine (a YAML device file)."""

    name: str
    source: str  # where the figures come from (a datasheet, a measurement)
    peak_flops: dict[str, float]  # FLOP/s per dtype: fp32, fp16, bf16, int8
    bandwidth: float  # bytes/s


# A plain string: pathlib costs a few ms to import, on every run.
DEVICES = os.path.join(os.path.dirname(os.path.realpath(__file__)), "devices")
DEVICE_KEYS = ("name", "source", "peak_flops", "bandwidth")


def device_names() -> list[str]:
    return sorted(e.name[:-5] for e in os.scandir(DEVICES) if e.name.endswith(".yaml"))


def load_device(ref: str) -> Device:
    """A shipped preset by name, or a device file: name, source, peak_flops (FLOP/s
    for each of fp32, fp16, bf16, int8) and bandwidth (bytes/s), all positive."""
    from .errors import CnnCostError, did_you_mean
    path = os.path.join(DEVICES, f"{ref.lower()}.yaml")
    if not os.path.isfile(path):
        path = ref
        if not os.path.isfile(path):
            raise CnnCostError(f"no device '{ref}'" + did_you_mean(ref, device_names()),
                               hint="a preset (" + ", ".join(device_names()) + ") or a device "
                                    "file with name, source, peak_flops and bandwidth")
    import yaml
    try:
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f.read())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise CnnCostError(f"cannot read the device file {ref}: {e}") from None
    where = f"device file {ref}"
    if not isinstance(data, dict):
        raise CnnCostError(f"{where} must be a mapping", hint="keys: " + ", ".join(DEVICE_KEYS))
    missing = [k for k in DEVICE_KEYS if k not in data]
    if missing:
        raise CnnCostError(f"{where} lacks {', '.join(missing)}",
                           hint="keys: " + ", ".join(DEVICE_KEYS) + "; peak_flops has fp32, "
                                "fp16, bf16 and int8")
    peaks = data["peak_flops"]
    if not isinstance(peaks, dict) or set(map(str, peaks)) != set(DTYPE_BYTES):
        raise CnnCostError(f"{where}: peak_flops needs exactly " + ", ".join(DTYPE_BYTES),
                           hint="FLOP/s for each, e.g. fp32: 19.5e+12")
    return Device(str(data["name"]), str(data["source"]),
                  {k: _rate(peaks[k], f"{where}: peak_flops.{k}") for k in DTYPE_BYTES},
                  _rate(data["bandwidth"], f"{where}: bandwidth"))


def _rate(value: object, what: str) -> float:
    from .errors import CnnCostError
    try:
        x = float(str(value))  # YAML reads 19.5e12 (no sign in the exponent) as text
    except ValueError:
        x = float("nan")
    if isinstance(value, bool) or not math.isfinite(x) or x <= 0:
        raise CnnCostError(f"{what} must be a positive number, not {value!r}",
                           hint="per second, e.g. 19.5e12")
    return x


def roofline(flops: int, bytes_moved: int, device: Device, dtype: str) -> tuple[float, str]:
    """The least time a layer can take on the device: max(FLOPs / peak, bytes / bandwidth),
    and which term bounds it ("compute" or "memory")."""
    compute = flops / device.peak_flops[dtype]
    memory_s = bytes_moved / device.bandwidth
    return (compute, "compute") if compute > memory_s else (memory_s, "memory")
