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
tuples, dicts), each record, named tuple or Choice as a list: its class's index in
the file's table of classes, then its fields; a tuple holding such objects as
[-2, its items…]; an object met again as [-1, its index among the objects made],
so a layer or a Source the document shares stays one.

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
FORMAT = 2  # bump when what is kept changes shape (2: marshal's form, not a pickle)


def directory() -> str | None:
    if os.environ.get("CNNCOST_NO_CACHE"):
        return None
    where = os.environ.get("CNNCOST_CACHE_DIR")
    if where:
        return where
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "cnncost")


def fingerprint() -> str:
    """Changes whenever any module of the installed package does."""
    import zlib
    parts = [str(FORMAT)]
    for sub in ("", "layers"):
        with os.scandir(os.path.join(PACKAGE, sub) if sub else PACKAGE) as it:
            for e in sorted(it, key=lambda e: e.name):
                if e.name.endswith(".py"):
                    st = e.stat()
                    parts.append(f"{sub}/{e.name}:{st.st_size}:{st.st_mtime_ns}")
    return f"{zlib.crc32(chr(0).join(parts).encode()):08x}"


def load(path: str, data: bytes, build: Callable[[], Any]) -> Any:
    """`build()`'s value for the spec file `path` whose bytes are `data`,
    from the cache when it holds one for exactly these bytes and this cnncost."""
    where = directory()
    if where is None:
        return build()
    import marshal
    try:
        from _blake2 import blake2b  # what hashlib.blake2b is, without loading OpenSSL (~3 ms)
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import blake2b
    key = blake2b(data, digest_size=12).hexdigest()
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
_BUILT = (list, dict)  # what decode makes objects from; tuples of plain values stay as they are
_REF, _TUPLE = -1, -2  # [-1, i]: the i-th object made; [-2, items…]: a tuple holding objects


def encode(value: Any) -> tuple[tuple[tuple[str, str], ...], Any]:
    """`value` as marshal's values (see the module's docstring): the table of its
    classes (module, name) and the value written with them; a TypeError for a
    value of any other type."""
    from .choice import Choice
    classes: dict[type, int] = {}
    made: dict[int, int] = {}  # id of an object written → its index among them

    def write(x: Any) -> Any:
        t = type(x)
        if t in _PLAIN:
            return x
        if t is tuple:
            items = [write(y) for y in x]
            return [_TUPLE, *items] if any(type(y) in _BUILT for y in items) else tuple(items)
        if t is dict:
            if not all(type(k) in _PLAIN for k in x):
                raise TypeError("the cache keeps a dict's keys as they are: str, int, …")
            return {k: write(v) for k, v in x.items()}
        seen = made.get(id(x))
        if seen is not None:
            return [_REF, seen]
        if "__record_fields__" in t.__dict__:  # a record or a named tuple
            state = [write(getattr(x, f.name)) for f in t.__record_fields__]  # type: ignore[attr-defined]
        elif isinstance(x, Choice):
            state = [x.value]
        else:
            raise TypeError(f"the cache does not keep a {t.__qualname__}")
        made[id(x)] = len(made)  # after its fields: the order in which decode makes them
        return [classes.setdefault(t, len(classes)), *state]
    out = write(value)
    return tuple((c.__module__, c.__qualname__) for c in classes), out


def decode(kept: tuple[tuple[tuple[str, str], ...], Any]) -> Any:
    """The value encode wrote: its records, named tuples and Choices made again
    (only cnncost's own: a file that names another class is not read)."""
    from .choice import Choice
    from .record import NamedTuple, Record
    table, value = kept
    classes = []
    for module, name in table:
        if not module.startswith("cnncost."):
            raise TypeError(f"not a cnncost class: {module}.{name}")
        if module not in sys.modules:
            __import__(module)
        cls = getattr(sys.modules[module], name)
        kind = None if not isinstance(cls, type) else 0 if issubclass(cls, Record) else \
            1 if issubclass(cls, NamedTuple) else 2 if issubclass(cls, Choice) else None
        if kind is None:
            raise TypeError(f"not a cnncost value class: {module}.{name}")
        classes.append((cls, kind))
    made: list[Any] = []
    new, tuple_new = object.__new__, tuple.__new__

    def read(x: Any) -> Any:  # a list or a dict: plain values and their tuples are as they are
        if type(x) is dict:
            return {k: read(v) if type(v) in _BUILT else v for k, v in x.items()}
        head = x[0]
        if head == _REF:
            return made[x[1]]
        items = x[1:]
        for i, y in enumerate(items):  # a loop, not a comprehension: no frame of its own
            if type(y) in _BUILT:
                items[i] = read(y)
        if head == _TUPLE:
            return tuple(items)
        cls, kind = classes[head]
        if kind == 0:  # a record, as unpickling makes one (its __init__ compiles on first use)
            obj = new(cls)
            obj.__setstate__(items)
        elif kind == 1:
            obj = tuple_new(cls, items)
            if len(obj) != len(cls._fields):
                raise TypeError(f"cannot read {cls.__qualname__}: {len(obj)} values")
        else:
            obj = cls(*items)
        made.append(obj)
        return obj
    return read(value) if type(value) in _BUILT else value
