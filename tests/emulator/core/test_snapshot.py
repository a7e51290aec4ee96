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

from emulator.core import snapshot
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


@pytest.mark.parametrize(("document", "message"), [
    ({"a": {"$x": 1, "$y": 2}}, "$.a: more than one tag ($x, $y)"),
    ({"b": {"$backend": True}}, "$.b: a backend reference outside a namespace"),
    ({"d": {"$dict": [[1, 2], [3]]}}, "$.d: a $dict entry is not a [key, value] pair"),
    ({"d": {"$dict": [7]}}, "$.d: a $dict entry is not a [key, value] pair"),
    ({"d": {"$dict": {"k": "v"}}}, "$.d: expected a list, found dict"),
    ({"t": {"$tuple": "ab"}}, "$.t: expected a list, found str"),
    ({"q": {"$deque": [], "maxlen": -1}}, "$.q: a deque's maxlen must be null or a non-negative integer"),
    ({"q": {"$deque": [], "maxlen": True}}, "$.q: a deque's maxlen must be null or a non-negative integer"),
    ({"q": {"$deque": [], "maxlen": 1.5}}, "$.q: a deque's maxlen must be null or a non-negative integer"),
    ({"x": {"$bytes": 5}}, "$.x: $bytes needs a string"),
    ({"x": {"$version": None}}, "$.x: $version needs a string"),
    ({"x": {"$date": []}}, "$.x: $date needs a string"),
    ({"x": {"$lock": 1}}, "$.x: $lock needs a string"),
    ({"x": {"$lock": "mutex"}}, "$.x: unknown lock kind 'mutex'"),
    ({"x": {"$what": 1}}, "$.x: unknown tag '$what'"),
    ({"x": {"$ref": 3}}, "$.x: reference 3 before its object"),
    ({"x": {"$ref": "1"}}, "$.x: reference '1' before its object"),
    ([{"$id": 1, "$tuple": []}, {"$id": 1, "$tuple": []}], "$[1]: a bad or repeated $id 1"),
    ({"x": {"$id": True, "$tuple": []}}, "$.x: a bad or repeated $id True"),
    ({"x": {"$id": "a", "$set": []}}, "$.x: a bad or repeated $id 'a'"),
    ({"n": 2**63}, "$.n: an integer beyond 64 bits"),
    ({"n": -(2**63) - 1}, "$.n: an integer beyond 64 bits"),
    ({"n": float("inf")}, "$.n: a number that is not finite"),
    ({"n": (1, 2)}, "$.n: a tuple is not a JSON value"),
    ({"f": {"$function": "emulator.resources.customers:Customer.render"}},
     "$.f: 'emulator.resources.customers:Customer.render' is not a function a snapshot may name"),
    ({"f": {"$function": 7}}, "$.f: 7 is not a function a snapshot may name"),
    ({"o": {"$object": "emulator.core.snapshot:saved", "state": {}}},
     "$.o: 'emulator.core.snapshot:saved' is not a class a snapshot may name"),
    ({"o": {"$object": "emulator.core.store:Table", "state": []}},
     "$.o: the state of a emulator.core.store:Table is not a plain object"),
    ({"o": {"$object": "emulator.core.store:Table", "state": {"$x": 1}}},
     "$.o: the state of a emulator.core.store:Table is not a plain object"),
    ({"p": {"$partial": 1}}, "$.p: a partial of something that is not a registered function"),
    ({"p": {"$partial": {"$function": "emulator.resources.payments.connect:_as_rendered"}, "keywords": [1]}},
     "$.p: a partial's keywords must be an object"),
    ({"m": {"$method": 5, "self": {"x": 1}}}, "$.m: method 5 is not a registered method of a dict"),
    ({"m": {"$method": "render", "self": {"x": 1}}}, "$.m: method 'render' is not a registered method of a dict"),
])
def test_snapshot_decoding_refuses_a_malformed_document_saying_exactly_where_and_why(document: Any,
                                                                                      message: str) -> None:
    with pytest.raises(SnapshotError) as raised:
        decode(document)
    assert str(raised.value) == message


def test_snapshot_depth_is_counted_through_every_container() -> None:
    def nested(levels: int, wrap: Any) -> Any:
        value: Any = 1
        for _ in range(levels):
            value = wrap(value)
        return value

    wrappers = [lambda v: [v], lambda v: {"k": v}, lambda v: {"$tuple": [v]},
                lambda v: {"$frozenset": [v]}, lambda v: {"$deque": [v]}, lambda v: {"$dict": [["k", v]]},
                lambda v: {"$wrap": v}]
    for wrap in wrappers:
        decode(nested(48, wrap))  # each container is one level; 48 are allowed
        with pytest.raises(SnapshotError, match="nested deeper than 48 levels"):
            decode(nested(49, wrap))

    def key(levels: int) -> Any:  # a $dict's key is one level below the $dict
        return {"$dict": [[nested(levels, lambda v: {"$tuple": [v]}), 1]]}

    decode(key(47))
    with pytest.raises(SnapshotError, match="nested deeper than 48 levels"):
        decode(key(48))


def test_snapshot_decoding_keeps_a_plain_objects_id_out_of_its_keys_and_resolves_its_references() -> None:
    document = [{"$id": 1, "a": 1}, {"$ref": 1}, {"$id": 2, "$wrap": [1, 2]}, {"$ref": 2}]
    plain, same, wrapped, again = decode(document)
    assert plain == {"a": 1} and same is plain and wrapped == [1, 2] and again is wrapped
    queue = decode({"$deque": [1, 2, 3], "maxlen": 2})
    assert list(queue) == [2, 3] and queue.maxlen == 2
    assert decode({"$deque": [], "maxlen": 0}).maxlen == 0
    assert decode({"$deque": [1]}).maxlen is None
    assert decode({"$id": 5, "$set": [1]}) == {1} and decode({"$frozenset": [1]}) == frozenset({1})
    assert decode({"$dict": [[{"$tuple": [1, 2]}, "pair"]]}) == {(1, 2): "pair"}
    assert type(decode({"$lock": "rlock"})) is type(threading.RLock())
    assert type(decode({"$lock": "lock"})) is type(threading.Lock())
    assert decode({"$bytes": "AP8="}) == b"\x00\xff" and decode({"$date": "2026-12-03"}) == datetime.date(2026, 12, 3)


def test_only_module_level_emulator_code_can_be_registered() -> None:
    def probe() -> None:
        pass

    with pytest.raises(ValueError) as outside:
        snapshot.saved(probe)
    assert str(outside.value) == (f"tests.emulator.core.test_snapshot:{probe.__qualname__} cannot be saved: only "
                                  "module-level emulator classes and functions")
    probe.__module__ = "emulator.probe"
    with pytest.raises(ValueError, match="cannot be saved"):
        snapshot.saved(probe)  # still nested ("<locals>" in its name)
    probe.__qualname__ = "probe"
    probe.__module__ = "emulatorish"
    with pytest.raises(ValueError, match="cannot be saved"):
        snapshot.saved(probe)  # a package whose name only starts like the emulator's
    probe.__module__ = "emulator.probe"
    try:
        assert snapshot.saved(probe) is probe and snapshot.registered("emulator.probe:probe") is probe
        assert decode({"$function": "emulator.probe:probe"}) is probe
    finally:
        snapshot._REGISTRY.pop("emulator.probe:probe", None)
    assert snapshot.registered("emulator.probe:probe") is None and snapshot.registered(3) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("tagged", [
    {"$dict": [["k", 1]]}, {"$set": [1]}, {"$tuple": [1]}, {"$frozenset": [1]}, {"$deque": [1]},
    {"$bytes": "AA=="}, {"$date": "2026-12-03"}, {"$version": "2026-09-30.preview"}, {"$lock": "lock"},
    {"$partial": {"$function": "emulator.resources.payments.connect:_as_rendered"}, "args": [{"id": "ba_1"}]},
])
def test_snapshot_references_resolve_to_the_same_object_for_every_tag(tagged: dict[str, Any]) -> None:
    first, again = decode([{"$id": 7, **tagged}, {"$ref": 7}])
    assert again is first


def test_snapshot_partials_without_keywords_and_malformed_values() -> None:
    rebuilt = decode({"$partial": {"$function": "emulator.resources.payments.connect:_as_rendered"},
                      "args": [{"id": "ba_1"}]})
    assert rebuilt(parse("2026-09-30.preview")) == {"id": "ba_1"}
    with pytest.raises(SnapshotError) as info:
        decode({"$bytes": "not base64!"})
    assert str(info.value).startswith("malformed value (Error: ")


def test_a_table_saved_before_positions_were_filled_in_lazily_still_loads() -> None:
    made: Table[int] = Table()
    for number, object_id in enumerate("abc"):
        made.put(object_id, number)
    made.position("a")
    document = json.loads(json.dumps(encode(made)))
    del document["state"]["_indexed"]  # what a snapshot of an earlier release holds: every position, no count
    restored = decode(document)
    assert isinstance(restored, Table) and restored._indexed == 0
    assert restored.position("c") == 2 and list(restored.newest_first()) == [2, 1, 0]
    document["state"]["_indexed"] = "3"  # a count that is not a number is still refused
    with pytest.raises(SnapshotError):
        decode(document)
