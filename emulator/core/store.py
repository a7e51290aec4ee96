"""In-memory tables, one per object type, in creation order. Every write is O(1); pages are read by walking the
creation order from a position, so a page costs what it returns, not the size of the table."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from emulator.core.snapshot import saved

T = TypeVar("T")


@saved
class Table(Generic[T]):
    _rows: dict[str, T]
    _order: list[str | None]
    _position: dict[str, int]
    _indexed: int = 0
    """How much of `_order` `_position` covers: positions are looked up only to start a page after an object, so
    they are filled in then, not for every row put (a snapshot saved before this has them all: 0 re-reads those)."""

    def __init__(self) -> None:
        self._rows = {}
        self._order = []
        self._position = {}
        self._indexed = 0

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, object_id: object) -> bool:
        return object_id in self._rows

    def get(self, object_id: str) -> T | None:
        return self._rows.get(object_id)

    def put(self, object_id: str, row: T) -> None:
        """Insert or replace; a new id goes to the end of the creation order."""
        if object_id not in self._rows:
            self._order.append(object_id)
        self._rows[object_id] = row

    def remove(self, object_id: str) -> T | None:
        row = self._rows.pop(object_id, None)
        if row is not None:
            self._index()
            self._order[self._position.pop(object_id)] = None
        return row

    def position(self, object_id: str) -> int | None:
        found = self._position.get(object_id)
        if found is None and object_id in self._rows:
            self._index()
            found = self._position.get(object_id)
        return found

    def _index(self) -> None:
        """Fill in the positions of the rows put since the last time."""
        order, position = self._order, self._position
        for index in range(self._indexed, len(order)):
            object_id = order[index]
            if object_id is not None:
                position[object_id] = index
        self._indexed = len(order)

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
        self._indexed = 0

    def _check_state(self) -> None:
        """For a restored table: the creation order, the positions and the rows agree (a snapshot's check): each
        row's id once in the order, nothing else there, every position known that of its id, and those of the
        indexed part of the order all known."""
        ordered = [object_id for object_id in self._order if object_id is not None]
        if len(ordered) != len(self._rows) or set(ordered) != self._rows.keys() or not (
                0 <= self._indexed <= len(self._order)) or any(
                not 0 <= index < len(self._order) or self._order[index] != object_id
                for object_id, index in self._position.items()) or any(
                object_id is not None and self._position.get(object_id) != index
                for index, object_id in enumerate(self._order[:self._indexed])):
            raise ValueError("its order, positions and rows disagree")

    def _check_rows(self, check: Callable[[Any, str], None], path: str) -> None:
        """Apply a type check to every row (a snapshot's check of a `Table[X]`)."""
        for object_id, row in self._rows.items():
            check(row, f"{path}[{object_id!r}]")


ROW_TYPES: dict[str, type] = {}
"""Table name -> the type of its rows, declared by the module that owns the table (`declare`)."""


def declare(name: str, row_type: type) -> None:
    """Say which type a table's rows have: a restored store is checked against it (a snapshot's check)."""
    ROW_TYPES[name] = row_type


@saved
class Store:
    """The tables of one namespace, created on first use."""

    _tables: dict[str, Table[Any]]

    def __init__(self) -> None:
        self._tables = {}

    def holds(self, name: str) -> bool:
        """Whether the table `name` has rows (without making it)."""
        table = self._tables.get(name)
        return table is not None and bool(table._rows)

    def table(self, name: str) -> Table[Any]:
        """The table `name` (each resource module types it: `def table(backend) -> Table[Session]`)."""
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = Table()
        return table

    def _check_state(self) -> None:
        for name, table in self._tables.items():
            row_type = ROW_TYPES.get(name)
            if row_type is None:
                raise ValueError(f"no table is named {name!r}")
            for object_id, row in table._rows.items():
                if not isinstance(row, row_type):
                    raise ValueError(f"{name}[{object_id!r}] is a {type(row).__name__}, not a {row_type.__name__}")

    def counts(self) -> dict[str, int]:
        return {name: len(table) for name, table in self._tables.items() if len(table)}

