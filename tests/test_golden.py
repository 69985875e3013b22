"""Golden CLI outputs: every command and format, compared byte for byte.

Regenerate with `make golden` (pytest --regen-golden) and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from clihelp import run

GOLDEN = Path(__file__).parent / "golden"
SEED_CHAIN = ("Input(224,224,3) → 64F(7,7,3,s=2) → max-p(3,3,3) → 128F(5,5,64) → max-p(2,2,2) "
              "→ 256F(3,3,128) → 256F(3,3,256) → 256F(3,3,256) → spp(6*6,3*3,2*2,1*1) → 4096fc "
              "→ 4096fc → 1000fc → softmax")
INCEPTION = ("Input(28,28,192) -> concat[ 64F(1,1) | 96F(1,1) → 128F(3,3) | 16F(1,1) → 32F(5,5) "
             "| max-p(3,3,1,p=1) → 32F(1,1) ]")

CASES = {
    "analyze_he2015a_table": ["analyze", "he2015-a"],
    "analyze_he2015a_csv": ["analyze", "he2015-a", "--format", "csv"],
    "analyze_he2015a_markdown": ["analyze", "he2015-a", "--format", "markdown"],
    "analyze_he2015a_json": ["analyze", "he2015-a", "--format", "json"],
    "analyze_he2015a_stages_table": ["analyze", "he2015-a", "--stages"],
    "analyze_he2015a_stages_csv": ["analyze", "he2015-a", "--stages", "--format", "csv"],
    "analyze_he2015a_stages_markdown": ["analyze", "he2015-a", "--stages", "--format", "markdown"],
    "analyze_seed_chain_table": ["analyze", SEED_CHAIN, "--padding", "he2015"],
    "analyze_inception_table": ["analyze", INCEPTION],
    "analyze_inception_json": ["analyze", INCEPTION, "--format", "json"],
    "analyze_bad_spec": ["analyze", "64F(7,7,3,s=2) -> maxp(3,3,3)", "--input", "32x32x3"],
    "layers_markdown": ["layers", "--format", "markdown"],
    "fmt_he2015": ["fmt", "he2015"],
    "analyze_he2015a_html": ["analyze", "he2015-a", "--format", "html"],
    "compare_he2015_html": ["compare", "he2015", "--format", "html"],
    "diff_a_b_html": ["diff", "he2015-a", "he2015-b", "--format", "html"],
}
for fmt in ("table", "csv", "markdown", "json"):
    CASES[f"compare_he2015_{fmt}"] = ["compare", "he2015", "--format", fmt]
    CASES[f"diff_a_b_{fmt}"] = ["diff", "he2015-a", "he2015-b", "--format", fmt]
    CASES[f"check_pass_{fmt}"] = ["check", "he2015-e", "--baseline", "he2015-a",
                                  "--max-increase", "2%", "--format", fmt]
    CASES[f"check_fail_{fmt}"] = ["check", "he2015-j", "--max-params", "75M", "--max-macs", "1G",
                                  "--format", fmt]
# GitHub-native formats (docs/ci.md): workflow commands, github-action-benchmark's input
CASES["check_pass_github"] = CASES["check_pass_json"][:-1] + ["github"]
CASES["check_fail_github"] = CASES["check_fail_json"][:-1] + ["github"]
CASES["check_fail_file_github"] = ["check", "specs/he2015.yaml", "--max-params", "75M",
                                   "--max-macs", "900M", "--format", "github"]
CASES["analyze_he2015a_benchmark_json"] = ["analyze", "he2015-a", "--format", "benchmark-json"]
CASES["compare_he2015_benchmark_json"] = ["compare", "he2015", "--format", "benchmark-json"]

# Views (analyze --depth, --columns, --share)
BLOCKS = ("Input(32,32,3) -> 16F(3,3) -> res[16F(3,3) -> relu] -> (3,32)x3 -> [16F(1,1) -> relu]x2 "
          "-> concat[ 8F(1,1) | 8F(3,3) ] -> aux[ gap -> 10fc ] -> gap -> 10fc")
CASES.update({
    "analyze_resnet18_depth1_table": ["analyze", "resnet18", "--depth", "1"],
    "analyze_resnet18_depth2_table": ["analyze", "resnet18", "--depth", "2"],
    "analyze_resnet18_depth2_csv": ["analyze", "resnet18", "--depth", "2", "--format", "csv"],
    "analyze_resnet18_depth2_markdown": ["analyze", "resnet18", "--depth", "2", "--format",
                                         "markdown"],
    "analyze_resnet18_columns_table": ["analyze", "resnet18", "--columns",
                                       "params,flops,activations,rf,jump"],
    "analyze_resnet18_share_macs_table": ["analyze", "resnet18", "--share", "macs"],
    "analyze_blocks_depth3_table": ["analyze", BLOCKS, "--depth", "3"],
    "analyze_blocks_depth2_json": ["analyze", BLOCKS, "--depth", "2", "--format", "json"],
    "analyze_bad_depth": ["analyze", "resnet18", "--depth", "-1"],
    "analyze_bad_columns": ["analyze", "resnet18", "--columns", "bogus"],
    "compare_he2015_columns_table": ["compare", "he2015", "--columns", "params,flops,activations"],
})


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name, regen, monkeypatch):
    monkeypatch.chdir(GOLDEN.parent.parent)  # spec paths are the repository's
    code, out, err = run(*CASES[name])
    text = f"$ cnncost {' '.join(CASES[name])}\n[exit {code}]\n{out}{err}"
    path = GOLDEN / f"{name}.out"
    if regen or not path.exists():
        path.write_text(text, encoding="utf-8")
        if not regen:
            pytest.fail(f"wrote missing golden file {path.name}; review it and rerun")
    assert text == path.read_text(encoding="utf-8")
