"""The fault rules and the rate limiter decide deterministically: seeded probability, count limits, a token bucket
on an injected clock."""

from __future__ import annotations

from emulator.core.faults import PRESETS, FaultRule, FaultRules, RateLimiter


def rule(**overrides: object) -> FaultRule:
    fields: dict[str, object] = {"id": "flt_1", "method": None, "path_prefix": "/v1/", "error": "api_error",
                                 "status": None, "latency_ms": 0, "drop_connection": False, "probability": 1.0,
                                 "seed": None, "remaining": None}
    fields.update(overrides)
    return FaultRule(**fields)  # type: ignore[arg-type]


def test_first_matching_rule_decides_and_spent_rules_go_away() -> None:
    rules = FaultRules()
    rules.add(rule(id="flt_post", method="POST", path_prefix="/v1/customers", remaining=1))
    rules.add(rule(id="flt_any", error="rate_limit"))
    first = rules.decide("POST", "/v1/customers/cus_1")
    assert first is not None and first.rule == "flt_post" and first.error is not None
    assert first.error.http_status == 500 and first.error.type == "api_error"
    second = rules.decide("POST", "/v1/customers")
    assert second is not None and second.rule == "flt_any" and second.error is not None
    assert second.error.to_dict()["error"]["code"] == "rate_limit"
    assert [r.id for r in rules.all()] == ["flt_any"]


def test_seeded_probability_gives_the_same_pattern() -> None:
    patterns = []
    for _ in range(2):
        rules = FaultRules()
        rules.add(rule(probability=0.3, seed=9))
        patterns.append([rules.decide("GET", "/v1/customers") is not None for _ in range(50)])
    assert patterns[0] == patterns[1] and 5 < sum(patterns[0]) < 25


def test_status_alone_picks_a_preset_and_lock_timeout_says_retry() -> None:
    client_error = rule(error=None, status=418).error_to_raise()
    assert client_error is not None and client_error.http_status == 418 and client_error.code == "rate_limit"
    assert rule(error=None, status=None, latency_ms=5).error_to_raise() is None
    locked = rule(error="lock_timeout").error_to_raise()
    assert locked is not None and locked.headers == {"Stripe-Should-Retry": "true"}
    assert PRESETS["lock_timeout"].status == 429


def test_rate_limiter_allows_a_burst_then_refills_at_the_rate() -> None:
    now = [100.0]
    limiter = RateLimiter(5, now=lambda: now[0])
    assert [limiter.allow() for _ in range(7)] == [True] * 5 + [False] * 2
    now[0] += 0.2  # one token back at 5/s
    assert [limiter.allow() for _ in range(2)] == [True, False]
    now[0] += 10  # the bucket never holds more than one second's worth
    assert sum(limiter.allow() for _ in range(10)) == 5
    refusal = limiter.refusal()
    assert refusal.http_status == 429 and refusal.to_dict()["error"]["code"] == "rate_limit"
