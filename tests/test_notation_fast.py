"""The parser's fast paths (notation.FAST: a common leaf and the arrow after it,
each read by one regex) build exactly what the general path builds — the same
layers, spans, repeats and branches — and raise the same errors, at the same
places, on every zoo spec, every docs example, the bad-spec corpus and fuzzed
text. The general path is the reference: with FAST off it is all that runs."""

from __future__ import annotations

import glob
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnncost import notation
from cnncost.errors import CnnCostError, Span
from cnncost.record import fields
from test_fuzz import ALPHABET, SEEDS, mutated

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dump(x):
    """Everything in a parse result, spans included (records compare without them)."""
    if isinstance(x, Span):
        return ("span", x.source.text, x.source.line, x.source.column, x.start, x.end)
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, *map(dump, x))
    if isinstance(x, dict):
        return ("dict", *((k, dump(v)) for k, v in x.items()))
    if hasattr(x, "__record_fields__"):
        return (type(x).__name__, *((f.name, dump(getattr(x, f.name))) for f in fields(x)))
    return (type(x).__name__, repr(x))


def outcome(fast: bool, f, *args):
    notation.FAST = fast
    try:
        return "ok", dump(f(*args))
    except CnnCostError as e:
        return "error", e.message, e.hint, dump(e.span) if e.span else None
    finally:
        notation.FAST = True


def assert_same(f, *args):
    assert outcome(True, f, *args) == outcome(False, f, *args)


def zoo_and_docs_texts() -> list[str]:
    """Spec texts of the zoo's YAML (every `spec:`, stage and block value) and of the docs."""
    texts = []
    for path in sorted(glob.glob(os.path.join(ROOT, "cnncost", "zoo", "*.yaml"))):
        with open(path, encoding="utf-8") as f:
            texts.append(f.read())
    for path in sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")) + [os.path.join(ROOT, "README.md")]):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        texts += re.findall(r"```(?:cnncost|yaml)\n(.*?)```", text, re.S)
    return texts


def test_the_corpus_is_large():
    assert len(zoo_and_docs_texts()) > 80


@pytest.mark.parametrize("text", zoo_and_docs_texts())
def test_zoo_and_docs_specs_read_alike(text):
    from cnncost.resolve import load_text
    assert_same(load_text, text, "<text>")


def bad_specs() -> list[str]:
    with open(os.path.join(ROOT, "tests", "cases", "bad_specs.txt"), encoding="utf-8") as f:
        cases = f.read().split("===")
    return [c.split("\n", 2)[2].split("\n---\n")[0] for c in cases[1:] if c.count("\n") > 2]


@pytest.mark.parametrize("text", bad_specs())
def test_bad_specs_fail_alike(text):
    assert_same(notation.parse, text)


@pytest.mark.parametrize("text", [
    "Input(32,32,16) -> " + " -> ".join(["16F(1,1)", "relu"] * 50),
    "16F(1,1)->relu→bn ⟶ gap => 10fc + softmax",
    "16F(1,1) x3 -> relu ×2 -> 16f(3,3) -> relux3 -> 2x16F(1,1)",
    "16F(1,1)/2 -> 16F(1,1) # a comment\n -> relu\n-> concat[ relu | 16F(1,1) ] -> res[ bn ]",
    "16F(01,1) -> 1234567890F(1,1)", "16F(1,1) ->", "16F(1,1) -> ]", "relu -> | bn",
    "F -> relu", "fc -> relu", "fc4096 -> relu", "input -> relu", "concat -> relu",
    "relu6 -> hswish -> max-p -> dropout", "relu' -> relu", "16F(1, 1) -> relu", "16F(1,1,s=2)",
    "16F(0,1) -> relu", "16F(1,0) -> relu", "0F(1,1) -> relu", "relu -> 0F(3,3)",  # bad values
    "se -> relu", "lrelu -> relu", "up -> relu", "chunk -> relu", "spp -> relu",  # bare names
])
def test_edges_read_alike(text):
    assert_same(notation.parse, text)


FAST_TEXT = st.lists(st.sampled_from(["16F(1,1)", "8f(3,3)", "relu", "bn", "gap", "relu6",
                                      "x2", "×3", "->", " -> ", "→", "+", "[", "]", "|", " ",
                                      "concat[", "res[", "2x", "(3,64)", "/2", "#c\n", "fc",
                                      "10fc", "max-p(3,3,2)", "Input(8,8,4) -> "]),
                     max_size=12).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(FAST_TEXT, mutated(), st.text(alphabet=ALPHABET, max_size=60)))
def test_fuzzed_text_reads_alike(text):
    assert_same(notation.parse, text)


def test_seeds_take_the_fast_path():
    """The fast paths do run (this test fails if they never fire)."""
    calls = []
    original = notation.Parser._fast_leaf

    def spy(self, start):
        leaf = original(self, start)
        calls.append(leaf is not None)
        return leaf
    notation.Parser._fast_leaf = spy
    try:
        notation.parse(SEEDS[0])
        notation.parse("Input(8,8,4) -> 16F(1,1) -> relu -> 16F(3,3) -> bn")
    finally:
        notation.Parser._fast_leaf = original
    assert sum(calls) >= 5
    calls.clear()
    notation.Parser._fast_leaf = spy
    try:  # an arrow and a leaf seen before are read in one match, without _fast_leaf
        notation.parse("16F(1,1) -> relu -> 16F(1,1) -> relu  ->  16F(1,1) -> relu")
    finally:
        notation.Parser._fast_leaf = original
    assert calls == [True, True]


# The fast path builds each leaf text once per spec (Parser._fast_layers) and
# shares the layer between its occurrences: every occurrence must still get its
# own spans, and the errors after one must point where the general path's do.
REPEATED = [
    "relu -> relu -> relu", "relu->relu  ->  relu\t-> relu", "relu   \t -> relu", "relu -> relu ",
    "16F(1,1) -> 16F(1,1)->16F(1,1)  ->\t16F(1,1)", "16F(1,1) -> relu -> 16F(1,1) -> relu",
    "ReLU -> relu -> RELU -> relu", "16f(1,1) -> 16F(1,1) -> 16f(1,1)",
    "relu -> relu + relu => relu → relu ⟶ relu", "relu\n-> relu # c\n-> relu",
    "concat[ relu | relu ] -> relu -> res[ relu -> relu ] -> [relu -> relu]",
    "16F(1,1) -> relu x2 -> relu -> 16F(1,1) ×3 -> 16F(1,1)", "relu -> relux2 -> relu",
    "Input(8,8,4) -> 16F(1,1) -> relu -> 16F(1,1) -> relu -> gap -> 10fc -> gap",
    # errors after, or at, a repeated leaf
    "relu -> relu -> relu x", "relu -> relu ->", "relu -> relu -> ]", "relu -> relu relu",
    "16F(1,1) -> 16F(1,1) -> 16F(0,1)", "16F(1,1) -> 16F(1,1) -> 16F(1,1) -> 16F(1,1",
    "16F(1,1) -> 16F(1,1) -> nope", "relu -> relu | relu", "[relu -> relu", "relu -> relu ] -> relu",
    "se -> relu -> se", "0F(1,1) -> 0F(1,1)", "relu -> relu -> Input(8,8,4)",
]


@pytest.mark.parametrize("text", REPEATED)
def test_repeated_leaves_read_alike(text):
    assert_same(notation.parse, text)


@pytest.mark.parametrize("text", [t for t in REPEATED if t.count("->") > 1][:8])
def test_repeated_leaves_lower_alike(text):
    """The graph's nodes (each with its layer, span and unit) are those of the general path."""
    assert_same(lambda s: notation.lower(notation.parse(s)).nodes, text)


def test_repeated_leaves_share_one_layer_with_their_own_spans():
    text = "16F(1,1) -> relu -> 16F(1,1)  ->  relu -> 16F(1,1)"
    items = notation.parse(text).chain.items
    assert items[0].layer is items[2].layer is items[4].layer
    assert items[1].layer is items[3].layer
    assert [text[i.span.start:i.span.end] for i in items] == \
        ["16F(1,1)", "relu ", "16F(1,1)", "relu ", "16F(1,1)"]


def test_repeated_leaves_in_blocks_read_alike():
    """A block's body is read by a Parser of its own, each call anew: its leaves'
    spans are in the block's text, the caller's in the caller's."""
    from cnncost.resolve import load_text
    yaml_text = ("name: n\ninput: 8x8x4\nblocks:\n  unit(w): \"{w}F(1,1) -> relu -> relu -> 16F(1,1)\"\n"
                 "  gate(r): mul[ id | gap -> relu -> relu -> {cin // r}fc -> relu -> {cin}fc ]\n"
                 "spec: unit(16) -> relu -> unit(16) -> gate(2) -> 16F(1,1) -> relu -> gate(2) -> relu\n")
    assert outcome(True, load_text, yaml_text, "<text>")[0] == "ok"
    assert_same(load_text, yaml_text, "<text>")


LINKS = st.sampled_from(["->", " -> ", "  ->\t", "→", "+", " => ", "\n-> "])
REPEATED_TEXT = st.lists(st.tuples(st.sampled_from(["16F(1,1)", "16f(1,1)", "relu", "ReLU", "bn", "relu ",
                                                    "16F(0,1)", "se", "relux2", "[relu", "]"]),
                                   LINKS),
                         min_size=1, max_size=10).map(lambda xs: "".join(a + b for a, b in xs)) \
    .flatmap(lambda s: st.sampled_from([s, s[:-1], s.rstrip(" ->→+=\n\t"), s + "x"]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REPEATED_TEXT)
def test_fuzzed_repeated_leaves_read_alike(text):
    assert_same(notation.parse, text)
