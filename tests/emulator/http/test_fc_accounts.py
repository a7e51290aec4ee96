"""Financial Connections accounts over HTTP: list filters, disconnect, refresh and the data it brings, subscriptions,
and the clock-driven bank (scheduled deactivation, TAN expiry)."""

from __future__ import annotations

from typing import Any

from emulator.http.app import create_app
from emulator.settings import Settings
from harness.asgi import AsgiCaller
from tests.conftest import Api
from tests.emulator.http.test_fc_sessions import HELPERS, PREVIEW, customer, error, linked, session

DAY = 24 * 60 * 60
GA = {"Stripe-Version": "2026-10-28.endive"}


def events(api: Api, type: str) -> list[dict[str, Any]]:
    return list(api.get(f"/v1/events?type={type}&limit=100", headers=PREVIEW).json()["data"])


def account(api: Api, account_id: str, headers: dict[str, str] = PREVIEW) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/v1/financial_connections/accounts/{account_id}", headers=headers).json()
    return found


def advance(api: Api, seconds: int) -> None:
    assert api.post("/_emulator/clock", {"advance": str(seconds)}).status == 200


def test_fc_accounts_list_filters(api: Api) -> None:
    jenny, alex = customer(api), customer(api)
    mine = linked(api, jenny, "Sample Checking Account", "Sample Savings Account")
    theirs = linked(api, alex, "Sample Checking Account")
    listing = api.get(f"/v1/financial_connections/accounts?account_holder[customer]={jenny}").json()
    assert {a["id"] for a in listing["data"]} == {a["id"] for a in mine}
    assert listing["url"] == "/v1/financial_connections/accounts"
    by_session = api.get(f"/v1/financial_connections/accounts?session={theirs[0]['id']}").json()["data"]
    assert by_session == []  # a session id is expected, not an account id
    everything = api.get("/v1/financial_connections/accounts?limit=2").json()
    assert len(everything["data"]) == 2 and everything["has_more"] is True
    both = api.get("/v1/financial_connections/accounts?account_holder[customer]=x&account_holder[account]=y")
    assert error(both)["code"] == "parameters_exclusive"
    assert error(api.get("/v1/financial_connections/accounts/fca_nope"))["code"] == "resource_missing"


def test_fc_accounts_list_by_session(api: Api) -> None:
    cus = customer(api)
    created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                            ("permissions[]", "payment_method")]).json()
    api.post(f"{HELPERS}/sessions/{created['id']}/complete", {"accounts[]": "Sample Checking Account"},
             headers=PREVIEW)
    linked(api, cus)
    found = api.get(f"/v1/financial_connections/accounts?session={created['id']}").json()["data"]
    assert [a["display_name"] for a in found] == ["Sample Checking Account"]


def test_fc_disconnect(api: Api) -> None:
    first = linked(api, customer(api), "Sample Checking Account")[0]
    done = api.post(f"/v1/financial_connections/accounts/{first['id']}/disconnect", headers=PREVIEW).json()
    assert done["status"] == "disconnected"
    assert [e["data"]["object"]["id"] for e in events(api, "financial_connections.account.disconnected")] == [
        first["id"]]
    assert error(api.post(f"{HELPERS}/accounts/{first['id']}/deactivate", headers=PREVIEW))["param"] == "account"
    refused = error(api.post(f"/v1/financial_connections/accounts/{first['id']}/refresh", {"features[]": "balance"}))
    assert refused["code"] == "financial_connections_account_inactive"


def test_fc_refresh_balance_on_the_clock(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})
    cus = customer(api)
    created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                            ("permissions[]", "balances"), ("permissions[]", "payment_method")]).json()
    done = api.post(f"{HELPERS}/sessions/{created['id']}/complete", {"accounts[]": "Sample Checking Account"},
                    headers=PREVIEW).json()
    target = done["accounts"]["data"][0]
    assert target["balance"] is None and target["balance_refresh"] is None
    started = api.post(f"/v1/financial_connections/accounts/{target['id']}/refresh", {"features[]": "balance"}).json()
    assert started["balance_refresh"]["status"] == "pending"
    assert started["balance_refresh"]["next_refresh_available_at"] is None
    assert account(api, target["id"])["balance_refresh"]["status"] == "pending"  # not yet: the clock is frozen
    advance(api, 5)
    refreshed = account(api, target["id"])
    assert refreshed["balance_refresh"]["status"] == "succeeded"
    assert refreshed["balance"]["current"] == {"usd": 100000} and refreshed["balance"]["type"] == "cash"
    assert refreshed["balance"]["cash"] == {"available": {"usd": 100000}}
    assert len(events(api, "financial_connections.account.refreshed_balance")) == 1
    no_permission = error(api.post(f"/v1/financial_connections/accounts/{target['id']}/refresh",
                                   {"features[]": "transactions"}))
    assert no_permission["param"] == "features[0]" and "transactions" in no_permission["message"]
    missing = error(api.post(f"/v1/financial_connections/accounts/{target['id']}/refresh", {}))
    assert (missing["code"], missing["param"]) == ("parameter_missing", "features")


def test_fc_refresh_refused_for_inactive_accounts(api: Api) -> None:
    target = linked(api, customer(api), "Sample Checking Account")[0]
    api.post(f"{HELPERS}/accounts/{target['id']}/deactivate", headers=PREVIEW)
    refused = error(api.post(f"/v1/financial_connections/accounts/{target['id']}/refresh",
                             {"features[]": "balance"}))
    assert refused["code"] == "financial_connections_account_inactive"
    subscribe = error(api.post(f"/v1/financial_connections/accounts/{target['id']}/subscribe",
                               {"features[]": "transactions"}))
    assert subscribe["code"] == "financial_connections_account_inactive"


def test_fc_listing_transactions_before_a_successful_transaction_refresh_is_an_error(api: Api) -> None:
    # facts §7: "Listing transactions before any successful transaction refresh is an error",
    # financial_connections_no_successful_transaction_refresh (https://docs.stripe.com/error-codes)
    api.post("/_emulator/clock", {"freeze": "true"})
    cus = customer(api)
    created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                            ("permissions[]", "transactions")]).json()
    target = api.post(f"{HELPERS}/sessions/{created['id']}/complete", {"accounts[]": "Sample Checking Account"},
                      headers=PREVIEW).json()["accounts"]["data"][0]
    listing = f"/v1/financial_connections/transactions?account={target['id']}"
    never = error(api.get(listing))
    assert (never["code"], never["param"], never["type"]) == (
        "financial_connections_no_successful_transaction_refresh", "account", "invalid_request_error")
    refresh = f"/v1/financial_connections/accounts/{target['id']}/refresh"
    api.post(f"{HELPERS}/accounts/{target['id']}/next_refresh", {"outcome": "failed"}, headers=PREVIEW)
    api.post(refresh, {"features[]": "transactions"})
    assert error(api.get(listing))["code"] == "financial_connections_no_successful_transaction_refresh"  # pending
    advance(api, 5)
    assert account(api, target["id"])["transaction_refresh"]["status"] == "failed"
    assert error(api.get(listing))["code"] == "financial_connections_no_successful_transaction_refresh"  # failed
    api.post(refresh, {"features[]": "transactions"})
    advance(api, 5)
    assert account(api, target["id"])["transaction_refresh"]["status"] == "succeeded"
    assert api.get(listing).json()["object"] == "list"


def test_fc_next_refresh_chooses_how_the_next_refresh_ends(api: Api) -> None:
    # facts §7: "Accounts can change status after a refresh when Stripe detects that the connection is broken"
    # (https://docs.stripe.com/financial-connections/webhooks)
    api.post("/_emulator/clock", {"freeze": "true"})
    cus = customer(api)
    created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                            ("permissions[]", "balances"), ("permissions[]", "payment_method")]).json()
    done = api.post(f"{HELPERS}/sessions/{created['id']}/complete",
                    [("accounts[]", "Sample Checking Account"), ("accounts[]", "Sample Savings Account")],
                    headers=PREVIEW).json()
    checking, savings = done["accounts"]["data"]
    refresh = f"/v1/financial_connections/accounts/{checking['id']}/refresh"
    plan = f"{HELPERS}/accounts/{checking['id']}/next_refresh"

    failed = api.post(plan, {"outcome": "failed"}, headers=PREVIEW)
    assert failed.status == 200 and failed.json()["id"] == checking["id"]
    api.post(refresh, {"features[]": "balance"})
    advance(api, 5)
    after = account(api, checking["id"])
    assert (after["balance_refresh"]["status"], after["status"], after["balance"]) == ("failed", "active", None)
    api.post(refresh, {"features[]": "balance"})  # the plan was used once: this one succeeds
    advance(api, 5)
    assert account(api, checking["id"])["balance_refresh"]["status"] == "succeeded"

    api.post(plan, {"outcome": "deactivates"}, headers=PREVIEW)
    api.post(refresh, {"features[]": "balance"})
    assert events(api, "financial_connections.account.deactivated") == []  # not until the refresh ends
    advance(api, 5)
    broken = account(api, checking["id"])
    assert (broken["balance_refresh"]["status"], broken["status"]) == ("failed", "inactive")
    assert broken["status_details"]["inactive"] == {"action": "relink_required", "cause": "access_expired"}
    assert account(api, savings["id"])["status"] == "inactive"  # access_expired breaks the whole login
    deactivated = events(api, "financial_connections.account.deactivated")
    assert sorted(e["data"]["object"]["id"] for e in deactivated) == sorted([checking["id"], savings["id"]])
    kinds = [e["type"] for e in reversed(api.get("/v1/events?limit=100", headers=PREVIEW).json()["data"])]
    assert kinds[-3:] == ["financial_connections.account.deactivated"] * 2 + [
        "financial_connections.account.refreshed_balance"]  # deactivated first, then the failed refresh's event

    again = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                          ("permissions[]", "balances")]).json()
    closed = api.post(f"{HELPERS}/sessions/{again['id']}/complete",
                      [("accounts[]", "Sample Checking Account"), ("accounts[]", "Sample Savings Account")],
                      headers=PREVIEW).json()["accounts"]["data"]
    api.post(f"{HELPERS}/accounts/{closed[0]['id']}/next_refresh",
             {"outcome": "deactivates", "cause": "account_closed"}, headers=PREVIEW)
    started = api.post(f"/v1/financial_connections/accounts/{closed[0]['id']}/refresh", {"features[]": "balance"})
    assert started.status == 200, started.body
    advance(api, 5)
    assert account(api, closed[0]["id"])["status_details"]["inactive"] == {"action": "none", "cause": "account_closed"}
    assert account(api, closed[1]["id"])["status"] == "active"  # a closed account is that account only

    refusals = [({}, "parameter_missing", "outcome"), ({"outcome": "maybe"}, "invalid_request_error", "outcome"),
                ({"outcome": "failed", "cause": "account_closed"}, "invalid_request_error", "cause")]
    for data, kind, param in refusals:
        refused = error(api.post(plan, data, headers=PREVIEW))
        assert refused["param"] == param and (refused.get("code") == kind or refused["type"] == kind), refused
    assert error(api.post(f"{HELPERS}/accounts/fca_nope/next_refresh", {"outcome": "failed"},
                          headers=PREVIEW))["code"] == "resource_missing"


def test_fc_ownership_owners_and_transactions(api: Api) -> None:
    cus = customer(api)
    created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                            ("permissions[]", "ownership"), ("permissions[]", "transactions"),
                            ("prefetch[]", "ownership"), ("prefetch[]", "transactions")]).json()
    done = api.post(f"{HELPERS}/sessions/{created['id']}/complete",
                    {"institution": "Ownership Accounts", "accounts[]": "Joint Checking"}, headers=PREVIEW).json()
    joint = done["accounts"]["data"][0]
    assert joint["ownership"].startswith("fcaowns_") and joint["ownership_refresh"]["status"] == "succeeded"
    owners = api.get(f"/v1/financial_connections/accounts/{joint['id']}/owners?ownership={joint['ownership']}").json()
    assert [o["name"] for o in owners["data"]] == ["Jenny Rosen", "Alex Rosen"]
    assert all(o["ownership"] == joint["ownership"] for o in owners["data"])
    wrong = error(api.get(f"/v1/financial_connections/accounts/{joint['id']}/owners?ownership=fcaowns_nope"))
    assert (wrong["code"], wrong["param"]) == ("resource_missing", "ownership")
    assert error(api.get(f"/v1/financial_connections/accounts/{joint['id']}/owners"))["param"] == "ownership"
    listing = api.get(f"/v1/financial_connections/transactions?account={joint['id']}&limit=100").json()
    assert len(listing["data"]) == 12 and listing["url"] == "/v1/financial_connections/transactions"
    first = listing["data"][0]
    assert first["transaction_refresh"] == joint["transaction_refresh"]["id"]
    assert api.get(f"/v1/financial_connections/transactions/{first['id']}").json() == first
    assert error(api.get("/v1/financial_connections/transactions"))["param"] == "account"
    after = api.get(f"/v1/financial_connections/transactions?account={joint['id']}"
                    f"&transaction_refresh[after]={first['transaction_refresh']}").json()
    assert after["data"] == []


def test_fc_generated_data_is_deterministic_with_a_seed(api: Api) -> None:
    names = []
    for key in ("sk_test_seeded_a", "sk_test_seeded_a"):
        other = api.as_key(key)
        other.post("/_emulator/reset")
        cus = customer(other)
        created = session(other, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                                  ("permissions[]", "ownership"), ("prefetch[]", "ownership")]).json()
        done = other.post(f"{HELPERS}/sessions/{created['id']}/complete", {"accounts[]": "Sample Checking Account"},
                          headers=PREVIEW).json()
        target = done["accounts"]["data"][0]
        owners = other.get(f"/v1/financial_connections/accounts/{target['id']}/owners"
                           f"?ownership={target['ownership']}").json()["data"]
        names.append((target["id"], owners[0]["name"]))
    assert names[0] == names[1]


def test_fc_inferred_balances_and_subscriptions(api: Api) -> None:
    target = linked(api, customer(api), "Sample Checking Account")[0]
    assert error(api.get(f"/v1/financial_connections/accounts/{target['id']}/inferred_balances", headers=GA))[
        "message"].startswith("Unrecognized request URL")
    empty = api.get(f"/v1/financial_connections/accounts/{target['id']}/inferred_balances", headers=PREVIEW).json()
    assert empty["data"] == []
    subscribed = api.post(f"/v1/financial_connections/accounts/{target['id']}/subscribe",
                          {"features[]": "transactions"}, headers=PREVIEW).json()
    assert subscribed["subscriptions"] == ["transactions"]
    balance_on_ga = error(api.post(f"/v1/financial_connections/accounts/{target['id']}/subscribe",
                                   {"features[]": "balance"}, headers=GA))
    assert balance_on_ga["param"] == "features[0]"
    api.post(f"/v1/financial_connections/accounts/{target['id']}/subscribe", {"features[]": "balance"},
             headers=PREVIEW)
    assert account(api, target["id"], GA)["subscriptions"] == ["transactions"]  # GA shows what GA knows
    unsubscribed = api.post(f"/v1/financial_connections/accounts/{target['id']}/unsubscribe",
                            {"features[]": "transactions"}, headers=PREVIEW).json()
    assert unsubscribed["subscriptions"] == ["balance"]


def test_fc_scheduled_deactivation_happens_on_the_clock(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})
    checking, savings = linked(api, customer(api), "Sample Checking Account", "Sample Savings Account")
    now = api.get("/_emulator/clock").json()["now"]
    when = now + 10 * DAY
    scheduled = api.post(f"{HELPERS}/accounts/{checking['id']}/schedule_deactivation",
                         {"expected_deactivation_date": str(when)}, headers=PREVIEW).json()
    assert scheduled["status_details"] == {"active": {"action": "relink_required", "cause": "access_expired",
                                                      "expected_deactivation_date": when}}
    authorization = api.get(f"/v1/financial_connections/authorizations/{checking['authorization']}",
                            headers=PREVIEW).json()
    assert authorization["status_details"] == {"active": {"action": "relink_required",
                                                          "expected_deactivation_date": when}}
    assert len(events(api, "financial_connections.account.expected_deactivation_date_updated")) == 2
    assert len(events(api, "financial_connections.authorization.expected_deactivation_date_updated")) == 1
    advance(api, 3 * DAY + 1)  # 7 days before: the upcoming notice
    assert len(events(api, "financial_connections.account.upcoming_deactivation")) == 2
    assert len(events(api, "financial_connections.authorization.upcoming_deactivation")) == 1
    assert account(api, savings["id"])["status"] == "active"
    advance(api, 7 * DAY)
    gone = account(api, savings["id"])
    assert gone["status"] == "inactive" and gone["status_details"]["inactive"]["cause"] == "access_expired"
    deactivated = events(api, "financial_connections.account.deactivated")
    assert len(deactivated) == 2 and all(e["request"]["id"] is None for e in deactivated)
    inactive = error(api.post(f"{HELPERS}/accounts/{checking['id']}/schedule_deactivation",
                              {"expected_deactivation_date": str(when + DAY)}, headers=PREVIEW))
    assert inactive["param"] == "account" and "only an active account" in inactive["message"]
    fresh = linked(api, customer(api), "Sample Checking Account")[0]
    later = api.get("/_emulator/clock").json()["now"]
    past = error(api.post(f"{HELPERS}/accounts/{fresh['id']}/schedule_deactivation",
                          {"expected_deactivation_date": str(later)}, headers=PREVIEW))
    assert past["param"] == "expected_deactivation_date" and "in the future" in past["message"]


def test_fc_relink_before_a_scheduled_deactivation_cancels_it(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})
    cus = customer(api)
    checking = linked(api, cus, "Sample Checking Account")[0]
    when = api.get("/_emulator/clock").json()["now"] + 2 * DAY
    api.post(f"{HELPERS}/accounts/{checking['id']}/schedule_deactivation", {"expected_deactivation_date": str(when)},
             headers=PREVIEW)
    relink = session(api, [("permissions[]", "payment_method"), ("relink_options[authorization]",
                                                                 checking["authorization"]),
                           ("relink_options[account]", checking["id"])]).json()
    api.post(f"{HELPERS}/sessions/{relink['id']}/complete", {}, headers=PREVIEW)
    advance(api, 3 * DAY)
    assert account(api, checking["id"])["status"] == "active"
    assert account(api, checking["id"])["status_details"] == {}


def test_fc_tan_expiry_on_the_clock(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})
    expiring = linked(api, customer(api), "TAN Savings (expiring soon)", institution="Emulator: TAN States")[0]
    number = expiring["account_numbers"][0]
    assert number["status"] == "transactable"
    advance(api, 3 * DAY + 1)  # 7 days before the 10-day expiry
    notices = events(api, "financial_connections.account.upcoming_account_number_expiry")
    assert [e["data"]["object"]["id"] for e in notices] == [expiring["id"]]
    advance(api, 7 * DAY)
    expired = account(api, expiring["id"])
    assert expired["status"] == "active" and expired["account_numbers"][0]["status"] == "expired"
    assert account(api, expiring["id"], {"Stripe-Version": "2026-07-29.dahlia"})["account_numbers"][0][
        "status"] == "deactivated"  # before endive, expired was shown as deactivated
    assert len(events(api, "financial_connections.account.account_numbers_updated")) == 1


def test_fc_tan_helper_validation(api: Api) -> None:
    plain = linked(api, customer(api), "Sample Checking Account")[0]
    assert plain["account_numbers"] == [{"expected_expiry_date": None, "identifier_type": "account_number",
                                         "status": "transactable", "supported_networks": ["ach"]}]
    refused = error(api.post(f"{HELPERS}/accounts/{plain['id']}/account_numbers/deactivate", {}, headers=PREVIEW))
    assert "no tokenized account number" in refused["message"]
    assert account(api, plain["id"], {"Stripe-Version": "2025-03-31.basil"}).get("account_numbers") is None


def test_fc_invalid_payment_accounts(api: Api) -> None:
    found = linked(api, customer(api), institution="Invalid Payment Accounts")
    assert [a["supported_payment_method_types"] for a in found] == [[], []]
    assert [a["display_name"] for a in found] == ["Non-ACH Checking", "Numbers Unavailable Savings"]
    assert found[1]["account_numbers"] is None


def test_fc_institutions(api: Api) -> None:
    listing = api.get("/v1/financial_connections/institutions?limit=100", headers=PREVIEW).json()
    names = [i["name"] for i in listing["data"]]
    assert names == ["Test (Non-OAuth)", "Test (OAuth)", "Bank (Non-OAuth)", "Bank (OAuth)", "Ownership Accounts",
                     "Invalid Payment Accounts", "Down (Scheduled)", "Down (Unscheduled)", "Down (Error)",
                     "Tokenized Account Number", "Inactive Accounts", "Immediately Requires Reauthentication",
                     "Eventually Requires Reauthentication", "Emulator: Inactivity Causes", "Emulator: TAN States"]
    down = api.get("/v1/financial_connections/institutions/fcinst_QH6l5zmRXAepbP", headers=PREVIEW).json()
    assert down["status"] == "inactive"
    assert error(api.get("/v1/financial_connections/institutions", headers=GA))["message"].startswith(
        "Unrecognized request URL")
    assert error(api.get("/v1/financial_connections/institutions/fcinst_nope", headers=PREVIEW))[
        "code"] == "resource_missing"


def test_fc_schedule_deactivation_parameters(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})
    checking = linked(api, customer(api), "Sample Checking Account")[0]
    path = f"{HELPERS}/accounts/{checking['id']}/schedule_deactivation"
    now = api.get("/_emulator/clock").json()["now"]
    both = error(api.post(path, {"expected_deactivation_date": str(now + DAY), "after_seconds": "60"},
                          headers=PREVIEW))
    assert (both["code"], both["param"], both["message"]) == (
        "parameters_exclusive", "after_seconds",
        "You may only specify one of these parameters: after_seconds, expected_deactivation_date.")
    neither = error(api.post(path, {}, headers=PREVIEW))
    assert (neither["code"], neither["param"]) == ("parameter_missing", "expected_deactivation_date")
    past = error(api.post(path, {"expected_deactivation_date": str(now)}, headers=PREVIEW))
    assert (past["param"], past["message"]) == (
        "expected_deactivation_date", "expected_deactivation_date must be in the future (by the namespace clock).")
    assert account(api, checking["id"])["status_details"] == {}  # the refusals changed nothing
    scheduled = api.post(path, {"after_seconds": "3600", "cause": "institution_requirement", "action": "none"},
                         headers=PREVIEW).json()
    assert scheduled["status_details"] == {"active": {"action": "none", "cause": "institution_requirement",
                                                      "expected_deactivation_date": now + 3600}}
    # a date less than seven days away: the upcoming notice is due at once, the deactivation at the date
    advance(api, 1)
    assert len(events(api, "financial_connections.account.upcoming_deactivation")) == 1
    advance(api, 3599)
    gone = account(api, checking["id"])
    assert gone["status"] == "inactive" and gone["status_details"]["inactive"]["cause"] == "institution_requirement"
    assert gone["status_details"]["inactive"]["action"] == "none"


def test_fc_tan_deactivation_helper(api: Api) -> None:
    plain = linked(api, customer(api), "Sample Checking Account")[0]
    refused = error(api.post(f"{HELPERS}/accounts/{plain['id']}/account_numbers/deactivate", {}, headers=PREVIEW))
    assert (refused["param"], refused["message"]) == ("account",
                                                      f"The account {plain['id']} has no tokenized account number.")
    tan = linked(api, customer(api), institution="Emulator: TAN States")[0]
    path = f"{HELPERS}/accounts/{tan['id']}/account_numbers/deactivate"
    revoked = api.post(path, {}, headers=PREVIEW).json()
    assert revoked["status"] == "active" and revoked["account_numbers"][0]["status"] == "deactivated"
    again = error(api.post(path, {"reason": "expired"}, headers=PREVIEW))
    assert (again["param"], again["message"]) == (
        "account", f"The tokenized account number of {tan['id']} is already deactivated.")
    other = linked(api, customer(api), institution="Emulator: TAN States")[0]
    expired = api.post(f"{HELPERS}/accounts/{other['id']}/account_numbers/deactivate", {"reason": "expired"},
                       headers=PREVIEW).json()
    assert expired["account_numbers"][0]["status"] == "expired"
    assert len(events(api, "financial_connections.account.account_numbers_updated")) == 2


def test_fc_the_bank_changes_the_supported_payment_method_types(api: Api) -> None:
    checking = linked(api, customer(api), "Sample Checking Account")[0]
    assert checking["supported_payment_method_types"] == ["us_bank_account"]
    path = f"{HELPERS}/accounts/{checking['id']}/supported_payment_method_types"
    kind = "financial_connections.account.supported_payment_method_types_updated"
    same = api.post(path, [("supported_payment_method_types[]", "us_bank_account"),
                           ("supported_payment_method_types[]", "us_bank_account")], headers=PREVIEW).json()
    assert same["supported_payment_method_types"] == ["us_bank_account"]  # repeated values count once
    assert events(api, kind) == []  # nothing changed: no event
    more = api.post(path, [("supported_payment_method_types[]", "link"),
                           ("supported_payment_method_types[]", "us_bank_account")], headers=PREVIEW).json()
    assert more["supported_payment_method_types"] == ["link", "us_bank_account"]
    cleared = api.post(path, {"supported_payment_method_types": ""}, headers=PREVIEW).json()
    assert cleared["supported_payment_method_types"] == []
    assert [e["data"]["object"]["supported_payment_method_types"] for e in events(api, kind)] == [
        [], ["link", "us_bank_account"]]
    missing = error(api.post(path, {}, headers=PREVIEW))
    assert (missing["code"], missing["param"]) == ("parameter_missing", "supported_payment_method_types")


def test_fc_a_relink_reissues_only_dead_tans_and_skips_disconnected_accounts(api: Api) -> None:
    cus = customer(api)
    shared, sibling, disconnected, dead = linked(api, cus, "TAN Checking", "TAN Savings (expiring soon)",
                                                 "TAN Checking (revoked)", "TAN Savings (expired)",
                                                 institution="Emulator: TAN States")

    def payment_method(fc_account: dict[str, Any]) -> str:
        si = api.post("/v1/setup_intents", [("flow_directions[]", "outbound"), ("confirm", "true"),
                                            ("payment_method_data[type]", "us_bank_account"),
                                            ("payment_method_data[us_bank_account][financial_connections_account]",
                                             fc_account["id"])]).json()
        return str(si["payment_method"])

    def last4(pm: str) -> str:
        return str(api.get(f"/v1/payment_methods/{pm}").json()["us_bank_account"]["last4"])

    def tan_status(fc_account: dict[str, Any]) -> str:
        return str(account(api, fc_account["id"])["account_numbers"][0]["status"])

    pms = {"shared": payment_method(shared), "sibling": payment_method(sibling)}
    before = {name: last4(pm) for name, pm in pms.items()}
    assert tan_status(disconnected) != "transactable" and tan_status(dead) != "transactable"
    api.post(f"/v1/financial_connections/accounts/{disconnected['id']}/disconnect", headers=PREVIEW)
    relink = session(api, [("permissions[]", "payment_method"), ("relink_options[authorization]",
                                                                 shared["authorization"]),
                           ("relink_options[account]", shared["id"])]).json()
    assert api.post(f"{HELPERS}/sessions/{relink['id']}/complete", {}, headers=PREVIEW).json()["status"] == (
        "succeeded")
    # the shared account gets a new TAN; a sibling's transactable TAN stays; a sibling's dead TAN comes back;
    # a disconnected account is left alone
    assert last4(pms["shared"]) != before["shared"] and last4(pms["sibling"]) == before["sibling"]
    assert tan_status(dead) == "transactable" and tan_status(disconnected) != "transactable"
    numbers = events(api, "financial_connections.account.account_numbers_updated")
    assert sorted(e["data"]["object"]["id"] for e in numbers) == sorted([shared["id"], dead["id"]])


def test_fc_accounts_list_refuses_both_holder_filters(api: Api) -> None:
    both = error(api.get("/v1/financial_connections/accounts?account_holder[customer]=cus_1"
                         "&account_holder[account]=acct_1", headers=PREVIEW))
    assert (both["code"], both["param"], both["message"]) == (
        "parameters_exclusive", "account_holder",
        "You may only specify one of these parameters: account_holder[account], account_holder[customer].")


def test_fc_events_no_request_caused_carry_the_servers_default_version() -> None:
    app = create_app(Settings(seed=7, default_api_version="2026-09-30.preview"))
    caller = AsgiCaller(app)
    try:
        api = Api(caller, app)
        api.post("/_emulator/clock", {"freeze": "true"})
        expiring = linked(api, customer(api), "TAN Savings (expiring soon)", institution="Emulator: TAN States")[0]
        advance(api, 10 * DAY + 1)
        automatic = events(api, "financial_connections.account.account_numbers_updated")
        assert [(e["api_version"], e["request"]["id"]) for e in automatic] == [("2026-09-30.preview", None)]
        assert automatic[0]["data"]["object"]["id"] == expiring["id"]
        assert api.get("/v1/customers").headers["stripe-version"] == "2026-09-30.preview"
    finally:
        caller.close()


def test_fc_accounts_list_by_a_connected_account_holder(api: Api) -> None:
    connected = api.post("/v1/accounts", {"type": "custom"}).json()["id"]
    created = session(api, [("account_holder[type]", "account"), ("account_holder[account]", connected),
                            ("permissions[]", "payment_method")]).json()
    done = api.post(f"{HELPERS}/sessions/{created['id']}/complete", {"accounts[]": "Sample Checking Account"},
                    headers=PREVIEW).json()
    held = done["accounts"]["data"][0]
    assert held["account_holder"] == {"account": connected, "type": "account"}
    linked(api, customer(api), "Sample Checking Account")
    listed = api.get(f"/v1/financial_connections/accounts?account_holder[account]={connected}").json()["data"]
    assert [a["id"] for a in listed] == [held["id"]]
    assert api.get("/v1/financial_connections/accounts?account_holder[account]=acct_other").json()["data"] == []


def test_fc_deactivation_causes_reach_the_login_or_the_account_with_their_default_actions(api: Api) -> None:
    """The README's table: login-level causes deactivate every active account of the authorization, account-level
    causes only the one named; `action` defaults to `none` for account_closed/account_unavailable, else
    relink_required; each account sends `deactivated` with its previous status, and a live TAN is deactivated."""
    cus = customer(api)
    for cause, default_action, whole_login in (("access_expired", "relink_required", True),
                                               ("access_denied", "relink_required", True),
                                               ("institution_requirement", "relink_required", True),
                                               ("unspecified", "relink_required", True),
                                               ("account_closed", "none", False),
                                               ("account_unavailable", "none", False)):
        first, second = linked(api, cus, "Sample Checking Account", "Sample Savings Account")
        done = api.post(f"{HELPERS}/accounts/{first['id']}/deactivate", {"cause": cause}, headers=PREVIEW).json()
        assert done["status_details"] == {"inactive": {"action": default_action, "cause": cause}}, cause
        assert account(api, second["id"])["status"] == ("inactive" if whole_login else "active"), cause
    tan_first, tan_second = linked(api, cus, "TAN Checking", "TAN Savings (expiring soon)",
                                   institution="Emulator: TAN States")
    before = len(events(api, "financial_connections.account.deactivated"))
    explicit = api.post(f"{HELPERS}/accounts/{tan_first['id']}/deactivate",
                        {"cause": "account_closed", "action": "relink_required"}, headers=PREVIEW).json()
    assert explicit["status_details"] == {"inactive": {"action": "relink_required", "cause": "account_closed"}}
    assert explicit["account_numbers"][0]["status"] == "deactivated"
    assert account(api, tan_second["id"])["account_numbers"][0]["status"] == "transactable"
    deactivated = events(api, "financial_connections.account.deactivated")
    assert len(deactivated) == before + 1
    assert deactivated[0]["data"]["previous_attributes"] == {"status": "active", "status_details": {}}
    again = error(api.post(f"{HELPERS}/accounts/{tan_first['id']}/deactivate", {}, headers=PREVIEW))
    assert (again["param"], again["message"]) == ("account", f"The account {tan_first['id']} is already inactive.")
    plain = linked(api, cus, "Sample Checking Account")[0]
    default = api.post(f"{HELPERS}/accounts/{plain['id']}/deactivate", {}, headers=PREVIEW).json()
    assert default["status_details"] == {"inactive": {"action": "relink_required", "cause": "access_expired"}}


def test_fc_a_linked_account_carries_its_institutions_catalogue_entry(api: Api) -> None:
    """The README's "Test institutions" table: name, subcategory and last4 of each account."""
    api.post("/_emulator/clock", {"freeze": "true"})
    now = api.get("/_emulator/clock").json()["now"]
    cus = customer(api)
    checking, card = linked(api, cus, "Sample Checking Account", "Sample Credit Card")
    assert {k: checking[k] for k in ("object", "category", "subcategory", "display_name", "institution_name",
                                     "last4", "livemode", "status", "status_details", "permissions",
                                     "supported_payment_method_types", "account_holder", "created")} == {
        "object": "financial_connections.account", "category": "cash", "subcategory": "checking",
        "display_name": "Sample Checking Account", "institution_name": "Test (Non-OAuth)", "last4": "6789",
        "livemode": False, "status": "active", "status_details": {}, "permissions": ["payment_method"],
        "supported_payment_method_types": ["us_bank_account"], "account_holder": {"customer": cus,
                                                                                   "type": "customer"},
        "created": now}
    assert checking["institution"] == "fcinst_Qn1a7A4KhL42se"
    assert (card["category"], card["subcategory"], card["last4"], card["supported_payment_method_types"]) == (
        "credit", "credit_card", "1111", [])
    tans = linked(api, cus, "TAN Checking", "TAN Savings (expiring soon)", "TAN Checking (pending)",
                  institution="Emulator: TAN States")
    assert [(a["last4"], a["account_numbers"]) for a in tans] == [
        ("8001", [{"expected_expiry_date": now + 365 * DAY, "identifier_type": "tokenized_account_number",
                   "status": "transactable", "supported_networks": ["ach"]}]),
        ("8002", [{"expected_expiry_date": now + 10 * DAY, "identifier_type": "tokenized_account_number",
                   "status": "transactable", "supported_networks": ["ach"]}]),
        ("8005", [{"expected_expiry_date": now + 365 * DAY, "identifier_type": "tokenized_account_number",
                   "status": "pending", "supported_networks": ["ach"]}])]
    created = events(api, "financial_connections.account.created")
    assert len(created) == 5 and {e["data"]["object"]["id"] for e in created} == {
        a["id"] for a in (checking, card, *tans)}
