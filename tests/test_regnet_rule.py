"""RegNet's quantised linear rule (blocks.py's regnet_w/_d/_g) against independent figures.

Radosavovic et al. 2020, "Designing Network Design Spaces", §3.3; torchvision's
BlockParams.from_init_params + _adjust_widths_groups_compatibilty. The rule is
re-implemented here with numpy (in float64 as pycls does, and in float32 as
torchvision's torch code does), and checked against stage widths and depths known
from torchvision's models.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnncost.blocks import evaluate, make_divisible, regnet_d, regnet_g, regnet_stages, regnet_w

# torchvision's builders: (depth, w_0, w_a, w_m, group_width)
TORCHVISION = {
    "regnet_y_400mf": (16, 48, 27.89, 2.09, 8),
    "regnet_y_800mf": (14, 56, 38.84, 2.4, 16),
    "regnet_y_1_6gf": (27, 48, 20.71, 2.65, 24),
    "regnet_y_3_2gf": (21, 80, 42.63, 2.66, 24),
    "regnet_y_8gf": (17, 192, 76.82, 2.19, 56),
    "regnet_y_16gf": (18, 200, 106.23, 2.48, 112),
    "regnet_y_32gf": (20, 232, 115.89, 2.53, 232),
    "regnet_y_128gf": (27, 456, 160.83, 2.52, 264),
    "regnet_x_400mf": (22, 24, 24.48, 2.54, 16),
    "regnet_x_800mf": (16, 56, 35.73, 2.28, 16),
    "regnet_x_1_6gf": (18, 80, 34.01, 2.25, 24),
    "regnet_x_3_2gf": (25, 88, 26.31, 2.25, 48),
    "regnet_x_8gf": (23, 80, 49.56, 2.88, 120),
    "regnet_x_16gf": (22, 216, 55.59, 2.1, 128),
    "regnet_x_32gf": (23, 320, 69.86, 2.0, 168),
}

# Stage widths and depths of four of the models as published (pycls's RegNet configs;
# the last width is torchvision's fc in_features), written out by hand.
KNOWN = {
    "regnet_y_400mf": ([48, 104, 208, 440], [1, 3, 6, 6]),
    "regnet_y_800mf": ([64, 144, 320, 784], [1, 3, 8, 2]),
    "regnet_x_400mf": ([32, 64, 160, 400], [1, 2, 7, 12]),
    "regnet_x_32gf": ([336, 672, 1344, 2520], [2, 7, 13, 1]),
}


def reference(depth, w_0, w_a, w_m, group_width, dtype=np.float64):
    """The rule, re-implemented with numpy arrays in the given float type."""
    f = dtype
    cont = np.arange(depth).astype(f) * f(w_a) + f(w_0)
    caps = np.round(np.log(cont / f(w_0)) / f(np.log(f(w_m))))
    widths = (np.round(f(w_0) * np.power(f(w_m), caps) / f(8)) * 8).astype(int)
    edges = np.flatnonzero(np.diff(np.concatenate([[-1], widths, [-1]])))
    stage_widths, depths = widths[edges[:-1]], np.diff(edges)
    groups = np.minimum(group_width, stage_widths)
    adjusted = []
    for w, g in zip(stage_widths, groups):  # _make_divisible(w, g), written out again
        v = max(g, int(w + g / 2) // g * g)
        adjusted.append(v + g if v < 0.9 * w else v)
    return [int(w) for w in adjusted], [int(d) for d in depths], [int(g) for g in groups]


def ours(params):
    """(widths, depths, group widths) of every stage, through regnet_w/_d/_g."""
    depth, w_0, w_a, w_m, group_width = params
    args = (w_0, w_a, w_m, depth, group_width)
    stages = range(1, len(regnet_stages(*args)) + 1)
    return ([regnet_w(*args, i) for i in stages], [regnet_d(*args, i) for i in stages],
            [regnet_g(*args, i) for i in stages])


@pytest.mark.parametrize("name", sorted(KNOWN))
def test_known_stage_widths_and_depths(name):
    widths, depths, _ = ours(TORCHVISION[name])
    assert (widths, depths) == KNOWN[name]


@pytest.mark.parametrize("name", sorted(TORCHVISION))
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_every_torchvision_regnet_agrees_with_the_reimplementation(name, dtype):
    assert ours(TORCHVISION[name]) == reference(*TORCHVISION[name], dtype=dtype)
    assert sum(ours(TORCHVISION[name])[1]) == TORCHVISION[name][0]  # every block in a stage


def test_random_settings_agree_with_the_reimplementation():
    rng = np.random.default_rng(2020)
    for _ in range(300):
        depth = int(rng.integers(1, 40))
        w_0 = 8 * int(rng.integers(1, 60))
        w_a = round(float(rng.uniform(0, 250)), 2)
        w_m = round(float(rng.uniform(1.5, 3.0)), 2)
        g = int(rng.choice([1, 2, 4, 8, 16, 24, 48, 56, 64, 112, 128, 232]))
        assert ours((depth, w_0, w_a, w_m, g)) == reference(depth, w_0, w_a, w_m, g)


def test_group_width_compatibility_adjusts_the_width():
    # regnet_x_400mf: the first stage's 24 channels are fewer than the group width 16
    # rounds to: min(16, 24) = 16, 24 → 32; the group width stays 16
    assert regnet_stages(24, 24.48, 2.54, 22, 16)[0] == (32, 1, 16)
    # a group width above the width is capped at the width: one group
    assert regnet_stages(48, 0, 2.0, 3, 64) == ((48, 3, 48),)


def test_the_rule_against_torch_itself():
    """torchvision's own code, copied from models/regnet.py, in torch's float32."""
    torch = pytest.importorskip("torch")
    import math
    for name, (depth, w_0, w_a, w_m, group_width) in TORCHVISION.items():
        widths_cont = torch.arange(depth) * w_a + w_0
        block_capacity = torch.round(torch.log(widths_cont / w_0) / math.log(w_m))
        block_widths = (torch.round(torch.divide(w_0 * torch.pow(w_m, block_capacity), 8))
                        * 8).int().tolist()
        splits = [w != wp for w, wp in zip(block_widths + [0], [0] + block_widths)]
        stage_widths = [w for w, t in zip(block_widths, splits[:-1]) if t]
        edges = torch.tensor([d for d, t in enumerate(splits) if t])
        stage_depths = torch.diff(edges).int().tolist()
        group_widths = [min(group_width, w) for w in stage_widths]
        stage_widths = [make_divisible(w, g) for w, g in zip(stage_widths, group_widths)]
        assert ours(TORCHVISION[name]) == (stage_widths, stage_depths, group_widths), name


def test_in_expressions_and_errors():
    env = {"w_0": 48, "w_a": 27.89, "w_m": 2.09, "depth": 16, "gw": 8}
    assert evaluate("regnet_w(w_0, w_a, w_m, depth, gw, 4)", env) == 440
    assert evaluate("regnet_d(w_0, w_a, w_m, depth, gw, 2) - 1", env) == 2
    groups = "regnet_w(w_0, w_a, w_m, depth, gw, 3) // regnet_g(w_0, w_a, w_m, depth, gw, 3)"
    assert evaluate(groups, env) == 26
    for bad, why in [("regnet_w(48, 27.89, 2.09, 16, 8, 5)", "stages 1 to 4"),
                     ("regnet_w(48, 27.89, 2.09, 16, 8, 0)", "stages 1 to 4"),
                     ("regnet_w(47, 27.89, 2.09, 16, 8, 1)", "multiple of 8"),
                     ("regnet_w(48, -1, 2.09, 16, 8, 1)", "invalid RegNet"),
                     ("regnet_w(48, 27.89, 1, 16, 8, 1)", "invalid RegNet"),
                     ("regnet_d(48, 27.89, 2.09, 16.5, 8, 1)", "depth"),
                     ("regnet_d(48, 27.89, 2.09, 100000000, 8, 1)", "depth"),
                     ("regnet_g(48, 27.89, 2.09, 16, 0, 1)", "group width"),
                     ("regnet_g(48, 1e308 * 10, 2.09, 16, 8, 1)", "finite"),
                     ("regnet_w(48, 27.89, 2.09, 16)", "regnet_w()")]:
        with pytest.raises(ValueError, match=why):
            evaluate(bad, {})
