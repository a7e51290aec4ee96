"""Which object types exist, how to find one by id (for `expand[]`), and which fields are expandable ids."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from emulator.core.backend import Backend
from emulator.core.expand import Expandable
from emulator.core.versions import ApiVersion
from emulator.resources import customers

Lookup = Callable[[Backend, str, ApiVersion], dict[str, Any] | None]

LOOKUPS: dict[str, Lookup] = {
    customers.OBJECT: customers.lookup,
}

EXPANDABLE: Expandable = {
    "customer": {},
    "event": {},
}


def resolver(backend: Backend, version: ApiVersion) -> Callable[[str, str], dict[str, Any] | None]:
    def resolve(object_type: str, object_id: str) -> dict[str, Any] | None:
        lookup = LOOKUPS.get(object_type)
        return None if lookup is None else lookup(backend, object_id, version)

    return resolve
