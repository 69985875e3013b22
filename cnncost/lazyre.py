"""Regular expressions compiled on first use, with `re` imported only then.

The parser's tokens, the reports' and the resolver's patterns are ~40 regexes;
importing `re` and compiling them all was ~10% of a zoo network's whole
`analyze --format json` run, which uses none of them (the zoo comes precompiled,
cnncost.cache). A :class:`Pattern` stands for ``re.compile(pattern)``: its first
``.match`` (or any other attribute) compiles it and keeps the compiled method on
the instance, so every later call costs what the compiled pattern's does.
Flags are written inline: ``(?i)``, ``(?m)``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from typing import Any


class Pattern:
    """re.compile(pattern), done when first used."""

    def __init__(self, pattern: str) -> None:
        self._pattern = pattern

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # copy, pickle and the like ask for dunders: not a pattern's
            raise AttributeError(name)
        import re
        value = getattr(re.compile(self._pattern), name)
        setattr(self, name, value)  # found directly from now on: no __getattr__
        return value

    def __repr__(self) -> str:
        return f"lazyre.Pattern({self._pattern!r})"


def compile(pattern: str) -> Pattern:  # noqa: A001 - re.compile's name, on purpose
    return Pattern(pattern)
