"""Webhooks end to end: a running emulator delivers signed events to a loopback receiver; the source document's
handler (§2) verifies them with the real SDK."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from harness.control import ControlClient
from harness.pytest_plugin import RunningEmulator
from tests.contract.test_sdk_relink import GA, PREVIEW, World, handle_deactivated
from tests.receiver import Behaviour, Receiver

pytestmark = pytest.mark.sdk


DOCUMENTED_DELAYS = [60, 5 * 60, 30 * 60, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600, 24 * 3600, 24 * 3600]
"""The README's retry schedule, stated here, not imported: 1 min, 5 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h, 24 h,
24 h between the 11 attempts."""


@pytest.fixture
def world(stripe_emulator: RunningEmulator, stripe_api_key: str) -> World:
    return World(stripe_emulator.url, stripe_api_key)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def endpoint(world: World, url: str, version: str | None = PREVIEW, events: list[str] | None = None) -> Any:
    params: dict[str, Any] = {"url": url, "enabled_events": events or ["financial_connections.account.*"]}
    if version is not None:
        params["api_version"] = version
    return world.preview.v1.webhook_endpoints.create(params=params)  # type: ignore[arg-type]


def deactivated_account(world: World) -> Any:
    account = world.link(world.customer(), accounts=["Sample Checking Account"])[0]
    world.deactivate(account)
    return account


def test_webhooks_source_document_handler_verifies_and_handles(world: World, receiver: Receiver,
                                                                stripe_control: ControlClient) -> None:
    hook = endpoint(world, receiver.url)
    assert hook.secret.startswith("whsec_")
    account = deactivated_account(world)
    stripe_control.flush_webhooks()
    received = [r for r in receiver.wait_for(2) if '"financial_connections.account.deactivated"' in r.body]
    assert len(received) == 1
    delivery = received[0]
    signature = delivery.headers["Stripe-Signature"]
    assert signature.startswith("t=") and ",v1=" in signature
    event = world.preview.construct_event(delivery.body, signature, hook.secret)
    assert event.type == "financial_connections.account.deactivated" and event.data.object.id == account.id
    legacy = stripe.Webhook.construct_event(delivery.body, signature, hook.secret)
    assert handle_deactivated(json.loads(str(legacy))) == "prompt_user_to_relink"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body.replace(account.id, "fca_tampered"), signature, hook.secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(delivery.body, signature, "whsec_wrong")
    assert delivery.headers["Content-Type"].startswith("application/json")
    assert world.preview.v1.events.retrieve(event.id).pending_webhooks == 0


def test_webhooks_ga_pinned_endpoint_gets_no_inactive_details(world: World, receiver: Receiver,
                                                             stripe_control: ControlClient) -> None:
    hook = endpoint(world, receiver.url, version=GA, events=["financial_connections.account.deactivated"])
    deactivated_account(world)
    stripe_control.flush_webhooks()
    (delivery,) = receiver.wait_for(1)
    event = stripe.Webhook.construct_event(delivery.body, delivery.headers["Stripe-Signature"], hook.secret)
    assert event.api_version == GA
    payload = json.loads(delivery.body)
    assert payload["data"]["object"]["status"] == "inactive"
    assert "inactive" not in payload["data"]["object"].get("status_details", {})
    assert "authorization" not in payload["data"]["object"]
    assert handle_deactivated(payload) == "check_event_destination_api_version"


def test_webhooks_flaky_endpoint_gets_everything_after_retries(world: World, stripe_control: ControlClient) -> None:
    stripe_control.freeze()
    with Receiver(Behaviour(fail_first=2)) as flaky:
        endpoint(world, flaky.url, events=["customer.created"])
        customer = world.preview.v1.customers.create(params={"name": "retry me"})
        assert stripe_control.flush_webhooks()["pending"] == 1
        first = stripe_control.deliveries()
        assert [(a["attempt"], a["status_code"], a["succeeded"]) for a in first] == [(1, 500, False)]
        assert first[0]["next_retry_at"] == stripe_control.clock().now + DOCUMENTED_DELAYS[0]
        assert first[0]["response_excerpt"] == '{"error": "flaky"}'
        assert stripe_control.flush_webhooks()["attempted"] == 0  # not due yet: the clock is frozen
        stripe_control.advance(DOCUMENTED_DELAYS[0])
        stripe_control.flush_webhooks()
        stripe_control.advance(DOCUMENTED_DELAYS[1])
        summary = stripe_control.flush_webhooks()
        assert summary["succeeded"] == 1 and summary["pending"] == 0
        attempts = stripe_control.deliveries()
        assert [(a["attempt"], a["status_code"]) for a in reversed(attempts)] == [(1, 500), (2, 500), (3, 200)]
        bodies = [json.loads(r.body)["data"]["object"]["id"] for r in flaky.received]
        assert bodies == [customer.id] * 3
    assert stripe_control.wait_for_delivery("customer.created")["attempt"] == 3


def test_webhooks_give_up_after_the_last_retry(world: World, stripe_control: ControlClient) -> None:
    stripe_control.freeze()
    with Receiver(Behaviour(status=410)) as gone:
        endpoint(world, gone.url, events=["customer.created"])
        world.preview.v1.customers.create(params={"name": "nobody home"})
        stripe_control.flush_webhooks()
        for number, delay in enumerate(DOCUMENTED_DELAYS, start=1):
            attempt = stripe_control.deliveries()[0]
            assert attempt["attempt"] == number and attempt["next_retry_at"] == stripe_control.clock().now + delay
            stripe_control.advance(delay - 1)
            assert stripe_control.flush_webhooks()["attempted"] == 0  # a second early: not yet
            stripe_control.advance(1)
            stripe_control.flush_webhooks()
        summary = stripe_control.flush_webhooks()
        assert summary["failed"] == 1 and summary["pending"] == 0
        assert len(gone.received) == 11  # README: 11 attempts over about three days
        assert stripe_control.deliveries()[0]["next_retry_at"] is None


def test_webhooks_hanging_endpoint_does_not_slow_the_api(world: World, stripe_control: ControlClient) -> None:
    with Receiver(Behaviour(hang=True)) as hanging, Receiver() as healthy:
        endpoint(world, hanging.url, events=["customer.created"])
        endpoint(world, healthy.url, events=["customer.created"])
        world.preview.v1.customers.create(params={"name": "first"})
        assert hanging.wait_for(1, timeout=10)  # the delivery is now stuck inside the receiver
        started = time.perf_counter()
        for index in range(5):
            world.preview.v1.customers.create(params={"name": f"while hanging {index}"})
        elapsed = time.perf_counter() - started
        # a call that waited on the hanging delivery would take the webhook timeout (10 s) at least: half of that
        # for all five separates the two on any machine
        assert elapsed < 5.0, f"5 API calls took {elapsed:.2f}s while a webhook endpoint hangs"
        assert len(healthy.wait_for(6, timeout=10)) == 6  # the other endpoint is not held up
        hanging.behaviour.release.set()


def test_webhooks_wait_for_event_and_delivery(world: World, receiver: Receiver,
                                              stripe_control: ControlClient) -> None:
    endpoint(world, receiver.url, events=["*"])
    customer = world.preview.v1.customers.create(params={"name": "waited for"})
    event = stripe_control.wait_for_event("customer.created")
    assert event["data"]["object"]["id"] == customer.id
    attempt = stripe_control.wait_for_delivery("customer.*")
    assert attempt["succeeded"] is True and attempt["event"] == event["id"]
    with pytest.raises(TimeoutError):
        stripe_control.wait_for_event("customer.deleted", timeout=1)


def test_webhook_endpoints_crud(world: World) -> None:
    created = endpoint(world, "http://localhost:9/hooks", version=None, events=["*"])
    assert created.secret.startswith("whsec_") and created.status == "enabled" and created.api_version is None
    fetched = world.preview.v1.webhook_endpoints.retrieve(created.id)
    assert "secret" not in fetched
    disabled = world.preview.v1.webhook_endpoints.update(created.id, params={"disabled": True,
                                                                             "description": "paused"})
    assert disabled.status == "disabled" and disabled.description == "paused"
    assert [e.id for e in world.preview.v1.webhook_endpoints.list().data] == [created.id]
    assert world.preview.v1.webhook_endpoints.delete(created.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as bad_url:
        endpoint(world, "ftp://example.com", events=["*"])
    assert (bad_url.value.code, bad_url.value.param) == ("url_invalid", "url")
    with pytest.raises(stripe.InvalidRequestError) as bad_version:
        endpoint(world, "http://127.0.0.1:9", version="someday", events=["*"])
    assert "Invalid Stripe API version" in str(bad_version.value)
    with pytest.raises(stripe.InvalidRequestError) as missing:
        world.preview.v1.webhook_endpoints.create(params={"url": "http://127.0.0.1:9"})  # type: ignore[typeddict-item]
    assert missing.value.param == "enabled_events"


def test_webhooks_disabled_endpoint_gets_nothing(world: World, receiver: Receiver,
                                                 stripe_control: ControlClient) -> None:
    hook = endpoint(world, receiver.url, events=["customer.created"])
    world.preview.v1.webhook_endpoints.update(hook.id, params={"disabled": True})
    world.preview.v1.customers.create(params={"name": "unheard"})
    assert stripe_control.flush_webhooks()["attempted"] == 0 and receiver.received == []


def test_a_reset_namespace_is_freed_deliveries_and_all(receiver: Receiver) -> None:
    # a suite makes one namespace per test: a reset must drop it, also once its webhooks were delivered
    import gc
    import weakref

    from emulator.http.app import create_app
    from emulator.settings import Settings
    from harness.asgi import AsgiCaller

    caller = AsgiCaller(create_app(Settings(seed=3)))
    headers = {"Authorization": "Bearer sk_test_freed"}
    try:
        made = caller.request("POST", "/v1/webhook_endpoints", headers=headers,
                              data={"url": receiver.url, "enabled_events[]": "*"})
        assert made.status == 200, made.body
        caller.request("POST", "/v1/customers", headers=headers, data={"name": "Jenny"})
        flushed = caller.request("POST", "/_emulator/webhooks/flush", headers=headers, data={"timeout": "10"})
        assert flushed.json()["succeeded"] == 1
        namespace = caller.app.state.emulator.backends.peek("freed")
        assert namespace is not None
        gone = weakref.ref(namespace)
        del namespace
        caller.request("POST", "/_emulator/reset", headers=headers)
        gc.collect()
        assert gone() is None, [type(r).__name__ for r in gc.get_referrers(gone())]
    finally:
        caller.close()


def test_an_empty_namespace_costs_little_memory() -> None:
    # a suite makes one namespace per test (issue 18: an empty one cost about 12 KB): its parts are made on first use
    import gc
    import tracemalloc

    from emulator.http.app import create_app
    from emulator.settings import Settings

    backends = create_app(Settings(seed=1)).state.emulator.backends
    backends.get("warm-up")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        made = [backends.get(f"empty{index}") for index in range(500)]
        gc.collect()
        grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert len(made) == 500 and grown / 500 < 4096, f"{grown / 500:.0f} bytes per empty namespace"
