"""The per-namespace clock: the only source of "now" for timestamps. Real time by default; a namespace can
freeze it and move it forward, so time-based behaviour is tested without waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypedDict


class ClockState(TypedDict):
    """What a snapshot keeps of a clock."""

    offset: float
    frozen_at: float | None


class Clock:
    """Real time plus an offset, or a frozen instant. Never moves backwards."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._lock = threading.Lock()

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def now(self) -> float:
        # read without the lock: the writers change one attribute at a time, `unfreeze` the offset before it clears
        # the frozen instant, so a reader sees either instant whole (and the GIL makes each read atomic)
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return self._source() + self._offset

    def timestamp(self) -> int:
        """Unix seconds, as Stripe's `created` fields carry them."""
        return int(self.now())

    def freeze(self) -> None:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = self._source() + self._offset

    def unfreeze(self) -> None:
        """Resume flowing from the frozen instant (time does not jump to the real clock)."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - self._source()
                self._frozen_at = None

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock can only move forward")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def state(self) -> ClockState:
        """What a snapshot keeps: the offset from real time (time goes on while the server is down, as it would at
        Stripe) and the frozen instant, if frozen."""
        with self._lock:
            return {"offset": self._offset, "frozen_at": self._frozen_at}

    def set_state(self, state: ClockState) -> None:
        with self._lock:
            self._offset = float(state.get("offset") or 0.0)
            frozen_at = state.get("frozen_at")
            self._frozen_at = None if frozen_at is None else float(frozen_at)

    def to_dict(self) -> dict[str, object]:
        now = self.now()
        return {"object": "emulator.clock", "now": int(now), "now_float": now, "frozen": self.frozen}
