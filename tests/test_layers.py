"""Meta-tests of the layer registry: every kind is complete, documented and parses.

The cases are derived from cnncost.layers.KINDS itself, so a kind added without
its syntax, its rules, its docs entry or its PyTorch cross-check (test_torch.py
checks that one) fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cnncost.layers import BY_CLASS, KINDS, SYNTAX, kind_of
from cnncost.notation import parse
from cnncost.printer import format_layer

LANGUAGE = (Path(__file__).parent.parent / "docs" / "language.md").read_text(encoding="utf-8")


def section(number: str) -> str:
    """The text of section `number` (e.g. "4.6") of docs/language.md, up to the next
    heading of the same or a higher level."""
    m = re.search(rf"^(#+) {re.escape(number)}\.? .*$", LANGUAGE, re.M)
    assert m, f"docs/language.md has no section {number}"
    level = len(m.group(1))
    rest = LANGUAGE[m.end():]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return m.group(0) + rest[: end.start() if end else len(rest)]


@pytest.mark.parametrize("kind", KINDS, ids=[k.kind for k in KINDS])
def test_every_kind_is_complete(kind):
    assert kind.cls.kind == kind.kind  # the JSON "kind" is the class's own
    assert BY_CLASS[kind.cls] is kind
    for rule in (kind.shape, kind.cost, kind.notation, kind.torch):
        assert callable(rule)
    assert kind.prefix


@pytest.mark.parametrize("kind", KINDS, ids=[k.kind for k in KINDS])
def test_every_kind_is_documented_in_its_section(kind):
    text = section(kind.doc)
    names = [name for sig in kind.syntax for name in sig.names] or [f"{kind.kind}["]
    missing = [n for n in names if f"`{n}" not in text and not (n in ("f", "t") and
                                                             re.search(rf"`\w*\d{n.upper()}", text))]
    assert not missing, f"section {kind.doc} does not mention {missing}"


SIGS = [(name, sig) for name, sig in SYNTAX.items() if name == sig.names[0]]


@pytest.mark.parametrize("name,sig", SIGS, ids=[s[0] for s in SIGS])
def test_every_example_builds_its_kind_and_prints_back(name, sig):
    (leaf,) = parse(sig.example).chain.items
    kind = kind_of(leaf.layer)
    assert sig in kind.syntax
    again = parse(format_layer(leaf.layer)).chain.items[0]
    assert again.layer == leaf.layer
