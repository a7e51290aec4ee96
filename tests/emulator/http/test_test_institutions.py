"""Stripe's documented test institutions (facts §1–§3 in shared/reference/stripe-docs-facts.md), each behaviour
checked against what Stripe's docs say, with the page cited at the test."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.emulator.http.test_fc_sessions import HELPERS, PREVIEW, customer, error, linked, session

DAY = 24 * 60 * 60
TESTING = "https://docs.stripe.com/financial-connections/testing"


def account(api: Api, account_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.get(f"/v1/financial_connections/accounts/{account_id}", headers=PREVIEW).json()
    return found


def events(api: Api, type: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api.get(f"/v1/events?type={type}&limit=100", headers=PREVIEW).json()["data"]
    return found


def freeze(api: Api) -> int:
    now: int = api.post("/_emulator/clock", {"freeze": "true"}).json()["now"]
    return now


def advance(api: Api, seconds: int) -> None:
    api.post("/_emulator/clock", {"advance": str(seconds)})


def test_institutions_answer_to_current_names_old_names_and_the_seeds_spelling_in_any_case(api: Api) -> None:
    # facts §1 (TESTING): current names, the older names users still type, and the seed's "Inactive accounts"
    for given, name in [("test institution", "Test (Non-OAuth)"), ("Test OAuth Institution", "Test (OAuth)"),
                        ("Inactive accounts", "Inactive Accounts"),
                        ("tokenized account numbers", "Tokenized Account Number"), ("bank (non-oauth)",
                                                                                    "Bank (Non-OAuth)")]:
        first = linked(api, customer(api), institution=given)[0]
        assert first["institution_name"] == name, given
        by_name = api.get(f"/v1/financial_connections/institutions/{given}", headers=PREVIEW).json()
        assert by_name["name"] == name and by_name["id"] == first["institution"]
    down = api.get("/v1/financial_connections/institutions/DOWN BANK (SCHEDULED)", headers=PREVIEW).json()
    assert down["name"] == "Down (Scheduled)"
    inactive = api.get("/v1/financial_connections/institutions/Inactive Accounts", headers=PREVIEW).json()["id"]
    filtered = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", customer(api)),
                             ("permissions[]", "payment_method"), ("filters[institution]", "inactive ACCOUNTS")]).json()
    assert filtered["filters"]["institution"] == inactive  # kept as the institution's id
    unknown = error(session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", customer(api)),
                                  ("permissions[]", "payment_method"), ("filters[institution]", "Nope Bank")]))
    assert (unknown["code"], unknown["param"]) == ("resource_missing", "filters[institution]")


def test_the_tokenized_account_number_institution_has_exactly_the_three_documented_accounts(api: Api) -> None:
    # facts §1 (TESTING): Expired / Eventually Expiring / Immediately Expiring Tokenized Account Number
    now = freeze(api)
    tans = {a["display_name"]: a for a in linked(api, customer(api), institution="Tokenized Account Number")}
    assert sorted(tans) == ["Eventually Expiring Tokenized Account Number", "Expired Tokenized Account Number",
                            "Immediately Expiring Tokenized Account Number"]
    expired = tans["Expired Tokenized Account Number"]["account_numbers"][0]
    assert (expired["identifier_type"], expired["status"]) == ("tokenized_account_number", "deactivated")
    eventually = tans["Eventually Expiring Tokenized Account Number"]
    assert eventually["account_numbers"][0]["expected_expiry_date"] == now + 30 * DAY  # "expires in 30 days"
    immediately = tans["Immediately Expiring Tokenized Account Number"]
    assert immediately["account_numbers"][0]["status"] == "transactable"  # not inside the link request
    notices = events(api, "financial_connections.account.upcoming_account_number_expiry")
    assert [e["data"]["object"]["id"] for e in notices] == [eventually["id"]]  # 30 days ahead: at once
    advance(api, 5)  # "right after the session": 5 s of namespace clock (README)
    assert account(api, immediately["id"])["account_numbers"][0]["status"] == "expired"
    updated = events(api, "financial_connections.account.account_numbers_updated")
    assert [e["data"]["object"]["id"] for e in updated] == [immediately["id"]]
    advance(api, 30 * DAY)
    assert account(api, eventually["id"])["account_numbers"][0]["status"] == "expired"


def test_inactive_accounts_go_inactive_shortly_after_the_flow_and_a_relink_brings_them_back(api: Api) -> None:
    # facts §1 (TESTING): "shortly after the auth flow completes, linked accounts go active -> inactive; a relink
    # brings them back to active"
    freeze(api)
    cus = customer(api)
    first, second = linked(api, cus, institution="Inactive Accounts")
    assert (first["status"], second["status"]) == ("active", "active")
    advance(api, 4)
    assert account(api, first["id"])["status"] == "active"
    advance(api, 1)
    for item in (first, second):
        found = account(api, item["id"])
        assert found["status_details"] == {"inactive": {"action": "relink_required", "cause": "unspecified"}}
    assert len(events(api, "financial_connections.account.deactivated")) == 2
    relink = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                           ("permissions[]", "payment_method"),
                           ("relink_options[authorization]", first["authorization"]),
                           ("relink_options[account]", first["id"])]).json()
    api.post(f"{HELPERS}/sessions/{relink['id']}/complete", {}, headers=PREVIEW)
    advance(api, 30 * DAY)
    assert account(api, first["id"])["status"] == "active" and account(api, second["id"])["status"] == "active"


def test_an_account_first_linked_by_a_relink_at_inactive_accounts_stays_active(api: Api) -> None:
    # facts §1 (TESTING) says the accounts go inactive shortly after "the auth flow completes" and that a relink
    # brings them back; Stripe is silent on a new account picked in a relink — chosen (README): it stays active.
    freeze(api)
    cus = customer(api)
    (first,) = linked(api, cus, "Sample Checking Account", institution="Inactive Accounts")
    advance(api, 5)
    assert account(api, first["id"])["status"] == "inactive"
    relink = session(api, [("permissions[]", "payment_method"),
                           ("relink_options[authorization]", first["authorization"])]).json()
    done = api.post(f"{HELPERS}/sessions/{relink['id']}/complete", {"accounts[]": "Sample Savings Account"},
                    headers=PREVIEW).json()
    (new,) = done["accounts"]["data"]
    assert new["id"] != first["id"] and new["authorization"] == first["authorization"]
    advance(api, 30 * DAY)
    assert account(api, new["id"])["status"] == "active"


def test_immediately_requires_reauthentication_gives_one_day_after_each_reactivation(api: Api) -> None:
    # facts §1 (TESTING): "after each later reactivation the account has an expected_deactivation_date 1 day in
    # the future"
    freeze(api)
    cus = customer(api)
    target = linked(api, cus, "Sample Checking Account", institution="Immediately Requires Reauthentication")[0]
    advance(api, 5)
    assert account(api, target["id"])["status"] == "inactive"
    relink = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                           ("permissions[]", "payment_method"),
                           ("relink_options[authorization]", target["authorization"]),
                           ("relink_options[account]", target["id"])]).json()
    api.post(f"{HELPERS}/sessions/{relink['id']}/complete", {}, headers=PREVIEW)
    now = api.get("/_emulator/clock").json()["now"]
    assert account(api, target["id"])["status_details"]["active"]["expected_deactivation_date"] == now + DAY


def test_eventually_requires_reauthentication_deactivates_30_days_after_authentication(api: Api) -> None:
    # facts §1 (TESTING) and §2: 30 days after authentication, with account and authorization upcoming_deactivation
    now = freeze(api)
    target = linked(api, customer(api), "Sample Checking Account",
                    institution="Eventually Requires Reauthentication")[0]
    assert target["status_details"]["active"]["expected_deactivation_date"] == now + 30 * DAY
    assert len(events(api, "financial_connections.account.upcoming_deactivation")) == 1
    assert len(events(api, "financial_connections.authorization.upcoming_deactivation")) == 1
    advance(api, 30 * DAY - 1)
    assert account(api, target["id"])["status"] == "active"
    advance(api, 1)
    assert account(api, target["id"])["status"] == "inactive"


def test_upcoming_deactivation_is_sent_30_days_ahead(api: Api) -> None:
    # facts §2: https://docs.stripe.com/changelog/dahlia/2026-07-29/financial-connections-deactivation-event-notifications
    freeze(api)
    target = linked(api, customer(api), "Sample Checking Account")[0]
    api.post(f"{HELPERS}/accounts/{target['id']}/schedule_deactivation", {"after_seconds": str(40 * DAY)},
             headers=PREVIEW)
    advance(api, 10 * DAY - 1)
    assert events(api, "financial_connections.account.upcoming_deactivation") == []
    advance(api, 1)
    assert len(events(api, "financial_connections.account.upcoming_deactivation")) == 1


def test_only_revocation_or_closure_deactivates_a_tan_and_a_new_tan_has_a_new_routing_number(api: Api) -> None:
    # facts §3: an inactive data connection alone does not block payments
    # (https://docs.stripe.com/financial-connections/relink/hosted); a new TAN is a new account and routing number
    # (https://docs.stripe.com/financial-connections/tokenized-account-numbers)
    cus = customer(api)
    tan = linked(api, cus, "Eventually Expiring Tokenized Account Number", institution="Tokenized Account Number")[0]
    api.post(f"{HELPERS}/accounts/{tan['id']}/deactivate", {"cause": "access_expired"}, headers=PREVIEW)
    assert account(api, tan["id"])["account_numbers"][0]["status"] == "transactable"
    other = linked(api, cus, "Eventually Expiring Tokenized Account Number", institution="Tokenized Account Number")[0]
    api.post(f"{HELPERS}/accounts/{other['id']}/deactivate", {"cause": "access_denied"}, headers=PREVIEW)
    assert account(api, other["id"])["account_numbers"][0]["status"] == "deactivated"
    si = api.post("/v1/setup_intents", [
        ("customer", cus), ("payment_method_data[type]", "us_bank_account"),
        ("payment_method_data[us_bank_account][financial_connections_account]", tan["id"]),
        ("payment_method_data[billing_details][name]", "Jenny"),
    ], headers=PREVIEW)
    assert error(si)["code"] == "financial_connections_account_inactive"  # a new PM needs an active account
    relink = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                           ("permissions[]", "payment_method"),
                           ("relink_options[authorization]", tan["authorization"]),
                           ("relink_options[account]", tan["id"])]).json()
    api.post(f"{HELPERS}/sessions/{relink['id']}/complete", {}, headers=PREVIEW)
    made = api.post("/v1/setup_intents", [
        ("customer", cus), ("payment_method_data[type]", "us_bank_account"),
        ("payment_method_data[us_bank_account][financial_connections_account]", tan["id"]),
        ("payment_method_data[billing_details][name]", "Jenny"),
    ], headers=PREVIEW).json()
    pm = api.get(f"/v1/payment_methods/{made['payment_method']}", headers=PREVIEW).json()
    routing = pm["us_bank_account"]["routing_number"]
    assert routing != "021000021" and len(routing) == 9 and routing.isdigit()
    digits = [int(d) for d in routing]
    weights = [3, 7, 1] * 3  # the ABA check: the weighted sum is a multiple of 10
    assert sum(w * d for w, d in zip(weights, digits, strict=True)) % 10 == 0


def _login_session(api: Api, cus: str, *relink: tuple[str, str]) -> str:
    created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                            ("permissions[]", "payment_method"), *relink]).json()
    return str(created["id"])


def _log_in(api: Api, session_id: str, *entries: tuple[str, str], institution: str = "Bank (Non-OAuth)") -> Any:
    return api.post(f"{HELPERS}/sessions/{session_id}/complete", [("institution", institution), *entries],
                    headers=PREVIEW)


def test_bank_non_oauth_reads_stripes_credential_keywords(api: Api) -> None:
    # facts §1 (TESTING): "Any username/password logs in. In the password or any later field: options, mfa,
    # confirm_mfa, security_question exercise further prompts; error in any field ends the login session;
    # incorrect lets the customer try again"
    cus = customer(api)
    plain = _log_in(api, _login_session(api, cus), ("credentials[username]", "jenny"),
                    ("credentials[password]", "hunter2")).json()
    assert plain["status"] == "succeeded"
    for keyword in ("options", "mfa", "confirm_mfa", "security_question", " MFA "):
        pending = _login_session(api, cus)
        asked = error(_log_in(api, pending, ("credentials[username]", "jenny"), ("credentials[password]", keyword)))
        assert (asked["code"], asked["param"]) == ("parameter_missing", "credentials[answers][0]"), keyword
        assert api.get(f"/v1/financial_connections/sessions/{pending}", headers=PREVIEW).json()["status"] == "pending"
        answered = _log_in(api, pending, ("credentials[username]", "jenny"), ("credentials[password]", keyword),
                           ("credentials[answers][0]", "123456")).json()
        assert answered["status"] == "succeeded", keyword
    chained = _login_session(api, cus)  # "or any later field": an answer can be a keyword too
    entries = [("credentials[username]", "jenny"), ("credentials[password]", "mfa"),
               ("credentials[answers][0]", "security_question")]
    assert error(_log_in(api, chained, *entries))["param"] == "credentials[answers][1]"
    assert _log_in(api, chained, *entries, ("credentials[answers][1]", "Rex")).json()["status"] == "succeeded"
    username_only = _login_session(api, cus)  # prompts come from the password or later, not the username
    assert _log_in(api, username_only, ("credentials[username]", "mfa"),
                   ("credentials[password]", "x")).json()["status"] == "succeeded"
    retry = _login_session(api, cus)
    wrong = _log_in(api, retry, ("credentials[username]", "jenny"), ("credentials[password]", "incorrect")).json()
    assert (wrong["status"], wrong["accounts"]["data"]) == ("pending", [])  # the customer may try again
    again = _log_in(api, retry, ("credentials[username]", "jenny"), ("credentials[password]", "right")).json()
    assert again["status"] == "succeeded"
    for username, password in [("error", "pw"), ("jenny", "error"), ("jenny", " Error")]:  # any field
        ended = _log_in(api, _login_session(api, cus), ("credentials[username]", username),
                        ("credentials[password]", password)).json()
        assert ended["status"] == "failed", (username, password)
    late = _log_in(api, _login_session(api, cus), ("credentials[username]", "jenny"),
                   ("credentials[password]", "confirm_mfa"), ("credentials[answers][0]", "ERROR")).json()
    assert late["status"] == "failed"


def test_an_error_keyword_in_a_relink_login_is_no_authorization(api: Api) -> None:
    # facts §1 (TESTING) "error in any field ends the login session"; seed §3: a failed login is no_authorization
    cus = customer(api)
    first = linked(api, cus, institution="Bank (Non-OAuth)")[0]
    api.post(f"{HELPERS}/accounts/{first['id']}/deactivate", {"cause": "access_expired"}, headers=PREVIEW)
    relink = _login_session(api, cus, ("relink_options[authorization]", first["authorization"]),
                            ("relink_options[account]", first["id"]))
    ended = _log_in(api, relink, ("credentials[username]", "jenny"), ("credentials[password]", "error")).json()
    assert ended["status"] == "failed"
    assert ended["relink_result"] == {"account": None, "authorization": None, "failure_reason": "no_authorization"}
    assert account(api, first["id"])["status"] == "inactive"


def test_credentials_are_refused_where_no_login_form_takes_them(api: Api) -> None:
    cus = customer(api)
    oauth = error(_log_in(api, _login_session(api, cus), ("credentials[username]", "j"),
                          ("credentials[password]", "p"), institution="Bank (OAuth)"))
    assert oauth["param"] == "credentials" and "OAuth" in oauth["message"]
    mixed = error(_log_in(api, _login_session(api, cus), ("credentials[username]", "j"),
                          ("credentials[password]", "p"), ("outcome", "cancel")))
    assert mixed["param"] == "credentials"
    unasked = error(_log_in(api, _login_session(api, cus), ("credentials[username]", "j"),
                            ("credentials[password]", "p"), ("credentials[answers][0]", "1")))
    assert unasked["param"] == "credentials[answers][0]"
    missing = error(_log_in(api, _login_session(api, cus), ("credentials[username]", "j")))
    assert (missing["code"], missing["param"]) == ("parameter_missing", "credentials[password]")
    # at a form-login bank without keywords, the keywords are just a password
    assert _log_in(api, _login_session(api, cus), ("credentials[username]", "j"), ("credentials[password]", "error"),
                   institution="Test (Non-OAuth)").json()["status"] == "succeeded"
