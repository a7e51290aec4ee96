"""Money moving, through the real stripe SDK against a real emulator server: ACH debits (PaymentIntents), their
charges and refunds, returns that block a bank account, the next-debit test helper, a customer's default payment
method, connected accounts and payouts — the objects a relink exists to keep working (issue 17; facts §3, §5;
https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment "Test")."""

from __future__ import annotations

from typing import Any

import pytest
import stripe

from harness.pytest_plugin import RunningEmulator
from tests.contract.test_sdk_payments import MANDATE, events, fc_data
from tests.contract.test_sdk_relink import World

pytestmark = pytest.mark.sdk

SETTLES = 3 * 60  # README: a debit and a refund settle three minutes of namespace clock later
DAY = 24 * 60 * 60


@pytest.fixture
def world(stripe_emulator: RunningEmulator, stripe_api_key: str) -> World:
    made = World(stripe_emulator.url, stripe_api_key)
    made.raw("post", "/_emulator/clock", freeze="true")
    return made


def debit(client: stripe.StripeClient, customer: str, payment_method: str, amount: int = 1099) -> Any:
    return client.v1.payment_intents.create(params={
        "amount": amount, "currency": "usd", "customer": customer, "payment_method": payment_method,
        "confirm": True, "mandate_data": MANDATE})  # type: ignore[typeddict-item]


def test_a_debit_processes_settles_and_is_refunded(world: World) -> None:
    client = world.ga
    customer = world.customer()
    intent = debit(client, customer.id, "pm_usBankAccount_success", 2500)
    assert intent.status == "processing" and intent.amount_received == 0
    assert intent.payment_method.startswith("pm_") and intent.latest_charge.startswith("ch_")
    world.advance(SETTLES)
    settled = client.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge", "customer"]})
    assert settled.status == "succeeded" and settled.amount_received == 2500
    assert settled.latest_charge.status == "succeeded" and settled.latest_charge.paid is True
    assert settled.customer.id == customer.id
    details = settled.latest_charge.payment_method_details.us_bank_account
    assert (details.last4, details.routing_number) == ("6789", "110000000")  # Stripe's 000123456789
    listed = client.v1.charges.list(params={"payment_intent": intent.id})
    assert [c.id for c in listed.data] == [intent.latest_charge]
    assert [p.id for p in client.v1.payment_intents.list(params={"customer": customer.id}).data] == [intent.id]
    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1000})
    assert (refund.status, refund.amount, refund.charge) == ("pending", 1000, intent.latest_charge)
    world.advance(SETTLES)
    assert client.v1.refunds.retrieve(refund.id).status == "succeeded"
    charge = client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (1000, False)
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        client.v1.refunds.create(params={"charge": charge.id, "amount": 2000})
    assert too_much.value.code == "amount_too_large"


def test_a_return_blocks_the_bank_account_and_the_next_confirmation_carries_the_intent(world: World) -> None:
    client = world.ga
    customer = world.customer()
    intent = debit(client, customer.id, "pm_usBankAccount_accountClosed")
    world.advance(SETTLES)
    failed = client.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method" and failed.last_payment_error.code == "account_closed"
    blocked = client.v1.payment_methods.retrieve(intent.payment_method).us_bank_account.status_details.blocked
    assert (blocked.network_code, blocked.reason) == ("R02", "bank_account_closed")
    with pytest.raises(stripe.InvalidRequestError) as refused:
        debit(client, customer.id, intent.payment_method)
    assert (refused.value.code, refused.value.param) == ("payment_method_bank_account_blocked", "payment_method")
    error = refused.value.error
    assert error is not None and error.payment_intent is not None  # the SDK's ErrorObject carries the intent
    assert error.payment_intent.status == "requires_payment_method"
    assert error.payment_intent.last_payment_error.code == "payment_method_bank_account_blocked"
    assert len(events(world, "charge.failed")) == 1 and len(events(world, "payment_intent.payment_failed")) == 2


def test_the_bank_fails_a_financial_connections_debit_and_the_customer_keeps_a_default(world: World) -> None:
    client = world.ga
    customer = world.customer()
    account = world.link(customer)[0]
    setup = client.v1.setup_intents.create(params={"customer": customer.id, "confirm": True,
                                                   "payment_method_data": fc_data(account.id),
                                                   "mandate_data": MANDATE})  # type: ignore[typeddict-item]
    updated = client.v1.customers.update(customer.id, params={
        "invoice_settings": {"default_payment_method": setup.payment_method}})
    assert updated.invoice_settings.default_payment_method == setup.payment_method
    told = world.raw("post", f"/v1/test_helpers/payment_methods/{setup.payment_method}/next_debit",
                     outcome="debit_not_authorized")
    assert told.id == setup.payment_method
    off_session = client.v1.payment_intents.create(params={
        "amount": 4000, "currency": "usd", "customer": customer.id, "payment_method": setup.payment_method,
        "off_session": True, "confirm": True})
    assert off_session.status == "processing"  # under the SetupIntent's mandate
    world.advance(SETTLES)
    failed = client.v1.payment_intents.retrieve(off_session.id)
    assert failed.last_payment_error.code == "debit_not_authorized"
    mandate = world.raw("get", f"/v1/mandates/{setup.mandate}")
    assert mandate.status == "inactive"  # the block made it inactive
    expanded = client.v1.customers.retrieve(customer.id,
                                            params={"expand": ["invoice_settings.default_payment_method"]})
    assert expanded.invoice_settings.default_payment_method.id == setup.payment_method


def test_a_connected_account_is_paid_out_and_a_pending_payout_canceled(world: World) -> None:
    client = world.ga
    connected = client.v1.accounts.create(params={
        "type": "custom", "country": "US", "email": "seller@example.com", "business_type": "individual",
        "capabilities": {"transfers": {"requested": True}},
        "external_account": {"object": "bank_account", "country": "US", "currency": "usd",  # type: ignore[typeddict-item]
                             "routing_number": "110000000", "account_number": "000123456789"}})
    assert connected.capabilities.transfers == "active"
    as_connected: Any = {"stripe_account": connected.id}
    before = client.v1.balance.retrieve(options=as_connected).available[0].amount
    payout = client.v1.payouts.create(params={"amount": 5000, "currency": "usd"}, options=as_connected)
    assert payout.status == "pending" and payout.destination.startswith("ba_")
    assert client.v1.balance.retrieve(options=as_connected).available[0].amount == before - 5000
    world.advance(DAY)
    assert client.v1.payouts.retrieve(payout.id, options=as_connected).status == "paid"
    second = client.v1.payouts.create(params={"amount": 700, "currency": "usd"}, options=as_connected)
    canceled = client.v1.payouts.cancel(second.id, options=as_connected)
    assert canceled.status == "canceled"
    assert client.v1.balance.retrieve(options=as_connected).available[0].amount == before - 5000
    listed = client.v1.payouts.list(params={"status": "paid"}, options=as_connected)
    assert [p.id for p in listed.data] == [payout.id]
    with pytest.raises(stripe.InvalidRequestError) as instant:
        client.v1.payouts.create(params={"amount": 100, "currency": "usd", "method": "instant"}, options=as_connected)
    assert instant.value.code == "instant_payouts_unsupported"
    kinds = [e.type for e in reversed(events(world, "payout.*"))]
    assert kinds == ["payout.created", "payout.updated", "payout.updated", "payout.paid", "payout.created",
                     "payout.updated", "payout.canceled"]
