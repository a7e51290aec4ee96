"""In-memory tables, one per object type, in creation order. Every write is O(1); pages are read by walking the
creation order from a position, so a page costs what it returns, not the size of the table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Table(Generic[T]):
    def __init__(self) -> None:
        self._rows: dict[str, T] = {}
        self._order: list[str | None] = []
        self._position: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._rows

    def get(self, object_id: str) -> T | None:
        return self._rows.get(object_id)

    def put(self, object_id: str, row: T) -> None:
        """Insert or replace; a new id goes to the end of the creation order."""
        if object_id not in self._rows:
            self._position[object_id] = len(self._order)
            self._order.append(object_id)
        self._rows[object_id] = row

    def remove(self, object_id: str) -> T | None:
        row = self._rows.pop(object_id, None)
        if row is not None:
            self._order[self._position.pop(object_id)] = None
        return row

    def position(self, object_id: str) -> int | None:
        return self._position.get(object_id)

    def newest_first(self, before: int | None = None) -> Iterator[T]:
        """Rows created before position `before` (all rows when None), newest first."""
        start = len(self._order) - 1 if before is None else before - 1
        for index in range(start, -1, -1):
            object_id = self._order[index]
            if object_id is not None:
                yield self._rows[object_id]

    def oldest_first(self, after: int) -> Iterator[T]:
        """Rows created after position `after`, oldest first."""
        for index in range(after + 1, len(self._order)):
            object_id = self._order[index]
            if object_id is not None:
                yield self._rows[object_id]

    def values(self) -> Iterator[T]:
        return iter(self._rows.values())

    def clear(self) -> None:
        self._rows.clear()
        self._order.clear()
        self._position.clear()


class Store:
    """The tables of one namespace, created on first use."""

    def __init__(self) -> None:
        self._tables: dict[str, Table[Any]] = {}

    def table(self, name: str) -> Table[Any]:
        """The table `name` (each resource module types it: `def table(backend) -> Table[Session]`)."""
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = Table()
        return table

    def counts(self) -> dict[str, int]:
        return {name: len(table) for name, table in self._tables.items() if len(table)}

