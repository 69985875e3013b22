"""replace, scale and sweep — checked against formulas, the papers and the scalar path."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clihelp import run
from cnncost.costs import analyze
from cnncost.errors import CnnCostError
from cnncost.resolve import load, one_network
from cnncost.search import candidate_network, replace, stage_info
from cnncost.yaml_spec import load_document


def model(name: str):
    spec = one_network(load(name))
    return spec, analyze(spec.graph())


def eq1(c_in: int, layers: list[tuple[int, int]], maps: list[int]) -> int:
    """He & Sun's Eq. (1) over a stack: Σ n_{l−1}·s²·n_l·m_l²."""
    total = 0
    for (s, n), m in zip(layers, maps):
        total += c_in * s * s * n * m * m
        c_in = n
    return total


A3 = eq1(128, [(3, 256)] * 3, [18] * 3)
PAPER = {  # He & Sun's stage-3 replacements of A; maps under the he2015 policy
    "(2,256)×6": eq1(128, [(2, 256)] * 6, [17, 18] * 3),
    "(3,160)×5 + (3,256)": eq1(128, [(3, 160)] * 5 + [(3, 256)], [18] * 6),
    "(3,128)×8 + (3,256)": eq1(128, [(3, 128)] * 8 + [(3, 256)], [18] * 9),
}


def test_replace_finds_the_papers_models():
    _, net = model("he2015-a")
    info, cands, evaluated = replace(net, "3", tolerance=0.08)
    assert info.complexity == A3
    by_text = {c.notation(info.n_out): c for c in cands}
    for text, complexity in PAPER.items():
        assert by_text[text].complexity == complexity
        assert by_text[text].ratio == complexity / A3
    assert round(PAPER["(2,256)×6"] / A3, 2) == 0.93  # B: about 7% less under he2015
    assert PAPER["(3,160)×5 + (3,256)"] == PAPER["(3,128)×8 + (3,256)"] == A3
    layers = [c.layers for c in cands]
    assert layers == sorted(layers, reverse=True)  # deeper first
    assert evaluated > len(cands) > 0


def test_replace_cli_and_emitted_variants(tmp_path):
    out_file = tmp_path / "v.yaml"
    code, out, _ = run("replace", "he2015-a", "--stage", "3", "--tolerance", "8%", "--format", "json",
                       "--emit-variants", str(out_file))
    assert code == 0
    data = json.loads(out)
    shown = {c["notation"]: c for c in data["candidates"]}
    assert set(PAPER) <= set(shown)
    code, cmp_out, _ = run("compare", str(out_file), "--format", "json")
    assert code == 0
    variants = {v["name"]: v for v in json.loads(cmp_out)["variants"]}
    base3 = next(s for s in variants["base"]["stages"] if s["name"] == "3")["complexity"]
    assert base3 == A3
    for i, cand in enumerate(data["candidates"], 1):
        stage3 = next(s for s in variants[f"c{i}"]["stages"] if s["name"] == "3")
        assert stage3["complexity"] == cand["complexity"]
        assert stage3["complexity"] / base3 == cand["ratio"]


def test_replace_rejects_branchy_stages():
    code, _, err = run("replace", "Input(16,16,8) -> concat[ 8F(1,1) | 8F(3,3) ] -> 2/2",
                       "--stage", "1")
    assert code == 2 and "not a plain chain" in err


@pytest.mark.parametrize("name,stage", [("he2015-a", "3"), ("he2015-a", "2"), ("he2015-j", "4")])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_vectorised_equals_scalar(name, stage, data):
    """Any candidate's closed-form numbers equal a full analysis of the spec it stands for."""
    spec, net = model(name)
    sizes = tuple(data.draw(st.lists(st.sampled_from([1, 2, 3, 4, 5]), min_size=1, max_size=3,
                                     unique=True)))
    widths = tuple(data.draw(st.lists(st.integers(1, 600), min_size=1, max_size=6, unique=True)))
    info, cands, _ = replace(net, stage, tolerance=10.0, sizes=sizes, depths=(1, 9), widths=widths)
    for cand in data.draw(st.lists(st.sampled_from(cands), max_size=4)) if cands else []:
        rebuilt = analyze(candidate_network(spec, net, info, cand).graph())
        rows = [r for r in rebuilt.rows if r.stage == stage and r.kind == "conv"]
        assert sum(r.complexity for r in rows) == cand.complexity
        assert sum(r.params for r in rows) == cand.params
        assert len(rows) == cand.layers
        assert rows[-1].rf == cand.rf
    assert stage_info(net, stage).complexity == info.complexity


STAGED = """\
input: 16x16x8
stages:
  1: 16F(3,3,b=0) → bn → relu → 16F(3,3,b=0) → bn → 2/2
  2: 32F(3,3) → relu
"""


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_emitted_stage_keeps_each_convs_own_layers_and_bias(data):
    """Inner convolutions get the first's bn → relu, the last keeps its own (bn only),
    the pool follows once, and b=0 carries over: the rebuilt stage's numbers are the
    candidate's."""
    spec = next(iter(load_document(STAGED, "s.yaml").networks.values()))
    net = analyze(spec.graph())
    widths = tuple(data.draw(st.lists(st.integers(1, 40), min_size=1, max_size=5, unique=True)))
    info, cands, _ = replace(net, "1", tolerance=10.0, sizes=(1, 3, 5), depths=(1, 6), widths=widths)
    assert cands
    for cand in data.draw(st.lists(st.sampled_from(cands), min_size=1, max_size=4)):
        rebuilt = analyze(candidate_network(spec, net, info, cand).graph())
        rows = [r for r in rebuilt.rows if r.stage == "1"]
        kinds = [r.kind for r in rows]
        assert kinds == ["conv", "bn", "act"] * (cand.layers - 1) + ["conv", "bn", "pool"]
        convs = [r for r in rows if r.kind == "conv"]
        n = cand.width if not cand.uniform else 16
        expected = [n] * (cand.layers - 1) + [16]
        assert [r.output.c for r in convs] == expected
        assert sum(r.params for r in convs) == sum(  # no biases: s²·c_in·c_out each
            cand.size ** 2 * c_in * c_out for c_in, c_out in zip([8, *expected], expected))
        assert sum(r.params for r in convs) == cand.params
        assert sum(r.complexity for r in convs) == cand.complexity


# --- scale and sweep -----------------------------------------------------------

MOBILENET = [  # the MobileNet paper, Tables 6 and 7: (width, resolution) → million mult-adds
    (1.0, 224, 569), (1.0, 192, 418), (1.0, 160, 290), (1.0, 128, 186),
    (0.75, 224, 325), (0.5, 224, 149), (0.25, 224, 41),
]
MOBILENET_PARAMS = {1.0: 4.2, 0.75: 2.6, 0.5: 1.3, 0.25: 0.5}  # Table 6, millions


@pytest.mark.parametrize("width,resolution,mult_adds", MOBILENET)
def test_scale_mobilenet_reproduces_the_paper(width, resolution, mult_adds):
    code, out, _ = run("scale", "mobilenet_v1", "--width", str(width), "--resolution", str(resolution),
                       "--format", "json")
    totals = json.loads(out)["totals"]
    # The paper rounds to the nearest million except at 160 (290.7 printed as 290).
    assert abs(totals["macs"] / 1e6 - mult_adds) < 1
    assert round(totals["params"] / 1e6, 1) == MOBILENET_PARAMS[width]


EFFICIENTNET = {1: (1.0, 1.1, 240), 2: (1.1, 1.2, 288), 3: (1.2, 1.4, 300), 4: (1.4, 1.8, 380),
                5: (1.6, 2.2, 456), 6: (1.8, 2.6, 528), 7: (2.0, 3.1, 600)}


@pytest.mark.parametrize("b", sorted(EFFICIENTNET))
def test_scale_efficientnet_b0_gives_the_zoo_entries(b):
    width, depth, resolution = EFFICIENTNET[b]
    _, out, _ = run("scale", "efficientnet_b0", "--width", str(width), "--depth", str(depth),
                    "--resolution", str(resolution), "--format", "json")
    _, zoo_out, _ = run("analyze", f"efficientnet_b{b}", "--format", "json")
    assert json.loads(out)["totals"] == json.loads(zoo_out)["totals"]


def test_scale_needs_vars():
    code, _, err = run("scale", "he2015-a", "--width", "0.5")
    assert code == 2 and "no variable width" in err
    code, _, err = run("scale", "Input(8,8,3) -> relu", "--width", "0.5")
    assert code == 2 and "no variables" in err


def test_phi_is_compound_scaling():
    _, a, _ = run("scale", "efficientnet_b0", "--phi", "1", "--format", "json")
    _, b, _ = run("scale", "efficientnet_b0", "--width", str(1.1), "--depth", str(1.2),
                  "--resolution", str(round(224 * 1.15)), "--format", "json")
    assert json.loads(a)["totals"] == json.loads(b)["totals"]


def test_sweep_grid():
    code, out, _ = run("sweep", "mobilenet_v1", "--width", "0.25,0.5,0.75,1.0",
                       "--resolution", "128,160,192,224", "--format", "json")
    grid = {(c["width"], c["resolution"]): c for c in json.loads(out)["grid"]}
    assert code == 0 and len(grid) == 16
    _, one, _ = run("scale", "mobilenet_v1", "--width", "0.5", "--resolution", "160", "--format", "json")
    assert grid[(0.5, 160)]["macs"] == json.loads(one)["totals"]["macs"]
    code, table, _ = run("sweep", "mobilenet_v1", "--resolution", "128,224")
    assert code == 0 and "MACs @128" in table


def test_sweep_target_macs_is_the_largest_width():
    code, out, _ = run("sweep", "mobilenet_v1", "--resolution", "160,224", "--target-macs", "400M",
                       "--format", "json")
    assert code == 0
    for r in json.loads(out)["results"]:
        w = r["width"]
        assert r["macs"] <= 400_000_000
        _, above, _ = run("scale", "mobilenet_v1", "--width", f"{w + 0.01:.2f}", "--resolution",
                          str(r["resolution"]), "--format", "json")
        assert json.loads(above)["totals"]["macs"] > 400_000_000


def test_vars_override_unknown():
    with pytest.raises(Exception) as info:
        load_document("input: 8x8x3\nspec: relu\n", "x.yaml", {"width": 2})
    assert "no variable width" in str(info.value)


def test_int64_overflow_is_refused():
    _, net = model("he2015-a")
    with pytest.raises(Exception) as info:
        replace(net, "3", widths=(2**31,))
    assert "overflow 64-bit" in str(info.value)


def test_readme_replace_command_lists_b_f_and_g():
    code, out, _ = run("replace", "he2015-a", "--stage", "3", "--tolerance", "8%", "--sizes", "2,3",
                       "--depth", "6..9", "--format", "csv")
    assert code == 0
    import csv
    assert set(PAPER) <= {row["notation"] for row in csv.DictReader(out.splitlines())}


@pytest.mark.parametrize("args,message", [
    (["--width", "0"], "error: --width must be a positive number, not 0\n  hint: e.g. --width 0.5\n"),
    (["--width", "nan"], "error: --width must be a positive number, not nan\n  hint: e.g. --width 0.5\n"),
    (["--depth", "-1"], "error: --depth must be a positive number, not -1\n  hint: e.g. --depth 1.2\n"),
    (["--resolution", "0"],
     "error: --resolution must be a positive number, not 0\n  hint: e.g. --resolution 160\n"),
    (["--phi", "1000"], "error: --phi 1000 is outside -10..10\n  hint: EfficientNet-B1…B7 are φ = 1…7\n"),
])
def test_scale_rejects_meaningless_multipliers(args, message):
    code, _, err = run("scale", "efficientnet_b0", *args)
    assert code == 2 and err == message


def test_sweep_lists_are_checked_with_their_own_example():
    code, _, err = run("sweep", "mobilenet_v1", "--resolution", "0")
    assert code == 2 and err.endswith("hint: e.g. 128,160,192,224\n")
    code, _, err = run("sweep", "mobilenet_v1", "--width", "0.5,inf")
    assert code == 2 and err.startswith("error: --width: '0.5,inf' is not a list of positive numbers")


def test_resolution_replaces_an_input_written_in_the_spec():
    code, out, _ = run("scale", "Input(8,8,3) -> 4F(3,3)", "--resolution", "5", "--format", "json")
    assert code == 0
    assert json.loads(out)["totals"]["macs"] == 5 * 5 * 4 * 3 * 3 * 3


def test_the_sweep_progress_bar_goes_to_stderr(monkeypatch, capsys):
    import io
    import sys

    from cnncost.cli import with_progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Terminal()
    monkeypatch.setattr(sys, "stderr", err)
    assert list(with_progress(range(60), 60)) == list(range(60))
    assert capsys.readouterr().out == ""
    assert "sweeping" in err.getvalue()


@pytest.mark.parametrize("args,start", [
    (["replace", "Input(32,32,3) -> 100000000F(1,1)", "--stage", "1"],
     "error: the default widths (multiples of 8 up to 200,000,000) are more than 10,000"),
    (["replace", "he2015-a", "--stage", "3", "--depth", "1..1000000"],
     "error: depth 1000000 is more than the 256 layers a stage may have here"),
    (["replace", "he2015-a", "--stage", "3", "--top", "-1"], "error: --top -1: give how many"),
])
def test_replace_refuses_grids_it_cannot_search_quickly(args, start):
    code, out, err = run(*args)
    assert code == 2 and err.startswith(start) and "hint:" in err


def test_replace_counts_each_size_once():
    once = run("replace", "he2015-a", "--stage", "3", "--sizes", "3", "--format", "json")[1]
    thrice = run("replace", "he2015-a", "--stage", "3", "--sizes", "3,3,3", "--format", "json")[1]
    assert json.loads(once) == json.loads(thrice)


def test_target_macs_says_when_the_search_range_ends():
    code, out, err = run("sweep", "mobilenet_v1", "--target-macs", "1T", "--resolution", "128",
                         "--format", "csv")
    assert code == 0 and out.splitlines()[1].startswith("128,4.00,")
    assert err == ("note: at resolution 128 the budget allows width 4.00, where the search stops; "
                   "wider was not tried\n")


def test_replace_widths_too_long_to_be_widths_are_bad_input():
    code, _, err = run("replace", "he2015-a", "--stage", "3", "--widths", "1" + "0" * 400)
    assert code == 2 and err.startswith("error: --widths: '" + "1" + "0" * 38 + "…' is not a list")


CARRIED = """\
name: carried
input: 37x37x16
padding: he2015
stages: {1: "(3,32) → (2,32) → relu", 2: "(2,32) → (2,32)", head: "gap → 10fc"}
"""


@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_an_he2015_run_carried_into_the_stage_is_kept(data):
    """Stage 1 ends on a 2×2 conv (37 → 36), so stage 2's first 2×2 is the run's second,
    padded (36 → 37): every candidate's numbers equal a full analysis of its spec."""
    spec = next(iter(load_document(CARRIED, "c.yaml").networks.values()))
    net = analyze(spec.graph())
    assert [r.output.h for r in net.rows if r.stage == "2"] == [37, 36]
    widths = tuple(data.draw(st.lists(st.integers(1, 64), min_size=1, max_size=5, unique=True)))
    info, cands, _ = replace(net, "2", tolerance=0.5, sizes=(2, 3), depths=(1, 6), widths=widths)
    for cand in data.draw(st.lists(st.sampled_from(cands), max_size=4)) if cands else []:
        rebuilt = analyze(candidate_network(spec, net, info, cand).graph())
        convs = [r for r in rebuilt.rows if r.stage == "2" and r.kind == "conv"]
        assert sum(r.complexity for r in convs) == cand.complexity
        assert sum(r.params for r in convs) == cand.params


def test_replace_keeps_the_pool_that_starts_an_automatic_stage():
    chain = ("Input(224,224,3) → (7,64)/2 → 3/3 → (5,128) → 2/2 → (3,256)×3 → spp(6,3,2,1) "
             "→ 4096fc → 1000fc")
    code, out, _ = run("replace", chain, "--stage", "3", "--padding", "he2015", "--tolerance", "8%",
                       "--sizes", "2,3", "--depth", "6..9", "--format", "json")
    assert code == 0
    cands = {c["notation"]: c for c in json.loads(out)["candidates"]}
    assert set(PAPER) <= set(cands)
    assert all(cands[n]["complexity"] == PAPER[n] for n in PAPER)
    assert cands["(2,256)×6"]["stage"] == "max-p(2,2,2) → (2,256)×5 → (2,256)"


def test_scale_and_sweep_take_a_variant(tmp_path):
    path = tmp_path / "v.yaml"
    path.write_text('input: 8x8x3\nvariants:\n  a: {spec: "8F(3,3) -> gap"}\n'
                    '  b: {vars: {width: 1}, spec: "{int(8*width)}F(3,3) -> gap"}\n')
    code, out, _ = run("scale", str(path), "--width", "3", "--variant", "b", "--format", "json")
    assert code == 0 and json.loads(out)["totals"]["params"] == 3 * 9 * 24 + 24
    code, out, _ = run("sweep", str(path), "--variant", "b", "--width", "1,2", "--format", "json")
    assert [g["params"] for g in json.loads(out)["grid"]] == [27 * 8 + 8, 27 * 16 + 16]


def test_stacks_that_would_shrink_the_map_away_are_cut_short():
    """2×2 convolutions under `same` padding lose a pixel each: on 6×6 only a stack of
    exactly two ends at the stage's 4×4, however deep the search goes."""
    net = analyze(load("Input(6,6,4) -> 4F(2,2) -> 4F(2,2)").networks[""].graph())
    _, cands, _ = replace(net, "1", tolerance=10.0, sizes=(2,), depths=(1, 16), widths=(4, 8))
    assert cands and {c.layers for c in cands} == {2}


def test_the_python_grid_finds_every_width_a_scan_finds():
    """_stack_python bisects the sorted widths for the run within tolerance; a scan of
    every width, written here, finds the same ones: widths in any order, the
    restoring width left out, bounds that land exactly on the tolerance, no width
    within it, and every width within it."""
    import random

    import cnncost.search as search
    rng = random.Random(15)
    for trial in range(400):
        widths = tuple(rng.sample(range(1, 400), rng.randint(1, 60)))
        lin, sq = rng.randint(1, 10**6), rng.choice([0, rng.randint(1, 10**4)])
        n_out = rng.choice(widths)
        probe = rng.choice(widths)
        c0 = (lin + sq * probe) * probe + rng.randint(-50, 50)  # near a width's complexity
        tolerance = rng.choice([0.0, 0.001, 0.05, 0.3, 5.0, 1e9])
        if trial % 7 == 0:  # a bound exactly on the tolerance: c0 ± tol is a width's complexity
            c0 = (lin + sq * probe) * probe * 2
            tolerance = 0.5
        p_lin, p_sq, p_0 = rng.randint(0, 99), rng.randint(0, 9), rng.randint(0, 9)
        tol = tolerance * c0
        expected = sorted((n, (lin + sq * n) * n, (p_lin + p_sq * n) * n + p_0) for n in widths
                          if n != n_out and abs((lin + sq * n) * n - c0) <= tol)
        got = search._stack_python(widths)(c0, tolerance, n_out, lin, sq, p_lin, p_sq, p_0)
        assert sorted(got) == expected, (trial, widths, lin, sq, c0, tolerance)
    net = analyze(load("Input(6,6,4) -> 4F(3,3) -> 4F(3,3)").networks[""].graph())
    with pytest.raises(CnnCostError, match="width 0 is not a positive"):  # bisection needs n ≥ 1
        replace(net, "1", widths=(8, 0))


@pytest.mark.parametrize("spec, stage", [("he2015-a", "3"), ("he2015-b", "2"), ("vgg16", None)])
def test_python_and_numpy_grids_agree(spec, stage, monkeypatch):
    """The two backends of the closed-form grid give the same candidates in the same order."""
    import cnncost.search as search
    from cnncost.resolve import load, one_network
    net = analyze(one_network(load(spec)).graph())
    label = stage or net.stages[1].name
    widths = tuple(range(8, 1025, 8))
    results = []
    for threshold in (0, 10**12):  # numpy always, then never
        monkeypatch.setattr(search, "NUMPY_FROM", threshold)
        results.append(search.replace(net, label, 0.1, (1, 2, 3, 5), (1, 12), widths))
    (_, numpy_found, n1), (_, python_found, n2) = results
    assert n1 == n2 and numpy_found == python_found and numpy_found
