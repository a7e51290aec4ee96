"""The consistency checks a restored table, store, timer heap, request log and idempotency store run (their
`_check_state`), the host-name matcher shared by `--allowed-host` and `--webhook-hosts`, and what an unfinished
idempotent request leaves after a restore."""

from __future__ import annotations

import collections
import functools

import pytest

from emulator.core.conform import Mismatch, check_fields
from emulator.core.errors import IdempotencyKeyInUseError, InvalidRequestError
from emulator.core.idempotency import IdempotencyStore, StoredResponse
from emulator.core.requestlog import LoggedRequest, RequestLog
from emulator.core.store import ROW_TYPES, Store, Table
from emulator.core.timers import Timers
from emulator.core.urls import named

DISAGREE = "$.t: an inconsistent Table (its order, positions and rows disagree)"


def table(*ids: str) -> Table[int]:
    made: Table[int] = Table()
    for number, object_id in enumerate(ids):
        made.put(object_id, number)
    made.position(ids[0])  # the positions filled in (they are on the first lookup)
    return made


def test_a_consistent_table_passes_including_removed_rows() -> None:
    made = table("a", "b", "c")
    made.remove("b")
    check_fields(made, "$.t")
    made.put("d", 3)  # put since the positions were filled in: not indexed yet, and consistent
    check_fields(made, "$.t")


def test_positions_are_filled_in_when_first_asked_for() -> None:
    made: Table[int] = Table()
    for number, object_id in enumerate("abc"):
        made.put(object_id, number)
    assert made._position == {}  # a put does not index
    assert made.position("b") == 1 and made._position == {"a": 0, "b": 1, "c": 2}
    made.put("d", 3)
    made.remove("c")  # removing indexes what was put since, then frees the slot
    assert made.position("d") == 3 and made.position("c") is None and made.position("nope") is None
    made.put("c", 4)  # back, at the end of the creation order
    assert made.position("c") == 4
    assert list(made.newest_first()) == [4, 3, 1, 0]
    assert list(made.oldest_first(made.position("b") or 0)) == [3, 4]


@pytest.mark.parametrize("break_it", [
    lambda t: t._position.pop("a"),  # a row without a position
    lambda t: t._position.__setitem__("a", 5),  # a position past the order
    lambda t: t._position.__setitem__("a", 2),  # the order names another row there
    lambda t: t._order.append("ghost"),  # the order names a row that does not exist
    lambda t: t._position.__setitem__("a", len(t._order)),  # exactly one past the end
    lambda t: setattr(t, "_indexed", 4),  # more of the order indexed than there is
    lambda t: setattr(t, "_indexed", -1),
    lambda t: (t._position.pop("c"), t._order.append("c")),  # an id twice in the order
])
def test_a_table_whose_order_positions_and_rows_disagree_is_refused(break_it: object) -> None:
    made = table("a", "b", "c")
    break_it(made)  # type: ignore[operator]
    with pytest.raises(Mismatch) as info:
        check_fields(made, "$.t")
    assert str(info.value) == DISAGREE


def test_a_store_names_only_declared_tables_with_their_row_types() -> None:
    store = Store()
    ROW_TYPES.setdefault("_probe_rows", int)
    try:
        store.table("_probe_rows").put("a", 1)
        check_fields(store, "$.store")
        store.table("_probe_rows").put("b", "two")  # type: ignore[arg-type]
        with pytest.raises(Mismatch) as typed:
            check_fields(store, "$.store")
        assert str(typed.value) == "$.store: an inconsistent Store (_probe_rows['b'] is a str, not a int)"
        store.table("_nobody_declared").put("x", 1)
        store.table("_probe_rows").remove("b")
        with pytest.raises(Mismatch) as unknown:
            check_fields(store, "$.store")
        assert str(unknown.value) == "$.store: an inconsistent Store (no table is named '_nobody_declared')"
    finally:
        ROW_TYPES.pop("_probe_rows", None)


def test_restored_timers_become_a_heap_again_and_their_counter_is_past_every_entry() -> None:
    timers = Timers()
    ran: list[str] = []
    for label, due in (("late", 30.0), ("early", 10.0), ("middle", 20.0)):
        timers.at(due, functools.partial(lambda name, _: ran.append(name), label), label)
    timers._heap.reverse()  # what a document could say: not in heap order
    check_fields(timers, "$.timers")
    assert timers.run_due(100.0) == 3 and ran == ["early", "middle", "late"]
    timers.at(1.0, lambda _: None, "x")
    timers._seq = 0
    with pytest.raises(Mismatch) as info:
        check_fields(timers, "$.timers")
    assert str(info.value) == "$.timers: an inconsistent Timers (an entry's sequence is past the counter)"
    timers._seq = timers._heap[0].seq
    check_fields(timers, "$.timers")  # equal to the counter is fine: the next one gets the one after


def test_a_request_log_may_keep_at_most_a_thousand_entries() -> None:
    log = RequestLog()
    check_fields(log, "$.log")
    log._entries = collections.deque(maxlen=1000)
    check_fields(log, "$.log")
    for maxlen in (1001, None):
        log._entries = collections.deque(maxlen=maxlen)
        with pytest.raises(Mismatch) as info:
            check_fields(log, "$.log")
        assert str(info.value) == "$.log: an inconsistent RequestLog (it may keep at most 1000 entries)"


def test_a_restore_forgets_only_the_keys_whose_request_had_not_finished() -> None:
    store = IdempotencyStore()
    done = StoredResponse(200, b"{}", "req_1", "2026-10-28.endive")
    assert store.begin("finished", "fp", 0.0) is None
    store.finish("finished", done)
    assert store.begin("running", "fp", 0.0) is None
    store.forget_unfinished()
    assert store.begin("finished", "fp", 1.0) == done  # still replayed
    assert store.begin("running", "fp", 1.0) is None  # free again: claimed anew


def test_release_frees_a_claimed_key_but_never_a_finished_one() -> None:
    store = IdempotencyStore()
    done = StoredResponse(200, b"{}", "req_1", "2026-10-28.endive")
    store.begin("k", "fp", 0.0)
    store.finish("k", done)
    store.release("k")
    assert store.begin("k", "fp", 1.0) == done
    store.release("never-claimed")  # nothing to do
    store.begin("claimed", "fp", 0.0)
    store.release("claimed")
    assert store.begin("claimed", "other", 1.0) is None  # free: another request may use it


@pytest.mark.parametrize(("host", "names", "wildcard", "expected"), [
    ("hooks.example.com", ("hooks.example.com",), False, True),
    ("HOOKS.Example.com.", ("hooks.example.com",), False, True),  # case and a trailing dot do not matter
    ("hooks.example.com", ("Hooks.Example.COM.",), False, True),
    ("example.com", ("hooks.example.com",), False, False),
    ("a.example.com", (".example.com",), False, True),  # a .domain entry: its subdomains
    ("example.com", (".example.com",), False, True),  # and the domain itself
    ("badexample.com", (".example.com",), False, False),
    (".example.com", ("example.com",), False, False),  # a leading dot on the host is not stripped
    ("[::1]", ("::1",), False, True),  # an IPv6 address with brackets
    ("::1", ("::1",), False, True),
    ("anything.test", ("*",), True, True),
    ("anything.test", ("*",), False, False),  # `*` counts only where wildcards are allowed
    ("anything.test", (), True, False),
])
def test_host_names_match_exactly_or_under_a_domain(host: str, names: tuple[str, ...], wildcard: bool,
                                                     expected: bool) -> None:
    assert named(host, names, wildcard=wildcard) is expected
    if not wildcard:
        assert named(host, names) is expected  # wildcards are off unless asked for


def test_released_keys_do_not_grow_the_expiry_queue_and_the_oldest_live_key_is_evicted_first() -> None:
    store = IdempotencyStore()
    for number in range(25_000):  # a client whose requests all fail validation: each claims and releases a key
        store.begin(f"rejected-{number}", "fp", float(number))
        store.release(f"rejected-{number}")
    assert len(store) == 0 and len(store._expiry) <= 20_001  # compacted, not 25,000 stale entries
    for number in range(10_001):
        store.begin(f"live-{number}", "fp", 30_000.0 + number)
    assert len(store) == 10_000
    with pytest.raises(IdempotencyKeyInUseError):
        store.begin("live-1", "fp", 50_000.0)  # the second oldest is still remembered (and still running)
    assert store.begin("live-0", "other", 50_000.0) is None  # the oldest was forgotten: the key is free again


def test_idempotency_keys_may_have_255_characters() -> None:
    store = IdempotencyStore()
    assert store.begin("k" * 255, "fp", 0.0) is None
    with pytest.raises(InvalidRequestError) as info:
        store.begin("x" * 256, "fp", 0.0)
    assert (info.value.param, info.value.message, info.value.http_status) == (
        "Idempotency-Key", f"Idempotency keys can be at most 255 characters long. Invalid key: {'x' * 40}…", 400)
    assert len(store) == 1


def test_timers_run_what_is_due_at_the_instant_itself_in_scheduling_order() -> None:
    timers = Timers()
    ran: list[tuple[str, float]] = []
    assert timers.next_due() is None and timers.run_due(1e12) == 0
    for label, due in (("b", 20.0), ("a", 10.0), ("c", 20.0)):
        timers.at(due, functools.partial(lambda name, when: ran.append((name, when)), label), label)
    assert timers.next_due() == 10.0 and timers.pending() == [(10.0, "a"), (20.0, "b"), (20.0, "c")]
    assert timers.run_due(9.999) == 0 and ran == []
    seen: list[float | None] = []
    assert timers.run_due(10.0, seen.append) == 1 and ran == [("a", 10.0)]  # due exactly now: runs
    assert seen == [10.0, None]
    assert timers.next_due() == 20.0 and len(timers) == 2
    assert timers.run_due(25.0) == 2 and ran[1:] == [("b", 20.0), ("c", 20.0)]  # ties in the order scheduled
    assert timers.next_due() is None and len(timers) == 0


def test_a_request_log_keeps_requests_as_tuples_and_saves_them_as_logged_requests() -> None:
    log = RequestLog()
    params = {"name": "A", "client_secret": "seti_1_secret_abcd9876"}
    log.record("req_1", "POST", "/v1/customers", params, 200, None, "2026-10-28.endive", 1.5, 1_700_000_000, False)
    assert type(log._entries[0]) is tuple  # type: ignore[index]  # kept as it came
    (read,) = log.newest_first()
    assert read.request_id == "req_1" and read.status == 200
    assert read.to_dict()["params"] == {"name": "A", "client_secret": "****9876"}  # masked when read
    saved = log.saved_copy()
    assert [type(entry) for entry in saved._entries or ()] == [LoggedRequest]
    assert [entry.params for entry in saved._entries or ()] == [  # type: ignore[union-attr]
        {"name": "A", "client_secret": "****9876"}]  # and when saved: no secret in a snapshot
    check_fields(saved, "$.log")  # what a snapshot saves passes the restore checks
    with pytest.raises(Mismatch) as info:
        check_fields(log, "$.log")  # a document holding a bare tuple is refused
    assert str(info.value) == "$.log: an inconsistent RequestLog (its entries must be LoggedRequests)"
