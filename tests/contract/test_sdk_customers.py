"""The real stripe SDK against a real emulator server (port 0), both client styles."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from harness.pytest_plugin import RunningEmulator
from harness.sdk import client_for

pytestmark = pytest.mark.sdk


def test_sdk_customer_crud_with_stripe_client(stripe_client: stripe.StripeClient) -> None:
    created = stripe_client.v1.customers.create(
        params={"email": "jenny@example.com", "name": "Jenny Rosen", "metadata": {"plan": "pro"},
                "preferred_locales": ["en", "ja"]}
    )
    assert created.id.startswith("cus_") and created.metadata["plan"] == "pro"
    assert created.preferred_locales == ["en", "ja"]
    assert created.last_response is not None and created.last_response.request_id.startswith("req_")
    fetched = stripe_client.v1.customers.retrieve(created.id)
    assert fetched.email == "jenny@example.com"
    updated = stripe_client.v1.customers.update(created.id, params={"name": "J. Rosen", "metadata": {"plan": ""}})
    assert updated.name == "J. Rosen"
    assert updated.last_response is not None and updated.last_response.data["metadata"] == {}
    listed = stripe_client.v1.customers.list(params={"email": "jenny@example.com"})
    assert [c.id for c in listed.data] == [created.id]
    deleted = stripe_client.v1.customers.delete(created.id)
    assert deleted.deleted is True
    assert stripe_client.v1.customers.list().data == []


def test_sdk_auto_paging_walks_every_page(stripe_client: stripe.StripeClient) -> None:
    ids = [stripe_client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(7)]
    seen = [c.id for c in stripe_client.v1.customers.list(params={"limit": 3}).auto_paging_iter()]
    assert seen == ids[::-1]


def test_sdk_resource_missing_raises_invalid_request_error(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.customers.retrieve("cus_doesnotexist")
    error = info.value
    assert error.http_status == 404 and error.code == "resource_missing" and error.param == "id"
    assert error.user_message == "No such customer: 'cus_doesnotexist'"
    assert error.request_id is not None and error.request_id.startswith("req_")


def test_sdk_unknown_param_is_named(stripe_client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe_client.v1.customers.create(params={"nickname": "jr"})  # type: ignore[typeddict-unknown-key]
    assert info.value.code == "parameter_unknown" and info.value.param == "nickname"
    assert "Received unknown parameter: nickname" in str(info.value)


def test_sdk_idempotent_replay_and_mismatch(stripe_client: stripe.StripeClient) -> None:
    first = stripe_client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k-1"})
    again = stripe_client.v1.customers.create(params={"email": "a@example.com"}, options={"idempotency_key": "k-1"})
    assert again.id == first.id
    assert again.last_response is not None and again.last_response.headers["idempotent-replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError) as info:
        stripe_client.v1.customers.create(params={"email": "b@example.com"}, options={"idempotency_key": "k-1"})
    assert "can only be used with the same parameters" in str(info.value)


def test_sdk_two_keys_are_isolated(stripe_emulator: RunningEmulator, stripe_client: stripe.StripeClient) -> None:
    mine = stripe_client.v1.customers.create(params={"name": "mine"})
    other = client_for("sk_test_isolation_other_namespace", stripe_emulator.url)
    with pytest.raises(stripe.InvalidRequestError) as info:
        other.v1.customers.retrieve(mine.id)
    assert (info.value.http_status, info.value.code, info.value.param) == (404, "resource_missing", "id")
    assert all(c.id != mine.id for c in other.v1.customers.list().data)


def test_sdk_live_key_is_refused(stripe_emulator: RunningEmulator) -> None:
    live = client_for("sk_live_" + "51NotARealKeyButLooksLikeOne0000", stripe_emulator.url)
    with pytest.raises(stripe.AuthenticationError) as info:
        live.v1.customers.list()
    assert info.value.http_status == 401 and "sk_live_" + "51NotARealKeyButLooksLikeOne0000" not in str(info.value)


def test_sdk_preview_version_is_sent_and_echoed(stripe_emulator: RunningEmulator, stripe_api_key: str) -> None:
    client = client_for(stripe_api_key, stripe_emulator.url, stripe_version="2026-09-30.preview")
    customer = client.v1.customers.create(params={"name": "p"})
    assert customer.last_response is not None
    assert customer.last_response.headers["stripe-version"] == "2026-09-30.preview"


def test_sdk_raw_request_reaches_the_emulator(stripe_client: stripe.StripeClient) -> None:
    response = stripe_client.raw_request("post", "/v1/customers", email="raw@example.com")
    customer = stripe_client.deserialize(response, api_mode="V1")
    assert customer.email == "raw@example.com"


@pytest.fixture
def legacy(stripe_emulator: RunningEmulator, stripe_api_key: str) -> Iterator[None]:
    """The module-level configuration style, restored afterwards."""
    saved = (stripe.api_key, stripe.api_base, stripe.max_network_retries)
    stripe.api_key, stripe.api_base, stripe.max_network_retries = stripe_api_key, stripe_emulator.url, 0
    try:
        yield
    finally:
        stripe.api_key, stripe.api_base, stripe.max_network_retries = saved


@pytest.mark.usefixtures("legacy")
def test_sdk_legacy_module_level_style() -> None:
    created = stripe.Customer.create(email="legacy@example.com", metadata={"k": "v"})
    assert stripe.Customer.retrieve(created.id).email == "legacy@example.com"
    modified = stripe.Customer.modify(created.id, name="Legacy")
    assert modified.name == "Legacy"
    assert [c.id for c in stripe.Customer.list(limit=5).data] == [created.id]
    with pytest.raises(stripe.InvalidRequestError) as info:
        stripe.Customer.retrieve("cus_missing")
    assert info.value.code == "resource_missing"
    assert stripe.Customer.delete(created.id).deleted is True
