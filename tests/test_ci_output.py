"""GitHub-native output (docs/ci.md): `check --format github` workflow commands, the
$GITHUB_STEP_SUMMARY that check and diff append to, --format benchmark-json, the
pre-commit hook and the composite action."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from clihelp import ENV, run
from cnncost import ci, hook
from cnncost.cli import main
from cnncost.metrics import BUDGETS

ROOT = Path(__file__).parent.parent

# The workflow-command grammar (docs.github.com, "Workflow commands for GitHub Actions"):
# ::command[ key=value(,key=value)*]::message — a property value holds no raw : , CR LF,
# the message no raw CR LF, and every % in either is the start of %25, %0D, %0A (or, in
# a value, %3A, %2C).
PROPERTY = r"(?:file|line|endLine|col|endColumn|title)=(?:[^%:,\r\n]|%25|%0D|%0A|%3A|%2C)*"
COMMAND = re.compile(rf"::(error|warning|notice|debug)(?: ({PROPERTY}(?:,{PROPERTY})*))?"
                     r"::((?:[^%\r\n]|%25|%0D|%0A)*)")


def unescape(text: str) -> str:
    return (text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":")
            .replace("%2C", ",").replace("%25", "%"))


def commands(out: str) -> list[tuple[str, dict[str, str], str]]:
    """Every line of `check --format github`: a workflow command (checked against the
    grammar) or, last, one plain summary line; → (command, properties, message)."""
    found = []
    lines = out.splitlines()
    for i, line in enumerate(lines):
        if not line.startswith("::"):
            assert i == len(lines) - 1, f"a plain line before the end: {line!r}"
            continue
        m = COMMAND.fullmatch(line)
        assert m, f"not a workflow command: {line!r}"
        props = dict(p.split("=", 1) for p in m.group(2).split(",")) if m.group(2) else {}
        found.append((m.group(1), {k: unescape(v) for k, v in props.items()}, unescape(m.group(3))))
    return found


# A small spec whose costs are worked out by hand below (`same` padding keeps 32×32):
#   stem  16F(3,3) on 3 channels:   params 3·3·3·16 + 16 = 448,      MACs 32·32·16·27
#   body  64F(3,3) on 16, on 64:    params 9280 and 36928,           MACs 32·32·64·(144 + 576)
#   head  gap → 10fc:               params 64·10 + 10 = 650,         MACs 640
SPEC = """\
name: tiny
input: 32x32x3
stages:
  stem: 16F(3,3)
  body: 64F(3,3) -> 64F(3,3)
  head: gap -> 10fc
"""
PARAMS = {"stem": 3 * 3 * 3 * 16 + 16, "body": (3 * 3 * 16 * 64 + 64) + (3 * 3 * 64 * 64 + 64),
          "head": 64 * 10 + 10}
MACS = {"stem": 32 * 32 * 16 * 27, "body": 32 * 32 * 64 * (144 + 576), "head": 640}
TOTAL_PARAMS, TOTAL_MACS = sum(PARAMS.values()), sum(MACS.values())


def line_of(text: str, key: str) -> int:
    """1-based line of `key:` in a spec's text."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.strip().startswith(key + ":"))


@pytest.fixture
def spec(tmp_path, monkeypatch):
    """model.yaml in the working directory, as a repository checkout has it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.yaml").write_text(SPEC, encoding="utf-8")
    return "model.yaml"


def test_escaping_follows_the_workflow_command_rules():
    assert ci.escape_data("50% a\r\nb: c, d") == "50%25 a%0D%0Ab: c, d"
    assert ci.escape_property("50% a\r\nb: c, d") == "50%25 a%0D%0Ab%3A c%2C d"
    # % first: an escape is never escaped twice
    assert ci.escape_data("%0A") == "%250A"
    assert ci.workflow_command("error", "m", file="a,b.yaml", line=3, title=None) == \
        "::error file=a%2Cb.yaml,line=3::m"
    assert ci.workflow_command("notice", "m") == "::notice::m"


def test_a_failed_limit_is_an_error_on_the_line_of_the_stage_holding_most(spec):
    code, out, err = run("check", spec, "--max-params", "40000", "--max-macs", "1G",
                         "--format", "github")
    assert code == 1 and err == ""
    (kind, props, message), = commands(out)
    assert kind == "error"
    assert props == {"file": "model.yaml", "line": str(line_of(SPEC, "body")),
                     "title": "cnncost check: params over budget"}
    assert f"({TOTAL_PARAMS})" in message and "(40000, --max-params)" in message
    assert f"(+{100 * (TOTAL_PARAMS - 40000) / 40000:.2f}%)" in message
    share = 100 * PARAMS["body"] / TOTAL_PARAMS
    assert message.endswith(f"; most of it in stage body ({share:.1f}% of params)")
    assert out.splitlines()[-1] == "cnncost check: tiny is over budget: 1 of 2 limits failed (params)"


def test_every_failed_limit_has_its_own_error(spec):
    code, out, _ = run("check", spec, "--max-params", "40000", "--max-macs", "1M",
                       "--max-complexity", "1G", "--format", "github")
    assert code == 1
    found = commands(out)
    assert [p["title"] for _, p, _ in found] == ["cnncost check: params over budget",
                                                  "cnncost check: MACs over budget"]
    assert f"({TOTAL_MACS})" in found[1][2] and "(1000000, --max-macs)" in found[1][2]
    assert found[1][1]["line"] == str(line_of(SPEC, "body"))  # 47.2M of the MACs


def test_a_pass_is_one_notice(spec):
    code, out, err = run("check", spec, "--max-params", f"{TOTAL_PARAMS}", "--format", "github")
    assert code == 0 and err == ""
    assert commands(out) == [("notice", {"title": "cnncost check passed"},
                              "tiny is within budget: 1 limit holds (params)")]
    assert len(out.splitlines()) == 1


def test_growth_over_a_baseline_points_at_the_stage_that_grew(spec, tmp_path):
    grown = SPEC.replace("body: 64F(3,3) -> 64F(3,3)", "body: 64F(3,3) -> 64F(3,3) -> 64F(3,3)")
    (tmp_path / "new.yaml").write_text(grown, encoding="utf-8")
    code, out, _ = run("check", "new.yaml", "--baseline", spec, "--format", "github")
    assert code == 1
    errors = commands(out)
    assert {p["title"] for _, p, _ in errors} == {
        "cnncost check: params over budget", "cnncost check: MACs over budget",
        "cnncost check: Eq. (1) over budget"}
    assert all(p["file"] == "new.yaml" and p["line"] == str(line_of(grown, "body"))
               for _, p, _ in errors)
    params = next(m for _, p, m in errors if "params" in p["title"])
    assert f"({TOTAL_PARAMS + 36928})" in params and "tiny +0%" in params
    assert params.endswith("; stage body grew most (+36.9K params)")  # 3·3·64·64 + 64 = 36928 more


def test_a_peak_points_at_the_layer(spec):
    code, out, _ = run("check", spec, "--max-peak-memory", "1KB", "--format", "github")
    assert code == 1
    (_, props, message), = commands(out)
    assert props["title"] == "cnncost check: peak memory over budget"
    # fp32, while body's second conv runs: its input and output (32·32·64 each) and the
    # network input, which lives throughout (docs/memory.md) — the most of any layer
    assert f"({32 * 32 * (64 + 64 + 3) * 4})" in message
    assert message.endswith("; the peak is at layer conv3 in stage body")
    assert props["line"] == str(line_of(SPEC, "body"))


def test_no_file_for_a_built_in_spec_or_the_notation():
    code, out, _ = run("check", "he2015-j", "--max-params", "75M", "--format", "github")
    assert code == 1
    (_, props, _), = commands(out)
    assert "file" not in props and "line" not in props
    code, out, _ = run("check", "Input(8,8,3) -> 4F(3,3)", "--max-params", "1", "--format", "github")
    (_, props, message), = commands(out)
    assert code == 1 and set(props) == {"title"} and f"({3 * 3 * 3 * 4 + 4})" in message


def test_names_and_paths_are_escaped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    name = "my,net: 100%"
    path = "a,b:c.yaml"
    (tmp_path / path).write_text(SPEC.replace("name: tiny", f"name: '{name}'"), encoding="utf-8")
    code, out, _ = run("check", path, "--max-params", "1", "--format", "github")
    assert code == 1
    assert "file=a%2Cb%3Ac.yaml," in out and "::my,net: 100%25: params" in out
    (_, props, message), = commands(out)
    assert props["file"] == path and message.startswith(f"{name}: params")


def test_bad_input_is_exit_2_and_an_error_where_it_is(spec, tmp_path):
    bad = SPEC.replace("gap -> 10fc", "gap -> maxp(2,2)")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    code, out, err = run("check", "bad.yaml", "--max-params", "1", "--format", "github")
    assert code == 2
    assert err == run("check", "bad.yaml", "--max-params", "1")[2]  # the message as ever
    (kind, props, message), = commands(out)
    line = line_of(bad, "head")
    assert kind == "error" and props == {
        "file": "bad.yaml", "line": str(line),
        "col": str(bad.splitlines()[line - 1].index("maxp") + 1), "title": "cnncost: bad input"}
    assert message.startswith("unknown layer 'maxp' (did you mean 'max-p'?) (hint: ")
    # no place: an option's value
    code, out, err = run("check", spec, "--max-params", "lots", "--format", "github")
    assert code == 2 and "--max-params" in err
    (_, props, message), = commands(out)
    assert set(props) == {"title"} and message.startswith("--max-params: 'lots' is not an amount")
    code, out, _ = run("check", spec, "--max-params", "lots")
    assert code == 2 and out == ""  # only --format github adds the command


@pytest.mark.parametrize("args,fmt", [
    (["analyze", "he2015-a"], "github"),
    (["compare", "he2015"], "github"),
    (["diff", "he2015-a", "he2015-b"], "github"),
    (["diff", "he2015-a", "he2015-b"], "benchmark-json"),
    (["layers"], "benchmark-json"),
    (["sweep", "mobilenet_v1"], "benchmark-json"),
])
def test_a_command_without_the_format_refuses_it(args, fmt):
    code, out, err = run(*args, "--format", fmt)
    assert code == 2 and out == ""
    said, choices = err.splitlines()[0].split(" is not one of ")
    assert said.endswith(f"'{fmt}'") and "'table'" in choices and f"'{fmt}'" not in choices


# ---------------------------------------------------------------------------
# benchmark-json


def test_analyze_benchmark_json_is_custom_smaller_is_better(spec):
    code, out, _ = run("analyze", spec, "--format", "benchmark-json")
    assert code == 0
    entries = json.loads(out)
    assert all(set(e) == {"name", "unit", "value"} and type(e["value"]) is int for e in entries)
    by_name = {e["name"]: e for e in entries}
    assert len(by_name) == len(entries) == len(BUDGETS)
    assert by_name["tiny params"] == {"name": "tiny params", "unit": "params", "value": TOTAL_PARAMS}
    assert by_name["tiny macs"] == {"name": "tiny macs", "unit": "MACs", "value": TOTAL_MACS}
    assert by_name["tiny flops"]["value"] == 2 * TOTAL_MACS
    assert by_name["tiny param_bytes"] == {"name": "tiny param_bytes", "unit": "bytes",
                                           "value": 4 * TOTAL_PARAMS}


def test_compare_benchmark_json_names_the_family_and_each_variant(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "v.yaml").write_text("input: 32x32x3\nbaseline: A\nvariants:\n"
                                     "  A:\n    stages:\n      s: 16F(3,3)\n"
                                     "  B:\n    stages:\n      s: 32F(3,3)\n", encoding="utf-8")
    code, out, _ = run("compare", "v.yaml", "--format", "benchmark-json")
    assert code == 0
    values = {e["name"]: e["value"] for e in json.loads(out)}
    assert values["v.yaml A params"] == 3 * 3 * 3 * 16 + 16
    assert values["v.yaml B params"] == 3 * 3 * 3 * 32 + 32
    assert values["v.yaml B macs"] == 32 * 32 * 32 * 27
    assert len(values) == 2 * len(BUDGETS)
    code, out, _ = run("compare", "he2015-a", "he2015-b", "--format", "benchmark-json")
    assert {e["name"] for e in json.loads(out)} >= {"he2015-a params", "he2015-b params"}


def test_check_benchmark_json_keeps_the_exit_status(spec):
    code, out, _ = run("check", spec, "--max-params", "1", "--format", "benchmark-json")
    assert code == 1
    assert {e["name"]: e["value"] for e in json.loads(out)}["tiny params"] == TOTAL_PARAMS


# ---------------------------------------------------------------------------
# $GITHUB_STEP_SUMMARY


def run_with_summary(path: Path, *args: str):
    result = CliRunner(env={**ENV, "GITHUB_STEP_SUMMARY": str(path)}).invoke(
        main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_check_appends_a_summary_totals_first(spec, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    plain = run("check", spec, "--max-params", "40000")
    for _ in range(2):
        code, out, err = run_with_summary(summary, "check", spec, "--max-params", "40000")
        assert (code, out, err) == plain  # the command's own output is unchanged
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n")
    parts = text.split("### cnncost check — tiny: ❌ over budget (params)\n")
    assert len(parts) == 3  # appended twice, never overwritten
    one = parts[1]
    # the limits table first, exact to the table's units, then the collapsed details
    assert one.index("| FAIL | params | 47.3K | 40.0K | --max-params |") < one.index("<details>")
    assert one.count("<details><summary>") == one.count("</details>") == 2
    assert "<details><summary>largest stages</summary>\n\n" in one
    assert "<details><summary>per-layer costs of tiny</summary>\n\n" in one
    assert "| 3 | conv3 | `64F(3,3)` | 32x32x64 | 36.9K | 37.7M |" in one  # 3·3·64·64+64, 32·32·64·576


def test_diff_appends_a_summary_in_any_format(spec, tmp_path):
    (tmp_path / "new.yaml").write_text(SPEC.replace("10fc", "20fc"), encoding="utf-8")
    summary = tmp_path / "summary.md"
    code, out, _ = run_with_summary(summary, "diff", spec, "new.yaml", "--format", "json")
    assert code == 0 and json.loads(out)["differs"] is True
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("### diff tiny → tiny: 1 layer differs\n\n| total |")
    delta = 64 * 10  # the fc's 10 more outputs: 64 weights and a bias each, 64 MACs each
    assert f"| params | {TOTAL_PARAMS / 1000:.1f}K | {(TOTAL_PARAMS + delta + 10) / 1000:.1f}K |" in text
    assert text.index("| total |") < text.index("<details><summary>stages</summary>") \
        < text.index("<details><summary>layers that differ</summary>")
    assert "| ~ | head | `10fc` | `20fc` |" in text


def test_an_unwritable_summary_is_a_warning_not_the_result(spec, tmp_path):
    code, out, err = run_with_summary(tmp_path / "no" / "such" / "file", "check", spec,
                                      "--max-params", "1")
    assert code == 1 and "over budget" in out.lower()
    assert err.startswith("warning: cannot append the step summary to ")


def test_the_tests_never_see_the_runners_summary():
    assert ENV["GITHUB_STEP_SUMMARY"] is None  # CliRunner unsets it
    import os
    assert "GITHUB_STEP_SUMMARY" not in os.environ  # conftest: subprocesses neither


# ---------------------------------------------------------------------------
# pre-commit hook and composite action


def test_hook_splits_options_from_files():
    assert hook.split(["--max-params", "30M", "--format=github", "-f", "json", "--stages", "a.yaml",
                       "b.yaml"]) == (["--max-params", "30M", "--format=github", "-f", "json",
                                       "--stages"], ["a.yaml", "b.yaml"])
    assert hook.split(["--baseline", "main.yaml", "new.yaml"]) == (["--baseline", "main.yaml"],
                                                                   ["new.yaml"])
    assert hook.split(["--max-macs", "1G", "--", "-odd.yaml"]) == (["--max-macs", "1G"],
                                                                   ["-odd.yaml"])


def test_hook_checks_every_file_and_exits_with_the_worst(spec, tmp_path, capsys):
    (tmp_path / "big.yaml").write_text(SPEC.replace("64F", "128F"), encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("stages: [", encoding="utf-8")
    assert hook.main(["--max-params", f"{TOTAL_PARAMS}", spec]) == 0
    assert hook.main(["--max-params", f"{TOTAL_PARAMS}", spec, "big.yaml"]) == 1
    assert hook.main(["--max-params", f"{TOTAL_PARAMS}", "bad.yaml", "big.yaml"]) == 2
    out = capsys.readouterr().out
    assert "cnncost check big.yaml" in out and "within budget" in out and "over budget" in out


def test_hook_entry_runs_as_pre_commit_runs_it(spec, tmp_path):
    import os
    import subprocess
    import sys
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "cnncost.hook", "--max-params", "1", spec],
                          capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    assert done.returncode == 1 and "OVER BUDGET" in done.stdout, done.stderr


def test_pre_commit_hooks_file():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (h,) = hooks
    assert h["id"] == "cnncost-check" and h["language"] == "python"
    assert h["entry"] == "python -m cnncost.hook"
    files = re.compile(h["files"])
    assert files.search("specs/he2015.yaml") and files.search("ml/models/net.yml")
    assert not files.search(".pre-commit-config.yaml") and not files.search(".github/ci.yml")


def test_action_file_uses_its_inputs():
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    action = yaml.safe_load(text)
    assert action["runs"]["using"] == "composite"
    inputs = set(action["inputs"])
    assert inputs == {"spec", "args", "python-version"}
    used = set(re.findall(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", text))
    assert used == inputs  # every reference is an input, every input is used
    steps = action["runs"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    assert all(s.get("shell") == "bash" for s in steps if "run" in s)  # composite steps need one
    assert any('pip install' in r and '"$GITHUB_ACTION_PATH"' in r for r in runs)
    check = next(s for s in steps if "run" in s and "cnncost check" in s["run"])
    assert "--format github" in check["run"]
    for var in re.findall(r"\$(CNNCOST_\w+)", check["run"]):
        assert var in check["env"]


@pytest.mark.parametrize("golden", sorted((ROOT / "tests" / "golden").glob("*_github.out")),
                         ids=lambda p: p.name)
def test_golden_github_output_is_workflow_commands(golden):
    _, status, *lines = golden.read_text(encoding="utf-8").splitlines()
    found = commands("\n".join(lines))
    assert found and {kind for kind, _, _ in found} <= {"error", "notice"}
    assert (status == "[exit 0]") == all(kind == "notice" for kind, _, _ in found)


def ci_doc_sessions() -> list[tuple[list[str], list[str]]]:
    """docs/ci.md's ```text sessions: (the command's words, the lines shown; … elides)."""
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"^```text\n(.*?)^```", text, re.S | re.M):
        first, *shown = block.splitlines()
        if first.startswith("$ cnncost "):
            import shlex
            out.append((shlex.split(first)[2:], shown))
    return out


@pytest.mark.parametrize("args,shown", ci_doc_sessions(),
                         ids=[" ".join(a)[:50] for a, _ in ci_doc_sessions()])
def test_ci_doc_shows_what_the_command_prints(args, shown, monkeypatch):
    monkeypatch.chdir(ROOT)
    _, out, _ = run(*args)
    lines = out.splitlines()
    if "  …" in shown:  # the start, and the last line
        cut = shown.index("  …")
        assert lines[:cut] == shown[:cut] and lines[-1] == shown[-1]
    else:
        assert lines == shown
