"""Turn what a user names — a built-in spec, a file, or literal text — into a Document.

This is the only core module that reads files (the zoo's package data and
user spec files); it returns values and raises CnnCostError, never exits.
"""

from __future__ import annotations

import os

from .errors import CnnCostError, did_you_mean
from .model import Document, NetworkSpec, Padding, Shape
from . import lazyre, zoo

# The parsers (notation, yaml_spec) are imported where text is read: a zoo
# network comes precompiled (cnncost.cache) and needs neither.

SPEC_SUFFIXES = (".yaml", ".yml", ".cnn", ".txt", ".spec", ".onnx")
MAX_FILE_BYTES = 4_000_000


def load(ref: str, overrides: dict[str, float | int] | None = None,
         input_shape: Shape | None = None, allow_unsupported: bool = False) -> Document:
    """A zoo name, a path to a YAML, notation or ONNX file, or a literal spec
    (notation, or YAML text of more than one line: looks_like_yaml).
    `overrides` set the spec's YAML `vars:` (width, depth, …). An ONNX model reads
    its input from `input_shape` when its own is dynamic; `allow_unsupported` costs
    what it can and lists the rest (cnncost.onnx_import)."""
    if ref.lower().endswith(".onnx") and _is_file(ref):
        if overrides:
            raise CnnCostError(f"{ref} is an ONNX model, which has no variables to set",
                               hint="import it (cnncost import) and declare `vars:` in the YAML")
        from .onnx_import import import_onnx
        imported = import_onnx(ref, input_shape, allow_unsupported=allow_unsupported)
        return _with_uncosted(imported.document, imported.uncosted)
    if not ref.strip():
        return literal(ref)
    base, variant = split_variant(ref)
    if variant is not None:  # nets.yaml:B, he2015:j — one variant of a variants file
        doc = load(base, overrides, input_shape, allow_unsupported)
        name = zoo.entry_name(base.strip().lower(), variant) if zoo.find(base) else ""
        return narrowed(doc, variant, name, f"{base}:{variant}")
    found = zoo.find(ref)
    if found is not None:
        path, variant, name = found
        doc = _zoo_file(path, overrides)
        if variant is None:
            return doc
        return narrowed(doc, variant, name)
    if "\n" in ref.strip() and looks_like_yaml(ref):  # YAML text itself: no name, no path
        return load_text(ref, "<text>", overrides=overrides)
    # A path is explicit when it has a separator or a spec file's suffix; then it
    # must exist. A bare word is a file only if such a file exists (a folder
    # named `gap` does not hide the layer). Text with arrows or brackets that
    # names nothing on disk is notation ("relu -> 3/" is a bad spec, not a path).
    explicit = ref.lower().endswith(SPEC_SUFFIXES) or "/" in ref or "\\" in ref
    notation = "->" in ref or any(ch in ref for ch in "→⟶()[]|")
    try:
        is_file, is_dir = os.path.isfile(ref), os.path.isdir(ref)
    except (OSError, ValueError):
        is_file = is_dir = False
    if is_file or (is_dir and explicit):
        return load_file(ref, display=ref, overrides=overrides)  # named as the user wrote it
    if explicit and not notation:
        raise CnnCostError(f"no such file: {ref}",
                           hint="give a spec file, a built-in name (see `cnncost zoo`) or spec text")
    if overrides:
        raise CnnCostError("a spec written inline has no variables to set",
                           hint="declare `vars:` (width, depth) in a YAML spec to scale it")
    if BARE_WORD.fullmatch(ref.strip()):
        return _bare_word(ref.strip())
    return literal(ref)


# One word with no arrows, brackets or spaces: a zoo name or a one-layer spec (`relu`).
BARE_WORD = lazyre.compile(r"[\w.\-]+")
# What may follow the last `:` of SPEC:VARIANT: a variant's name (A, j-prime, A.2).
VARIANT_WORD = lazyre.compile(r"\w[\w.\-]*")
VARIANTS_FILE = lazyre.compile(r"(?m)^variants:")  # a zoo file with variants


def split_variant(ref: str) -> tuple[str, str | None]:
    """'nets.yaml:B' → ('nets.yaml', 'B'); anything else → (ref, None).

    Split at the last `:` only when what follows is a plain word (VARIANT_WORD)
    and what comes before names a spec file that exists, a built-in spec, or a
    file by its suffix (missing.yaml:B is then "no such file: missing.yaml"), so
    spec text with a `:` in it and a file whose own name has one are left whole."""
    base, colon, variant = ref.rpartition(":")
    if not colon or not base.strip() or not VARIANT_WORD.fullmatch(variant) or _is_file(ref):
        return ref, None
    if zoo.find(base) is not None or base.lower().endswith(SPEC_SUFFIXES) or _is_file(base):
        return base, variant
    return ref, None


def _is_file(ref: str) -> bool:
    try:
        return os.path.isfile(ref)
    except (OSError, ValueError):
        return False


def narrowed(doc: Document, variant: str, name: str = "", ref: str = "") -> Document:
    """The document of one variant of `doc` (one_network's choice), named `name`
    when given (a zoo variant: he2015-a), else as the file names it. `ref` is how
    the user wrote the choice (nets.yaml:B), for the error when `doc` is one network."""
    if ref and not doc.is_variants:
        base = ref.rpartition(":")[0]
        raise CnnCostError(f"{ref}: {doc.name or base} is one network, not a variants file",
                           hint=f"drop :{variant} (write just {base})")
    net = one_network(doc, variant)
    if name:
        net = _renamed(net, name)
    return Document({net.name: net}, None, net.name, False)


def _bare_word(word: str) -> Document:
    """A one-layer spec, or — when the word is no layer either — a misspelled zoo
    name: one error naming the closest built-in spec (or layer)."""
    try:
        return literal(word)
    except CnnCostError as e:
        if not e.message.startswith("unknown layer"):
            raise  # a layer written wrong (`64F` without its parenthesis): its own message
        close = did_you_mean(word, zoo_entry_names()) or did_you_mean(word, _layer_words())
        raise CnnCostError(f"no built-in spec or layer '{word}'" + close,
                           hint="`cnncost zoo` lists the built-in specs, `cnncost layers` "
                                "the layers") from None


def zoo_entry_names() -> list[str]:
    """Every name the zoo answers to: its files, and each variant of a variants
    file (he2015-a, regnet_y_400mf). Reads the variants files, so only for errors."""
    out = []
    for name in zoo.names():
        path = zoo.path(name)
        out.append(name)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if VARIANTS_FILE.search(text):
            doc = load_file(path, display=f"<zoo:{name}>")
            out.extend(zoo.entry_name(name, key) for key in doc.networks)
    return out


def _layer_words() -> list[str]:
    from .notation import LAYERS
    return list(LAYERS)


def looks_like_yaml(text: str) -> bool:
    """Whether spec text is YAML rather than notation: its first line that is not
    blank or a `#` comment starts with `key:` (or is `---`). Notation never does."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return bool(YAML_START.match(stripped))
    return False


YAML_START = lazyre.compile(r"(?:---|[A-Za-z_][\w.\-]*\s*:(?:\s|$))")


def load_text(text: str, display: str = "<text>", name: str = "",
              overrides: dict[str, float | int] | None = None) -> Document:
    """Spec text — YAML or notation (looks_like_yaml) — as a Document; `display`
    names it in error messages (`<stdin>`), `name` names a notation network."""
    if looks_like_yaml(text):
        from .yaml_spec import load_document
        return load_document(text, display, overrides)
    if overrides:
        raise CnnCostError(f"{display} is notation text, which has no variables to set",
                           hint="declare `vars:` (width, depth) in a YAML spec to scale it")
    return _notation_document(text, name, display)


def literal(text: str, name: str = "") -> Document:
    return _notation_document(text, name)


def _notation_document(text: str, name: str, filename: str = "") -> Document:
    """Notation text (a literal or a text file) as a one-network Document."""
    from .notation import parse
    parsed = parse(text, filename)
    net = NetworkSpec(name, parsed.input, Padding.SAME, ((None, parsed.chain),),
                      input_span=parsed.input_span, input_in_text=parsed.input is not None)
    return Document({name: net}, None, name, False)


def load_file(path: str | os.PathLike[str], display: str | None = None,
              overrides: dict[str, float | int] | None = None) -> Document:
    path = os.fspath(path)
    shown = display or path
    if os.path.isdir(path):
        raise CnnCostError(f"{shown} is a directory, not a spec file",
                           hint="name a .yaml file or a file of spec text")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as e:
        raise CnnCostError(f"cannot read {shown}: {e.strerror or e}") from None
    text = spec_text(data, shown, "a spec file is text", "save the file as UTF-8")
    stem, suffix = _stem_suffix(path)
    if suffix.lower() in (".yaml", ".yml"):
        from .yaml_spec import load_document
        return load_document(text, shown, overrides)
    if overrides:
        raise CnnCostError(f"{shown} is notation text, which has no variables to set",
                           hint="declare `vars:` (width, depth) in a YAML spec to scale it")
    return _notation_document(text, stem, shown)


def _stem_suffix(path: str) -> tuple[str, str]:
    """What pathlib calls a file's stem and suffix (`a.tar.gz` → `a.tar`, `.gz`),
    without importing pathlib (a few ms on every run)."""
    name = os.path.basename(path.rstrip("/" + os.sep))
    dot = name.rfind(".")
    if 0 < dot < len(name) - 1:
        return name[:dot], name[dot:]
    return name, ""


def _zoo_file(path: str, overrides: dict[str, float | int] | None) -> Document:
    """A built-in spec file, from its precompiled form (cnncost.cache) unless vars are set."""
    display = f"<zoo:{_stem_suffix(path)[0]}>"
    if overrides:
        return load_file(path, display=display, overrides=overrides)
    from . import cache
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return load_file(path, display=display)  # says why it cannot be read
    return cache.load(path, data, lambda: load_file(path, display=display))


def _with_uncosted(doc: Document, uncosted: tuple) -> Document:  # type: ignore[type-arg]
    """The document with its network's uncosted nodes recorded, for every report."""
    if not uncosted:
        return doc
    from .record import replace
    notes = tuple(f"{u.op} {u.name}" for u in uncosted)
    return replace(doc, networks={k: replace(n, uncosted=notes) for k, n in doc.networks.items()})


def spec_text(data: bytes, shown: str, what: str, utf8_hint: str, binary: bool = True) -> str:
    """Bytes read for a spec (at most MAX_FILE_BYTES + 1) as text, or one clear error:
    too large, binary (a NUL byte; with `binary`), or not UTF-8."""
    if len(data) > MAX_FILE_BYTES:
        raise CnnCostError(f"{shown} is larger than {MAX_FILE_BYTES // 1_000_000} MB",
                           hint=f"{what}; use repetition (×k) to keep it short")
    if binary and b"\0" in data:
        raise CnnCostError(f"{shown} is a binary file, not a spec",
                           hint="a spec is UTF-8 text: YAML or the arrow notation")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CnnCostError(f"{shown} is not UTF-8 text (byte {e.start})", hint=utf8_hint) from None


def _renamed(net: NetworkSpec, name: str) -> NetworkSpec:
    from .record import replace
    return replace(net, name=name)


def one_network(doc: Document, variant: str | None = None) -> NetworkSpec:
    """The network to analyse: the only one, the named variant, or the baseline."""
    if variant is not None:
        if not doc.is_variants:
            raise CnnCostError(f"variant {variant}: {doc.name or 'this spec'} is one network, "
                               "not a variants file", hint="ask for no variant",
                               cli_hint="drop --variant")
        for key, net in doc.networks.items():
            if key.lower() == variant.lower():
                return net
        by_lower = {k.lower(): k for k in doc.networks}
        close = did_you_mean(variant, by_lower)  # matched case-insensitively, shown as written
        m = lazyre.compile(r" \(did you mean '(.*)'\?\)").fullmatch(close)
        close = f" (did you mean '{by_lower[m.group(1)]}'?)" if m else ""
        raise CnnCostError(f"no variant '{variant}' in {doc.name or 'this file'}" + close,
                           hint="variants: " + ", ".join(doc.networks))
    if doc.baseline is not None:
        return doc.networks[doc.baseline]
    return next(iter(doc.networks.values()))
