"""The rest of the Stripe.js shim: bank-account tokens, SetupIntent collection and retrieval, and Stripe.js loaded
from https://js.stripe.com routed to the emulator (how `loadStripe` users test)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from harness.pytest_plugin import RunningEmulator
from tests.browser.test_auth_flow import FRAME, Api, open_example


@pytest.fixture
def api(stripe_emulator: RunningEmulator, stripe_api_key: str) -> Iterator[Api]:
    made = Api(stripe_emulator.url, stripe_api_key)
    yield made
    made.http.close()


def drive_new_link(page: Any, account: str = "Sample Checking Account") -> None:
    frame = page.frame_locator(FRAME)
    frame.locator("#agree").click()
    frame.locator("[data-institution='Test (Non-OAuth)']").click()
    frame.locator("#login").click()
    frame.locator("label", has_text=account).locator("input").check()
    frame.locator("#link-accounts").click()


def test_shim_collect_bank_account_token(page: Any, example_site: str, api: Api) -> None:
    session = api.post("/v1/financial_connections/sessions", {"permissions[]": "payment_method",
                                                              "account_holder[type]": "account",
                                                              "account_holder[account]": "acct_platform"})
    open_example(page, example_site, api, session["client_secret"])
    page.evaluate("s => { window.out = null; stripeClient.collectBankAccountToken({clientSecret: s})"
                  ".then(r => { window.out = r; }); }", session["client_secret"])
    drive_new_link(page)
    page.wait_for_function("window.out !== null")
    result = page.evaluate("window.out")
    assert result["token"]["id"].startswith("btok_") and result["token"]["bank_account"]["last4"] == "6789"
    assert result["financialConnectionsSession"]["accounts"][0]["display_name"] == "Sample Checking Account"
    # facts §9: the session carries the token collectBankAccountToken made (bank_account_token, from 2026-07-29)
    retrieved = api.get(f"/v1/financial_connections/sessions/{session['id']}")
    assert retrieved["bank_account_token"]["id"] == result["token"]["id"]


def test_shim_collect_bank_account_for_setup_then_confirm(page: Any, example_site: str, api: Api) -> None:
    customer = api.post("/v1/customers", {"name": "Jenny"})["id"]
    intent = api.post("/v1/setup_intents", {"customer": customer})
    assert intent["status"] == "requires_payment_method"
    open_example(page, example_site, api, intent["client_secret"])
    page.evaluate("s => { window.out = null; stripeClient.collectBankAccountForSetup({clientSecret: s})"
                  ".then(r => { window.out = r; }); }", intent["client_secret"])
    drive_new_link(page, "Sample Savings Account")
    page.wait_for_function("window.out !== null")
    collected = page.evaluate("window.out")["setupIntent"]
    assert collected["status"] == "requires_confirmation" and collected["payment_method"].startswith("pm_")
    retrieved = page.evaluate("s => stripeClient.retrieveSetupIntent(s)", intent["client_secret"])
    assert retrieved["setupIntent"]["id"] == intent["id"]
    confirmed = page.evaluate("s => stripeClient.confirmUsBankAccountSetup(s)", intent["client_secret"])
    assert confirmed["setupIntent"]["status"] == "succeeded"
    bad = page.evaluate("() => stripeClient.retrieveSetupIntent('seti_nope_secret_nope')")
    assert bad["error"]["type"] == "invalid_request_error"


def test_shim_loaded_from_js_stripe_com_routed_to_the_emulator(page: Any, example_site: str, api: Api) -> None:
    shim = httpx.get(f"{api.url}/v3/", timeout=10).text
    page.add_init_script(f"window.STRIPE_FC_EMULATOR_URL = {json.dumps(api.url)};")
    page.route("https://js.stripe.com/**", lambda route: route.fulfill(body=shim,
                                                                           content_type="application/javascript"))
    page.goto(f"{example_site}/loadstripe.html")
    session = api.post("/v1/financial_connections/sessions", {"permissions[]": "payment_method",
                                                              "account_holder[type]": "account",
                                                              "account_holder[account]": "acct_platform"})
    found = page.evaluate("([pk, s]) => Stripe(pk)._clientSession(s).then(r => r.json)",
                          [api.pk, session["client_secret"]])
    assert found["id"] == session["id"] and found["accounts"] == []
