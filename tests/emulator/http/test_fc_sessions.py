"""Financial Connections sessions over HTTP: the validation table of reference §1.4, version-dependent defaults and
rendering, and the `complete` helper's own validation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api

PREVIEW = {"Stripe-Version": "2026-09-30.preview"}
GA = {"Stripe-Version": "2026-10-28.endive"}
HELPERS = "/v1/test_helpers/financial_connections"


def customer(api: Api) -> str:
    return str(api.post("/v1/customers", {"name": "Jenny"}).json()["id"])


def session(api: Api, data: list[tuple[str, str]], headers: dict[str, str] = PREVIEW) -> Any:
    return api.post("/v1/financial_connections/sessions", data, headers=headers)


def linked(api: Api, cus: str, *accounts: str, institution: str = "Test (Non-OAuth)") -> list[dict[str, Any]]:
    created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                            ("permissions[]", "payment_method")]).json()
    data = [("institution", institution)] + [("accounts[]", a) for a in accounts]
    done = api.post(f"{HELPERS}/sessions/{created['id']}/complete", data, headers=PREVIEW).json()
    assert done["status"] == "succeeded", done
    return list(done["accounts"]["data"])


def error(response: Any) -> dict[str, Any]:
    assert response.status >= 400, response.body
    found: dict[str, Any] = response.json()["error"]
    return found


@pytest.mark.parametrize(
    ("data", "headers", "code", "param"),
    [
        ([("account_holder[type]", "customer")], PREVIEW, "parameter_missing", "permissions"),
        ([("permissions[]", "payment_method")], GA, "parameter_missing", "account_holder"),
        ([("permissions", "")], PREVIEW, "parameter_invalid_empty", "permissions"),
        ([("permissions[]", "telepathy")], PREVIEW, None, "permissions[0]"),
        ([("permissions[]", "balances"), ("account_holder[type]", "customer")], PREVIEW, "parameter_missing",
         "account_holder[customer]"),
        ([("permissions[]", "balances"), ("account_holder[type]", "customer"), ("account_holder[customer]", "cus_x")],
         PREVIEW, "resource_missing", "account_holder[customer]"),
        ([("permissions[]", "balances"), ("relink_options[account]", "fca_x")], PREVIEW, "parameter_missing",
         "relink_options[authorization]"),
        ([("permissions[]", "balances"), ("relink_options[authorization]", "fcauth_x")], PREVIEW, "resource_missing",
         "relink_options[authorization]"),
        ([("permissions[]", "balances"), ("account_holder[type]", "account"), ("account_holder[account]", "acct_1"),
          ("relink_options[authorization]", "fcauth_x")], GA, "parameter_unknown", "relink_options"),
        ([("permissions[]", "balances"), ("filters[countries][]", "US")], PREVIEW, "parameter_unknown",
         "filters[countries]"),
        ([("permissions[]", "balances"), ("filters[country][]", "US")], PREVIEW, None, "filters[country]"),
        ([("permissions[]", "balances"), ("hosted[delivery_method]", "email")], PREVIEW, None,
         "hosted[delivery_method]"),
        ([("permissions[]", "balances"), ("ui_mode", "hosted")], PREVIEW, "parameter_missing", "hosted[return_url]"),
        ([("permissions[]", "balances"), ("ui_mode", "hosted")], {"Stripe-Version": "2026-01-28.preview"},
         "parameter_unknown", "ui_mode"),
        ([("permissions[]", "balances"), ("limits[accounts]", "0")], PREVIEW, None, "limits[accounts]"),
        ([("account_holder[type]", "customer"), ("account_holder[customer]", "x"), ("permissions[]", "balances"),
          ("filters[account_subcategories][]", "mortgage")], {"Stripe-Version": "2024-06-20"}, None,
         "filters[account_subcategories][0]"),
    ],
)
def test_fc_session_create_validation(api: Api, data: list[tuple[str, str]], headers: dict[str, str],
                                      code: str | None, param: str) -> None:
    found = error(session(api, data, headers))
    assert (found.get("code"), found.get("param")) == (code, param)
    assert api.get("/v1/events").json()["data"] == []  # nothing changed


def test_fc_session_relink_validation_against_the_world(api: Api) -> None:
    cus = customer(api)
    first, second = linked(api, cus, "Sample Checking Account", "Sample Savings Account")
    other = linked(api, cus, "Sample Checking Account")[0]
    base = [("permissions[]", "payment_method")]
    mismatch = error(session(api, base + [("relink_options[authorization]", first["authorization"]),
                                          ("relink_options[account]", other["id"])]))
    assert mismatch["param"] == "relink_options[account]" and "does not belong" in mismatch["message"]
    unknown = error(session(api, base + [("relink_options[authorization]", first["authorization"]),
                                         ("relink_options[account]", "fca_nope")]))
    assert (unknown["code"], unknown["param"]) == ("resource_missing", "relink_options[account]")
    holder = error(session(api, base + [("account_holder[type]", "customer"), ("account_holder[customer]",
                                        customer(api)), ("relink_options[authorization]", first["authorization"])]))
    assert holder["param"] == "account_holder"
    api.post(f"/v1/financial_connections/accounts/{first['id']}/disconnect", headers=PREVIEW)
    disconnected = error(session(api, base + [("relink_options[authorization]", first["authorization"]),
                                              ("relink_options[account]", first["id"])]))
    assert disconnected["param"] == "relink_options[account]"
    assert second["authorization"] == first["authorization"]
    api.post(f"/v1/financial_connections/accounts/{second['id']}/disconnect", headers=PREVIEW)
    authorization = api.get(f"/v1/financial_connections/authorizations/{first['authorization']}",
                            headers=PREVIEW).json()
    assert authorization["status"] == "disconnected"
    gone = error(session(api, base + [("relink_options[authorization]", first["authorization"])]))
    assert gone["param"] == "relink_options[authorization]" and "disconnected" in gone["message"]


def test_fc_session_defaults_per_version(api: Api) -> None:
    cus = customer(api)
    holder = [("account_holder[type]", "customer"), ("account_holder[customer]", cus), ("permissions[]", "balances")]
    endive = session(api, holder, GA).json()
    assert endive["filters"] == {"account_subcategories": ["checking", "credit_card", "line_of_credit", "mortgage",
                                                           "savings"], "country": None,
                                 "require_payment_method_support": "none"}
    assert "limits" not in endive and endive["manual_entry"] == {"mode": "disabled"} and endive["prefetch"] == []
    old = session(api, holder + [("filters[countries][]", "US")], {"Stripe-Version": "2026-07-29.dahlia"}).json()
    assert old["filters"] == {"account_subcategories": None, "countries": ["US"]}
    assert old["limits"] == {"accounts": 100} and old["manual_entry"] == {"mode": "automatic"}
    given = session(api, holder + [("filters[country]", "US"), ("limits[accounts]", "2"),
                                   ("filters[account_subcategories][]", "checking")], GA).json()
    assert given["filters"]["country"] == "US" and given["limits"] == {"accounts": 2}


def test_fc_session_advanced_config_exists_from_dahlia_2026_07_29(api: Api) -> None:
    # facts §6: filters.require_payment_method_support, limits.accounts and manual_entry.mode "are now available"
    # from 2026-07-29.dahlia: https://docs.stripe.com/changelog/dahlia/2026-07-29/financial-connections-advanced-session-config
    cus = customer(api)
    holder = [("account_holder[type]", "customer"), ("account_holder[customer]", cus), ("permissions[]", "balances")]
    before = {"Stripe-Version": "2026-06-24.dahlia"}
    for name, value, param in (("limits[accounts]", "1", "limits"), ("manual_entry[mode]", "disabled", "manual_entry"),
                               ("filters[require_payment_method_support]", "all",
                                "filters[require_payment_method_support]")):
        refused = error(session(api, holder + [(name, value)], before))
        assert (refused["code"], refused["param"]) == ("parameter_unknown", param)
    shown = session(api, holder, before).json()
    assert not {"limits", "manual_entry"} & set(shown) and "require_payment_method_support" not in shown["filters"]
    on = {"Stripe-Version": "2026-07-29.dahlia"}
    given = session(api, holder + [("limits[accounts]", "1"), ("manual_entry[mode]", "disabled"),
                                   ("filters[require_payment_method_support]", "all")], on).json()
    assert (given["limits"], given["manual_entry"], given["filters"]["require_payment_method_support"]) == (
        {"accounts": 1}, {"mode": "disabled"}, "all")
    # the source document's relink session (a preview version before 2026-07-29) sends limits[accounts]=1
    relink_preview = session(api, holder + [("limits[accounts]", "1")], {"Stripe-Version": "2026-04-22.preview"})
    assert relink_preview.json()["limits"] == {"accounts": 1}


def test_fc_session_preview_fields_and_hosted(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus)[0]
    api.post(f"{HELPERS}/accounts/{account['id']}/deactivate", {}, headers=PREVIEW)  # eligible for hosted relink
    created = session(api, [("permissions[]", "payment_method"), ("relink_options[authorization]",
                                                                  account["authorization"]),
                            ("ui_mode", "hosted"), ("hosted[delivery_method]", "url"),
                            ("hosted[return_url]", "https://example.com/back")]).json()
    assert created["account_holder"] == {"customer": cus, "type": "customer"}  # taken from the authorization
    assert created["ui_mode"] == "hosted" and created["hosted"] == {"delivery_method": "url",
                                                                    "return_url": "https://example.com/back"}
    assert created["url"].endswith(f"/hosted/financial_connections/{created['id']}?key=pk_test_conftest")
    assert created["status"] == "pending" and created["status_details"] == {}
    assert created["relink_options"] == {"account": None, "authorization": account["authorization"]}
    retrieved = api.get(f"/v1/financial_connections/sessions/{created['id']}", headers=PREVIEW).json()
    assert retrieved == created
    assert api.get("/v1/financial_connections/sessions/fcsess_nope").status == 404


def test_fc_session_expand_account_holder_and_accounts(api: Api) -> None:
    cus = customer(api)
    created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                            ("permissions[]", "ownership"), ("prefetch[]", "ownership")]).json()
    api.post(f"{HELPERS}/sessions/{created['id']}/complete", {"accounts[]": "Sample Checking Account"},
             headers=PREVIEW)
    expanded = api.get(f"/v1/financial_connections/sessions/{created['id']}?expand[]=account_holder.customer"
                       "&expand[]=accounts.data.ownership&expand[]=accounts.data.institution", headers=PREVIEW).json()
    assert expanded["account_holder"]["customer"]["id"] == cus
    account = expanded["accounts"]["data"][0]
    assert account["ownership"]["object"] == "financial_connections.account_ownership"
    assert account["ownership"]["owners"]["data"][0]["object"] == "financial_connections.account_owner"
    assert account["institution"]["name"] == "Test (Non-OAuth)"


def test_fc_complete_validation(api: Api) -> None:
    cus = customer(api)
    created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                            ("permissions[]", "payment_method"), ("filters[account_subcategories][]", "checking"),
                            ("limits[accounts]", "1")]).json()
    path = f"{HELPERS}/sessions/{created['id']}/complete"
    assert error(api.post(path, {"institution": "Atlantis Savings"}, headers=PREVIEW))["code"] == "resource_missing"
    assert error(api.post(path, {"accounts[]": "Gold Bars"}, headers=PREVIEW))["param"] == "accounts[0]"
    assert "only allow checking" in error(api.post(path, {"accounts[]": "Sample Savings Account"},
                                                   headers=PREVIEW))["message"]
    two = [("accounts[]", "Sample Checking Account"), ("accounts[]", "Everyday Checking")]
    assert error(api.post(path, two, headers=PREVIEW))["param"] == "accounts[1]"  # not at this institution
    assert error(api.post(path, {"outcome": "maybe"}, headers=PREVIEW))["param"] == "outcome"
    assert api.get("/v1/financial_connections/accounts").json()["data"] == []
    done = api.post(path, {}, headers=PREVIEW).json()
    assert [a["subcategory"] for a in done["accounts"]["data"]] == ["checking"]  # filters and limits by default
    assert error(api.post(path, {}, headers=PREVIEW))["param"] == "session"


def test_fc_new_link_outcomes_and_down_banks(api: Api) -> None:
    cus = customer(api)
    for institution, outcome in [("Down (Scheduled)", "success"), ("Down (Unscheduled)", "success"),
                                 ("Down (Error)", "success"), ("Test (Non-OAuth)", "authentication_failed"),
                                 ("Test (Non-OAuth)", "no_accounts_available")]:
        created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                                ("permissions[]", "payment_method")]).json()
        done = api.post(f"{HELPERS}/sessions/{created['id']}/complete",
                        {"institution": institution, "outcome": outcome}, headers=PREVIEW).json()
        assert done["status"] == "failed" and "relink_result" not in done, (institution, outcome)
    assert api.get("/v1/financial_connections/accounts").json()["data"] == []
    account = linked(api, cus)[0]
    api.post(f"{HELPERS}/accounts/{account['id']}/deactivate", headers=PREVIEW)
    created = session(api, [("permissions[]", "payment_method"),
                            ("relink_options[authorization]", account["authorization"])]).json()
    done = api.post(f"{HELPERS}/sessions/{created['id']}/complete", {"institution": "Down (Error)"},
                    headers=PREVIEW).json()
    # README: `error` or a Down Bank -> `other` (a Down Bank's error comes before it could be "another login")
    assert done["relink_result"]["failure_reason"] == "other"


def test_fc_session_updated_event_only_on_preview(api: Api) -> None:
    cus = customer(api)
    for headers in (GA, PREVIEW):
        created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                                ("permissions[]", "payment_method")], headers).json()
        api.post(f"{HELPERS}/sessions/{created['id']}/complete", {}, headers=headers)
    updated = api.get("/v1/events?type=financial_connections.session.updated", headers=PREVIEW).json()["data"]
    assert len(updated) == 1 and updated[0]["api_version"] == "2026-09-30.preview"
    assert updated[0]["data"]["object"]["status"] == "succeeded"


def test_fc_relink_that_shares_only_unrepairable_accounts_fails_with_no_account(api: Api) -> None:
    """§6: a relink repairs accounts whose `status_details.inactive.action` is `relink_required`; an account closed at
    the bank (action `none`) stays inactive. A relink in which the customer shares only such accounts repaired
    nothing, so it fails with `no_account` — and one that also shares a repairable account succeeds."""
    cus = customer(api)
    checking, savings = linked(api, cus, "Sample Checking Account", "Sample Savings Account")
    for account, cause in ((checking, "account_closed"), (savings, "access_expired")):
        done = api.post(f"{HELPERS}/accounts/{account['id']}/deactivate", {"cause": cause}, headers=PREVIEW)
        assert done.status == 200, done.body
    relink = [("permissions[]", "payment_method"), ("relink_options[authorization]", checking["authorization"])]
    only_closed = session(api, relink).json()
    result = api.post(f"{HELPERS}/sessions/{only_closed['id']}/complete",
                      [("accounts[]", checking["id"])], headers=PREVIEW).json()
    assert result["status"] == "failed", result
    assert result["relink_result"] == {"account": None, "authorization": None, "failure_reason": "no_account"}
    states = {a["id"]: a["status"] for a in api.get(
        f"/v1/financial_connections/accounts?account_holder[customer]={cus}", headers=PREVIEW).json()["data"]}
    assert states == {checking["id"]: "inactive", savings["id"]: "inactive"}  # nothing was repaired

    both = session(api, relink + [("limits[accounts]", "2")]).json()
    result = api.post(f"{HELPERS}/sessions/{both['id']}/complete",
                      [("accounts[]", checking["id"]), ("accounts[]", savings["id"])], headers=PREVIEW).json()
    assert result.get("status") == "succeeded", result
    assert result["relink_result"]["failure_reason"] is None
    assert [a["id"] for a in result["accounts"]["data"]] == [savings["id"]]  # the closed one is not handed back
    states = {a["id"]: a["status"] for a in api.get(
        f"/v1/financial_connections/accounts?account_holder[customer]={cus}", headers=PREVIEW).json()["data"]}
    assert states == {checking["id"]: "inactive", savings["id"]: "active"}


def test_fc_any_account_relink_where_nothing_new_can_be_picked_fails_with_no_account(api: Api) -> None:
    """§4: when the bank no longer shows the linked accounts (`no_accounts_available`), the customer can pick only
    accounts not linked yet; with none left, the relink links nothing and fails with `no_account`."""
    cus = customer(api)
    every = linked(api, cus, "Sample Checking Account", "Sample Savings Account")
    relink = session(api, [("permissions[]", "payment_method"),
                           ("relink_options[authorization]", every[0]["authorization"])]).json()
    result = api.post(f"{HELPERS}/sessions/{relink['id']}/complete", [("outcome", "no_accounts_available")],
                      headers=PREVIEW).json()
    assert result["status"] == "failed", result
    assert result["relink_result"] == {"account": None, "authorization": None, "failure_reason": "no_account"}


def test_fc_a_relinked_account_lists_under_the_relink_session_once(api: Api) -> None:
    cus = customer(api)
    checking = linked(api, cus, "Sample Checking Account")[0]
    api.post(f"{HELPERS}/accounts/{checking['id']}/deactivate", {}, headers=PREVIEW)
    relink = session(api, [("permissions[]", "payment_method"),
                           ("relink_options[authorization]", checking["authorization"]),
                           ("relink_options[account]", checking["id"])]).json()
    assert api.post(f"{HELPERS}/sessions/{relink['id']}/complete", {}, headers=PREVIEW).json()["status"] == (
        "succeeded")
    listed = api.get(f"/v1/financial_connections/accounts?session={relink['id']}").json()["data"]
    assert [a["id"] for a in listed] == [checking["id"]]
    again = session(api, [("permissions[]", "payment_method"),
                          ("relink_options[authorization]", checking["authorization"]),
                          ("relink_options[account]", checking["id"])]).json()
    api.post(f"{HELPERS}/sessions/{again['id']}/complete", {}, headers=PREVIEW)
    assert [a["id"] for a in api.get(f"/v1/financial_connections/accounts?session={again['id']}").json()[
        "data"]] == [checking["id"]]


def test_fc_session_refusals_word_for_word(api: Api) -> None:
    cus = customer(api)
    first, second = linked(api, cus, "Sample Checking Account", "Sample Savings Account")
    other = linked(api, cus, "Sample Checking Account")[0]
    base = [("permissions[]", "payment_method")]
    relink = [*base, ("relink_options[authorization]", first["authorization"])]
    cases = [
        (relink + [("relink_options[account]", other["id"])], "relink_options[account]",
         f"The account {other['id']} does not belong to the authorization {first['authorization']}."),
        (relink + [("account_holder[type]", "customer"), ("account_holder[customer]", customer(api))],
         "account_holder",
         "account_holder must match the account holder of the authorization being relinked (or be omitted)."),
        ([*base, ("account_holder[type]", "account"), ("account_holder[account]", "cus_wrong")],
         "account_holder[account]", "No such account: 'cus_wrong'"),
        ([*base, ("account_holder[type]", "account")], "account_holder[account]",
         "Missing required param: account_holder[account]."),
        ([*base, ("hosted[delivery_method]", "url")], "hosted[delivery_method]",
         "hosted[delivery_method] can only be used together with relink_options."),
    ]
    for data, param, message in cases:
        refused = session(api, data)
        assert (error(refused)["param"], error(refused)["message"]) == (param, message), data
    not_acct = session(api, [*base, ("account_holder[type]", "account"), ("account_holder[account]", "cus_wrong")])
    assert (not_acct.status, error(not_acct)["code"]) == (404, "resource_missing")
    api.post(f"{HELPERS}/accounts/{second['id']}/deactivate", {"cause": "account_closed"}, headers=PREVIEW)
    closed = error(session(api, relink + [("relink_options[account]", second["id"])]))
    assert (closed["param"], closed["message"]) == (
        "relink_options[account]", f"The account {second['id']} cannot be repaired by relinking: "
        "status_details.inactive.action is none (cause: account_closed).")
    api.post(f"/v1/financial_connections/accounts/{first['id']}/disconnect", headers=PREVIEW)
    disconnected = error(session(api, relink + [("relink_options[account]", first["id"])]))
    assert disconnected["message"] == f"The account {first['id']} is disconnected and cannot be relinked."
    api.post(f"/v1/financial_connections/accounts/{second['id']}/disconnect", headers=PREVIEW)
    gone = error(session(api, relink))
    assert gone["message"] == (f"The authorization {first['authorization']} is disconnected and can no longer be "
                               "relinked; start a new session without relink_options to link the account again.")
    # omitted, account_holder is the authorization's; sent empty, it is null (§3.1)
    fresh = linked(api, cus, "Sample Checking Account")[0]
    relink_fresh = [*base, ("relink_options[authorization]", fresh["authorization"])]
    assert session(api, relink_fresh).json()["account_holder"] == {"customer": cus, "type": "customer"}
    assert session(api, relink_fresh + [("account_holder", "")]).json()["account_holder"] is None


def test_fc_complete_refusals_word_for_word(api: Api) -> None:
    cus = customer(api)
    created = session(api, [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
                            ("permissions[]", "payment_method"), ("filters[account_subcategories][]", "checking"),
                            ("filters[account_subcategories][]", "savings"), ("limits[accounts]", "1")]).json()
    path = f"{HELPERS}/sessions/{created['id']}/complete"
    atlantis = error(api.post(path, {"institution": "Atlantis Savings"}, headers=PREVIEW))
    assert (atlantis["code"], atlantis["param"], atlantis["message"]) == (
        "resource_missing", "institution", "No such financial_connections.institution: 'Atlantis Savings'")
    gold = error(api.post(path, {"accounts[]": "Gold Bars"}, headers=PREVIEW))
    assert gold["param"] == "accounts[0]"
    assert gold["message"] == ("Test (Non-OAuth) has no account 'Gold Bars'; it offers 'Sample Checking Account', "
                               "'Sample Savings Account', 'Sample Credit Card'.")
    too_many = error(api.post(path, [("accounts[]", "Sample Checking Account"), ("accounts[]",
                                                                                  "Sample Savings Account")],
                              headers=PREVIEW))
    assert (too_many["param"], too_many["message"]) == ("accounts",
                                                        "The session's limits allow 1 account(s); 2 were chosen.")
    credit = error(api.post(path, {"accounts[]": "Sample Credit Card"}, headers=PREVIEW))
    assert (credit["param"], credit["message"]) == (
        "accounts[0]", "The session's filters only allow checking, savings accounts; 'Sample Credit Card' is "
        "credit_card.")
    other = linked(api, customer(api), "Sample Checking Account")[0]
    foreign = error(api.post(path, {"accounts[]": other["id"]}, headers=PREVIEW))
    assert (foreign["param"], foreign["message"]) == (
        "accounts[0]", f"The account {other['id']} was not linked through this session's institution login.")
    done = api.post(path, {"accounts[]": "Sample Savings Account"}, headers=PREVIEW).json()
    assert done["status"] == "succeeded"
    again = error(api.post(path, {}, headers=PREVIEW))
    assert (again["param"], again["message"]) == (
        "session", f"The session {created['id']} was already completed (status: succeeded); create a new session.")


def test_fc_session_fields_by_version_and_after_it_ends(api: Api) -> None:
    cus = customer(api)
    holder = [("account_holder[type]", "customer"), ("account_holder[customer]", cus),
              ("permissions[]", "payment_method"), ("permissions[]", "balances"), ("permissions[]", "payment_method")]
    made = session(api, holder + [("manual_entry[mode]", "custom"), ("prefetch[]", "balances"),
                                  ("prefetch[]", "inferred_balances"), ("return_url", "https://example.com/done"),
                                  ("ui_mode", "hosted"), ("hosted[return_url]", "https://example.com/back")]).json()
    assert made["permissions"] == ["payment_method", "balances"]  # repeated permissions count once
    assert (made["manual_entry"], made["prefetch"], made["return_url"]) == (
        {"mode": "custom"}, ["balances", "inferred_balances"], "https://example.com/done")
    assert made["hosted"] == {"return_url": "https://example.com/back"} and made["url"] is not None
    assert (made["livemode"], made["accounts"]) == (False, {"object": "list", "data": [], "has_more": False,
                                                            "url": "/v1/financial_connections/accounts"})
    assert made["client_secret"].startswith("fcsess_client_secret_")
    ga = api.get(f"/v1/financial_connections/sessions/{made['id']}", headers=GA).json()
    assert (ga["manual_entry"], ga["prefetch"]) == ({"mode": "automatic"}, ["balances"])  # what GA knows
    for preview_only in ("status", "status_details", "relink_options", "relink_result", "ui_mode", "url", "hosted"):
        assert preview_only not in ga, preview_only
    cancelled = api.post(f"{HELPERS}/sessions/{made['id']}/complete", {"outcome": "cancel"}, headers=PREVIEW).json()
    assert (cancelled["status"], cancelled["status_details"], cancelled["url"]) == (
        "cancelled", {"cancelled": {"reason": "other"}}, None)
    assert "relink_result" not in cancelled  # a new link has no relink result
    no_limit = session(api, holder + [("limits[accounts]", "")], GA).json()
    assert "limits" not in no_limit


def test_fc_every_outcome_of_a_relink_and_of_a_new_link(api: Api) -> None:
    """The README's outcome table: cancel -> cancelled (failure other); authentication_failed, different_login or
    another institution -> no_authorization; error or a Down Bank -> other; no_accounts_available -> no_account; a new
    link records no relink_result and ends the same way."""
    cus = customer(api)
    checking = linked(api, cus, "Sample Checking Account")[0]
    relink = [("permissions[]", "payment_method"), ("relink_options[authorization]", checking["authorization"]),
              ("relink_options[account]", checking["id"])]
    new = [("account_holder[type]", "customer"), ("account_holder[customer]", cus), ("permissions[]", "payment_method")]
    cases = [
        ([("outcome", "cancel")], "cancelled", "other"),
        ([("outcome", "authentication_failed")], "failed", "no_authorization"),
        ([("outcome", "different_login")], "failed", "no_authorization"),
        ([("institution", "Bank (OAuth)")], "failed", "no_authorization"),  # logged in at another bank
        ([("outcome", "error")], "failed", "other"),
        ([("institution", "Down (Error)"), ("outcome", "cancel")], "cancelled", "other"),  # cancel wins
        ([("outcome", "no_accounts_available")], "failed", "no_account"),
    ]
    for data, status, reason in cases:
        made = session(api, relink).json()
        done = api.post(f"{HELPERS}/sessions/{made['id']}/complete", data, headers=PREVIEW).json()
        assert (done["status"], done["relink_result"]) == (status, {"account": None, "authorization": None,
                                                                    "failure_reason": reason}), data
        fresh = session(api, new).json()
        ended = api.post(f"{HELPERS}/sessions/{fresh['id']}/complete", data, headers=PREVIEW).json()
        another_bank = data == [("institution", "Bank (OAuth)")]  # a new link may be at any bank
        assert (ended["status"], "relink_result" in ended) == ("succeeded" if another_bank else status, False), data
    down = session(api, new).json()
    failed = api.post(f"{HELPERS}/sessions/{down['id']}/complete", {"institution": "Down (Unscheduled)"},
                      headers=PREVIEW).json()
    assert failed["status"] == "failed" and failed["accounts"]["data"] == []
    ok = session(api, relink).json()
    repaired = api.post(f"{HELPERS}/sessions/{ok['id']}/complete", {}, headers=PREVIEW).json()
    assert repaired["relink_result"] == {"account": checking["id"], "authorization": checking["authorization"],
                                         "failure_reason": None}


def hosted_relink(api: Api, authorization: str, account: str | None = None, delivery: str = "url") -> Any:
    data = [("permissions[]", "payment_method"), ("relink_options[authorization]", authorization),
            ("ui_mode", "hosted"), ("hosted[delivery_method]", delivery),
            ("hosted[return_url]", "https://example.com/back")]
    return session(api, data + ([("relink_options[account]", account)] if account else []))


def test_fc_hosted_relink_takes_only_eligible_accounts(api: Api) -> None:
    # facts §8, https://docs.stripe.com/financial-connections/relink/hosted: "Accounts with a status of inactive, or
    # with TANs expected to expire within the next 30 days" are eligible; an API relink (no delivery_method) is not
    # limited that way.
    api.post("/_emulator/clock", {"freeze": "true"})
    cus = customer(api)
    active = linked(api, cus)[0]
    for account in (None, active["id"]):
        refused = error(hosted_relink(api, active["authorization"], account))
        assert refused["type"] == "invalid_request_error" and "eligible for hosted relink" in refused["message"]
        assert refused["param"] == ("relink_options[account]" if account else "relink_options[authorization]")
    assert session(api, [("permissions[]", "payment_method"), ("relink_options[authorization]",
                                                              active["authorization"])]).status == 200
    tan = {name: a for a in linked(api, cus, "TAN Checking", "TAN Checking (pending)",
                                   institution="Emulator: TAN States")
           for name in [a["display_name"]]}
    for name in ("TAN Checking", "TAN Checking (pending)"):  # expires in 365 days; not issued yet
        assert error(hosted_relink(api, tan[name]["authorization"], tan[name]["id"]))["param"] == \
            "relink_options[account]"
    expiring = linked(api, cus, "Eventually Expiring Tokenized Account Number",
                      institution="Tokenized Account Number")[0]
    assert hosted_relink(api, expiring["authorization"], expiring["id"]).status == 200  # expires on day 30
    api.post("/_emulator/clock", {"advance": str(334 * 86400)})  # TAN Checking: 31 days left
    assert hosted_relink(api, tan["TAN Checking"]["authorization"], tan["TAN Checking"]["id"]).status == 400
    api.post("/_emulator/clock", {"advance": str(86400)})  # 30 days left: within the window
    assert hosted_relink(api, tan["TAN Checking"]["authorization"], tan["TAN Checking"]["id"]).status == 200


def test_fc_hosted_relink_not_sent_twice_within_48_hours(api: Api) -> None:
    # facts §8: eligible are "Accounts that haven't received a Stripe-hosted relink request in the past 48 hours, or
    # where the previous relink request is complete".
    api.post("/_emulator/clock", {"freeze": "true"})
    account, sibling = linked(api, customer(api), "Sample Checking Account", "Sample Savings Account")
    api.post(f"{HELPERS}/accounts/{account['id']}/deactivate", {"cause": "account_unavailable",
                                                                "action": "relink_required"}, headers=PREVIEW)
    first = hosted_relink(api, account["authorization"], account["id"]).json()
    again = error(hosted_relink(api, account["authorization"]))  # the sibling is active: not eligible either
    assert again["param"] == "relink_options[authorization]" and first["id"] in again["message"]
    api.post(f"{HELPERS}/accounts/{sibling['id']}/deactivate", {"cause": "account_unavailable",
                                                                "action": "relink_required"}, headers=PREVIEW)
    to_sibling = hosted_relink(api, account["authorization"])  # the whole login: goes to the one not yet asked
    assert to_sibling.status == 200, to_sibling.body
    assert "48 hours" in error(hosted_relink(api, account["authorization"], account["id"], "email"))["message"]
    assert session(api, [("permissions[]", "payment_method"), ("relink_options[authorization]",
                                                              account["authorization"])]).status == 200  # API relink
    api.post("/_emulator/clock", {"advance": str(48 * 3600 - 1)})
    assert hosted_relink(api, account["authorization"], account["id"]).status == 400
    api.post("/_emulator/clock", {"advance": "1"})  # 48 hours on: the unanswered request no longer counts
    second = hosted_relink(api, account["authorization"], account["id"]).json()
    done = api.post(f"{HELPERS}/sessions/{second['id']}/complete", {"accounts[]": account["id"]},
                    headers=PREVIEW).json()
    assert done["status"] == "succeeded"
    api.post(f"{HELPERS}/accounts/{account['id']}/deactivate", {}, headers=PREVIEW)
    assert hosted_relink(api, account["authorization"], account["id"]).status == 200  # the last one is complete


def test_fc_hosted_relink_by_email_needs_the_holders_email(api: Api) -> None:
    # facts §8: hosted relink reaches "Accounts associated with a Customer object, or ... a connected Account object
    # with a provided email address": Stripe emails the link, so email delivery needs an address.
    cus = customer(api)  # no email
    account = linked(api, cus)[0]
    api.post(f"{HELPERS}/accounts/{account['id']}/deactivate", {}, headers=PREVIEW)
    refused = error(hosted_relink(api, account["authorization"], account["id"], "email"))
    assert refused["param"] == "hosted[delivery_method]"
    assert hosted_relink(api, account["authorization"], account["id"], "url").status == 200
    api.post(f"/v1/customers/{cus}", {"email": "jenny@example.com"})
    other = linked(api, cus)[0]
    api.post(f"{HELPERS}/accounts/{other['id']}/deactivate", {}, headers=PREVIEW)
    emailed = hosted_relink(api, other["authorization"], other["id"], "email").json()
    assert emailed["hosted"]["delivery_method"] == "email"


def test_fc_session_bank_account_token_from_collect_bank_account_token(api: Api) -> None:
    # facts §9, https://docs.stripe.com/financial-connections/connect-payouts: collectBankAccountToken leaves the
    # token on the session (`bank_account_token`, GA from 2026-07-29: facts §6).
    created = session(api, [("account_holder[type]", "account"), ("account_holder[account]", "acct_platform"),
                            ("permissions[]", "payment_method")]).json()
    assert "bank_account_token" not in created
    api.post(f"{HELPERS}/sessions/{created['id']}/complete", {"accounts[]": "Sample Checking Account"},
             headers=PREVIEW)
    path = "/_emulator/client/financial_connections/token"
    token = api.post(path, {"client_secret": created["client_secret"]}).json()
    assert token["id"].startswith("btok_") and token["bank_account"]["last4"] == "6789"
    assert api.post(path, {"client_secret": created["client_secret"]}).json()["id"] == token["id"]  # one per session
    found = api.get(f"/v1/financial_connections/sessions/{created['id']}", headers=GA).json()
    assert found["bank_account_token"]["id"] == token["id"] and found["bank_account_token"]["object"] == "token"
    before = api.get(f"/v1/financial_connections/sessions/{created['id']}",
                     headers={"Stripe-Version": "2026-06-24.dahlia"}).json()
    assert "bank_account_token" not in before
