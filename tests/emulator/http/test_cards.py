"""Cards as generic payment methods (issue 21) with the generic surface on (`--surface all`, the default): Stripe's
card test ids (https://docs.stripe.com/testing: `pm_card_visa`, `tok_visa`), card PaymentMethods and tokens, a
customer's card sources, card SetupIntents; and, with `--surface emulated`, every card refused as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulator.settings import Settings
from harness.contract.recorder import ContractRecorder
from tests.conftest import Api, api_on, restore_after_reset

MANDATE = {"mandate_data[customer_acceptance][type]": "offline"}


@pytest.fixture(params=["all", "emulated"])
def surfaces(request: pytest.FixtureRequest, stripe_contract: ContractRecorder | None) -> Iterator[Api]:
    with api_on(Settings(seed=7, surface=request.param), stripe_contract, f"sk_test_cards_{request.param}") as api:
        yield api


@pytest.fixture
def api(stripe_contract: ContractRecorder | None) -> Iterator[Api]:
    with api_on(Settings(seed=7), stripe_contract, "sk_test_cards") as api:  # the default surface: all
        yield api


def ok(response: Any) -> dict[str, Any]:
    assert response.status == 200, response.body
    found: dict[str, Any] = response.json()
    return found


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, response.body
    found: dict[str, Any] = response.json()["error"]
    return found


def customer(api: Api, **data: str) -> str:
    return str(ok(api.post("/v1/customers", data))["id"])


def event_types(api: Api) -> list[str]:
    return [e["type"] for e in reversed(ok(api.get("/v1/events?limit=100"))["data"])]


def test_a_card_test_id_names_a_new_card_payment_method_each_time_it_is_used(api: Api) -> None:
    cus = customer(api)
    first = ok(api.post("/v1/payment_methods/pm_card_visa/attach", {"customer": cus}))
    second = ok(api.post("/v1/payment_methods/pm_card_visa/attach", {"customer": cus}))
    assert first["id"] != second["id"] and first["id"].startswith("pm_") and first["id"] != "pm_card_visa"
    assert first["type"] == "card" and first["customer"] == cus and "us_bank_account" not in first
    card = first["card"]
    assert (card["brand"], card["last4"], card["funding"], card["country"]) == ("visa", "4242", "credit", "US")
    assert card["fingerprint"] == second["card"]["fingerprint"]  # the same card number
    amex = ok(api.post("/v1/payment_methods/pm_card_amex/attach", {"customer": cus}))["card"]
    assert (amex["brand"], amex["last4"]) == ("amex", "0005")  # 378282246310005
    debit = ok(api.post("/v1/payment_methods/pm_card_visa_debit/attach", {"customer": cus}))["card"]
    assert (debit["last4"], debit["funding"]) == ("5556", "debit")  # 4000056655665556
    assert event_types(api).count("payment_method.attached") == 4
    cards = ok(api.get(f"/v1/customers/{cus}/payment_methods?type=card"))["data"]
    assert len(cards) == 4 and ok(api.get(f"/v1/customers/{cus}/payment_methods?type=us_bank_account"))["data"] == []
    missing = error(api.post("/v1/payment_methods/pm_card_nosuchcard/attach", {"customer": cus}), 404)
    assert missing["code"] == "resource_missing"


def test_a_customer_made_with_a_test_card_has_it_as_its_default(api: Api) -> None:
    # the Stripe CLI's customer.subscription.created fixture: the same test id twice in one request
    made = ok(api.post("/v1/customers", {"payment_method": "pm_card_visa",
                                         "invoice_settings[default_payment_method]": "pm_card_visa"}))
    default = made["invoice_settings"]["default_payment_method"]
    assert default.startswith("pm_") and default != "pm_card_visa"
    attached = ok(api.get(f"/v1/customers/{made['id']}/payment_methods"))["data"]
    assert [pm["id"] for pm in attached] == [default]


def test_a_card_payment_method_from_details_checks_the_number(api: Api) -> None:
    bad = error(api.post("/v1/payment_methods", {"type": "card", "card[number]": "4242424242424241",
                                                 "card[exp_month]": "7", "card[exp_year]": "30"}), 402)
    assert (bad["type"], bad["code"], bad["param"]) == ("card_error", "incorrect_number", "card[number]")
    assert ok(api.get("/v1/payment_methods?type=card"))["data"] == []  # nothing was made
    made = ok(api.post("/v1/payment_methods", {"type": "card", "card[number]": "5555555555554444",
                                               "card[exp_month]": "7", "card[exp_year]": "30", "card[cvc]": "123",
                                               "billing_details[name]": "Jenny Rosen"}))
    card = made["card"]
    assert (card["brand"], card["last4"], card["exp_month"], card["exp_year"]) == ("mastercard", "4444", 7, 2030)
    assert card["checks"]["cvc_check"] == "pass" and made["billing_details"]["name"] == "Jenny Rosen"
    assert made["customer"] is None
    updated = ok(api.post(f"/v1/payment_methods/{made['id']}", {"card[exp_year]": "2031",
                                                                "metadata[foo]": "bar"}))
    assert updated["card"]["exp_year"] == 2031 and updated["metadata"] == {"foo": "bar"}


def test_a_card_token_makes_one_payment_method_or_source(api: Api) -> None:
    token = ok(api.post("/v1/tokens", {"card[number]": "4242424242424242", "card[exp_month]": "12",
                                       "card[exp_year]": "2030", "card[cvc]": "123", "card[name]": "Jenny Rosen"}))
    assert token["id"].startswith("tok_") and token["type"] == "card" and token["used"] is False
    assert (token["card"]["object"], token["card"]["brand"], token["card"]["last4"]) == ("card", "Visa", "4242")
    pm = ok(api.post("/v1/payment_methods", {"type": "card", "card[token]": token["id"]}))
    assert pm["card"]["last4"] == "4242" and pm["card"]["exp_year"] == 2030
    assert ok(api.get(f"/v1/tokens/{token['id']}"))["used"] is True
    again = error(api.post("/v1/payment_methods", {"type": "card", "card[token]": token["id"]}), 400)
    assert (again["code"], again["param"]) == ("token_already_used", "card[token]")


def test_a_customers_card_sources(api: Api) -> None:
    made = ok(api.post("/v1/customers", {"source": "tok_visa"}))
    first = made["default_source"]
    assert first.startswith("card_")
    sources = f"/v1/customers/{made['id']}/sources"
    card = ok(api.get(f"{sources}/{first}"))
    assert (card["object"], card["brand"], card["last4"], card["customer"]) == ("card", "Visa", "4242", made["id"])
    second = ok(api.post(sources, {"source": "tok_mastercard", "metadata[kind]": "backup"}))
    assert second["brand"] == "MasterCard" and second["metadata"] == {"kind": "backup"}
    assert ok(api.get(f"/v1/customers/{made['id']}"))["default_source"] == first  # an added card is no default
    listed = ok(api.get(sources))
    assert [c["id"] for c in listed["data"]] == [second["id"], first] and listed["url"] == sources
    renamed = ok(api.post(f"{sources}/{second['id']}", {"name": "Jenny Rosen", "exp_month": "3",
                                                        "exp_year": "2031"}))
    assert (renamed["name"], renamed["exp_month"], renamed["exp_year"]) == ("Jenny Rosen", 3, 2031)
    # `source` on an update adds the card, makes it the default and deletes the previous default (Stripe's rule)
    replaced = ok(api.post(f"/v1/customers/{made['id']}", {"source": "tok_amex"}))
    third = replaced["default_source"]
    assert third not in (first, second["id"])
    assert error(api.get(f"{sources}/{first}"), 404)["code"] == "resource_missing"
    chosen = ok(api.post(f"/v1/customers/{made['id']}", {"default_source": second["id"]}))
    assert chosen["default_source"] == second["id"]
    deleted = ok(api.delete(f"{sources}/{second['id']}"))
    assert deleted == {"id": second["id"], "object": "card", "deleted": True}
    assert ok(api.get(f"/v1/customers/{made['id']}"))["default_source"] == third  # the next newest card
    other = customer(api)
    assert error(api.get(f"/v1/customers/{other}/sources/{third}"), 404)["code"] == "resource_missing"
    types = event_types(api)
    assert types.count("customer.source.created") == 3 and types.count("customer.source.deleted") == 2
    assert types.count("customer.source.updated") == 1
    assert types.index("customer.created") < types.index("customer.source.created")


def test_a_customers_default_source_and_test_clock_expand(api: Api) -> None:
    # Stripe's customer: `default_source` and `test_clock` are expandable (null stays null)
    made = ok(api.post("/v1/customers", {"source": "tok_visa"}))
    found = ok(api.get(f"/v1/customers/{made['id']}?expand[]=default_source&expand[]=test_clock"))
    assert (found["default_source"]["object"], found["default_source"]["id"], found["default_source"]["last4"]) == (
        "card", made["default_source"], "4242")
    assert found["test_clock"] is None
    banked = ok(api.post("/v1/customers", {"source": "btok_us_verified"}))
    listed = ok(api.get("/v1/customers?limit=2&expand[]=data.default_source"))
    by_id = {item["id"]: item["default_source"] for item in listed["data"]}
    assert by_id[banked["id"]]["object"] == "bank_account" and by_id[made["id"]]["object"] == "card"


def test_a_card_setup_intent_succeeds_at_once_with_no_mandate(api: Api) -> None:
    cus = customer(api)
    si = ok(api.post("/v1/setup_intents", {"customer": cus, "payment_method": "pm_card_visa", "confirm": "true"}))
    assert si["status"] == "succeeded" and si["mandate"] is None and si["payment_method_types"] == ["card"]
    pm = ok(api.get(f"/v1/payment_methods/{si['payment_method']}"))
    assert pm["type"] == "card" and pm["customer"] == cus
    assert ["setup_intent.created", "payment_method.attached", "setup_intent.succeeded"] == [
        t for t in event_types(api) if t.startswith(("setup_intent", "payment_method"))]
    old = {"Stripe-Version": "2026-07-29.dahlia"}  # `payment_method_types` is taken before 2026-09-30.endive
    typed = ok(api.post("/v1/setup_intents", {"payment_method_types[0]": "card"}, headers=old))
    assert typed["payment_method_types"] == ["card"]
    bank_only = ok(api.post("/v1/setup_intents", {"allowed_payment_method_types[0]": "us_bank_account"}))
    refused = error(api.post(f"/v1/setup_intents/{bank_only['id']}/confirm", {"payment_method": "pm_card_visa",
                                                                            **MANDATE}), 400)
    assert refused["param"] == "payment_method" and "card" in refused["message"]


def test_a_card_payment_intent_succeeds_at_once_with_no_mandate(api: Api) -> None:
    cus = customer(api)
    pi = ok(api.post("/v1/payment_intents", {"amount": "1500", "currency": "usd", "customer": cus,
                                              "payment_method": "pm_card_visa", "confirm": "true",
                                              "setup_future_usage": "off_session"}))
    assert (pi["status"], pi["amount_received"], pi["payment_method_types"]) == ("succeeded", 1500, ["card"])
    assert pi["last_payment_error"] is None and pi["next_action"] is None
    charge = ok(api.get(f"/v1/charges/{pi['latest_charge']}"))
    assert (charge["status"], charge["paid"], charge["captured"], charge["amount"]) == ("succeeded", True, True, 1500)
    details = charge["payment_method_details"]
    assert details["type"] == "card" and "us_bank_account" not in details
    assert (details["card"]["brand"], details["card"]["last4"]) == ("visa", "4242")
    assert charge["payment_method"] == pi["payment_method"]
    assert ok(api.get(f"/v1/payment_methods/{pi['payment_method']}"))["customer"] == cus  # saved for later
    assert event_types(api)[-4:] == ["payment_intent.created", "payment_method.attached", "charge.succeeded",
                                     "payment_intent.succeeded"]
    later = ok(api.post("/v1/payment_intents", {"amount": "700", "currency": "usd", "customer": cus,
                                                 "payment_method": pi["payment_method"], "off_session": "true",
                                                 "confirm": "true"}))
    assert later["status"] == "succeeded"  # the saved card pays off-session, no mandate asked for
    refund = ok(api.post("/v1/refunds", {"payment_intent": later["id"]}))
    assert (refund["status"], refund["amount"], refund["destination_details"]["type"]) == ("succeeded", 700, "card")
    assert ok(api.get(f"/v1/charges/{later['latest_charge']}"))["refunded"] is True


@pytest.mark.parametrize(("test_id", "code", "decline_code", "message"), [
    # https://docs.stripe.com/testing#declined-payments
    ("pm_card_chargeDeclined", "card_declined", "generic_decline", "Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds",
     "Your card has insufficient funds."),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", None, "Your card has expired."),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", None, "Your card's security code is incorrect."),
    ("pm_card_visa_chargeDeclinedLostCard", "card_declined", "lost_card", "Your card was declined."),
    ("pm_card_visa_chargeDeclinedVelocityLimitExceeded", "card_declined", "card_velocity_exceeded",
     "Your card was declined for making repeated attempts too frequently or exceeding its amount limit."),
])
def test_a_declining_test_card_is_declined_as_stripes_is(api: Api, test_id: str, code: str,
                                                         decline_code: str | None, message: str) -> None:
    created = ok(api.post("/v1/payment_intents", {"amount": "2000", "currency": "usd"}))
    response = api.post(f"/v1/payment_intents/{created['id']}/confirm", {"payment_method": test_id})
    declined = error(response, 402)
    assert (declined["type"], declined["code"], declined["message"]) == ("card_error", code, message)
    assert declined.get("decline_code") == decline_code
    intent = declined["payment_intent"]
    assert (intent["id"], intent["status"], intent["payment_method"]) == (created["id"], "requires_payment_method",
                                                                          None)
    last = intent["last_payment_error"]
    assert (last["type"], last["code"], last.get("decline_code")) == ("card_error", code, decline_code)
    assert last["payment_method"]["type"] == "card" and last["charge"] == declined["charge"]
    charge = ok(api.get(f"/v1/charges/{declined['charge']}"))
    assert (charge["status"], charge["paid"], charge["failure_code"]) == ("failed", False, code)
    assert charge["outcome"]["reason"] == (decline_code or code)
    assert event_types(api)[-2:] == ["charge.failed", "payment_intent.payment_failed"]
    retried = ok(api.post(f"/v1/payment_intents/{created['id']}/confirm", {"payment_method": "pm_card_visa"}))
    assert (retried["status"], retried["last_payment_error"]) == ("succeeded", None)


def test_a_card_that_attaches_but_fails_to_charge(api: Api) -> None:
    """Stripe's 4000000000000341: attaching it succeeds, charging it fails; a card from its number does the same."""
    cus = customer(api)
    attached = ok(api.post("/v1/payment_methods/pm_card_chargeCustomerFail/attach", {"customer": cus}))
    declined = error(api.post("/v1/payment_intents", {"amount": "900", "currency": "usd", "customer": cus,
                                                       "payment_method": attached["id"], "confirm": "true"}), 402)
    assert (declined["code"], declined["decline_code"]) == ("card_declined", "generic_decline")
    made = ok(api.post("/v1/payment_methods", {"type": "card", "card[number]": "4000000000009995",
                                               "card[exp_month]": "12", "card[exp_year]": "2030"}))
    by_number = error(api.post("/v1/payment_intents", {"amount": "900", "currency": "usd",
                                                        "payment_method": made["id"], "confirm": "true"}), 402)
    assert by_number["decline_code"] == "insufficient_funds"
    setup = ok(api.post("/v1/setup_intents", {"payment_method": "pm_card_chargeDeclined", "confirm": "true"}))
    assert setup["status"] == "succeeded"  # a setup is never declined here (module docstring of cards.py)


def held(api: Api, amount: str = "3000", **extra: str) -> dict[str, Any]:
    return ok(api.post("/v1/payment_intents", {"amount": amount, "currency": "usd", "payment_method": "pm_card_visa",
                                               "capture_method": "manual", "confirm": "true", **extra}))


def test_a_held_card_payment_is_captured_later_whole_or_in_part(api: Api) -> None:
    pi = held(api)
    assert (pi["status"], pi["amount_capturable"], pi["amount_received"]) == ("requires_capture", 3000, 0)
    charge = ok(api.get(f"/v1/charges/{pi['latest_charge']}"))
    assert (charge["status"], charge["captured"], charge["amount_captured"], charge["paid"]) == (
        "succeeded", False, 0, True)
    assert event_types(api)[-2:] == ["charge.succeeded", "payment_intent.amount_capturable_updated"]
    refused = error(api.post("/v1/refunds", {"payment_intent": pi["id"]}), 400)
    assert refused["code"] == "charge_not_refundable"  # a hold is released by cancelling, not refunded
    too_much = error(api.post(f"/v1/payment_intents/{pi['id']}/capture", {"amount_to_capture": "3001"}), 400)
    assert (too_much["code"], too_much["param"]) == ("amount_too_large", "amount_to_capture")
    captured = ok(api.post(f"/v1/payment_intents/{pi['id']}/capture", {"amount_to_capture": "2500"}))
    assert (captured["status"], captured["amount_received"], captured["amount_capturable"]) == ("succeeded", 2500, 0)
    charge = ok(api.get(f"/v1/charges/{pi['latest_charge']}"))
    assert (charge["captured"], charge["amount_captured"], charge["amount_refunded"]) == (True, 2500, 500)
    assert event_types(api)[-2:] == ["charge.captured", "payment_intent.succeeded"]
    again = error(api.post(f"/v1/payment_intents/{pi['id']}/capture", {}), 400)
    assert again["code"] == "payment_intent_unexpected_state"
    refund = ok(api.post("/v1/refunds", {"payment_intent": pi["id"]}))
    assert refund["amount"] == 2500  # what was captured
    whole = held(api, "1200")
    assert ok(api.post(f"/v1/payment_intents/{whole['id']}/capture", {}))["amount_received"] == 1200


def test_cancelling_a_held_card_payment_releases_it(api: Api) -> None:
    pi = held(api)
    canceled = ok(api.post(f"/v1/payment_intents/{pi['id']}/cancel", {}))
    assert (canceled["status"], canceled["amount_capturable"]) == ("canceled", 0)
    charge = ok(api.get(f"/v1/charges/{pi['latest_charge']}"))
    assert (charge["captured"], charge["refunded"], charge["amount_refunded"]) == (False, True, 3000)
    declined = error(api.post("/v1/payment_intents", {"amount": "3000", "currency": "usd", "confirm": "true",
                                                       "payment_method": "pm_card_chargeDeclined",
                                                       "capture_method": "manual"}), 402)
    assert declined["payment_intent"]["status"] == "requires_payment_method"  # a declined hold holds nothing


def test_a_bank_debit_cannot_be_held_for_capture(api: Api) -> None:
    cus = customer(api)
    refused = error(api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd", "customer": cus,
                                                      "payment_method": "pm_usBankAccount_success", "confirm": "true",
                                                      "capture_method": "manual", **MANDATE}), 400)
    assert refused["param"] == "capture_method"
    assert ok(api.get("/v1/payment_intents"))["data"] == []  # refused before anything was made


def test_a_payment_intents_types_bound_its_payment_method(api: Api) -> None:
    bank_only = ok(api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd",
                                                     "allowed_payment_method_types[0]": "us_bank_account"}))
    refused = error(api.post(f"/v1/payment_intents/{bank_only['id']}/confirm",
                             {"payment_method": "pm_card_visa"}), 400)
    assert refused["param"] == "payment_method"
    assert ok(api.get(f"/v1/payment_intents/{bank_only['id']}"))["status"] == "requires_payment_method"
    cards_only = ok(api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd",
                                                      "allowed_payment_method_types[0]": "card"}))
    assert cards_only["payment_method_types"] == ["card"]
    card = ok(api.post("/v1/payment_methods", {"type": "card", "card[number]": "4242424242424242"}))
    helper = error(api.post(f"/v1/test_helpers/payment_methods/{card['id']}/next_debit",
                            {"outcome": "insufficient_funds"}), 400)
    assert helper["param"] == "payment_method"  # the next-debit helper is for bank debits


def test_the_emulated_surface_takes_no_card_payments(surfaces: Api) -> None:
    api = surfaces
    response = api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd",
                                                 "payment_method": "pm_card_visa", "confirm": "true"})
    types = api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd",
                                             "allowed_payment_method_types[0]": "card"})
    manual = api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd", "capture_method": "manual"})
    if api.key.endswith("_all"):
        assert ok(response)["status"] == "succeeded" and types.status == 200 and manual.status == 200
        return
    assert error(manual, 400)["param"] == "capture_method"  # no card, so nothing to hold
    assert error(response, 404)["code"] == "resource_missing"  # no test id names a card here
    refused = error(types, 400)
    assert (refused["code"], refused["param"]) == ("payment_method_unactivated", "allowed_payment_method_types[0]")
    assert ok(api.get("/v1/payment_intents"))["data"] == []


def bank_token(api: Api, number: str = "000123456789") -> str:
    return str(ok(api.post("/v1/tokens", {"bank_account[country]": "US", "bank_account[currency]": "usd",
                                          "bank_account[routing_number]": "110000000",
                                          "bank_account[account_number]": number,
                                          "bank_account[account_holder_name]": "Jenny Rosen",
                                          "bank_account[account_holder_type]": "individual"}))["id"])


def test_a_customers_bank_account_source_is_verified_by_its_microdeposits(api: Api) -> None:
    token = bank_token(api)
    cus = ok(api.post("/v1/customers", {"source": token}))
    account = ok(api.get(f"/v1/customers/{cus['id']}/sources/{cus['default_source']}"))
    assert (account["object"], account["status"], account["last4"], account["customer"]) == (
        "bank_account", "new", "6789", cus["id"])
    assert account["id"].startswith("ba_") and account["routing_number"] == "110000000"
    again = error(api.post("/v1/customers", {"source": token}), 400)
    assert (again["code"], again["param"]) == ("token_already_used", "source")
    path = f"/v1/customers/{cus['id']}/sources/{account['id']}/verify"
    wrong = error(api.post(path, {"amounts[0]": "10", "amounts[1]": "20"}), 400)
    assert wrong["param"] == "amounts"
    assert ok(api.get(f"/v1/customers/{cus['id']}/sources/{account['id']}"))["status"] == "new"
    verified = ok(api.post(path, {"amounts[0]": "45", "amounts[1]": "32"}))
    assert verified["status"] == "verified"
    updated = [e for e in ok(api.get("/v1/events?type=customer.source.updated"))["data"]]
    assert updated[0]["data"]["previous_attributes"] == {"status": "new"}
    assert updated[0]["data"]["object"]["status"] == "verified"
    assert error(api.post(path, {"amounts[0]": "32", "amounts[1]": "45"}), 400)["type"] == "invalid_request_error"


def test_ten_wrong_amounts_end_a_bank_accounts_verification(api: Api) -> None:
    cus = customer(api)
    account = ok(api.post(f"/v1/customers/{cus}/sources", {"source": bank_token(api)}))
    path = f"/v1/customers/{cus}/sources/{account['id']}/verify"
    for _ in range(9):
        error(api.post(path, {"amounts[0]": "1", "amounts[1]": "2"}), 400)
    assert ok(api.get(f"/v1/customers/{cus}/sources/{account['id']}"))["status"] == "new"
    ended = api.post(path, {"amounts[0]": "1", "amounts[1]": "2"})
    assert ended.status == 400 and ended.json()["error"]["code"].endswith("attempts_exceeded")
    assert ok(api.get(f"/v1/customers/{cus}/sources/{account['id']}"))["status"] == "verification_failed"
    error(api.post(path, {"amounts[0]": "32", "amounts[1]": "45"}), 400)  # too late
    assert ok(api.get(f"/v1/customers/{cus}/sources/{account['id']}"))["status"] == "verification_failed"


@pytest.mark.parametrize(("token", "last4"), [("btok_us_verified", "6789"),
                                              ("btok_us_verified_accountClosed", "1113"),
                                              ("btok_us_verified_insufficientFunds", "2227")])
def test_stripes_verified_bank_test_tokens_are_new_verified_accounts(api: Api, token: str, last4: str) -> None:
    cus = customer(api)
    first = ok(api.post(f"/v1/customers/{cus}/sources", {"source": token}))
    second = ok(api.post(f"/v1/customers/{cus}/sources", {"source": token}))
    assert first["id"] != second["id"] and first["fingerprint"] == second["fingerprint"]
    assert (first["object"], first["status"], first["last4"]) == ("bank_account", "verified", last4)


def test_a_customers_sources_are_listed_newest_first_across_cards_and_bank_accounts(api: Api) -> None:
    cus = ok(api.post("/v1/customers", {"source": "btok_us_verified"}))
    card = ok(api.post(f"/v1/customers/{cus['id']}/sources", {"source": "tok_visa"}))
    bank = ok(api.post(f"/v1/customers/{cus['id']}/sources", {"source": bank_token(api, "000222222227")}))
    listed = ok(api.get(f"/v1/customers/{cus['id']}/sources"))["data"]
    assert [s["id"] for s in listed] == [bank["id"], card["id"], cus["default_source"]]
    banks = ok(api.get(f"/v1/customers/{cus['id']}/sources?object=bank_account"))["data"]
    assert [s["id"] for s in banks] == [bank["id"], cus["default_source"]]
    assert [s["id"] for s in ok(api.get(f"/v1/customers/{cus['id']}/sources?object=card"))["data"]] == [card["id"]]
    after = ok(api.get(f"/v1/customers/{cus['id']}/sources?limit=1&starting_after={bank['id']}"))
    assert [s["id"] for s in after["data"]] == [card["id"]] and after["has_more"] is True
    refused = error(api.post(f"/v1/customers/{cus['id']}/sources/{bank['id']}",
                             {"account_holder_name": "Kamil", "account_holder_type": "nobody"}), 400)
    assert refused["param"] == "account_holder_type"
    changed = ok(api.post(f"/v1/customers/{cus['id']}/sources/{bank['id']}",
                          {"account_holder_name": "Kamil", "metadata[order_id]": "6735"}))
    assert (changed["account_holder_name"], changed["metadata"]) == ("Kamil", {"order_id": "6735"})
    deleted = ok(api.delete(f"/v1/customers/{cus['id']}/sources/{cus['default_source']}"))
    assert deleted == {"id": cus["default_source"], "object": "bank_account", "deleted": True}
    assert ok(api.get(f"/v1/customers/{cus['id']}"))["default_source"] == bank["id"]  # the newest other source
    card_verify = error(api.post(f"/v1/customers/{cus['id']}/sources/{card['id']}/verify",
                                 {"amounts[0]": "32", "amounts[1]": "45"}), 400)
    assert card_verify["type"] == "invalid_request_error"


def test_the_dashboard_offers_no_failed_debit_for_a_card(api: Api) -> None:
    card = ok(api.post("/v1/payment_methods", {"type": "card", "card[number]": "4242424242424242"}))
    bank = ok(api.post("/v1/payment_methods", {"type": "us_bank_account", "us_bank_account[routing_number]":
                                               "110000000", "us_bank_account[account_number]": "000123456789"}))
    page = api.caller.request("GET", f"/_emulator/dashboard?key={api.key}")
    html = page.body.decode()
    assert page.status == 200 and card["id"] in html and bank["id"] in html
    assert f"data-target='{bank['id']}'" in html or f'data-target="{bank["id"]}"' in html
    assert f"data-target='{card['id']}'" not in html and f'data-target="{card["id"]}"' not in html


def test_the_emulated_surface_refuses_every_card(surfaces: Api) -> None:
    api = surfaces
    generic = api.key.endswith("_all")
    cus = customer(api)
    attach = api.post("/v1/payment_methods/pm_card_visa/attach", {"customer": cus})
    source = api.post("/v1/customers", {"source": "tok_visa"})
    made = api.post("/v1/payment_methods", {"type": "card", "card[number]": "4242424242424242",
                                            "card[exp_month]": "12", "card[exp_year]": "2030"})
    token = api.post("/v1/tokens", {"card[number]": "4242424242424242", "card[exp_month]": "12",
                                    "card[exp_year]": "2030"})
    sources = api.get(f"/v1/customers/{cus}/sources")
    bank = api.post("/v1/customers", {"source": "btok_us_verified"})
    if generic:
        assert [r.status for r in (attach, source, made, token, sources, bank)] == [200] * 6
        return
    assert error(bank, 404)["param"] == "source"  # no test token names a bank account here
    assert error(attach, 404)["code"] == "resource_missing"  # no test id names a card here: an unknown id
    for response, param in ((source, "source"), (made, "type"), (token, "card")):
        refused = error(response, 400)
        assert (refused["code"], refused["param"]) == ("payment_method_unactivated", param)
    assert error(sources, 404)["type"] == "invalid_request_error"  # Stripe's unrecognized URL, as before
    assert ok(api.get("/v1/payment_methods"))["data"] == []


def test_cards_and_their_events_survive_a_snapshot(api: Api) -> None:
    made = ok(api.post("/v1/customers", {"source": "tok_visa", "payment_method": "pm_card_mastercard"}))
    token = ok(api.post("/v1/tokens", {"card[number]": "4242424242424242", "card[exp_month]": "1",
                                       "card[exp_year]": "2031"}))
    before = {path: ok(api.get(path)) for path in (
        f"/v1/customers/{made['id']}", f"/v1/customers/{made['id']}/sources", f"/v1/tokens/{token['id']}",
        f"/v1/customers/{made['id']}/payment_methods", "/v1/events?limit=100")}
    restore_after_reset(api, f"/v1/customers/{made['id']}")
    assert {path: ok(api.get(path)) for path in before} == before
    # the restored token is still usable once, the restored card still the default
    ok(api.post("/v1/payment_methods", {"type": "card", "card[token]": token["id"]}))
    assert ok(api.get(f"/v1/customers/{made['id']}"))["default_source"] == made["default_source"]
