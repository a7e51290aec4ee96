"""`GET /v1/events` and `GET /v1/events/:id` over the namespace's event log."""

from __future__ import annotations

from typing import Any

from emulator.core.backend import Backend, Call
from emulator.core.errors import ResourceMissingError
from emulator.core.events import Event, type_matcher
from emulator.core.listing import LIST_FIELDS, created_filter, page
from emulator.core.spec import Array, Boolean, Field, Range, String, params

NOUN = "event"
URL = "/v1/events"

LIST = params(
    {
        **LIST_FIELDS,
        "type": Field(String()),
        "types": Field(Array(String(), max_items=20)),
        "created": Field(Range()),
        "delivery_success": Field(Boolean()),
    }
)
RETRIEVE = params({})


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    event = backend.events.get(id)
    if event is None:
        raise ResourceMissingError(NOUN, id, param="id")
    return event.render()


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    matchers = [type_matcher(values["type"])] if "type" in values else []
    matchers += [type_matcher(t) for t in values.get("types", [])]
    created = created_filter(values["created"]) if "created" in values else None

    def where(event: Event) -> bool:
        if matchers and not any(match(event.type) for match in matchers):
            return False
        return created is None or created(event.created)

    return page(backend.events.table, values, url=URL, noun=NOUN, render=lambda e: e.render(), where=where)
