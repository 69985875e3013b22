"""Memory and training cost (notation §12), checked against PyTorch itself.

Each network is the module `export --torch` writes, run on the meta device
(shapes and storages without data), so every zoo network fits the suite:

- peak_activation_bytes: forward hooks in eval mode under no_grad record each
  layer's output storage; a storage is alive while any output tensor on it is
  (weak references: the exported forward releases each output after its last
  reader); the peak is the most bytes alive at any layer's end, the network
  input included.
- train_saved_bytes: the pack hook of torch.autograd.graph.saved_tensors_hooks in
  train mode sees every tensor autograd keeps; unique storages, parameters and
  buffers excluded.
- train_flops: FlopCounterMode over forward + sum().backward(), for networks whose
  convolutions all have groups = 1 (torch overcounts grouped backward); grouped
  and depthwise layers get their own check below.
"""

from __future__ import annotations

import weakref

import pytest

from cnncost import zoo
from cnncost.costs import analyze
from cnncost.layers import Conv, ConvTranspose, Depthwise
from cnncost.notation import parse_spec
from cnncost.resolve import load
from cnncost.torch_export import export_torch

torch = pytest.importorskip("torch")


def build(graph):
    namespace: dict = {}
    exec(compile(export_torch(graph), "<exported>", "exec"), namespace)
    with torch.device("meta"):
        return namespace["Net"]()


def key(t) -> int:
    return t.untyped_storage()._cdata


def measured_peak(graph, batch: int) -> int:
    net = build(graph).eval()
    live: dict[int, list] = {}  # storage → [bytes, weak refs to the outputs on it]
    best = [0]
    with torch.device("meta"):
        x = torch.zeros(batch, *net.input_shape)
    held = x.untyped_storage().nbytes()

    def alive() -> int:
        return held + sum(nbytes for nbytes, refs in live.values() if any(r() is not None for r in refs))

    def hook(module, args, out) -> None:
        entry = live.get(key(out))
        if entry is None or not any(r() is not None for r in entry[1]):  # a new (or reused) storage
            entry = live[key(out)] = [out.untyped_storage().nbytes(), []]
        if key(out) != key(x):
            entry[1].append(weakref.ref(out))
        best[0] = max(best[0], alive())

    for layer in net.layers:
        layer.register_forward_hook(hook)
    with torch.no_grad():
        net(x)
    return best[0]


def measured_saved(graph, batch: int) -> int:
    net = build(graph).train()
    own = {key(t) for t in [*net.parameters(), *net.buffers()]}
    saved: dict[int, int] = {}
    keep = []  # held, so a storage freed with an unused output (aux[ … ]) is not reused

    def pack(t):
        if key(t) not in own:
            saved[key(t)] = t.untyped_storage().nbytes()
            keep.append(t)
        return t

    with torch.device("meta"):
        x = torch.zeros(batch, *net.input_shape)
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = net(x)
    del out
    return sum(saved.values())


def measured_train_flops(graph, batch: int) -> int:
    from torch.utils.flop_counter import FlopCounterMode
    net = build(graph).train()
    with torch.device("meta"):
        x = torch.zeros(batch, *net.input_shape)
    # an aux[ … ] head's output joins the loss, as torchvision's training adds it
    ends = [k for k, n in enumerate(graph.nodes) if n.train_only
            and not any(k in m.inputs for m in graph.nodes if m.train_only)]
    heads: list = []
    for k in ends:
        net.layers[k].register_forward_hook(lambda m, i, o: heads.append(o))
    counter = FlopCounterMode(display=False)
    with counter:
        loss = net(x).sum()
        for h in heads:
            loss = loss + h.sum()
        loss.backward()
    return counter.get_total_flops()


def zoo_graphs():
    for name in zoo.names():
        doc = load(name)
        for k, spec in doc.networks.items():
            yield pytest.param(spec.graph(), id=f"{name}:{k}" if doc.is_variants else name)


ZOO = list(zoo_graphs())


@pytest.mark.parametrize("graph", ZOO)
@pytest.mark.parametrize("batch", [1, 8])
def test_peak_activation_bytes_match_pytorch(graph, batch):
    ours = max(r.live_bytes for r in analyze(graph, batch=batch).rows)
    assert ours == measured_peak(graph, batch)


def one_value_per_channel(graph) -> bool:
    """Whether some bn sees a 1×1 map: PyTorch refuses to train that at batch 1."""
    from cnncost.layers import BatchNorm
    from cnncost.graph import infer
    return any(isinstance(n.layer, BatchNorm) and (i.output.h, i.output.w) == (1, 1)
               for n, i in zip(graph.nodes, infer(graph)))


@pytest.mark.parametrize("graph", ZOO)
@pytest.mark.parametrize("batch", [1, 8])
def test_train_saved_bytes_match_pytorch(graph, batch):
    if batch == 1 and one_value_per_channel(graph):
        pytest.skip("PyTorch refuses batch norm training on one value per channel")
    ours = sum(r.train_saved_bytes for r in analyze(graph, batch=batch).rows)
    assert ours == measured_saved(graph, batch)


def ungrouped(graph) -> bool:
    return not any(isinstance(n.layer, Depthwise) or (isinstance(n.layer, (Conv, ConvTranspose))
                                                       and n.layer.groups > 1)
                   for n in graph.nodes)


@pytest.mark.parametrize("graph", [g for g in ZOO if ungrouped(g.values[0])])
def test_train_flops_match_flopcounter(graph):
    ours = sum(r.train_flops for r in analyze(graph, batch=2).rows)
    assert ours == measured_train_flops(graph, 2)


KINDS = {  # every kind's saved-for-backward rule, at awkward sizes
    "convs_pools": ("Input(17,19,8) -> 16F(3,3,s=2) -> relu -> max-p(3,3,2,ceil=1) -> 8F(1,1) "
                    "-> relu6 -> avg-p(3,3,2,p=1) -> aap(2,3) -> amp(2,2) -> flatten -> 10fc"),
    "tf_pads": "Input(17,19,8) -> 16F(3,3,s=2,p=tf) -> max-p(3,3,2,p=tf) -> avg-p(2,2,2,p=tf)",
    "norms": ("Input(9,7,12) -> 12F(3,3) -> bn -> gn(3) -> ln -> in -> in(affine=1) -> scale "
              "-> prelu -> prelu(1) -> lrn(5)"),
    "acts": ("Input(5,6,4) -> 4F(1,1) -> sigmoid -> tanh -> swish -> hswish -> hsigmoid -> lrelu "
             "-> elu -> gelu -> mish -> softmax"),
    "views": ("Input(6,6,8) -> 8F(1,1) -> concat[ chunk(2,1) -> 4F(1,1) | chunk(2,2) ] -> shuffle(2) "
              "-> res[ dw(3,3,s=1) -> relu -> 8F(1,1) ] -> dw(3,3,s=2,m=2)"),
    "se_gates": ("Input(6,6,16) -> 16F(1,1) -> se(4) -> se(4,act=swish,gate=hsigmoid) "
                 "-> se(sq=3,act=hswish,gate=sigmoid)"),
    "se_on_input": "Input(6,6,16) -> se(4,gate=hsigmoid) -> 8F(1,1)",
    "mul_on_input": "Input(6,6,16) -> mul[ id | gap -> 16fc -> sigmoid ] -> mul[ id | id | 1F(1,1) ]",
    "global": "Input(7,5,8) -> 8F(3,3) -> concat[ gap | gmp | aap(1) ] -> spp(2,1) -> dropout -> 4fc",
    "resample": ("Input(5,7,18) -> 18F(1,1) -> ps(3) -> up(2) -> up(2,mode=bilinear) "
                 "-> 9F(1,1) -> pu(2) -> pad(1) -> cpad(40) -> 4T(2,2,s=2)"),
    "channelnets": "Input(8,8,32) -> 32F(1,1,g=2) -> gcw(2,8) -> cw(8,s=2) -> cw(3,p=0) -> ccl(4)",
    "input_side": "Input(8,8,4) -> relu -> max-p -> dropout -> 4F(3,3) -> dropout -> relu",
    "aux": "Input(9,9,8) -> 8F(3,3) -> aux[ avg-p(3,3,3) -> 4F(1,1) -> 10fc ] -> gap -> 10fc",
}


@pytest.mark.parametrize("name", sorted(KINDS))
@pytest.mark.parametrize("batch", [1, 3])
def test_each_kind_saves_what_autograd_saves(name, batch):
    graph = parse_spec(KINDS[name])
    net = analyze(graph, batch=batch)
    assert sum(r.train_saved_bytes for r in net.rows) == measured_saved(graph, batch)
    assert max(r.live_bytes for r in net.rows) == measured_peak(graph, batch)


def test_every_kind_has_its_memory_checked():
    from cnncost.layers import KINDS as REGISTRY
    covered = {r.kind for text in KINDS.values() for r in analyze(parse_spec(text)).rows}
    assert {k.kind for k in REGISTRY} - covered == {"id"}  # the identity leaves no node


def test_resnet18_peak_by_liveness():
    """ResNet-18 at 224, fp32, batch 1: each block's input stays alive for its
    shortcut while the branch runs. The largest moment is conv1's output
    (112·112·64) while bn1 writes its own, beside the input (224·224·3): by hand
    4·(3·224² + 2·64·112²) = 7,024,640 bytes."""
    net = analyze(load("resnet18").networks["resnet18"].graph())
    assert max(r.live_bytes for r in net.rows) == 4 * (3 * 224 * 224 + 2 * 64 * 112 * 112)


def test_bytes_and_train_flops_by_hand():
    """A 3×3 conv on the input: weights 3·3·3·8 + 8; it reads the network input, so
    its backward computes no input gradient: 4·MACs, not 6."""
    net = analyze(parse_spec("Input(10,10,3) -> 8F(3,3) -> relu -> 8F(3,3)"), batch=2,
                  dtype="fp16")
    conv1, relu, conv2 = net.rows
    macs1 = 3 * 3 * 3 * 8 * 10 * 10
    assert conv1.param_bytes == 2 * (3 * 3 * 3 * 8 + 8)
    assert conv1.activation_bytes == 2 * 2 * 10 * 10 * 8
    assert conv1.train_flops == 2 * 4 * macs1
    assert conv2.train_flops == 2 * 6 * (3 * 3 * 8 * 8 * 10 * 10)
    assert conv1.bytes_moved == conv1.param_bytes + 2 * 2 * 10 * 10 * 3 + conv1.activation_bytes
    # relu keeps its output, which conv2 keeps too: one storage, counted at relu
    assert relu.train_saved_bytes == relu.activation_bytes and conv2.train_saved_bytes == 0
    # conv1 keeps the network input for its weight gradient: it counts there
    assert conv1.train_saved_bytes == 2 * 2 * 10 * 10 * 3


def test_grouped_and_depthwise_backward_per_op():
    """FlopCounterMode overcounts grouped backward, so check the backward of a grouped
    and a depthwise conv per op: grad_input is a transposed conv (counted as a
    forward op, correctly) of 2·MACs FLOPs; grad_weight multiplies every weight by
    N·H_out·W_out products: 2·MACs too. 6·MACs in all, as cnncost says."""
    import torch.nn.functional as F
    from torch.utils.flop_counter import FlopCounterMode
    for spec, groups in (("Input(9,11,8) -> 8F(1,1) -> 16F(3,3,s=2,g=4)", 4),
                         ("Input(9,11,8) -> 8F(1,1) -> dw(3,3,s=2)", 8)):
        row = analyze(parse_spec(spec)).rows[1]
        cout = row.output.c
        with torch.device("meta"):
            w = torch.zeros(cout, 8 // groups, 3, 3)
            grad = torch.zeros(1, cout, row.output.h, row.output.w)
        counter = FlopCounterMode(display=False)
        with counter:
            F.conv_transpose2d(grad, w, stride=2, padding=1, groups=groups, output_padding=(0, 0))
        grad_input = counter.get_total_flops()
        grad_weight = 2 * row.macs  # weights × N·H_out·W_out multiply-adds
        assert row.train_flops == 2 * row.macs + grad_input + grad_weight


def test_the_worked_example_of_docs_memory():
    """docs/memory.md: Input(32,32,3) → 16F(3,3) → bn → relu → max-p → 10fc, batch 8, fp32."""
    net = analyze(parse_spec("Input(32,32,3) → 16F(3,3) → bn → relu → max-p → 10fc"), batch=8)
    b = 8 * 4  # batch × bytes
    x, act, pool = 32 * 32 * 3 * b, 32 * 32 * 16 * b, 16 * 16 * 16 * b
    assert max(r.live_bytes for r in net.rows) == x + 2 * act == 1_146_880
    assert sum(r.train_saved_bytes for r in net.rows) == \
        x + act + 2 * 16 * 4 + act + 16 * 16 * 16 * 8 * 8 + pool == 1_540_224
    assert sum(r.train_flops for r in net.rows) == \
        8 * (4 * 3 * 3 * 3 * 16 * 32 * 32 + 6 * 4096 * 10) == 16_121_856
    assert sum(r.param_bytes for r in net.rows) == 4 * (448 + 32 + 40_970) == 165_800
