"""The snapshot codec: what round-trips, what identities survive, and what it refuses to save or to load."""

from __future__ import annotations

import collections
import datetime
import functools
import json
import random
import threading
from typing import Any

import pytest

from emulator.core.backend import Backend
from emulator.core.events import Event
from emulator.core.snapshot import SnapshotError, decode, encode
from emulator.core.store import Table
from emulator.core.versions import parse
from emulator.resources.financial_connections import bank
from emulator.resources.payments import connect


def roundtrip(value: Any, backend: object | None = None) -> Any:
    return decode(json.loads(json.dumps(encode(value, backend))), backend)


def test_snapshot_plain_and_tagged_values_round_trip() -> None:
    generator = random.Random(7)
    generator.random()
    value = {
        "text": "x", "n": 3, "f": 1.5, "none": None, "list": [1, [2]], "tuple": (1, "a"), "set": {3, 1},
        "frozen": frozenset({"b"}), "deque": collections.deque([1, 2], maxlen=5), "bytes": b"\x00\xff",
        "date": datetime.date(2026, 11, 26), "version": parse("2026-09-30.preview"), 7: "int key",
        "$dollar": "a key that looks like a tag",
    }
    back = roundtrip(value)
    assert back == value
    assert back["deque"].maxlen == 5
    restored = roundtrip(generator)
    assert restored.random() == generator.random()  # the generator continues where it was


def test_snapshot_keeps_shared_objects_shared_and_cycles_closed() -> None:
    shared = [1, 2]
    table: Table[Any] = Table()
    table.put("a", {"items": shared})
    table.put("b", {"items": shared})
    table.put("c", {})
    table.remove("c")
    back = roundtrip(table)
    assert back.get("a")["items"] is back.get("b")["items"]
    back.get("a")["items"].append(3)
    assert back.get("b")["items"] == [1, 2, 3]
    assert [row for row in back.newest_first()] == [{"items": [1, 2, 3]}, {"items": [1, 2, 3]}]
    assert back.position("b") == 1 and back.position("c") is None  # creation order (cursors) kept

    cycle: dict[str, Any] = {}
    cycle["self"] = cycle
    again = roundtrip(cycle)
    assert again["self"] is again


def test_snapshot_saves_timer_actions_by_reference_and_binds_them_to_the_restored_backend() -> None:
    backend = Backend("ns", seed=1)  # timer actions are registered module-level functions over plain values
    backend.timers.at(10.0, functools.partial(bank._tan_notice, backend, "fca_1", 10), "a label")
    backend.timers.at(10.0, functools.partial(bank._tan_expire, backend, "fca_1", 10), "another")
    restored = Backend("ns", seed=1)
    restored.import_state(decode(json.loads(json.dumps(encode(backend.export_state(), backend))), restored))
    assert restored.timers.pending() == [(10.0, "a label"), (10.0, "another")]
    restored.timers.at(10.0, functools.partial(bank._tan_expire, restored, "fca_2", 10), "third")
    entries = sorted(restored.timers._heap)  # the order they run in: (due, sequence)
    assert [entry.label for entry in entries] == ["a label", "another", "third"]  # the sequence went on
    assert [entry.action.func for entry in entries] == [bank._tan_notice, bank._tan_expire, bank._tan_expire]
    assert all(entry.action.args[0] is restored for entry in entries)  # bound to the restored namespace
    assert restored.timers.run_due(11.0) == 3 and len(backend.timers) == 2  # nothing ran against the saved one


def test_snapshot_keeps_an_events_renderer() -> None:
    version = parse("2026-09-30.preview")
    event = Event(id="evt_1", type="x.created", created=1, api_version=version,
                  render_object=functools.partial(connect._as_rendered, {"id": "ba_1"}), previous_attributes=None,
                  request_id=None, idempotency_key=None, delivered_to={"we_1"})
    back = roundtrip(event)
    assert back.render() == event.render()
    assert back.delivered_to == {"we_1"}


@pytest.mark.parametrize(("value", "where"), [
    (lambda version: {}, "$"),
    ({"renderer": functools.partial(lambda x, v: x, 1)}, "$.renderer.func"),
    ({"test_function": test_snapshot_keeps_an_events_renderer}, "$.test_function"),
    ({"lock": threading.Condition()}, "$.lock"),
    ({"file": open}, "$.file"),
    ({"nested": [object()]}, "$.nested[0]"),
])
def test_snapshot_refuses_what_it_cannot_save_and_says_where(value: Any, where: str) -> None:
    with pytest.raises(SnapshotError) as raised:
        encode(value)
    assert str(raised.value).startswith(where + ":")


@pytest.mark.parametrize("document", [
    {"$function": "os:system"},
    {"$function": "builtins:eval"},
    {"$object": "subprocess:Popen", "state": {}},
    {"$partial": {"$function": "os:system"}, "args": ["true"]},
    {"$function": "emulator.core.snapshot:<lambda>"},
    {"$function": "emulator.core.snapshot:NoSuchThing"},
    {"$function": "emulator.core.snapshot:SnapshotError"},  # a class is not a function
    {"$method": "__init__", "self": {"$object": "emulator.core.store:Table", "state": {}}},
    {"$ref": 99},
    {"$what": 1},
])
def test_snapshot_loading_resolves_only_the_emulators_own_functions_and_classes(document: Any) -> None:
    with pytest.raises(SnapshotError):
        decode(document)
