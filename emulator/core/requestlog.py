"""What each namespace was asked, newest first, with secrets masked (GET /_emulator/requests)."""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from emulator.core.snapshot import saved

MAX_ENTRIES = 1000
SECRET_PARAMS = frozenset({"client_secret", "secret", "password", "account_number", "cvc", "number"})


def mask_key(key: str) -> str:
    """`sk_test_abcdef1234` -> `sk_test_****1234` (Stripe's own masking)."""
    prefix, sep, rest = key.rpartition("_")
    if not sep:
        return "****" + key[-4:]
    return f"{prefix}_****{rest[-4:]}"


_QUERY_SECRET = re.compile(r"((?:^|[?&])(?:client_secret|control_token|secret)=)([^&#\s]*)")


def mask_query(target: str) -> str:
    """A path with query string as an access log prints it, with secret values masked like `mask_params` does."""
    return _QUERY_SECRET.sub(lambda m: m.group(1) + ("****" + m.group(2)[-4:] if m.group(2) else ""), target)


def mask_params(value: Any, name: str = "") -> Any:
    """`value` (decoded request parameters) with secret values masked: the values of `SECRET_PARAMS` to their last
    four characters, API keys and webhook secrets as `mask_key` shows them. What holds nothing to mask is returned
    as it is, not copied (request parameters are never changed once decoded)."""
    if isinstance(value, dict):
        masked: dict[str, Any] | None = None
        for key, inner in value.items():
            if type(inner) is str:  # most parameters: no call for them
                if not ((key in SECRET_PARAMS and inner) or inner.startswith(_KEY_PREFIXES)):
                    continue
                shown = _masked(inner, key)
            else:
                shown = mask_params(inner, key)
                if shown is inner:
                    continue
            if masked is None:
                masked = dict(value)
            masked[key] = shown
        return value if masked is None else masked
    if isinstance(value, list):
        items = [mask_params(inner, name) for inner in value]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else items
    if isinstance(value, str):
        return _masked(value, name)
    return value


_KEY_PREFIXES = ("sk_", "rk_", "whsec_")


def _masked(value: str, name: str) -> str:
    if name in SECRET_PARAMS and value:
        return "****" + value[-4:]
    if value.startswith(_KEY_PREFIXES):
        return mask_key(value)
    return value


@saved
@dataclass(eq=False)  # not frozen: one is made per request, and a frozen dataclass's `__init__` costs 5x more
class LoggedRequest:
    request_id: str
    method: str
    path: str
    params: Any
    status: int
    idempotency_key: str | None
    stripe_version: str | None
    duration_ms: float
    created: int
    replayed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "emulator.request",
            "id": self.request_id,
            "method": self.method,
            "path": self.path,
            "params": self.params,
            "status": self.status,
            "idempotency_key": self.idempotency_key,
            "stripe_version": self.stripe_version,
            "duration_ms": round(self.duration_ms, 3),
            "created": self.created,
            "idempotent_replayed": self.replayed,
        }


@saved
class RequestLog:
    _entries: deque[LoggedRequest | tuple[Any, ...]] | None
    """Made with the first entry: a namespace nobody sent a request to costs nothing here. A request's entry is kept
    as the tuple of its fields (`record`: one is made per request, and a tuple costs a fraction of a dataclass'
    `__init__`), made a `LoggedRequest` with its secrets masked when read; a snapshot saves those (`saved_copy`):
    no secret leaves the log unmasked."""
    _maximum: int
    _lock: threading.Lock

    def __init__(self, maximum: int = MAX_ENTRIES) -> None:
        self._entries = None
        self._maximum = maximum
        self._lock = threading.Lock()

    def add(self, entry: LoggedRequest) -> None:
        self._append(entry)

    def record(self, *fields: Any) -> None:
        """A request's entry: the fields of a `LoggedRequest`, in order, its parameters as they were decoded (never
        changed after: they are masked when the entry is read or saved)."""
        self._append(fields)

    def _append(self, entry: LoggedRequest | tuple[Any, ...]) -> None:
        with self._lock:
            if self._entries is None:
                self._entries = deque(maxlen=self._maximum)
            self._entries.append(entry)

    def newest_first(self, limit: int = 100) -> list[LoggedRequest]:
        with self._lock:
            newest = list(reversed(self._entries or ()))[:limit]
        return [_logged(entry) for entry in newest]

    def saved_copy(self) -> RequestLog:
        """This log with every entry a `LoggedRequest` (what a snapshot saves), sharing nothing that changes."""
        copy = RequestLog(self._maximum)
        with self._lock:
            if self._entries is not None:
                copy._entries = deque((_logged(entry) for entry in self._entries), maxlen=self._maximum)
        return copy

    def __len__(self) -> int:
        return len(self._entries or ())

    def _check_state(self) -> None:
        if not 0 < self._maximum <= MAX_ENTRIES or (
                self._entries is not None and self._entries.maxlen != self._maximum):
            raise ValueError(f"it may keep at most {MAX_ENTRIES} entries")
        if self._entries is not None and not all(type(entry) is LoggedRequest for entry in self._entries):
            raise ValueError("its entries must be LoggedRequests")  # a saved log holds no tuples (`saved_copy`)


def _logged(entry: LoggedRequest | tuple[Any, ...]) -> LoggedRequest:
    if isinstance(entry, LoggedRequest):
        return entry
    made = LoggedRequest(*entry)
    made.params = mask_params(made.params)
    return made
