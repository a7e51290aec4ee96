"""The suite's hypothesis profiles, loaded by every test module that uses hypothesis (imported first thing, before
any `settings(...)` is made; `tests/test_layers.py` checks each such module does). Kept out of `conftest.py` so a
run that uses no hypothesis test (e.g. `pytest tests/scenarios`, one per xdist worker) does not import hypothesis.

Deterministic by default (same examples every run); HYPOTHESIS_PROFILE=explore searches anew each run; a profile
named on the command line (`--hypothesis-profile`) wins."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("deterministic", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=2000, print_blob=True)
if settings.get_current_profile_name() == "default":  # not chosen with --hypothesis-profile
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))
