"""Issue 20 behaviour beyond "the parameter is accepted": charge and PaymentIntent search, the preview mandate list,
intent parameters kept and rendered as sent, off_session's kinds, excluded types, account/person/pii/cvc_update
tokens, card external accounts refused as not emulated."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import Api
from tests.emulator.http.test_payment_intents import ACCEPTANCE, SETTLES, advance, debit, freeze

PREVIEW = {"Stripe-Version": "2026-09-30.preview"}


def customer(api: Api, **data: str) -> str:
    return str(api.post("/v1/customers", {"name": "Jenny Rosen", **data}).json()["id"])


def find(api: Api, resource: str, query: str, headers: dict[str, str] | None = None) -> Any:
    return api.get(f"/v1/{resource}/search?" + urlencode({"query": query}), headers=headers)


@pytest.fixture
def debits(api: Api) -> dict[str, Any]:
    freeze(api)
    jenny, john = customer(api), customer(api, email="john@example.com")
    made = {
        "settled": debit(api, "pm_usBankAccount_success", jenny, amount=2500,
                         extra=[("metadata[order]", "A-1")]).json(),
        "returned": debit(api, "pm_usBankAccount_accountClosed", john, amount=700).json(),
    }
    advance(api, SETTLES)
    made["pending"] = debit(api, "pm_usBankAccount_success", john, amount=999).json()
    return {**made, "jenny": jenny, "john": john}


@pytest.mark.parametrize(("query", "expected"), [
    ("status:'succeeded'", ["settled"]),
    ("status:'requires_payment_method'", ["returned"]),
    ("amount>=999", ["pending", "settled"]),
    ("metadata['order']:'A-1'", ["settled"]),
    ("currency:'usd' AND amount<1000", ["pending", "returned"]),
])
def test_payment_intent_search_finds_the_intents_it_describes(api: Api, debits: dict[str, Any], query: str,
                                                              expected: list[str]) -> None:
    answer = find(api, "payment_intents", query)
    assert answer.status == 200, answer.body
    body = answer.json()
    assert body["object"] == "search_result" and body["url"] == "/v1/payment_intents/search"
    assert [pi["id"] for pi in body["data"]] == [debits[name]["id"] for name in expected]


def test_payment_intent_search_by_customer(api: Api, debits: dict[str, Any]) -> None:
    found = find(api, "payment_intents", f"customer:'{debits['john']}'").json()["data"]
    assert [pi["id"] for pi in found] == [debits["pending"]["id"], debits["returned"]["id"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("status:'succeeded'", ["settled"]),
    ("status:'failed'", ["returned"]),
    ("status:'pending'", ["pending"]),
    ("disputed:'false' AND amount>900", ["pending", "settled"]),
    ("refunded:'true'", []),
])
def test_charge_search_finds_the_charges_it_describes(api: Api, debits: dict[str, Any], query: str,
                                                      expected: list[str]) -> None:
    answer = find(api, "charges", query)
    assert answer.status == 200, answer.body
    assert answer.json()["url"] == "/v1/charges/search"
    assert [c["id"] for c in answer.json()["data"]] == [debits[name]["latest_charge"] for name in expected]


def test_charge_search_follows_a_full_refund(api: Api, debits: dict[str, Any]) -> None:
    assert api.post("/v1/refunds", {"payment_intent": debits["settled"]["id"]}).status == 200
    found = find(api, "charges", "refunded:'true'").json()["data"]
    assert [c["id"] for c in found] == [debits["settled"]["latest_charge"]]


@pytest.mark.parametrize(("resource", "query", "code_or_field"), [
    ("charges", "email:'a@example.com'", "email"),  # a customer field, not a charge's
    ("payment_intents", "amount:'1099'", "numeric"),
    ("payment_intents", "", "empty"),
])
def test_a_bad_search_is_a_400_naming_query(api: Api, resource: str, query: str, code_or_field: str) -> None:
    answer = find(api, resource, query)
    assert answer.status == 400, answer.body
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == "query"
    assert code_or_field in error["message"]


def test_the_preview_mandate_list_is_a_payment_methods_mandates_of_one_status(api: Api) -> None:
    freeze(api)
    cus = customer(api)
    setup = api.post("/v1/setup_intents", [("customer", cus), ("payment_method", "pm_usBankAccount_success"),
                                           ("confirm", "true"), *ACCEPTANCE]).json()
    mandate, pm = setup["mandate"], setup["payment_method"]
    assert mandate and pm, setup
    listed = api.get(f"/v1/mandates?payment_method={pm}&status=active", headers=PREVIEW)
    assert listed.status == 200, listed.body
    assert [m["id"] for m in listed.json()["data"]] == [mandate] and listed.json()["url"] == "/v1/mandates"
    assert api.get(f"/v1/mandates?payment_method={pm}&status=inactive", headers=PREVIEW).json()["data"] == []
    missing = api.get("/v1/mandates?status=active", headers=PREVIEW).json()["error"]
    assert (missing["code"], missing["param"]) == ("parameter_missing", "payment_method")
    nobody = api.get("/v1/mandates?payment_method=pm_nothing&status=active", headers=PREVIEW).json()["error"]
    assert (nobody["code"], nobody["param"]) == ("resource_missing", "payment_method")
    # a preview endpoint: GA versions do not have it
    assert api.get(f"/v1/mandates?payment_method={pm}&status=active").status == 404


def test_intent_parameters_without_behaviour_are_kept_and_rendered_as_sent(api: Api) -> None:
    cus = customer(api)
    created = api.post("/v1/payment_intents", [
        ("amount", "2000"), ("currency", "usd"), ("customer", cus), ("application_fee_amount", "123"),
        ("excluded_payment_method_types[]", "card"), ("excluded_payment_method_types[]", "sepa_debit"),
        ("shipping[name]", "Jenny Rosen"), ("shipping[address][line1]", "1 Main St"),
        ("shipping[address][country]", "US"), ("payment_method_configuration", "pmc_123"),
        ("off_session", "recurring")])
    assert created.status == 200, created.body
    pi = created.json()
    assert pi["application_fee_amount"] == 123
    assert pi["excluded_payment_method_types"] == ["card", "sepa_debit"]
    assert pi["shipping"]["name"] == "Jenny Rosen" and pi["shipping"]["address"]["line1"] == "1 Main St"
    assert pi["shipping"]["address"]["city"] is None and pi["shipping"]["carrier"] is None
    assert pi["payment_method_configuration_details"] == {"id": "pmc_123", "parent": None}
    updated = api.post(f"/v1/payment_intents/{pi['id']}", {"application_fee_amount": "5", "shipping": ""}).json()
    assert updated["application_fee_amount"] == 5 and updated["shipping"] is None
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["excluded_payment_method_types"] == ["card", "sepa_debit"]

    setup = api.post("/v1/setup_intents", [
        ("customer", cus), ("automatic_payment_methods[enabled]", "true"),
        ("excluded_payment_method_types[]", "card"), ("customer_account", "acct_1234567890abcdef")]).json()
    assert setup["automatic_payment_methods"] == {"allow_redirects": "always", "enabled": True}
    assert setup["excluded_payment_method_types"] == ["card"]
    assert setup["customer_account"] == "acct_1234567890abcdef"


@pytest.mark.parametrize("value", ["true", "one_off", "recurring"])
def test_off_session_takes_a_boolean_or_its_kind(api: Api, value: str) -> None:
    cus = customer(api)
    answer = api.post("/v1/payment_intents", {"amount": "1500", "currency": "usd", "customer": cus,
                                              "off_session": value})
    assert answer.status == 200, answer.body
    refused = api.post("/v1/payment_intents", {"amount": "1500", "currency": "usd", "off_session": "sometimes"})
    assert refused.status == 400 and refused.json()["error"]["param"] == "off_session"


@pytest.mark.parametrize(("kind", "data", "prefix"), [
    ("account", {"account[business_type]": "individual", "account[individual][first_name]": "Jenny",
                 "account[tos_shown_and_accepted]": "true"}, "ct_"),
    ("person", {"person[first_name]": "Jenny", "person[relationship][owner]": "true"}, "cpt_"),
    ("pii", {"pii[id_number]": "000000000"}, "pii_"),
    ("cvc_update", {"cvc_update[cvc]": "123"}, "cvctok_"),
])
def test_tokens_of_every_kind_stripe_makes_without_a_card(api: Api, kind: str, data: dict[str, str],
                                                          prefix: str) -> None:
    made = api.post("/v1/tokens", data)
    assert made.status == 200, made.body
    token = made.json()
    assert token["type"] == kind and token["id"].startswith(prefix) and "bank_account" not in token
    assert api.get(f"/v1/tokens/{token['id']}").json() == token
    # a token of another kind cannot be a connected account's bank account
    account = api.post("/v1/accounts", {"type": "custom", "country": "US"}).json()["id"]
    refused = api.post(f"/v1/accounts/{account}/external_accounts", {"external_account": token["id"]})
    assert refused.status == 400 and refused.json()["error"]["param"] == "external_account"


def test_a_token_is_of_one_kind(api: Api) -> None:
    both = api.post("/v1/tokens", {"pii[id_number]": "000000000", "cvc_update[cvc]": "123"}).json()["error"]
    assert both["code"] == "parameters_exclusive"


@pytest.mark.parametrize("data", [
    {"external_account[object]": "card", "external_account[number]": "4000056655665556"},
    {"external_account[token]": "tok_visa_debit"},
])
def test_a_debit_card_as_an_external_account_is_refused_as_not_emulated(api: Api, data: dict[str, str]) -> None:
    account = api.post("/v1/accounts", {"type": "custom", "country": "US"}).json()["id"]
    refused = api.post(f"/v1/accounts/{account}/external_accounts", data)
    assert refused.status == 400, refused.body
    error = refused.json()["error"]
    assert error["code"] == "payment_method_unactivated" and error["param"].startswith("external_account[")
    assert "us_bank_account" in error["message"]
    assert api.get(f"/v1/accounts/{account}/external_accounts").json()["data"] == []


def test_a_payment_method_list_filtered_by_another_type_is_empty(api: Api) -> None:
    cus = customer(api)
    pm = api.post("/v1/payment_methods", {"type": "us_bank_account", "billing_details[name]": "J",
                                          "us_bank_account[routing_number]": "110000000",
                                          "us_bank_account[account_number]": "000123456789"}).json()["id"]
    api.post(f"/v1/payment_methods/{pm}/attach", {"customer": cus})
    assert [p["id"] for p in api.get(f"/v1/customers/{cus}/payment_methods?type=us_bank_account").json()["data"]] \
        == [pm]
    assert api.get(f"/v1/customers/{cus}/payment_methods?type=card").json()["data"] == []
    assert api.get(f"/v1/payment_methods?customer={cus}&type=sepa_debit").json()["data"] == []


def test_a_connected_account_keeps_and_shows_its_company_individual_and_settings(api: Api) -> None:
    created = api.post("/v1/accounts", {
        "type": "custom", "country": "US", "business_type": "company",
        "company[name]": "Rocket Rides", "company[tax_id]": "000000000", "company[address][city]": "Oakland",
        "company[structure]": "private_corporation", "company[directors_provided]": "true",
        "settings[payouts][schedule][interval]": "weekly", "settings[payouts][schedule][weekly_anchor]": "friday",
        "settings[payments][statement_descriptor]": "ROCKET RIDES",
        "controller[requirement_collection]": "application",
        "business_profile[support_address][city]": "Oakland", "business_profile[estimated_worker_count]": "12"})
    assert created.status == 200, created.body
    account = created.json()
    company = account["company"]
    assert (company["name"], company["structure"], company["address"]["city"]) == \
        ("Rocket Rides", "private_corporation", "Oakland")
    assert company["tax_id_provided"] is True and company["directors_provided"] is True
    assert company["vat_id_provided"] is False and "tax_id" not in company  # a tax id is never shown back
    schedule = account["settings"]["payouts"]["schedule"]
    assert (schedule["interval"], schedule["weekly_anchor"], schedule["delay_days"]) == ("weekly", "friday", 2)
    assert account["settings"]["payments"]["statement_descriptor"] == "ROCKET RIDES"
    assert account["settings"]["payouts"]["debit_negative_balances"] is True  # a default nobody sent
    assert account["controller"]["requirement_collection"] == "application"
    assert account["controller"]["type"] == "application" and account["controller"]["is_controller"] is True
    assert account["business_profile"]["support_address"]["city"] == "Oakland"
    assert account["business_profile"]["estimated_worker_count"] == 12
    assert account["individual"] is None

    # an update merges: what it does not name stays
    updated = api.post(f"/v1/accounts/{account['id']}", {"company[phone]": "+15555550123",
                                                         "settings[payouts][schedule][interval]": "daily"}).json()
    assert updated["company"]["name"] == "Rocket Rides" and updated["company"]["phone"] == "+15555550123"
    assert updated["settings"]["payouts"]["schedule"]["interval"] == "daily"
    assert api.get(f"/v1/accounts/{account['id']}").json()["company"] == updated["company"]


def test_an_individuals_account_shows_its_person(api: Api) -> None:
    account = api.post("/v1/accounts", {
        "type": "custom", "country": "US", "business_type": "individual",
        "individual[first_name]": "Jenny", "individual[last_name]": "Rosen", "individual[ssn_last_4]": "0000",
        "individual[dob][day]": "1", "individual[dob][month]": "2", "individual[dob][year]": "1990",
        "individual[relationship][title]": "Owner", "individual[metadata][k]": "v"}).json()
    person = account["individual"]
    assert person["object"] == "person" and person["id"].startswith("person_")
    assert person["account"] == account["id"]
    assert (person["first_name"], person["last_name"]) == ("Jenny", "Rosen")
    assert person["dob"] == {"day": 1, "month": 2, "year": 1990}
    assert person["ssn_last_4_provided"] is True and person["id_number_provided"] is False
    assert person["relationship"]["title"] == "Owner" and person["metadata"] == {"k": "v"}
    again = api.post(f"/v1/accounts/{account['id']}", {"individual[email]": "jenny@example.com"}).json()
    assert again["individual"]["id"] == person["id"] and again["individual"]["first_name"] == "Jenny"
    assert again["individual"]["email"] == "jenny@example.com"


def test_an_account_token_gives_its_details_to_the_account_it_makes(api: Api) -> None:
    token = api.post("/v1/tokens", {"account[business_type]": "individual",
                                    "account[individual][first_name]": "Jenny",
                                    "account[tos_shown_and_accepted]": "true"}).json()
    account = api.post("/v1/accounts", {"type": "custom", "country": "US", "account_token": token["id"]}).json()
    assert account["business_type"] == "individual" and account["individual"]["first_name"] == "Jenny"
    assert account["tos_acceptance"]["date"] is not None
    assert api.get(f"/v1/tokens/{token['id']}").json()["used"] is True
    again = api.post("/v1/accounts", {"type": "custom", "country": "US", "account_token": token["id"]})
    assert again.status == 400 and again.json()["error"]["param"] == "account_token"
    pii = api.post("/v1/tokens", {"pii[id_number]": "000000000"}).json()["id"]
    wrong = api.post("/v1/accounts", {"type": "custom", "country": "US", "account_token": pii})
    assert wrong.status == 400 and wrong.json()["error"]["param"] == "account_token"
    missing = api.post("/v1/accounts", {"type": "custom", "country": "US", "account_token": "ct_nothing"})
    assert missing.status == 404 and missing.json()["error"]["param"] == "account_token"


def test_a_customer_keeps_its_test_clock_and_takes_a_bank_account_token_as_a_source(api: Api) -> None:
    created = api.post("/v1/customers", {"name": "Jenny", "test_clock": "clock_123"}).json()
    assert created["test_clock"] == "clock_123"
    nothing = api.post("/v1/customers", {"source": "src_nothing"})
    assert nothing.status == 404 and nothing.json()["error"]["param"] == "source"
    token = api.post("/v1/tokens", {"bank_account[country]": "US", "bank_account[currency]": "usd",
                                    "bank_account[routing_number]": "110000000",
                                    "bank_account[account_number]": "000123456789"}).json()["id"]
    not_its_own = api.post(f"/v1/customers/{created['id']}", {"default_source": token})  # not one of its sources
    assert not_its_own.status == 404 and not_its_own.json()["error"]["param"] == "default_source"
    assert api.get(f"/v1/customers/{created['id']}").json()["default_source"] is None
    added = api.post(f"/v1/customers/{created['id']}", {"source": token})  # the generic surface: a bank account
    assert added.status == 200 and added.json()["default_source"].startswith("ba_")


def test_refunds_and_payouts_keep_what_they_were_sent(api: Api, debits: dict[str, Any]) -> None:
    refund = api.post("/v1/refunds", {"payment_intent": debits["settled"]["id"], "amount": "100",
                                      "instructions_email": "jenny@example.com"}).json()
    assert refund["instructions_email"] == "jenny@example.com"
    account = api.post("/v1/accounts", {"type": "custom", "country": "US", "external_account[object]": "bank_account",
                                        "external_account[country]": "US",
                                        "external_account[routing_number]": "110000000",
                                        "external_account[account_number]": "000123456789"}).json()["id"]
    payout = api.post("/v1/payouts", {"amount": "100", "currency": "usd", "payout_method": "usba_123"},
                      headers={"Stripe-Account": account}).json()
    assert payout["payout_method"] == "usba_123"


def test_a_confirmation_token_names_nothing_here(api: Api) -> None:
    cus = customer(api)
    for path, data in (("/v1/setup_intents", {"customer": cus, "confirm": "true"}),
                       ("/v1/payment_intents", {"amount": "1000", "currency": "usd", "confirm": "true"})):
        answer = api.post(path, {**data, "confirmation_token": "ctoken_123"})
        assert answer.status == 404, answer.body
        assert (answer.json()["error"]["code"], answer.json()["error"]["param"]) == \
            ("resource_missing", "confirmation_token")
    assert api.get("/v1/setup_intents").json()["data"] == [] and api.get("/v1/payment_intents").json()["data"] == []


def test_capture_method_is_checked_and_kept_on_update_and_confirm(api: Api) -> None:
    pi = api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd"}).json()
    assert pi["capture_method"] == "automatic_async"
    updated = api.post(f"/v1/payment_intents/{pi['id']}", {"capture_method": "automatic"}).json()
    assert updated["capture_method"] == "automatic"
    refused = api.post(f"/v1/payment_intents/{pi['id']}/confirm", {
        "capture_method": "manual", "payment_method": "pm_usBankAccount_success",
        "mandate_data[customer_acceptance][type]": "offline"})  # a bank debit cannot be held for capture
    assert refused.status == 400 and refused.json()["error"]["param"] == "capture_method"
    assert api.get(f"/v1/payment_intents/{pi['id']}").json()["capture_method"] == "automatic"
    held = api.post(f"/v1/payment_intents/{pi['id']}", {"capture_method": "manual"})  # a card's may be
    assert held.status == 200 and held.json()["capture_method"] == "manual"


def test_lists_filter_by_the_parameters_the_sdks_send(api: Api) -> None:
    ticking = api.post("/v1/customers", {"name": "A", "test_clock": "clock_1"}).json()["id"]
    customer(api)
    assert [c["id"] for c in api.get("/v1/customers?test_clock=clock_1").json()["data"]] == [ticking]
    mine = api.post("/v1/setup_intents", {"customer_account": "acct_1"}).json()["id"]
    api.post("/v1/setup_intents", {})
    assert [s["id"] for s in api.get("/v1/setup_intents?customer_account=acct_1").json()["data"]] == [mine]
    paying = api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd",
                                              "customer_account": "acct_1"}).json()["id"]
    api.post("/v1/payment_intents", {"amount": "1000", "currency": "usd"})
    assert [p["id"] for p in api.get("/v1/payment_intents?customer_account=acct_1").json()["data"]] == [paying]


def test_charges_list_by_their_intents_transfer_group(api: Api) -> None:
    freeze(api)
    cus = customer(api)
    grouped = debit(api, "pm_usBankAccount_success", cus, extra=[("transfer_group", "ORDER-7")]).json()
    debit(api, "pm_usBankAccount_success", cus)
    listed = api.get("/v1/charges?transfer_group=ORDER-7").json()["data"]
    assert [c["id"] for c in listed] == [grouped["latest_charge"]]


def test_customer_business_and_individual_names_exist_from_clover(api: Api) -> None:
    named = api.post("/v1/customers", {"business_name": "Rocket Rides", "individual_name": "Jenny Rosen"}).json()
    assert named["business_name"] == "Rocket Rides" and named["individual_name"] == "Jenny Rosen"
    assert named["name"] == "Rocket Rides"  # Stripe: no name given, the business name, else the individual name
    person = api.post("/v1/customers", {"individual_name": "Jenny Rosen"}).json()
    assert person["name"] == "Jenny Rosen"
    explicit = api.post("/v1/customers", {"name": "J. Rosen", "business_name": "Rocket Rides"}).json()
    assert explicit["name"] == "J. Rosen"
    basil = {"Stripe-Version": "2025-08-27.basil"}
    refused = api.post("/v1/customers", {"business_name": "Rocket Rides"}, headers=basil)
    assert refused.status == 400 and refused.json()["error"]["code"] == "parameter_unknown"
    shown = api.get(f"/v1/customers/{named['id']}", headers=basil).json()
    assert "business_name" not in shown and "individual_name" not in shown and shown["name"] == "Rocket Rides"


def test_amount_details_and_a_single_use_setup_are_kept(api: Api) -> None:
    pi = api.post("/v1/payment_intents", {"amount": "2000", "currency": "usd", "amount_details[discount_amount]": "100",
                                          "amount_details[tax][total_tax_amount]": "160",
                                          "amount_details[shipping][amount]": "500"}).json()
    details = pi["amount_details"]
    assert details["discount_amount"] == 100 and details["tax"] == {"total_tax_amount": 160}
    assert details["shipping"]["amount"] == 500 and details["tip"] == {}
    plain = api.post("/v1/payment_intents", {"amount": "2000", "currency": "usd"}).json()
    assert plain["amount_details"] == {"tip": {}}

    cus = customer(api)
    setup = api.post("/v1/setup_intents", [("customer", cus), ("payment_method", "pm_usBankAccount_success"),
                                           ("confirm", "true"), ("single_use[amount]", "1500"),
                                           ("single_use[currency]", "usd"), *ACCEPTANCE]).json()
    assert setup["status"] == "succeeded" and setup["single_use_mandate"] == setup["mandate"]
    mandate = api.get(f"/v1/mandates/{setup['mandate']}").json()
    assert mandate["type"] == "single_use" and mandate["single_use"] == {"amount": 1500, "currency": "usd"}


@pytest.mark.parametrize(("path", "data", "ga_ok", "preview_ok"), [
    # only the GA SDK types this capability; only the preview SDK types these
    ("/v1/accounts", {"type": "custom", "country": "US", "capabilities[wero_payments][requested]": "true"},
     True, False),
    ("/v1/accounts", {"type": "custom", "country": "US", "capabilities[gopay_payments][requested]": "true"},
     False, True),
    ("/v1/setup_intents", {"payment_method_options[us_bank_account][financial_connections][prefetch][]":
                           "inferred_balances"}, False, True),
])
def test_a_path_only_one_sdk_types_exists_only_in_versions_of_its_kind(api: Api, path: str, data: dict[str, str],
                                                                       ga_ok: bool, preview_ok: bool) -> None:
    ga = api.post(path, data)
    preview = api.post(path, data, headers=PREVIEW)
    assert (ga.status == 200) is ga_ok, ga.body
    assert (preview.status == 200) is preview_ok, preview.body
    refused = ga if not ga_ok else preview
    assert refused.status == 400 and refused.json()["error"]["type"] == "invalid_request_error"
