"""Every example in the docs runs: ```cnncost and ```yaml blocks in docs/*.md, the
README's console sessions, and the examples in each command's --help."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from clihelp import run
from cnncost.cli import main
from cnncost.costs import analyze
from cnncost.yaml_spec import load_document

ROOT = Path(__file__).parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(kind: str) -> list[tuple[str, str]]:
    out = []
    for path in [ROOT / "README.md", *DOCS]:
        for i, m in enumerate(FENCE.finditer(path.read_text(encoding="utf-8"))):
            if m.group(1) == kind:
                out.append((f"{path.name}#{i}", m.group(2)))
    return out


@pytest.mark.parametrize("where,text", blocks("cnncost"), ids=[b[0] for b in blocks("cnncost")])
def test_cnncost_blocks_analyse(where, text):
    m = re.match(r"\s*#\s*input:\s*(\S+)", text)
    padding = re.search(r"#\s*padding:\s*(\S+)", text)
    args = ["analyze", text, "--format", "json"]
    if m:
        args += ["--input", m.group(1)]
    if padding:
        args += ["--padding", padding.group(1)]
    code, _, err = run(*args)
    assert code == 0, f"{where}: {err}"


@pytest.mark.parametrize("where,text", blocks("yaml"), ids=[b[0] for b in blocks("yaml")])
def test_yaml_blocks_load(where, text):
    doc = load_document(text, where)
    for net in doc.networks.values():
        if net.input is not None:
            analyze(net.graph())


def console_sessions() -> list[tuple[str, str, str]]:
    """(where, command line, expected output or '') from ```console blocks."""
    out = []
    for where, text in blocks("console"):
        lines = text.splitlines()
        i = 0
        while i < len(lines):
            if lines[i].startswith("$ cnncost "):
                cmd = lines[i][2:]
                i += 1
                while i < len(lines) and lines[i].startswith("    "):  # continuation
                    cmd += " " + lines[i].strip()
                    i += 1
                expected = []
                while i < len(lines) and not lines[i].startswith("$ "):
                    expected.append(lines[i])
                    i += 1
                out.append((where, cmd, "\n".join(expected)))
            else:
                i += 1
    return out


@pytest.mark.parametrize("where,cmd,expected", console_sessions(),
                         ids=[f"{c[0]}:{c[1][:40]}" for c in console_sessions()])
def test_console_sessions(where, cmd, expected):
    args = shlex.split(cmd)[1:]
    code, out, err = run(*args)
    if expected.startswith("error:"):
        assert code == 2 and err.rstrip() == expected.rstrip()
    else:
        assert code == 0, err
        if expected.strip():
            assert [x.rstrip() for x in out.splitlines()] == [x.rstrip() for x in expected.splitlines()]


def help_examples() -> list[tuple[str, str]]:
    out = []
    for name, command in main.commands.items():
        text = command.help or ""
        for line in text.split("Examples:", 1)[-1].splitlines():
            line = line.strip()
            if line.startswith("cnncost "):
                out.append((name, line))
    return out


@pytest.mark.parametrize("name,line", help_examples(), ids=[e[1][:60] for e in help_examples()])
def test_help_examples_run(name, line, tmp_path, monkeypatch):
    args = shlex.split(line)[1:]
    if ">" in args:
        args = args[: args.index(">")]
    # a file's variant, FILE.yaml:NAME: the file is what must exist
    files = {a: a.rpartition(":")[0] if re.fullmatch(r".+\.ya?ml:\w[\w.\-]*", a) else a
             for a in args}
    missing = sorted({files[a] for a in args if files[a].endswith((".yaml", ".yml"))
                      and not (ROOT / files[a]).exists() and not a.startswith("-")})
    if missing:
        # examples that name the user's own files: run them on a real spec file
        for a in missing:
            (tmp_path / a).write_text((ROOT / "specs" / "he2015.yaml").read_text(encoding="utf-8"))
    models = [a for a in args if a.endswith(".onnx") or a.endswith(".py:Net")]
    if models:  # a model of the user's: a small one, exported here
        torch = pytest.importorskip("torch")
        pytest.importorskip("onnx")
        from cnncost.notation import parse_spec
        from cnncost.torch_export import export_torch
        source = export_torch(parse_spec("Input(224,224,3) -> 8F(3,3,s=4) -> relu -> gap -> 10fc"))
        for a in models:
            if a.endswith(".py:Net"):
                (tmp_path / a[:-4]).write_text(source)
            else:
                ns: dict = {}
                exec(source, ns)
                torch.onnx.export(ns["Net"]().eval(), torch.zeros(1, 3, 224, 224),
                                  str(tmp_path / a), dynamo=False)
    monkeypatch.chdir(tmp_path)
    args = [str(ROOT / files[a]) + a[len(files[a]):] if (ROOT / files[a]).exists()
            and files[a].endswith((".yaml", ".yml")) else a for a in args]
    code, _, err = run(*args)
    assert code in (0, 1), f"{line}: {err}"


@pytest.mark.parametrize("page,marker,command", [
    ("zoo.md", "zoo-table", ("zoo", "--format", "markdown")),
    ("language.md", "layers-table", ("layers", "--format", "markdown")),
])
def test_generated_tables_are_current(page, marker, command, regen):
    path = ROOT / "docs" / page
    text = path.read_text(encoding="utf-8")
    start = text.index(f"<!-- {marker}")
    start = text.index("\n", start) + 1
    end = text.index(f"<!-- /{marker} -->")
    code, table, _ = run(*command)
    assert code == 0
    if regen:
        path.write_text(text[:start] + table + text[end:], encoding="utf-8")
        return
    assert text[start:end] == table
