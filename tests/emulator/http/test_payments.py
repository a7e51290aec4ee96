"""Payments over HTTP: the version table of payment_method_types / allowed_payment_method_types, the Stripe-Account
header, mandates following their payment method, tokens' rules."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.emulator.http.test_fc_sessions import PREVIEW, customer, error, linked

MANDATE = [("mandate_data[customer_acceptance][type]", "online"),
           ("mandate_data[customer_acceptance][online][ip_address]", "203.0.113.7"),
           ("mandate_data[customer_acceptance][online][user_agent]", "test")]


def fc_data(account_id: str) -> list[tuple[str, str]]:
    return [("payment_method_data[type]", "us_bank_account"),
            ("payment_method_data[us_bank_account][financial_connections_account]", account_id)]


@pytest.mark.parametrize(
    ("version", "pmt", "allowed"),
    [
        ("2026-06-24.dahlia", "ok", "parameter_unknown"),
        ("2026-07-29.dahlia", "ok", "ok"),
        ("2026-08-26.preview", "payment_method_types_no_longer_supported", "ok"),
        ("2026-09-30.endive", "payment_method_types_no_longer_supported", "ok"),
        ("2026-09-30.preview", "payment_method_types_no_longer_supported", "ok"),
        ("2026-10-28.endive", "payment_method_types_no_longer_supported", "ok"),
    ],
)
def test_payments_payment_method_types_by_version(api: Api, version: str, pmt: str, allowed: str) -> None:
    headers = {"Stripe-Version": version}
    for param, expected in (("payment_method_types[]", pmt), ("allowed_payment_method_types[]", allowed)):
        response = api.post("/v1/setup_intents", {param: "us_bank_account"}, headers=headers)
        if expected == "ok":
            body = response.json()
            assert response.status == 200 and body["payment_method_types"] == ["us_bank_account"]
            assert ("allowed_payment_method_types" in body) is (allowed == "ok")
        else:
            assert (error(response)["code"], error(response)["param"]) == (expected, param[:-2])


def test_payments_both_type_params_are_exclusive(api: Api) -> None:
    both = api.post("/v1/setup_intents", [("payment_method_types[]", "us_bank_account"),
                                          ("allowed_payment_method_types[]", "us_bank_account")],
                    headers={"Stripe-Version": "2026-07-29.dahlia"})
    assert error(both)["code"] == "parameters_exclusive"


def test_payments_stripe_account_header(api: Api) -> None:
    connected = api.post("/v1/accounts", {"type": "custom"}).json()
    ok = api.get("/v1/customers", headers={"Stripe-Account": connected["id"]})
    assert ok.status == 200
    refused = api.get("/v1/customers", headers={"Stripe-Account": "acct_unknown"})
    assert refused.status == 403 and error(refused)["code"] == "account_invalid"


def test_payments_detaching_deactivates_the_mandate(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus, "Sample Checking Account")[0]
    si = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), *fc_data(account["id"]), *MANDATE],
                  headers=PREVIEW).json()
    assert api.get(f"/v1/mandates/{si['mandate']}").json()["status"] == "active"
    api.post(f"/v1/payment_methods/{si['payment_method']}/detach")
    assert api.get(f"/v1/mandates/{si['mandate']}").json()["status"] == "inactive"
    updated = api.get("/v1/events?type=mandate.updated").json()["data"]
    assert len(updated) == 1 and updated[0]["data"]["previous_attributes"] == {"status": "active"}
    assert error(api.get("/v1/mandates/mandate_nope"))["code"] == "resource_missing"


def test_payments_tokens_rules(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus, "Sample Checking Account")[0]
    unattached = api.post("/v1/setup_intents", [("flow_directions[]", "outbound"), ("confirm", "true"),
                                                *fc_data(account["id"])]).json()
    pm = unattached["payment_method"]
    assert api.get(f"/v1/payment_methods/{pm}").json()["customer"] is None
    token = api.post("/v1/tokens", {"bank_account[payment_method]": pm}).json()
    assert token["bank_account"]["last4"] == "6789"
    reused = error(api.post("/v1/tokens", {"bank_account[payment_method]": pm}))
    assert reused["param"] == "bank_account[payment_method]" and "already used" in reused["message"]
    mixed = error(api.post("/v1/tokens", {"bank_account[payment_method]": pm, "bank_account[country]": "US"}))
    assert mixed["code"] == "parameters_exclusive"
    classic = api.post("/v1/tokens", {"bank_account[account_number]": "000123456789",
                                      "bank_account[routing_number]": "110000000", "bank_account[country]": "US",
                                      "bank_account[currency]": "usd"}).json()
    assert classic["bank_account"]["last4"] == "6789" and classic["bank_account"]["status"] == "new"
    assert api.get(f"/v1/tokens/{classic['id']}").json() == classic
    connected = api.post("/v1/accounts", {"type": "custom"}).json()
    external = api.post(f"/v1/accounts/{connected['id']}/external_accounts", {"external_account": classic["id"]})
    assert external.status == 200
    twice = error(api.post(f"/v1/accounts/{connected['id']}/external_accounts", {"external_account": classic["id"]}))
    assert twice["param"] == "external_account"
    listed = api.get(f"/v1/accounts/{connected['id']}/external_accounts").json()["data"]
    assert [b["id"] for b in listed] == [external.json()["id"]]
    deleted = api.delete(f"/v1/accounts/{connected['id']}/external_accounts/{external.json()['id']}").json()
    assert deleted == {"id": external.json()["id"], "object": "bank_account", "deleted": True}
    assert api.get(f"/v1/accounts/{connected['id']}").json()["external_accounts"]["data"] == []


def test_payments_manual_details_validation(api: Api) -> None:
    base: list[tuple[str, Any]] = [("payment_method_data[type]", "us_bank_account")]
    no_routing = error(api.post("/v1/setup_intents", base + [("payment_method_data[us_bank_account][account_number]",
                                                              "000123456789")]))
    assert (no_routing["code"], no_routing["param"]) == ("parameter_missing",
                                                         "payment_method_data[us_bank_account][routing_number]")
    short = error(api.post("/v1/setup_intents", base + [
        ("payment_method_data[us_bank_account][account_number]", "000123456789"),
        ("payment_method_data[us_bank_account][routing_number]", "1100")]))
    assert short["param"] == "payment_method_data[us_bank_account][routing_number]"


def test_an_unknown_payment_method_is_resource_missing_before_a_missing_mandate(api: Api) -> None:
    """Stripe's order: an id naming nothing is `resource_missing` before any missing-parameter check."""
    owner = customer(api)
    intent = api.post("/v1/setup_intents", data={"customer": owner}).json()
    confirmed = api.post(f"/v1/setup_intents/{intent['id']}/confirm", data={"payment_method": "pm_nope"})
    assert confirmed.status == 404, confirmed.body
    assert (confirmed.json()["error"]["code"], confirmed.json()["error"]["param"]) == ("resource_missing",
                                                                                       "payment_method")
    assert api.get(f"/v1/setup_intents/{intent['id']}").json()["status"] == "requires_payment_method"  # unchanged
    created = api.post("/v1/setup_intents", data={"customer": owner, "payment_method": "pm_nope", "confirm": "true"})
    assert created.status == 404 and created.json()["error"]["param"] == "payment_method"
    assert [si["id"] for si in api.get("/v1/setup_intents").json()["data"]] == [intent["id"]]  # none was made
    # the mandate is still asked for when the payment method exists
    token = api.post(f"/v1/setup_intents/{intent['id']}/confirm", data={"payment_method": "pm_usBankAccount_success"})
    assert token.status == 400 and token.json()["error"]["param"] == "mandate_data"
