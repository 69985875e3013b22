"""The zoo's precompiled form: each built-in spec file parsed once, kept in marshal's form.

Reading a zoo network needs PyYAML (~40 ms to import) and the parse of its
blocks; the parsed Document is the same on every run of the same cnncost, so it
is kept in a per-user cache and loaded instead. The key is the spec file's bytes
and a fingerprint of the installed cnncost (its version and the size and mtime
of every module), so an upgrade or an edited source reads afresh; a cache that
cannot be read or written is ignored, never an error.

The file is marshal's, not pickle's: importing the C pickle imports functools and
collections with it (~13M instructions, a third of a bare interpreter's start,
more than reading ResNet-50's document here takes, ~5M), and reading a pickle may
run any code, where this reads only values and makes only cnncost's own value
classes. A Document is written as marshal's values (str, int, float, bool, None,
tuples, dicts): the file's table of classes, then its objects in a flat list in
the order they are made, each after the objects it holds — a record, named
tuple or Choice as its class's index and its fields, a tuple or dict holding
objects as -1 or -2 and its items — with the positions of the fields that are
objects, written as their indices in that list. Decoding is one loop over it
(no call per object), and an object the document shares (a layer typed once, a
Source) is one index, made once.

    CNNCOST_CACHE_DIR  where it lives (default: $XDG_CACHE_HOME/cnncost or ~/.cache/cnncost)
    CNNCOST_NO_CACHE=1 read every spec afresh
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# Paths are plain strings: pathlib costs a few ms to import, on every run.
PACKAGE = os.path.dirname(os.path.realpath(__file__))
FORMAT = 3  # bump when what is kept changes shape (2: marshal's form; 3: its objects in a flat list)


def _blake2b(data: bytes, digest_size: int) -> Any:
    try:
        from _blake2 import blake2b  # what hashlib.blake2b is, without loading OpenSSL (~3 ms)
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import blake2b
    return blake2b(data, digest_size=digest_size)


def directory() -> str | None:
    if os.environ.get("CNNCOST_NO_CACHE"):
        return None
    where = os.environ.get("CNNCOST_CACHE_DIR")
    if where:
        return where
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cnncost")


def fingerprint() -> str:
    """Changes whenever any module of the installed package does (its name, size or
    mtime): one stat of each, hashed (blake2b, which load reads anyway)."""
    parts = []
    for sub in ("", "layers"):  # the folders of modules (zoo's one module: below)
        with os.scandir(os.path.join(PACKAGE, sub) if sub else PACKAGE) as it:
            for e in it:
                if e.name.endswith(".py"):
                    st = e.stat()
                    parts.append(f"{sub}/{e.name}:{st.st_size}:{st.st_mtime_ns}")
    st = os.stat(_ZOO_MODULE)
    parts.append(f"zoo/__init__.py:{st.st_size}:{st.st_mtime_ns}")
    parts.sort()
    return _blake2b(f"{FORMAT}\0{chr(0).join(parts)}".encode(), digest_size=6).hexdigest()


_ZOO_MODULE = os.path.join(PACKAGE, "zoo", "__init__.py")


def load(path: str, data: bytes, build: Callable[[], Any]) -> Any:
    """`build()`'s value for the spec file `path` whose bytes are `data`,
    from the cache when it holds one for exactly these bytes and this cnncost."""
    where = directory()
    if where is None:
        return build()
    import marshal
    key = _blake2b(data, digest_size=12).hexdigest()
    stem = os.path.splitext(os.path.basename(path))[0]
    folder = os.path.join(where, fingerprint())
    file = os.path.join(folder, f"{stem}-{key}.marshal")
    try:
        with open(file, "rb") as f:
            return decode(marshal.loads(f.read()))
    except Exception:  # absent, truncated, from another Python or not ours: build it afresh
        pass
    value = build()
    try:
        kept = marshal.dumps(encode(value), 4)
        os.makedirs(folder, exist_ok=True)
        tmp = f"{file}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            f.write(kept)
        os.replace(tmp, file)  # atomic: a concurrent reader sees all of it or nothing
    except Exception:  # a read-only home, a full disk, a value of another type: no cache
        pass
    return value


_PLAIN = (str, int, float, bool, type(None))
_TUPLE, _DICT = -1, -2  # an entry's head: a tuple or a dict holding objects (else a class)


def encode(value: Any) -> tuple[tuple[tuple[str, str], ...], list[tuple[Any, ...]], Any]:
    """`value` as marshal's values (see the module's docstring): the table of its
    classes (module, name), its objects in the order decode makes them (each after
    the objects it holds), and the value itself (an object's index, or a plain
    value); a TypeError for a value of any other type."""
    from .choice import Choice
    classes: dict[type, int] = {}
    made: dict[int, int] = {}  # id of an object written → its index among them
    entries: list[tuple[Any, ...]] = []
    keep: list[Any] = []  # every object written, alive while ids are compared

    def add(x: Any, head: int, values: list[Any], refs: list[int]) -> int:
        made[id(x)] = len(entries)
        keep.append(x)
        entries.append((head, tuple(values), tuple(refs)))
        return len(entries) - 1

    def write(x: Any) -> tuple[bool, Any]:
        """(whether it is an object, written as an entry: its index; else the value)."""
        t = type(x)
        if t in _PLAIN:
            return False, x
        seen = made.get(id(x))
        if seen is not None:
            return True, seen
        if t is tuple or t is dict:
            if t is dict and not all(type(k) in _PLAIN for k in x):
                raise TypeError("the cache keeps a dict's keys as they are: str, int, …")
            items = [y for kv in x.items() for y in kv] if t is dict else list(x)
            values, refs = fields(items, 1 if t is dict else 0)
            if not refs:  # plain values all through: marshal keeps it as it is
                return False, dict(zip(values[::2], values[1::2])) if t is dict else tuple(values)
            return True, add(x, _DICT if t is dict else _TUPLE, values, refs)
        if "__record_fields__" in t.__dict__:  # a record or a named tuple
            state = [getattr(x, f.name) for f in t.__record_fields__]  # type: ignore[attr-defined]
        elif isinstance(x, Choice):
            state = [x.value]
        else:
            raise TypeError(f"the cache does not keep a {t.__qualname__}")
        values, refs = fields(state, 0)
        return True, add(x, classes.setdefault(t, len(classes)), values, refs)

    def fields(items: list[Any], start: int) -> tuple[list[Any], list[int]]:
        values, refs = [], []
        for i, y in enumerate(items):
            if start and i % 2 == 0:  # a dict's key: plain, as it is
                values.append(y)
                continue
            is_object, v = write(y)
            if is_object:
                refs.append(i)
            values.append(v)
        return values, refs
    is_object, root = write(value)
    return (tuple((c.__module__, c.__qualname__) for c in classes), entries,
            (is_object, root))


_RECORD, _NAMED_TUPLE, _CHOICE = 0, 1, 2  # how decode makes an object of a class


def decode(kept: tuple[tuple[tuple[str, str], ...], list[tuple[Any, ...]], Any]) -> Any:
    """The value encode wrote: its records, named tuples and Choices made again
    (only cnncost's own: a file that names another class is not read), each in
    one turn of one loop, its fields set as unpickling sets them."""
    from .choice import Choice
    from .record import NamedTuple, Record, _setters
    table, entries, (is_object, root) = kept
    classes: list[tuple[type, int, Any]] = []
    for module, name in table:
        if not module.startswith("cnncost."):
            raise TypeError(f"not a cnncost class: {module}.{name}")
        if module not in sys.modules:
            __import__(module)
        cls = getattr(sys.modules[module], name)
        if not isinstance(cls, type):
            raise TypeError(f"not a cnncost value class: {module}.{name}")
        if issubclass(cls, Record):  # its fields' slot setters, found once
            classes.append((cls, _RECORD, _setters(cls)))
        elif issubclass(cls, NamedTuple):
            classes.append((cls, _NAMED_TUPLE, len(cls._fields)))
        elif issubclass(cls, Choice):
            classes.append((cls, _CHOICE, None))
        else:
            raise TypeError(f"not a cnncost value class: {module}.{name}")
    made: list[Any] = []
    append = made.append
    new, tuple_new = object.__new__, tuple.__new__
    for head, values, refs in entries:
        if refs:
            values = list(values)
            for i in refs:
                values[i] = made[values[i]]
        if head >= 0:
            cls, kind, how = classes[head]
            if kind == _RECORD:  # as unpickling makes one (its __init__ is not called)
                if len(values) != len(how):
                    raise TypeError(f"cannot read {cls.__qualname__}: {len(values)} values")
                obj = new(cls)
                for set_field, value in zip(how, values):
                    set_field(obj, value)
            elif kind == _NAMED_TUPLE:
                if len(values) != how:
                    raise TypeError(f"cannot read {cls.__qualname__}: {len(values)} values")
                obj = tuple_new(cls, values)
            else:
                obj = cls(*values)
        elif head == _TUPLE:
            obj = tuple(values)
        else:
            obj = dict(zip(values[::2], values[1::2]))
        append(obj)
    return made[root] if is_object else root
