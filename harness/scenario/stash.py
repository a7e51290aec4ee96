"""What the pytest plugin keeps on the config for scenario items (`config.stash`): a module of its own, so the
plugin's `pytest_configure` reads and writes them without importing the scenario machinery (and the emulator) into
a process that runs no scenario, such as an xdist controller."""

from __future__ import annotations

import pytest

API_VERSION = pytest.StashKey[str | None]()
"""The session's Stripe-Version for scenarios (`--stripe-api-version`, its ini and env twins)."""
LIVE = pytest.StashKey[bool]()
"""Whether live-mode scenarios may run against api.stripe.com."""
