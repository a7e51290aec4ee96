from __future__ import annotations

import httpx
import pytest


def test_shop_refuses_unsigned_webhooks(shop_url: str) -> None:
    response = httpx.post(f"{shop_url}/webhooks/stripe", content=b'{"id": "evt_1"}', headers={"Stripe-Signature": ""})
    assert response.status_code == 400


@pytest.mark.stripe_scenario("builtin:payouts-token")
def test_shop_payouts_with_the_marker() -> None:
    """The marker plays a built-in scenario against this test's relink_client (the shop)."""


def test_shop_relink_with_the_fixture(stripe_scenario) -> None:  # type: ignore[no-untyped-def]
    stripe_scenario("builtin:sibling-reactivation")
