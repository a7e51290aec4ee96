"""Stripe-style ids (`cus_` + 24 alphanumerics) from a seedable generator, one per namespace."""

from __future__ import annotations

import random
import secrets
import string
import threading

ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 24
REQUEST_ID_LENGTH = 14


class IdFactory:
    """Deterministic for a given seed and namespace; random otherwise."""

    def __init__(self, seed: int | None = None, namespace: str = "") -> None:
        material = f"{seed}:{namespace}" if seed is not None else secrets.token_hex(16)
        self._random = random.Random(material)
        self._lock = threading.Lock()

    def state(self) -> object:
        with self._lock:
            return self._random.getstate()

    def set_state(self, state: object) -> None:
        with self._lock:
            self._random.setstate(state)  # type: ignore[arg-type]

    def token(self, length: int = ID_LENGTH) -> str:
        with self._lock:
            return "".join(self._random.choices(ALPHABET, k=length))

    def new(self, prefix: str, length: int = ID_LENGTH) -> str:
        return f"{prefix}_{self.token(length)}"

    def request_id(self) -> str:
        return self.new("req", REQUEST_ID_LENGTH)
