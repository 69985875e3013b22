"""Rendering helpers: humanised numbers and spreadsheet-safe cells."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cnncost.report import humanize, safe_cell, to_json


@pytest.mark.parametrize("n,text", [
    (0, "0"), (999, "999"), (-999, "-999"), (1000, "1.00K"), (9994, "9.99K"), (9996, "10.0K"),
    (9999, "10.0K"), (99_949, "99.9K"), (99_999, "100K"), (999_499, "999K"), (999_999, "1.00M"),
    (25_557_032, "25.6M"), (4_089_184_256, "4.09G"), (-1500, "-1.50K"),
])
def test_humanize_examples(n, text):
    assert humanize(n) == text


@given(st.integers(1000, 999 * 10**18))  # below 999.5E (no unit above E)
def test_humanize_is_three_significant_digits_of_the_value(n):
    text = humanize(n)
    digits, unit = text[:-1], text[-1]
    assert len(digits.replace(".", "")) == 3
    scale = 1000 ** ("KMGTPE".index(unit) + 1)
    # within half a unit of the last digit shown
    last = Decimal(1).scaleb(-len(digits.partition(".")[2])) * scale
    assert abs(Decimal(digits) * scale - n) <= last / 2


@pytest.mark.parametrize("text,safe", [
    ("=1+1", "'=1+1"), ("+cmd", "'+cmd"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("-12", "-12"), ("+3.5", "+3.5"), ("relu", "relu"),
])
def test_safe_cell(text, safe):
    assert safe_cell(text) == safe


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner) | st.tuples(inner, inner) | st.dictionaries(st.text(), inner),
    max_leaves=30)


@given(JSON_VALUES)
def test_to_json_writes_what_json_dumps_writes(data):
    assert to_json(data) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def test_to_json_refuses_what_json_refuses():
    with pytest.raises(TypeError, match="Fraction is not JSON serializable"):
        to_json({"rf": Fraction(1, 2)})
