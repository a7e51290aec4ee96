"""PaymentMethods and external bank accounts over HTTP, branch by branch: update merging billing details, attach and
detach rules, a customer's payment methods, and a connected account's external accounts — each error with Stripe's
code, param and message."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.emulator.http.test_fc_accounts import events
from tests.emulator.http.test_fc_sessions import HELPERS, PREVIEW, customer, error, linked, session
from tests.emulator.http.test_payments import MANDATE, fc_data


def unattached_pm(api: Api, cus: str) -> str:
    account = linked(api, cus, "Sample Checking Account")[0]
    si = api.post("/v1/setup_intents", [("flow_directions[]", "outbound"), ("confirm", "true"),
                                        *fc_data(account["id"])]).json()
    assert si["status"] == "succeeded" and si["customer"] is None, si
    return str(si["payment_method"])



def test_update_merges_billing_details_and_metadata_and_tells_the_webhooks(api: Api) -> None:
    pm = unattached_pm(api, customer(api))
    first = api.post(f"/v1/payment_methods/{pm}", [
        ("billing_details[name]", "Jenny Rosen"), ("billing_details[email]", "jenny@example.com"),
        ("billing_details[address][city]", "Brooklyn"), ("billing_details[address][country]", "US"),
        ("metadata[a]", "1"), ("metadata[b]", "2"), ("allow_redisplay", "always")]).json()
    assert first["billing_details"] == {
        "address": {"city": "Brooklyn", "country": "US", "line1": None, "line2": None, "postal_code": None,
                    "state": None},
        "email": "jenny@example.com", "name": "Jenny Rosen", "phone": None, "tax_id": None}
    assert (first["metadata"], first["allow_redisplay"]) == ({"a": "1", "b": "2"}, "always")
    second = api.post(f"/v1/payment_methods/{pm}", [
        ("billing_details[email]", ""), ("billing_details[phone]", "+15555550100"),
        ("billing_details[address][line1]", "1 Main St"), ("metadata[a]", "")]).json()
    assert second["billing_details"] == {
        "address": {"city": "Brooklyn", "country": "US", "line1": "1 Main St", "line2": None, "postal_code": None,
                    "state": None},
        "email": None, "name": "Jenny Rosen", "phone": "+15555550100", "tax_id": None}
    assert (second["metadata"], second["allow_redisplay"]) == ({"b": "2"}, "always")
    updated = events(api, "payment_method.updated")
    assert [e["data"]["object"]["billing_details"]["phone"] for e in updated] == ["+15555550100", None]
    missing = error(api.post("/v1/payment_methods/pm_nope", {"metadata[a]": "1"}))
    assert (missing["code"], missing["param"], missing["message"]) == ("resource_missing", "payment_method",
                                                                       "No such PaymentMethod: 'pm_nope'")


def test_attach_and_detach_rules(api: Api) -> None:
    cus = customer(api)
    other = customer(api)
    pm = unattached_pm(api, cus)
    unknown = error(api.post(f"/v1/payment_methods/{pm}/attach", {"customer": "cus_nope"}))
    assert (unknown["code"], unknown["param"]) == ("resource_missing", "customer")
    missing = error(api.post(f"/v1/payment_methods/{pm}/attach", {}))
    assert (missing["code"], missing["param"]) == ("parameter_missing", "customer")
    attached = api.post(f"/v1/payment_methods/{pm}/attach", {"customer": cus}).json()
    assert attached["customer"] == cus
    assert api.post(f"/v1/payment_methods/{pm}/attach", {"customer": cus}).json()["customer"] == cus  # again: no-op
    assert len(events(api, "payment_method.attached")) == 1
    taken = error(api.post(f"/v1/payment_methods/{pm}/attach", {"customer": other}))
    assert (taken["code"], taken["param"], taken["message"]) == (
        "payment_method_unexpected_state", "customer", f"The PaymentMethod {pm} is already attached to customer {cus}.")
    detached = api.post(f"/v1/payment_methods/{pm}/detach").json()
    assert detached["customer"] is None and len(events(api, "payment_method.detached")) == 1
    again = error(api.post(f"/v1/payment_methods/{pm}/detach"))
    assert (again["code"], again["param"], again["message"]) == (
        "payment_method_unexpected_state", "payment_method", f"The PaymentMethod {pm} is not attached to a customer.")
    assert api.post(f"/v1/payment_methods/{pm}/attach", {"customer": other}).json()["customer"] == other


def test_a_payment_method_used_for_a_token_cannot_be_attached(api: Api) -> None:
    cus = customer(api)
    pm = unattached_pm(api, cus)
    assert api.post("/v1/tokens", {"bank_account[payment_method]": pm}).status == 200
    consumed = error(api.post(f"/v1/payment_methods/{pm}/attach", {"customer": cus}))
    assert (consumed["code"], consumed["param"], consumed["message"]) == (
        "payment_method_unexpected_state", "payment_method",
        f"The PaymentMethod {pm} was used to create a token and cannot be attached.")


def test_a_customers_payment_methods(api: Api) -> None:
    cus = customer(api)
    other = customer(api)
    first = unattached_pm(api, cus)
    second = unattached_pm(api, cus)
    theirs = unattached_pm(api, other)
    for pm, owner in ((first, cus), (second, cus), (theirs, other)):
        api.post(f"/v1/payment_methods/{pm}/attach", {"customer": owner})
    listed = api.get(f"/v1/customers/{cus}/payment_methods").json()
    assert [p["id"] for p in listed["data"]] == [second, first]
    assert (listed["url"], listed["has_more"]) == (f"/v1/customers/{cus}/payment_methods", False)
    assert [p["id"] for p in api.get(f"/v1/customers/{cus}/payment_methods?limit=1").json()["data"]] == [second]
    assert [p["id"] for p in api.get(f"/v1/payment_methods?customer={other}").json()["data"]] == [theirs]
    assert api.get(f"/v1/customers/{cus}/payment_methods/{first}").json()["id"] == first
    not_theirs = api.get(f"/v1/customers/{cus}/payment_methods/{theirs}")
    assert not_theirs.status == 404
    assert (error(not_theirs)["param"], error(not_theirs)["message"]) == ("payment_method",
                                                                          f"No such PaymentMethod: '{theirs}'")
    gone = error(api.get(f"/v1/customers/{cus}/payment_methods/pm_nope"))
    assert (gone["param"], gone["message"]) == ("payment_method", "No such PaymentMethod: 'pm_nope'")
    for path in ("/v1/customers/cus_nope/payment_methods", f"/v1/customers/cus_nope/payment_methods/{first}",
                 "/v1/payment_methods?customer=cus_nope"):
        nobody = error(api.get(path))
        assert (nobody["code"], nobody["param"], nobody["message"]) == ("resource_missing", "customer",
                                                                        "No such customer: 'cus_nope'"), path


def test_external_accounts_of_a_connected_account(api: Api) -> None:
    def token() -> str:
        made = api.post("/v1/tokens", {"bank_account[account_number]": "000123456789",
                                       "bank_account[routing_number]": "110000000", "bank_account[country]": "US",
                                       "bank_account[currency]": "usd"}).json()
        return str(made["id"])

    mine = api.post("/v1/accounts", {"type": "custom"}).json()["id"]
    theirs = api.post("/v1/accounts", {"type": "custom"}).json()["id"]
    first = api.post(f"/v1/accounts/{mine}/external_accounts", {"external_account": token()}).json()["id"]
    second = api.post(f"/v1/accounts/{mine}/external_accounts", {"external_account": token()}).json()["id"]
    other = api.post(f"/v1/accounts/{theirs}/external_accounts", {"external_account": token()}).json()["id"]
    listed = api.get(f"/v1/accounts/{mine}/external_accounts").json()
    assert [b["id"] for b in listed["data"]] == [second, first]
    assert listed["url"] == f"/v1/accounts/{mine}/external_accounts"
    assert [b["id"] for b in api.get(f"/v1/accounts/{mine}/external_accounts?object=bank_account").json()[
        "data"]] == [second, first]
    assert api.get(f"/v1/accounts/{mine}/external_accounts?object=card").json()["data"] == []
    assert api.get(f"/v1/accounts/{mine}/external_accounts/{first}").json()["id"] == first
    not_mine = error(api.get(f"/v1/accounts/{mine}/external_accounts/{other}"))
    assert (not_mine["code"], not_mine["param"], not_mine["message"]) == ("resource_missing", "id",
                                                                          f"No such external account: '{other}'")
    deleted = api.delete(f"/v1/accounts/{mine}/external_accounts/{first}").json()
    assert deleted == {"id": first, "object": "bank_account", "deleted": True}
    assert [e["data"]["object"]["id"] for e in events(api, "account.external_account.deleted")] == [first]
    assert [b["id"] for b in api.get(f"/v1/accounts/{mine}/external_accounts").json()["data"]] == [second]
    again = error(api.delete(f"/v1/accounts/{mine}/external_accounts/{first}"))
    assert (again["param"], again["message"]) == ("id", f"No such external account: '{first}'")
    assert error(api.get(f"/v1/accounts/{mine}/external_accounts/{first}"))["code"] == "resource_missing"
    nobody = error(api.get("/v1/accounts/acct_nope/external_accounts"))
    assert (nobody["code"], nobody["param"], nobody["message"]) == ("resource_missing", "account",
                                                                    "No such account: 'acct_nope'")
    account = api.get(f"/v1/accounts/{mine}?expand[]=external_accounts.data.account").json()
    assert [b["account"]["id"] for b in account["external_accounts"]["data"]] == [mine]


def test_expanding_a_setup_intents_references(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus, "Sample Checking Account")[0]
    si = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), *fc_data(account["id"]), *MANDATE])
    si_id = si.json()["id"]
    expanded = api.get(f"/v1/setup_intents/{si_id}?expand[]=customer&expand[]=payment_method.customer"
                       "&expand[]=mandate.payment_method").json()
    assert expanded["customer"]["id"] == cus and expanded["customer"]["object"] == "customer"
    assert expanded["payment_method"]["object"] == "payment_method"
    assert expanded["payment_method"]["customer"]["id"] == cus
    assert expanded["mandate"]["object"] == "mandate"
    assert expanded["mandate"]["payment_method"]["id"] == expanded["payment_method"]["id"]


def test_a_connected_account_as_stripe_renders_it(api: Api) -> None:
    plain = api.post("/v1/accounts", {}).json()
    assert plain["id"].startswith("acct_") and len(plain["id"]) == len("acct_") + 16
    assert {k: plain[k] for k in ("object", "type", "country", "email", "metadata", "charges_enabled",
                                  "details_submitted", "default_currency", "payouts_enabled", "business_type")} == {
        "object": "account", "type": "custom", "country": "US", "email": None, "metadata": {},
        "charges_enabled": False, "details_submitted": False, "default_currency": "usd", "payouts_enabled": False,
        "business_type": None}
    assert plain["external_accounts"] == {"object": "list", "data": [], "has_more": False,
                                          "url": f"/v1/accounts/{plain['id']}/external_accounts"}
    given = api.post("/v1/accounts", {"type": "express", "country": "GB", "email": "payouts@example.com",
                                      "metadata[team]": "ops"}).json()
    assert (given["type"], given["country"], given["email"], given["metadata"]) == (
        "express", "GB", "payouts@example.com", {"team": "ops"})
    assert api.get(f"/v1/accounts/{given['id']}").json() == given
    token = api.post("/v1/tokens", {"bank_account[account_number]": "000123456789",
                                    "bank_account[routing_number]": "110000000", "bank_account[country]": "US",
                                    "bank_account[currency]": "usd"}).json()
    external = api.post(f"/v1/accounts/{given['id']}/external_accounts", {"external_account": token["id"]}).json()
    with_bank = api.get(f"/v1/accounts/{given['id']}").json()
    assert with_bank["payouts_enabled"] is True
    assert with_bank["external_accounts"]["data"] == [external]
    missing = error(api.get("/v1/accounts/acct_nope"))
    assert (missing["code"], missing["param"], missing["message"]) == ("resource_missing", "account",
                                                                       "No such account: 'acct_nope'")
    unknown_token = error(api.get("/v1/tokens/btok_nope"))
    assert (unknown_token["code"], unknown_token["param"], unknown_token["message"]) == (
        "resource_missing", "token", "No such token: 'btok_nope'")
    no_token = error(api.post(f"/v1/accounts/{given['id']}/external_accounts", {"external_account": "btok_nope"}))
    assert (no_token["param"], no_token["message"]) == ("external_account", "No such token: 'btok_nope'")
    reused = error(api.post(f"/v1/accounts/{given['id']}/external_accounts", {"external_account": token["id"]}))
    assert (reused["param"], reused["message"]) == ("external_account",
                                                    f"You cannot use a Stripe token more than once: {token['id']}.")
    created = api.get("/v1/events?type=account.external_account.created").json()["data"]
    assert [e["data"]["object"]["id"] for e in created] == [external["id"]]


def test_a_payment_methods_bank_details_as_stripe_renders_them(api: Api) -> None:
    pm = unattached_pm(api, customer(api))
    preview = api.get(f"/v1/payment_methods/{pm}", headers={"Stripe-Version": "2026-09-30.preview"}).json()
    ga = api.get(f"/v1/payment_methods/{pm}", headers={"Stripe-Version": "2026-10-28.endive"}).json()
    bank = preview["us_bank_account"]
    assert bank["networks"] == {"preferred": "ach", "supported": ["ach"]}
    assert "account_number" in bank and bank["account_number"] is None  # a preview field, never the full number
    assert "account_number" not in ga["us_bank_account"]
    assert (preview["livemode"], preview["type"], preview["object"]) == (False, "us_bank_account", "payment_method")


FC_PARAM = "payment_method_data[us_bank_account][financial_connections_account]"


def test_payment_methods_from_fc_accounts_refusals_word_for_word(api: Api) -> None:
    cus = customer(api)
    checking = linked(api, cus, "Sample Checking Account")[0]

    def refused(account_id: str, *extra: tuple[str, str]) -> dict[str, Any]:
        return error(api.post("/v1/setup_intents", [("customer", cus), *fc_data(account_id), *extra]))

    mixed = refused(checking["id"], ("payment_method_data[us_bank_account][routing_number]", "110000000"))
    assert (mixed["code"], mixed["param"], mixed["message"]) == (
        "parameters_exclusive", "payment_method_data[us_bank_account][routing_number]",
        "payment_method_data[us_bank_account][financial_connections_account] cannot be combined with account_number "
        "or routing_number.")
    both = refused(checking["id"], ("payment_method_data[us_bank_account][account_number]", "000123456789"),
                   ("payment_method_data[us_bank_account][routing_number]", "110000000"))
    assert both["param"] == "payment_method_data[us_bank_account][account_number]"  # the first one named
    other = customer(api)
    theirs = error(api.post("/v1/setup_intents", [("customer", other), *fc_data(checking["id"])]))
    assert (theirs["param"], theirs["message"]) == (
        "customer", f"The Financial Connections account {checking['id']} belongs to customer {cus}, not {other}.")
    balances_only = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                                  ("permissions[]", "balances")]).json()
    done = api.post(f"{HELPERS}/sessions/{balances_only['id']}/complete", {"accounts[]": "Sample Savings Account"},
                    headers=PREVIEW).json()
    no_permission = refused(done["accounts"]["data"][0]["id"])
    assert (no_permission["param"], no_permission["message"]) == (
        FC_PARAM, f"The Financial Connections account {done['accounts']['data'][0]['id']} was not linked with the "
        "`payment_method` permission.")
    non_ach, unavailable = linked(api, cus, institution="Invalid Payment Accounts")
    assert refused(non_ach["id"])["message"] == (
        f"The Financial Connections account {non_ach['id']} does not support us_bank_account payment methods.")
    api.post(f"{HELPERS}/accounts/{unavailable['id']}/supported_payment_method_types",
             {"supported_payment_method_types[]": "us_bank_account"}, headers=PREVIEW)  # to reach the next check
    numbers = refused(unavailable["id"])
    assert (numbers["code"], numbers["message"]) == (
        "financial_connections_account_unavailable_account_numbers",
        f"Account and routing numbers are unavailable for the Financial Connections account {unavailable['id']}.")
    tans = {a["display_name"]: a for a in linked(api, cus, "TAN Checking (pending)", "TAN Checking (revoked)",
                                                  institution="Emulator: TAN States")}
    pending = refused(tans["TAN Checking (pending)"]["id"])
    assert (pending["code"], pending["message"]) == (
        "financial_connections_account_pending_account_numbers",
        f"The account numbers of the Financial Connections account {tans['TAN Checking (pending)']['id']} are not "
        "available yet.")
    revoked = refused(tans["TAN Checking (revoked)"]["id"])
    assert (revoked["code"], revoked["message"]) == (
        "financial_connections_account_unavailable_account_numbers",
        f"The tokenized account number of the Financial Connections account {tans['TAN Checking (revoked)']['id']} "
        "is deactivated; relink the account to get a new one.")
    api.post(f"{HELPERS}/accounts/{checking['id']}/deactivate", {}, headers=PREVIEW)
    inactive = refused(checking["id"])
    assert (inactive["code"], inactive["param"], inactive["message"]) == (
        "financial_connections_account_inactive", FC_PARAM,
        f"The Financial Connections account {checking['id']} is inactive. Relink it (a Financial Connections session "
        "with relink_options) before creating a payment method from it.")
    assert api.get("/v1/payment_methods").json()["data"] == []  # none of the refusals made a payment method


def test_the_account_number_error_codes_exist_from_clover(api: Api) -> None:
    # facts §6: the ..._pending_account_numbers / ..._unavailable_account_numbers codes exist from 2025-09-30.clover;
    # "Previously, this error didn't include a specific error code and appeared as an invalid request."
    # https://docs.stripe.com/changelog/clover/2025-09-30/financial-connections-payment-method-error-codes
    cus = customer(api)
    tans = {a["display_name"]: a["id"] for a in linked(api, cus, "TAN Checking (pending)", "TAN Checking (revoked)",
                                                       institution="Emulator: TAN States")}
    _, unavailable = linked(api, cus, institution="Invalid Payment Accounts")
    api.post(f"{HELPERS}/accounts/{unavailable['id']}/supported_payment_method_types",
             {"supported_payment_method_types[]": "us_bank_account"}, headers=PREVIEW)
    cases = {tans["TAN Checking (pending)"]: "financial_connections_account_pending_account_numbers",
             tans["TAN Checking (revoked)"]: "financial_connections_account_unavailable_account_numbers",
             unavailable["id"]: "financial_connections_account_unavailable_account_numbers"}
    for account_id, code in cases.items():
        by_version = {}
        for version in ("2025-08-27.basil", "2025-09-30.clover", "2026-10-28.endive"):
            refused = api.post("/v1/setup_intents", [("customer", cus), *fc_data(account_id)],
                               headers={"Stripe-Version": version})
            assert refused.status == 400, refused.body
            body = refused.json()["error"]
            assert (body["type"], body["param"]) == ("invalid_request_error", FC_PARAM)
            by_version[version] = body.get("code")
        assert by_version == {"2025-08-27.basil": None, "2025-09-30.clover": code, "2026-10-28.endive": code}
    assert api.get("/v1/payment_methods").json()["data"] == []


def test_payment_methods_from_fc_accounts_take_the_accounts_details(api: Api) -> None:
    cus = customer(api)
    checking, savings = linked(api, cus, "Sample Checking Account", "Sample Savings Account")
    made = {}
    for account in (checking, savings):
        si = api.post("/v1/setup_intents", [("customer", cus), ("flow_directions[]", "outbound"), ("confirm", "true"),
                                            *fc_data(account["id"]),
                                            ("payment_method_data[billing_details][name]", "Jenny Rosen"),
                                            ("payment_method_data[metadata][source]", "relink"),
                                            ("payment_method_data[allow_redisplay]", "limited")]).json()
        made[account["id"]] = api.get(f"/v1/payment_methods/{si['payment_method']}").json()
    first = made[checking["id"]]
    bank = first["us_bank_account"]
    assert (bank["account_holder_type"], bank["account_type"], bank["financial_connections_account"]) == (
        "individual", "checking", checking["id"])
    assert bank["bank_name"] == checking["institution_name"].upper() and bank["last4"] == checking["last4"]
    assert made[savings["id"]]["us_bank_account"]["account_type"] == "savings"
    assert made[savings["id"]]["us_bank_account"]["fingerprint"] != bank["fingerprint"]
    assert (first["billing_details"]["name"], first["metadata"], first["allow_redisplay"]) == (
        "Jenny Rosen", {"source": "relink"}, "limited")
    assert first["customer"] == cus


def test_update_changes_the_bank_accounts_holder_and_account_type(api: Api) -> None:
    """What the SDKs' PaymentMethod update types for us_bank_account: `account_holder_type` and `account_type`."""
    pm = unattached_pm(api, customer(api))
    updated = api.post(f"/v1/payment_methods/{pm}", data={"us_bank_account[account_holder_type]": "company",
                                                            "us_bank_account[account_type]": "savings"})
    assert updated.status == 200, updated.body
    bank = api.get(f"/v1/payment_methods/{pm}").json()["us_bank_account"]
    assert (bank["account_holder_type"], bank["account_type"]) == ("company", "savings")
    wrong = api.post(f"/v1/payment_methods/{pm}", data={"us_bank_account[account_type]": "brokerage"})
    assert wrong.status == 400 and wrong.json()["error"]["param"] == "us_bank_account[account_type]"
    assert api.get(f"/v1/payment_methods/{pm}").json()["us_bank_account"]["account_type"] == "savings"  # unchanged


def test_lists_filter_by_allow_redisplay(api: Api) -> None:
    owner = customer(api)
    shown, hidden = (unattached_pm(api, owner) for _ in range(2))
    for pm in (shown, hidden):
        assert api.post(f"/v1/payment_methods/{pm}/attach", data={"customer": owner}).status == 200
    assert api.post(f"/v1/payment_methods/{shown}", data={"allow_redisplay": "always"}).status == 200
    for path in ("/v1/payment_methods", f"/v1/customers/{owner}/payment_methods"):
        query = f"?customer={owner}&" if path == "/v1/payment_methods" else "?"
        always = api.get(f"{path}{query}allow_redisplay=always").json()["data"]
        unspecified = api.get(f"{path}{query}allow_redisplay=unspecified").json()["data"]
        assert [pm["id"] for pm in always] == [shown] and [pm["id"] for pm in unspecified] == [hidden], path
        wrong = api.get(f"{path}{query}allow_redisplay=sometimes")
        assert wrong.status == 400 and wrong.json()["error"]["param"] == "allow_redisplay"
