"""Built-in specs: YAML files beside this module, named as users know them.

`resnet50` is resnet50.yaml; a variants file such as he2015.yaml also provides
each variant as `he2015-<variant>` (he2015-a, he2015-j-prime). A family file
whose variants are named after it (regnet.yaml: regnet_y_400mf, …) provides
them under those names.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
NAME = re.compile(r"[a-z0-9][a-z0-9_.\-]{0,63}")  # what a zoo name can look like


def names() -> list[str]:
    """Every file-level zoo name (variants not expanded), sorted."""
    return sorted(p.stem for p in HERE.glob("*.yaml"))


def find(ref: str) -> tuple[Path, str | None, str] | None:
    """(file, lower-case variant or None, display name) for a zoo name, else None.

    Cheap: looks only at file names, parsing nothing.
    """
    key = ref.strip().lower()
    if not NAME.fullmatch(key) or key.endswith((".yaml", ".yml")):
        return None
    path = HERE / f"{key}.yaml"
    if path.is_file():
        return path, None, key
    stem, _, variant = key.partition("-")
    while variant:
        path = HERE / f"{stem}.yaml"
        if path.is_file():
            return path, variant, key
        more, _, variant = variant.partition("-")
        stem = f"{stem}-{more}"
    # A family file (regnet.yaml) names its variants as users know them: regnet_y_400mf.
    for i in range(len(key) - 1, 0, -1):
        if key[i] == "_" and (HERE / f"{key[:i]}.yaml").is_file():
            return HERE / f"{key[:i]}.yaml", key, key
    return None


def entry_name(file_name: str, variant: str) -> str:
    """The zoo name of a variant: a family's own names (regnet_y_400mf in
    regnet.yaml) as they are, he2015.yaml's A as he2015-a."""
    key = variant.lower()
    return key if key.startswith(f"{file_name}_") else f"{file_name}-{key}"
