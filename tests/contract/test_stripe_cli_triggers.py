"""The Stripe CLI's own trigger fixtures (`stripe_cli_triggers/`, Stripe's files, see its README) for customers,
payment methods, setup intents, products, prices, coupons, subscriptions and invoices — and the card payments,
charges and refunds of `payment_intent.*` and `charge.*` — run through
`stripe-fc-emulator fixtures` against a running emulator (issue 21), and leave what they describe behind.

Nine of them use parameters that Stripe removed in later API versions — `payment_method_types` on SetupIntents
and PaymentIntents (refused from 2026-09-30.endive), a customer's singular `coupon` (removed in 2025-03-31.basil) —
so on the default version they stop with Stripe's own error for that, as they would against an account on that
version, and run with `--api-version` set to a version that has the parameter. One names a path Stripe does not
have (`/v1/tax_id`): Stripe's 404, here too."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from emulator.__main__ import cli
from harness.pytest_plugin import RunningEmulator

HERE = Path(__file__).resolve().parent / "stripe_cli_triggers"
FILES = sorted(path.name for path in HERE.glob("*.json"))
NEEDS_VERSION = {
    "setup_intent.canceled.json": ("2026-07-29.dahlia", "The `payment_method_types` parameter is no longer"),
    "setup_intent.succeeded.json": ("2026-07-29.dahlia", "The `payment_method_types` parameter is no longer"),
    "payment_intent.created.json": ("2026-07-29.dahlia", "The `payment_method_types` parameter is no longer"),
    "payment_intent.succeeded.json": ("2026-07-29.dahlia", "The `payment_method_types` parameter is no longer"),
    "payment_intent.payment_failed.json": ("2026-07-29.dahlia", "The `payment_method_types` parameter is no longer"),
    "charge.refunded.json": ("2026-07-29.dahlia", "The `payment_method_types` parameter is no longer"),
    "customer.discount.created.json": ("2025-02-24.acacia", "Received unknown parameter: coupon"),
    "customer.discount.deleted.json": ("2025-02-24.acacia", "Received unknown parameter: coupon"),
    "customer.discount.updated.json": ("2025-02-24.acacia", "Received unknown parameter: coupon"),
}
"""Files that use a parameter the default version no longer has: the version that has it, and the error without."""
NOT_STRIPE = {"customer.tax_id.deleted.json": "failed with 404: Unrecognized request URL (POST: /v1/tax_id)"}
"""Files whose requests Stripe itself answers with an error (the Stripe CLI ships them as they are)."""
FAMILIES = ("customer.", "payment_method.", "setup_intent.", "product.", "price.", "coupon.", "invoice.",
            "invoiceitem.", "invoice_payment.", "payment_intent.", "charge.")


def run(url: str, key: str, name: str, *extra: str) -> Any:
    return CliRunner().invoke(cli, ["fixtures", str(HERE / name), "--url", url, "--api-key", key, *extra])


def events(url: str, key: str) -> Counter[str]:
    found = httpx.get(f"{url}/v1/events?limit=100", auth=(key, ""), timeout=10).json()["data"]
    return Counter(event["type"] for event in found)


def test_the_stored_files_are_the_families_the_issue_names() -> None:
    assert len(FILES) == 58 and all(name.startswith(FAMILIES) for name in FILES)
    for name in FILES:
        document = json.loads((HERE / name).read_text())
        assert document["_meta"]["template_version"] == 0 and document["fixtures"], name


@pytest.mark.parametrize("name", FILES)
def test_a_stripe_cli_trigger_fixture_runs(stripe_emulator: RunningEmulator, name: str) -> None:
    key = f"sk_test_cli_{name.removesuffix('.json').replace('.', '_')}"
    result = run(stripe_emulator.url, key, name)
    if name in NOT_STRIPE:
        assert result.exit_code != 0 and NOT_STRIPE[name] in result.output, result.output
        return
    if name in NEEDS_VERSION:
        version, refusal = NEEDS_VERSION[name]
        assert result.exit_code != 0 and refusal in result.output, result.output
        result = run(stripe_emulator.url, key + "_v", name, "--api-version", version)  # the Stripe CLI's flag
        key += "_v"
    assert result.exit_code == 0 and "Fixtures ran." in result.output, result.output
    event = name.removesuffix(".json")
    happened = events(stripe_emulator.url, key)
    expected = {"invoice.payment_succeeded": "invoice.paid", "invoice.payment_failed": "invoice.paid",
                "invoice.payment_action_required": "invoice.paid", "invoice.payment_attempt_required": "invoice.paid",
                "invoice.overpaid": "invoice.paid", "invoice_payment.paid": "invoice.paid",
                "invoice.finalization_failed": "invoice.finalized", "invoice.overdue": "invoice.finalized",
                "invoice.upcoming": "test_helpers.test_clock.ready",
                "customer.tax_id.updated": "customer.tax_id.created",
                "customer.subscription.trial_will_end": "customer.subscription.created",
                "customer.subscription.paused": "customer.subscription.updated",
                "customer.subscription.pending_update_applied": "test_helpers.test_clock.ready",
                "customer.subscription.pending_update_expired": "customer.subscription.created",
                "price.deleted": "price.updated"}.get(event, event)
    # the event the file is named for, or (where it needs what the emulator does not simulate: card declines,
    # clock-driven billing, a subscription's pending update) the last one its requests cause
    assert happened[expected] >= 1, happened


def test_the_files_leave_what_they_describe(stripe_emulator: RunningEmulator) -> None:
    url, key = stripe_emulator.url, "sk_test_cli_states"
    auth = (key, "")
    assert run(url, key, "invoice.voided.json").exit_code == 0
    assert run(url, key, "invoice.paid.json").exit_code == 0
    invoices = httpx.get(f"{url}/v1/invoices", auth=auth, timeout=10).json()["data"]
    assert [invoice["status"] for invoice in invoices] == ["paid", "void"]
    assert run(url, key, "customer.source.deleted.json").exit_code == 0
    customer = httpx.get(f"{url}/v1/customers?limit=1", auth=auth, timeout=10).json()["data"][0]
    assert customer["default_source"] is None
    assert httpx.get(f"{url}/v1/customers/{customer['id']}/sources", auth=auth, timeout=10).json()["data"] == []
    assert run(url, key, "customer.subscription.deleted.json").exit_code == 0
    subscription = httpx.get(f"{url}/v1/subscriptions?limit=1&status=all", auth=auth, timeout=10).json()["data"][0]
    assert subscription["status"] == "canceled"
    assert run(url, key, "payment_method.detached.json").exit_code == 0
    cards = httpx.get(f"{url}/v1/payment_methods?type=card", auth=auth, timeout=10).json()["data"]
    assert cards[0]["customer"] is None and cards[0]["card"]["last4"] == "4242"
    assert run(url, key, "charge.failed.json").exit_code == 0  # its expected_error_type is card_error
    charge = httpx.get(f"{url}/v1/charges?limit=1", auth=auth, timeout=10).json()["data"][0]
    assert (charge["status"], charge["failure_code"], charge["outcome"]["reason"]) == ("failed", "card_declined",
                                                                                        "generic_decline")
    assert run(url, key, "charge.refunded.json", "--api-version", "2026-07-29.dahlia").exit_code == 0
    refund = httpx.get(f"{url}/v1/refunds?limit=1", auth=auth, timeout=10).json()["data"][0]
    refunded = httpx.get(f"{url}/v1/charges/{refund['charge']}", auth=auth, timeout=10).json()
    assert (refund["status"], refund["amount"], refunded["refunded"]) == ("succeeded", 100, True)
