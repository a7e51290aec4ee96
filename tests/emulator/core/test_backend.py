"""A namespace's parts are made on first use, once, and its event listeners are the server's shared ones."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from typing import Any

import pytest

from emulator.core.backend import FROZEN_KEPT, Backend, Backends, Call, emit, shallow
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


@dataclass
class _Plain:
    name: str
    tags: list[str] = field(default_factory=list)
    count: int = 0


@dataclass
class _Derived:
    name: str
    made: list[str] = field(default_factory=list)
    hidden: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.made.append("post_init ran")


@pytest.mark.parametrize("original", [_Plain("a", ["x"], 3), _Derived("b")], ids=["plain", "post_init_and_init_false"])
def test_a_shallow_copy_is_a_new_equal_object_sharing_the_values(original: Any) -> None:
    if isinstance(original, _Derived):
        original.hidden = 7
    copied = shallow(original)
    assert copied is not original and type(copied) is type(original)
    assert copied == original
    for name in [f.name for f in fields(original)]:
        assert getattr(copied, name) is getattr(original, name)  # shared, not copied: a shallow copy
    if isinstance(original, _Derived):
        assert copied.hidden == 7 and original.made == ["post_init ran"]  # __post_init__ did not run again


def test_frozen_copies_are_shared_while_unchanged_and_only_the_latest_objects_are_kept() -> None:
    backend = Backend("frozen")
    live = _Plain("acct", ["a"])
    first = backend.frozen("acct_1", live, shallow)
    assert first is not live and first == live
    assert backend.frozen("acct_1", live, shallow) is first  # unchanged: the same copy, not another
    live.count = 1
    second = backend.frozen("acct_1", live, shallow)
    assert second is not first and second.count == 1 and first.count == 0  # changed: a new copy; the old stays
    for number in range(3 * FROZEN_KEPT):  # many other objects frozen since: a bounded cache, not one entry each
        backend.frozen(f"other_{number}", _Plain(str(number)), shallow)
    assert backend._frozen is not None and len(backend._frozen) <= FROZEN_KEPT < 3 * FROZEN_KEPT
    assert backend.frozen("acct_1", live, shallow) is not second  # forgotten: copied again (equal)
    assert backend.frozen("acct_1", live, shallow) == second
