"""PaymentIntents over ACH Direct Debit, charges and returns over HTTP: Stripe's test account numbers and tokens
(facts §5, https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment "Test"), blocking after a return
(https://docs.stripe.com/payments/ach-direct-debit/blocked-bank-accounts) and the TAN rule (facts §3)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.emulator.http.test_fc_sessions import HELPERS, PREVIEW, customer, error, linked, session

ACCEPTANCE = [("mandate_data[customer_acceptance][type]", "online"),
              ("mandate_data[customer_acceptance][online][ip_address]", "203.0.113.7"),
              ("mandate_data[customer_acceptance][online][user_agent]", "pytest")]
SETTLES = 3 * 60  # the emulator's chosen processing time (README)


def freeze(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})


def advance(api: Api, seconds: int) -> None:
    api.post("/_emulator/clock", {"advance": str(seconds)})


def events(api: Api, type: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get(f"/v1/events?type={type}&limit=100").json()["data"]
    return found


def debit(api: Api, payment_method: str, cus: str | None = None, amount: int = 1099,
          extra: list[tuple[str, str]] | None = None) -> Any:
    data = [("amount", str(amount)), ("currency", "usd"), ("payment_method", payment_method),
            ("allowed_payment_method_types[]", "us_bank_account"), ("confirm", "true"), *ACCEPTANCE, *(extra or [])]
    if cus is not None:
        data.append(("customer", cus))
    return api.post("/v1/payment_intents", data)


def get(api: Api, path: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get(path).json()
    return found


def test_a_debit_goes_processing_then_succeeds_on_the_namespace_clock(api: Api) -> None:
    freeze(api)
    cus = customer(api)
    pi = debit(api, "pm_usBankAccount_success", cus).json()
    assert pi.get("status") == "processing" and pi["amount_received"] == 0, pi
    assert pi["payment_method"].startswith("pm_") and pi["payment_method"] != "pm_usBankAccount_success"
    charge = get(api, f"/v1/charges/{pi['latest_charge']}")
    assert (charge["status"], charge["paid"], charge["payment_intent"]) == ("pending", False, pi["id"])
    bank = charge["payment_method_details"]["us_bank_account"]
    assert (bank["last4"], bank["routing_number"]) == ("6789", "110000000")  # Stripe's test number 000123456789
    assert bank["mandate"].startswith("mandate_")
    mandate = get(api, f"/v1/mandates/{bank['mandate']}")
    assert mandate["type"] == "single_use" and mandate["single_use"] == {"amount": 1099, "currency": "usd"}
    advance(api, SETTLES - 1)
    assert get(api, f"/v1/payment_intents/{pi['id']}")["status"] == "processing"
    advance(api, 1)
    done = get(api, f"/v1/payment_intents/{pi['id']}?expand[]=latest_charge")
    assert done["status"] == "succeeded" and done["amount_received"] == 1099
    assert done["latest_charge"]["status"] == "succeeded" and done["latest_charge"]["amount_captured"] == 1099
    kinds = [e["type"] for e in reversed(api.get("/v1/events?limit=100").json()["data"])
             if e["type"].startswith(("payment_intent.", "charge."))]
    assert kinds == ["payment_intent.created", "charge.pending", "payment_intent.processing", "charge.succeeded",
                     "payment_intent.succeeded"]
    listed = get(api, f"/v1/charges?payment_intent={pi['id']}")["data"]
    assert [c["id"] for c in listed] == [charge["id"]]
    assert [p["id"] for p in get(api, f"/v1/payment_intents?customer={cus}")["data"]] == [pi["id"]]


@pytest.mark.parametrize(("token", "code", "blocked"), [
    ("pm_usBankAccount_accountClosed", "account_closed", ("R02", "bank_account_closed")),
    ("pm_usBankAccount_noAccount", "no_account", ("R03", "bank_account_invalid_details")),
    ("pm_usBankAccount_insufficientFunds", "insufficient_funds", None),
    ("pm_usBankAccount_debitNotAuthorized", "debit_not_authorized", ("R10", "debit_not_authorized")),
    ("pm_usBankAccount_invalidCurrency", "invalid_currency", None),
])
def test_the_failing_test_numbers_fail_the_debit_with_stripes_codes(api: Api, token: str, code: str,
                                                                     blocked: tuple[str, str] | None) -> None:
    # facts §5: each test number's documented failure; closed / no account / not authorized block the account
    freeze(api)
    cus = customer(api)
    pi = debit(api, token, cus, extra=[("setup_future_usage", "off_session")]).json()
    pm = pi["payment_method"]
    advance(api, SETTLES)
    failed = get(api, f"/v1/payment_intents/{pi['id']}")
    assert failed["status"] == "requires_payment_method" and failed["payment_method"] is None
    assert failed["last_payment_error"]["code"] == code
    assert failed["last_payment_error"]["charge"] == pi["latest_charge"]
    charge = get(api, f"/v1/charges/{pi['latest_charge']}")
    assert (charge["status"], charge["failure_code"]) == ("failed", code)
    assert [e["data"]["object"]["id"] for e in events(api, "payment_intent.payment_failed")] == [pi["id"]]
    shown = get(api, f"/v1/payment_methods/{pm}")["us_bank_account"]["status_details"]
    if blocked is None:
        assert shown is None
        assert debit(api, pm, cus).json()["status"] == "processing"  # the account can be debited again
        return
    assert shown == {"blocked": {"network_code": blocked[0], "reason": blocked[1]}}
    mandate = get(api, f"/v1/charges/{pi['latest_charge']}")["payment_method_details"]["us_bank_account"]["mandate"]
    assert get(api, f"/v1/mandates/{mandate}")["status"] == "inactive"
    again = error(debit(api, pm, cus))
    assert (again["code"], again["param"]) == ("payment_method_bank_account_blocked", "payment_method")


def test_the_dispute_number_succeeds_then_is_disputed_and_processing_stays_until_canceled(api: Api) -> None:
    freeze(api)
    disputed = debit(api, "pm_usBankAccount_dispute").json()
    stuck = debit(api, "pm_usBankAccount_processing").json()
    advance(api, 30 * 24 * 3600)
    assert get(api, f"/v1/payment_intents/{disputed['id']}")["status"] == "succeeded"
    (dispute,) = events(api, "charge.dispute.created")
    assert dispute["data"]["object"]["charge"] == disputed["latest_charge"]
    assert get(api, f"/v1/charges/{disputed['latest_charge']}")["disputed"] is True
    assert get(api, f"/v1/payment_intents/{stuck['id']}")["status"] == "processing"
    canceled = api.post(f"/v1/payment_intents/{stuck['id']}/cancel", {"cancellation_reason": "abandoned"}).json()
    assert canceled["status"] == "canceled" and canceled["cancellation_reason"] == "abandoned"
    assert get(api, f"/v1/charges/{stuck['latest_charge']}")["status"] == "failed"
    refused = error(api.post(f"/v1/payment_intents/{disputed['id']}/cancel", {}))
    assert refused["code"] == "payment_intent_unexpected_state"


def test_a_tan_that_is_not_transactable_refuses_the_debit_until_a_relink(api: Api) -> None:
    # facts §3: what blocks an FC PaymentMethod is its TAN; a relink re-issues it and the same PaymentMethod works
    freeze(api)
    cus = customer(api)
    (account,) = linked(api, cus, "TAN Checking", institution="Emulator: TAN States")
    pm = api.post("/v1/payment_methods", {"type": "us_bank_account",
                                          "us_bank_account[financial_connections_account]": account["id"]}).json()
    api.post(f"/v1/payment_methods/{pm['id']}/attach", {"customer": cus})
    api.post(f"{HELPERS}/accounts/{account['id']}/account_numbers/deactivate", {}, headers=PREVIEW)
    refused = error(debit(api, pm["id"], cus))
    assert refused["code"] == "payment_method_bank_account_blocked"
    failed = get(api, f"/v1/payment_intents?customer={cus}")["data"][0]
    # as Stripe's, the error carries the intent as the failure left it
    assert refused["payment_intent"]["id"] == failed["id"]
    assert refused["payment_intent"]["status"] == "requires_payment_method"
    assert failed["status"] == "requires_payment_method"
    assert failed["last_payment_error"]["code"] == "payment_method_bank_account_blocked"
    relink = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                           ("permissions[]", "payment_method"),
                           ("relink_options[authorization]", account["authorization"]),
                           ("relink_options[account]", account["id"])]).json()
    api.post(f"{HELPERS}/sessions/{relink['id']}/complete", {}, headers=PREVIEW)
    again = debit(api, pm["id"], cus).json()
    assert again["status"] == "processing"
    new_last4 = get(api, f"/v1/payment_methods/{pm['id']}")["us_bank_account"]["last4"]
    assert get(api, f"/v1/charges/{again['latest_charge']}")["payment_method_details"]["us_bank_account"][
        "last4"] == new_last4
    advance(api, SETTLES)
    assert get(api, f"/v1/payment_intents/{again['id']}")["status"] == "succeeded"


def test_off_session_debits_run_under_the_setup_intents_mandate(api: Api) -> None:
    cus = customer(api)
    (account,) = linked(api, cus, "Sample Checking Account")
    si = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), ("payment_method_data[type]",
                  "us_bank_account"), ("payment_method_data[us_bank_account][financial_connections_account]",
                                       account["id"]), *ACCEPTANCE]).json()
    assert si["status"] == "succeeded"
    pi = api.post("/v1/payment_intents", {"amount": "5000", "currency": "usd", "customer": cus,
                                          "payment_method": si["payment_method"], "off_session": "true",
                                          "confirm": "true"}).json()
    assert pi["status"] == "processing"
    charge = get(api, f"/v1/charges/{pi['latest_charge']}")
    assert charge["payment_method_details"]["us_bank_account"]["mandate"] == si["mandate"]


def test_manual_numbers_verify_by_microdeposits_before_the_debit(api: Api) -> None:
    pi = api.post("/v1/payment_intents", [
        ("amount", "2000"), ("currency", "usd"), ("confirm", "true"), *ACCEPTANCE,
        ("payment_method_data[type]", "us_bank_account"),
        ("payment_method_data[us_bank_account][routing_number]", "110000000"),
        ("payment_method_data[us_bank_account][account_number]", "000123456789"),
        ("payment_method_data[billing_details][name]", "Jenny Rosen")]).json()
    assert pi["status"] == "requires_action"
    assert pi["next_action"]["verify_with_microdeposits"]["microdeposit_type"] == "amounts"
    path = f"/v1/payment_intents/{pi['id']}/verify_microdeposits"
    assert error(api.post(path, [("amounts[]", "1"), ("amounts[]", "2")]))["code"] == \
        "payment_method_microdeposit_verification_amounts_mismatch"
    verified = api.post(path, [("amounts[]", "32"), ("amounts[]", "45")]).json()
    assert verified["status"] == "processing"


def test_bad_input_is_refused_and_changes_nothing(api: Api) -> None:
    cus = customer(api)
    cases = [
        ({"currency": "usd"}, "parameter_missing", "amount"),
        ({"amount": "1099"}, "parameter_missing", "currency"),
        ({"amount": "10", "currency": "usd"}, "amount_too_small", "amount"),
        ({"amount": "1099", "currency": "eur"}, "payment_intent_invalid_parameter", "currency"),
        ({"amount": "1099", "currency": "usd", "customer": "cus_nope"}, "resource_missing", "customer"),
        ({"amount": "1099", "currency": "usd", "payment_method": "pm_nope"}, "resource_missing", "payment_method"),
        ({"amount": "1099", "currency": "usd", "confirm": "true"}, "parameter_missing", "payment_method"),
        ({"amount": "1099", "currency": "usd", "capture_method": "manual", "confirm": "true",
          "payment_method": "pm_usBankAccount_success", "mandate_data[customer_acceptance][type]": "offline"},
         None, "capture_method"),  # a bank debit is never held for capture
    ]
    for data, code, param in cases:
        found = error(api.post("/v1/payment_intents", {**data, "customer": data.get("customer", cus)}))
        assert (found["type"], found.get("code"), found["param"]) == ("invalid_request_error", code, param), data
    assert get(api, "/v1/payment_intents")["data"] == []
    assert get(api, "/v1/charges")["data"] == []
    assert error(api.post("/v1/payment_intents/pi_nope/confirm", {}))["code"] == "resource_missing"


def test_payment_methods_can_be_created_and_customers_take_a_default(api: Api) -> None:
    cus = customer(api)
    (account,) = linked(api, cus, "Sample Checking Account")
    made = api.post("/v1/payment_methods", {"type": "us_bank_account",
                                            "us_bank_account[financial_connections_account]": account["id"],
                                            "billing_details[name]": "Jenny Rosen"}).json()
    assert made["us_bank_account"]["financial_connections_account"] == account["id"]
    assert made["customer"] is None and made["billing_details"]["name"] == "Jenny Rosen"
    missing_number = error(api.post("/v1/payment_methods", {"type": "us_bank_account",
                                                            "us_bank_account[routing_number]": "110000000"}))
    assert (missing_number["code"], missing_number["param"]) == ("parameter_missing",
                                                                 "us_bank_account[account_number]")
    not_attached = error(api.post(f"/v1/customers/{cus}",
                                  {"invoice_settings[default_payment_method]": made["id"]}))
    assert not_attached["param"] == "invoice_settings[default_payment_method]"
    api.post(f"/v1/payment_methods/{made['id']}/attach", {"customer": cus})
    updated = api.post(f"/v1/customers/{cus}", {"invoice_settings[default_payment_method]": made["id"]}).json()
    assert updated["invoice_settings"]["default_payment_method"] == made["id"]
    expanded = get(api, f"/v1/customers/{cus}?expand[]=invoice_settings.default_payment_method")
    assert expanded["invoice_settings"]["default_payment_method"]["id"] == made["id"]
    fresh = api.post("/v1/customers", {"payment_method": "pm_usBankAccount_success",
                                       "invoice_settings[default_payment_method]": "pm_usBankAccount_success"}).json()
    default = fresh["invoice_settings"]["default_payment_method"]
    assert default.startswith("pm_") and get(api, f"/v1/payment_methods/{default}")["customer"] == fresh["id"]
    api.post(f"/v1/payment_methods/{made['id']}/detach", {})
    assert get(api, f"/v1/customers/{cus}")["invoice_settings"]["default_payment_method"] is None


def test_refunds_of_a_settled_debit_pending_then_succeeded(api: Api) -> None:
    freeze(api)
    pending = debit(api, "pm_usBankAccount_success").json()
    refused = error(api.post("/v1/refunds", {"payment_intent": pending["id"]}))  # not settled yet
    assert (refused["code"], refused["param"]) == ("charge_not_refundable", "payment_intent")
    advance(api, SETTLES)
    charge = pending["latest_charge"]
    too_much = error(api.post("/v1/refunds", {"charge": charge, "amount": "1100"}))
    assert (too_much["code"], too_much["param"]) == ("amount_too_large", "amount")
    assert error(api.post("/v1/refunds", {}))["param"] == "charge"
    part = api.post("/v1/refunds", {"payment_intent": pending["id"], "amount": "99",
                                    "reason": "requested_by_customer"}).json()
    assert (part["status"], part["amount"], part["charge"]) == ("pending", 99, charge)
    shown = get(api, f"/v1/charges/{charge}")
    assert (shown["amount_refunded"], shown["refunded"]) == (99, False)
    rest = api.post("/v1/refunds", {"charge": charge}).json()
    assert rest["amount"] == 1000 and get(api, f"/v1/charges/{charge}")["refunded"] is True
    assert error(api.post("/v1/refunds", {"charge": charge}))["code"] == "charge_already_refunded"
    assert len(events(api, "charge.refunded")) == 2 and len(events(api, "refund.created")) == 2
    advance(api, SETTLES)
    assert get(api, f"/v1/refunds/{part['id']}")["status"] == "succeeded"
    assert [e["data"]["previous_attributes"] for e in events(api, "refund.updated")] == [{"status": "pending"}] * 2
    assert {r["id"] for r in get(api, f"/v1/refunds?charge={charge}")["data"]} == {part["id"], rest["id"]}
    disputed = debit(api, "pm_usBankAccount_dispute").json()
    advance(api, SETTLES)
    assert error(api.post("/v1/refunds", {"payment_intent": disputed["id"]}))["code"] == "charge_disputed"
    (dispute,) = events(api, "charge.dispute.created")
    assert get(api, f"/v1/disputes/{dispute['data']['object']['id']}")["charge"] == disputed["latest_charge"]


def test_the_next_debit_helper_makes_a_financial_connections_debit_fail_once_and_block(api: Api) -> None:
    # an FC account's debits succeed (facts §5); the emulator's helper plays an ACH return for the next one only
    freeze(api)
    cus = customer(api)
    (account,) = linked(api, cus, "Sample Checking Account")
    pm = api.post("/v1/payment_methods", {"type": "us_bank_account",
                                          "us_bank_account[financial_connections_account]": account["id"]}).json()
    api.post(f"/v1/payment_methods/{pm['id']}/attach", {"customer": cus})
    path = f"/v1/test_helpers/payment_methods/{pm['id']}/next_debit"
    bad = error(api.post(path, {"outcome": "lost_in_the_mail"}))
    assert bad["param"] == "outcome"
    assert error(api.post("/v1/test_helpers/payment_methods/pm_nope/next_debit",
                          {"outcome": "no_account"}))["code"] == "resource_missing"
    assert api.post(path, {"outcome": "insufficient_funds"}).json()["id"] == pm["id"]
    first = debit(api, pm["id"], cus).json()
    api.post(path, {"outcome": "disputed"})  # decided when the debit was sent: this one is for the next debit
    advance(api, SETTLES)
    failed = get(api, f"/v1/payment_intents/{first['id']}")
    assert (failed["status"], failed["last_payment_error"]["code"]) == ("requires_payment_method", "insufficient_funds")
    second, third = debit(api, pm["id"], cus).json(), debit(api, pm["id"], cus).json()
    advance(api, SETTLES)
    for sent, disputed in ((second, True), (third, False)):  # the bank's word is used once
        settled = get(api, f"/v1/payment_intents/{sent['id']}?expand[]=latest_charge")
        assert (settled["status"], settled["latest_charge"]["disputed"]) == ("succeeded", disputed), settled
    api.post(path, {"outcome": "account_closed"})
    third = debit(api, pm["id"], cus).json()
    advance(api, SETTLES)
    assert get(api, f"/v1/payment_intents/{third['id']}")["last_payment_error"]["code"] == "account_closed"
    blocked = get(api, f"/v1/payment_methods/{pm['id']}")["us_bank_account"]["status_details"]
    assert blocked == {"blocked": {"network_code": "R02", "reason": "bank_account_closed"}}
    assert error(debit(api, pm["id"], cus))["code"] == "payment_method_bank_account_blocked"
    # the block is the refusal, also where no mandate was given (the block made the PaymentMethod's mandates inactive)
    unmandated = error(api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd", "customer": cus,
                                                       "payment_method": pm["id"], "off_session": "true",
                                                       "confirm": "true"}))
    assert (unmandated["code"], unmandated["param"]) == ("payment_method_bank_account_blocked", "payment_method")


def test_found_by_the_fuzzer_a_returns_block_also_refuses_a_new_setup_of_that_bank_account(api: Api) -> None:
    # the block follows the bank account (its fingerprint), so a SetupIntent made afterwards from the same Financial
    # Connections account cannot be confirmed either (https://docs.stripe.com/payments/ach-direct-debit/
    # blocked-bank-accounts)
    freeze(api)
    cus = customer(api)
    (account,) = linked(api, cus, "Sample Checking Account")
    pm = api.post("/v1/payment_methods", {"type": "us_bank_account",
                                          "us_bank_account[financial_connections_account]": account["id"]}).json()
    api.post(f"/v1/test_helpers/payment_methods/{pm['id']}/next_debit", {"outcome": "account_closed"})
    debit(api, pm["id"], cus)
    advance(api, SETTLES)
    setup = api.post("/v1/setup_intents", [
        ("customer", cus), ("payment_method_data[type]", "us_bank_account"),
        ("payment_method_data[us_bank_account][financial_connections_account]", account["id"])]).json()
    refused = error(api.post(f"/v1/setup_intents/{setup['id']}/confirm", ACCEPTANCE))
    assert refused["code"] == "payment_method_bank_account_blocked"
    assert refused["setup_intent"]["status"] == "requires_payment_method"


def test_a_refused_next_debit_outcome_changes_nothing(api: Api) -> None:
    freeze(api)
    cus = customer(api)
    (account,) = linked(api, cus, "Sample Checking Account")
    pm = api.post("/v1/payment_methods", {"type": "us_bank_account",
                                          "us_bank_account[financial_connections_account]": account["id"]}).json()
    path = f"/v1/test_helpers/payment_methods/{pm['id']}/next_debit"
    for data in ({"outcome": "lost_in_the_mail"}, {}, {"outcome": "account_closed", "extra": "x"}):
        refused = error(api.post(path, data))
        assert refused["type"] == "invalid_request_error" and refused["param"] in ("outcome", "extra"), refused
    sent = debit(api, pm["id"], cus).json()
    advance(api, SETTLES)
    assert get(api, f"/v1/payment_intents/{sent['id']}")["status"] == "succeeded"  # no outcome was set
