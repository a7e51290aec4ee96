"""The append-only event log of a namespace. Resources record what happened; delivery is elsewhere.

An event keeps a *renderer* over a frozen snapshot of the object, not a rendered dict: the same event can be shown
in the event's own API version (`GET /v1/events`) and, later, in a webhook endpoint's pinned version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.core.ids import IdFactory
from emulator.core.snapshot import saved
from emulator.core.store import Table
from emulator.core.versions import ApiVersion

Renderer = Callable[[ApiVersion], dict[str, Any]]


@saved
@dataclass
class Event:
    id: str
    type: str
    created: int
    api_version: ApiVersion
    render_object: Renderer
    previous_attributes: dict[str, Any] | None
    request_id: str | None
    idempotency_key: str | None
    pending_webhooks: int = 0
    delivered_to: set[str] | frozenset[str] = frozenset()
    """Not used by the emulator any more; kept so that snapshots saved with it still load. The empty default is
    the shared empty frozenset: an empty set per event was a twentieth of a linked account's memory."""

    def render(self, version: ApiVersion | None = None) -> dict[str, Any]:
        shown_version = version or self.api_version
        data: dict[str, Any] = {"object": self.render_object(shown_version)}
        if self.previous_attributes is not None:
            data["previous_attributes"] = self.previous_attributes
        return {
            "id": self.id,
            "object": "event",
            "api_version": str(shown_version),
            "created": self.created,
            "data": data,
            "livemode": False,
            "pending_webhooks": self.pending_webhooks,
            "request": {"id": self.request_id, "idempotency_key": self.idempotency_key},
            "type": self.type,
        }


class EventLog:
    def __init__(self, ids: IdFactory) -> None:
        self._ids = ids
        self.table: Table[Event] = Table()
        self._listeners: list[Callable[[Event], None]] = []

    def subscribe(self, listener: Callable[[Event], None]) -> None:
        """Called for each new event, in order (the webhook outbox will listen here)."""
        self._listeners.append(listener)

    def record(
        self,
        type: str,
        render_object: Renderer,
        *,
        created: int,
        api_version: ApiVersion,
        previous_attributes: dict[str, Any] | None = None,
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Event:
        event = Event(self._ids.new("evt"), type, created, api_version, render_object, previous_attributes, request_id,
                      idempotency_key)  # the fields in order (positional: one is made per event)
        self.table.put(event.id, event)
        for listener in self._listeners:
            listener(event)
        return event

    def get(self, event_id: str) -> Event | None:
        return self.table.get(event_id)


def type_matcher(pattern: str) -> Callable[[str], bool]:
    """Stripe's event type filter: exact, or a `*` wildcard such as `customer.*`."""
    if "*" not in pattern:
        return lambda value: value == pattern
    prefix, _, suffix = pattern.partition("*")
    return lambda value: value.startswith(prefix) and value.endswith(suffix) and len(value) >= len(pattern) - 1
