"""Value classes without the import-time cost of dataclasses.

``@record`` makes what ``@dataclass(frozen=True, slots=True)`` makes — fields from
the annotations, ``__slots__``, ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``,
``__match_args__``, frozen ``__setattr__``/``__delattr__`` and pickling — for a
fraction of the cost: Python 3.11's dataclasses compile six functions per class
when the module is imported (~0.6 ms a class here, ~80 classes between the parser,
the layer kinds and the costs, plus ~10 ms to import dataclasses and inspect),
which was a third of ``cnncost analyze resnet50 --format json``. A record
compiles each of its ``__init__``, ``__eq__`` and ``__hash__`` the first time it is
called, so a class no run makes costs nothing, and the compiled
methods are the ones dataclasses would write (an instance costs the same to make).

``field(default=, default_factory=, compare=, repr=)`` is dataclasses' field for
those four options; :func:`fields` and :func:`replace` are dataclasses' too. For
code that asks dataclasses itself (``dataclasses.fields``, ``replace``,
``asdict``, ``is_dataclass``), a record answers ``__dataclass_fields__`` on first
use (importing dataclasses then, off the hot path).
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:  # typing costs a third of a bare interpreter's start to import
    from typing import Any, Callable, TypeVar

    T = TypeVar("T", bound=type)
MISSING: Any = type("MISSING", (), {"__repr__": lambda self: "MISSING"})()
_FACTORY: Any = type("FACTORY", (), {"__repr__": lambda self: "<factory>"})()


class FrozenError(AttributeError):
    """Assigning to a field of a frozen record (dataclasses' FrozenInstanceError)."""


class Field:
    __slots__ = ("name", "default", "default_factory", "compare", "repr")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING,
                 compare: bool = True, repr: bool = True) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default, self.default_factory = default, default_factory
        self.compare, self.repr = compare, repr

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(*, default: Any = MISSING, default_factory: Any = MISSING, compare: bool = True,
          repr: bool = True) -> Any:
    return Field(default, default_factory, compare, repr)


def fields(obj: Any) -> tuple[Field, ...]:
    """The record's fields in order (bases' first), as dataclasses.fields."""
    try:
        return obj.__record_fields__  # type: ignore[no-any-return]
    except AttributeError:
        raise TypeError("must be called with a record type or instance") from None


def replace(obj: Any, /, **changes: Any) -> Any:
    """A copy of `obj` with some fields changed, as dataclasses.replace."""
    for f in fields(obj):
        if f.name not in changes:
            changes[f.name] = getattr(obj, f.name)
    return obj.__class__(**changes)


def _own_fields(cls: type) -> list[Field]:
    out = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        if isinstance(annotation, str) and annotation.replace("typing.", "").startswith("ClassVar"):
            continue
        value = cls.__dict__.get(name, MISSING)
        f = value if isinstance(value, Field) else Field(default=value)
        f.name = name
        out.append(f)
    return out


def record(cls: T | None = None, *, frozen: bool = True) -> Any:
    """The class decorator (``@record`` or ``@record(frozen=False)``)."""
    if cls is None:
        return lambda c: _make(c, frozen)
    return _make(cls, frozen)


def _make(cls: type, frozen: bool) -> type:
    own = _own_fields(cls)
    inherited: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for f in base.__dict__.get("__record_fields__", ()):
            inherited[f.name] = f
    all_fields = {**inherited, **{f.name: f for f in own}}
    seen_default = False
    for f in all_fields.values():
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        seen_default = seen_default or has_default
    ns = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    for f in own:
        ns.pop(f.name, None)
    ns["__slots__"] = tuple(f.name for f in own if f.name not in inherited)
    ns["__record_fields__"] = tuple(all_fields.values())
    ns["__record_frozen__"] = frozen
    explicit_hash = not ("__hash__" not in ns or (ns["__hash__"] is None and "__eq__" in ns))
    for name in ("__init__", "__eq__") + (() if explicit_hash else ("__hash__",)):
        if name not in ns:
            ns[name] = _stub(name)
    if not frozen and not explicit_hash:
        ns["__hash__"] = None  # mutable and compared by value: unhashable, as dataclasses
    ns.setdefault("__repr__", _repr)
    ns.setdefault("__match_args__", tuple(all_fields))
    if frozen:
        for name, method in (("__setattr__", _frozen_setattr), ("__delattr__", _frozen_delattr)):
            if name in ns:
                raise TypeError(f"cannot overwrite attribute {name} in class {cls.__name__}")
            ns[name] = method
    ns.setdefault("__getstate__", _getstate)
    ns.setdefault("__setstate__", _setstate)
    ns["__dataclass_fields__"] = _DataclassFields()
    new = type(cls)(cls.__name__, cls.__bases__, ns)
    new.__qualname__ = cls.__qualname__
    return new


def named_tuple(cls: type) -> Any:
    """A class written as a typing.NamedTuple (fields annotated, defaults assigned,
    methods and docstring kept) made with collections.namedtuple, without
    importing typing: ``@named_tuple`` over ``class Geometry:``. For the value
    classes of many fields made once per layer: a tuple takes its fields at once,
    where a record's init sets each (~0.4k instructions a field; with two or three
    fields the two cost about the same).

    A field may be a ``field(default=, compare=, repr=)`` as in a record: where
    one is not compared (where it was typed), the tuple is equal to another of its
    class, and hashes, by the compared fields alone, as a record does; where one
    is not shown, repr leaves it out. :func:`fields` and :func:`replace` work."""
    from collections import namedtuple
    from operator import itemgetter
    fs = _own_fields(cls)
    if any(f.default_factory is not MISSING for f in fs):
        raise TypeError(f"{cls.__name__}: a named tuple's field takes no default_factory")
    defaults = [f.default for f in fs if f.default is not MISSING]
    if any(f.default is MISSING for f in fs[len(fs) - len(defaults):]):
        raise TypeError(f"{cls.__name__}: a field without a default follows one with a default")
    base = namedtuple(cls.__name__, [f.name for f in fs], defaults=defaults, module=cls.__module__)
    ns = {k: v for k, v in cls.__dict__.items()
          if k not in base._fields and k not in ("__dict__", "__weakref__")}
    ns["__slots__"] = ()
    ns["__record_fields__"] = tuple(fs)
    if not all(f.repr for f in fs):
        ns.setdefault("__repr__", _repr)
    if not all(f.compare for f in fs):
        key = itemgetter(*[i for i, f in enumerate(fs) if f.compare])

        # Another class is never equal, a plain tuple of the same values neither
        # (NotImplemented would let tuple's own ==, which compares every field, answer).
        def __eq__(self: Any, other: Any) -> Any:
            return other.__class__ is self.__class__ and key(self) == key(other)

        def __ne__(self: Any, other: Any) -> Any:
            return other.__class__ is not self.__class__ or key(self) != key(other)

        def __hash__(self: Any) -> int:
            return hash(key(self))
        for method in (__eq__, __ne__, __hash__):
            method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
            ns.setdefault(method.__name__, method)
    new = type(cls.__name__, (base,), ns)
    new.__qualname__ = cls.__qualname__
    return new


def _stub(name: str) -> Callable[..., Any]:
    """A method that compiles the class's own __init__, __eq__ or __hash__ on its
    first call, then is it."""
    def stub(self: Any, *args: Any, **kwargs: Any) -> Any:
        owner = next(c for c in type(self).__mro__ if c.__dict__.get(name) is stub)
        fn = _compile(owner, name)
        fn.__qualname__ = f"{owner.__qualname__}.{name}"
        setattr(owner, name, fn)
        return fn(self, *args, **kwargs)
    stub.__name__ = stub.__qualname__ = name
    return stub


def _compile(cls: type, name: str) -> Callable[..., Any]:
    """The method dataclasses would write: one small compile, when first needed."""
    fs: tuple[Field, ...] = cls.__dict__["__record_fields__"]
    env: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": _FACTORY}
    compared = "".join(f"{{0}}.{f.name}," for f in fs if f.compare)
    if name == "__eq__":
        source = ["def __eq__(self, other):",
                  "  if other.__class__ is self.__class__:",
                  f"    return ({compared.format('self')}) == ({compared.format('other')})",
                  "  return NotImplemented"]
    elif name == "__hash__":
        source = ["def __hash__(self):", f"  return hash(({compared.format('self')}))"]
    else:
        params, body = [], []
        for f in fs:
            value = f.name
            if f.default_factory is not MISSING:
                env[f"_f_{f.name}"] = f.default_factory
                params.append(f"{f.name}=_FACTORY")
                value = f"_f_{f.name}() if {f.name} is _FACTORY else {f.name}"
            elif f.default is not MISSING:
                env[f"_d_{f.name}"] = f.default
                params.append(f"{f.name}=_d_{f.name}")
            else:
                params.append(f.name)
            slot = getattr(cls, f.name, None)
            if not cls.__dict__["__record_frozen__"]:
                body.append(f"  self.{f.name} = {value}")
            elif type(slot) is _SLOT:  # the slot's own setter: past the frozen __setattr__,
                env[f"_s_{f.name}"] = slot.__set__  # without object.__setattr__'s lookup
                body.append(f"  _s_{f.name}(self, {value})")
            else:
                body.append(f"  _set(self, {f.name!r}, {value})")
        source = [f"def __init__(self, {', '.join(params)}):", *(body or ["  pass"])]
    exec("\n".join(source), env)  # noqa: S102 - our own field names, as dataclasses does
    return env[name]  # type: ignore[no-any-return]


_STUB_CODE = _stub("x").__code__
_SLOT = type(Field.name)  # a slot's member descriptor (Field has __slots__)


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in self.__record_fields__ if f.repr)
    return f"{self.__class__.__qualname__}({shown})"


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in self.__record_fields__]


def _setstate(self: Any, state: list[Any]) -> None:
    if len(state) != len(self.__record_fields__):  # pickled by a version with other fields
        raise TypeError(f"cannot unpickle {type(self).__qualname__}: {len(state)} values "
                        f"for {len(self.__record_fields__)} fields")
    for f, value in zip(self.__record_fields__, state):
        object.__setattr__(self, f.name, value)


class _DataclassFields:
    """`__dataclass_fields__` made on first use, so dataclasses' own functions work."""

    def __get__(self, obj: Any, owner: type) -> dict[str, Any]:
        import dataclasses
        out = {}
        for f in owner.__record_fields__:
            d = dataclasses.field(
                default=dataclasses.MISSING if f.default is MISSING else f.default,
                default_factory=dataclasses.MISSING if f.default_factory is MISSING
                else f.default_factory, compare=f.compare, repr=f.repr)
            d.name = f.name
            d._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
            out[f.name] = d
        type.__setattr__(owner, "__dataclass_fields__", out)  # made once: the dict from now on
        return out
