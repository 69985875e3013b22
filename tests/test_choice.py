"""cnncost.choice.Choice answers as a `class X(str, enum.Enum)` does: each check
builds the same members both ways and compares what they do."""

from __future__ import annotations

import copy
import enum
import pickle

import pytest

from cnncost.choice import Choice
from cnncost.layers.elementwise import Act
from cnncost.layers.pool import PoolOp
from cnncost.model import Padding
from cnncost.report import Format, Kind


class Mine(Choice):
    SAME = "same"
    TF = "tf"
    lower = "not a member"  # only upper-case names are members, as the modules write them


class Theirs(str, enum.Enum):
    SAME = "same"
    TF = "tf"


def test_members_answer_as_an_enums_do():
    for m, t in zip(Mine, Theirs, strict=True):
        assert (m.name, m.value, m == t.value, hash(m) == hash(t.value)) == \
            (t.name, t.value, True, True)
        assert str(m) == str(t).replace("Theirs", "Mine") and f"{m}" == f"{t}".replace("Theirs", "Mine")
        assert repr(m) == repr(t).replace("Theirs", "Mine")
        assert (f"{m:>14}", f"{t:>14}") == (f"{str(m):>14}", f"{str(t):>14}")
        assert Mine(t.value) is m and Mine(m) is m and isinstance(m, str) and isinstance(m, Mine)
        assert pickle.loads(pickle.dumps(m)) is m and copy.copy(m) is m and copy.deepcopy(m) is m
    assert len(Mine) == len(Theirs) == 2 and list(Mine.__members__) == list(Theirs.__members__)
    assert Mine.lower == "not a member" and "not a member" not in [m.value for m in Mine]
    for wrong in ("x", None, 3, ["same"]):
        with pytest.raises(ValueError, match="is not a valid Mine"):
            Mine(wrong)
        with pytest.raises(ValueError, match="is not a valid Theirs"):
            Theirs(wrong)
    with pytest.raises(AttributeError):
        Mine.SAME = "other"


def test_the_modules_choices_are_the_enums_they_were():
    """The five the counting and the report use, with the values the notation and
    the CLI spell."""
    assert [p.value for p in Padding] == ["same", "he2015", "tf"]
    assert [f.value for f in Format] == ["table", "csv", "markdown", "json", "github",
                                         "benchmark-json", "html"]
    assert PoolOp("max") is PoolOp.MAX and Act("relu") is Act.RELU and Kind("count") is Kind.COUNT
    assert pickle.loads(pickle.dumps((Padding.TF, Act.GELU))) == (Padding.TF, Act.GELU)
