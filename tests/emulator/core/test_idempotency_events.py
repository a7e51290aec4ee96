from __future__ import annotations

import pytest

from emulator.core.backend import Backend, Backends, Call, emit
from emulator.core.errors import IdempotencyError, IdempotencyKeyInUseError, InvalidRequestError
from emulator.core.events import type_matcher
from emulator.core.idempotency import TTL_SECONDS, IdempotencyStore, StoredResponse
from emulator.core.requestlog import mask_key, mask_params
from emulator.core.versions import parse

RESPONSE = StoredResponse(200, b"{}", "req_1", "2026-10-28.endive")


def test_idempotency_first_use_claims_then_replays() -> None:
    store = IdempotencyStore()
    assert store.begin("k", "fp", now=0) is None
    store.finish("k", RESPONSE)
    assert store.begin("k", "fp", now=10) == RESPONSE


def test_idempotency_other_parameters_are_an_idempotency_error() -> None:
    store = IdempotencyStore()
    store.begin("k", "fp", now=0)
    store.finish("k", RESPONSE)
    with pytest.raises(IdempotencyError) as info:
        store.begin("k", "other", now=1)
    assert info.value.type == "idempotency_error" and "'k'" in info.value.message


def test_idempotency_key_in_flight_is_a_409() -> None:
    store = IdempotencyStore()
    store.begin("k", "fp", now=0)
    with pytest.raises(IdempotencyKeyInUseError) as info:
        store.begin("k", "fp", now=0)
    assert (info.value.http_status, info.value.code) == (409, "idempotency_key_in_use")


def test_idempotency_released_key_is_free_again() -> None:
    store = IdempotencyStore()
    store.begin("k", "fp", now=0)
    store.release("k")
    assert store.begin("k", "different", now=0) is None


def test_idempotency_keys_expire_after_24_hours() -> None:
    store = IdempotencyStore()
    store.begin("k", "fp", now=0)
    store.finish("k", RESPONSE)
    assert store.begin("k", "fp", now=TTL_SECONDS - 1) == RESPONSE
    assert store.begin("k", "other", now=TTL_SECONDS) is None
    assert len(store) == 1


def test_idempotency_key_length_is_bounded() -> None:
    with pytest.raises(InvalidRequestError):
        IdempotencyStore().begin("k" * 256, "fp", now=0)


def test_events_record_with_request_and_version() -> None:
    backend = Backend("ns", seed=3)
    call = Call(version=parse("2026-09-30.preview"), request_id="req_x", idempotency_key="idem")
    event = emit(backend, call, "customer.updated", lambda v: {"object": "customer", "v": str(v)}, {"name": None})
    rendered = event.render()
    assert rendered["id"].startswith("evt_") and rendered["type"] == "customer.updated"
    assert rendered["api_version"] == "2026-09-30.preview"
    assert rendered["data"] == {"object": {"object": "customer", "v": "2026-09-30.preview"},
                                "previous_attributes": {"name": None}}
    assert rendered["request"] == {"id": "req_x", "idempotency_key": "idem"}
    assert rendered["pending_webhooks"] == 0 and rendered["livemode"] is False
    # the same event can be shown in another version (webhook endpoints pin one)
    assert event.render(parse("2026-10-28.endive"))["data"]["object"]["v"] == "2026-10-28.endive"


def test_events_listeners_see_each_event() -> None:
    backend = Backend("ns")
    seen: list[str] = []
    backend.events.subscribe(lambda event: seen.append(event.type))
    emit(backend, Call(parse("2026-10-28.endive")), "customer.created", lambda v: {})
    assert seen == ["customer.created"]


def test_events_type_matcher_wildcards() -> None:
    assert type_matcher("customer.*")("customer.created")
    assert not type_matcher("customer.*")("customer")
    assert type_matcher("*")("anything")
    assert type_matcher("customer.created")("customer.created")
    assert not type_matcher("customer.created")("customer.updated")


def test_backends_are_lazy_isolated_and_reset_in_one_call() -> None:
    backends = Backends(seed=1)
    a = backends.get("a")
    assert backends.get("a") is a and backends.get("b") is not a
    a.store.table("customers").put("cus_1", object())
    backends.reset("a")
    assert backends.get("a") is not a and backends.get("a").store.counts() == {}
    assert backends.reset_all() == 2 and backends.namespaces() == []


def test_backends_seed_gives_identical_ids_after_reset() -> None:
    backends = Backends(seed=9)
    first = backends.get("a").ids.new("cus")
    backends.reset("a")
    assert backends.get("a").ids.new("cus") == first


def test_requestlog_masks_secrets() -> None:
    assert mask_key("sk_test_abcdef1234") == "sk_test_****1234"
    masked = mask_params({"client_secret": "fcsess_client_secret_abcd1234", "nested": {"k": "sk_live_" + "zzzzzzz9876"},
                          "items": ["whsec_abcdefgh"]})
    assert masked == {"client_secret": "****1234", "nested": {"k": "sk_live_****9876"}, "items": ["whsec_****efgh"]}


def test_events_caused_by_a_timer_carry_the_instant_it_was_due() -> None:
    """A scheduled deactivation happens at its date, not when the next request (or the worker) notices: so two
    copies of a world moved through the same date agree on `created`, whenever each one ticked."""
    backend = Backend("ns", seed=1)
    backend.clock.freeze()
    start = backend.clock.now()
    backend.timers.at(start + 100, lambda due: emit(backend, backend.automatic(), "x.first", lambda v: {}))
    backend.timers.at(start + 250, lambda due: emit(backend, backend.automatic(), "x.second", lambda v: {}))
    backend.clock.advance(86_400)
    assert backend.tick() == 2
    request = emit(backend, Call(version=parse("2026-10-28.endive")), "x.by_request", lambda v: {})
    created = {event.type: event.created for event in backend.events.table.values()}
    assert created == {"x.first": int(start + 100), "x.second": int(start + 250), "x.by_request": int(start) + 86_400}
    assert request.created == backend.clock.timestamp() and backend.happening is None


def test_events_carrying_an_unchanged_object_share_one_frozen_copy_and_keep_what_they_saw() -> None:
    from emulator.resources import customers
    from emulator.resources.financial_connections import accounts, flow, sessions

    backend = Backends(seed=3).get("frozen")
    call = Call(version=parse("2026-09-30.preview"))
    customer = customers.create(backend, call, {"name": "Frozen"})["id"]
    session = sessions.create(backend, call, {"account_holder": {"type": "customer", "customer": customer},
                                              "permissions": ["payment_method"]})["id"]
    flow.complete(backend, call, {"accounts": ["Sample Checking Account"]}, session=session)
    created, updated = [e for e in backend.events.table.values() if e.type.startswith("financial_connections.")]
    assert (created.type, updated.type) == ("financial_connections.account.created",
                                            "financial_connections.session.updated")
    account_id = created.render()["data"]["object"]["id"]
    # the account the session's event lists is the very copy the account's event keeps: one copy, not two
    assert updated.render_object.args[2] == (created.render_object.__self__,)  # type: ignore[attr-defined]
    assert updated.render_object.args[2][0] is created.render_object.__self__  # type: ignore[attr-defined]
    # a change makes a new copy: the earlier events still show the account as it was
    account = accounts.get(backend, account_id)
    account.disconnected = True
    accounts.emit_account(backend, call, "financial_connections.account.disconnected", account)
    assert created.render()["data"]["object"]["status"] == "active"
    assert updated.render()["data"]["object"]["accounts"]["data"][0]["status"] == "active"
    assert list(backend.events.table.values())[-1].render()["data"]["object"]["status"] == "disconnected"
