"""SetupIntents over HTTP, branch by branch: microdeposit verification (Stripe's test amounts 32/45 and descriptor code
SM11AA, the 10-attempt cap: https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment "Test"), updates,
cancellation and mandates — each error with Stripe's code, param and message."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Api
from tests.emulator.http.test_fc_accounts import events
from tests.emulator.http.test_fc_sessions import HELPERS, PREVIEW, customer, error, linked
from tests.emulator.http.test_payments import MANDATE, fc_data

MANUAL = [("payment_method_data[type]", "us_bank_account"),
          ("payment_method_data[billing_details][name]", "Jenny Rosen"),
          ("payment_method_data[us_bank_account][account_number]", "000123456789"),
          ("payment_method_data[us_bank_account][routing_number]", "110000000"),
          ("payment_method_data[us_bank_account][account_holder_type]", "individual")]
MICRODEPOSITS = [("payment_method_options[us_bank_account][verification_method]", "microdeposits")]
UNEXPECTED = "setup_intent_unexpected_state"


def awaiting_microdeposits(api: Api, cus: str) -> dict[str, Any]:
    si: dict[str, Any] = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), *MANUAL, *MANDATE,
                                                        *MICRODEPOSITS], headers=PREVIEW).json()
    assert si["status"] == "requires_action", si
    return si


def verify(api: Api, si: dict[str, Any], data: list[tuple[str, str]]) -> Any:
    return api.post(f"/v1/setup_intents/{si['id']}/verify_microdeposits", data, headers=PREVIEW)



def test_microdeposits_are_awaited_with_stripes_next_action(api: Api) -> None:
    si = awaiting_microdeposits(api, customer(api))
    action = si["next_action"]
    assert action["type"] == "verify_with_microdeposits"
    details = action["verify_with_microdeposits"]
    assert details["microdeposit_type"] == "amounts"
    assert details["hosted_verification_url"].endswith(f"/hosted/microdeposits/{si['id']}")
    assert details["arrival_date"] - si["created"] in range(2 * 86_400, 2 * 86_400 + 5)  # two days later
    assert [e["data"]["object"]["id"] for e in events(api, "setup_intent.requires_action")] == [si["id"]]


def test_microdeposit_verification_refusals(api: Api) -> None:
    si = awaiting_microdeposits(api, customer(api))
    both = error(verify(api, si, [("amounts[]", "32"), ("amounts[]", "45"), ("descriptor_code", "SM11AA")]))
    assert (both["code"], both["param"], both["message"]) == (
        "parameters_exclusive", "amounts", "You may only specify one of these parameters: amounts, descriptor_code.")
    neither = error(verify(api, si, []))
    assert (neither["code"], neither["param"], neither["message"]) == ("parameter_missing", "amounts",
                                                                       "Missing required param: amounts.")
    one = error(verify(api, si, [("amounts[]", "32")]))
    assert (one["code"], one["param"], one["message"]) == (
        "payment_method_microdeposit_verification_amounts_invalid", "amounts", "Two amounts are required.")
    wrong = error(verify(api, si, [("amounts[]", "12"), ("amounts[]", "13")]))
    assert (wrong["code"], wrong["param"], wrong["message"]) == (
        "payment_method_microdeposit_verification_amounts_mismatch", "amounts",
        "The amounts provided do not match the amounts that were sent to the bank account.")
    code = error(verify(api, si, [("descriptor_code", "SM99ZZ")]))
    assert (code["code"], code["param"], code["message"]) == (
        "payment_method_microdeposit_verification_descriptor_code_mismatch", "descriptor_code",
        "The descriptor code provided does not match the one sent to the bank account.")
    still = api.get(f"/v1/setup_intents/{si['id']}").json()
    assert still["status"] == "requires_action" and still["mandate"] is None


def test_microdeposits_verify_with_the_amounts_in_either_order_or_the_descriptor_code(api: Api) -> None:
    cus = customer(api)
    by_amounts = awaiting_microdeposits(api, cus)
    verified = verify(api, by_amounts, [("amounts[]", "45"), ("amounts[]", "32")]).json()
    assert verified["status"] == "succeeded" and verified["next_action"] is None
    assert verified["last_setup_error"] is None and verified["latest_attempt"].startswith("setatt_")
    mandate = api.get(f"/v1/mandates/{verified['mandate']}").json()
    assert (mandate["status"], mandate["payment_method"], mandate["customer_acceptance"]["type"]) == (
        "active", verified["payment_method"], "online")
    assert api.get(f"/v1/payment_methods/{verified['payment_method']}").json()["customer"] == cus
    by_code = awaiting_microdeposits(api, cus)
    assert verify(api, by_code, [("descriptor_code", "SM11AA")]).json()["status"] == "succeeded"
    again = error(verify(api, by_code, [("descriptor_code", "SM11AA")]))
    assert (again["code"], again["message"]) == (
        UNEXPECTED, "You cannot verify microdeposits for this SetupIntent because it has a status of succeeded.")
    assert len(events(api, "setup_intent.succeeded")) == 2
    # the verified payment method needs no microdeposits the next time it is set up
    reuse = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"),
                                          ("payment_method", verified["payment_method"]), *MANDATE, *MICRODEPOSITS],
                     headers=PREVIEW).json()
    assert reuse["status"] == "succeeded"


def assert_setup_failed(api: Api, si: dict[str, Any], code: str) -> None:
    """The failure Stripe's flow ends in: back to requires_payment_method with last_setup_error, setup_failed sent,
    and the payment method neither verifiable nor reusable (a new confirmation with it fails with the same code)."""
    failed = api.get(f"/v1/setup_intents/{si['id']}", headers=PREVIEW).json()
    assert (failed["status"], failed["payment_method"], failed["next_action"]) == ("requires_payment_method", None,
                                                                                   None)
    assert failed["last_setup_error"]["code"] == code
    assert failed["last_setup_error"]["payment_method"]["id"] == si["payment_method"]
    sent = [e["data"]["object"] for e in events(api, "setup_intent.setup_failed")]
    assert [(o["id"], o["last_setup_error"]["code"]) for o in sent] == [(si["id"], code)]
    reuse = api.post("/v1/setup_intents", [("customer", si["customer"]), ("confirm", "true"),
                                          ("payment_method", si["payment_method"]), *MANDATE, *MICRODEPOSITS],
                     headers=PREVIEW)
    assert (reuse.status, error(reuse)["code"], error(reuse)["param"]) == (400, code, "payment_method")


def test_microdeposits_allow_ten_attempts_and_the_tenth_failure_ends_the_verification(api: Api) -> None:
    # facts §4: "after 10 failed attempts (the account can no longer be verified or reused)"
    # https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment ("Test")
    cus = customer(api)
    tenth = awaiting_microdeposits(api, cus)
    for _ in range(9):
        assert error(verify(api, tenth, [("amounts[]", "12"), ("amounts[]", "13")]))["code"] == (
            "payment_method_microdeposit_verification_amounts_mismatch")
    assert verify(api, tenth, [("amounts[]", "32"), ("amounts[]", "45")]).json()["status"] == "succeeded"
    spent = awaiting_microdeposits(api, cus)
    for _ in range(9):
        assert verify(api, spent, [("descriptor_code", "SM99ZZ")]).status == 400
    assert api.get(f"/v1/setup_intents/{spent['id']}").json()["status"] == "requires_action"
    exceeded = error(verify(api, spent, [("descriptor_code", "SM99ZZ")]))
    assert (exceeded["code"], exceeded["message"], exceeded.get("param")) == (
        "payment_method_microdeposit_verification_attempts_exceeded",
        "You have exceeded the number of allowed verification attempts.", None)
    assert_setup_failed(api, spent, "payment_method_microdeposit_verification_attempts_exceeded")
    late = error(verify(api, spent, [("amounts[]", "32"), ("amounts[]", "45")]))
    assert late["code"] == UNEXPECTED  # nothing is awaiting verification any more


@pytest.mark.parametrize(("data", "code"), [
    ([("amounts[]", "10"), ("amounts[]", "11")], "payment_method_microdeposit_verification_attempts_exceeded"),
    ([("amounts[]", "11"), ("amounts[]", "10")], "payment_method_microdeposit_verification_attempts_exceeded"),
    ([("descriptor_code", "SM33CC")], "payment_method_microdeposit_verification_attempts_exceeded"),
    ([("amounts[]", "40"), ("amounts[]", "41")], "payment_method_microdeposit_verification_timeout"),
    ([("descriptor_code", "SM44DD")], "payment_method_microdeposit_verification_timeout"),
])
def test_stripes_failing_test_values_end_the_verification(api: Api, data: list[tuple[str, str]], code: str) -> None:
    # facts §4, Stripe's microdeposit test table: 10/11 and SM33CC exceed the attempts, 40/41 and SM44DD time out
    # https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment ("Test"); codes: https://docs.stripe.com/error-codes
    si = awaiting_microdeposits(api, customer(api))
    refused = verify(api, si, data)
    assert (refused.status, error(refused)["code"]) == (400, code)
    assert_setup_failed(api, si, code)


def test_microdeposits_that_cannot_be_sent_fail_the_setup(api: Api) -> None:
    # facts §5: account 000666666661 (pm_usBankAccount_failMicrodeposits) "microdeposits fail to send";
    # code payment_method_microdeposit_failed (https://docs.stripe.com/error-codes)
    cus = customer(api)
    failing = [(k, "000666666661" if k.endswith("[account_number]") else v) for k, v in MANUAL]
    refused = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), *failing, *MANDATE,
                                             *MICRODEPOSITS], headers=PREVIEW)
    assert (refused.status, error(refused)["code"], error(refused)["param"]) == (
        400, "payment_method_microdeposit_failed", "payment_method")
    sent = [e["data"]["object"] for e in events(api, "setup_intent.setup_failed")]
    assert len(sent) == 1 and sent[0]["status"] == "requires_payment_method"
    assert sent[0]["last_setup_error"]["code"] == "payment_method_microdeposit_failed"
    assert error(refused)["setup_intent"]["id"] == sent[0]["id"]  # Stripe's error carries the intent
    assert events(api, "setup_intent.requires_action") == []  # no microdeposits were ever awaited
    si = {**sent[0], "payment_method": sent[0]["last_setup_error"]["payment_method"]["id"]}
    assert_setup_failed(api, si, "payment_method_microdeposit_failed")


def test_microdeposits_not_verified_within_ten_days_time_out(api: Api) -> None:
    # facts §4: verification fails "when not verified within 10 days", payment_method_microdeposit_verification_timeout
    # https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment ; https://docs.stripe.com/error-codes
    api.post("/_emulator/clock", {"freeze": "true"})
    si = awaiting_microdeposits(api, customer(api))
    api.post("/_emulator/clock", {"advance": str(10 * 86_400 - 60)})
    assert api.get(f"/v1/setup_intents/{si['id']}").json()["status"] == "requires_action"
    assert events(api, "setup_intent.setup_failed") == []
    api.post("/_emulator/clock", {"advance": "60"})
    assert_setup_failed(api, si, "payment_method_microdeposit_verification_timeout")
    timed_out = events(api, "setup_intent.setup_failed")[0]
    assert timed_out["created"] == si["created"] + 10 * 86_400  # on the namespace clock, at the deadline


def test_a_verified_intent_does_not_time_out(api: Api) -> None:
    si = awaiting_microdeposits(api, customer(api))
    assert verify(api, si, [("descriptor_code", "SM11AA")]).json()["status"] == "succeeded"
    api.post("/_emulator/clock", {"advance": str(11 * 86_400)})
    assert api.get(f"/v1/setup_intents/{si['id']}").json()["status"] == "succeeded"
    assert events(api, "setup_intent.setup_failed") == []


def test_verifying_an_intent_that_awaits_nothing_is_refused(api: Api) -> None:
    si = api.post("/v1/setup_intents", {"customer": customer(api)}, headers=PREVIEW).json()
    refused = error(verify(api, si, [("amounts[]", "32"), ("amounts[]", "45")]))
    assert (refused["code"], refused["message"]) == (
        UNEXPECTED, "You cannot verify microdeposits for this SetupIntent because it has a status of "
        "requires_payment_method.")
    missing = error(api.post("/v1/setup_intents/seti_nope/verify_microdeposits", [("descriptor_code", "SM11AA")],
                             headers=PREVIEW))
    assert (missing["code"], missing["param"], missing["message"]) == ("resource_missing", "intent",
                                                                       "No such setupintent: 'seti_nope'")


def test_update_changes_exactly_what_it_is_given(api: Api) -> None:
    cus = customer(api)
    other = customer(api)
    si = api.post("/v1/setup_intents", [("metadata[a]", "1"), ("metadata[b]", "2"), ("description", "first")],
                  headers=PREVIEW).json()
    updated = api.post(f"/v1/setup_intents/{si['id']}", [
        ("customer", cus), ("description", "second"), ("flow_directions[]", "outbound"), ("metadata[b]", ""),
        ("metadata[c]", "3"), ("allowed_payment_method_types[]", "us_bank_account"),
        ("payment_method_options[us_bank_account][verification_method]", "instant")], headers=PREVIEW).json()
    assert (updated["customer"], updated["description"], updated["flow_directions"]) == (cus, "second", ["outbound"])
    assert updated["metadata"] == {"a": "1", "c": "3"}
    assert updated["allowed_payment_method_types"] == ["us_bank_account"]
    assert updated["payment_method_options"]["us_bank_account"]["verification_method"] == "instant"
    assert updated["status"] == "requires_payment_method"
    cleared = api.post(f"/v1/setup_intents/{si['id']}", [("description", ""), ("flow_directions", "")],
                       headers=PREVIEW).json()
    assert (cleared["description"], cleared["flow_directions"], cleared["customer"]) == (None, None, cus)
    assert cleared["metadata"] == {"a": "1", "c": "3"} and cleared["payment_method_options"] == updated[
        "payment_method_options"]
    unknown = error(api.post(f"/v1/setup_intents/{si['id']}", {"customer": "cus_nope"}, headers=PREVIEW))
    assert (unknown["code"], unknown["param"]) == ("resource_missing", "customer")
    assert api.get(f"/v1/setup_intents/{si['id']}").json()["customer"] == cus  # the refused update changed nothing
    account = linked(api, other, "Sample Checking Account")[0]
    with_pm = api.post(f"/v1/setup_intents/{si['id']}", fc_data(account["id"]), headers=PREVIEW)
    assert with_pm.status == 400  # the account belongs to another customer
    moved = api.post(f"/v1/setup_intents/{si['id']}", [("customer", other), *fc_data(account["id"])],
                     headers=PREVIEW).json()
    assert moved["status"] == "requires_confirmation" and moved["payment_method"].startswith("pm_")


def test_a_finished_intent_cannot_be_updated_or_cancelled(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus, "Sample Checking Account")[0]
    done = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), *fc_data(account["id"]), *MANDATE],
                    headers=PREVIEW).json()
    assert done["status"] == "succeeded"
    for action, path in (("update", ""), ("cancel", "/cancel")):
        refused = error(api.post(f"/v1/setup_intents/{done['id']}{path}", {"metadata[x]": "1"} if not path else {},
                                 headers=PREVIEW))
        assert (refused["code"], refused["message"]) == (
            UNEXPECTED, f"You cannot {action} this SetupIntent because it has a status of succeeded.")


def test_cancel_records_the_reason_clears_the_next_action_and_tells_the_webhooks(api: Api) -> None:
    si = awaiting_microdeposits(api, customer(api))
    canceled = api.post(f"/v1/setup_intents/{si['id']}/cancel", {"cancellation_reason": "abandoned"},
                        headers=PREVIEW).json()
    assert (canceled["status"], canceled["cancellation_reason"], canceled["next_action"]) == ("canceled",
                                                                                              "abandoned", None)
    sent = events(api, "setup_intent.canceled")
    assert [e["data"]["object"]["status"] for e in sent] == ["canceled"]
    again = error(api.post(f"/v1/setup_intents/{si['id']}/cancel", headers=PREVIEW))
    assert again["message"] == "You cannot cancel this SetupIntent because it has a status of canceled."
    for action in ("update", "confirm"):
        path = "" if action == "update" else "/confirm"
        data = {"metadata[x]": "1"} if action == "update" else {}
        refused = error(api.post(f"/v1/setup_intents/{si['id']}{path}", data, headers=PREVIEW))
        assert refused["message"] == f"You cannot {action} this SetupIntent because it has a status of canceled."
    plain = api.post("/v1/setup_intents", {}, headers=PREVIEW).json()
    no_reason = api.post(f"/v1/setup_intents/{plain['id']}/cancel", headers=PREVIEW).json()
    assert (no_reason["status"], no_reason["cancellation_reason"]) == ("canceled", None)


def test_an_unknown_mandate_is_a_404_naming_it(api: Api) -> None:
    response = api.get("/v1/mandates/mandate_nope")
    assert response.status == 404
    assert error(response) == {"code": "resource_missing",
                               "doc_url": "https://docs.stripe.com/error-codes/resource-missing",
                               "message": "No such mandate: 'mandate_nope'", "param": "mandate",
                               "type": "invalid_request_error"}


def test_detaching_one_payment_method_leaves_the_others_mandates_active(api: Api) -> None:
    cus = customer(api)
    first, second = linked(api, cus, "Sample Checking Account", "Sample Savings Account")
    made = [api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), *fc_data(a["id"]), *MANDATE],
                     headers=PREVIEW).json() for a in (first, second)]
    api.post(f"/v1/payment_methods/{made[0]['payment_method']}/detach")
    assert [api.get(f"/v1/mandates/{si['mandate']}").json()["status"] for si in made] == ["inactive", "active"]
    api.post(f"/v1/payment_methods/{made[0]['payment_method']}/attach", {"customer": cus})
    api.post(f"/v1/payment_methods/{made[0]['payment_method']}/detach")
    updated = api.get("/v1/events?type=mandate.updated").json()["data"]
    assert [e["data"]["object"]["id"] for e in updated] == [made[0]["mandate"]]  # an inactive one stays quiet


def test_an_unknown_authorization_is_a_404_naming_it(api: Api) -> None:
    response = api.get("/v1/financial_connections/authorizations/fcauth_nope", headers=PREVIEW)
    assert response.status == 404
    assert (error(response)["param"], error(response)["message"]) == (
        "authorization", "No such financial_connections.authorization: 'fcauth_nope'")  # the reference's pattern


def test_list_filters_by_customer_payment_method_and_created(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})
    cus = customer(api)
    other = customer(api)
    account = linked(api, cus, "Sample Checking Account")[0]
    first = api.post("/v1/setup_intents", [("customer", cus), *fc_data(account["id"])], headers=PREVIEW).json()
    api.post("/_emulator/clock", {"advance": "100"})
    second = api.post("/v1/setup_intents", {"customer": other}, headers=PREVIEW).json()
    third = api.post("/v1/setup_intents", {}, headers=PREVIEW).json()

    def ids(query: str) -> list[str]:
        return [si["id"] for si in api.get(f"/v1/setup_intents{query}", headers=PREVIEW).json()["data"]]

    assert ids("") == [third["id"], second["id"], first["id"]]
    assert ids(f"?customer={cus}") == [first["id"]] and ids(f"?customer={other}") == [second["id"]]
    assert ids(f"?payment_method={first['payment_method']}") == [first["id"]]
    assert ids(f"?created[gte]={second['created']}") == [third["id"], second["id"]]
    assert ids(f"?created[lt]={second['created']}") == [first["id"]]
    assert ids(f"?created={first['created']}") == [first["id"]]
    assert ids(f"?customer={cus}&created[gte]={second['created']}") == []


def test_confirm_refusals_leave_the_intent_ready_for_another_payment_method(api: Api) -> None:
    cus = customer(api)
    manual = api.post("/v1/setup_intents", [("customer", cus), *MANUAL, *MANDATE,
                                            ("payment_method_options[us_bank_account][verification_method]",
                                             "instant")], headers=PREVIEW).json()
    assert manual["status"] == "requires_confirmation"
    pm = manual["payment_method"]
    failed = error(api.post(f"/v1/setup_intents/{manual['id']}/confirm", {}, headers=PREVIEW))
    assert (failed["code"], failed["param"], failed["message"]) == (
        "payment_method_unexpected_state", "payment_method_options",
        "Instant verification needs a Financial Connections account; manual bank details verify by microdeposits.")
    after = api.get(f"/v1/setup_intents/{manual['id']}", headers=PREVIEW).json()
    assert (after["status"], after["payment_method"]) == ("requires_payment_method", None)
    assert after["last_setup_error"]["code"] == "payment_method_unexpected_state"
    assert after["last_setup_error"]["payment_method"]["id"] == pm
    assert [e["data"]["object"]["id"] for e in events(api, "setup_intent.setup_failed")] == [manual["id"]]
    # confirming again with microdeposits (options given with the confirmation) goes on from there
    retried = api.post(f"/v1/setup_intents/{manual['id']}/confirm", [("payment_method", pm), *MICRODEPOSITS],
                       headers=PREVIEW).json()
    assert retried["status"] == "requires_action"
    assert retried["payment_method_options"]["us_bank_account"]["verification_method"] == "microdeposits"


def test_an_inactive_or_disconnected_account_does_not_block_its_payment_method(api: Api) -> None:
    # facts §3: "any associated PaymentMethods remain usable" after a disconnection
    # (https://docs.stripe.com/financial-connections/disconnections); an inactive data connection alone does not block
    # payments (https://docs.stripe.com/financial-connections/relink/hosted)
    cus = customer(api)
    closed, gone = linked(api, cus, "Sample Checking Account", "Sample Savings Account")
    intents = [api.post("/v1/setup_intents", [("customer", cus), *fc_data(a["id"]), *MANDATE], headers=PREVIEW).json()
               for a in (closed, gone)]
    api.post(f"{HELPERS}/accounts/{closed['id']}/deactivate", {"cause": "account_closed"}, headers=PREVIEW)
    api.post(f"/v1/financial_connections/accounts/{gone['id']}/disconnect", {}, headers=PREVIEW)
    for si in intents:
        confirmed = api.post(f"/v1/setup_intents/{si['id']}/confirm", {}, headers=PREVIEW).json()
        assert confirmed["status"] == "succeeded", confirmed
        pm = api.get(f"/v1/payment_methods/{si['payment_method']}", headers=PREVIEW).json()
        assert pm["us_bank_account"]["status_details"] is None


def test_a_mandate_records_the_acceptance_and_the_collection_method(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus, "Sample Checking Account")[0]
    si = api.post("/v1/setup_intents", [
        ("customer", cus), ("confirm", "true"), *fc_data(account["id"]),
        ("mandate_data[customer_acceptance][type]", "offline"),
        ("mandate_data[customer_acceptance][accepted_at]", "1700000000"),
        ("payment_method_options[us_bank_account][mandate_options][collection_method]", "paper")],
        headers=PREVIEW).json()
    mandate = api.get(f"/v1/mandates/{si['mandate']}").json()
    assert mandate["customer_acceptance"] == {"accepted_at": 1_700_000_000, "offline": {}, "type": "offline"}
    assert mandate["payment_method_details"] == {"type": "us_bank_account",
                                                 "us_bank_account": {"collection_method": "paper"}}
    assert (mandate["type"], mandate["multi_use"], mandate["livemode"]) == ("multi_use", {}, False)
    online = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), *fc_data(account["id"]),
                                            *MANDATE], headers=PREVIEW).json()
    accepted = api.get(f"/v1/mandates/{online['mandate']}").json()["customer_acceptance"]
    assert accepted["accepted_at"] == online["created"]  # no accepted_at given: the moment of confirmation
    assert accepted["online"] == {"ip_address": "203.0.113.7", "user_agent": "test"}
    assert api.get(f"/v1/mandates/{online['mandate']}").json()["payment_method_details"] == {
        "type": "us_bank_account", "us_bank_account": {}}


def test_payouts_only_intents_make_no_mandate(api: Api) -> None:
    cus = customer(api)
    account = linked(api, cus, "Sample Checking Account")[0]
    outbound = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), ("flow_directions[]",
                                              "outbound"), *fc_data(account["id"]), *MANDATE], headers=PREVIEW).json()
    assert (outbound["status"], outbound["mandate"]) == ("succeeded", None)
    both = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), ("flow_directions[]", "outbound"),
                                          ("flow_directions[]", "inbound"), *fc_data(account["id"]), *MANDATE],
                    headers=PREVIEW).json()
    assert both["status"] == "succeeded" and both["mandate"].startswith("mandate_")


def test_a_new_intent_as_stripe_renders_it(api: Api) -> None:
    plain = api.post("/v1/setup_intents", {}, headers=PREVIEW).json()
    assert plain["id"].startswith("seti_") and plain["client_secret"].startswith(f"{plain['id']}_secret_")
    assert len(plain["client_secret"]) == len(f"{plain['id']}_secret_") + 32
    assert {k: plain[k] for k in ("status", "usage", "customer", "description", "flow_directions", "payment_method",
                                  "mandate", "next_action", "last_setup_error", "cancellation_reason",
                                  "latest_attempt", "on_behalf_of", "metadata", "payment_method_types",
                                  "livemode")} == {
        "status": "requires_payment_method", "usage": "off_session", "customer": None, "description": None,
        "flow_directions": None, "payment_method": None, "mandate": None, "next_action": None,
        "last_setup_error": None, "cancellation_reason": None, "latest_attempt": None, "on_behalf_of": None,
        "metadata": {}, "payment_method_types": ["us_bank_account"], "livemode": False}
    assert plain["payment_method_options"] == {"us_bank_account": {
        "financial_connections": {"permissions": ["payment_method"], "prefetch": []},
        "verification_method": "automatic"}}
    assert "attach_to_self" not in plain
    assert [e["data"]["object"]["id"] for e in events(api, "setup_intent.created")] == [plain["id"]]
    given = api.post("/v1/setup_intents", [
        ("usage", "on_session"), ("description", "payouts"), ("attach_to_self", "true"),
        ("on_behalf_of", "acct_1"), ("metadata[k]", "v"),
        ("payment_method_options[us_bank_account][financial_connections][permissions][]", "payment_method"),
        ("payment_method_options[us_bank_account][financial_connections][permissions][]", "balances"),
        ("payment_method_options[us_bank_account][financial_connections][prefetch][]", "balances"),
        ("payment_method_options[us_bank_account][financial_connections][return_url]", "https://example.com/r"),
        ("payment_method_options[us_bank_account][financial_connections][filters][account_subcategories][]",
         "checking"),
        ("payment_method_options[us_bank_account][mandate_options][collection_method]", "paper"),
        ("payment_method_options[us_bank_account][verification_method]", "instant")], headers=PREVIEW).json()
    assert (given["usage"], given["description"], given["attach_to_self"], given["on_behalf_of"],
            given["metadata"]) == ("on_session", "payouts", True, "acct_1", {"k": "v"})
    assert given["payment_method_options"] == {"us_bank_account": {
        "financial_connections": {"filters": {"account_subcategories": ["checking"]},
                                  "permissions": ["payment_method", "balances"], "prefetch": ["balances"],
                                  "return_url": "https://example.com/r"},
        "mandate_options": {"collection_method": "paper"}, "verification_method": "instant"}}
    no_pm = error(api.post("/v1/setup_intents", [
        ("payment_method_options[us_bank_account][financial_connections][permissions][]", "balances")],
        headers=PREVIEW))
    assert (no_pm["param"], no_pm["message"]) == (
        "payment_method_options[us_bank_account][financial_connections][permissions]",
        "payment_method_options[us_bank_account][financial_connections][permissions] must include payment_method.")
    both = error(api.post("/v1/setup_intents", [("payment_method", "pm_x"), *MANUAL], headers=PREVIEW))
    assert (both["code"], both["param"], both["message"]) == (
        "parameters_exclusive", "payment_method_data",
        "You may only specify one of these parameters: payment_method, payment_method_data.")
    missing_pm = error(api.post("/v1/setup_intents", {"confirm": "true"}, headers=PREVIEW))
    assert (missing_pm["code"], missing_pm["param"]) == ("parameter_missing", "payment_method")
    no_mandate = error(api.post("/v1/setup_intents", [("confirm", "true"), *MANUAL], headers=PREVIEW))
    assert (no_mandate["code"], no_mandate["param"], no_mandate["message"]) == (
        "parameter_missing", "mandate_data",
        "A mandate is required to set up a us_bank_account payment method for debits: pass mandate_data with the "
        "customer's acceptance (or flow_directions[]=outbound for payouts only).")
    assert len(api.get("/v1/setup_intents", headers=PREVIEW).json()["data"]) == 2  # the refusals created nothing


def test_a_payment_method_of_another_customer_is_refused(api: Api) -> None:
    cus = customer(api)
    other = customer(api)
    account = linked(api, cus, "Sample Checking Account")[0]
    first = api.post("/v1/setup_intents", [("customer", cus), ("confirm", "true"), *fc_data(account["id"]),
                                           *MANDATE], headers=PREVIEW).json()
    pm = first["payment_method"]
    refused = error(api.post("/v1/setup_intents", [("customer", other), ("payment_method", pm)], headers=PREVIEW))
    assert (refused["param"], refused["message"]) == ("payment_method",
                                                      f"The PaymentMethod {pm} belongs to another customer.")
    unknown = error(api.post("/v1/setup_intents", [("customer", cus), ("payment_method", "pm_nope")],
                             headers=PREVIEW))
    assert (unknown["code"], unknown["param"]) == ("resource_missing", "payment_method")
    same = api.post("/v1/setup_intents", [("customer", cus), ("payment_method", pm)], headers=PREVIEW).json()
    assert (same["status"], same["payment_method"]) == ("requires_confirmation", pm)
    anyone = api.post("/v1/setup_intents", [("payment_method", pm)], headers=PREVIEW).json()
    assert anyone["payment_method"] == pm  # an intent without a customer may use it


def test_the_microdeposit_deadline_survives_a_snapshot(api: Api) -> None:
    api.post("/_emulator/clock", {"freeze": "true"})
    si = awaiting_microdeposits(api, customer(api))
    document = api.get("/_emulator/snapshot").body
    api.post("/_emulator/reset")
    restored = api.post("/_emulator/restore", body=document)
    assert restored.status == 200, restored.body
    api.post("/_emulator/clock", {"advance": str(10 * 86_400)})
    failed = api.get(f"/v1/setup_intents/{si['id']}").json()
    assert failed["last_setup_error"]["code"] == "payment_method_microdeposit_verification_timeout"
