"""A namespace's parts are made on first use, once, and its event listeners are the server's shared ones."""

from __future__ import annotations

import threading

from emulator.core.backend import Backend, Backends, Call, emit
from emulator.core.events import Event
from emulator.core.versions import parse

PARTS = ("clock", "timers", "ids", "store", "events", "idempotency", "requests", "faults", "lock")


def test_an_idle_namespace_holds_only_its_name_until_used() -> None:
    backend = Backends(seed=1).get("idle")
    assert not set(PARTS) & set(vars(backend))
    backend.events.record("x.y", lambda version: {"id": "x"}, created=0, api_version=parse("2026-10-28.endive"))
    assert {"events", "ids"} <= set(vars(backend))  # the event log's ids were made with it (no deadlock)
    assert backend.events is backend.events and backend.ids is backend.events._ids


def test_parts_made_from_many_threads_at_once_are_made_once() -> None:
    backend = Backend("race", seed=1)
    seen: list[object] = []
    start = threading.Barrier(8)

    def use() -> None:
        start.wait(timeout=10)
        seen.append(backend.store)

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(seen) == 8 and all(part is seen[0] for part in seen)


def test_listeners_are_shared_and_told_of_every_event_in_order() -> None:
    told: list[tuple[str, str]] = []

    def first(backend: Backend, event: Event) -> None:
        told.append(("first", f"{backend.namespace}:{event.type}"))

    def second(backend: Backend, event: Event) -> None:
        told.append(("second", f"{backend.namespace}:{event.type}"))

    backends = Backends(seed=1, listeners=[first, second])
    one, two = backends.get("one"), backends.get("two")
    assert one.listeners is two.listeners  # one tuple for the server, not a list per namespace
    call = Call(version=parse("2026-10-28.endive"))
    emit(one, call, "customer.created", lambda version: {"id": "cus_1"})
    emit(two, call, "customer.deleted", lambda version: {"id": "cus_2"})
    assert told == [("first", "one:customer.created"), ("second", "one:customer.created"),
                    ("first", "two:customer.deleted"), ("second", "two:customer.deleted")]
