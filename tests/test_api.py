"""The library's public names, and the README's library example."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
