"""Views of `analyze`: --depth (blocks folded into one row), --columns, --share.

The folded rows are checked against the layers they fold (summed here from the
per-layer JSON, a path that does not fold), against the totals, against blocks
built in PyTorch (params by numel(), FLOPs by FlopCounterMode), and against
values worked out by hand.
"""

from __future__ import annotations

import csv
import io
import json

import pytest

from clihelp import run

# Metrics whose rows add up; live_bytes is the most alive at once, so its fold is a max.
SUMMED = ("params", "macs", "flops", "complexity", "activations", "ops", "param_bytes",
          "activation_bytes", "train_saved_bytes", "train_flops", "bytes_moved")


def analyze_json(*args: str) -> dict:
    code, out, err = run("analyze", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def check_partition(doc: dict) -> None:
    """The blocks tile the layers in order; each one's metrics are its layers'
    totals, its output its last (non-aux) layer's; and they add up to the totals."""
    layers = doc["layers"]
    at = 1
    for b in doc["blocks"]:
        assert b["index"] == at
        mine = layers[at - 1: at - 1 + b["layers"]]
        assert len(mine) == b["layers"] >= 1
        for key in SUMMED:
            assert b[key] == sum(d[key] for d in mine), (b["name"], key)
        assert b["live_bytes"] == max(d["live_bytes"] for d in mine)
        assert b["flops"] == 2 * b["macs"]
        # every layer it folds is inside it: its path starts with the block's
        if b["kind"] != "aux":  # an aux[ … ] head's layers are all off the main path
            assert b["output"] == mine[-1]["output"]
        n = len(b["path"])
        for d in mine if doc["depth"] else ():
            assert d["path"][:n] == b["path"]
            # folded into the block, one level below its path; or the layer itself
            assert d["path"][n] == b["name"] if len(d["path"]) > n else d["name"] == b["name"]
        at += b["layers"]
    assert at == len(layers) + 1
    for key in SUMMED:
        assert sum(b[key] for b in doc["blocks"]) == doc["totals"][key], key


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "googlenet", "mobilenet_v2",
                                  "convnext"])
@pytest.mark.parametrize("depth", [0, 1, 2, 3, 4])
def test_folded_rows_add_up(name, depth):
    doc = analyze_json(name, "--depth", str(depth))
    assert doc["depth"] == depth
    if depth == 0:
        assert len(doc["blocks"]) == 1 and doc["blocks"][0]["layers"] == len(doc["layers"])
        assert doc["blocks"][0]["name"] == doc["name"]
        check_partition(doc)
        return
    check_partition(doc)


def test_depth_one_is_the_stages():
    doc = analyze_json("resnet50", "--depth", "1")
    stages = analyze_json("resnet50")["stages"]
    assert [b["name"] for b in doc["blocks"]] == [s["name"] for s in stages] == \
        ["conv1", "conv2_x", "conv3_x", "conv4_x", "conv5_x", "head"]
    for b, s in zip(doc["blocks"], stages):
        assert (b["params"], b["macs"], b["output"]) == (s["params"], s["macs"], s["output"])


def test_without_depth_no_paths():
    doc = analyze_json("resnet18")
    assert "blocks" not in doc and "depth" not in doc
    assert all("path" not in d for d in doc["layers"])


def test_resnet_blocks_are_rows():
    """torchvision's resnet18 as layer1…layer4 of BasicBlocks: at depth 2 each block
    (a repeat of a block is that many blocks) is one row; depth 3 opens each one."""
    doc = analyze_json("resnet18", "--depth", "2")
    names = [b["name"] for b in doc["blocks"]]
    assert names == ["conv1", "bn1", "relu1", "pool1", "basic1", "basic2", "basic_proj1",
                     "basic3", "basic_proj2", "basic4", "basic_proj3", "basic5", "pool2", "fc1"]
    rows = {b["name"]: b for b in doc["blocks"]}
    # BasicBlock(64): two 3×3 convs 64→64 without bias and two BNs; 7 layers with the add, relu
    assert rows["basic1"]["params"] == 2 * (3 * 3 * 64 * 64) + 2 * (2 * 64)
    assert rows["basic1"]["macs"] == 2 * (3 * 3 * 64 * 64 * 56 * 56)
    assert rows["basic1"]["layers"] == 7
    assert rows["basic1"]["notation"] == "basic(64)" and rows["basic1"]["kind"] == "block"
    assert rows["basic_proj1"]["output"] == [28, 28, 128]
    assert rows["basic_proj1"]["path"] == ["conv3_x"]
    deeper = [b["name"] for b in analyze_json("resnet18", "--depth", "3")["blocks"]][4:8]
    assert deeper == ["res1", "relu3", "res2", "relu5"]


def test_googlenet_inception_modules():
    doc = analyze_json("googlenet", "--depth", "2")
    rows = [b for b in doc["blocks"] if b["kind"] == "block"]
    assert [b["name"] for b in rows if b["name"].startswith("inception")] == \
        [f"inception{i}" for i in range(1, 10)]
    i3a = next(b for b in rows if b["name"] == "inception1")
    # 3a: 1×1 64 | 1×1 96 → 3×3 128 | 1×1 16 → 3×3 32 | pool → 1×1 32, each conv + BN (γ, β)
    convs = [(192, 64, 1), (192, 96, 1), (96, 128, 3), (192, 16, 1), (16, 32, 3), (192, 32, 1)]
    assert i3a["params"] == sum(k * k * a * b + 2 * b for a, b, k in convs)
    assert i3a["output"] == [28, 28, 256]
    assert i3a["macs"] == sum(k * k * a * b * 28 * 28 for a, b, k in convs)


def test_small_notation_spec_by_hand():
    doc = analyze_json("Input(8,8,4) -> res[4F(3,3) -> relu] -> (3,8)x2 -> gap -> 2fc",
                       "--depth", "2")
    rows = {b["name"]: b for b in doc["blocks"]}
    assert list(rows) == ["res1", "repeat1", "pool1", "fc1"]
    assert rows["res1"]["kind"] == "res" and rows["res1"]["layers"] == 3  # conv, relu, add
    assert rows["res1"]["params"] == 3 * 3 * 4 * 4 + 4
    assert rows["res1"]["macs"] == 3 * 3 * 4 * 4 * 8 * 8
    assert rows["repeat1"]["notation"] == "(3,8)x2" and rows["repeat1"]["layers"] == 2
    assert rows["repeat1"]["params"] == (9 * 4 * 8 + 8) + (9 * 8 * 8 + 8)
    assert rows["repeat1"]["macs"] == 8 * 8 * (9 * 4 * 8 + 9 * 8 * 8)
    assert rows["repeat1"]["rf"] == 1 + 2 + 2 + 2  # three 3×3 convs, stride 1
    check_partition(doc)


def test_yaml_blocks_and_cin_blocks_keep_their_names(tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text("""name: small
input: 16x16x3
blocks:
  unit(w): "{w}F(3,3) → relu"
  squeeze(r): mul[ id | gap → {cin // r}fc → relu → {cin}fc → sigmoid ]
stages:
  a: unit(8) → squeeze(2)
  b: "[unit(16) → unit(16)]x2"
  head: gap → 10fc
""", encoding="utf-8")
    doc = analyze_json(str(spec), "--depth", "2")
    assert [(b["name"], b["layers"]) for b in doc["blocks"]] == [
        ("unit1", 2), ("squeeze1", 6), ("repeat1", 8), ("pool2", 1), ("fc3", 1)]
    se = doc["blocks"][1]
    assert se["kind"] == "block" and se["notation"] == "squeeze(2)"
    assert se["params"] == (8 * 4 + 4) + (4 * 8 + 8)  # 8→4 fc, 4→8 fc
    inner = analyze_json(str(spec), "--depth", "3")["blocks"]
    # level 3: the layers of unit1 and squeeze1, and the four blocks of the repeat
    assert [b["name"] for b in inner] == ["conv1", "relu1", "pool1", "fc1", "relu2", "fc2",
                                          "sigmoid1", "mul1", "unit2", "unit3", "unit4",
                                          "unit5", "pool2", "fc3"]
    assert inner[8]["path"] == ["b", "repeat1"]
    check_partition(doc)


def _torch_block_check(block, x_shape: tuple[int, ...], row: dict) -> None:
    torch = pytest.importorskip("torch")
    from torch.utils.flop_counter import FlopCounterMode
    assert sum(p.numel() for p in block.parameters()) == row["params"]
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        y = block.eval()(torch.zeros(*x_shape))
    assert counter.get_total_flops() == row["flops"]
    assert list(y.shape[2:]) + [y.shape[1]] == row["output"]


def test_basic_block_against_torch():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class BasicBlock(nn.Module):  # torchvision's, written out
        def __init__(self, cin, w, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, w, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(w)
            self.conv2 = nn.Conv2d(w, w, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(w)
            self.down = nn.Sequential(nn.Conv2d(cin, w, 1, stride, bias=False),
                                      nn.BatchNorm2d(w)) if stride != 1 else None

        def forward(self, x):
            y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
            return torch.relu(y + (self.down(x) if self.down is not None else x))

    rows = {b["name"]: b for b in analyze_json("resnet18", "--depth", "2")["blocks"]}
    _torch_block_check(BasicBlock(64, 64), (1, 64, 56, 56), rows["basic2"])
    _torch_block_check(BasicBlock(64, 128, 2), (1, 64, 56, 56), rows["basic_proj1"])
    _torch_block_check(BasicBlock(256, 512, 2), (1, 256, 14, 14), rows["basic_proj3"])


def test_bottleneck_against_torch():
    torch = pytest.importorskip("torch")
    nn = torch.nn

    def bottleneck(cin, w, stride):
        body = nn.Sequential(nn.Conv2d(cin, w, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                             nn.Conv2d(w, w, 3, stride, 1, bias=False), nn.BatchNorm2d(w),
                             nn.ReLU(), nn.Conv2d(w, 4 * w, 1, bias=False), nn.BatchNorm2d(4 * w))
        down = nn.Sequential(nn.Conv2d(cin, 4 * w, 1, stride, bias=False), nn.BatchNorm2d(4 * w))

        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.body, self.down = body, down

            def forward(self, x):
                return torch.relu(self.body(x) + self.down(x))
        return Block()

    rows = [b for b in analyze_json("resnet50", "--depth", "2")["blocks"]
            if b["name"].startswith("bottleneck_proj")]
    assert [b["stage"] for b in rows] == ["conv2_x", "conv3_x", "conv4_x", "conv5_x"]
    _torch_block_check(bottleneck(64, 64, 1), (1, 64, 56, 56), rows[0])
    _torch_block_check(bottleneck(256, 128, 2), (1, 256, 56, 56), rows[1])


def test_depth_table_csv_markdown():
    code, out, _ = run("analyze", "resnet18", "--depth", "2", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["name"] for r in rows][4:6] == ["basic1", "basic2"]
    assert sum(int(r["params"]) for r in rows) == 11689512  # torchvision's num_params
    assert sum(int(r["layers"]) for r in rows) == 68
    code, out, _ = run("analyze", "resnet18", "--depth", "1", "--format", "markdown")
    assert code == 0 and "| 4 | conv2_x |" in out and "| 15 |" in out  # 15 layers in conv2_x


# --columns --------------------------------------------------------------------------


def _header(out: str) -> list[str]:
    line = next(x for x in out.splitlines() if x.startswith("| #"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_columns_list_picks_columns():
    code, out, _ = run("analyze", "resnet18", "--columns", "flops,rf,jump,activations",
                       "--format", "markdown")
    assert code == 0
    assert _header(out) == ["#", "name", "layer", "output", "FLOPs", "activations", "share",
                            "rf", "jump"]
    row = next(x for x in out.splitlines() if x.startswith("| 4 |"))  # pool1: 3×3/2 after 7×7/2
    assert row.split("|")[-3:-1] == [" 11 ", " 4 "]  # rf 7 + (3−1)·2, jump 2·2
    code, out, _ = run("analyze", "resnet18", "--columns", "params,live_bytes", "--format", "csv")
    header = out.splitlines()[0].split(",")
    assert "live_bytes" in header and "rf" in header and "macs" in header


def test_columns_presets_unchanged():
    assert run("analyze", "he2015-a", "--columns", "default") == run("analyze", "he2015-a")
    code, out, _ = run("analyze", "resnet18", "--columns", "memory", "--format", "markdown")
    assert code == 0 and "live bytes" in _header(out) and "share" not in _header(out)


def test_columns_on_compare_and_diff():
    code, out, _ = run("compare", "he2015-a", "he2015-b", "--columns", "params,activations",
                       "--format", "csv")
    assert code == 0
    header = out.splitlines()[0].split(",")
    assert "activations" in header and "macs" not in header
    code, out, _ = run("diff", "he2015-a", "he2015-b", "--columns", "flops", "--format", "csv")
    assert code == 0 and "delta_flops" in out and "delta_macs" not in out


# --share ----------------------------------------------------------------------------

NET = "Input(8,8,4) -> 8F(3,3) -> gap -> 10fc"


def _share_of(out: str, name: str) -> str:
    row = next(x for x in out.splitlines() if f" {name} " in x and x.startswith("|"))
    return row.split("|")[-2].strip()


def test_share_of_macs_and_params():
    conv_macs, fc_macs = 8 * 8 * 9 * 4 * 8, 8 * 10
    conv_params, fc_params = 9 * 4 * 8 + 8, 8 * 10 + 10
    code, out, _ = run("analyze", NET, "--format", "markdown")
    assert _share_of(out, "fc1") == "0.0%"  # Eq. (1): an fc layer has none
    code, out, _ = run("analyze", NET, "--share", "macs", "--format", "markdown")
    assert code == 0 and _header(out)[-1] == "share of MACs"
    assert _share_of(out, "fc1") == f"{100 * fc_macs / (conv_macs + fc_macs):.1f}%" != "0.0%"
    code, out, _ = run("analyze", NET, "--share", "params", "--format", "markdown")
    assert _header(out)[-1] == "share of params"
    assert _share_of(out, "fc1") == f"{100 * fc_params / (conv_params + fc_params):.1f}%"
    code, out, _ = run("analyze", NET, "--share", "params", "--stages", "--format", "markdown")
    assert code == 0 and "share of params" in out


# bad input --------------------------------------------------------------------------


@pytest.mark.parametrize("args, words", [
    (("--depth", "-1"), ["'--depth'", "-1 is not a depth", "0 (the whole network)"]),
    (("--depth", "x"), ["'--depth'", "x"]),
    (("--columns", "bogus"), ["unknown column 'bogus'", "choose from: default, memory, params",
                              "rf, jump"]),
    (("--columns", "params,"), ["an empty column name", "choose from"]),
    (("--share", "flops"), ["'--share'", "'complexity', 'macs', 'params'"]),
    (("--stages", "--depth", "1"), ["--stages and --depth", "--depth 1"]),
])
def test_bad_views(args, words):
    code, out, err = run("analyze", "resnet18", *args)
    assert code == 2 and out == ""
    assert "Traceback" not in err and err.count("error:") == 1
    for w in words:
        assert w in err


def test_compare_columns_names_metrics_only():
    code, out, err = run("compare", "he2015-a", "he2015-b", "--columns", "params,rf")
    assert code == 2 and "rf is a layer's" in err and "choose from: params" in err


def test_api_fold_and_to_dict():
    import cnncost
    net = cnncost.analyze("googlenet")
    rows = net.fold(2)
    assert sum(r.totals.macs for r in rows) == net.totals.macs
    assert [r.name for r in rows] == [b["name"] for b in net.to_dict(depth=2)["blocks"]]
    assert net.fold(0)[0].totals.params == net.totals.params
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(cnncost.CnnCostError, match="is not a depth"):
            net.fold(bad)
