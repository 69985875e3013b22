"""The library's public names, and the README's library example."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import cnncost


def test_every_public_name_resolves():
    for name in cnncost.__all__:
        assert callable(getattr(cnncost, name)), name


def test_importing_the_package_loads_no_core_module():
    code = "import sys, cnncost; print(sorted(m for m in sys.modules if m.startswith('cnncost.')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_readme_library_example_runs_and_prints_what_it_says():
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", readme, re.S).group(1)
    first = block.splitlines()
    out = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, check=True)
    claimed = next(line.split("# ")[1] for line in first if "# " in line)
    # 16 filters of 3×3×3 plus biases, and 10fc on 16 features: counted here by hand
    assert claimed == f"{16 * 27 + 16 + 16 * 10 + 10} {32 * 32 * 16 * 27 + 16 * 10}"
    assert out.stdout.splitlines()[0] == claimed


def test_compare_diff_and_check_from_python():
    from cnncost import analyze, check, compare, diff, load_spec, one_network
    a = analyze(one_network(load_spec("he2015-a")).graph())
    b = analyze(one_network(load_spec("he2015-b")).graph())
    assert compare([a, b]).baseline == a.name
    assert any(row.change.name != "SAME" for row in diff(a, b).rows)
    assert not check(b, {"params": b.totals.params - 1}).ok


# ---------------------------------------------------------------------------
# cnncost.analyze takes what the CLI takes; to_dict() is the CLI's JSON

ROOT = Path(__file__).parent.parent
SMALL = "Input(32,32,3) -> 16F(3,3) -> relu -> gap -> 10fc"


def cli_json(*args):
    import json
    from clihelp import run
    code, out, err = run("analyze", *args, "--format", "json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("args,kwargs", [
    (("he2015-a",), {}),
    (("resnet18", "--batch", "8", "--dtype", "fp16"), {"batch": 8, "dtype": "fp16"}),
    (("resnet18", "--input", "112x112x3"), {"input": "112x112x3"}),
    (("he2015-a", "--padding", "he2015"), {"padding": "he2015"}),
    ((SMALL,), {}),
])
def test_to_dict_is_the_clis_json(args, kwargs):
    assert cnncost.analyze(args[0], **kwargs).to_dict() == cli_json(*args)


def test_analyze_accepts_every_kind_of_spec():
    from cnncost import load_spec, one_network, parse_spec
    expected = cnncost.analyze("he2015-b").totals
    path = ROOT / "specs" / "he2015.yaml"
    text = path.read_text(encoding="utf-8")
    for spec, kw in [("he2015-b", {}), (str(path), {"variant": "B"}), (path, {"variant": "b"}),
                     (text, {"variant": "B"}), (load_spec("he2015"), {"variant": "B"}),
                     (one_network(load_spec("he2015-b")), {}),
                     (one_network(load_spec("he2015-b")).graph(), {})]:
        net = cnncost.analyze(spec, **kw)
        assert net.totals == expected, type(spec)
        assert isinstance(net, cnncost.Analysis) and net.to_dict()["totals"]["params"] == \
            expected.params
    assert cnncost.analyze(parse_spec(SMALL)).totals.params == 618


def test_analyze_keeps_the_old_positional_batch_and_dtype():
    from cnncost import parse_spec
    from cnncost.costs import analyze as graph_analyze
    g = parse_spec(SMALL)
    assert cnncost.analyze(g, 8, "fp16").totals == graph_analyze(g, 8, "fp16").totals


@pytest.mark.parametrize("call,words", [
    (lambda: cnncost.analyze(3), "cannot analyse"),
    (lambda: cnncost.analyze(None), "cannot analyse"),
    (lambda: cnncost.analyze("resnet-50"), "did you mean 'resnet50'"),
    (lambda: cnncost.analyze("resnet18", dtype="fp64"), "not an element type"),
    (lambda: cnncost.analyze("resnet18", batch=0), "not a batch size"),
    (lambda: cnncost.analyze("resnet18", batch=True), "not a batch size"),
    (lambda: cnncost.analyze("resnet18", input=(224, 224)), "not a shape"),
    (lambda: cnncost.analyze("resnet18", input="big"), "big"),
    (lambda: cnncost.analyze("resnet18", padding="valid"), "not a padding policy"),
    (lambda: cnncost.analyze("resnet18", variant="A"), "not a variants file"),
    (lambda: cnncost.analyze(cnncost.parse_spec(SMALL), input=(64, 64, 3)), "a Graph"),
    (lambda: cnncost.analyze(cnncost.analyze(SMALL)), "already an analysis"),
    (lambda: cnncost.analyze(Path("no/such.yaml")), "no such file"),
    (lambda: cnncost.check(SMALL, {"parms": 1}), "did you mean 'params'"),
    (lambda: cnncost.check(SMALL, {"params": 1.5}), "not an amount"),
    (lambda: cnncost.check(SMALL, {"params": "lots"}), "lots"),
    (lambda: cnncost.check(SMALL, {"count": 5}), "count="),
    (lambda: cnncost.check(SMALL, {}, max_increase=2), "needs a baseline"),
    (lambda: cnncost.check(SMALL, ["params"]), "dict"),
    (lambda: cnncost.compare("he2015-a"), "list"),
])
def test_mistakes_are_cnncost_errors(call, words):
    with pytest.raises(cnncost.CnnCostError) as e:
        call()
    assert words in str(e.value)


def test_an_unknown_budget_names_the_valid_ones():
    from cnncost.metrics import BUDGETS
    with pytest.raises(cnncost.CnnCostError) as e:
        cnncost.check("he2015-a", {"watts": 1})
    assert all(m.key in e.value.hint for m in BUDGETS) and "count" in e.value.hint


def test_check_takes_the_clis_amounts_and_flag_names():
    assert cnncost.check("he2015-a", {"params": "80M", "peak_memory": "1GiB"}).ok
    assert not cnncost.check("he2015-a", {"params": 80_000_000, "macs": "100M"}).ok
    assert cnncost.check("he2015-e", {}, baseline="he2015-a", max_increase="2%").ok
    assert not cnncost.check("he2015-j", {}, baseline="he2015-a").ok
    assert cnncost.check("resnet18", {"count": "2G"}, count="fvcore").ok


def test_compare_and_diff_take_specs_too():
    a = cnncost.analyze("he2015-a")
    assert cnncost.compare([a, "he2015-b"]).baseline == "he2015-a"
    assert cnncost.diff("he2015-a", "he2015-b").differs
    assert not cnncost.diff(a, "he2015-a").differs


# ---------------------------------------------------------------------------
# docs/api.md: every ```python block runs, and prints what its comments claim

API_BLOCKS = re.findall(r"^```python\n(.*?)^```",
                        (ROOT / "docs" / "api.md").read_text(encoding="utf-8"), re.S | re.M)


@pytest.mark.parametrize("block", API_BLOCKS, ids=[f"api.md#{i}" for i in range(len(API_BLOCKS))])
def test_api_doc_blocks_run(block):
    out = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    printed = out.stdout.splitlines()
    for line in block.splitlines():  # `print(…)   # value`: that value is printed (… : its start)
        m = re.match(r"\s*print\(.*\)\s+# (.*)", line)
        if m:
            claim = m.group(1).rstrip(" …")
            assert any(p.startswith(claim) for p in printed), (claim, printed)


def test_api_doc_has_blocks():
    assert len(API_BLOCKS) >= 5
