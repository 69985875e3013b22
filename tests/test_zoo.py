"""The zoo: every built-in spec parses, analyses, and agrees with its published figures."""

from __future__ import annotations

import json
import re

import pytest

from clihelp import run
from cnncost import zoo
from cnncost.comparison import matches_published
from cnncost.costs import analyze
from cnncost.resolve import load

ENTRIES = [(name, key, net) for name in zoo.names()
           for key, net in load(name).networks.items()]


@pytest.mark.parametrize("name,key,net", ENTRIES, ids=[f"{e[0]}:{e[1]}" for e in ENTRIES])
def test_zoo_entry_analyses_and_agrees_with_reference(name, key, net):
    cost = analyze(net.graph())
    assert cost.totals.params > 0 and net.source, "every zoo entry names its source"
    ref = dict(net.reference)
    for metric in ("params", "macs"):
        if metric in ref:
            value = getattr(cost.totals, metric)
            assert matches_published(value, ref[metric]), (metric, value, ref[metric])


@pytest.mark.parametrize("value,published,ok", [
    (25_557_032, "25557032", True), (25_557_033, "25557032", False),
    (4_089_184_256, "4.09G", True), (4_094_999_999, "4.09G", True), (4_095_000_001, "4.09G", False),
    (568_740_000, "569M", True), (4_231_976, "4.2M", True), (4_260_000, "4.2M", False),
    (714_000_000, "0.71G", True), (1_000_000, "1,000,000", True),
])
def test_matches_published(value, published, ok):
    assert matches_published(value, published) is ok


def test_zoo_command_lists_everything():
    code, out, _ = run("zoo", "--format", "json")
    assert code == 0
    names = {s["name"] for s in json.loads(out)["specs"]}
    assert {"he2015-a", "he2015-j-prime"} <= names
    specs = json.loads(out)["specs"]
    assert all(s["agrees"] for s in specs if s["published_params"] or s["published_macs"])
    assert all(s["agrees"] is None for s in specs if not (s["published_params"] or s["published_macs"]))
    assert {s["name"] for s in specs if s["agrees"] is None} >= {"he2015-a", "alexnet_paper"}
    code, out, _ = run("zoo", "he2015")
    assert code == 0 and "variants:" in out
    assert run("zoo", "resnet5O")[0] == 2


REQUIRED = """alexnet vgg11 vgg13 vgg16 vgg19 vgg11_bn vgg13_bn vgg16_bn vgg19_bn googlenet resnet18
resnet34 resnet50 resnet101 resnet152 resnext50_32x4d wide_resnet50_2 mobilenet_v2
mobilenet_v3_large mobilenet_v3_small efficientnet_b0 efficientnet_b1 efficientnet_b2
efficientnet_b3 efficientnet_b4 efficientnet_b5 efficientnet_b6 efficientnet_b7
shufflenet_v2_x1_0 squeezenet1_0 squeezenet1_1 densenet121 alexnet_paper googlenet_paper
resnet50_v1 mobilenet_v1 channelnet_v1 channelnet_v2 channelnet_v3 he2015 he2015-a he2015-j
he2015-j-prime""".split()
TORCHVISION = [n for n in REQUIRED if not n.startswith(("he2015", "channelnet", "mobilenet_v1"))
               and not n.endswith(("_paper", "_v1"))]


@pytest.mark.parametrize("name", REQUIRED)
def test_every_named_model_is_built_in(name):
    assert zoo.find(name) is not None


@pytest.mark.parametrize("name", TORCHVISION)
def test_torchvision_entries_state_exact_params_and_published_gflops(name):
    ref = dict(load(name).networks[name].reference)
    assert ref["params"].isdigit(), "torchvision's num_params is exact"
    assert re.fullmatch(r"\d+\.\d\dG", ref["macs"]), ref["macs"]  # GFLOPS to two decimals


def test_resnet50_reports_torchvisions_params():
    code, out, _ = run("analyze", "resnet50", "--format", "json")
    assert code == 0 and json.loads(out)["totals"]["params"] == 25_557_032


def test_specs_copy_of_the_study_is_the_zoos():
    """specs/he2015.yaml is the user-facing copy of the built-in he2015; they must not drift."""
    from pathlib import Path
    root = Path(__file__).parent.parent
    assert (root / "specs" / "he2015.yaml").read_text() == (root / "cnncost" / "zoo" / "he2015.yaml").read_text()
