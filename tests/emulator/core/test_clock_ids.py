from __future__ import annotations

import pytest

from emulator.core.clock import Clock
from emulator.core.ids import IdFactory


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_clock_follows_real_time_by_default() -> None:
    source = FakeTime()
    clock = Clock(source)
    source.now += 5
    assert clock.timestamp() == 1_005


def test_clock_freeze_advance_unfreeze() -> None:
    source = FakeTime()
    clock = Clock(source)
    clock.freeze()
    source.now += 100
    assert clock.now() == 1_000 and clock.frozen
    clock.advance(60)
    assert clock.now() == 1_060
    clock.unfreeze()
    source.now += 1
    assert clock.now() == 1_061  # resumes from the frozen instant, not the real clock
    clock.advance(10)
    assert clock.now() == 1_071


def test_clock_never_moves_backwards() -> None:
    with pytest.raises(ValueError):
        Clock().advance(-1)


def test_ids_are_prefix_and_24_alphanumerics() -> None:
    value = IdFactory(1, "ns").new("cus")
    assert value.startswith("cus_") and len(value) == 28 and value[4:].isalnum()
    assert IdFactory(1, "ns").request_id().startswith("req_")


def test_ids_are_deterministic_per_seed_and_namespace() -> None:
    assert IdFactory(7, "a").new("cus") == IdFactory(7, "a").new("cus")
    assert IdFactory(7, "a").new("cus") != IdFactory(7, "b").new("cus")
    assert IdFactory(None, "a").new("cus") != IdFactory(None, "a").new("cus")
