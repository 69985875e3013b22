"""Bring your own model: ONNX files and torch modules in, the same Document out.

Three kinds of evidence:

- committed fixtures (tests/fixtures/onnx/, written by tests/fixtures/make_onnx.py
  with onnx.helper): the reader op by op, without torch, against the canonical
  spec each must print — and that spec parses back to the same network;
- round trips over the zoo: `export_torch` → `torch.onnx.export` (eval mode, BN
  kept) → `load_onnx`, and `export_torch` → `from_torch`, each giving the params,
  MACs, Eq. (1) and every layer's output shape of the original spec;
- bad input: not ONNX, truncated, dynamic input without a shape, a too new opset,
  ops without a layer (all listed), graphs that are not branch blocks.
"""

from __future__ import annotations

import io
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from cnncost.costs import analyze
from cnncost.errors import CnnCostError
from cnncost.model import Shape
from cnncost.printer import format_document
from cnncost.resolve import literal, load, one_network
from cnncost.yaml_spec import load_document

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "onnx"

# What each fixture prints (cnncost fmt of the imported model).
EXPECTED = {
    "basic.onnx": "Input(16,16,3)\n→ 8F(3,3,s=2) → bn → relu → max-p(3,3,2,p=1) → 8F(1,1,b=0) "
                  "→ relu6 → gap → 10fc → softmax\n",
    "branches.onnx": "Input(8,8,8)\n→ res[ 8F(3,3) → relu → 8F(3,3) ] → concat[ 4F(1,1) | "
                     "4F(3,3) | max-p(3,3,1,p=1) ] → se(4) → swish → shuffle(2) → concat[ "
                     "chunk(2,1) | chunk(2,2) → 8F(1,1) ] → hswish\n",
    "ops.onnx": "Input(8,8,4)\n→ 8F(3,3,s=2,p=tf) → pad(t=1,r=1) → avg-p(2,2,1) → "
                "max-p(3,3,2,ceil=1) → gn(2) → gelu → lrelu(0.1) → prelu → in(affine=1) → ln "
                "→ 4T(2,2,s=2) → up(2) → ps(2) → pu(2) → pad(1) → dropout → hsigmoid → tanh "
                "→ elu → gap → 5fc\n",
}


def summary(graph) -> tuple:
    """What must survive an import: params (of the layers that run at inference),
    MACs, Eq. (1), and every inference layer's output shape. Dropout is left out of
    the shapes: exporters drop it in eval mode."""
    net = analyze(graph)
    rows = [r for r in net.rows if not r.train_only]
    return (sum(r.params for r in rows), net.totals.macs, net.totals.complexity,
            [str(r.output) for r in rows if r.kind != "dropout"])


def reparse(text: str):
    """The network the printed canonical form reads back as."""
    doc = literal(text) if text.startswith("Input(") else load_document(text, "<printed>")
    return one_network(doc)


def check_prints_back(doc) -> None:
    net = one_network(doc)
    assert summary(reparse(format_document(doc)).graph()) == summary(net.graph())
    back = reparse(format_document(doc)).graph()
    assert [n.layer for n in back.nodes] == [n.layer for n in net.graph().nodes]


# ---------------------------------------------------------------------------
# Fixtures: the reader without an exporter


@pytest.fixture(scope="module")
def onnx():
    return pytest.importorskip("onnx")


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_fixture_prints_its_canonical_spec(onnx, file):
    from cnncost.onnx_import import load_onnx
    doc = load_onnx(FIXTURES / file)
    assert format_document(doc) == EXPECTED[file]
    check_prints_back(doc)
    # the same network as the spec written by hand (costs and shapes)
    assert summary(one_network(doc).graph()) == summary(one_network(literal(EXPECTED[file])).graph())


def test_fixture_bytes_and_path_read_alike(onnx):
    from cnncost.onnx_import import load_onnx
    data = (FIXTURES / "basic.onnx").read_bytes()
    by_bytes, by_path = load_onnx(data), load_onnx(FIXTURES / "basic.onnx")
    assert format_document(by_bytes) == format_document(by_path)
    assert by_path.name == "basic" and one_network(by_path).description == "imported from ONNX"


def test_fixture_params_are_counted_per_use(onnx):
    """basic.onnx by hand: conv 3·3·3·8 + 8, BN 2·8, conv 8·8, fc 8·10 + 10."""
    from cnncost.onnx_import import load_onnx
    net = analyze(one_network(load_onnx(FIXTURES / "basic.onnx")).graph())
    assert net.totals.params == (3 * 3 * 3 * 8 + 8) + 2 * 8 + 8 * 8 + (8 * 10 + 10)


def test_shared_weights_count_at_each_use(onnx):
    """Two convolutions reading one initializer: params at each use, the sharing listed."""
    from onnx import TensorProto, helper, numpy_helper
    import numpy as np
    w = numpy_helper.from_array(np.ones((4, 4, 3, 3), np.float32), "shared_w")
    nodes = [helper.make_node("Conv", ["x", "shared_w"], ["a"], name="c1", pads=[1] * 4),
             helper.make_node("Conv", ["a", "shared_w"], ["b"], name="c2", pads=[1] * 4)]
    graph = helper.make_graph(nodes, "tied",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                              [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4, 8, 8])],
                              [w])
    from cnncost.onnx_import import import_onnx
    got = import_onnx(helper.make_model(graph).SerializeToString())
    assert analyze(got.network.graph()).totals.params == 2 * 4 * 4 * 9
    assert got.shared == (("shared_w", 2),)


def test_dynamic_input_needs_a_shape(onnx):
    from cnncost.onnx_import import load_onnx
    with pytest.raises(CnnCostError) as e:
        load_onnx(FIXTURES / "dynamic.onnx")
    assert e.value.message == ("the model's input 'input' is [batch, 3, height, width]: its "
                               "height, width are dynamic, so an input shape is needed")
    assert "--input" in e.value.cli_hint
    doc = load_onnx(FIXTURES / "dynamic.onnx", Shape(20, 30, 3))
    assert format_document(doc) == "Input(20,30,3)\n→ 4F(3,3) → relu\n"


def test_an_input_shape_that_contradicts_the_model(onnx):
    from cnncost.onnx_import import load_onnx
    with pytest.raises(CnnCostError, match="its channels is 3"):
        load_onnx(FIXTURES / "basic.onnx", Shape(16, 16, 4))


def test_unsupported_ops_are_listed_with_names_and_counts(onnx):
    from cnncost.onnx_import import import_onnx, load_onnx
    with pytest.raises(CnnCostError) as e:
        load_onnx(FIXTURES / "unsupported.onnx")
    assert e.value.message == (
        "the ONNX model has 3 nodes cnncost cannot cost — Abs ×2: /abs_2/Abs (no cnncost "
        "layer), /abs_4/Abs (no cnncost layer); Sin ×1: /sin_5/Sin (no cnncost layer)")
    assert "allow_unsupported=True" in e.value.hint
    got = import_onnx(FIXTURES / "unsupported.onnx", allow_unsupported=True)
    assert [(u.op, u.name) for u in got.uncosted] == [
        ("Abs", "/abs_2/Abs"), ("Abs", "/abs_4/Abs"), ("Sin", "/sin_5/Sin")]
    assert format_document(got.document) == "Input(8,8,3)\n→ 4F(3,3)×2\n"
    assert "not costed: Abs /abs_2/Abs, Abs /abs_4/Abs, Sin /sin_5/Sin" in \
        got.network.description


def test_a_shape_changing_unsupported_op_cannot_be_skipped(onnx):
    from onnx import TensorProto, helper
    nodes = [helper.make_node("ReduceSum", ["x"], ["y"], name="sum_c", keepdims=1)]
    graph = helper.make_graph(nodes, "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    from cnncost.onnx_import import load_onnx
    with pytest.raises(CnnCostError, match="ReduceSum ×1: sum_c .*changes the tensor's shape"):
        load_onnx(helper.make_model(graph).SerializeToString(), allow_unsupported=True)


def test_a_graph_that_is_not_branch_blocks(onnx):
    from cnncost.onnx_import import load_onnx
    with pytest.raises(CnnCostError) as e:
        load_onnx(FIXTURES / "not_series_parallel.onnx")
    assert e.value.message == ("the model is not a chain of branch blocks: the output of Conv "
                               "/conv_1/Conv is read in two different branches")


def test_not_onnx(onnx, tmp_path):
    from cnncost.onnx_import import load_onnx
    text = tmp_path / "spec.onnx"
    text.write_text("Input(224,224,3) -> 64F(7,7,s=2) -> relu\n")
    with pytest.raises(CnnCostError, match=r"spec.onnx is not an ONNX model"):
        load_onnx(text)
    with pytest.raises(CnnCostError, match="is empty, not an ONNX model"):
        load_onnx(b"")
    with pytest.raises(CnnCostError, match="no such file"):
        load_onnx(tmp_path / "missing.onnx")
    with pytest.raises(CnnCostError, match="is a directory"):
        load_onnx(tmp_path)


def test_truncated(onnx):
    from cnncost.onnx_import import load_onnx
    data = (FIXTURES / "branches.onnx").read_bytes()
    with pytest.raises(CnnCostError, match="truncated or not an ONNX model"):
        load_onnx(data[: len(data) // 2])


def test_an_opset_too_new(onnx):
    model = onnx.load(FIXTURES / "basic.onnx")
    model.opset_import[0].version = 999
    from cnncost.onnx_import import load_onnx
    with pytest.raises(CnnCostError, match="uses ONNX opset 999, newer than the"):
        load_onnx(model.SerializeToString())


def test_one_input_and_one_output(onnx):
    from onnx import TensorProto, helper
    from cnncost.onnx_import import load_onnx
    vi = helper.make_tensor_value_info
    two_in = helper.make_graph([helper.make_node("Add", ["x", "y"], ["z"])], "g",
                               [vi("x", TensorProto.FLOAT, [1, 4, 8, 8]),
                                vi("y", TensorProto.FLOAT, [1, 4, 8, 8])],
                               [vi("z", TensorProto.FLOAT, [1, 4, 8, 8])])
    with pytest.raises(CnnCostError, match=r"takes 2 inputs \(x, y\)"):
        load_onnx(helper.make_model(two_in).SerializeToString())
    two_out = helper.make_graph([helper.make_node("Relu", ["x"], ["a"]),
                                 helper.make_node("Sigmoid", ["x"], ["b"])], "g",
                                [vi("x", TensorProto.FLOAT, [1, 4, 8, 8])],
                                [vi("a", TensorProto.FLOAT, None), vi("b", TensorProto.FLOAT, None)])
    with pytest.raises(CnnCostError, match="has 2 outputs"):
        load_onnx(helper.make_model(two_out).SerializeToString())


def test_without_the_onnx_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx raises ImportError
    from cnncost.onnx_import import load_onnx
    with pytest.raises(CnnCostError) as e:
        load_onnx(FIXTURES / "basic.onnx")
    assert e.value.message == "reading ONNX needs the onnx package"
    assert e.value.hint == "pip install 'cnncost[onnx]'"


def test_importing_the_modules_loads_neither_onnx_nor_torch():
    code = ("import sys, cnncost.onnx_import, cnncost.torch_import; "
            "print(sorted(m for m in ('onnx', 'torch', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# Round trips over the whole zoo, every variant (he2015-a, regnet_y_400mf, …).
# No real weights: from_torch traces a module built on the meta device (fake
# tensors, no arithmetic); the ONNX export runs the forward once, so its module
# holds one number per parameter (each broadcast to its shape, stride 0) and is
# exported with export_params=False (weights become graph inputs, read for their
# shapes). inception_v3 keeps its aux head only in training, so eval mode loses
# the head's params (the summary compares the inference layers).


def _zoo_entries() -> list[str]:
    from cnncost import zoo
    out = []
    for file in zoo.names():
        nets = load(file).networks
        out += [file] if len(nets) == 1 else [zoo.entry_name(file, k) for k in nets]
    return out


ZOO = _zoo_entries()
# Through ONNX: the export runs the forward on CPU, so the five slowest (5–16 s each
# on two cores) are left out; a smaller sibling of each uses the same layers, and
# from_torch reads all five.
ONNX_SLOW = {"regnet_y_128gf", "fcn_resnet101", "efficientnet_v2_l", "deeplabv3_resnet101",
             "convnext_large"}
ONNX_ZOO = [n for n in ZOO if n not in ONNX_SLOW]


def _zoo_module(name: str):
    torch = pytest.importorskip("torch")
    from cnncost.torch_export import export_torch
    graph = one_network(load(name)).graph()
    namespace: dict = {}
    exec(compile(export_torch(graph), f"<{name}>", "exec"), namespace)
    with torch.device("meta"):
        module = namespace["Net"]().eval()
    return graph, module


def _weightless(torch, module):
    """The module on CPU with one number per parameter and buffer, broadcast."""
    for sub in module.modules():
        for table in (sub._parameters, sub._buffers):
            for key, t in list(table.items()):
                if t is not None:
                    small = torch.ones((), dtype=t.dtype).expand(t.shape)
                    table[key] = torch.nn.Parameter(small, requires_grad=False) \
                        if table is sub._parameters else small
    return module


def _onnx_bytes(torch, module) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # the TorchScript exporter: the dynamo one needs onnxscript; PRESERVE keeps BN
        torch.onnx.export(module, (torch.zeros(1, *module.input_shape),), buffer, dynamo=False,
                          training=torch.onnx.TrainingMode.PRESERVE, opset_version=17,
                          export_params=False, do_constant_folding=False)
    return buffer.getvalue()


@pytest.mark.parametrize("name", ONNX_ZOO)
def test_zoo_round_trip_through_onnx(onnx, name):
    torch = pytest.importorskip("torch")
    from cnncost.onnx_import import load_onnx
    graph, module = _zoo_module(name)
    doc = load_onnx(_onnx_bytes(torch, _weightless(torch, module)), name=name)
    assert summary(one_network(doc).graph()) == summary(graph)
    check_prints_back(doc)


@pytest.mark.parametrize("name", ZOO)
def test_zoo_round_trip_through_from_torch(name):
    pytest.importorskip("torch")
    from cnncost.torch_import import from_torch
    graph, module = _zoo_module(name)
    doc = from_torch(module, graph.input, name=name)
    assert summary(one_network(doc).graph()) == summary(graph)
    check_prints_back(doc)


def test_weights_as_graph_inputs(onnx):
    """export_params=False: the weights are inputs; their shapes give the params."""
    torch = pytest.importorskip("torch")
    from cnncost.onnx_import import import_onnx
    graph, module = _zoo_module("resnet18")
    got = import_onnx(_onnx_bytes(torch, _weightless(torch, module)))
    assert analyze(got.network.graph()).totals.params == analyze(graph).totals.params


# ---------------------------------------------------------------------------
# from_torch on modules written by hand


def test_from_torch_reads_a_handwritten_module():
    torch = pytest.importorskip("torch")
    from torch import nn
    from cnncost.torch_import import from_torch

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Conv2d(16, 16, 3, padding=1), nn.Conv2d(16, 16, 1)

        def forward(self, x):
            return torch.cat([torch.relu(self.a(x)), self.b(x)], 1)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=2, padding=1, bias=False),
                                      nn.BatchNorm2d(16), nn.ReLU(inplace=True))
            self.body = nn.Sequential(Block(), nn.LocalResponseNorm(5))
            self.head = nn.Linear(32, 10)

        def forward(self, x):
            x = self.body(self.stem(x))
            return self.head(x.mean((2, 3)))

    module = Net()
    doc = from_torch(module, (3, 32, 32))
    assert format_document(doc) == (
        'name: "Net"\ninput: 32x32x3\npadding: same\nstages:\n'
        '  "stem": "16F(3,3,s=2,b=0) → bn → relu"\n'
        '  "body": "concat[ 16F(3,3) → relu | 16F(1,1) ] → lrn(5) → gap"\n'
        '  "head": "10fc"\n')  # the mean in Net.forward has no module: it joins the stage before
    assert analyze(one_network(doc).graph()).totals.params == \
        sum(p.numel() for p in module.parameters())
    assert module.training  # the module is left as it was


def test_from_torch_lists_unsupported_ops():
    torch = pytest.importorskip("torch")
    from torch import nn
    from cnncost.torch_import import from_torch, import_torch

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 4, 3, padding=1)

        def forward(self, x):
            return torch.sin(torch.abs(self.conv(x)))

    with pytest.raises(CnnCostError, match=r"PyTorch model has 2 nodes .* abs ×1: abs .*sin ×1"):
        from_torch(Net(), Shape(8, 8, 3))
    got = import_torch(Net(), Shape(8, 8, 3), allow_unsupported=True)
    assert [u.op for u in got.uncosted] == ["abs", "sin"]
    assert format_document(got.document).endswith("→ 4F(3,3)\n")
    with pytest.raises(CnnCostError, match="needs a torch.nn.Module"):
        from_torch(lambda x: x, Shape(8, 8, 3))


# ---------------------------------------------------------------------------
# Every layer kind at awkward sizes (test_torch's cases), through both front-ends

# Not read through ONNX: torch's exporter writes mish and gelu(tanh) (opset 17) as
# primitive ops cnncost does not match, and cannot export adaptive pooling to sizes
# that do not divide the map (adaptive, small_maps).
NOT_THROUGH_ONNX = {"activations_new", "adaptive", "small_maps"}


def _kind_cases(skip: set[str]) -> list:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from test_torch import KINDS, PADDING, TF_POLICY
    except pytest.skip.Exception:
        return []
    cases = {**{k: (v, PADDING.get(k, "same")) for k, v in KINDS.items()},
             "tf_policy": (TF_POLICY, "tf")}
    return [pytest.param(text, padding, id=name) for name, (text, padding) in cases.items()
            if name not in skip]


def _kind_module(text: str, padding: str):
    torch = pytest.importorskip("torch")
    from cnncost.notation import parse_spec
    from cnncost.torch_export import export_torch
    graph = parse_spec(text, padding=padding)
    namespace: dict = {}
    exec(compile(export_torch(graph), "<kinds>", "exec"), namespace)
    torch.manual_seed(0)
    return graph, namespace["Net"]().eval()


@pytest.mark.parametrize("text, padding", _kind_cases(NOT_THROUGH_ONNX))
def test_layer_kinds_round_trip_through_onnx(onnx, text, padding):
    torch = pytest.importorskip("torch")
    from cnncost.onnx_import import load_onnx
    graph, module = _kind_module(text, padding)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.zeros(1, *module.input_shape),), buffer, dynamo=False,
                          training=torch.onnx.TrainingMode.PRESERVE, opset_version=17)
    doc = load_onnx(buffer.getvalue())
    assert summary(one_network(doc).graph()) == summary(graph)
    check_prints_back(doc)


@pytest.mark.parametrize("text, padding", _kind_cases(set()))
def test_layer_kinds_round_trip_through_from_torch(text, padding):
    from cnncost.torch_import import from_torch
    graph, module = _kind_module(text, padding)
    doc = from_torch(module, graph.input)
    assert summary(one_network(doc).graph()) == summary(graph)
    check_prints_back(doc)
