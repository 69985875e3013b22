"""Value classes without the import-time cost of dataclasses or namedtuple.

``class P(Record)`` makes what ``@dataclass(frozen=True, slots=True)`` makes —
fields from the annotations, ``__slots__``, ``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__match_args__``, frozen ``__setattr__``/``__delattr__``
and pickling — and ``class P(Record, frozen=False)`` a mutable one; ``class
P(NamedTuple)`` makes what ``typing.NamedTuple`` makes, a tuple whose fields are
named. Each costs one class creation (~60k instructions, most of it CPython's
own slot set-up), where Python 3.11's dataclasses compile six functions per
class when the module is imported and ``collections.namedtuple`` compiles one and
creates two classes (~0.6 ms a class; ~90 classes between the parser, the layer
kinds and the costs, which was a third of ``cnncost analyze resnet50 --format
json``), and a decorator, however cheap, makes the class a second time to give it
slots. A frozen record's ``__init__`` and a named tuple's ``__new__`` are made on
the class's first call from a template for its number of fields, whose bytecode
ships compiled (cnncost.record_methods; ~7k instructions, its parameters renamed
to the fields); ``__eq__`` and ``__hash__``, and the ``__init__`` of a mutable
record or one with a default_factory, are generic methods for a class's first
calls and compiled once it keeps calling them (a compile is ~0.46M
instructions; see _COMPILE_AFTER). So a class no run makes costs nothing, and
its methods are the ones dataclasses and namedtuple would write (an instance
costs the same to make).

``field(default=, default_factory=, compare=, repr=)`` is dataclasses' field for
those four options (a named tuple's field takes all but ``default_factory``);
:func:`fields` and :func:`replace` are dataclasses' too. For code that asks
dataclasses itself (``dataclasses.fields``, ``replace``, ``asdict``,
``is_dataclass``), a record answers ``__dataclass_fields__`` on first use
(importing dataclasses then, off the hot path). :func:`record` and
:func:`named_tuple` make the same classes from a class already made (for a
class body written once and made both ways, as the tests do).
"""

from __future__ import annotations

from _collections import _tuplegetter  # what namedtuple's fields are, without importing collections

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:  # typing costs a third of a bare interpreter's start to import
    from typing import Any, Callable, TypeVar

    T = TypeVar("T", bound=type)
MISSING: Any = type("MISSING", (), {"__repr__": lambda self: "MISSING"})()
_FACTORY: Any = type("FACTORY", (), {"__repr__": lambda self: "<factory>"})()
_tuple_new = tuple.__new__


class FrozenError(AttributeError):
    """Assigning to a field of a frozen record (dataclasses' FrozenInstanceError)."""


class Field(tuple):  # type: ignore[type-arg]
    """A field: its name, default or default_factory, and whether it is compared
    and shown (a tuple, made in one call: a class has a few, and ~90 classes are
    made on every run)."""

    __slots__ = ()
    name = _tuplegetter(0, "the field's name")
    default = _tuplegetter(1, "its default, or MISSING")
    default_factory = _tuplegetter(2, "what makes its default, or MISSING")
    compare = _tuplegetter(3, "whether == and hash read it")
    repr = _tuplegetter(4, "whether repr shows it")

    def __new__(cls, default: Any = MISSING, default_factory: Any = MISSING,
                compare: bool = True, repr: bool = True, name: str = "") -> Field:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        return _tuple_new(cls, (name, default, default_factory, compare, repr))

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


def _own_fields(ns: dict[str, Any]) -> list[Field]:
    """The fields a class body declares (its annotations, ClassVars left out)."""
    out = []
    get = ns.get
    for name, annotation in get("__annotations__", {}).items():
        if annotation.__class__ is str and "ClassVar" in annotation \
                and annotation.replace("typing.", "").startswith("ClassVar"):
            continue
        value = get(name, MISSING)
        out.append(_tuple_new(Field, (name, *value[1:]) if value.__class__ is Field else
                              (name, value, MISSING, True, True)))
    return out


# A method compiled on first call costs ~0.46M instructions (Python's compiler, for a
# few lines), ~20 classes' worth in a zoo network's run, where most of those classes
# make a few dozen objects. So a class's first _COMPILE_AFTER calls of a method are
# answered by a generic one, which binds the same arguments to the same fields (a
# call it cannot bind plainly goes to the compiled method, whose TypeError is
# Python's own), and only a class that keeps calling it gets it compiled.
_COMPILE_AFTER = 100  # a compile (~0.46M) costs what ~40 generic calls add; 40–100 measure alike


def _stub(name: str) -> Any:
    """The method every record class starts with as its __init__, __eq__ or
    __hash__ (one function for all of them): the generic method for its first
    calls, then it compiles the class's own and becomes it."""
    # a class → [its calls, the class whose method this is, its fields, the fields'
    # slot setters (None for a mutable record), the compared fields' names]
    plans: dict[type, list[Any]] = {}

    def stub(self: Any, *args: Any, **kwargs: Any) -> Any:
        cls = type(self)
        plan = plans.get(cls)
        if plan is None:
            owner = cls if cls.__dict__.get(name) is stub else \
                next(c for c in cls.__mro__ if c.__dict__.get(name) is stub)
            made = _template(owner, name)  # its method from the first call, where it has one
            if made is not None:
                return _install(owner, name, made)(self, *args, **kwargs)
            fs = owner.__record_fields__
            plan = plans[cls] = [0, owner, fs, _setters(owner) if owner.__record_frozen__ else None,
                                 tuple([f.name for f in fs if f.compare])]
        plan[0] += 1
        if plan[0] <= _COMPILE_AFTER:
            if name == "__init__":
                fs = plan[2]
                values = args if not kwargs and len(args) == len(fs) else _bind(fs, args, kwargs)
                if values is not None:
                    setters = plan[3]
                    if setters is not None:
                        for set_field, value in zip(setters, values):
                            set_field(self, value)
                    else:
                        for f, value in zip(fs, values):
                            setattr(self, f.name, value)
                    return None
            elif not kwargs and len(args) == (name == "__eq__"):
                # as the compiled ones: a tuple of the compared fields (the same hash)
                key = tuple([getattr(self, n) for n in plan[4]])
                if name == "__hash__":
                    return hash(key)
                other = args[0]
                if other.__class__ is not self.__class__:
                    return NotImplemented
                return key == tuple([getattr(other, n) for n in plan[4]])
        return _compiled(plan[1], name)(self, *args, **kwargs)
    stub.__name__ = stub.__qualname__ = name
    return stub


def _compiled(owner: type, name: str) -> Callable[..., Any]:
    """The class's own method, from its template or compiled, and set on the class."""
    return _install(owner, name, _template(owner, name) or _compile(owner, name))


def _install(owner: type, name: str, fn: Any) -> Any:
    fn.__qualname__ = f"{owner.__qualname__}.{name}"
    if name == "__new__":
        type.__setattr__(owner, name, staticmethod(fn))
    else:
        setattr(owner, name, fn)
    return fn


_FunctionType = type(_own_fields)  # types.FunctionType, without importing types


def _template(cls: type, name: str) -> Any:
    """A frozen record's __init__ or a named tuple's __new__, made from the template
    for its number of fields (cnncost.record_methods: bytecode shipped compiled, its
    parameters renamed to the fields, ~7k instructions, where a compile is ~0.46M),
    so it is the method from the class's first call; None where there is none
    (a mutable record, a default_factory, more than MAX_TEMPLATE fields)."""
    if name != "__init__" and name != "__new__":
        return None
    fs = cls.__dict__["__record_fields__"]
    if len(fs) > MAX_TEMPLATE or name == "__init__" and not cls.__dict__["__record_frozen__"]:
        return None
    defaults = []
    for f in fs:  # (name, default, default_factory, compare, repr); defaults come last
        if f[2] is not MISSING:
            return None
        if f[1] is not MISSING:
            defaults.append(f[1])
    from . import record_methods
    if name == "__init__":
        template, first = record_methods.INIT[len(fs)], "self"
        env = {f"s{i}": setter for i, setter in enumerate(_setters(cls))}
    else:
        template, first, env = record_methods.NEW[len(fs)], "_cls", {"tuple_new": _tuple_new}
    code = template.__code__.replace(co_varnames=(first, *[f[0] for f in fs]), co_name=name,
                                     co_qualname=f"{cls.__qualname__}.{name}")
    return _FunctionType(code, env, name, tuple(defaults) or None)


MAX_TEMPLATE = 16  # record_methods has templates for 0 … 16 fields (the most a class has)


def methods_source() -> str:
    """cnncost/record_methods.py, as `python -m cnncost.record` writes it."""
    out = ['"""Templates of a record\'s __init__ and a named tuple\'s __new__, one per number of',
           "fields: cnncost.record renames their parameters to a class's fields and gives each",
           "its globals (s0, s1, …: the fields' slot setters; tuple_new: tuple.__new__). Written",
           'by `python -m cnncost.record`; do not edit (tests/test_record.py checks it)."""', "", ""]
    for n in range(MAX_TEMPLATE + 1):
        params = "".join(f", a{i}" for i in range(n))
        body = [f"    s{i}(self, a{i})" for i in range(n)]
        out += [f"def init{n}(self{params}):", *(body or ["    pass"]), "", ""]
    for n in range(MAX_TEMPLATE + 1):
        params = "".join(f", a{i}" for i in range(n))
        values = "".join(f"a{i}," for i in range(n))
        out += [f"def new{n}(_cls{params}):", f"    return tuple_new(_cls, ({values}))", "", ""]
    out += [f"INIT = ({', '.join(f'init{n}' for n in range(MAX_TEMPLATE + 1))})",
            f"NEW = ({', '.join(f'new{n}' for n in range(MAX_TEMPLATE + 1))})", ""]
    return "\n".join(out)


def _bind(fs: tuple[Field, ...], args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any] | None:
    """The values of fields `fs` for a call with these arguments, as the compiled
    method binds them (defaults and default_factory included); None for a call with
    too many or too few, or an unknown or repeated keyword (the compiled method raises).
    (Its callers take a call of every field positionally as it is, before it.)"""
    n = len(args)
    if n > len(fs):
        return None
    values = list(args)
    used = 0
    factories = []
    for f in fs[n:]:
        if f.name in kwargs:
            values.append(kwargs[f.name])
            used += 1
        elif f.default is not MISSING:
            values.append(f.default)
        elif f.default_factory is not MISSING:
            factories.append(len(values))
            values.append(f.default_factory)
        else:
            return None
    if used != len(kwargs):
        return None
    for i in factories:
        values[i] = values[i]()
    return values


_STUBS = {name: _stub(name) for name in ("__init__", "__eq__", "__hash__")}


class _RecordType(type):
    """Record's metaclass: a record class is made once, its slots and methods set
    before CPython makes it."""

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any],
                frozen: bool | None = None) -> Any:
        if not bases:  # Record itself
            return type.__new__(mcls, name, bases, ns)
        own = _own_fields(ns)
        if len(bases) == 1:  # the common case, without a loop's frames
            inherited = getattr(bases[0], "__record_fields__", ())
            if frozen is None:
                frozen = getattr(bases[0], "__record_frozen__", True)
        else:
            inherited = tuple([f for base in bases for f in getattr(base, "__record_fields__", ())])
            if frozen is None:
                frozen = all([getattr(b, "__record_frozen__", True) for b in bases])
        names = [f.name for f in own]
        if inherited:  # a later field of the same name replaces an earlier one, in its place
            by_name = {f.name: f for f in inherited}
            old = set(by_name)
            by_name.update(zip(names, own))
            all_fields = tuple(by_name.values())
            slots = tuple([n for n in names if n not in old])
        else:
            all_fields = tuple(own)
            slots = tuple(names)
        seen_default = False
        for f in all_fields:  # a Field is (name, default, default_factory, compare, repr)
            if f[1] is MISSING and f[2] is MISSING:
                if seen_default:
                    raise TypeError(f"non-default argument {f.name!r} follows default argument")
            else:
                seen_default = True
        pop = ns.pop
        for n in names:
            pop(n, None)
        ns["__slots__"] = slots
        ns["__record_fields__"] = all_fields
        ns["__record_frozen__"] = frozen
        # A body with __eq__ and no __hash__ gets the fields' hash, as in dataclasses.
        setdefault = ns.setdefault
        if "__hash__" not in ns:
            ns["__hash__"] = _STUBS["__hash__"] if frozen else None  # mutable: unhashable
        setdefault("__init__", _STUBS["__init__"])
        setdefault("__eq__", _STUBS["__eq__"])
        if "__match_args__" not in ns:
            ns["__match_args__"] = tuple([f[0] for f in all_fields])
        if frozen:
            if "__setattr__" in ns or "__delattr__" in ns:
                method = "__setattr__" if "__setattr__" in ns else "__delattr__"
                raise TypeError(f"cannot overwrite attribute {method} in class {name}")
            ns["__setattr__"] = _frozen_setattr
            ns["__delattr__"] = _frozen_delattr
        return type.__new__(mcls, name, bases, ns)


class _DataclassFields:
    """`__dataclass_fields__` made on first use, so dataclasses' own functions work."""

    def __get__(self, obj: Any, owner: type) -> dict[str, Any]:
        import dataclasses
        out = {}
        for f in owner.__record_fields__:  # type: ignore[attr-defined]
            d = dataclasses.field(
                default=dataclasses.MISSING if f.default is MISSING else f.default,
                default_factory=dataclasses.MISSING if f.default_factory is MISSING
                else f.default_factory, compare=f.compare, repr=f.repr)
            d.name = f.name
            d._field_type = dataclasses._FIELD  # type: ignore[attr-defined]
            out[f.name] = d
        type.__setattr__(owner, "__dataclass_fields__", out)  # made once: the dict from now on
        return out


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in self.__record_fields__ if f.repr)
    return f"{self.__class__.__qualname__}({shown})"


class Record(metaclass=_RecordType):
    """The base of a record class: ``class Shape(Record):`` with annotated fields."""

    __slots__ = ()
    __repr__ = _repr
    __dataclass_fields__ = _DataclassFields()

    def __getstate__(self) -> list[Any]:
        return [getattr(self, f.name) for f in self.__record_fields__]  # type: ignore[attr-defined]

    def __setstate__(self, state: list[Any]) -> None:
        fs = self.__record_fields__  # type: ignore[attr-defined]
        if len(state) != len(fs):  # pickled by a version with other fields
            raise TypeError(f"cannot unpickle {type(self).__qualname__}: {len(state)} values "
                            f"for {len(fs)} fields")
        for set_field, value in zip(_setters(type(self)), state):
            set_field(self, value)


def _setters(cls: type) -> tuple[Callable[[Any, Any], None], ...]:
    """Each field's slot setter (object.__setattr__ looks each name up: ~2k
    instructions a field), found once a class: the zoo cache makes ~500 records a run."""
    setters = cls.__dict__.get("__record_setters__")
    if setters is None:
        setters = tuple(_slot_setter(cls, f.name) for f in cls.__record_fields__)  # type: ignore[attr-defined]
        type.__setattr__(cls, "__record_setters__", setters)
    return setters  # type: ignore[no-any-return]


def _slot_setter(cls: type, name: str) -> Callable[[Any, Any], None]:
    slot = getattr(cls, name, None)
    if type(slot) is _SLOT:
        return slot.__set__  # type: ignore[no-any-return]
    return lambda obj, value: object.__setattr__(obj, name, value)


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenError(f"cannot delete field {name!r}")


def _compile(cls: type, name: str) -> Callable[..., Any]:
    """The method dataclasses (or namedtuple, for __new__) would write: one small
    compile, when first needed."""
    fs: tuple[Field, ...] = cls.__dict__["__record_fields__"]
    env: dict[str, Any] = {"_set": object.__setattr__, "_FACTORY": _FACTORY,
                           "_tuple_new": _tuple_new}
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
            if name == "__new__":
                continue
            slot = getattr(cls, f.name, None)
            if not cls.__dict__["__record_frozen__"]:
                body.append(f"  self.{f.name} = {value}")
            elif type(slot) is _SLOT:  # the slot's own setter: past the frozen __setattr__,
                env[f"_s_{f.name}"] = slot.__set__  # without object.__setattr__'s lookup
                body.append(f"  _s_{f.name}(self, {value})")
            else:
                body.append(f"  _set(self, {f.name!r}, {value})")
        if name == "__new__":
            names = "".join(f"{f.name}, " for f in fs)
            source = [f"def __new__(_cls, {', '.join(params)}):",
                      f"  return _tuple_new(_cls, ({names}))"]
        else:
            source = [f"def __init__(self, {', '.join(params)}):", *(body or ["  pass"])]
    exec("\n".join(source), env)  # noqa: S102 - our own field names, as dataclasses does
    return env[name]  # type: ignore[no-any-return]


_SLOT = type(type("_Slot", (), {"__slots__": ("x",)}).x)  # a slot's member descriptor


_new_plans: dict[type, list[Any]] = {}  # a named tuple's class → [its calls, the owner, its fields]


def _new_stub(cls: Any, *args: Any, **kwargs: Any) -> Any:
    """Every named tuple's __new__: the generic one for its class's first calls,
    then the compiled one (see _stub)."""
    plan = _new_plans.get(cls)
    if plan is None:
        owner = cls if "__record_fields__" in cls.__dict__ else \
            next(c for c in cls.__mro__ if "__record_fields__" in c.__dict__)
        made = _template(owner, "__new__")  # its method from the first call, where it has one
        if made is not None:
            return _install(owner, "__new__", made)(cls, *args, **kwargs)
        plan = _new_plans[cls] = [0, owner, owner.__record_fields__]
    plan[0] += 1
    if plan[0] <= _COMPILE_AFTER:
        fs = plan[2]
        if not kwargs and len(args) == len(fs):
            return _tuple_new(cls, args)
        values = _bind(fs, args, kwargs)
        if values is not None:
            return _tuple_new(cls, values)
    return _compiled(plan[1], "__new__")(cls, *args, **kwargs)


class _TupleType(type):
    """NamedTuple's metaclass: a named tuple's class is made once."""

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> Any:
        for b in bases:
            if isinstance(b, _TupleType):
                break
        else:  # NamedTuple itself
            return type.__new__(mcls, name, bases, ns)
        if "_fields" in ns:
            return type.__new__(mcls, name, bases, ns)
        for b in bases:
            if "__record_fields__" in b.__dict__:  # a named tuple's subclass
                if "__annotations__" in ns:
                    raise TypeError(f"{name}: a named tuple's subclass takes no more fields")
                ns.setdefault("__slots__", ())
                return type.__new__(mcls, name, bases, ns)
        fs = _own_fields(ns)
        defaults = {}
        names = []
        hidden = unequal = False
        for i, f in enumerate(fs):  # a Field is (name, default, default_factory, compare, repr)
            n, default = f[0], f[1]
            if f[2] is not MISSING:
                raise TypeError(f"{name}: a named tuple's field takes no default_factory")
            if default is not MISSING:
                defaults[n] = default
            elif defaults:
                raise TypeError(f"{name}: a field without a default follows one with a default")
            hidden = hidden or not f[4]
            unequal = unequal or not f[3]
            names.append(n)
            ns[n] = _tuplegetter(i, f"Alias for field number {i}")
        names = tuple(names)
        ns["__slots__"] = ()
        ns["_fields"] = ns["__match_args__"] = names
        ns["_field_defaults"] = defaults
        ns["__record_fields__"] = tuple(fs)
        ns.setdefault("__new__", _new_stub)
        if hidden:
            ns.setdefault("__repr__", _repr)
        if unequal:
            from _operator import itemgetter  # operator.py re-exports it
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
                method.__qualname__ = f"{ns.get('__qualname__', name)}.{method.__name__}"
                ns.setdefault(method.__name__, method)
        return type.__new__(mcls, name, bases, ns)


class NamedTuple(tuple, metaclass=_TupleType):  # type: ignore[misc]
    """The base of a named tuple's class, as typing.NamedTuple: ``class
    Geometry(NamedTuple):`` with annotated fields, defaults assigned, methods and
    docstring kept. For the value classes of many fields made once per layer: a
    tuple takes its fields at once, where a record's init sets each (~0.4k
    instructions a field; with two or three fields the two cost about the same).

    A field may be a ``field(default=, compare=, repr=)`` as in a record: where
    one is not compared (where it was typed), the tuple is equal to another of its
    class, and hashes, by the compared fields alone, as a record does; where one
    is not shown, repr leaves it out. :func:`fields` and :func:`replace` work."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()

    @classmethod
    def _make(cls, iterable: Any) -> Any:
        result = _tuple_new(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self, /, **kwds: Any) -> Any:
        result = self._make(map(kwds.pop, self._fields, self))
        if kwds:
            raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
        return result

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self))

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={v!r}" for n, v in zip(self._fields, self))
        return f"{self.__class__.__name__}({shown})"

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)


def record(cls: T | None = None, *, frozen: bool = True) -> Any:
    """The record made from a class already made (``record(cls)`` or
    ``record(frozen=False)(cls)``); in a module, write ``class X(Record)``."""
    if cls is None:
        return lambda c: record(c, frozen=frozen)
    if isinstance(cls, _RecordType):  # a record's subclass is one already
        return cls
    bases = tuple(b for b in cls.__bases__ if b is not object)
    if not any(isinstance(b, _RecordType) for b in bases):
        bases = (*bases, Record)
    return _remade(cls, _RecordType, bases, frozen=frozen)


def named_tuple(cls: type) -> Any:
    """The named tuple made from a class already made; in a module, write
    ``class X(NamedTuple)``."""
    return _remade(cls, _TupleType, (NamedTuple,))


def _remade(cls: type, meta: type, bases: tuple[type, ...], **kwargs: Any) -> Any:
    ns = {k: v for k, v in cls.__dict__.items() if k not in ("__dict__", "__weakref__")}
    if ns.get("__hash__", 0) is None and "__eq__" in ns:
        del ns["__hash__"]  # CPython's unhashing of a body with __eq__: as a class statement's ns
    new = meta(cls.__name__, bases, ns, **kwargs)
    new.__qualname__ = cls.__qualname__
    return new


if __name__ == "__main__":  # python -m cnncost.record: write the templates' module
    import os
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "record_methods.py"), "w",
              encoding="utf-8") as f:
        f.write(methods_source())
