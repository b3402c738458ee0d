"""One small registry type for every extension family (objectives, hardware backends, strategies):
entries by name, in registration order, an error listing the registered names for an unknown one."""

from __future__ import annotations

from typing import Generic, Iterator, Mapping, TypeVar

from .errors import UsageError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Mapping, Generic[T]):
    """``name -> entry``; read like a mapping, changed only through :meth:`add` and :meth:`remove`."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T, *, replace: bool = False) -> T:
        if name in self._entries and not replace:
            raise ValueError(f"{self.what} {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def remove(self, name: str) -> None:
        self._entries.pop(name, None)

    def get_entry(self, name: str) -> T:
        """The entry, or :class:`UsageError` naming the registered ones."""
        try:
            return self._entries[name]
        except KeyError:
            raise UsageError(f"unknown {self.what} {name!r}; allowed: {list(self._entries)}") from None

    def names(self) -> list[str]:
        return list(self._entries)

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)
