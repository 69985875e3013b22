"""The script's click-free answer to `analyze SPEC --format F` and to `replace SPEC
--stage S …` (and to their tables written to a pipe or a file) is the click
command's, to the byte; everything else is left to click."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from clihelp import ENV, run
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


@pytest.mark.parametrize("no_color", ["1", None])
@pytest.mark.parametrize("columns", ["60", "100", "200"])
@pytest.mark.parametrize("spec", SPECS)
def test_quick_table_is_the_commands_on_a_pipe(spec, columns, no_color, monkeypatch):
    """Written to a pipe or a file (as under the test runner), the table is what the
    click command writes there, at every width, with and without NO_COLOR."""
    env = {**ENV, "COLUMNS": columns, "NO_COLOR": no_color}
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    code, out, err = run("analyze", spec)
    assert code == 0 and err == ""
    for args in (["analyze", spec], ["analyze", spec, "--format", "table"]):
        answer = quick(args)
        assert answer is None or answer == out
    if columns != "60":  # wide enough for the tables at their natural width
        assert quick(["analyze", spec]) == out


@pytest.mark.parametrize("options", [
    ["--stage", "3"], ["--stage=3", "--tolerance", "8%"], ["--stage", "2", "--top", "5", "-f", "json"],
    ["--stage", "3", "--sizes", "2,3", "--format=csv"], ["--depth", "2..4", "--stage", "1",
                                                        "--widths", "64,96,128", "-f", "markdown"],
    ["--stage", "3", "--tolerance=2", "--top=0", "--format", "table"],
])
@pytest.mark.parametrize("spec", ["he2015-a", "he2015-j", "vgg16"])
def test_quick_replace_is_the_commands(spec, options, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    code, out, err = run("replace", spec, *options)
    answer = quick(["replace", spec, *options])
    if code != 0:  # a stage the network does not have: click's message and status
        assert answer is None and err.startswith("error:")
        return
    assert err == "" and str(answer) == out


@pytest.mark.parametrize("columns", ["60", "100", "200"])
@pytest.mark.parametrize("spec", ["resnet50", "he2015-a"])
def test_quick_table_at_a_terminal_is_the_commands(spec, columns, monkeypatch):
    """At a terminal, the table is what the click command prints there (rich's, its
    styles included) where it fits; a narrower terminal's layouts and a dumb
    terminal's are left to click."""
    import click.testing
    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True,
                        raising=False)
    from click.testing import CliRunner

    from cnncost.cli import main
    env = {**ENV, "COLUMNS": columns, "TERM": "xterm-256color", "NO_COLOR": None}
    for key, value in env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    result = CliRunner(env=env).invoke(main, ["analyze", spec], catch_exceptions=False)
    code, out, err = result.exit_code, result.stdout, result.stderr
    assert code == 0 and err == "" and "\x1b[1m" in out
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    answer = quick(["analyze", spec])
    assert answer == out or answer is None and columns == "60"
    if columns != "60":
        assert answer == out
    monkeypatch.setenv("TERM", "dumb")
    assert quick(["analyze", spec]) is None


@pytest.mark.skipif(sys.platform == "win32", reason="a pseudo-terminal")
def test_the_script_at_a_terminal_answers_without_click(tmp_path):
    """Through a real pseudo-terminal: the installed script's table is rich's on a
    terminal, to the byte, and it imports neither click nor rich to write it."""
    import pty

    from rich.console import Console

    from cnncost.costs import analyze
    from cnncost.report import Format, render_analysis
    from cnncost.resolve import load, one_network
    script = os.path.join(os.path.dirname(sys.executable), "cnncost")
    code = ("import sys, runpy; sys.argv = [sys.argv[1], 'analyze', 'he2015-a']\n"
            "import cnncost.entry as e\n"
            "def done(status):\n"
            "    sys.stdout.flush()\n"
            "    loaded = sorted(m for m in ('click', 'rich') if m in sys.modules)\n"
            "    sys.stderr.write(repr(loaded)); sys.stderr.flush()\n"
            "    import os; os._exit(status)\n"
            "e._exit = done\n"
            "e.main()\n")
    main, child = pty.openpty()
    done = subprocess.run([sys.executable, "-c", code, script], stdout=child, stderr=subprocess.PIPE,
                          env={**os.environ, "COLUMNS": "100", "TERM": "xterm-256color",
                               "NO_COLOR": ""}, timeout=60)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the child's end is closed: all of it is read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert done.returncode == 0 and done.stderr == b"[]"
    shown = b"".join(chunks).decode().replace("\r\n", "\n")
    expected = io_text(render_analysis(analyze(one_network(load("he2015-a")).graph()),
                                       Format.TABLE), Console)
    assert shown == expected and "\x1b[1m" in shown


def io_text(tables, console):
    import io
    out = io.StringIO()
    console(file=out, width=100, highlight=False, markup=False, force_terminal=True,
            color_system="256").print(tables)
    return out.getvalue()


@pytest.mark.parametrize("args", [
    ["analyze", "resnet50", "--format", "json", "--stages"],
    ["analyze", "resnet50", "--stages", "--format", "json"],
    ["analyze", "resnet50", "--format", "yaml"],
    ["analyze", "-", "--format", "json"],
    ["analyze", "--help"],
    ["analyze", "64F(7,7,3,s=2) -> maxp(3,3,3)", "--format", "json"],  # an error: click's message
    ["analyze", "no-such-net", "--format", "json"],
    ["compare", "he2015", "--format", "json"],
    ["analyze"], [],
    ["replace", "he2015-a"],  # no --stage: click says so
    ["replace", "he2015-a", "--stage", "9"],  # no such stage: click's message
    ["replace", "he2015-a", "--stage", "3", "--emit-variants", "-"],
    ["replace", "he2015-a", "--stage", "3", "--top", "x"],
    ["replace", "he2015-a", "--stage", "3", "--top", "-1"],
    ["replace", "he2015-a", "--stage", "3", "--stage", "2"],
    ["replace", "he2015-a", "--stage", "3", "--batch", "2"],
    ["replace", "he2015-a", "--stage", "3", "--depth", "1..x"],
    ["replace", "he2015-a", "--stage"],
])
def test_everything_else_goes_to_click(args):
    assert quick(args) is None


def test_the_script_and_python_m_agree(tmp_path):
    """Through a real process: the quick path's output and exit status, and click's
    message and status 2 for a bad spec."""
    ok = subprocess.run([sys.executable, "-m", "cnncost", "analyze", "he2015-a", "-f", "json"],
                        capture_output=True, text=True, encoding="utf-8")
    assert ok.returncode == 0 and ok.stdout == run("analyze", "he2015-a", "-f", "json")[1]
    table = subprocess.run([sys.executable, "-m", "cnncost", "analyze", "he2015-a"],
                           capture_output=True, text=True, encoding="utf-8",
                           env={**os.environ, "COLUMNS": "100", "NO_COLOR": "1"})
    code, out, _ = run("analyze", "he2015-a")
    assert table.returncode == 0 and code == 0 and table.stdout == out
    bad = subprocess.run([sys.executable, "-m", "cnncost", "analyze", "maxp(3,3,3)", "-f", "json"],
                         capture_output=True, text=True, encoding="utf-8")
    assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr


@pytest.mark.parametrize("args", [["analyze", "resnet50", "--format", "json"],
                                  ["analyze", "resnet50"],
                                  ["analyze", "resnet50", "--stages", "--format", "csv"]])
def test_the_script_ends_with_everything_written(args, tmp_path):
    """The script ends the process without tearing the interpreter down (entry._exit),
    after flushing: a pipe gets the whole output, a closed pipe changes no exit
    status, and the error path keeps its own."""
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-m", "cnncost", *args], capture_output=True,
                          env=env)
    code, out, err = run(*args)
    assert done.returncode == code == 0 and done.stdout.decode() == out and done.stderr == b""
    proc = subprocess.Popen([sys.executable, "-m", "cnncost", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    proc.stdout.close()  # `| head -0`: the reader is gone before anything is written
    _, err_bytes = proc.communicate(timeout=60)
    assert proc.returncode == 0 and b"Traceback" not in err_bytes and b"Broken" not in err_bytes


def test_a_large_document_is_flushed_whole(tmp_path):
    """10k layers of JSON (megabytes, written piece by piece) arrive whole through a pipe."""
    import json
    spec = tmp_path / "chain.cnn"
    spec.write_text("Input(8,8,4) -> " + " -> ".join(["4F(1,1)", "relu"] * 5000), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "cnncost", "analyze", str(spec), "-f", "json"],
                          capture_output=True)
    assert done.returncode == 0 and done.stderr == b""
    assert len(json.loads(done.stdout)["layers"]) == 10_000


@pytest.mark.parametrize("args,absent", [
    (["analyze", "resnet50", "--format", "json"],
     ("click", "rich", "typing", "yaml", "pathlib", "pickle", "re", "hashlib", "numpy",
      "operator", "warnings", "cnncost.report", "cnncost.notation", "cnncost.blocks")),
    (["analyze", "resnet50"], ("click", "rich", "typing", "yaml", "pathlib", "pickle", "numpy",
                               "cnncost.notation", "cnncost.blocks")),
    (["replace", "he2015-a", "--stage", "3"],
     ("click", "rich", "typing", "yaml", "pathlib", "pickle", "numpy")),
])
def test_the_quick_paths_import_only_what_they_use(args, absent):
    """docs/performance.md, "What keeps it fast": a zoo network's JSON, its piped table
    and `replace`'s import none of these packages or modules (a real process, its
    sys.modules at the end): a zoo network is lowered without the parser (cnncost.tree),
    and its JSON written without report's tables (cnncost.jsondoc)."""
    load_zoo = subprocess.run([sys.executable, "-m", "cnncost", *args], capture_output=True)
    assert load_zoo.returncode == 0  # the zoo cache is filled
    code = (f"import sys; sys.argv = ['cnncost', *{args!r}]\n"
            "import cnncost.entry as e\n"
            "e._exit = lambda code: None\n"
            "e.main()\n"
            "print(sorted(sys.modules), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "COLUMNS": "100"})
    assert done.returncode == 0 and done.stdout
    modules = set(eval(done.stderr))  # noqa: S307 - our own child's printed list
    modules |= {m.split(".")[0] for m in modules}
    assert "cnncost.costs" in modules and modules.isdisjoint(absent), modules & set(absent)


def test_the_collector_is_on_again_for_clicks_run(monkeypatch):
    """entry.main turns the cycle collector off for the quick answer only: a run
    that goes to click has it on."""
    import gc

    import cnncost.cli
    import cnncost.entry
    seen = []
    monkeypatch.setattr(cnncost.cli, "main", lambda prog_name=None: seen.append(gc.isenabled()))
    monkeypatch.setattr(cnncost.entry, "_exit", lambda code: None)
    monkeypatch.setattr(sys, "argv", ["cnncost", "compare", "he2015"])
    try:
        cnncost.entry.main()
    finally:
        gc.enable()
    assert seen == [True]


def test_the_installed_script_needs_neither_re_nor_enum():
    """The `cnncost` script pip installs (bin/cnncost, not an entry point's wrapper,
    which imports re) answers as `python -m cnncost` does, and a zoo network's JSON
    imports neither re nor enum (each ~a fifth of a bare interpreter's start)."""
    script = os.path.join(os.path.dirname(sys.executable), "cnncost")
    with open(script, encoding="utf-8") as f:
        assert f.readline().startswith("#!") and "import re" not in f.read()
    args = ["analyze", "resnet50", "--format", "json"]
    done = subprocess.run([sys.executable, "-X", "importtime", script, *args],
                          capture_output=True, text=True, encoding="utf-8")
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    assert done.returncode == 0 and done.stdout == run(*args)[1]
    assert "cnncost.costs" in imported and not imported & {"re", "enum", "typing", "click"}
