"""Property-based fuzzing: any input either analyses or raises CnnCostError.

Bounded here (CNNCOST_FUZZ_EXAMPLES, default 200 per property); `make fuzz`
runs 20,000.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clihelp import run
from cnncost.costs import analyze
from cnncost.errors import CnnCostError
from cnncost.model import Shape
from cnncost.notation import parse_spec
from cnncost.yaml_spec import load_document

EXAMPLES = int(os.environ.get("CNNCOST_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

SEEDS = [
    "Input(224,224,3) → 64F(7,7,3,s=2) → max-p(3,3,3) → 128F(5,5,64) → max-p(2,2,2) → "
    "256F(3,3,128) → spp(6*6,3*3,2*2,1*1) → 4096fc → softmax",
    "(7,64)/2 + 3/3 + (2,256,p=0)×3 + 5x256*2*2*256 + [(2,256,p=0) + (2,256,p=1)]×3",
    "concat[ 64F(1,1) | 96F(1,1) → 128F(3,3) | max-p(3,3,1,p=1) → 32F(1,1) ] -> res[ 64F(1,1) ] ",
    "dw(3,3,m=2,s=2) -> se(4,sq=8,gate=hsigmoid) -> shuffle(2) -> chunk(2,1) -> cw(8) -> gap -> fc(10,b=0)",
    "add[ 64F(1,1,b=0) → bn → relu | 64F(1,1,b=0) → bn ] → relu → aap(7,7) → gcw(2,4) → lrn → dropout",
]
ALPHABET = "0123456789()[]|,=*/+-x×→>Ffcpgdbsm-_ .#\nabcdeilnoqrstuvwy"


def analyse_or_error(text: str, shape: Shape | None = Shape(32, 32, 16)) -> None:
    try:
        analyze(parse_spec(text, input=shape))
    except CnnCostError as e:
        str(e)  # rendering the message must not fail either


@FUZZ
@given(st.text(alphabet=ALPHABET, max_size=80))
def test_random_text(text):
    analyse_or_error(text)


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        op = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        ch = draw(st.sampled_from(ALPHABET))
        if op == "insert":
            text = text[:i] + ch + text[i:]
        elif op == "delete":
            text = text[:i] + text[i + 1:]
        elif op == "replace":
            text = text[:i] + ch + text[i + 1:]
        else:
            j = draw(st.integers(i, min(len(text), i + 12)))
            text = text[:j] + text[i:j] + text[j:]
    return text


@FUZZ
@given(mutated(), st.sampled_from([Shape(224, 224, 3), Shape(32, 32, 16), Shape(3, 3, 8), None]))
def test_mutated_specs(text, shape):
    analyse_or_error(text, shape)


@FUZZ
@given(st.text(max_size=60))
def test_arbitrary_unicode(text):
    analyse_or_error(text)


YAML_SEED = """name: n
input: 32x32x3
vars: {width: 1.0}
blocks:
  unit(c, s=1): "{div(c*width, 8)}F(3,3,s={s}) → relu"
stages:
  1: unit(16) → unit(32, s=2)
  head: gap → 10fc
"""


@st.composite
def mutated_yaml(draw):
    text = YAML_SEED
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        ch = draw(st.sampled_from(ALPHABET + ":{}'\"&*!%@\t"))
        text = text[:i] + ch + text[i + draw(st.integers(0, 1)):]
    return text


@FUZZ
@given(mutated_yaml())
def test_mutated_yaml(text):
    try:
        doc = load_document(text, "fuzz.yaml")
        for net in doc.networks.values():
            analyze(net.graph())
    except CnnCostError as e:
        str(e)


@settings(max_examples=max(10, EXAMPLES // 20), deadline=None)
@given(mutated())
def test_cli_exit_codes(text):
    code, out, err = run("analyze", text, "--format", "json")
    assert code in (0, 2)
    assert "Traceback" not in err
    if code == 2:
        assert err.startswith("error: ") and out == ""


@settings(max_examples=max(10, EXAMPLES // 10), deadline=None)
@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30),
       st.sampled_from(["table", "markdown", "csv", "json", "html"]))
def test_any_names_render_in_every_format(name, label, fmt):
    """Names and stage labels are user text: markup, formulas, pipes, control characters."""
    import json as json_

    text = (f"name: {json_.dumps(name, ensure_ascii=False)}\ninput: 8x8x3\nstages:\n"
            f"  {json_.dumps(label, ensure_ascii=False)}: 4F(3,3) -> relu\n  \"head\": gap -> 2fc\n")
    try:
        net = next(iter(load_document(text, "n.yaml").networks.values()))
    except CnnCostError:
        return  # e.g. a duplicate label: refused with a message, which is fine
    from cnncost.report import Format, render_analysis
    rendered = render_analysis(analyze(net.graph()), Format(fmt), False)
    if fmt == "table":
        from rich.console import Console
        console = Console(file=open(os.devnull, "w"), width=100, markup=False)
        console.print(rendered)
    if fmt == "html":  # well-formed: no name opens or closes a tag
        from htmlcheck import parse
        parse(rendered)
