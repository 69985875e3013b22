"""The zoo's precompiled form: each built-in spec file parsed once, kept as a pickle.

Reading a zoo network needs PyYAML (~40 ms to import) and the parse of its
blocks; the parsed Document is the same on every run of the same cnncost, so it
is kept in a per-user cache and loaded instead. The key is the spec file's bytes
and a fingerprint of the installed cnncost (its version and the size and mtime
of every module), so an upgrade or an edited source reads afresh; a cache that
cannot be read or written is ignored, never an error.

    CNNCOST_CACHE_DIR  where it lives (default: $XDG_CACHE_HOME/cnncost or ~/.cache/cnncost)
    CNNCOST_NO_CACHE=1 read every spec afresh
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# Paths are plain strings: pathlib costs a few ms to import, on every run.
PACKAGE = os.path.dirname(os.path.realpath(__file__))
FORMAT = 1  # bump when what is pickled changes shape


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
    try:  # pickle's C half: the pickle module around it costs ~2% of a zoo network's run
        from _pickle import load as unpickle
    except ImportError:  # pragma: no cover - a Python without the C accelerator
        from pickle import load as unpickle
    try:
        from _blake2 import blake2b  # what hashlib.blake2b is, without loading OpenSSL (~3 ms)
    except ImportError:  # pragma: no cover - a Python built without it
        from hashlib import blake2b
    key = blake2b(data, digest_size=12).hexdigest()
    stem = os.path.splitext(os.path.basename(path))[0]
    folder = os.path.join(where, fingerprint())
    file = os.path.join(folder, f"{stem}-{key}.pickle")
    try:
        with open(file, "rb") as f:
            return unpickle(f)
    except Exception:  # absent, truncated, or from another Python: build it afresh
        pass
    value = build()
    import pickle
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = f"{file}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, file)  # atomic: a concurrent reader sees all of it or nothing
    except Exception:  # a read-only home, a full disk, an unpicklable value: no cache
        pass
    return value
