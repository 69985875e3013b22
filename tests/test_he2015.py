"""He & Sun 2015, Table 1: A–J reproduced from Eq. (1), independently of the code.

The expected complexities are computed here from the paper's Eq. (1),
Σ n_{l−1}·s_l²·n_l·m_l², over map sizes derived in this file from the paper's
text: conv1 7×7/2 unpadded (224 → 109), 3/3 pooling → 36, odd kernels keep the
size, runs of 2×2 convolutions alternate unpadded/padded (36 → 35 → 36 …),
2/2 pooling → 18, 3/3 pooling → 6. A PyTorch model built here from the same
layer lists checks the parameter counts and every convolution's output size.
"""

from __future__ import annotations

import pytest

from cnncost.comparison import compare
from cnncost.costs import analyze
from cnncost.resolve import load, one_network

# (filter size, filters) per stage, read off Table 1.
MODELS = {
    "A": {2: [(5, 128)], 3: [(3, 256)] * 3},
    "B": {2: [(5, 128)], 3: [(2, 256)] * 6},
    "C": {2: [(3, 128)] * 2, 3: [(3, 256)] * 3},
    "D": {2: [(3, 128)] * 2, 3: [(2, 256)] * 6},
    "E": {2: [(2, 128)] * 4, 3: [(2, 256)] * 6},
    "F": {2: [(5, 128)], 3: [(3, 160)] * 5 + [(3, 256)]},
    "G": {2: [(5, 128)], 3: [(3, 128)] * 8 + [(3, 256)]},
    "H": {2: [(3, 64)] * 3 + [(3, 128)], 3: [(3, 256)] * 3},
    "I": {2: [(3, 64)] * 3 + [(3, 128)], 3: [(2, 256)] * 6},
    "J": {2: [(2, 128)] * 4, 3: [(2, 256)] * 4, 4: [(2, 2304), (2, 256)]},
}
STAGE_INPUT = {2: 36, 3: 18, 4: 6}  # the paper's "dominantly" 36, 18 and 6


def stage_maps(convs: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """(output size, padding) of each conv: odd kernels keep the size; even
    kernels alternate unpadded (size − 1) and padded by k/2 (back to size)."""
    out, run = [], 0
    for k, _ in convs:
        if k % 2:
            out.append((size, (k - 1) // 2))
            run = 0
        else:
            run += 1
            pad = 0 if run % 2 else k // 2
            size = size + 2 * pad - k + 1
            out.append((size, pad))
    return out


def expected(model: str) -> dict[str, int]:
    """Eq. (1) per stage and in total, and the conv depth."""
    stage1 = 3 * 7 * 7 * 64 * 109 * 109
    per = {"1": stage1}
    c_in = 64
    for stage, convs in MODELS[model].items():
        total = 0
        for (k, n), (m, _) in zip(convs, stage_maps(convs, STAGE_INPUT[stage])):
            total += c_in * k * k * n * m * m
            c_in = n
        per[str(stage)] = total
    per["total"] = sum(per.values())
    per["depth"] = 1 + sum(len(c) for c in MODELS[model].values())
    return per


def net(model: str):
    return analyze(one_network(load(f"he2015-{model.lower()}")).graph())


@pytest.mark.parametrize("model", sorted(MODELS))
def test_complexity_matches_eq1(model):
    exp = expected(model)
    cost = net(model)
    assert cost.totals.complexity == exp["total"]
    assert cost.totals.conv_layers == exp["depth"]
    stages = {s.name: s.totals.complexity for s in cost.stages}
    for stage, value in exp.items():
        if stage not in ("total", "depth"):
            assert stages[stage] == value, stage


def test_relative_complexity_and_design():
    """comp. = Eq. (1) / A's; B–J were designed to stay close to A."""
    doc = load("he2015")
    costs = [analyze(doc.networks[m].graph()) for m in sorted(MODELS)]
    cmp = compare(costs, "A")
    a_total = expected("A")["total"]
    for row in cmp.rows:
        assert row.relative("complexity") == expected(row.name)["total"] / a_total
        assert 0.9 < row.relative("complexity") < 1.05


def test_stage3_replacements_of_a():
    """B's stage 3 costs about 7% less than A's; F's and G's exactly the same."""
    a3 = expected("A")["3"]
    assert expected("F")["3"] == a3 == expected("G")["3"]
    assert round(expected("B")["3"] / a3, 2) == 0.93
    for model in "BFG":
        assert {s.name: s.totals.complexity for s in net(model).stages}["3"] == expected(model)["3"]


def torch_model(model: str):
    torch = pytest.importorskip("torch")
    nn = torch.nn

    class SPP(nn.Module):
        def forward(self, x):
            return torch.cat([nn.functional.adaptive_max_pool2d(x, n).flatten(1)
                              for n in (6, 3, 2, 1)], 1)

    layers = [nn.Conv2d(3, 64, 7, stride=2), nn.ReLU(), nn.MaxPool2d(3, 3)]
    c_in = 64
    pools = {2: nn.MaxPool2d(2, 2), 3: nn.MaxPool2d(3, 3) if 4 in MODELS[model] else None}
    for stage, convs in MODELS[model].items():
        for (k, n), (_, pad) in zip(convs, stage_maps(convs, STAGE_INPUT[stage])):
            layers += [nn.Conv2d(c_in, n, k, padding=pad), nn.ReLU()]
            c_in = n
        if pools.get(stage) is not None:
            layers.append(pools[stage])
    layers += [SPP(), nn.Linear(c_in * 50, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
               nn.Linear(4096, 1000), nn.Softmax(1)]
    return nn.Sequential(*layers)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_pytorch_params_and_map_sizes(model):
    torch = pytest.importorskip("torch")
    with torch.device("meta"):
        m = torch_model(model)
        sizes = []
        for layer in m:
            if isinstance(layer, torch.nn.Conv2d):
                layer.register_forward_hook(lambda mod, i, o: sizes.append(tuple(o.shape[1:])))
        m(torch.empty(1, 3, 224, 224))
    cost = net(model)
    assert cost.totals.params == sum(p.numel() for p in m.parameters())
    ours = [(r.output.c, r.output.h, r.output.w) for r in cost.rows if r.kind == "conv"]
    assert ours == sizes
