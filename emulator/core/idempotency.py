"""Idempotent requests, per namespace: the same key and parameters replay the stored response; other parameters
are an `idempotency_error`; a key whose first request is still running is a 409; keys expire after 24 hours of
the namespace's clock. Requests rejected while validating parameters are not stored (the key stays free)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from emulator.core import messages
from emulator.core.errors import IdempotencyError, IdempotencyKeyInUseError, InvalidRequestError
from emulator.core.snapshot import saved

TTL_SECONDS = 24 * 60 * 60
MAX_KEYS = 10_000
"""Keys remembered per namespace at most; past that the oldest is forgotten first (besides the 24-hour expiry)."""
MAX_KEY_LENGTH = 255


@saved
@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: bytes
    request_id: str
    stripe_version: str


@saved
@dataclass
class _Entry:
    fingerprint: str
    created: float
    response: StoredResponse | None = None


@saved
class IdempotencyStore:
    _entries: dict[str, _Entry]
    _expiry: deque[tuple[float, str]] | None
    """Made with the first key: a namespace that never used one costs nothing here."""
    _lock: threading.Lock

    def __init__(self) -> None:
        self._entries = {}
        self._expiry = None
        self._lock = threading.Lock()

    def begin(self, key: str, fingerprint: str, now: float) -> StoredResponse | None:
        """Claim `key` for a new request (returns None), or return the response to replay."""
        if len(key) > MAX_KEY_LENGTH:
            raise InvalidRequestError(
                messages.IDEMPOTENCY_KEY_TOO_LONG.format(maximum=MAX_KEY_LENGTH, key=key[:40] + "…"),
                param="Idempotency-Key",
            )
        with self._lock:
            self._expire(now)
            entry = self._entries.get(key)
            if entry is None:
                self._entries[key] = _Entry(fingerprint, now)
                if self._expiry is None:
                    self._expiry = deque()
                self._expiry.append((now, key))
                self._evict()
                return None
            if entry.fingerprint != fingerprint:
                raise IdempotencyError(messages.IDEMPOTENCY_MISMATCH.format(key=key))
            if entry.response is None:
                raise IdempotencyKeyInUseError(key)
            return entry.response

    def finish(self, key: str, response: StoredResponse) -> None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                entry.response = response

    def release(self, key: str) -> None:
        """Forget a claimed key whose request was rejected before it ran (validation errors)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.response is None:
                del self._entries[key]

    def forget_unfinished(self) -> None:
        """Keys whose request had not finished when the state was saved: that request never happened here."""
        with self._lock:
            for key in [k for k, entry in self._entries.items() if entry.response is None]:
                del self._entries[key]

    def _evict(self) -> None:
        if self._expiry is None:
            return
        if len(self._expiry) > 2 * MAX_KEYS:  # released keys leave stale entries behind: drop them (amortized O(1))
            self._expiry = deque((created, key) for created, key in self._expiry
                                 if (entry := self._entries.get(key)) is not None and entry.created == created)
        while len(self._entries) > MAX_KEYS and self._expiry:
            created, key = self._expiry.popleft()
            entry = self._entries.get(key)
            if entry is not None and entry.created == created:
                del self._entries[key]

    def _expire(self, now: float) -> None:
        if self._expiry is None:
            return
        while self._expiry and now - self._expiry[0][0] >= TTL_SECONDS:
            created, key = self._expiry.popleft()
            entry = self._entries.get(key)
            if entry is not None and entry.created == created:
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
