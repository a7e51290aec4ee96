"""The exact shapes the core hands to the wire and to the control API: Stripe's error object, its messages, id
formats, the clock's and the request log's documents, fault rules as listed. Expected values are Stripe's documented
ones (https://docs.stripe.com/api/errors) or the README's, written out here."""

from __future__ import annotations

import string
from typing import Any

import pytest

from emulator.core.backend import Backend
from emulator.core.clock import Clock
from emulator.core.errors import (
    ApiError,
    IdempotencyKeyInUseError,
    InvalidRequestError,
    ResourceMissingError,
    StripeError,
    UnrecognizedUrlError,
    invalid,
    missing,
    unknown,
)
from emulator.core.faults import FaultRule, FaultRules, RateLimiter
from emulator.core.ids import IdFactory
from emulator.core.requestlog import LoggedRequest, RequestLog, mask_key, mask_params, mask_query


class FakeTime:
    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# -- Stripe's error object ---------------------------------------------------------------------------------------


def test_error_object_with_code_and_param_is_stripes_shape() -> None:
    error = ResourceMissingError("customer", "cus_404", param="customer")
    assert error.to_dict() == {
        "error": {
            "code": "resource_missing",
            "doc_url": "https://docs.stripe.com/error-codes/resource-missing",
            "message": "No such customer: 'cus_404'",
            "param": "customer",
            "type": "invalid_request_error",
        }
    }
    assert error.http_status == 404 and str(error) == "No such customer: 'cus_404'"


def test_error_object_leaves_out_code_doc_url_and_param_when_absent() -> None:
    error = ApiError("An unknown error occurred.")
    assert error.to_dict() == {"error": {"message": "An unknown error occurred.", "type": "api_error"}}
    assert error.http_status == 500 and error.headers == {}


def test_error_status_and_headers_can_be_given() -> None:
    error = StripeError("slow down", code="rate_limit", http_status=429, headers={"Retry-After": "1"})
    assert (error.http_status, error.headers, error.code, error.param) == (429, {"Retry-After": "1"}, "rate_limit",
                                                                            None)
    assert repr(error) == ("StripeError(http_status=429, type='invalid_request_error', code='rate_limit', "
                           "param=None, message='slow down')")


def test_parameter_helpers_carry_stripes_messages_codes_and_params() -> None:
    assert missing("customer").to_dict()["error"] == {
        "code": "parameter_missing", "doc_url": "https://docs.stripe.com/error-codes/parameter-missing",
        "message": "Missing required param: customer.", "param": "customer", "type": "invalid_request_error"}
    assert unknown("colour").to_dict()["error"] == {
        "code": "parameter_unknown", "doc_url": "https://docs.stripe.com/error-codes/parameter-unknown",
        "message": "Received unknown parameter: colour", "param": "colour", "type": "invalid_request_error"}
    made = invalid("Invalid integer: x", "limit", code="parameter_invalid_integer")
    assert (made.message, made.param, made.code, made.http_status) == ("Invalid integer: x", "limit",
                                                                       "parameter_invalid_integer", 400)
    assert invalid("Bad", "limit").code is None


def test_unrecognized_url_and_idempotency_in_use_messages() -> None:
    url = UnrecognizedUrlError("GET", "/v1/nothing")
    assert url.message == ("Unrecognized request URL (GET: /v1/nothing). Please see https://docs.stripe.com/api or "
                           "we can help at https://support.stripe.com/.")
    assert url.http_status == 404 and url.code is None
    assert UnrecognizedUrlError("POST", "/v1/x", " Did you mean /v1/y?").message.endswith(
        "https://support.stripe.com/. Did you mean /v1/y?")
    busy = IdempotencyKeyInUseError("key-1")
    assert busy.http_status == 409 and busy.code == "idempotency_key_in_use"
    assert busy.message == ("There is currently another in-progress request using this Idempotent Key (that probably "
                            "means you submitted twice, and the other request is still going through): key-1. Please "
                            "try again later.")
    assert isinstance(busy, InvalidRequestError)


# -- ids ------------------------------------------------------------------------------------------------------------


def test_ids_use_letters_and_digits_and_request_ids_are_fourteen_long() -> None:
    factory = IdFactory(3, "ns")
    tokens = [factory.token() for _ in range(200)]
    assert all(len(token) == 24 for token in tokens)
    seen = set("".join(tokens))
    assert seen <= set(string.ascii_letters + string.digits)
    assert seen & set(string.ascii_lowercase) and seen & set(string.ascii_uppercase) and seen & set(string.digits)
    assert len(factory.token(7)) == 7 and len(factory.new("pm", 5)) == len("pm_") + 5
    request_id = factory.request_id()
    assert request_id.startswith("req_") and len(request_id) == len("req_") + 14


def test_an_id_stream_restored_from_its_state_goes_on_identically() -> None:
    first = IdFactory(11, "ns")
    first.new("cus")
    copy = IdFactory(None)
    copy.set_state(first.state())
    assert [copy.new("cus") for _ in range(3)] == [first.new("cus") for _ in range(3)]
    assert IdFactory(11, "ns").new("cus") != IdFactory(12, "ns").new("cus")


# -- the clock --------------------------------------------------------------------------------------------------------


def test_clock_state_round_trips_an_offset_and_a_frozen_instant() -> None:
    source = FakeTime()
    flowing = Clock(source)
    flowing.advance(250.5)
    assert flowing.state() == {"offset": 250.5, "frozen_at": None}
    restored = Clock(source)
    restored.set_state(flowing.state())
    assert restored.now() == 1_250.5 and not restored.frozen
    source.now += 10
    assert restored.now() == 1_260.5  # the offset keeps following real time

    frozen = Clock(source)
    frozen.freeze()
    frozen.advance(40)
    assert frozen.state() == {"offset": 0.0, "frozen_at": 1_050.0}
    thawed = Clock(source)
    thawed.set_state(frozen.state())
    source.now += 99
    assert thawed.frozen and thawed.now() == 1_050.0


def test_clock_document_and_idempotent_freeze() -> None:
    source = FakeTime(1_700_000_000.75)
    clock = Clock(source)
    assert clock.to_dict() == {"object": "emulator.clock", "now": 1_700_000_000, "now_float": 1_700_000_000.75,
                               "frozen": False}
    clock.freeze()
    source.now += 30
    clock.freeze()  # freezing again keeps the first instant
    assert clock.to_dict() == {"object": "emulator.clock", "now": 1_700_000_000, "now_float": 1_700_000_000.75,
                               "frozen": True}
    clock.advance(0)
    assert clock.now() == 1_700_000_000.75
    with pytest.raises(ValueError, match="only move forward"):
        clock.advance(-0.5)
    clock.unfreeze()
    clock.unfreeze()  # unfreezing a flowing clock changes nothing
    assert clock.now() == 1_700_000_000.75 and not clock.frozen


# -- the request log --------------------------------------------------------------------------------------------------


def entry(number: int, **overrides: Any) -> LoggedRequest:
    fields: dict[str, Any] = {"request_id": f"req_{number}", "method": "POST", "path": "/v1/customers",
                              "params": {"name": "A"}, "status": 200, "idempotency_key": None,
                              "stripe_version": None, "duration_ms": 1.0, "created": 1_700_000_000 + number,
                              "replayed": False}
    fields.update(overrides)
    return LoggedRequest(**fields)


def test_logged_request_document() -> None:
    logged = entry(1, idempotency_key="k1", stripe_version="2026-10-28.endive", duration_ms=12.34567, replayed=True)
    assert logged.to_dict() == {
        "object": "emulator.request", "id": "req_1", "method": "POST", "path": "/v1/customers",
        "params": {"name": "A"}, "status": 200, "idempotency_key": "k1", "stripe_version": "2026-10-28.endive",
        "duration_ms": 12.346, "created": 1_700_000_001, "idempotent_replayed": True,
    }


def test_request_log_is_newest_first_bounded_and_limited() -> None:
    log = RequestLog(maximum=150)
    for number in range(160):
        log.add(entry(number))
    assert len(log) == 150
    default = log.newest_first()
    assert len(default) == 100 and default[0].request_id == "req_159" and default[-1].request_id == "req_60"
    assert [e.request_id for e in log.newest_first(2)] == ["req_159", "req_158"]
    assert log.newest_first(500)[-1].request_id == "req_10"


def test_secrets_are_masked_to_their_last_four_characters() -> None:
    assert mask_key("sk_test_abcdef1234") == "sk_test_****1234"
    assert mask_key("whsec_0123456789") == "whsec_****6789"
    assert mask_key("opaque12345") == "****2345"
    assert mask_params({"client_secret": "seti_1_secret_abcd9876", "name": "Ann", "nested": {"account_number":
                        "000123456789"}, "items": [{"password": "hunter22"}], "key": "rk_test_zzzz5555",
                        "empty": {"secret": ""}, "count": 3}) == {
        "client_secret": "****9876", "name": "Ann", "nested": {"account_number": "****6789"},
        "items": [{"password": "****er22"}], "key": "rk_test_****5555", "empty": {"secret": ""}, "count": 3}
    live = "sk_live_" + "1234567890"  # split, so no live-looking key sits in the tree
    assert mask_params([live, "plain"]) == ["sk_live_****7890", "plain"]
    assert mask_params({"account_number": ["000123456789", "000111111116"]}) == {
        "account_number": ["****6789", "****1116"]}  # a secret parameter's array items are masked too
    assert mask_params("secret-looking but unnamed") == "secret-looking but unnamed"
    given = {"email": "a@example.com", "nested": {"account_number": "000123456789"}, "tags": ["x"]}
    masked = mask_params(given)
    assert given == {"email": "a@example.com", "nested": {"account_number": "000123456789"}, "tags": ["x"]}
    assert masked["nested"] == {"account_number": "****6789"}  # a copy where something was masked, the rest shared
    plain = {"email": "a@example.com", "metadata": {"k": "v"}, "expand": ["customer"]}
    assert mask_params(plain) is plain  # nothing to mask: not copied
    assert mask_query("/v1/x?client_secret=abc_secret_wxyz&limit=3") == "/v1/x?client_secret=****wxyz&limit=3"
    assert mask_query("/_emulator/dashboard?control_token=tok123456&secret=") == (
        "/_emulator/dashboard?control_token=****3456&secret=")
    assert mask_query("/v1/x?my_secret=keepme") == "/v1/x?my_secret=keepme"


# -- fault rules --------------------------------------------------------------------------------------------------


def rule(**overrides: Any) -> FaultRule:
    fields: dict[str, Any] = {"id": "flt_1", "method": None, "path_prefix": "/v1/", "error": "api_error",
                              "status": None, "latency_ms": 0, "drop_connection": False, "probability": 1.0,
                              "seed": None, "remaining": None}
    fields.update(overrides)
    return FaultRule(**fields)


def test_fault_rule_document_lists_every_setting_and_how_often_it_fired() -> None:
    rules = FaultRules()
    added = rules.add(rule(id="flt_doc", method="GET", path_prefix="/v1/customers", error="lock_timeout", status=503,
                           latency_ms=25, drop_connection=True, probability=1.0, seed=4, remaining=3))
    fault = rules.decide("GET", "/v1/customers/cus_1")
    assert fault is not None and (fault.rule, fault.latency_ms, fault.drop_connection) == ("flt_doc", 25, True)
    assert fault.error is not None and (fault.error.http_status, fault.error.code) == (503, "lock_timeout")
    assert fault.error.headers == {"Stripe-Should-Retry": "true"}
    assert added.to_dict() == {"id": "flt_doc", "object": "emulator.fault", "method": "GET",
                               "path_prefix": "/v1/customers", "error": "lock_timeout", "status": 503,
                               "latency_ms": 25, "drop_connection": True, "probability": 1.0, "seed": 4,
                               "remaining": 2, "fired": 1}
    assert rules.clear() == 1 and rules.all() == [] and rules.clear() == 0


def test_fault_rules_match_method_and_path_prefix_both() -> None:
    rules = FaultRules()
    rules.add(rule(method="POST", path_prefix="/v1/customers"))
    assert rules.decide("GET", "/v1/customers") is None  # the path matches, the method does not
    assert rules.decide("POST", "/v1/setup_intents") is None  # the method matches, the path does not
    assert rules.decide("POST", "/v1/customers/cus_1") is not None


def test_a_status_alone_picks_api_error_from_500_and_rate_limit_below() -> None:
    exactly_500 = rule(error=None, status=500).error_to_raise()
    assert exactly_500 is not None and (exactly_500.type, exactly_500.code) == ("api_error", None)
    assert exactly_500.message == "An unknown error occurred." and exactly_500.headers == {}
    below = rule(error=None, status=499).error_to_raise()
    assert below is not None and (below.http_status, below.type, below.code) == (499, "invalid_request_error",
                                                                                 "rate_limit")
    assert below.message.startswith("Request rate limit exceeded.")
    latency_only = rule(error=None, status=None, latency_ms=10)
    assert latency_only.error_to_raise() is None


def test_a_rule_that_does_not_fire_lets_the_next_one_decide() -> None:
    rules = FaultRules()
    rules.add(rule(id="flt_never", probability=0.0, seed=1))
    rules.add(rule(id="flt_always", error="rate_limit"))
    decisions = [rules.decide("GET", "/v1/customers") for _ in range(5)]
    assert [d.rule if d else None for d in decisions] == ["flt_always"] * 5
    assert [r.fired for r in rules.all()] == [0, 5]


def test_rate_limiter_refusal_is_stripes_rate_limit_error() -> None:
    refusal = RateLimiter(1, now=lambda: 0.0).refusal()
    assert refusal.to_dict() == {"error": {
        "code": "rate_limit", "doc_url": "https://docs.stripe.com/error-codes/rate-limit",
        "message": "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.",
        "type": "invalid_request_error"}}
    assert refusal.http_status == 429 and refusal.headers == {}


def test_freezing_a_moved_clock_keeps_its_offset_and_a_zero_offset_restores_as_zero() -> None:
    source = FakeTime()
    clock = Clock(source)
    clock.advance(100)
    clock.freeze()
    source.now += 50
    assert clock.now() == 1_100.0
    restored = Clock(source)
    restored.advance(5)
    restored.set_state({"offset": 0.0, "frozen_at": None})
    assert restored.now() == source.now and not restored.frozen
    with pytest.raises(ValueError) as info:
        clock.advance(-1)
    assert str(info.value) == "the clock can only move forward"


def test_namespaces_with_one_seed_draw_different_ids() -> None:
    assert Backend("a", seed=1).ids.new("cus") != Backend("b", seed=1).ids.new("cus")
    assert Backend("a", seed=1).ids.new("cus") == Backend("a", seed=1).ids.new("cus")


def test_a_rule_whose_path_does_not_match_lets_the_next_one_decide() -> None:
    rules = FaultRules()
    rules.add(rule(id="flt_other", path_prefix="/v1/tokens"))
    rules.add(rule(id="flt_customers", path_prefix="/v1/customers"))
    decided = rules.decide("GET", "/v1/customers")
    assert decided is not None and decided.rule == "flt_customers"
