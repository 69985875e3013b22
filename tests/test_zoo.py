"""The zoo: every built-in spec parses, analyses, and agrees with its published figures."""

from __future__ import annotations

import json

import pytest

from clihelp import run
from cnncost import zoo
from cnncost.compare import matches_published
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
    assert all(s["agrees"] for s in json.loads(out)["specs"])
    code, out, _ = run("zoo", "he2015")
    assert code == 0 and "variants:" in out
    assert run("zoo", "resnet5O")[0] == 2
