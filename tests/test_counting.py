"""Count like other tools (notation §13): cnncost.counting against the real tools.

Each tool runs on the module that `cnncost export --torch` writes (batch 1, eval
mode) and must report exactly what `count(net, tool)` says — the total through the
tool's public call, each layer's value (where the tool gives per-module numbers)
and the layers it reports it cannot count (fvcore's unsupported operators,
torchscan's unsupported modules, thop's and ptflops' modules without a rule).

The tools are optional dev dependencies, pinned in pyproject.toml; a tool that is
not installed at its pinned version makes its tests skip. DeepSpeed itself is not
installed (too heavy): its rules are checked through calflops 0.3.2, which copied
them, except where calflops still has the bugs DeepSpeed 0.19.8 fixed (transposed
convolutions, upsampling by a factor: see docs/counting.md and the last test).

The zoo (92 networks) is too large to run every tool on every entry within this
file's ~3 minute budget on the 2-core machine (fvcore, ptflops and calflops run real
forward passes; the 10–375 GMAC networks alone would take many minutes), so it runs
a representative subset (14 networks) that together uses every layer kind and every
activation the zoo uses (FlopCounterMode, ptflops' aten backend, torchinfo,
torchscan and thop run on the meta device, which gives them the same numbers):

    resnet50                    conv, bn, relu, max-p, add, gap, fc (and the §13 figures)
    alexnet                     adaptive avg pooling, dropout
    alexnet_paper               lrn, softmax
    googlenet_paper             lrn, avg-p, max-p with ceil, concat, softmax
    squeezenet1_1               concat, a conv classifier with no fc
    channelnet_v3               cw, gcw, ccl, dw
    convnext:convnext_tiny      ln, scale (layer scale), gelu, 7×7 dw
    lraspp_mobilenet_v3_large   bilinear upsampling to a size, mul, sigmoid, se, hswish
    mobilenet_v2                relu6
    mobilenet_v3_small          se relu/hsigmoid, hswish, two fc
    efficientnet_b0             swish, se with swish/sigmoid
    shufflenet_v2_x1_0          chunk, shuffle
    regnet:regnet_y_400mf       grouped convs, se relu/sigmoid
    he2015:A                    spp, the he2015 padding policy

and, for what the zoo does not use (transposed convolutions, nearest upsampling,
pixel shuffle, padding, the norms, PReLU, mul gates, TF SAME padding, …), small
specs built with parse_spec.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import io
import re
import sys
import types
import warnings
from dataclasses import dataclass
from functools import lru_cache

import pytest

from cnncost.costs import analyze
from cnncost.counting import TOOLS, count, describe
from cnncost.errors import CnnCostError
from cnncost.layers import KINDS as REGISTRY
from cnncost.notation import parse_spec
from cnncost.resolve import load, one_network
from cnncost.torch_export import export_torch

# fvcore traces with torch.jit, which torch 2.13 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")

# ---------------------------------------------------------------------------
# Pure: the API and notation §13's ResNet-50 figures (no torch needed)

RESNET50 = {  # notation §13, measured
    "torchvision": 4_089_184_256, "ptflops-aten": 4_089_185_256, "torchinfo": 4_089_238_376,
    "fvcore": 4_111_512_576, "ptflops": 4_132_436_968, "thop": 4_133_742_592,
    "flopcounter": 8_178_368_512,
}
RESNET50_MORE = {"torchscan": 4_113_120_256, "deepspeed": 8_211_108_352}  # measured here too


@lru_cache(maxsize=None)
def resnet50():
    return analyze(one_network(load("resnet50")).graph())


@pytest.mark.parametrize("name", sorted(RESNET50))
def test_resnet50_figures_of_notation_13(name):
    assert count(resnet50(), name).total == RESNET50[name]


@pytest.mark.parametrize("name", sorted(RESNET50_MORE))
def test_resnet50_other_tools(name):
    assert count(resnet50(), name).total == RESNET50_MORE[name]


def test_every_tool_has_a_rule_for_every_kind():
    for t in TOOLS.values():
        assert set(t.rules) == {k.kind for k in REGISTRY}, t.name


def test_the_tools_of_notation_13():
    assert list(TOOLS) == ["torchvision", "flopcounter", "fvcore", "ptflops", "ptflops-aten",
                           "thop", "torchinfo", "torchscan", "deepspeed"]


def test_unknown_tool():
    with pytest.raises(CnnCostError) as e:
        count(resnet50(), "fvcor")
    assert e.value.message == "unknown tool 'fvcor' (did you mean 'fvcore'?)"
    assert e.value.hint == "one of " + ", ".join(TOOLS)
    with pytest.raises(CnnCostError, match="unknown tool 'thop2'"):
        describe("thop2")


@pytest.mark.parametrize("name", list(TOOLS))
def test_describe_is_one_line_with_the_version(name):
    line = describe(name)
    assert "\n" not in line and TOOLS[name].version in line


@pytest.mark.parametrize("name", list(TOOLS))
def test_values_are_exact_integers_aligned_with_the_rows(name):
    net = resnet50()
    c = count(net, name)
    assert len(c.values) == len(net.rows)
    assert all(v is None or type(v) is int for v in c.values)
    assert c.total == sum(v or 0 for v in c.values)
    assert len(c.why) == len(c.uncounted) and c.complete == (not c.uncounted)
    for i in c.uncounted:  # what the tool cannot count, said in its words
        assert c.why[c.uncounted.index(i)]


def test_torchvision_is_our_macs_and_flopcounter_our_flops():
    net = resnet50()
    assert count(net, "torchvision").values == tuple(r.macs for r in net.rows)
    assert count(net, "flopcounter").values == tuple(r.flops for r in net.rows)


def test_resnet50_uncounted_layers():
    net = resnet50()
    kinds = lambda name: {net.rows[i].kind for i in count(net, name).uncounted}  # noqa: E731
    assert kinds("fvcore") == {"pool", "add"}  # aten::max_pool2d, aten::add
    assert kinds("torchscan") == kinds("thop") == kinds("ptflops") == {"add"}
    for name in ("torchvision", "flopcounter", "ptflops-aten", "torchinfo", "deepspeed"):
        assert count(net, name).complete


def test_a_kind_the_tool_cannot_count_has_no_value():
    net = analyze(parse_spec("Input(8,8,16) -> 16F(3,3) -> hswish -> cw(3) -> add[ id | relu ]"))
    fv = count(net, "fvcore")
    assert fv.values[1] is None and fv.why[fv.uncounted.index(1)] == "aten::hardswish"
    assert fv.values[2] == net.rows[2].macs and 2 in fv.uncounted  # its conv, not its F.pad
    assert fv.values[4] is None and fv.why[-1] == "aten::add"


def test_an_aux_head_counts_nothing():
    net = analyze(parse_spec("Input(17,17,64) -> 64F(3,3) -> aux[ avg-p(5,5,3) -> 16F(1,1) "
                             "-> relu -> 10fc ] -> gap -> 10fc"))
    for name in TOOLS:
        c = count(net, name)
        assert all(v == 0 for v, r in zip(c.values, net.rows) if r.train_only), name


# ---------------------------------------------------------------------------
# The real tools

ZOO = ["resnet50", "alexnet", "alexnet_paper", "googlenet_paper", "squeezenet1_1",
       "channelnet_v3", "convnext:convnext_tiny", "lraspp_mobilenet_v3_large", "mobilenet_v2",
       "mobilenet_v3_small", "efficientnet_b0", "shufflenet_v2_x1_0", "regnet:regnet_y_400mf",
       "he2015:A"]

SPECS = {  # (padding policy, spec): every layer kind, at awkward sizes
    "conv": ("same", "Input(17,19,8) -> 16F(3,3) -> 16F(3,1,s=2,b=0) -> 32F(3,3,g=4,d=2) "
                     "-> 8F(2,2,p=0) -> dw(3,3) -> dw(5,5,m=2,s=2,b=0)"),
    "tconv": ("same", "Input(7,9,8) -> 16T(3,3,s=2,p=1,op=1) -> 8T(2,3,sh=2,sw=1,g=4,b=0) "
                      "-> 4T(3,3,s=3,d=2,op=2) -> 6T(1,2,4,sh=1,sw=3,ph=0,pw=1,opw=2,g=2)"),
    "channelnets": ("same", "Input(8,8,32) -> cw(8) -> cw(4,p=1,s=2,b=1) -> 32F(1,1,g=2) "
                            "-> gcw(2,8,b=1) -> cw(3,p=0) -> ccl(10,b=1)"),
    "pool": ("same", "Input(13,13,4) -> max-p(3,3,2,ceil=1) -> avg-p(3,3,2,p=1) "
                     "-> avg-p(2,2,1,ceil=1) -> concat[ gap | gmp ]"),
    "adaptive": ("same", "Input(13,13,4) -> aap(6,6) -> amp(4,3) -> aap(5,5) "
                         "-> concat[ aap(2,3) | amp(2,3) ]"),
    "spp_fc": ("same", "Input(18,18,8) -> spp(6,3,2,1) -> 10fc -> fc(5,b=0) -> softmax"),
    "small_maps": ("same", "Input(2,2,8) -> concat[ max-p(3,3,2,ceil=1) | avg-p(3,3,2,ceil=1) "
                           "| amp(3,3) -> max-p(3,3,2) ] -> spp(6,3,2,1)"),
    "activations": ("same", "Input(4,5,6) -> relu -> relu6 -> sigmoid -> tanh -> swish -> hswish "
                            "-> hsigmoid -> softmax -> lrelu(0.1) -> elu -> gelu -> gelu(tanh) "
                            "-> mish -> prelu -> prelu(1) -> dropout"),
    "norms": ("same", "Input(4,5,6) -> bn -> gn(3) -> gn(1) -> ln -> in -> in(affine=1) -> scale "
                      "-> lrn(5) -> lrn(2)"),
    "se": ("same", "Input(8,8,32) -> se(4) -> se(8,sq=3,act=swish,gate=hsigmoid) "
                   "-> se(2,act=softmax,gate=tanh) -> se(4,act=gelu,gate=softmax)"),
    "reshape": ("same", "Input(6,8,18) -> ps(3) -> 8F(3,3) -> pu(2) -> concat[ id | pu(1) ] "
                        "-> shuffle(4) -> concat[ chunk(2,1) | chunk(3,2) ] -> flatten -> 4fc"),
    "padding": ("same", "Input(5,7,3) -> pad(1) -> pad(1,2) -> pad(t=1,r=2) -> cpad(30) -> cpad(31)"),
    "upsample_size": ("same", "Input(5,7,4) -> up(h=13,w=9,mode=bilinear,align_corners=1) "
                              "-> up(h=4,w=4) -> up(h=9,w=6,mode=bilinear)"),
    "upsample_factor": ("same", "Input(5,7,4) -> up(2) -> up(2,3,mode=bilinear) -> up(1,2)"),
    "merges": ("same", "Input(8,6,16) -> add[ id | relu | relu6 ] -> mul[ id | gap -> 4fc -> relu "
                       "-> 16fc -> sigmoid ] -> mul[ id | 1F(3,3) -> sigmoid ] "
                       "-> mul[ id | gap -> 1fc | id ]"),
    "tf_same": ("same", "Input(17,19,8) -> 16F(3,3,s=2,p=tf) -> 16F(4,4,p=tf) "
                        "-> 16F(3,3,d=2,s=2,p=tf) -> max-p(3,3,2,p=tf) -> avg-p(2,2,2,p=tf) "
                        "-> dw(5,5,s=3,p=tf)"),
    "tf_policy": ("tf", "Input(17,19,8) -> 16F(3,3,s=2) -> 16F(4,4) -> 16F(2,2,p=0) "
                        "-> max-p(3,3,2) -> dw(5,5,s=3) -> avg-p(3,3,2)"),
    "per_dimension": ("same", "Input(17,19,8) -> 16F(3,3,sh=2,sw=1,ph=0,pw=2) "
                              "-> max-p(kh=2,kw=2,sh=2,sw=1,ph=0,pw=1) -> dw(3,3,sw=2,ph=1,pw=0,m=2) "
                              "-> avg-p(kh=3,kw=1,sh=1,sw=1,ph=1,pw=0)"),
    "aux_head": ("same", "Input(17,17,64) -> 64F(3,3) -> aux[ avg-p(5,5,3) -> 16F(1,1) -> relu "
                         "-> 10fc ] -> gap -> 10fc"),
}

CASES = [*(f"zoo:{z}" for z in ZOO), *SPECS]

# calflops 0.3.2 copied DeepSpeed's rules before two of its fixes: a transposed conv
# (filters divided by the groups twice; the bias over conv-shaped output dims) and
# upsampling by a factor (a TypeError on a tuple of factors). Those rows are not compared.
def _calflops_differs(row) -> bool:
    return row.kind == "tconv" or (row.kind == "upsample" and row.layer.fh is not None)


PINS = {  # tool → (distribution, the pinned version its rules were read from)
    "fvcore": ("fvcore", "0.1.5.post20221221"), "ptflops": ("ptflops", "0.7.5"),
    "ptflops-aten": ("ptflops", "0.7.5"), "thop": ("ultralytics-thop", "2.2.3"),
    "torchinfo": ("torchinfo", "1.8.0"), "torchscan": ("torchscan", "0.2.0"),
    "deepspeed": ("calflops", "0.3.2"), "flopcounter": ("torch", "2.13.0"),
}


@dataclass
class Measured:
    total: int | float
    per: dict[int, int] | None = None  # layer index → the tool's value; None: not given
    flagged: set[int] | None = None  # the layers it reports it cannot count; None: it never does


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One intra-op thread: on a shared 2-core machine a second one mostly waits."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@lru_cache(maxsize=None)
def case(name: str):
    if name.startswith("zoo:"):
        ref, _, variant = name[4:].partition(":")
        graph = one_network(load(ref), variant or None).graph()
    else:
        padding, text = SPECS[name]
        graph = parse_spec(text, padding=padding)
    namespace: dict = {}
    exec(compile(export_torch(graph), f"<exported {name}>", "exec"), namespace)
    return analyze(graph), namespace["Net"]


def _require(tool: str) -> None:
    pytest.importorskip("torch")
    dist, version = PINS[tool]
    try:
        have = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{dist} is not installed (pip install '{dist}=={version}', or the dev extra)")
    if have.split("+")[0] != version:
        pytest.skip(f"the {tool} rules are those of {dist} {version}; {have} is installed")


def _build(Net, device: str = "cpu"):
    """The module, eval mode, its weights left uninitialised (counts read no values)."""
    import torch
    with torch.device("meta"):
        m = Net()
    if device != "meta":
        m = m.to_empty(device=device)
    return m.eval(), torch.zeros(1, *Net.input_shape, device=device)


def _owner(m) -> dict[int, int]:
    """id(any submodule) → the index of the layer it belongs to."""
    return {id(sub): k for k, layer in enumerate(m.layers) for sub in layer.modules()}


def _leaves_without(m, known) -> set[int]:
    """The layers holding a leaf module whose type has no rule in `known` (by MRO when
    `known` is a dict of base classes, as thop resolves them)."""
    return {k for k, layer in enumerate(m.layers) for sub in layer.modules()
            if not list(sub.children()) and not known(type(sub))}


def m_flopcounter(Net) -> Measured:
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    m, x = _build(Net, "meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        m(x)
    per = {int(g.group(1)): sum(v.values()) for k, v in counter.get_flop_counts().items()
           if (g := re.fullmatch(r"Net\.layers\.(\d+)", k))}
    return Measured(counter.get_total_flops(), per)


def m_fvcore(Net) -> Measured:
    from fvcore.nn import FlopCountAnalysis
    m, x = _build(Net)
    a = FlopCountAnalysis(m, x)
    a.unsupported_ops_warnings(False)
    a.uncalled_modules_warnings(False)
    a.tracer_warnings("none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        total = a.total()
    by_module = a.by_module()
    n = len(m.layers)
    return Measured(total, {k: by_module.get(f"layers.{k}", 0) for k in range(n)},
                    {k for k in range(n) if a.unsupported_ops(f"layers.{k}")})


def m_ptflops(Net) -> Measured:
    """The total from get_model_complexity_info (default backend); each layer's module-hook
    and patched-functional counts from the same engine run step by step."""
    import torch
    from ptflops import get_model_complexity_info
    from ptflops import pytorch_engine as pe
    from ptflops.pytorch_ops import MODULES_MAPPING
    m, x = _build(Net)
    with contextlib.redirect_stdout(io.StringIO()):
        total, _ = get_model_complexity_info(m, tuple(Net.input_shape), as_strings=False,
                                             print_per_layer_stat=False)
    pe.add_flops_counting_methods(m)
    m.start_flops_count(ost=io.StringIO(), verbose=False, ignore_list=[])
    functional: list = []
    tensor_ops: list = []
    pe.patch_functional(functional)
    pe.patch_tensor_ops(tensor_ops)
    per: dict[int, int] = {}
    marks: dict[int, tuple[int, int]] = {}
    handles = []
    for k, layer in enumerate(m.layers):
        handles.append(layer.register_forward_pre_hook(
            lambda mod, inp, k=k: marks.__setitem__(k, (len(functional), len(tensor_ops)))))
        handles.append(layer.register_forward_hook(
            lambda mod, inp, out, k=k: per.__setitem__(k, per.get(k, 0) + sum(
                functional[marks[k][0]:]) + sum(tensor_ops[marks[k][1]:]))))
    try:
        with torch.no_grad():
            m(x)
        for k, layer in enumerate(m.layers):
            per[k] = int(per.get(k, 0) + sum(s.__flops__ for s in layer.modules()
                                             if pe.is_supported_instance(s)))
    finally:
        for h in handles:
            h.remove()
        m.stop_flops_count()
        pe.unpatch_functional()
        pe.unpatch_tensor_ops()
    return Measured(total, per, _leaves_without(m, lambda t: t in MODULES_MAPPING))


def m_ptflops_aten(Net) -> Measured:
    from ptflops import get_model_complexity_info
    m, _ = _build(Net, "meta")
    with contextlib.redirect_stdout(io.StringIO()):
        total, _ = get_model_complexity_info(m, tuple(Net.input_shape), as_strings=False,
                                             print_per_layer_stat=False, backend="aten")
    return Measured(total)


def m_torchinfo(Net) -> Measured:
    import torchinfo
    m, x = _build(Net, "meta")
    summary = torchinfo.summary(m, input_data=x, verbose=0, device="meta")
    owner = _owner(m)
    per: dict[int, int] = {}
    for info in summary.summary_list:
        if info.is_leaf_layer and id(info.module) in owner:
            k = owner[id(info.module)]
            per[k] = per.get(k, 0) + info.macs
    return Measured(summary.total_mult_adds, per)


def m_torchscan(Net) -> Measured:
    import torchscan
    m, _ = _build(Net, "meta")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = torchscan.crawl_module(m, tuple(Net.input_shape))
    per: dict[int, int] = {}
    flagged = set()
    for layer in report["layers"]:
        g = re.match(r"layers\.(\d+)", layer["path"])
        macs = layer["metrics"].get("macs")
        if g and macs is not None:
            k = int(g.group(1))
            per[k] = per.get(k, 0) + (macs["known_value"] or 0)
            if macs["status"] != "complete":
                flagged.add(k)
    total = report["totals"]["macs"]  # a partial total's known part
    return Measured(total["value"] if total["status"] == "complete" else total["known_value"],
                    per, flagged)


def m_thop(Net) -> Measured:
    import thop
    from thop.profile import register_hooks
    m, x = _build(Net, "meta")
    total, _, tree = thop.profile(m, inputs=(x,), verbose=False, ret_layer_info=True)
    per = {int(k): v[0] for k, v in tree["layers"][2].items()}
    known = lambda t: any(b in register_hooks for b in t.__mro__)  # noqa: E731
    return Measured(total, per, _leaves_without(m, known))


def _calflops():
    """calflops' counting pipeline, without its package __init__ (which imports
    transformers for its Hugging Face helpers)."""
    if "calflops.calculate_pipline" not in sys.modules:
        spec = importlib.util.find_spec("calflops")
        package = types.ModuleType("calflops")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["calflops"] = package
    return importlib.import_module("calflops.calculate_pipline")


def m_deepspeed(Net) -> Measured:
    """DeepSpeed's rules through calflops' pipeline (what calculate_flops runs)."""
    import torch
    pipeline = _calflops()
    from calflops.utils import get_module_flops
    m, x = _build(Net)
    p = pipeline.CalFlopsPipline(m, include_backPropagation=False, compute_bp_factor=2.0)
    p.start_flops_calculate(ignore_list=None)
    try:
        with torch.no_grad():
            m(x)
        total = p.get_total_flops()
        per = {k: get_module_flops(layer) for k, layer in enumerate(m.layers)}
    finally:
        p.end_flops_calculate()
    return Measured(total, per)


MEASURE = {
    "flopcounter": m_flopcounter, "fvcore": m_fvcore, "ptflops": m_ptflops,
    "ptflops-aten": m_ptflops_aten, "thop": m_thop, "torchinfo": m_torchinfo,
    "torchscan": m_torchscan, "deepspeed": m_deepspeed,
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("tool", list(MEASURE))
def test_count_is_what_the_tool_reports(tool, name):
    _require(tool)
    net, Net = case(name)
    ours = count(net, tool)
    skip_rows: set[int] = set()
    if tool == "deepspeed":
        skip_rows = {i for i, r in enumerate(net.rows) if _calflops_differs(r)}
        if any(r.kind == "upsample" and r.layer.fh is not None for r in net.rows):
            pytest.skip("calflops 0.3.2 raises on upsampling by a factor (DeepSpeed 0.19.8 "
                        "counts it; see test_where_calflops_differs_from_deepspeed)")
    got = MEASURE[tool](Net)
    if not skip_rows:
        assert got.total == ours.total and got.total == int(got.total)
    if got.per is not None:
        theirs = [got.per.get(i, 0) for i in range(len(net.rows))]
        mine = [v or 0 for v in ours.values]
        assert [t for i, t in enumerate(theirs) if i not in skip_rows] == \
            [v for i, v in enumerate(mine) if i not in skip_rows]
    if got.flagged is not None:
        assert set(ours.uncounted) == got.flagged
    else:
        assert ours.uncounted == ()


def test_where_calflops_differs_from_deepspeed():
    """calflops 0.3.2's transposed conv: filters = weight.shape[1] // groups (DeepSpeed
    0.19.8: weight.shape[1], already per group) and a bias over conv-shaped output dims
    ((H + 2p − k)//s + 1; DeepSpeed: the real output). Upsampling by a tuple of factors
    raises in calflops; DeepSpeed counts input elements × ∏ factors."""
    _require("deepspeed")
    net, Net = case("tconv")
    got = m_deepspeed(Net)
    ds = count(net, "deepspeed")
    for i, row in enumerate(net.rows):
        layer, x = row.layer, net.rows[i - 1].output if i else net.input
        sh, sw = layer.sh or layer.stride, layer.sw or layer.stride
        ph = layer.ph if layer.ph is not None else layer.pad
        pw = layer.pw if layer.pw is not None else layer.pad
        per_group = layer.filters // layer.groups
        weights = layer.kh * layer.kw * x.c * (per_group // layer.groups)
        conv_h = (x.h + 2 * ph - (layer.dilation * (layer.kh - 1) + 1)) // sh + 1
        conv_w = (x.w + 2 * pw - (layer.dilation * (layer.kw - 1) + 1)) // sw + 1
        bias = per_group * conv_h * conv_w if layer.bias else 0
        assert got.per[i] == 2 * weights * x.h * x.w + bias
        assert ds.values[i] == 2 * row.macs + (row.output.elements if layer.bias else 0)
    _, Net = case("upsample_factor")
    with pytest.raises(TypeError):
        m_deepspeed(Net)
    up = count(case("upsample_factor")[0], "deepspeed")
    assert up.values == tuple(r.output.elements for r in case("upsample_factor")[0].rows)
