"""The pytest11 entry point (`stripe_fc_emulator`): refuses, in one line, to start when the project under test has
its own `emulator` or `harness` package in the way, then is `harness.pytest_plugin`."""

from __future__ import annotations

import pytest

from stripe_fc_emulator import collision

_problem = collision()
if _problem is not None:
    raise pytest.UsageError(_problem)

from harness.pytest_plugin import *  # noqa: E402,F403 - the plugin's hooks and fixtures, registered from here
