"""Things that happen by themselves when a namespace's clock passes a moment (a scheduled deactivation, a TAN
expiring, a refresh finishing). They run, in time order, before the next request to the namespace is handled and
whenever the clock is moved through the control plane."""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.core.snapshot import saved


@saved
@dataclass(order=True)
class _Entry:
    due: float
    seq: int
    action: Callable[[float], None] = field(compare=False)
    label: str = field(compare=False, default="")


@saved
class Timers:
    _heap: list[_Entry]
    _seq: int

    def __init__(self) -> None:
        self._heap = []
        self._seq = 0
        """Ties at one instant run in the order they were scheduled."""

    def at(self, due: float, action: Callable[[float], None], label: str = "") -> None:
        """Run `action(due)` once the clock reaches `due` (actions check themselves whether still relevant)."""
        self._seq += 1
        heapq.heappush(self._heap, _Entry(due, self._seq, action, label))

    def run_due(self, now: float, at: Callable[[float | None], None] | None = None) -> int:
        """Run every action due by `now`, in time order; `at(due)` is told the instant each one happens at (and
        `at(None)` after the last), so what the actions record is stamped with that instant."""
        ran = 0
        try:
            while self._heap and self._heap[0].due <= now:
                entry = heapq.heappop(self._heap)
                if at is not None:
                    at(entry.due)
                entry.action(entry.due)
                ran += 1
        finally:
            if at is not None:
                at(None)
        return ran

    def next_due(self) -> float | None:
        return self._heap[0].due if self._heap else None

    @property
    def scheduled(self) -> int:
        """How many actions were ever scheduled: a change counter (one that did not move scheduled nothing)."""
        return self._seq

    def pending(self) -> list[tuple[float, str]]:
        return sorted((entry.due, entry.label) for entry in self._heap)

    def __len__(self) -> int:
        return len(self._heap)

    def _check_state(self) -> None:
        """For restored timers: a heap again, and the sequence past every entry's (a snapshot's check)."""
        heapq.heapify(self._heap)
        if any(entry.seq > self._seq for entry in self._heap):
            raise ValueError("an entry's sequence is past the counter")
