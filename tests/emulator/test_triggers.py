"""Every trigger fires its event against a running emulator, through the same runner the CLI uses."""

from __future__ import annotations

import pytest

from emulator.triggers.runner import FixtureError, Run, encode, load_triggers, resolve, run_fixture
from harness.control import ControlClient
from harness.pytest_plugin import RunningEmulator

TRIGGERS = load_triggers()
FC_EVENTS = [
    "financial_connections.account.created", "financial_connections.account.deactivated",
    "financial_connections.account.reactivated", "financial_connections.account.disconnected",
    "financial_connections.account.refreshed_balance", "financial_connections.account.refreshed_ownership",
    "financial_connections.account.refreshed_transactions", "financial_connections.account.refreshed_inferred_balances",
    "financial_connections.account.account_numbers_updated",
    "financial_connections.account.upcoming_account_number_expiry",
    "financial_connections.account.expected_deactivation_date_updated",
    "financial_connections.account.upcoming_deactivation",
    "financial_connections.account.supported_payment_method_types_updated",
    "financial_connections.authorization.expected_deactivation_date_updated",
    "financial_connections.authorization.upcoming_deactivation", "financial_connections.session.updated",
]


MONEY_EVENTS = [  # issue 17: every event type the debits, refunds, connected accounts and payouts send
    "payment_intent.created", "payment_intent.processing", "payment_intent.succeeded",
    "payment_intent.payment_failed", "payment_intent.canceled", "payment_intent.requires_action", "charge.pending",
    "charge.succeeded", "charge.failed", "charge.refunded", "charge.dispute.created", "refund.created",
    "refund.updated", "mandate.updated", "payment_method.updated", "payout.created", "payout.updated", "payout.paid",
    "payout.failed", "payout.canceled", "account.updated", "account.external_account.created",
    "account.external_account.updated", "account.external_account.deleted",
]


def test_triggers_cover_every_financial_connections_event_of_the_reference() -> None:
    assert set(FC_EVENTS) <= set(TRIGGERS)
    assert set(MONEY_EVENTS) - set(TRIGGERS) == set()
    for payments in ("setup_intent.succeeded", "payment_method.automatically_updated", "setup_intent.setup_failed",
                     "account.external_account.updated", "mandate.updated"):
        assert payments in TRIGGERS


@pytest.mark.parametrize("event", sorted(TRIGGERS))
def test_triggers_fire_their_event(event: str, stripe_emulator: RunningEmulator, stripe_api_key: str,
                                   stripe_control: ControlClient) -> None:
    lines: list[str] = []
    run_fixture(TRIGGERS[event], base_url=stripe_emulator.url, api_key=stripe_api_key, progress=lines.append)
    assert lines and all(line.startswith("Setting up fixture for: ") for line in lines)
    assert stripe_control.wait_for_event(event, timeout=5)["type"] == event


def test_triggers_references_and_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    run = Run(responses={"linked": {"accounts": {"data": [{"id": "fca_1"}]}}})
    monkeypatch.setenv("TRIGGER_NAME", "Jenny")
    assert resolve({"a": "${linked:accounts.data.0.id}", "b": ["${.env:TRIGGER_NAME|x}", "${.env:NOPE|dflt}"]},
                   run) == {"a": "fca_1", "b": ["Jenny", "dflt"]}
    assert resolve("${linked:accounts:data:0:id}", run) == "fca_1"  # `:` steps, as some Stripe CLI files write
    with pytest.raises(FixtureError):
        resolve("${missing:id}", run)
    with pytest.raises(FixtureError):
        resolve("${linked:accounts.data.5.id}", run)
    assert encode({"a": {"b": [1, True]}, "c": None}) == [("a[b][0]", "1"), ("a[b][1]", "true")]


def test_triggers_steps_send_headers_but_never_the_runs_own(stripe_emulator: RunningEmulator,
                                                            stripe_api_key: str) -> None:
    # as the Stripe CLI's fixture files: `headers` (with references), `expected_error_type`
    fixture = {"fixtures": [
        {"name": "connected", "path": "/v1/accounts", "params": {"type": "custom", "country": "US"}},
        {"name": "balance", "method": "get", "path": "/v1/balance", "headers": {"Stripe-Account": "${connected:id}"}},
        {"name": "no_bank", "path": "/v1/payouts", "params": {"amount": 100, "currency": "usd"},
         "headers": {"Stripe-Account": "${connected:id}"}, "expected_error_type": "invalid_request_error"},
    ]}
    run = run_fixture(fixture, base_url=stripe_emulator.url, api_key=stripe_api_key)
    assert run.responses["balance"]["available"][0]["currency"] == "usd"  # the connected account's balance
    assert run.responses["no_bank"]["error"]["code"] == "payouts_not_allowed"
    wrong_type = {"fixtures": [{**fixture["fixtures"][0]}, {**fixture["fixtures"][2],
                                                           "expected_error_type": "card_error"}]}
    with pytest.raises(FixtureError, match="failed with 400"):
        run_fixture(wrong_type, base_url=stripe_emulator.url, api_key=stripe_api_key)
    # `expected_error_type` tolerates an error of that type, and success too (the Stripe CLI's rule); our own
    # `expect_error` insists on the error
    succeeds = {"name": "customer", "path": "/v1/customers", "params": {"name": "Jenny"}}
    tolerated = run_fixture({"fixtures": [{**succeeds, "expected_error_type": "card_error"}]},
                            base_url=stripe_emulator.url, api_key=stripe_api_key)
    assert tolerated.responses["customer"]["name"] == "Jenny"
    with pytest.raises(FixtureError, match="expected to fail but succeeded"):
        run_fixture({"fixtures": [{**succeeds, "expect_error": True}]}, base_url=stripe_emulator.url,
                    api_key=stripe_api_key)
    for header in ("Authorization", "stripe-version"):
        hijack = {"fixtures": [{"name": "x", "path": "/v1/customers", "headers": {header: "Bearer sk_test_other"}}]}
        with pytest.raises(FixtureError, match="the run's own"):
            run_fixture(hijack, base_url=stripe_emulator.url, api_key=stripe_api_key)
