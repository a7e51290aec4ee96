"""Fault rules for testing integrators' retry logic: per namespace, matched by method and path prefix, each answering
with a Stripe error, added latency or a dropped connection; probability with a seed, and a count limit.

The rules decide; the HTTP layer carries out what they decide (waits, renders the error, drops the connection).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.core.errors import StripeError


@dataclass(frozen=True)
class Preset:
    status: int
    type: str
    code: str | None
    message: str
    should_retry: str | None
    """`Stripe-Should-Retry`, which the SDKs obey before their own status rules; None sends no header."""


# Statuses, types and codes from Stripe's docs and SDKs; the header values are this emulator's choice (README).
PRESETS: dict[str, Preset] = {
    "rate_limit": Preset(429, "invalid_request_error", "rate_limit",
                         "Request rate limit exceeded. Learn more about rate limits here "
                         "https://stripe.com/docs/rate-limits.", None),
    "lock_timeout": Preset(429, "invalid_request_error", "lock_timeout",
                           "This object cannot be accessed right now because another API request or Stripe process "
                           "is currently accessing it. If you see this error intermittently, retry the request.",
                           "true"),
    "api_error": Preset(500, "api_error", None, "An unknown error occurred.", None),
    "idempotency_key_in_use": Preset(409, "invalid_request_error", "idempotency_key_in_use",
                                     "There is currently another in-progress request using this Stripe-Idempotency-"
                                     "Key. Please try again later.", None),
}


class InjectedError(StripeError):
    """The error a fault rule answers with: any status and type the rule names."""

    def __init__(self, preset: Preset, status: int) -> None:
        headers = {"Stripe-Should-Retry": preset.should_retry} if preset.should_retry is not None else {}
        super().__init__(preset.message, code=preset.code, http_status=status, headers=headers)
        self.type = preset.type


@dataclass
class FaultRule:
    id: str
    method: str | None
    path_prefix: str
    error: str | None
    status: int | None
    latency_ms: int
    drop_connection: bool
    probability: float
    seed: int | None
    remaining: int | None
    fired: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and path.startswith(self.path_prefix)

    def error_to_raise(self) -> InjectedError | None:
        if self.error is None and self.status is None:
            return None
        preset = PRESETS[self.error or ("api_error" if (self.status or 500) >= 500 else "rate_limit")]
        return InjectedError(preset, self.status or preset.status)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "object": "emulator.fault", "method": self.method, "path_prefix": self.path_prefix,
                "error": self.error, "status": self.status, "latency_ms": self.latency_ms,
                "drop_connection": self.drop_connection, "probability": self.probability, "seed": self.seed,
                "remaining": self.remaining, "fired": self.fired}


@dataclass(frozen=True)
class Fault:
    """What to do to one request: wait, then answer with the error, drop the connection, or carry on."""

    rule: str
    latency_ms: int
    error: InjectedError | None
    drop_connection: bool


class FaultRules:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> int:
        with self._lock:
            count = len(self._rules)
            self._rules.clear()
            return count

    def all(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def active(self) -> bool:
        """Whether any rule is set (read without the lock: a list's length is read atomically)."""
        return bool(self._rules)

    def decide(self, method: str, path: str) -> Fault | None:
        """The first matching rule that fires (its probability roll succeeds) applies; exhausted rules go away."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path):
                    continue
                if rule.probability < 1.0 and rule._random.random() >= rule.probability:
                    continue
                rule.fired += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                return Fault(rule.id, rule.latency_ms, rule.error_to_raise(), rule.drop_connection)
        return None


class RateLimiter:
    """A token bucket: `rate` requests per second, bursts up to `rate` (`serve --rate-limit 25` is Stripe's sandbox
    limit). Wall time, not the namespace clock: a rate limit is about how fast requests really arrive."""

    def __init__(self, rate: int, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._now = now
        self._tokens = float(rate)
        self._updated = now()
        self._lock = threading.Lock()

    def allow(self) -> bool:
        with self._lock:
            current = self._now()
            self._tokens = min(float(self.rate), self._tokens + (current - self._updated) * self.rate)
            self._updated = current
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def refusal(self) -> InjectedError:
        return InjectedError(PRESETS["rate_limit"], 429)
