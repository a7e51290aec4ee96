"""customers, driven through a Backend with no HTTP."""

from __future__ import annotations

import pytest

from emulator.core.backend import Backend, Call
from emulator.core.errors import ResourceMissingError
from emulator.core.spec import UNSET
from emulator.core.versions import parse
from emulator.resources import customers

CALL = Call(version=parse("2026-10-28.endive"), request_id="req_test")


def test_customers_resource_create_assigns_and_emits() -> None:
    backend = Backend("ns", seed=1)
    rendered = customers.create(backend, CALL, {"email": "a@example.com", "metadata": {"k": "v", "gone": UNSET}})
    assert rendered["email"] == "a@example.com" and rendered["metadata"] == {"k": "v"}
    (event,) = list(backend.events.table.values())
    assert event.type == "customer.created" and event.request_id == "req_test"


def test_customers_resource_event_snapshot_does_not_follow_later_changes() -> None:
    backend = Backend("ns", seed=1)
    created = customers.create(backend, CALL, {"name": "before"})
    customers.update(backend, CALL, {"name": "after"}, id=created["id"])
    first = next(iter(backend.events.table.values()))
    assert first.render()["data"]["object"]["name"] == "before"


def test_customers_resource_events_keep_the_metadata_locales_and_invoice_settings_they_saw() -> None:
    # an update replaces `metadata` and `preferred_locales`, a detach edits `invoice_settings` in place: each event
    # shows what was there when it happened
    backend = Backend("ns", seed=1)
    created = customers.create(backend, CALL, {"metadata": {"plan": "free"}, "preferred_locales": ["en"],
                                               "invoice_settings": {"footer": "one"}})
    customers.update(backend, CALL, {"metadata": {"plan": "pro", "seats": "3"}, "preferred_locales": ["fr", "de"],
                                     "invoice_settings": {"footer": "two"}}, id=created["id"])
    customers.update(backend, CALL, {"metadata": UNSET, "preferred_locales": UNSET}, id=created["id"])
    customer = customers.get(backend, created["id"])
    customer.invoice_settings["footer"] = "edited in place"  # as a detach edits it
    shown = [(event.render()["data"]["object"]["metadata"], event.render()["data"]["object"]["preferred_locales"],
              event.render()["data"]["object"]["invoice_settings"]["footer"])
             for event in backend.events.table.values()]
    assert shown == [({"plan": "free"}, ["en"], "one"), ({"plan": "pro", "seats": "3"}, ["fr", "de"], "two"),
                     ({}, [], "two")]


def test_customers_resource_get_names_the_callers_param() -> None:
    backend = Backend("ns")
    with pytest.raises(ResourceMissingError) as info:
        customers.get(backend, "cus_nope", param="account_holder[customer]")
    assert info.value.param == "account_holder[customer]" and info.value.message == "No such customer: 'cus_nope'"


def test_customers_resource_deleted_customer_is_missing_for_other_resources() -> None:
    backend = Backend("ns")
    created = customers.create(backend, CALL, {})
    customers.delete(backend, CALL, {}, id=created["id"])
    with pytest.raises(ResourceMissingError):
        customers.get(backend, created["id"], param="customer")
    assert customers.lookup(backend, created["id"], CALL.version) == {
        "id": created["id"], "object": "customer", "deleted": True
    }

