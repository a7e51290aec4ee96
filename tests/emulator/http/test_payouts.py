"""Connected accounts and payouts to their bank accounts over HTTP: the payouts side of the source document §5 — a
payout to a revoked TAN fails, a relink re-issues it and the next payout is paid — and Stripe's ACH test numbers
(facts §5, https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment "Test") as payout destinations."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.emulator.http.test_fc_sessions import HELPERS, PREVIEW, error, session

DAY = 24 * 60 * 60


def freeze(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})


def advance(api: Api, seconds: int) -> None:
    api.post("/_emulator/clock", {"advance": str(seconds)})


def connected(api: Api, number: str | None = "000123456789") -> str:
    data: dict[str, str] = {"type": "custom", "country": "US", "email": "owner@example.com",
                            "capabilities[transfers][requested]": "true", "business_type": "individual"}
    if number is not None:
        data.update({"external_account[object]": "bank_account", "external_account[country]": "US",
                     "external_account[currency]": "usd", "external_account[routing_number]": "110000000",
                     "external_account[account_number]": number})
    found: str = api.post("/v1/accounts", data).json()["id"]
    return found


def as_account(account: str) -> dict[str, str]:
    return {"Stripe-Account": account}


def test_connected_accounts_take_capabilities_and_bank_details(api: Api) -> None:
    account = connected(api)
    shown = api.get(f"/v1/accounts/{account}").json()
    assert shown["capabilities"] == {"transfers": "active"} and shown["requirements"]["currently_due"] == []
    (bank,) = shown["external_accounts"]["data"]
    assert (bank["last4"], bank["default_for_currency"], bank["status"]) == ("6789", True, "new")
    updated = api.post(f"/v1/accounts/{account}", {"business_profile[name]": "Jenny's",
                                                   "metadata[team]": "payouts"}).json()
    assert updated["business_profile"]["name"] == "Jenny's" and updated["metadata"] == {"team": "payouts"}
    renamed = api.post(f"/v1/accounts/{account}/external_accounts/{bank['id']}",
                       {"metadata[kind]": "primary"}).json()
    assert renamed["metadata"] == {"kind": "primary"}
    assert account in [a["id"] for a in api.get("/v1/accounts").json()["data"]]
    bad = error(api.post("/v1/accounts", {"external_account[object]": "bank_account",
                                          "external_account[country]": "US",
                                          "external_account[routing_number]": "110000000",
                                          "external_account[account_number]": "12"}))
    assert (bad["code"], bad["param"]) == ("account_number_invalid", "external_account[account_number]")
    deleted = api.delete(f"/v1/accounts/{account}").json()
    assert deleted == {"id": account, "object": "account", "deleted": True}
    assert api.get(f"/v1/accounts/{account}").status == 404


def test_a_payout_goes_pending_in_transit_paid_on_the_namespace_clock(api: Api) -> None:
    freeze(api)
    account = connected(api)
    before = api.get("/v1/balance", headers=as_account(account)).json()["available"][0]["amount"]
    payout = api.post("/v1/payouts", {"amount": "5000", "currency": "usd"}, headers=as_account(account)).json()
    assert payout["status"] == "pending" and payout["destination"].startswith("ba_")
    assert api.get("/v1/balance", headers=as_account(account)).json()["available"][0]["amount"] == before - 5000
    path = f"/v1/payouts/{payout['id']}"
    advance(api, 3 * 60)
    assert api.get(path, headers=as_account(account)).json()["status"] == "in_transit"
    advance(api, DAY)
    assert api.get(path, headers=as_account(account)).json()["status"] == "paid"
    kinds = [e["type"] for e in reversed(api.get("/v1/events?type=payout.*").json()["data"])]
    assert kinds == ["payout.created", "payout.updated", "payout.updated", "payout.paid"]
    assert api.get(path).status == 400  # a connected account's payout: needs its Stripe-Account
    assert api.get("/v1/payouts?status=paid", headers=as_account(account)).json()["data"][0]["id"] == payout["id"]


@pytest.mark.parametrize(("number", "code", "errored"), [
    ("000111111113", "account_closed", True),
    ("000111111116", "no_account", True),
    ("000222222227", "insufficient_funds", False),
])
def test_payouts_to_stripes_failing_numbers_fail_and_give_the_money_back(api: Api, number: str, code: str,
                                                                         errored: bool) -> None:
    freeze(api)
    account = connected(api, number)
    before = api.get("/v1/balance", headers=as_account(account)).json()["available"][0]["amount"]
    payout = api.post("/v1/payouts", {"amount": "700", "currency": "usd"}, headers=as_account(account)).json()
    advance(api, DAY)
    failed = api.get(f"/v1/payouts/{payout['id']}", headers=as_account(account)).json()
    assert (failed["status"], failed["failure_code"]) == ("failed", code)
    assert api.get("/v1/balance", headers=as_account(account)).json()["available"][0]["amount"] == before
    bank = api.get(f"/v1/accounts/{account}/external_accounts/{payout['destination']}").json()
    assert bank["status"] == ("errored" if errored else "new")


def test_a_payout_to_a_revoked_tan_fails_and_succeeds_after_a_relink(api: Api) -> None:
    # source document §5 / facts §3: a TAN that is not transactable cannot receive payouts until a relink
    freeze(api)
    account = connected(api, None)
    created = session(api, [("account_holder[type]", "account"), ("account_holder[account]", account),
                            ("permissions[]", "payment_method")]).json()
    done = api.post(f"{HELPERS}/sessions/{created['id']}/complete",
                    {"institution": "Emulator: TAN States", "accounts[]": "TAN Checking"}, headers=PREVIEW).json()
    fca: dict[str, Any] = done["accounts"]["data"][0]
    pm = api.post("/v1/payment_methods", {"type": "us_bank_account",
                                          "us_bank_account[financial_connections_account]": fca["id"]}).json()
    token = api.post("/v1/tokens", {"bank_account[payment_method]": pm["id"]}).json()
    bank = api.post(f"/v1/accounts/{account}/external_accounts", {"external_account": token["id"]}).json()
    api.post(f"{HELPERS}/accounts/{fca['id']}/account_numbers/deactivate", {}, headers=PREVIEW)
    first = api.post("/v1/payouts", {"amount": "900", "currency": "usd"}, headers=as_account(account)).json()
    advance(api, DAY)
    failed = api.get(f"/v1/payouts/{first['id']}", headers=as_account(account)).json()
    assert (failed["status"], failed["failure_code"]) == ("failed", "could_not_process")
    relink = session(api, [("permissions[]", "payment_method"), ("relink_options[authorization]",
                                                                 fca["authorization"]),
                           ("relink_options[account]", fca["id"])]).json()
    api.post(f"{HELPERS}/sessions/{relink['id']}/complete", {}, headers=PREVIEW)
    assert api.get(f"/v1/accounts/{account}/external_accounts/{bank['id']}").json()["status"] == "new"
    second = api.post("/v1/payouts", {"amount": "900", "currency": "usd"}, headers=as_account(account)).json()
    advance(api, DAY)
    assert api.get(f"/v1/payouts/{second['id']}", headers=as_account(account)).json()["status"] == "paid"


def test_payout_bad_input_changes_nothing(api: Api) -> None:
    account = connected(api)
    empty = connected(api, None)
    headers = as_account(account)
    balance = api.get("/v1/balance", headers=headers).json()["available"][0]["amount"]
    cases = [
        ({"currency": "usd"}, headers, "parameter_missing", "amount"),
        ({"amount": "100", "currency": "eur"}, headers, None, "currency"),
        ({"amount": "100", "currency": "usd", "method": "instant"}, headers, "instant_payouts_unsupported", "method"),
        ({"amount": str(balance + 1), "currency": "usd"}, headers, "balance_insufficient", "amount"),
        ({"amount": "100", "currency": "usd", "destination": "ba_nope"}, headers, "resource_missing", "destination"),
        ({"amount": "100", "currency": "usd"}, as_account(empty), "payouts_not_allowed", "destination"),
    ]
    for data, sent, code, param in cases:
        found = error(api.post("/v1/payouts", data, headers=sent))
        assert (found.get("code"), found["param"]) == (code, param), data
    assert api.get("/v1/payouts", headers=headers).json()["data"] == []
    assert api.get("/v1/balance", headers=headers).json()["available"][0]["amount"] == balance
    pending = api.post("/v1/payouts", {"amount": "100", "currency": "usd"}, headers=headers).json()
    canceled = api.post(f"/v1/payouts/{pending['id']}/cancel", {}, headers=headers).json()
    assert canceled["status"] == "canceled"
    assert api.get("/v1/balance", headers=headers).json()["available"][0]["amount"] == balance
    assert error(api.post(f"/v1/payouts/{pending['id']}/cancel", {}, headers=headers))["type"] == \
        "invalid_request_error"


def test_a_processing_debit_and_a_pending_payout_survive_a_snapshot(api: Api) -> None:
    # their timers are saved with the world: after a restore they still settle on the namespace clock
    freeze(api)
    account = connected(api)
    payout = api.post("/v1/payouts", {"amount": "300", "currency": "usd"}, headers=as_account(account)).json()
    debit = api.post("/v1/payment_intents", [
        ("amount", "1099"), ("currency", "usd"), ("payment_method", "pm_usBankAccount_accountClosed"),
        ("confirm", "true"), ("mandate_data[customer_acceptance][type]", "offline")]).json()
    document = api.get("/_emulator/snapshot").body
    api.post("/_emulator/reset")
    restored = api.post("/_emulator/restore", body=document)
    assert restored.status == 200, restored.body
    advance(api, DAY)
    assert api.get(f"/v1/payouts/{payout['id']}", headers=as_account(account)).json()["status"] == "paid"
    failed = api.get(f"/v1/payment_intents/{debit['id']}").json()
    assert failed["last_payment_error"]["code"] == "account_closed"
    blocked = api.get(f"/v1/payment_methods/{debit['payment_method']}").json()["us_bank_account"]["status_details"]
    assert blocked == {"blocked": {"network_code": "R02", "reason": "bank_account_closed"}}


def test_a_response_to_a_request_made_as_a_connected_account_echoes_its_stripe_account(api: Api) -> None:
    account = connected(api)
    balance = api.get("/v1/balance", headers=as_account(account))
    assert balance.status == 200 and balance.headers["stripe-account"] == account  # what stripe-node reads
    missing = api.get("/v1/payouts/po_nope", headers=as_account(account))
    assert missing.status == 404 and missing.headers["stripe-account"] == account
    assert "stripe-account" not in api.get("/v1/customers").headers  # a platform request: none
