"""Every layer kind and every zoo entry, rebuilt in PyTorch: params, MACs and shapes agree.

The torch module comes from `cnncost export --torch`; its counts come from
PyTorch itself — `sum(p.numel())` and `FlopCounterMode` (FLOPs / 2 = MACs) —
and its shapes from a forward pass on the meta device.
"""

from __future__ import annotations

import pytest

from cnncost import zoo
from cnncost.costs import analyze
from cnncost.notation import parse_spec
from cnncost.resolve import load
from cnncost.torch_export import export_torch
from torchcheck import measure

pytest.importorskip("torch")

KINDS = {
    "conv": "Input(17,19,8) -> 16F(3,3) -> 16F(3,1,s=2,b=0) -> 32F(3,3,g=4,d=2) -> 8F(2,2,p=0)",
    "depthwise": "Input(16,16,8) -> dw(3,3) -> dw(5,5,m=2,s=2,b=0)",
    "channelwise": "Input(8,8,32) -> cw(8) -> cw(3,s=2) -> cw(4,p=0) -> cw(4,p=1,s=2,b=1)",
    "gcw": "Input(8,8,32) -> 32F(1,1,g=2) -> gcw(2,8)",
    "ccl": "Input(7,7,1024) -> ccl(1000)",
    "pool": "Input(13,13,4) -> max-p(3,3,2,ceil=1) -> avg-p(3,3,2,p=1) -> 3/3",
    "global": "Input(7,5,4) -> concat[ gap | gmp ]",
    "adaptive": "Input(13,13,4) -> aap(6,6) -> amp(4,3)",
    "spp_fc": "Input(18,18,8) -> spp(6,3,2,1) -> 10fc -> fc(5,b=0) -> softmax",
    "fc_flatten": "Input(4,4,3) -> 7fc -> relu -> dropout -> 2fc",
    "flatten": "Input(4,4,3) -> flatten -> 5fc",
    "activations": "Input(4,4,3) -> relu -> relu6 -> sigmoid -> tanh -> swish -> hswish -> hsigmoid",
    "norm": "Input(8,8,16) -> bn -> lrn(5) -> lrn(3)",
    "se": "Input(8,8,32) -> se(4) -> se(8,sq=3,act=swish,gate=hsigmoid)",
    "shuffle_chunk": "Input(8,8,16) -> concat[ chunk(2,1) | chunk(2,2) -> 8F(1,1) ] -> shuffle(4)",
    "branches": ("Input(28,28,192) -> concat[ 64F(1,1) | 96F(1,1) → 128F(3,3) | 16F(1,1) → 32F(5,5) "
                 "| max-p(3,3,1,p=1) → 32F(1,1) ] -> res[ 64F(1,1) -> relu -> 256F(1,1) ] "
                 "-> add[ 256F(3,3,s=2,b=0) -> bn | 256F(1,1,s=2) | 256F(1,1,s=2) ]"),
    "he2015": "Input(36,36,64) -> (2,128)x4 -> 2/2 -> (2,256)x3",
    # notation §11, at awkward sizes: odd and non-square maps, strides that do not
    # divide, groups, dilation, per-dimension strides and padding
    "tconv": ("Input(7,9,8) -> 16T(3,3,s=2,p=1,op=1) -> 8T(2,3,sh=2,sw=1,g=4,b=0) "
              "-> 4T(3,3,s=3,d=2,op=2) -> 6T(1,2,4,sh=1,sw=3,ph=0,pw=1,opw=2,g=2)"),
    "upsample": ("Input(5,7,4) -> up(2) -> up(2,3,mode=bilinear) "
                 "-> up(h=13,w=9,mode=bilinear,align_corners=1) -> up(h=4,w=4)"),
    "pixel_shuffle": "Input(6,8,18) -> ps(3) -> 8F(3,3) -> pu(2) -> concat[ id | pu(1) ]",
    "padding": "Input(5,7,3) -> pad(1) -> pad(1,2) -> pad(t=1,r=2) -> pad(b=3) -> cpad(30) -> cpad(31)",
    "tf_same": ("Input(17,19,8) -> 16F(3,3,s=2,p=tf) -> 16F(4,4,p=tf) -> 16F(3,3,d=2,s=2,p=tf) "
                "-> max-p(3,3,2,p=tf) -> avg-p(2,2,2,p=tf) -> dw(5,5,s=3,p=tf)"),
    "per_dimension": ("Input(17,19,8) -> 16F(3,3,sh=2,sw=1,ph=0,pw=2) "
                      "-> max-p(kh=2,kw=2,sh=2,sw=1,ph=0,pw=1) -> dw(3,3,sw=2,ph=1,pw=0,m=2) "
                      "-> avg-p(kh=3,kw=1,sh=1,sw=1,ph=1,pw=0)"),
    "activations_new": ("Input(4,5,6) -> lrelu -> lrelu(0.1) -> elu -> elu(0.5) -> gelu "
                        "-> gelu(tanh) -> mish -> prelu -> prelu(1)"),
    "norms_new": "Input(4,5,6) -> gn(3) -> gn(1) -> gn(6) -> ln -> in -> in(affine=1) -> scale",
    "mul": ("Input(8,6,16) -> mul[ id | gap -> 4fc -> relu -> 16fc -> sigmoid ] "
            "-> mul[ id | 1F(3,3) -> sigmoid ] -> mul[ id | gap -> 1fc | id ]"),
    "chunk_uneven": "Input(4,4,5) -> concat[ chunk(4,1) | chunk(4,2) | chunk(4,3) | chunk(2,2) ]",
    "aux_head": ("Input(17,17,64) -> 64F(3,3) -> aux[ avg-p(5,5,3) -> 16F(1,1) -> relu -> 10fc ] "
                 "-> gap -> 10fc"),
    "small_maps": ("Input(2,2,8) -> concat[ max-p(3,3,2,ceil=1) | avg-p(3,3,2,ceil=1) "
                   "| amp(3,3) -> max-p(3,3,2) ] -> spp(6,3,2,1)"),
}


def check(graph) -> None:
    ours = analyze(graph)
    torch_ = measure(export_torch(graph))
    assert torch_.params == ours.totals.params
    assert torch_.macs == ours.totals.macs
    # layers of aux[ … ] heads do not run in eval mode
    assert torch_.shapes == [(r.output.h, r.output.w, r.output.c)
                             for r, node in zip(ours.rows, graph.nodes) if not node.train_only]


PADDING = {"he2015": "he2015"}
TF_POLICY = ("Input(17,19,8) -> 16F(3,3,s=2) -> 16F(4,4) -> 16F(2,2,p=0) -> max-p(3,3,2) "
             "-> dw(5,5,s=3) -> 8T(2,2,s=2)")


@pytest.mark.parametrize("name", sorted(KINDS))
def test_layer_kinds_agree_with_pytorch(name):
    check(parse_spec(KINDS[name], padding=PADDING.get(name, "same")))


def test_tf_policy_agrees_with_pytorch():
    check(parse_spec(TF_POLICY, padding="tf"))


def test_every_kind_has_a_pytorch_cross_check():
    """Derived from the registry: every layer kind appears in some spec above."""
    from cnncost.layers import KINDS as REGISTRY
    covered = {r.kind for name, text in KINDS.items()
               for r in analyze(parse_spec(text, padding=PADDING.get(name, "same"))).rows}
    lowered_away = {"id"}  # the identity: lowering wires its input through, no node is left
    assert {k.kind for k in REGISTRY} - covered == lowered_away


def zoo_networks():
    for name in zoo.names():
        doc = load(name)
        for key, net in doc.networks.items():
            yield pytest.param(net, id=f"{name}:{key}" if doc.is_variants else name)


@pytest.mark.parametrize("net", list(zoo_networks()))
def test_zoo_agrees_with_pytorch(net):
    check(net.graph())


def test_a_hostile_name_stays_text_in_the_exported_module(tmp_path):
    name = 'x"""\nraise SystemExit("injected")\n"""\\'
    graph = parse_spec("Input(4,4,3) -> 8F(3,3)")
    from dataclasses import replace
    source = export_torch(replace(graph, name=name))
    namespace: dict = {}
    exec(compile(source, "exported.py", "exec"), namespace)  # would raise if the name ran
    assert namespace["__doc__"].startswith(name + ": generated")
