"""The source document §5 (create a payment method for payments or payouts) and the TAN lifecycle across the objects
that move money (§3: resources made from the account follow a relink of it; §4: not when a new account is picked),
through the real stripe SDK against a real emulator server."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from harness.pytest_plugin import RunningEmulator
from harness.sdk import client_for
from tests.contract.test_sdk_relink import HELPERS, World

pytestmark = pytest.mark.sdk

DOCUMENT_VERSION = "2026-04-22.preview"  # the version the source document's examples use
MANDATE = {"customer_acceptance": {"type": "online", "online": {"ip_address": "203.0.113.7",
                                                                "user_agent": "Mozilla/5.0 (emulator test)"}}}


def plain(obj: Any) -> Any:
    return json.loads(str(obj))


@pytest.fixture
def world(stripe_emulator: RunningEmulator, stripe_api_key: str) -> World:
    return World(stripe_emulator.url, stripe_api_key)


def fc_data(account_id: str, name: str = "Jenny Rosen") -> dict[str, Any]:
    return {"type": "us_bank_account", "us_bank_account": {"financial_connections_account": account_id},
            "billing_details": {"name": name}}


def events(world: World, type: str) -> list[Any]:
    return list(world.preview.v1.events.list(params={"type": type, "limit": 100}).data)


# -- §5, verbatim ---------------------------------------------------------------------------------------------------

def test_payments_flow_of_the_document(world: World, stripe_emulator: RunningEmulator, stripe_api_key: str) -> None:
    client = client_for(stripe_api_key, stripe_emulator.url, stripe_version=DOCUMENT_VERSION)
    customer = world.customer()
    account = world.link(customer)[0]
    setup_intent = client.v1.setup_intents.create(params={  # type: ignore[typeddict-unknown-key]
        "customer": customer.id,
        "payment_method_types": ["us_bank_account"],
        "payment_method_data": fc_data(account.id),
    })
    assert setup_intent.status == "requires_confirmation"
    assert setup_intent.client_secret.startswith(f"{setup_intent.id}_secret_")
    assert setup_intent.payment_method_types == ["us_bank_account"]
    confirmed = client.v1.setup_intents.confirm(setup_intent.id, params={"mandate_data": MANDATE})
    assert confirmed.status == "succeeded" and confirmed.mandate.startswith("mandate_")
    mandate = world.raw("get", f"/v1/mandates/{confirmed.mandate}")
    assert mandate.status == "active" and mandate.type == "multi_use"
    assert mandate.customer_acceptance.online.ip_address == "203.0.113.7"
    pm = client.v1.payment_methods.retrieve(confirmed.payment_method)
    assert pm.customer == customer.id and pm.type == "us_bank_account"
    assert pm.us_bank_account.financial_connections_account == account.id
    assert pm.us_bank_account.last4 == "6789" and pm.billing_details.name == "Jenny Rosen"
    assert [e.type for e in reversed(events(world, "setup_intent.*"))] == ["setup_intent.created",
                                                                           "setup_intent.succeeded"]
    assert len(events(world, "payment_method.attached")) == 1


def test_payouts_flow_of_the_document(world: World, stripe_emulator: RunningEmulator, stripe_api_key: str) -> None:
    client = client_for(stripe_api_key, stripe_emulator.url, stripe_version=DOCUMENT_VERSION)
    customer = world.customer()
    account = world.link(customer)[0]
    setup_intent = client.v1.setup_intents.create(params={  # type: ignore[typeddict-unknown-key]
        "customer": customer.id,
        "flow_directions": ["outbound"],
        "payment_method_types": ["us_bank_account"],
        "payment_method_data": fc_data(account.id),
        "confirm": True,
    })
    assert setup_intent.status == "succeeded" and setup_intent.mandate is None
    token = client.v1.tokens.create(params={"customer": customer.id,  # type: ignore[typeddict-unknown-key]
                                            "bank_account": {"payment_method": setup_intent.payment_method}})
    assert token.id.startswith("btok_") and token.type == "bank_account" and token.used is False
    assert token.bank_account.id.startswith("ba_") and token.bank_account.last4 == "6789"
    assert token.bank_account.status == "new"
    without_customer = pytest.raises(stripe.InvalidRequestError)
    with without_customer as info:
        client.v1.tokens.create(params={"bank_account": {"payment_method": setup_intent.payment_method}})
    assert (info.value.code, info.value.param) == ("parameter_missing", "customer")


def test_current_versions_use_allowed_payment_method_types(world: World) -> None:
    customer = world.customer()
    account = world.link(customer)[0]
    with pytest.raises(stripe.InvalidRequestError) as removed:
        world.ga.v1.setup_intents.create(params={"customer": customer.id,  # type: ignore[typeddict-unknown-key]
                                                 "payment_method_types": ["us_bank_account"]})
    assert (removed.value.code, removed.value.param) == ("payment_method_types_no_longer_supported",
                                                         "payment_method_types")
    created = world.ga.v1.setup_intents.create(params={
        "customer": customer.id, "allowed_payment_method_types": ["us_bank_account"],
        "payment_method_data": fc_data(account.id), "mandate_data": MANDATE, "confirm": True})
    assert created.status == "succeeded"
    assert created.allowed_payment_method_types == ["us_bank_account"]
    assert created.payment_method_types == ["us_bank_account"]  # still shown, read-only


# -- the TAN lifecycle across objects -----------------------------------------------------------------------------

def test_tan_walk_across_payment_methods_tokens_and_external_accounts(world: World) -> None:
    customer = world.customer()
    account = world.link(customer, "Emulator: TAN States", accounts=["TAN Checking"])[0]
    first_last4 = None
    debit = world.preview.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method_data": fc_data(account.id), "mandate_data": MANDATE,
        "confirm": True})
    payout = world.preview.v1.setup_intents.create(params={
        "customer": customer.id, "flow_directions": ["outbound"], "payment_method_data": fc_data(account.id),
        "confirm": True})
    token = world.raw("post", "/v1/tokens", customer=customer.id,
                      bank_account={"payment_method": payout.payment_method})
    connected = world.raw("post", "/v1/accounts", type="custom", country="US")
    external = world.raw("post", f"/v1/accounts/{connected.id}/external_accounts", external_account=token.id)
    pm = world.preview.v1.payment_methods.retrieve(debit.payment_method)
    first_last4 = pm.us_bank_account.last4
    assert pm.us_bank_account.status_details is None and external.status == "new"
    assert external.last4 == first_last4 and external.account == connected.id

    # the bank revokes the TAN: everything made from it is blocked
    world.raw("post", f"{HELPERS}/accounts/{account.id}/account_numbers/deactivate", reason="revoked")
    blocked = world.preview.v1.payment_methods.retrieve(debit.payment_method)
    assert plain(blocked.us_bank_account.status_details) == {
        "blocked": {"network_code": None, "reason": "tokenized_account_number_deactivated"}}
    assert world.raw("get", f"/v1/accounts/{connected.id}/external_accounts/{external.id}").status == \
        "tokenized_account_number_deactivated"
    updated = events(world, "payment_method.automatically_updated")
    assert {e.data.object.id for e in updated} == {debit.payment_method, payout.payment_method}
    assert all(e.data.object.us_bank_account.status_details.blocked.reason == "tokenized_account_number_deactivated"
               for e in updated)
    assert len(events(world, "account.external_account.updated")) == 1
    retry = world.preview.v1.setup_intents.create(params={"customer": customer.id,
                                                          "payment_method": debit.payment_method})
    with pytest.raises(stripe.InvalidRequestError) as info:
        world.preview.v1.setup_intents.confirm(retry.id, params={"mandate_data": MANDATE})
    assert (info.value.code, info.value.param) == ("payment_method_bank_account_blocked", "payment_method")
    failed = world.preview.v1.setup_intents.retrieve(retry.id)
    assert failed.status == "requires_payment_method"
    assert failed.last_setup_error.code == "payment_method_bank_account_blocked"
    assert len(events(world, "setup_intent.setup_failed")) == 1

    # a relink of that same account: everything unblocked, with the new TAN's digits (§3)
    relink = world.session(customer, relink_options={"authorization": account.authorization, "account": account.id})
    assert world.complete(relink).status == "succeeded"
    renewed = world.preview.v1.payment_methods.retrieve(debit.payment_method)
    assert renewed.us_bank_account.status_details is None and renewed.us_bank_account.last4 != first_last4
    refreshed_external = world.raw("get", f"/v1/accounts/{connected.id}/external_accounts/{external.id}")
    assert refreshed_external.status == "new" and refreshed_external.last4 == renewed.us_bank_account.last4
    assert len(events(world, "payment_method.automatically_updated")) == 4
    assert len(events(world, "account.external_account.updated")) == 2
    assert world.preview.v1.setup_intents.confirm(
        world.preview.v1.setup_intents.create(params={"customer": customer.id,
                                                      "payment_method": debit.payment_method}).id,
        params={"mandate_data": MANDATE}).status == "succeeded"

    # a second relink that links a new account: the old objects are untouched (§4)
    any_account = world.session(customer, relink_options={"authorization": account.authorization})
    done = world.complete(any_account, accounts=["TAN Savings (expiring soon)"])
    assert done.status == "succeeded" and done.accounts.data[0].id != account.id
    assert world.preview.v1.payment_methods.retrieve(debit.payment_method).us_bank_account.last4 == \
        renewed.us_bank_account.last4
    assert len(events(world, "payment_method.automatically_updated")) == 4
    assert len(events(world, "account.external_account.updated")) == 2


# -- errors ---------------------------------------------------------------------------------------------------------

FC_PARAM = "payment_method_data[us_bank_account][financial_connections_account]"


def _create_error(world: World, **params: Any) -> stripe.InvalidRequestError:
    with pytest.raises(stripe.InvalidRequestError) as info:
        world.preview.v1.setup_intents.create(params=params)  # type: ignore[arg-type]
    return info.value


def test_setup_intent_errors_with_codes_and_params(world: World) -> None:
    customer = world.customer()
    checking, savings = world.link(customer, accounts=["Sample Checking Account", "Sample Savings Account"])
    world.deactivate(checking, cause="account_closed")
    inactive = _create_error(world, customer=customer.id, payment_method_data=fc_data(checking.id))
    assert (inactive.code, inactive.param) == ("financial_connections_account_inactive", FC_PARAM)
    tans = {a.display_name: a for a in world.link(customer, "Emulator: TAN States")}
    pending = _create_error(world, customer=customer.id, payment_method_data=fc_data(tans["TAN Checking (pending)"].id))
    assert (pending.code, pending.param) == ("financial_connections_account_pending_account_numbers", FC_PARAM)
    revoked = _create_error(world, customer=customer.id, payment_method_data=fc_data(tans["TAN Checking (revoked)"].id))
    assert (revoked.code, revoked.param) == ("financial_connections_account_unavailable_account_numbers", FC_PARAM)
    balances_only = world.session(customer, permissions=["balances"])
    only = world.complete(balances_only, accounts=["Sample Checking Account"]).accounts.data[0]
    no_permission = _create_error(world, customer=customer.id, payment_method_data=fc_data(only.id))
    assert no_permission.param == FC_PARAM and "payment_method" in str(no_permission)
    invalid = world.link(customer, "Invalid Payment Accounts", accounts=["Non-ACH Checking"])[0]
    assert _create_error(world, customer=customer.id, payment_method_data=fc_data(invalid.id)).param == FC_PARAM
    other = world.customer()
    mismatch = _create_error(world, customer=other.id, payment_method_data=fc_data(savings.id))
    assert mismatch.param == "customer"
    unknown_account = _create_error(world, customer=customer.id, payment_method_data=fc_data("fca_nope"))
    assert (unknown_account.code, unknown_account.param) == ("resource_missing", FC_PARAM)
    unknown_customer = _create_error(world, customer="cus_nope")
    assert (unknown_customer.code, unknown_customer.param) == ("resource_missing", "customer")
    unknown_pm = _create_error(world, customer=customer.id, payment_method="pm_nope")
    assert (unknown_pm.code, unknown_pm.param) == ("resource_missing", "payment_method")
    no_mandate = _create_error(world, customer=customer.id, payment_method_data=fc_data(savings.id), confirm=True)
    assert (no_mandate.code, no_mandate.param) == ("parameter_missing", "mandate_data")
    assert world.preview.v1.setup_intents.list().data == []  # none of the refused requests created anything
    assert world.preview.v1.payment_methods.list().data == []


def test_microdeposits_for_manual_bank_details(world: World) -> None:
    customer = world.customer()
    manual = {"type": "us_bank_account", "billing_details": {"name": "Jenny Rosen"},
              "us_bank_account": {"account_number": "000123456789", "routing_number": "110000000",
                                  "account_holder_type": "individual"}}
    created = world.preview.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method_data": manual, "mandate_data": MANDATE, "confirm": True,
        "payment_method_options": {"us_bank_account": {"verification_method": "microdeposits"}}})
    assert created.status == "requires_action"
    assert created.next_action.type == "verify_with_microdeposits"
    assert created.next_action.verify_with_microdeposits.microdeposit_type == "amounts"
    with pytest.raises(stripe.InvalidRequestError) as wrong:
        world.preview.v1.setup_intents.verify_microdeposits(created.id, params={"amounts": [12, 13]})
    assert wrong.value.code == "payment_method_microdeposit_verification_amounts_mismatch"
    with pytest.raises(stripe.InvalidRequestError) as code:
        world.preview.v1.setup_intents.verify_microdeposits(created.id, params={"descriptor_code": "SMXXXX"})
    assert code.value.code == "payment_method_microdeposit_verification_descriptor_code_mismatch"
    verified = world.preview.v1.setup_intents.verify_microdeposits(created.id, params={"amounts": [32, 45]})
    assert verified.status == "succeeded" and verified.mandate is not None
    assert world.preview.v1.payment_methods.retrieve(verified.payment_method).us_bank_account.last4 == "6789"
    assert len(events(world, "setup_intent.requires_action")) == 1


def test_setup_intent_cancel_update_list_and_customer_payment_methods(world: World) -> None:
    customer = world.customer()
    account = world.link(customer)[0]
    si = world.preview.v1.setup_intents.create(params={"customer": customer.id, "metadata": {"order": "1"}})
    assert si.status == "requires_payment_method"
    si = world.preview.v1.setup_intents.update(si.id, params={"payment_method_data": fc_data(account.id),
                                                              "description": "relinked bank"})
    assert si.status == "requires_confirmation" and si.description == "relinked bank"
    canceled = world.preview.v1.setup_intents.cancel(si.id, params={"cancellation_reason": "abandoned"})
    assert canceled.status == "canceled" and canceled.cancellation_reason == "abandoned"
    with pytest.raises(stripe.InvalidRequestError) as again:
        world.preview.v1.setup_intents.confirm(si.id, params={"mandate_data": MANDATE})
    assert again.value.code == "setup_intent_unexpected_state"
    assert [s.id for s in world.preview.v1.setup_intents.list(params={"customer": customer.id}).data] == [si.id]
    done = world.preview.v1.setup_intents.create(params={
        "customer": customer.id, "payment_method_data": fc_data(account.id), "mandate_data": MANDATE,
        "confirm": True})
    listed = world.preview.v1.customers.payment_methods.list(customer.id)
    assert [p.id for p in listed.data] == [done.payment_method]
    detached = world.preview.v1.payment_methods.detach(done.payment_method)
    assert detached.customer is None
    reattached = world.preview.v1.payment_methods.attach(done.payment_method, params={"customer": customer.id})
    assert reattached.customer == customer.id
    renamed = world.preview.v1.payment_methods.update(done.payment_method,
                                                      params={"billing_details": {"email": "j@example.com"}})
    assert renamed.billing_details.email == "j@example.com" and renamed.billing_details.name == "Jenny Rosen"
    assert world.raw("get", f"/v1/setup_intents/{done.id}?expand[]=payment_method&expand[]=mandate").mandate.object \
        == "mandate"
