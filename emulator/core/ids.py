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
_CHARACTERS = bytes.maketrans(bytes(range(256)), bytes(ord(ALPHABET[byte % len(ALPHABET)]) for byte in range(256)))
REQUEST_ID_LENGTH = 14


class IdFactory:
    """Deterministic for a given seed and namespace; random otherwise."""

    def __init__(self, seed: int | None = None, namespace: str = "") -> None:
        self._material: str | None = f"{seed}:{namespace}" if seed is not None else secrets.token_hex(16)
        self._seeded: random.Random | None = None
        """Made on first use: a generator's state is 2.5 KB, and most namespaces of a test suite draw no id of
        some streams (the webhook stream of a namespace without endpoints) or none at all."""
        self._lock = threading.Lock()

    @property
    def _random(self) -> random.Random:  # call with the lock held
        if self._seeded is None:
            self._seeded = random.Random(self._material)
            self._material = None
        return self._seeded

    def state(self) -> RandomState:
        with self._lock:
            state: RandomState = self._random.getstate()
            return state

    def set_state(self, state: RandomState) -> None:
        """ValueError/TypeError for a state `random` does not take (nothing changes then)."""
        trial = random.Random()
        trial.setstate(state)
        with self._lock:
            self._seeded, self._material = trial, None

    def _generator(self) -> random.Random:
        with self._lock:  # made once, by one thread
            return self._random

    def token(self, length: int = ID_LENGTH) -> str:
        """`length` alphanumerics: one byte a character, mapped onto the 62 (bytes 248–255 wrap onto the first
        eight characters, a bias no id minds; ten times faster than drawing each character). A draw is one call
        into the generator's C code, which the GIL runs whole: no lock for it."""
        generator = self._seeded or self._generator()
        drawn = generator.getrandbits(length * 8).to_bytes(length, "little")  # `randbytes(length)`, inline
        return drawn.translate(_CHARACTERS).decode("ascii")

    def new(self, prefix: str, length: int = ID_LENGTH) -> str:
        generator = self._seeded or self._generator()  # `token`, inline (an id is drawn for every object and event)
        drawn = generator.getrandbits(length * 8).to_bytes(length, "little")
        return f"{prefix}_{drawn.translate(_CHARACTERS).decode('ascii')}"

    def request_id(self) -> str:
        generator = self._seeded or self._generator()  # `new("req", REQUEST_ID_LENGTH)`, inline (one a request)
        drawn = generator.getrandbits(REQUEST_ID_LENGTH * 8).to_bytes(REQUEST_ID_LENGTH, "little")
        return f"req_{drawn.translate(_CHARACTERS).decode('ascii')}"
