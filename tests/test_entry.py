"""The script's click-free answer to `analyze SPEC --format F` is the click
command's, to the byte; everything else is left to click."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clihelp import run
from cnncost.entry import quick

SPECS = ["he2015-a", "resnet50", "googlenet", "mobilenet_v2",
         "Input(32,32,3) → 16F(3,3) → relu → concat[ 8F(1,1) | 8F(3,3) ] → gap → 10fc"]


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown"])
@pytest.mark.parametrize("spec", SPECS)
def test_quick_answer_is_the_commands(spec, fmt):
    code, out, err = run("analyze", spec, "--format", fmt)
    assert code == 0 and err == ""
    for args in (["analyze", spec, "--format", fmt], ["analyze", spec, "-f", fmt],
                 ["analyze", spec, f"--format={fmt}"]):
        assert str(quick(args)) == out


@pytest.mark.parametrize("args", [
    ["analyze", "resnet50"],  # the terminal table
    ["analyze", "resnet50", "--format", "table"],
    ["analyze", "resnet50", "--format", "json", "--stages"],
    ["analyze", "resnet50", "--stages", "--format", "json"],
    ["analyze", "resnet50", "--format", "yaml"],
    ["analyze", "-", "--format", "json"],
    ["analyze", "--help"],
    ["analyze", "64F(7,7,3,s=2) -> maxp(3,3,3)", "--format", "json"],  # an error: click's message
    ["analyze", "no-such-net", "--format", "json"],
    ["compare", "he2015", "--format", "json"],
    ["analyze"], [],
])
def test_everything_else_goes_to_click(args):
    assert quick(args) is None


def test_the_script_and_python_m_agree(tmp_path):
    """Through a real process: the quick path's output and exit status, and click's
    message and status 2 for a bad spec."""
    ok = subprocess.run([sys.executable, "-m", "cnncost", "analyze", "he2015-a", "-f", "json"],
                        capture_output=True, text=True, encoding="utf-8")
    assert ok.returncode == 0 and ok.stdout == run("analyze", "he2015-a", "-f", "json")[1]
    bad = subprocess.run([sys.executable, "-m", "cnncost", "analyze", "maxp(3,3,3)", "-f", "json"],
                         capture_output=True, text=True, encoding="utf-8")
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr
