"""Bank-account tokens over HTTP (`POST /v1/tokens`, the payout path of the source document §5), branch by branch:
from a PaymentMethod (alone, attached with its customer, once if unattached, never when blocked) or from account
and routing numbers (Stripe's test routing number 110000000) — each refusal with its code, param and message."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.emulator.http.test_fc_sessions import HELPERS, PREVIEW, customer, error, linked, session
from tests.emulator.http.test_payment_methods import unattached_pm
from tests.emulator.http.test_payments import fc_data

MANUAL = {"bank_account[account_number]": "000123456789", "bank_account[routing_number]": "110000000",
          "bank_account[country]": "US", "bank_account[currency]": "usd"}


def test_a_token_from_account_and_routing_numbers(api: Api) -> None:
    made = api.post("/v1/tokens", {**MANUAL, "bank_account[account_holder_name]": "Jenny Rosen",
                                   "bank_account[account_holder_type]": "individual",
                                   "bank_account[account_type]": "savings"}).json()
    assert made["id"].startswith("btok_") and (made["object"], made["type"], made["used"], made["livemode"],
                                               made["client_ip"]) == ("token", "bank_account", False, False, None)
    bank = made["bank_account"]
    assert bank["id"].startswith("ba_")
    assert {k: v for k, v in bank.items() if k not in ("id", "fingerprint")} == {
        "object": "bank_account", "account_holder_name": "Jenny Rosen", "account_holder_type": "individual",
        "account_type": "savings", "bank_name": "STRIPE TEST BANK", "country": "US", "currency": "usd",
        "last4": "6789", "routing_number": "110000000", "status": "new"}
    same = api.post("/v1/tokens", MANUAL).json()["bank_account"]
    assert same["fingerprint"] == bank["fingerprint"]  # one fingerprint per bank account
    other = api.post("/v1/tokens", {**MANUAL, "bank_account[account_number]": "000111111116"}).json()
    assert other["bank_account"]["fingerprint"] != bank["fingerprint"]
    assert (same["account_holder_name"], same["account_holder_type"], same["account_type"]) == (None, None, None)
    assert api.get(f"/v1/tokens/{made['id']}").json() == made


def test_account_and_routing_number_refusals(api: Api) -> None:
    for key in ("account_number", "country", "currency"):
        data = {k: v for k, v in MANUAL.items() if k != f"bank_account[{key}]"}
        missing = error(api.post("/v1/tokens", data))
        assert (missing["code"], missing["param"]) == ("parameter_missing", f"bank_account[{key}]"), key
    nothing = error(api.post("/v1/tokens", {}))
    assert (nothing["code"], nothing["param"]) == ("parameter_missing", "bank_account")
    for changed in ({"bank_account[country]": "CA"}, {"bank_account[currency]": "cad"}):
        foreign = error(api.post("/v1/tokens", {**MANUAL, **changed}))
        assert (foreign["param"], foreign["message"]) == ("bank_account[country]",
                                                          "The emulator's bank accounts are US accounts in usd.")
    lower = api.post("/v1/tokens", {**MANUAL, "bank_account[country]": "us", "bank_account[currency]": "USD"})
    assert lower.status == 200  # country and currency are not case-sensitive
    for routing in ("11000000", "11000000x"):
        bad = error(api.post("/v1/tokens", {**MANUAL, "bank_account[routing_number]": routing}))
        assert (bad["param"], bad["message"]) == ("bank_account[routing_number]", "Routing number must have 9 digits")
    no_routing = error(api.post("/v1/tokens", {k: v for k, v in MANUAL.items() if "routing" not in k}))
    assert no_routing["param"] == "bank_account[routing_number]"
    for number in ("123", "00012345678x"):
        bad = error(api.post("/v1/tokens", {**MANUAL, "bank_account[account_number]": number}))
        assert (bad["code"], bad["param"], bad["message"]) == ("account_number_invalid",
                                                               "bank_account[account_number]", "Invalid account number")
    assert api.post("/v1/tokens", {**MANUAL, "bank_account[account_number]": "1234"}).status == 200
    assert api.post("/v1/tokens", {**MANUAL, "bank_account[account_number]": "1" * 17}).status == 200
    unknown = error(api.post("/v1/tokens", {**MANUAL, "customer": "cus_nope"}))
    assert (unknown["code"], unknown["param"]) == ("resource_missing", "customer")


def test_a_token_from_a_payment_method(api: Api) -> None:
    cus = customer(api)
    pm = unattached_pm(api, cus)
    made = api.post("/v1/tokens", {"bank_account[payment_method]": pm}).json()
    bank = made["bank_account"]
    rendered_pm = api.get(f"/v1/payment_methods/{pm}").json()
    assert (bank["last4"], bank["routing_number"], bank["bank_name"], bank["fingerprint"], bank["status"]) == (
        "6789", rendered_pm["us_bank_account"]["routing_number"], rendered_pm["us_bank_account"]["bank_name"],
        rendered_pm["us_bank_account"]["fingerprint"], "new")
    assert (bank["account_holder_type"], bank["account_type"]) == ("individual", "checking")
    again = error(api.post("/v1/tokens", {"bank_account[payment_method]": pm}))
    assert (again["code"], again["param"], again["message"]) == (
        "payment_method_unexpected_state", "bank_account[payment_method]",
        f"The PaymentMethod {pm} was already used to create a token and cannot be used again.")
    mixed = error(api.post("/v1/tokens", {"bank_account[payment_method]": pm, "bank_account[currency]": "usd"}))
    assert (mixed["code"], mixed["param"], mixed["message"]) == (
        "parameters_exclusive", "bank_account[currency]",
        "You may only specify one of these parameters: bank_account[payment_method], bank_account[currency].")
    unknown = error(api.post("/v1/tokens", {"bank_account[payment_method]": "pm_nope"}))
    assert (unknown["code"], unknown["param"], unknown["message"]) == (
        "resource_missing", "bank_account[payment_method]", "No such PaymentMethod: 'pm_nope'")


def test_an_attached_payment_method_needs_its_customer_and_can_be_used_again(api: Api) -> None:
    cus = customer(api)
    other = customer(api)
    pm = unattached_pm(api, cus)
    api.post(f"/v1/payment_methods/{pm}/attach", {"customer": cus})
    alone = error(api.post("/v1/tokens", {"bank_account[payment_method]": pm}))
    assert (alone["code"], alone["param"], alone["message"]) == (
        "parameter_missing", "customer", f"The PaymentMethod {pm} is attached to customer {cus}: pass `customer` as "
        "well.")
    wrong = error(api.post("/v1/tokens", {"bank_account[payment_method]": pm, "customer": other}))
    assert (wrong["param"], wrong["message"]) == ("customer", f"The PaymentMethod {pm} is attached to another "
                                                              "customer.")
    first = api.post("/v1/tokens", {"bank_account[payment_method]": pm, "customer": cus}).json()
    second = api.post("/v1/tokens", {"bank_account[payment_method]": pm, "customer": cus}).json()
    assert first["id"] != second["id"]  # an attached payment method stays usable
    assert api.get(f"/v1/payment_methods/{pm}").json()["customer"] == cus


def test_a_blocked_payment_method_makes_no_token(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus, institution="Emulator: TAN States")[0]
    si = api.post("/v1/setup_intents", [("flow_directions[]", "outbound"), ("confirm", "true"),
                                        *fc_data(account["id"])]).json()
    api.post(f"{HELPERS}/accounts/{account['id']}/account_numbers/deactivate", {}, headers=PREVIEW)
    blocked = error(api.post("/v1/tokens", {"bank_account[payment_method]": si["payment_method"]}))
    assert (blocked["code"], blocked["param"], blocked["message"]) == (
        "payment_method_bank_account_blocked", "bank_account[payment_method]",
        f"The bank account behind PaymentMethod {si['payment_method']} is blocked.")
    # the refusal did not use the payment method up: the same call is refused the same way, not as "used"
    assert error(api.post("/v1/tokens", {"bank_account[payment_method]": si["payment_method"]}))["code"] == (
        "payment_method_bank_account_blocked")


def test_an_external_account_from_a_tan_follows_the_tans_status(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus, institution="Emulator: TAN States")[0]
    si = api.post("/v1/setup_intents", [("flow_directions[]", "outbound"), ("confirm", "true"),
                                        *fc_data(account["id"])]).json()
    token: dict[str, Any] = api.post("/v1/tokens", {"bank_account[payment_method]": si["payment_method"]}).json()
    connected = api.post("/v1/accounts", {}).json()["id"]
    external = api.post(f"/v1/accounts/{connected}/external_accounts", {"external_account": token["id"]}).json()
    assert (external["status"], external["account"], external["default_for_currency"], external["metadata"]) == (
        "new", connected, True, {})  # the first bank account in usd is the default
    api.post(f"{HELPERS}/accounts/{account['id']}/account_numbers/deactivate", {}, headers=PREVIEW)
    now = api.get(f"/v1/accounts/{connected}/external_accounts/{external['id']}").json()
    assert now["status"] == "tokenized_account_number_deactivated"
    assert api.get(f"/v1/tokens/{token['id']}").json()["bank_account"]["status"] == (
        "tokenized_account_number_deactivated")


def test_a_relink_reissues_the_tan_with_new_digits_and_unblocks_what_was_made_from_it(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus, institution="Emulator: TAN States")[0]
    si = api.post("/v1/setup_intents", [("flow_directions[]", "outbound"), ("confirm", "true"),
                                        *fc_data(account["id"])]).json()
    pm = si["payment_method"]
    before = api.get(f"/v1/payment_methods/{pm}").json()["us_bank_account"]
    api.post(f"{HELPERS}/accounts/{account['id']}/account_numbers/deactivate", {}, headers=PREVIEW)
    blocked = api.get(f"/v1/payment_methods/{pm}").json()["us_bank_account"]
    assert blocked["status_details"] == {"blocked": {"network_code": None,
                                                     "reason": "tokenized_account_number_deactivated"}}
    assert blocked["last4"] == before["last4"]
    relink = session(api, [("permissions[]", "payment_method"), ("relink_options[authorization]",
                                                                 account["authorization"]),
                           ("relink_options[account]", account["id"])]).json()
    done = api.post(f"{HELPERS}/sessions/{relink['id']}/complete", {}, headers=PREVIEW).json()
    assert done["status"] == "succeeded"
    after = api.get(f"/v1/payment_methods/{pm}").json()["us_bank_account"]
    assert after["status_details"] is None and after["fingerprint"] == before["fingerprint"]
    assert len(after["last4"]) == 4 and after["last4"].isdigit() and after["last4"] != before["last4"]
    updated = api.get("/v1/events?type=payment_method.automatically_updated").json()["data"]
    assert [e["data"]["object"]["us_bank_account"]["last4"] for e in updated] == [after["last4"], before["last4"]]


def test_the_events_that_follow_a_tan_change_carry_the_request_that_caused_it(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus, institution="Emulator: TAN States")[0]
    other = linked(api, cus, "TAN Savings (expiring soon)", institution="Emulator: TAN States")[0]
    si = api.post("/v1/setup_intents", [("flow_directions[]", "outbound"), ("confirm", "true"),
                                        *fc_data(account["id"])]).json()
    api.post("/v1/setup_intents", [("flow_directions[]", "outbound"), ("confirm", "true"), *fc_data(other["id"])])
    token = api.post("/v1/tokens", {"bank_account[payment_method]": si["payment_method"]}).json()
    connected = api.post("/v1/accounts", {}).json()["id"]
    external = api.post(f"/v1/accounts/{connected}/external_accounts", {"external_account": token["id"]}).json()
    response = api.post(f"{HELPERS}/accounts/{account['id']}/account_numbers/deactivate", {},
                        headers={**PREVIEW, "Idempotency-Key": "tan-off-1"})
    request_id = response.headers["request-id"]
    followed = {kind: api.get(f"/v1/events?type={kind}").json()["data"]
                for kind in ("payment_method.automatically_updated", "account.external_account.updated")}
    assert [e["data"]["object"]["id"] for e in followed["payment_method.automatically_updated"]] == [
        si["payment_method"]]  # only the payment method made from that account
    assert [e["data"]["object"]["id"] for e in followed["account.external_account.updated"]] == [external["id"]]
    for sent in (*followed["payment_method.automatically_updated"], *followed["account.external_account.updated"]):
        assert sent["request"] == {"id": request_id, "idempotency_key": "tan-off-1"}
        assert sent["api_version"] == PREVIEW["Stripe-Version"]
    blocked = followed["payment_method.automatically_updated"][0]["data"]["object"]["us_bank_account"]
    assert blocked["status_details"] == {"blocked": {"network_code": None,
                                                     "reason": "tokenized_account_number_deactivated"}}
    assert followed["account.external_account.updated"][0]["data"]["object"]["status"] == (
        "tokenized_account_number_deactivated")


def test_payout_objects_survive_a_snapshot_and_restore(api: Api) -> None:
    cus = customer(api)
    pm = unattached_pm(api, cus)
    token = api.post("/v1/tokens", {"bank_account[payment_method]": pm}).json()
    manual = api.post("/v1/tokens", MANUAL).json()
    connected = api.post("/v1/accounts", {"email": "payouts@example.com"}).json()
    external = api.post(f"/v1/accounts/{connected['id']}/external_accounts", {"external_account": token["id"]}).json()
    before = {path: api.get(path).json() for path in (
        f"/v1/tokens/{token['id']}", f"/v1/tokens/{manual['id']}", f"/v1/accounts/{connected['id']}",
        f"/v1/accounts/{connected['id']}/external_accounts/{external['id']}", f"/v1/payment_methods/{pm}")}
    document = api.get("/_emulator/snapshot").body
    api.post("/_emulator/reset")
    assert api.get(f"/v1/tokens/{token['id']}").status == 404
    restored = api.post("/_emulator/restore", body=document)
    assert restored.status == 200, restored.body
    assert {path: api.get(path).json() for path in before} == before


def test_a_token_takes_the_payment_methods_holder_name_and_manual_digits(api: Api) -> None:
    cus = customer(api)
    si = api.post("/v1/setup_intents", [("customer", cus), ("flow_directions[]", "outbound"), ("confirm", "true"),
                                        ("payment_method_data[type]", "us_bank_account"),
                                        ("payment_method_data[billing_details][name]", "Jenny Rosen"),
                                        ("payment_method_data[us_bank_account][account_number]", "000222222227"),
                                        ("payment_method_data[us_bank_account][routing_number]", "110000000"),
                                        ("payment_method_options[us_bank_account][verification_method]",
                                         "microdeposits")]).json()
    pm = si["payment_method"]
    bank = api.post("/v1/tokens", {"bank_account[payment_method]": pm, "customer": cus}).json()["bank_account"]
    assert (bank["account_holder_name"], bank["last4"], bank["routing_number"], bank["bank_name"]) == (
        "Jenny Rosen", "2227", "110000000", "STRIPE TEST BANK")
    assert bank["id"].startswith("ba_")
    too_long = error(api.post("/v1/tokens", {**MANUAL, "bank_account[account_number]": "1" * 18}))
    assert (too_long["param"], too_long["message"]) == (
        "bank_account[account_number]", "Invalid bank_account[account_number]: must be at most 17 characters")
    no_routing = error(api.post("/v1/tokens", {k: v for k, v in MANUAL.items() if "routing" not in k}))
    assert no_routing["message"] == "Routing number must have 9 digits"
