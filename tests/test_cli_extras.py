"""The CLI's extras: a spec on standard input, misspelled zoo names, NO_COLOR's
plain words, --emit-variants to standard output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cnncost.cli import main

ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
ZOO = Path(__file__).parent.parent / "cnncost" / "zoo"
SMALL = "Input(32,32,3) -> 16F(3,3) -> relu -> gap -> 10fc"


def run(*args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None):
    """(exit code, stdout, stderr)."""
    result = CliRunner(env=env or ENV).invoke(main, list(args), input=stdin,
                                              catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def as_json(*args: str, stdin: str | None = None):
    code, out, err = run(*args, "--format", "json", stdin=stdin)
    assert code == 0, err
    return json.loads(out)


# ---------------------------------------------------------------------------
# 1. `-`: the spec on standard input


def test_analyze_reads_notation_from_stdin():
    piped = as_json("analyze", "-", stdin=SMALL + "\n")
    given = as_json("analyze", SMALL)
    assert piped["totals"] == given["totals"] and piped["totals"]["params"] == 618
    assert piped["name"] == "stdin"


def test_analyze_reads_yaml_from_stdin():
    text = (ZOO / "resnet18.yaml").read_text(encoding="utf-8")
    assert as_json("analyze", "-", stdin=text)["totals"] == as_json("analyze", "resnet18")["totals"]


def test_notation_with_a_comment_first_is_notation_not_yaml():
    text = "# input: 32x32x3\n16F(3,3) -> relu -> gap -> 10fc\n"
    assert as_json("analyze", "-", "--input", "32x32x3", stdin=text)["totals"]["params"] == 618


def test_every_command_taking_a_spec_reads_stdin():
    he = (ZOO / "he2015.yaml").read_text(encoding="utf-8")
    mobilenet = (ZOO / "mobilenet_v1.yaml").read_text(encoding="utf-8")
    assert run("compare", "-", stdin=he)[0] == 0
    assert run("diff", "-", "he2015-b", stdin=he)[0] == 0
    assert run("check", "-", "--max-params", "1G", stdin=SMALL)[0] == 0
    assert run("check", "he2015-a", "--baseline", "-", stdin=SMALL)[0] == 1
    assert run("fmt", "-", stdin=SMALL)[1].strip() == run("fmt", SMALL)[1].strip()
    assert run("scale", "-", "--width", "0.5", stdin=mobilenet)[0] == 0
    assert run("sweep", "-", "--width", "0.5,1.0", stdin=mobilenet)[0] == 0
    assert run("replace", "-", "--stage", "3", "--top", "1", stdin=he)[0] == 0


def test_stdin_is_read_once_for_two_dashes():
    code, out, err = run("diff", "-", "-", "--exit-code", stdin=SMALL)
    assert code == 0, err


def test_stdin_errors_name_stdin_with_the_position():
    code, _, err = run("analyze", "-", stdin="name: x\ninput: 32x32x3\nspec: relu -> 3/\n")
    assert code == 2 and "<stdin>:3:" in err
    code, _, err = run("analyze", "-", "--input", "8x8x3", stdin="relu ->\n")
    assert code == 2 and "<stdin>:1:" in err


@pytest.mark.parametrize("stdin,words", [("", "empty"), ("  \n", "empty"),
                                         (b"\xff\xfe relu", "not UTF-8")])
def test_empty_or_binary_stdin_is_bad_input(stdin, words):
    code, out, err = run("analyze", "-", stdin=stdin)
    assert code == 2 and words in err and "Traceback" not in err


def test_scaling_notation_from_stdin_says_it_has_no_variables():
    code, _, err = run("scale", "-", "--width", "0.5", stdin=SMALL)
    assert code == 2 and "no variables" in err


def test_load_text_detects_yaml_by_its_first_key():
    from cnncost.resolve import load_text, looks_like_yaml
    assert looks_like_yaml("# a comment\nname: x\n")
    assert looks_like_yaml("---\nname: x\n")
    assert not looks_like_yaml("# input: 32x32x3\nrelu\n")
    assert not looks_like_yaml(SMALL)
    doc = load_text(SMALL, "<mine>", "mine")
    assert list(doc.networks) == ["mine"]


# ---------------------------------------------------------------------------
# 2. a misspelled zoo name


@pytest.mark.parametrize("word,close", [("resnet-50", "resnet50"), ("he2015a", "he2015-a"),
                                        ("efficientnetb0", "efficientnet_b0"),
                                        ("rleu", "relu")])
def test_a_misspelled_name_suggests_the_zoo_name(word, close):
    code, out, err = run("analyze", word)
    assert code == 2 and out == ""
    assert err.splitlines()[0] == (f"error: no built-in spec or layer '{word}' "
                                   f"(did you mean '{close}'?)")
    assert "Traceback" not in err


def test_a_word_that_is_nothing_names_where_to_look():
    code, _, err = run("analyze", "nosuchthing")
    assert code == 2
    assert err.splitlines()[0] == "error: no built-in spec or layer 'nosuchthing'"
    assert "cnncost zoo" in err


def test_one_layer_notation_still_works():
    for word in ("relu", "gap"):
        code, out, err = run("analyze", word, "--input", "8x8x3")
        assert code == 0, err
    code, _, err = run("analyze", "64F", "--input", "8x8x3")  # its own, more useful message
    assert code == 2 and "expected '('" in err


def test_a_file_named_like_a_word_is_still_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mynet").write_text(SMALL, encoding="utf-8")
    assert run("analyze", "mynet")[0] == 0


# ---------------------------------------------------------------------------
# 3. NO_COLOR: no bold and no emoji in the terminal table

COLORED = {"COLUMNS": "100", "FORCE_COLOR": "1", "TERM": "xterm-256color"}
NO_COLOR = {**COLORED, "NO_COLOR": "1"}


def test_no_color_drops_bold_and_every_escape():
    code, out, _ = run("check", "he2015-j", "--max-params", "75M", env=COLORED)
    assert code == 1 and "\x1b[1m" in out  # the test can see bold when there is some
    code, out, _ = run("check", "he2015-j", "--max-params", "75M", env=NO_COLOR)
    assert code == 1 and "\x1b[" not in out
    code, out, _ = run("analyze", "he2015-a", env=NO_COLOR)
    assert code == 0 and "\x1b[" not in out


def test_no_color_puts_plain_words_in_checks_headline():
    code, out, _ = run("check", "he2015-j", "--max-params", "75M", env=NO_COLOR)
    assert code == 1 and "he2015-j: OVER BUDGET (params)" in out
    assert "❌" not in out and "✅" not in out
    code, out, _ = run("check", "he2015-a", "--max-params", "1G", env=NO_COLOR)
    assert code == 0 and "he2015-a: within budget" in out and "✅" not in out
    code, out, _ = run("check", "he2015-a", "--max-params", "1G", env=COLORED)
    assert "✅ within budget" in out


def test_no_color_puts_yes_and_no_in_the_zoo_table():
    code, out, _ = run("zoo", env=NO_COLOR)
    assert code == 0 and "✓" not in out and "✗" not in out
    assert " yes" in out and "yes = ours agree" in out
    assert "✓" in run("zoo", env=COLORED)[1]


def test_no_color_leaves_documents_their_emoji():
    """Markdown (a PR comment, docs/zoo.md), CSV and JSON are documents, not the terminal."""
    code, out, _ = run("check", "he2015-j", "--max-params", "75M", "--format", "markdown",
                       env=NO_COLOR)
    assert "❌ over budget" in out
    assert "✓" in run("zoo", "--format", "markdown", env=NO_COLOR)[1]


# ---------------------------------------------------------------------------
# 4. --emit-variants -: the variants YAML on standard output


def test_emit_variants_dash_writes_stdout_not_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run("replace", "he2015-a", "--stage", "3", "--top", "2",
                         "--emit-variants", "-")
    assert code == 0, err
    assert not (tmp_path / "-").exists()
    assert "variants:" in out and "───" not in out  # the YAML, not the table
    assert "2 candidates written to standard output" in err
    run("replace", "he2015-a", "--stage", "3", "--top", "2", "--emit-variants", "v.yaml")
    assert out == (tmp_path / "v.yaml").read_text(encoding="utf-8")
    code, out, err = run("compare", "-", "--format", "json", stdin=out)  # piped on
    assert code == 0, err
    assert len(json.loads(out)["variants"]) == 3


def test_yaml_text_as_the_argument_is_yaml():
    text = (ZOO / "resnet18.yaml").read_text(encoding="utf-8")
    assert as_json("analyze", text)["totals"] == as_json("analyze", "resnet18")["totals"]


def test_zoo_suggests_variant_names_too():
    code, _, err = run("zoo", "he2015a")
    assert code == 2 and err.startswith("error: no built-in spec 'he2015a' (did you mean 'he2015-a'?)")
