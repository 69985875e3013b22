"""--variant, SPEC:VARIANT and --set NAME=VALUE on every command that reads specs;
scale's notice when a multiplier changes nothing; check's margin and its display.

Every expected number comes from the formulas below, not from cnncost's output."""

from __future__ import annotations

import json

import pytest

from clihelp import run

# Two variants of one file: A has n filters, B 2n. `width` is declared but unused.
NETS = """\
name: nets
input: 8x8x3
vars:
  n: 4
  width: 1.0
baseline: A
variants:
  A:
    spec: "{n}F(3,3) -> relu -> gap -> 10fc"
  B:
    spec: "{2*n}F(3,3) -> relu -> gap -> 10fc"
"""

# Declares width and depth; only width is used.
WD = """\
name: wd
input: 8x8x3
vars:
  width: 1.0
  depth: 1.0
spec: "{int(16*width)}F(3,3) -> relu -> gap -> 10fc"
"""


def params(c: int) -> int:
    """c 3×3 filters over 3 channels (27c weights + c biases), gap, 10fc over c (10c + 10)."""
    return 27 * c + c + 10 * c + 10


def macs(c: int) -> int:
    """The conv on an 8×8 map (8·8·c·27) and the fc (10c)."""
    return 8 * 8 * c * 27 + 10 * c


N = 4  # NETS's n: A has N filters, B 2N


@pytest.fixture()
def nets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nets.yaml").write_text(NETS, encoding="utf-8")
    (tmp_path / "wd.yaml").write_text(WD, encoding="utf-8")
    return "nets.yaml"


def ok_json(*args):
    code, out, err = run(*args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def bad(*args):
    """The message of a command that must fail with bad input (exit 2, no traceback)."""
    code, out, err = run(*args)
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and err.startswith("error: ")
    return err


# ---------------------------------------------------------------------------
# --variant and SPEC:VARIANT on each command


@pytest.mark.parametrize("pick", [("nets.yaml", "--variant", "B"), ("nets.yaml", "--variant", "b"),
                                  ("nets.yaml:B",), ("nets.yaml:b",),
                                  ("nets.yaml:B", "--variant", "B")])
def test_analyze_picks_the_variant(nets, pick):
    data = ok_json("analyze", *pick)
    assert data["totals"]["params"] == params(2 * N)
    assert data["totals"]["macs"] == macs(2 * N)


def test_analyze_without_a_variant_reads_the_baseline(nets):
    assert ok_json("analyze", nets)["totals"]["params"] == params(N)


def test_compare_reads_every_variant_or_the_one_chosen(nets):
    every = ok_json("compare", nets)["variants"]
    assert [(v["name"], v["totals"]["params"]) for v in every] == \
        [("A", params(N)), ("B", params(2 * N))]
    for pick in (("--variant", "B"), ()):
        one = ok_json("compare", "nets.yaml:B" if not pick else nets, *pick)["variants"]
        assert [(v["name"], v["totals"]["params"]) for v in one] == [("B", params(2 * N))]
    both = ok_json("compare", "nets.yaml:B", "nets.yaml:A")["variants"]
    assert [v["totals"]["params"] for v in both] == [params(2 * N), params(N)]


def test_diff_of_two_variants_of_one_file_gives_each_variants_numbers(nets):
    data = ok_json("diff", "nets.yaml:A", "nets.yaml:B")
    assert (data["a"], data["b"], data["differs"]) == ("A", "B", True)
    t = data["totals"]
    assert (t["a"]["params"], t["b"]["params"]) == (params(N), params(2 * N))
    assert (t["a"]["macs"], t["b"]["macs"]) == (macs(N), macs(2 * N))
    assert t["delta_params"] == params(2 * N) - params(N)
    # the same numbers as analysing each variant on its own
    assert t["a"]["params"] == ok_json("analyze", nets, "--variant", "A")["totals"]["params"]
    assert t["b"]["macs"] == ok_json("analyze", nets, "--variant", "B")["totals"]["macs"]


def test_diff_variant_applies_to_both_specs(nets, tmp_path):
    (tmp_path / "new.yaml").write_text(NETS.replace("{2*n}F", "{3*n}F"), encoding="utf-8")
    t = ok_json("diff", nets, "new.yaml", "--variant", "B")["totals"]
    assert (t["a"]["params"], t["b"]["params"]) == (params(2 * N), params(3 * N))


def test_check_variant_is_for_spec_and_baseline_names_its_own(nets):
    # --variant B picks B for SPEC; --baseline nets.yaml is the file's baseline, A
    data = run("check", nets, "--variant", "B", "--baseline", nets, "--max-increase", "100%",
               "--format", "json")
    assert data[0] == 0
    limits = {x["metric"]: x for x in json.loads(data[1])["limits"]}
    assert limits["params"]["value"] == params(2 * N)
    assert limits["params"]["baseline_value"] == params(N)
    assert limits["params"]["limit"] == 2 * params(N)
    code, out, _ = run("check", "nets.yaml:B", "--baseline", "nets.yaml:B", "--format", "json")
    assert code == 0 and json.loads(out)["limits"][0]["limit"] == params(2 * N)
    assert run("check", "nets.yaml:B", "--max-params", str(params(2 * N)))[0] == 0
    assert run("check", "nets.yaml:B", "--max-params", str(params(2 * N) - 1))[0] == 1


def test_scale_sweep_replace_export_fmt_take_the_variant(nets):
    assert ok_json("scale", nets, "--variant", "B")["totals"]["params"] == params(2 * N)
    grid = ok_json("sweep", "nets.yaml:B", "--width", "1")["grid"]
    assert [(g["params"], g["macs"]) for g in grid] == [(params(2 * N), macs(2 * N))]
    original = ok_json("replace", nets, "--variant", "B", "--stage", "1", "--top", "1")["original"]
    assert original["params"] == 27 * 2 * N + 2 * N  # the stage: the one conv
    code, out, _ = run("fmt", nets, "--variant", "B")
    assert code == 0 and f"{2 * N}F(3,3)" in out and "variants" not in out
    code, out, _ = run("fmt", nets)
    assert code == 0 and "variants:" in out


def test_export_takes_the_variant(nets):
    pytest.importorskip("torch")
    code, out, _ = run("export", "--torch", "nets.yaml:B")
    assert code == 0 and f"nn.Conv2d(3, {2 * N}, (3, 3)" in out


def test_zoo_variants_answer_to_name_colon_variant():
    a = ok_json("analyze", "he2015:j")
    assert a["name"] == "he2015-j"
    assert a["totals"] == ok_json("analyze", "he2015-j")["totals"]
    assert a["totals"] == ok_json("analyze", "he2015", "--variant", "J")["totals"]


def test_stdin_variants(nets):
    from click.testing import CliRunner

    from clihelp import ENV
    from cnncost.cli import main
    result = CliRunner(env=ENV).invoke(main, ["diff", "--format", "json", "--", "-:A", "-:B"],
                                       input=NETS)
    assert result.exit_code == 0, result.stderr
    t = json.loads(result.stdout)["totals"]
    assert (t["a"]["params"], t["b"]["params"]) == (params(N), params(2 * N))


def test_a_colon_is_split_only_after_a_spec_that_exists(nets, tmp_path):
    (tmp_path / "odd:B.yaml").write_text(WD, encoding="utf-8")  # a file whose name has a `:`
    assert ok_json("analyze", "odd:B.yaml")["totals"]["params"] == params(16)
    yaml_text = "name: t\ninput: 8x8x3\nspec: 16F(3,3) -> relu"  # text whose last `:` is no split
    assert ok_json("analyze", yaml_text)["totals"]["params"] == 27 * 16 + 16
    err = bad("analyze", "missing.yaml:B")
    assert "no such file: missing.yaml\n" in err


# ---------------------------------------------------------------------------
# --set NAME=VALUE


@pytest.mark.parametrize("n", [1, 3, 7])
def test_set_changes_params_as_the_formula_says(nets, n):
    assert ok_json("analyze", nets, "--set", f"n={n}")["totals"]["params"] == params(n)
    assert ok_json("analyze", "nets.yaml:B", "--set", f"n={n}")["totals"]["params"] == params(2 * n)
    t = ok_json("diff", "nets.yaml:A", "nets.yaml:B", "--set", f"n={n}")["totals"]
    assert (t["a"]["macs"], t["b"]["macs"]) == (macs(n), macs(2 * n))


def test_set_takes_floats_and_repeats(nets):
    assert ok_json("analyze", "wd.yaml", "--set", "width=0.5")["totals"]["params"] == params(8)
    data = ok_json("analyze", "wd.yaml", "--set", "width=1.5", "--set", "depth=3")
    assert data["totals"]["params"] == params(24)
    assert ok_json("scale", "nets.yaml:B", "--set", "n=2")["totals"]["params"] == params(4)
    grid = ok_json("sweep", nets, "--set", "n=5", "--width", "1")["grid"]
    assert grid[0]["params"] == params(5)


# ---------------------------------------------------------------------------
# bad input: exit 2, one message, the choices in it


def test_set_bad_values(nets):
    err = bad("analyze", nets, "--set", "n=abc")
    assert "n must be a number" in err and "--set n=2" in err
    for value in ("nan", "inf", "1_0", ""):
        assert "n must be a number" in bad("analyze", nets, "--set", f"n={value}")
    err = bad("analyze", nets, "--set", "n")
    assert "write NAME=VALUE" in err and "--set width=0.5" in err
    err = bad("analyze", nets, "--set", "n=1", "--set", "n=2")
    assert "sets n twice" in err


def test_set_unknown_names_lists_the_variables(nets):
    err = bad("analyze", nets, "--set", "unknown=1")
    assert "no variable unknown to set" in err and "n, width" in err
    err = bad("analyze", nets, "--set", "wdth=1")
    assert "did you mean 'width'" in err
    err = bad("analyze", "resnet18", "--set", "width=2")
    assert "declares no `vars:`" in err
    assert "no variables to set" in bad("analyze", "Input(8,8,3) -> 16F(3,3)", "--set", "n=2")
    err = bad("scale", "wd.yaml", "--width", "2", "--set", "width=3")
    assert "both set width" in err


def test_variant_naming_none_lists_the_variants(nets):
    for args in (("analyze", nets, "--variant", "Q"), ("analyze", "nets.yaml:Q"),
                 ("diff", "nets.yaml:A", "nets.yaml:Q"), ("compare", nets, "--variant", "Q"),
                 ("check", "nets.yaml:Q", "--max-params", "1M"),
                 ("check", nets, "--max-params", "1M", "--baseline", "nets.yaml:Q"),
                 ("scale", nets, "--variant", "Q"), ("sweep", nets, "--variant", "Q"),
                 ("replace", nets, "--variant", "Q", "--stage", "1"),
                 ("fmt", nets, "--variant", "Q")):
        err = bad(*args)
        assert "no variant 'Q' in nets" in err and "variants: A, B" in err, args


def test_variant_of_one_network_and_conflicts(nets):
    err = bad("analyze", "wd.yaml:B")
    assert "wd.yaml:B: wd is one network, not a variants file" in err and "drop :B" in err
    err = bad("analyze", "wd.yaml", "--variant", "B")
    assert "one network, not a variants file" in err and "drop --variant" in err
    err = bad("analyze", "nets.yaml:A", "--variant", "B")
    assert "names variant A, and --variant says B" in err


# ---------------------------------------------------------------------------
# scale: a multiplier that changes nothing


def test_scale_says_when_a_multiplier_changes_nothing(nets):
    code, out, err = run("scale", "wd.yaml", "--depth", "3", "--format", "json")
    assert code == 0 and json.loads(out)["totals"]["params"] == params(16)
    assert "--depth 3 changes nothing: this spec declares `depth` but no layer uses it" in err
    code, out, err = run("scale", "wd.yaml", "--width", "1.01", "--format", "json")
    assert code == 0 and json.loads(out)["totals"]["params"] == params(int(16 * 1.01))
    assert "--width 1.01 changes nothing: with the model's rounding" in err
    code, out, err = run("scale", "wd.yaml", "--width", "2", "--depth", "2", "--format", "json")
    assert json.loads(out)["totals"]["params"] == params(32)
    assert "--width" not in err and "--depth 2 changes nothing" in err
    _, _, err = run("scale", "wd.yaml", "--resolution", "8")
    assert "--resolution 8 changes nothing" in err
    _, _, err = run("scale", "wd.yaml", "--width", "2", "--resolution", "16")
    assert "changes nothing" not in err


# ---------------------------------------------------------------------------
# check: the margin relative to what the rule is relative to; values that read alike


def test_check_margin_against_a_baseline_is_the_growth_over_it(nets):
    code, out, _ = run("check", "nets.yaml:B", "--baseline", "nets.yaml:A", "--max-increase", "50%")
    a, b = params(N), params(2 * N)
    over = b - int(a * 1.5)
    assert code == 1
    assert f"OVER by {over} ({100 * (b - a) / a:+.2f}% vs A)" in out


def test_check_margin_against_a_limit_is_relative_to_the_limit(nets):
    b = params(2 * N)
    code, out, _ = run("check", "nets.yaml:B", "--max-params", "300")
    assert code == 1 and f"OVER by {b - 300} ({100 * (b - 300) / 300:+.2f}% over the limit)" in out
    code, out, _ = run("check", "nets.yaml:B", "--max-params", "400")
    assert code == 0 and f"under by {400 - b}" in out and "%" not in out.split("under by")[1][:12]


def test_check_shows_the_digits_that_tell_value_and_limit_apart(nets):
    value = params(100)  # 3,810: 3.81K, and so is 3,809
    assert value == 3810
    code, out, _ = run("check", nets, "--set", "n=100", "--max-params", str(value - 1))
    assert code == 1 and "3.810K" in out and "3.809K" in out and "3.81K" not in out
    code, out, _ = run("check", nets, "--set", "n=100", "--max-params", str(value - 1),
                       "--format", "csv")
    assert f"FAIL,params,{value},{value - 1},--max-params,1" in out  # CSV stays exact


def test_distinct():
    from cnncost.report import distinct
    assert distinct(3_500_100, 3_500_000) == ("3.5001M", "3.5000M")
    assert distinct(3_500_001, 3_500_000) == ("3.500001M", "3.500000M")
    assert distinct(79_190_248, 75_000_000) == ("79.2M", "75.0M")
    assert distinct(3_500_000, 3_500_000) == ("3.50M", "3.50M")
    assert distinct(999, 998) == ("999", "998")


@pytest.mark.parametrize("command", ["analyze", "compare", "diff", "check", "scale", "sweep",
                                     "replace", "export", "fmt"])
def test_every_command_that_reads_specs_has_variant_and_set(command):
    from cnncost.cli import main
    options = [o for p in main.commands[command].params for o in p.opts]
    assert options.count("--variant") == 1 and options.count("--set") == 1


def test_check_max_flops_limits_twice_the_macs(nets):
    flops = 2 * macs(2 * N)
    assert run("check", "nets.yaml:B", "--max-flops", str(flops))[0] == 0
    code, out, _ = run("check", "nets.yaml:B", "--max-flops", str(flops - 1))
    assert code == 1 and "OVER by 1 " in out


def test_the_library_reads_spec_colon_variant(nets):
    import cnncost
    assert cnncost.analyze("nets.yaml:B").totals.params == params(2 * N)
    assert cnncost.analyze("he2015:j").totals == cnncost.analyze("he2015-j").totals
