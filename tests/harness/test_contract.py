"""The contract checker itself: broken payloads are caught with readable messages, and the foundation's
responses pass both oracles."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from emulator.http.app import create_app
from emulator.settings import Settings
from harness.asgi import AsgiCaller
from harness.contract.checker import ContractChecker, Violation
from harness.contract.openapi import SchemaSet, convert
from harness.contract.recorder import ContractRecorder
from harness.contract.sdk_models import ModelChecker, model_class

GA = {"content-type": "application/json", "stripe-version": "2026-10-28.endive"}
PREVIEW = {"content-type": "application/json", "stripe-version": "2026-09-30.preview"}

SESSION: dict[str, Any] = {
    "id": "fcsess_1",
    "object": "financial_connections.session",
    "account_holder": {"customer": "cus_1", "type": "customer"},
    "accounts": {"object": "list", "data": [], "has_more": False, "url": "/v1/financial_connections/accounts"},
    "client_secret": "fcsess_client_secret_1",
    "filters": {"account_subcategories": ["checking"], "country": "US"},
    "limits": {"accounts": 1},
    "livemode": False,
    "permissions": ["payment_method"],
    "prefetch": [],
}


def check(payload: Any, headers: dict[str, str] = GA, status: int = 200) -> list[Violation]:
    return ContractChecker().check_exchange("GET", "/v1/x", status, headers, json.dumps(payload).encode())


def test_contract_openapi_conversion_turns_nullable_into_any_of() -> None:
    converted = convert({"type": "string", "nullable": True, "x-stripeBypassValidation": True}, "ga", strict=True,
                        required=True)
    assert converted == {"anyOf": [{"type": "string"}, {"type": "null"}]}
    ref = convert({"$ref": "#/components/schemas/address"}, "ga", strict=True, required=True)
    assert ref["$ref"].endswith("/ga/address")
    strict = convert({"type": "object", "properties": {"a": {"type": "string"}}}, "ga", strict=True, required=True)
    assert strict["additionalProperties"] is False


def test_contract_a_valid_session_passes() -> None:
    assert check(SESSION) == []
    assert check({**SESSION, "relink_options": {"authorization": "fcauth_1", "account": None}}, PREVIEW) == []


def test_contract_missing_required_key_is_named() -> None:
    broken = {k: v for k, v in SESSION.items() if k != "client_secret"}
    (violation,) = [v for v in check(broken) if v.oracle == "openapi"]
    assert violation.path == "$" and "'client_secret' is a required property" in violation.message
    assert "client_secret" in violation.render()


def test_contract_wrong_type_is_named_with_path_schema_and_value() -> None:
    broken = copy.deepcopy(SESSION)
    broken["limits"]["accounts"] = "one"
    violations = check(broken)
    openapi = [v for v in violations if v.oracle == "openapi"]
    assert [v.path for v in openapi] == ["$.limits.accounts"]
    rendered = openapi[0].render()
    assert "'one' is not of type 'integer'" in rendered and '"type": "integer"' in rendered and '"one"' in rendered
    assert any(v.oracle == "sdk" and v.path == "$.limits.accounts" for v in violations)


def test_contract_unknown_enum_value_is_rejected() -> None:
    broken = {**SESSION, "permissions": ["payment_method", "telepathy"]}
    violations = check(broken)
    assert any(v.path == "$.permissions[1]" and "'telepathy' is not one of" in v.message for v in violations)


def test_contract_preview_field_under_ga_is_rejected() -> None:
    leaked = {**SESSION, "relink_options": {"authorization": "fcauth_1", "account": None}}
    violations = check(leaked)
    openapi = [v for v in violations if v.oracle == "openapi"]
    assert len(openapi) == 1 and "'relink_options' was unexpected" in openapi[0].message
    assert [v.path for v in violations if v.oracle == "sdk"] == ["$.relink_options"]  # the GA SDK agrees
    assert check(leaked, PREVIEW) == []


def test_contract_field_stripe_does_not_have_is_rejected_in_both_flavors() -> None:
    for headers in (GA, PREVIEW):
        assert any("'colour' was unexpected" in v.message for v in check({**SESSION, "colour": "red"}, headers))


def test_contract_unknown_object_type_is_a_violation() -> None:
    (violation,) = check({"id": "x_1", "object": "financial_connections.telescope"})
    assert "no object type 'financial_connections.telescope'" in violation.message


def test_contract_lists_are_checked_item_by_item() -> None:
    listing = {"object": "list", "data": [SESSION, {**SESSION, "livemode": "no"}], "has_more": False,
               "url": "/v1/financial_connections/sessions"}
    assert {v.path for v in check(listing)} == {"$.data[1].livemode"}
    assert any(v.object_type == "list" for v in check({**listing, "total": 2}))


def test_contract_events_check_data_object_in_the_events_version() -> None:
    event = {"id": "evt_1", "object": "event", "api_version": "2026-10-28.endive", "created": 1,
             "data": {"object": {**SESSION, "relink_options": {"authorization": "a", "account": None}}},
             "livemode": False, "pending_webhooks": 0, "request": {"id": None, "idempotency_key": None},
             "type": "financial_connections.account.created"}
    # requested with a preview version, but the event was rendered in GA: the preview field is a leak
    assert {(v.oracle, v.path) for v in check(event, PREVIEW)} == {
        ("openapi", "$.data.object"), ("sdk", "$.data.object.relink_options")}
    assert check({**event, "api_version": "2026-09-30.preview"}, PREVIEW) == []


def test_contract_error_bodies_and_doc_url() -> None:
    good = {"error": {"code": "resource_missing", "doc_url": "https://docs.stripe.com/error-codes/resource-missing",
                      "message": "No such customer: 'cus_x'", "param": "id", "type": "invalid_request_error"}}
    assert check(good, status=404) == []
    wrong_url = copy.deepcopy(good)
    wrong_url["error"]["doc_url"] = "https://example.com"
    assert [v.path for v in check(wrong_url, status=404)] == ["$.error.doc_url"]
    bad_type = {"error": {"type": "oops", "message": "m"}}
    assert any(v.path == "$.error.type" for v in check(bad_type, status=400))
    assert any("'error' is a required property" in v.message for v in check({"message": "m"}, status=400))


def test_contract_older_versions_are_checked_leniently() -> None:
    old = {"content-type": "application/json", "stripe-version": "2025-03-31.basil"}
    partial = {k: v for k, v in SESSION.items() if k != "client_secret"}
    renamed = {**partial, "filters": {"account_subcategories": None, "countries": ["US"]}}
    assert check(renamed, old) == []  # missing newer fields and older field names are fine
    wrong = check({**partial, "livemode": "no"}, old)  # but types still count, in both oracles
    assert {v.oracle for v in wrong} == {"openapi", "sdk"} and {v.path for v in wrong} == {"$.livemode"}


def test_contract_sdk_oracle_catches_missing_non_optional_and_bad_literal() -> None:
    checker = ModelChecker()
    customer_class = model_class("customer")
    assert customer_class is not None
    errors = checker.check(customer_class, {"id": "cus_1", "object": "client", "created": 1, "colour": "red"})
    assert {(e.path, e.message.split(" (")[0]) for e in errors} == {
        ("$.livemode", "missing"),
        ("$.object", "not one of ['customer']"),
        ("$.colour", "not a field of the SDK's Customer"),
    }


def test_contract_foundation_responses_pass_both_oracles() -> None:
    recorder = ContractRecorder()
    caller = AsgiCaller(recorder.wrap(create_app(Settings(seed=11))))
    headers = {"Authorization": "Bearer sk_test_contract"}
    try:
        for version in ("2026-10-28.endive", "2026-09-30.preview", "2024-09-30.acacia"):
            h = {**headers, "Stripe-Version": version}
            customer = caller.request("POST", "/v1/customers", headers=h, data={
                "email": "c@example.com", "name": "C", "metadata[k]": "v", "address[city]": "Tokyo",
                "shipping[name]": "C", "shipping[address][line1]": "1", "preferred_locales[0]": "ja"}).json()
            caller.request("POST", f"/v1/customers/{customer['id']}", headers=h, data={"name": "D"})
            caller.request("GET", f"/v1/customers/{customer['id']}", headers=h)
            caller.request("GET", "/v1/customers?limit=2", headers=h)
            caller.request("GET", "/v1/events", headers=h)
            caller.request("DELETE", f"/v1/customers/{customer['id']}", headers=h)
            caller.request("GET", f"/v1/customers/{customer['id']}", headers=h)
            caller.request("GET", "/v1/customers/cus_missing", headers=h)
            caller.request("POST", "/v1/customers", headers=h, data={"nope": "1"})
            caller.request("POST", "/v1/customers", headers={**h, "Idempotency-Key": version}, data={"name": "1"})
            caller.request("POST", "/v1/customers", headers={**h, "Idempotency-Key": version}, data={"name": "2"})
        caller.request("GET", "/v1/customers", headers={"Authorization": "Bearer sk_live_" + "x" * 10})
        caller.request("GET", "/v1/nowhere", headers=headers)
    finally:
        caller.close()
    assert recorder.since(0) == []
    stats = recorder.checker.stats_json()["types"]
    assert stats["customer|ga"]["checked"] > 0 and stats["customer|preview"]["checked"] > 0
    assert stats["event|ga"]["checked"] > 0 and stats["error|ga"]["checked"] > 0


@pytest.mark.parametrize("flavor", ["ga", "preview"])
def test_contract_schema_sets_know_the_emulated_objects(flavor: str) -> None:
    schemas = SchemaSet(flavor)
    for component in ("financial_connections.session", "financial_connections.account", "event", "error",
                      "deleted_customer", "setup_intent", "payment_method", "mandate", "token", "bank_account"):
        assert schemas.has(component), component
    assert schemas.is_stub("customer")
    assert schemas.has("financial_connections.institution") is (flavor == "preview")


def test_contract_objects_an_error_carries_are_checked_as_objects_of_the_responses_version() -> None:
    error = {"type": "invalid_request_error", "code": "payment_method_bank_account_blocked", "message": "blocked",
             "doc_url": "https://docs.stripe.com/error-codes/payment-method-bank-account-blocked",
             "param": "payment_method"}
    # a preview session inside an error is judged by the preview schemas, not by the GA SDK's error model
    relinking = {**SESSION, "relink_options": {"authorization": "fcauth_1", "account": None}}
    assert check({"error": {**error, "setup_intent": relinking}}, PREVIEW, 400) == []
    broken = {k: v for k, v in SESSION.items() if k != "client_secret"}
    found = check({"error": {**error, "setup_intent": broken}}, PREVIEW, 400)
    assert found and all(v.path.startswith("$.error.setup_intent") for v in found)
