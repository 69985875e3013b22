"""Built-in specs: YAML files beside this module, named as users know them.

`resnet50` is resnet50.yaml; a variants file such as he2015.yaml also provides
each variant as `he2015-<variant>` (he2015-a, he2015-j-prime). A family file
whose variants are named after it (regnet.yaml: regnet_y_400mf, …) provides
them under those names.
"""

from __future__ import annotations

import os
TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)

if TYPE_CHECKING:
    from pathlib import Path

# Paths are plain strings here: pathlib costs a few ms to import, on every run.
DIR = os.path.dirname(os.path.realpath(__file__))
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_.-")  # what a zoo name can hold


def __getattr__(name: str) -> Path:
    if name == "HERE":  # the folder as a Path, for callers that want one
        from pathlib import Path
        return Path(DIR)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def path(name: str) -> str:
    """The file of a file-level zoo name."""
    return os.path.join(DIR, f"{name}.yaml")


def names() -> list[str]:
    """Every file-level zoo name (variants not expanded), sorted."""
    return sorted(e.name[:-5] for e in os.scandir(DIR) if e.name.endswith(".yaml"))


def _looks_like_name(key: str) -> bool:
    """[a-z0-9][a-z0-9_.-]{0,63}, without importing re."""
    return 0 < len(key) <= 64 and key[0] not in "_.-" and _NAME_CHARS.issuperset(key)


def find(ref: str) -> tuple[str, str | None, str] | None:
    """(file, lower-case variant or None, display name) for a zoo name, else None.

    Cheap: looks only at file names, parsing nothing.
    """
    key = ref.strip().lower()
    if not _looks_like_name(key) or key.endswith((".yaml", ".yml")):
        return None
    file = path(key)
    if os.path.isfile(file):
        return file, None, key
    stem, _, variant = key.partition("-")
    while variant:
        file = path(stem)
        if os.path.isfile(file):
            return file, variant, key
        more, _, variant = variant.partition("-")
        stem = f"{stem}-{more}"
    # A family file (regnet.yaml) names its variants as users know them: regnet_y_400mf.
    for i in range(len(key) - 1, 0, -1):
        if key[i] == "_" and os.path.isfile(path(key[:i])):
            return path(key[:i]), key, key
    return None


def entry_name(file_name: str, variant: str) -> str:
    """The zoo name of a variant: a family's own names (regnet_y_400mf in
    regnet.yaml) as they are, he2015.yaml's A as he2015-a."""
    key = variant.lower()
    return key if key.startswith(f"{file_name}_") else f"{file_name}-{key}"
