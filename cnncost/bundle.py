"""The script's modules in one file: their bytecode read from one open file, not found one by one.

Importing a module the usual way costs ~0.3M instructions before any of its
code runs — importlib's Python-level search of the package folder, the stat of
the source, the open and read of its .pyc and the checks of its header — and
`cnncost analyze resnet50 --format json` imports ~25 of ours: a tenth of its
run (docs/performance.md). The `cnncost` script (cnncost.entry) therefore reads
the bytecode of every module of the package from one file, written next to the
.pyc files (``cnncost/__pycache__/bundle.cpython-311.bin``), and imports from it
through a finder of its own, first on sys.meta_path. Each module is checked as
importlib checks a .pyc: its source's mtime (to the nanosecond) and size must
be those it was compiled from, or importlib imports it as usual. A program that
imports cnncost as a library never uses the bundle.

The file is written by ``python -m cnncost.bundle`` (``make demo``, ``make
test`` and ``make bench`` run it with compileall), and by the script itself
after a run that found it absent or out of date, where Python would write .pyc
files (PYTHONDONTWRITEBYTECODE unset, the folder writable). Its bytecode is
compiled from the sources, as py_compile compiles a .pyc; it is marshal's, read
only by this interpreter's version (the magic number of its .pyc files).

    CNNCOST_NO_BUNDLE=1  import every module the usual way

Where os.pread is missing (Windows), the bundle is neither read nor written.
"""

from __future__ import annotations

import marshal
import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any

import _frozen_importlib as _bootstrap  # importlib's own ModuleSpec, without importing importlib
import _frozen_importlib_external as _external

PACKAGE = os.path.dirname(os.path.abspath(__file__))
FILE = os.path.join(PACKAGE, "__pycache__", f"bundle.{sys.implementation.cache_tag}.bin")
_HEAD = b"cnncost-bundle-1" + _external.MAGIC_NUMBER  # this layout, this interpreter's bytecode
_USABLE = hasattr(os, "pread")  # not on Windows, where the usual imports do it all


class Finder:
    """A meta path finder and loader for the modules in the bundle (one per run)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd  # kept open: each module's bytecode is read when it is imported
        head = os.pread(fd, len(_HEAD) + 8, 0)
        if head[:len(_HEAD)] != _HEAD:
            raise ValueError("not a bundle of this layout and interpreter")
        size = int.from_bytes(head[len(_HEAD):], "little")
        # module name → (source path, .pyc path, is a package, mtime_ns, size, start, end)
        self.index: dict[str, tuple[Any, ...]] = marshal.loads(os.pread(fd, size, len(head)))
        self.base = len(head) + size
        self.missed = False  # a module of ours it could not give (absent or edited since)

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        entry = self.index.get(name)
        if entry is None:
            if name.startswith("cnncost."):
                self.missed = True
            return None
        origin, cached, is_package, mtime_ns, size, _, _ = entry
        try:
            st = os.stat(origin)
        except OSError:  # moved or removed since: importlib finds it, or says it cannot
            self.missed = True
            return None
        if st.st_mtime_ns != mtime_ns or st.st_size != size:  # edited: importlib reads it
            self.missed = True
            return None
        spec = _bootstrap.ModuleSpec(name, self, origin=origin, is_package=is_package)
        spec.has_location = True  # __file__ is the source's, as importlib sets it
        spec.cached = cached
        if is_package:
            spec.submodule_search_locations = [os.path.dirname(origin)]
        return spec

    def create_module(self, spec: Any) -> None:
        return None  # the usual module object

    def exec_module(self, module: Any) -> None:
        *_, start, end = self.index[module.__name__]
        exec(marshal.loads(os.pread(self.fd, end - start, self.base + start)),  # noqa: S102
             module.__dict__)


def install() -> Finder | None:
    """Put the bundle's finder first on sys.meta_path; None (and nothing done) when
    there is no bundle for this interpreter, or CNNCOST_NO_BUNDLE is set."""
    if not _USABLE or os.environ.get("CNNCOST_NO_BUNDLE"):
        return None
    try:
        fd = os.open(FILE, os.O_RDONLY)
    except OSError:  # none yet
        return None
    try:
        finder = Finder(fd)
    except Exception:  # noqa: BLE001 - truncated or another layout: the usual imports
        os.close(fd)
        return None
    sys.meta_path.insert(0, finder)
    return finder


def modules() -> list[tuple[str, str, bool]]:
    """Every module of the package: (name, source path, whether a package), in order."""
    out = []
    top = os.path.dirname(PACKAGE)
    for folder, subfolders, files in os.walk(PACKAGE):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        for file in sorted(files):
            if file.endswith(".py"):
                path = os.path.join(folder, file)
                parts = os.path.relpath(path, top)[:-3].split(os.sep)
                is_package = parts[-1] == "__init__"
                out.append((".".join(parts[:-1] if is_package else parts), path, is_package))
    return out


def build(file: str | None = None) -> int:
    """Write the bundle of every module, compiled from its source (to FILE, or to
    `file`); the number of modules."""
    file = file or FILE
    index: dict[str, tuple[Any, ...]] = {}
    chunks = []
    offset = 0
    for name, path, is_package in modules():
        with open(path, "rb") as f:
            source = f.read()
        st = os.stat(path)
        code = marshal.dumps(compile(source, path, "exec", dont_inherit=True))
        index[name] = (path, _external.cache_from_source(path), is_package, st.st_mtime_ns,
                       st.st_size, offset, offset + len(code))
        chunks.append(code)
        offset += len(code)
    head = marshal.dumps(index)
    os.makedirs(os.path.dirname(file), exist_ok=True)
    tmp = f"{file}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(_HEAD + len(head).to_bytes(8, "little") + head + b"".join(chunks))
    os.replace(tmp, file)  # atomic: a concurrent run reads all of it or none
    return len(index)


def refresh(finder: Finder | None) -> None:
    """After a script's run: write the bundle again where it was absent or a module
    was missed, where Python would write .pyc files; never an error."""
    if finder is not None and not finder.missed or not _USABLE \
            or os.environ.get("CNNCOST_NO_BUNDLE") or sys.dont_write_bytecode:
        return
    try:
        if os.access(os.path.dirname(FILE), os.W_OK) or os.access(PACKAGE, os.W_OK):
            build(FILE)
    except Exception:  # noqa: BLE001 - a read-only or full disk: the usual imports next time
        pass


if __name__ == "__main__":  # python -m cnncost.bundle: what make runs after compileall
    print(f"{build()} modules → {FILE}")
