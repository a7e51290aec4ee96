"""Stripe's list envelope and cursor pagination: `limit` 1-100 (default 10), `starting_after`, `ending_before`,
newest first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any, TypeVar

from emulator.core import messages
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.spec import Field, Integer, String
from emulator.core.store import Table

T = TypeVar("T")

DEFAULT_LIMIT = 10
MAX_LIMIT = 100

LIST_FIELDS = {
    "limit": Field(Integer(minimum=1, maximum=MAX_LIMIT)),
    "starting_after": Field(String()),
    "ending_before": Field(String()),
}


def envelope(data: list[dict[str, Any]], has_more: bool, url: str) -> dict[str, Any]:
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def page(
    table: Table[T],
    params: dict[str, Any],
    *,
    url: str,
    noun: str,
    render: Callable[[T], dict[str, Any]],
    where: Callable[[T], bool] | None = None,
) -> dict[str, Any]:
    """One page of `table`, newest first, filtered by `where`. Walks only as far as the page needs."""
    limit: int = params.get("limit", DEFAULT_LIMIT)
    starting_after: str | None = params.get("starting_after")
    ending_before: str | None = params.get("ending_before")
    if starting_after is not None and ending_before is not None:
        raise InvalidRequestError(
            messages.PARAMETERS_EXCLUSIVE.format(params="ending_before, starting_after"),
            code="parameters_exclusive",
            param="ending_before",
        )
    rows: Iterator[T]
    if ending_before is not None:
        position = _cursor(table, ending_before, "ending_before", noun)
        newer = _filtered(table.oldest_first(position), where)
        chunk = list(islice(newer, limit + 1))
        has_more = len(chunk) > limit
        selected = list(reversed(chunk[:limit]))
    else:
        before = None if starting_after is None else _cursor(table, starting_after, "starting_after", noun)
        rows = _filtered(table.newest_first(before), where)
        chunk = list(islice(rows, limit + 1))
        has_more = len(chunk) > limit
        selected = chunk[:limit]
    return envelope([render(row) for row in selected], has_more, url)


def _filtered(rows: Iterator[T], where: Callable[[T], bool] | None) -> Iterator[T]:
    return rows if where is None else (row for row in rows if where(row))


def _cursor(table: Table[T], object_id: str, param: str, noun: str) -> int:
    position = table.position(object_id)
    if position is None:
        raise ResourceMissingError(noun, object_id, param=param)
    return position


def created_filter(value: Any) -> Callable[[int], bool]:
    """`created=<int>` or `created[gt|gte|lt|lte]=<int>` as a predicate on a timestamp."""
    if isinstance(value, int):
        return lambda created: created == value
    bounds: dict[str, int] = value
    checks: list[Callable[[int], bool]] = []
    if "gt" in bounds:
        checks.append(lambda c: c > bounds["gt"])
    if "gte" in bounds:
        checks.append(lambda c: c >= bounds["gte"])
    if "lt" in bounds:
        checks.append(lambda c: c < bounds["lt"])
    if "lte" in bounds:
        checks.append(lambda c: c <= bounds["lte"])
    return lambda created: all(check(created) for check in checks)
