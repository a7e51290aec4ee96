"""Stripe-style ids (`cus_` + 24 alphanumerics) from a seedable generator, one per namespace."""

from __future__ import annotations

import random
import secrets
import string
import threading

RandomState = tuple[int, tuple[int, ...], float | None]
"""`random.Random.getstate()`: what a snapshot keeps of an id stream."""
ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24
REQUEST_ID_LENGTH = 14


class IdFactory:
    """Deterministic for a given seed and namespace; random otherwise."""

    def __init__(self, seed: int | None = None, namespace: str = "") -> None:
        material = f"{seed}:{namespace}" if seed is not None else secrets.token_hex(16)
        self._random = random.Random(material)
        self._lock = threading.Lock()

    def state(self) -> RandomState:
        with self._lock:
            state: RandomState = self._random.getstate()
            return state

    def set_state(self, state: RandomState) -> None:
        """ValueError/TypeError for a state `random` does not take (nothing changes then)."""
        trial = random.Random()
        trial.setstate(state)
        with self._lock:
            self._random = trial

    def token(self, length: int = ID_LENGTH) -> str:
        with self._lock:
            return "".join(self._random.choices(ALPHABET, k=length))

    def new(self, prefix: str, length: int = ID_LENGTH) -> str:
        return f"{prefix}_{self.token(length)}"

    def request_id(self) -> str:
        return self.new("req", REQUEST_ID_LENGTH)
