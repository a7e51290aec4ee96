"""The dashboard in Chromium: its actions change the namespace's state; user data is rendered inert."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from harness.pytest_plugin import RunningEmulator
from tests.browser.test_auth_flow import HELPERS, Api


@pytest.fixture
def api(stripe_emulator: RunningEmulator, stripe_api_key: str) -> Iterator[Api]:
    made = Api(stripe_emulator.url, stripe_api_key)
    yield made
    made.http.close()


def linked(api: Api, institution: str, name: str) -> dict[str, Any]:
    customer = api.post("/v1/customers", {"name": "Jenny"})["id"]
    session = api.post("/v1/financial_connections/sessions", {
        "account_holder[type]": "customer", "account_holder[customer]": customer, "permissions[]": "payment_method"})
    found: dict[str, Any] = api.post(f"{HELPERS}/sessions/{session['id']}/complete",
                                     {"institution": institution, "accounts[]": name})["accounts"]["data"][0]
    return found


def open_dashboard(page: Any, api: Api) -> None:
    page.goto(f"{api.url}/_emulator/dashboard?key={quote(api.key)}")


def test_dashboard_actions_change_state(page: Any, api: Api) -> None:
    checking = linked(api, "Test (Non-OAuth)", "Sample Checking Account")
    tan = linked(api, "Emulator: TAN States", "TAN Checking")
    open_dashboard(page, api)
    assert page.locator("#accounts").is_visible()
    form = page.locator(f"form:has(button[data-action=deactivate][data-target='{checking['id']}'])")
    form.locator("select[name=cause]").select_option("account_closed")
    form.locator("button").click()
    page.wait_for_selector("#notice")
    account = api.get(f"/v1/financial_connections/accounts/{checking['id']}")
    assert account["status"] == "inactive" and account["status_details"]["inactive"]["cause"] == "account_closed"
    page.locator(f"button[data-action=revoke_tan][data-target='{tan['id']}']").click()
    page.wait_for_selector("#notice")
    assert api.get(f"/v1/financial_connections/accounts/{tan['id']}")["account_numbers"][0]["status"] == "deactivated"
    page.locator(f"button[data-action=schedule_deactivation][data-target='{tan['id']}']").click()
    page.wait_for_selector("#notice")
    assert "active" in api.get(f"/v1/financial_connections/accounts/{tan['id']}")["status_details"]
    before = api.get("/_emulator/clock")["now"]
    page.locator("input[name=seconds]").fill("3600")
    page.locator("button[data-action=advance_clock]").click()
    page.wait_for_selector("#notice")
    assert api.get("/_emulator/clock")["now"] >= before + 3600
    assert page.text_content("#notice") == "advance_clock clock: done"


def test_dashboard_renders_user_data_inert(page: Any, api: Api) -> None:
    probe = ("<img src=x onerror=\"document.body.dataset.pwned='yes'\">"
             "<script>document.body.dataset.pwned='yes'</script>")
    api.post("/v1/customers", {"name": probe, "metadata[note]": probe})
    open_dashboard(page, api)
    assert page.evaluate("document.body.dataset.pwned") is None
    assert probe in page.text_content("#customers + table")  # shown as text, not markup
    assert page.locator("#customers + table img").count() == 0


def test_dashboard_asks_for_a_key_and_refuses_live_keys(page: Any, stripe_emulator: RunningEmulator) -> None:
    page.goto(f"{stripe_emulator.url}/_emulator/dashboard")
    assert page.locator("input[name=key]").is_visible()
    response = page.goto(f"{stripe_emulator.url}/_emulator/dashboard?key=sk_live_{'x' * 12}")
    assert response is not None and response.status == 401


def test_dashboard_shows_money_and_fails_the_next_debit(page: Any, api: Api) -> None:
    checking = linked(api, "Test (Non-OAuth)", "Sample Checking Account")
    customer = checking["account_holder"]["customer"]
    method = api.post("/v1/payment_methods", {"type": "us_bank_account",
                                              "us_bank_account[financial_connections_account]": checking["id"]})
    api.post(f"/v1/payment_methods/{method['id']}/attach", {"customer": customer})
    api.post("/_emulator/clock", {"freeze": "true"})
    open_dashboard(page, api)
    form = page.locator(f"form:has(button[data-action=fail_next_debit][data-target='{method['id']}'])")
    form.locator("select[name=outcome]").select_option("debit_not_authorized")
    form.locator("button").click()
    page.wait_for_selector("#notice")
    assert page.text_content("#notice") == f"fail_next_debit {method['id']}: done"
    debit = api.post("/v1/payment_intents", {
        "amount": "2500", "currency": "usd", "customer": customer, "payment_method": method["id"], "confirm": "true",
        "mandate_data[customer_acceptance][type]": "offline"})
    api.post("/_emulator/clock", {"advance": "180"})
    failed = api.get(f"/v1/payment_intents/{debit['id']}")
    assert failed["last_payment_error"]["code"] == "debit_not_authorized"
    open_dashboard(page, api)
    row = page.locator(f"#paymentintents + table tr:has-text('{debit['id']}')")
    assert "requires_payment_method" in row.text_content() and "debit_not_authorized" in row.text_content()
    assert "failed" in page.text_content(f"#charges + table tr:has-text('{debit['latest_charge']}')")
    assert page.locator("#payouts + table").is_visible()
