"""cnncost.record behaves as @dataclass(frozen=True, slots=True) does: each check
builds the same class both ways and compares what they do."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from cnncost import record as rec
from cnncost.layers.conv import Conv
from cnncost.model import Shape
from cnncost.record import FrozenError, field, fields, record, replace


def both(frozen: bool = True):
    """The same class body as a record and as a dataclass."""
    def body(mod):
        class P:
            a: int
            b: int = 2
            c: str = mod.field(default="x", compare=False)
            d: tuple = mod.field(default_factory=tuple, repr=False)
        return P
    r = record(frozen=frozen)(body(rec))
    d = dataclasses.dataclass(frozen=frozen, slots=True)(body(dataclasses))
    return r, d


def test_init_repr_eq_hash_as_dataclasses():
    R, D = both()
    for args in [(1,), (1, 3), (1, 3, "y"), (1, 3, "y", (4,))]:
        r, d = R(*args), D(*args)
        assert repr(r) == repr(d).replace(D.__qualname__, R.__qualname__)
        assert (r.a, r.b, r.c, r.d) == (d.a, d.b, d.c, d.d)
        assert hash(R(*args[:3])) == hash(D(*args[:3]))
    assert R(1, 2, "x") == R(1, 2, "not compared")
    assert R(1, 2) != R(1, 3)
    assert R(1) != D(1) and R(1).__eq__(D(1)) is NotImplemented
    assert R(1, d=(5,)).d == (5,) and R(1).d == ()
    assert R.__slots__ == D.__slots__ == ("a", "b", "c", "d")
    assert R.__match_args__ == D.__match_args__
    with pytest.raises(TypeError):
        R()
    with pytest.raises(TypeError):
        R(1, 2, "x", [], 5)


def test_frozen_and_mutable():
    R, _ = both()
    r = R(1)
    with pytest.raises(FrozenError):
        r.a = 2
    with pytest.raises(AttributeError):
        del r.b
    with pytest.raises(AttributeError):
        r.other = 1  # slots: no other attributes
    M, DM = both(frozen=False)
    m = M(1)
    m.a = 5
    assert m.a == 5 and M.__hash__ is None and DM.__hash__ is None


@record
class Pair:  # at module level, so pickle finds it
    a: int
    b: int = 2
    c: str = field(default="x", compare=False)
    d: tuple = field(default_factory=tuple, repr=False)


def test_pickle_copy_replace_fields():
    R = Pair
    r = R(1, 3, "y", (4,))
    for other in (pickle.loads(pickle.dumps(r)), copy.copy(r), copy.deepcopy(r)):
        assert other == r and other.c == "y" and other.d == (4,)
    assert replace(r, b=7) == R(1, 7, "y", (4,))
    assert [f.name for f in fields(R)] == [f.name for f in fields(r)] == ["a", "b", "c", "d"]
    # dataclasses' own functions work on records too
    assert dataclasses.is_dataclass(r)
    assert dataclasses.replace(r, a=9).a == 9
    assert dataclasses.asdict(r) == {"a": 1, "b": 3, "c": "y", "d": (4,)}
    assert [f.name for f in dataclasses.fields(r)] == ["a", "b", "c", "d"]


def test_inheritance_and_explicit_methods():
    @record
    class Base:
        x: int
        y: int = 0

    @record
    class Child(Base):
        z: int = 1

        def __repr__(self) -> str:
            return "mine"

    c = Child(1, 2, 3)
    assert (c.x, c.y, c.z) == (1, 2, 3) and repr(c) == "mine"
    assert Base(1) == Base(1, 0) and Child(1) != Base(1)
    assert [f.name for f in fields(Child)] == ["x", "y", "z"]

    @record
    class Explicit:
        v: int

        def __eq__(self, other: object) -> bool:
            return True

        def __hash__(self) -> int:
            return 7

    assert Explicit(1) == Explicit(2) and hash(Explicit(1)) == 7

    with pytest.raises(TypeError, match="non-default argument"):
        @record
        class Bad:
            a: int = 0
            b: int


def test_cnncost_values_round_trip():
    """The layer and shape values the zoo cache pickles."""
    conv = Conv(64, 3, 3)
    assert pickle.loads(pickle.dumps(conv)) == conv and hash(conv) == hash(Conv(64, 3, 3))
    assert replace(conv, filters=32) == Conv(32, 3, 3)
    assert Shape(224, 224, 3) == Shape(224, 224, 3) and Shape(1, 1, 1) != Shape(1, 1, 2)


def test_a_pickle_with_other_fields_is_refused():
    """The zoo cache then reads the spec afresh (a pickle written by another version)."""
    state = Pair(1).__getstate__()
    for wrong in (state[:-1], [*state, 0]):
        with pytest.raises(TypeError, match="fields"):
            Pair.__new__(Pair).__setstate__(wrong)


def test_named_tuple_is_a_namedtuple_with_the_class_body():
    """record.named_tuple: fields and defaults as typing.NamedTuple reads them from
    the class body, methods and docstring kept, a tuple all the same."""
    import pickle

    from cnncost.record import named_tuple

    @named_tuple
    class Point:
        """A point."""

        x: int
        y: int = 0
        tag: str = "p"

        def norm1(self) -> int:
            return abs(self.x) + abs(self.y)

    p = Point(3, -4)
    assert p == (3, -4, "p") and isinstance(p, tuple) and p._fields == ("x", "y", "tag")
    assert p.norm1() == 7 and Point.__doc__ == "A point." and Point(1).y == 0
    assert p._replace(tag="q") == Point(3, -4, "q") and Point._field_defaults == {"y": 0, "tag": "p"}
    with pytest.raises(AttributeError):
        p.x = 1
    with pytest.raises(TypeError):
        Point()
    assert not hasattr(p, "__dict__")
    from cnncost.layers.base import Geometry
    from cnncost.model import Shape
    g = Geometry(Shape(1, 1, 1))
    assert pickle.loads(pickle.dumps(g)) == g and g.run == 0 and g.kernel == (1, 1)



def test_a_named_tuples_fields_compare_and_show_as_a_records():
    """record.named_tuple with field(compare=False, repr=False): equal and hashed by
    the compared fields alone (where a thing was typed does not change what it
    is), == and != agreeing, against a record of the same fields; repr leaves out
    what is not shown; fields() and replace() read it; misuse is refused."""
    import pickle

    from cnncost.record import named_tuple

    @named_tuple
    class Typed:
        value: int
        where: str = field(default="?", compare=False, repr=False)
        tag: str = "t"

    @record
    class TypedRecord:
        value: int
        where: str = field(default="?", compare=False, repr=False)
        tag: str = "t"

    pairs = [((1, "a"), (1, "b")), ((1, "a"), (2, "a")), ((1, "a", "x"), (1, "a", "y")),
             ((3,), (3, "z"))]
    for a, b in pairs:
        ta, tb, ra, rb = Typed(*a), Typed(*b), TypedRecord(*a), TypedRecord(*b)
        assert (ta == tb, ta != tb) == (ra == rb, ra != rb)
        assert (ta == tb) is not (ta != tb)
        if ta == tb:
            assert hash(ta) == hash(tb) and len({ta, tb}) == 1
    assert Typed(1, "a") != (1, "a", "t") and Typed(1, "a") == Typed(1, "elsewhere")
    assert repr(Typed(1, "a")).endswith(".Typed(value=1, tag='t')")
    assert repr(TypedRecord(1, "a")).endswith(".TypedRecord(value=1, tag='t')")
    assert (Typed(1, "a") == (1, "a", "t"), (1, "a", "t") == Typed(1, "a")) == (False, False)
    assert (Typed(1, "a") != (1, "a", "t"), (1, "a", "t") != Typed(1, "a")) == (True, True)
    assert [f.name for f in fields(Typed)] == ["value", "where", "tag"]
    t = replace(Typed(1, "a"), tag="u")
    assert type(t) is Typed and tuple(t) == (1, "a", "u")
    from cnncost.model import Node
    node = Node(Conv(8, 3, 3), (0,), None, 2, "s", False)
    back = pickle.loads(pickle.dumps(node))
    assert type(back) is Node and tuple(back) == tuple(node) and back == node
    with pytest.raises(TypeError, match="default_factory"):
        named_tuple(type("Bad", (), {"__annotations__": {"x": "list"},
                                     "x": field(default_factory=list)}))
    with pytest.raises(TypeError, match="without a default"):
        named_tuple(type("Bad", (), {"__annotations__": {"x": "int", "y": "int"}, "x": 0}))


def test_a_lazy_pattern_is_the_compiled_pattern():
    """lazyre.Pattern compiles on first use and answers as re.compile's pattern does."""
    import re

    from cnncost import lazyre
    p = lazyre.compile(r"(?i)(\d+)fc")
    assert "match" not in vars(p)  # nothing compiled yet
    assert p.fullmatch("4096FC").group(1) == "4096" and p.match("x") is None
    assert "fullmatch" in vars(p) and p.pattern == re.compile(r"(?i)(\d+)fc").pattern
    assert [m.group() for m in p.finditer("1fc 2Fc")] == ["1fc", "2Fc"]
    assert copy.copy(p).fullmatch("7fc")
    with pytest.raises(AttributeError):
        p.no_such_method


def test_the_class_statement_makes_what_the_decorator_makes():
    """`class P(Record)` (the form the modules use) and `class P(NamedTuple)` make,
    in one class, what record() and named_tuple() make from a class already made:
    the same fields, slots, init, equality, hash and mutability."""
    from cnncost.record import NamedTuple, Record

    class P(Record):
        a: int
        b: int = 2
        c: str = field(default="x", compare=False)

    class M(Record, frozen=False):
        a: int

    class T(NamedTuple):
        a: int
        b: int = 2

    R, _ = both()
    assert P.__slots__ == ("a", "b", "c") and P.__match_args__ == ("a", "b", "c")
    assert (P(1) == P(1, 2, "y"), P(1) == P(1, 3)) == (R(1) == R(1, 2, "y"), R(1) == R(1, 3))
    assert hash(P(1, 3)) == hash((1, 3)) and repr(P(1)).endswith("P(a=1, b=2, c='x')")
    with pytest.raises(FrozenError):
        P(1).a = 2
    m = M(1)
    m.a = 4
    assert m.a == 4 and M.__hash__ is None and not hasattr(m, "__dict__")
    assert T(1) == (1, 2) and T._fields == ("a", "b") and type(T(1)._replace(b=5)) is T
    assert type(P).__name__ == "_RecordType" and P.__mro__[1:] == (Record, object)
    assert T.__mro__[1:] == (NamedTuple, tuple, object)


def test_a_records_methods_set_its_slots_directly():
    """The compiled __init__ and __setstate__ set each field through its slot's own
    setter (rec._SLOT is the slots' descriptor type), not object.__setattr__, which
    looks each name up (~2k instructions a field; the zoo cache sets ~2,000 a run)."""
    assert type(Shape.__dict__["h"]) is rec._SLOT
    conv = Conv(64, 3, 3)
    rec._compiled(Conv, "__init__")  # from its template (record_methods): s0, s1, … its setters
    assert all(s.__self__ is not None and type(s.__self__) is rec._SLOT
               for s in (Conv.__init__.__globals__[f"s{i}"] for i in range(len(fields(Conv)))))
    compiled = rec._compile(Conv, "__init__")  # the method compiled from source, as dataclasses
    assert all(type(s.__self__) is rec._SLOT
               for s in (compiled.__globals__[f"_s_{f.name}"] for f in fields(Conv)))
    back = Conv.__new__(Conv)
    back.__setstate__(conv.__getstate__())
    assert back == conv and all(type(s.__self__) is rec._SLOT for s in Conv.__record_setters__)


def _made_both_ways(monkeypatch, after):
    """A record, a mutable record and a named tuple of the same fields, whose methods
    are the generic ones (after=1000) or compiled from the first call (after=0)."""
    monkeypatch.setattr(rec, "_COMPILE_AFTER", after)
    from cnncost.record import NamedTuple, Record

    class R(Record):
        a: int
        b: int = 2
        c: str = field(default="x", compare=False)
        d: tuple = field(default_factory=tuple)

    class M(Record, frozen=False):
        a: int
        d: list = field(default_factory=list)

    class T(NamedTuple):
        a: int
        b: int = 2
        c: str = field(default="x", compare=False)
    return R, M, T


CALLS = [((1,), {}), ((1, 3), {}), ((1,), {"c": "y"}), ((), {"a": 1, "d": (5,)}), ((1, 3, "z", (6,)), {}),
         ((), {}), ((1, 2, 3, 4, 5), {}), ((1,), {"a": 2}), ((1,), {"zz": 0}), ((1,), {"b": 4, "q": 1})]


@pytest.mark.parametrize("args, kwargs", CALLS)
def test_the_generic_methods_do_what_the_compiled_ones_do(monkeypatch, args, kwargs):
    """A class's first calls are answered by generic methods (rec._COMPILE_AFTER),
    the later ones by compiled ones: the same fields from the same arguments, the
    same equality and hash, and the same TypeError (the compiled method's) for a
    call they cannot bind."""
    def outcome(cls, a, kw):
        try:
            obj = cls(*a, **{k: v for k, v in kw.items() if k != "d" or cls.__name__ != "T"})
        except TypeError as e:
            return "error", str(e).split(".", 1)[-1]
        return "ok", tuple((f.name, getattr(obj, f.name)) for f in fields(obj)), obj
    for index in range(3):
        generic = _made_both_ways(monkeypatch, 1000)[index]
        compiled = _made_both_ways(monkeypatch, 0)[index]
        if index == 1:  # M has fields a and d only
            kwargs = {k: v for k, v in kwargs.items() if k in ("a", "d", "zz", "q")}
            args = args[:2]
        g, c = outcome(generic, args, kwargs), outcome(compiled, args, kwargs)
        assert g[:2] == c[:2]
        if g[0] == "ok" and index != 1:
            x, y = g[2], c[2]
            again = outcome(generic, args, kwargs)[2]
            assert (x == again, hash(x) == hash(again)) == (True, True)
            assert (y == outcome(compiled, args, kwargs)[2])
    assert rec._COMPILE_AFTER == 0


def test_a_class_that_keeps_making_objects_gets_its_methods_compiled(monkeypatch):
    R, _, T = _made_both_ways(monkeypatch, 3)
    records, tuples = [R(i) for i in range(3)], [T(i) for i in range(3)]
    assert [hash(r) for r in records] == [hash(r) for r in records[:2]] + [hash(records[2])]
    assert R.__dict__["__init__"] is rec._STUBS["__init__"]
    assert R.__dict__["__hash__"] is not rec._STUBS["__hash__"]  # its fourth call compiled it
    # a named tuple's __new__ is its own from the first call (record_methods' template)
    assert T.__dict__["__new__"].__func__ is not rec._new_stub and tuple(tuples[2]) == (2, 2, "x")
    assert R(3).a == 3 and T(3).a == 3  # R's fourth call: compiled (a default_factory)
    assert R.__dict__["__init__"] is not rec._STUBS["__init__"] and R(4) == R(4, 2)
    assert tuple(T(5)) == (5, 2, "x")


def test_the_templates_module_is_what_record_writes():
    import os
    with open(os.path.join(os.path.dirname(rec.__file__), "record_methods.py"),
              encoding="utf-8") as f:
        assert f.read() == rec.methods_source()


@pytest.mark.parametrize("n", range(rec.MAX_TEMPLATE + 2))
def test_a_method_from_its_template_is_the_compiled_one(n):
    """A frozen record of n fields (the last half with defaults) gets its __init__, and
    a named tuple its __new__, from the template for n fields from its first call (past
    MAX_TEMPLATE: compiled): the same signature, fields, errors and qualname as the
    method compiled from source (rec._compile, what dataclasses and namedtuple write)."""
    import inspect

    from cnncost.record import NamedTuple, Record
    ns = {"__annotations__": {f"f{i}": "int" for i in range(n)}, "__qualname__": "P",
          "__module__": __name__, **{f"f{i}": i * 10 for i in range(n // 2, n)}}
    for base, name in ((Record, "__init__"), (NamedTuple, "__new__")):
        made, compiled = (type(base)("P", (base,), dict(ns)) for _ in range(2))
        made(*range(n))  # its first call
        method = made.__dict__[name]
        method = method.__func__ if name == "__new__" else method
        by_source = rec._compile(compiled, name)
        if n <= rec.MAX_TEMPLATE:
            assert rec._template(made, name) is not None
            assert inspect.signature(method) == inspect.signature(by_source)
            assert method.__qualname__ == f"P.{name}"
        else:  # the generic method, then compiled (_COMPILE_AFTER)
            assert rec._template(made, name) is None and method in (rec._STUBS["__init__"], rec._new_stub)
        rec._install(compiled, name, by_source)
        calls = [((), {}), (tuple(range(n)), {}), ((1,) * (n // 2), {}), ((1,) * (n + 1), {}),
                 ((), {f"f{i}": i for i in range(n)}), ((), {"nope": 1}), ((1,), {"f0": 2})]
        for args, kwargs in calls:
            outcomes = []
            for cls in (made, compiled):
                try:
                    obj = cls(*args, **kwargs)
                    outcomes.append([getattr(obj, f"f{i}") for i in range(n)])
                except TypeError as e:
                    outcomes.append(str(e))
            assert outcomes[0] == outcomes[1], (args, kwargs)
