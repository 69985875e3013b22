"""A string enumeration without importing enum: ``class Padding(Choice)``.

A Choice class's upper-case attributes are its members, each a str of its value,
made when the class is, as ``class Padding(str, enum.Enum)`` makes them and
answering as its members do: ``Padding.SAME == "same"``, ``Padding.SAME.value``
and ``.name``, ``Padding("same") is Padding.SAME`` (a ValueError for a value not
one of them), ``list(Padding)`` in their order, ``str()``, ``repr()`` and
f-strings as Python 3.11 writes an enum's (``Padding.SAME``), pickled and copied
as themselves. The enum module costs ~6.5M instructions to import, a fifth of a
bare interpreter's start and a sixth of what ``cnncost analyze resnet50
--format json`` adds to it (docs/performance.md); the few enumerations the
counting and the report need are these.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (mypy reads the name)
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


class _ChoiceType(type):
    """Choice's metaclass: the members are made with the class, looked up by value."""

    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> Any:
        members = {k: v for k, v in ns.items() if k.isupper() and isinstance(v, str)}
        for k in members:
            del ns[k]
        cls = type.__new__(mcls, name, bases, ns)
        by_value: dict[str, Any] = {}
        for k, v in members.items():
            m = str.__new__(cls, v)
            m.name, m.value = k, v
            by_value[v] = m
            type.__setattr__(cls, k, m)
        type.__setattr__(cls, "_by_value", by_value)
        return cls

    def __call__(cls, value: Any) -> Any:
        try:
            return cls._by_value[value]  # type: ignore[attr-defined]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not a valid {cls.__qualname__}") from None

    def __iter__(cls) -> Iterator[Any]:
        return iter(cls._by_value.values())  # type: ignore[attr-defined]

    def __len__(cls) -> int:
        return len(cls._by_value)  # type: ignore[attr-defined]

    def __setattr__(cls, name: str, value: Any) -> None:
        if name in cls.__dict__ and name.isupper():
            raise AttributeError(f"cannot reassign member {name!r}")
        type.__setattr__(cls, name, value)

    @property
    def __members__(cls) -> dict[str, Any]:
        return {m.name: m for m in cls}


class Choice(str, metaclass=_ChoiceType):
    """The base of a string enumeration: ``class PoolOp(Choice): MAX = "max"``."""

    name: str
    value: str

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self.name}: {self.value!r}>"

    def __str__(self) -> str:
        return f"{type(self).__name__}.{self.name}"

    def __format__(self, spec: str) -> str:  # f"{Padding.SAME}" is "Padding.SAME", as in 3.11
        return format(str(self), spec)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return type(self), (self.value,)

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: Any) -> Any:
        return self
