"""The readers written without re (its import is a fifth of a bare interpreter's
start, and `replace` and the piped tables need nothing else of it) answer exactly
as the regexes they stand for, on texts made of the characters that matter."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnncost.commands import parse_range
from cnncost.comparison import parse_percent
from cnncost.errors import CnnCostError
from cnncost.report import _ONE_CELL, _ONE_CELL_LINES, NARROW, _simple, _word_starts, cell_len

# digits (ASCII and not), blanks (ASCII and not), and the separators the forms use
TRICKY = "0123456789٣ \t\n\u00a0\u2003\x1c.-%:xab" + NARROW + "é中\U0001f600"
texts = st.text(alphabet=TRICKY, max_size=14)
numbers = st.integers(0, 10**10).map(str)


@settings(max_examples=3000)
@given(st.one_of(texts, st.builds(lambda a, s, b: f"{a}{s}{b}", numbers,
                                  st.sampled_from(["..", "-", " .. ", "...", "--"]), numbers)))
def test_a_depth_range_is_read_as_its_regex_reads_it(text):
    m = re.fullmatch(r"\s*(\d{1,9})\s*(?:\.\.|-)\s*(\d{1,9})\s*", text)
    assert parse_range(text) == (None if m is None else (int(m.group(1)), int(m.group(2))))


@settings(max_examples=3000)
@given(st.one_of(texts, st.builds(lambda a, b, s: f"{a}.{b}{s}", numbers, numbers,
                                  st.sampled_from(["", "%", " % ", "%%"]))))
def test_a_percentage_is_read_as_its_regex_reads_it(text):
    m = re.fullmatch(r"\s*(\d{1,9}(?:\.\d{1,9})?)\s*%?\s*", text)
    if m is None:
        with pytest.raises(CnnCostError, match="is not a percentage"):
            parse_percent(text, "--tolerance")
    else:
        assert parse_percent(text, "--tolerance") == float(m.group(1))


@settings(max_examples=3000)
@given(texts)
def test_the_tables_checks_are_their_regexes(text):
    assert _ONE_CELL.issuperset(text) == (re.search(f"[^\x20-\x7e{NARROW}]", text) is None)
    assert _ONE_CELL_LINES.issuperset(text) == (re.search(f"[^\x20-\x7e\n{NARROW}]", text) is None)
    emoji = re.search(r":\S+?:", text) is not None
    assert _simple(text) == (not emoji and text.isprintable() and cell_len(text) == len(text))
    if text.isprintable():
        assert _word_starts(text) == [m.start() for m in re.finditer(r"\s*\S+\s*", text)]
