"""Scenario files as pytest items, and playing a scenario from a test (the marker and the fixture)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.scenario.loader import Scenario, ScenarioError, load, resolve_reference
from harness.scenario.runner import ScenarioFailure, ScenarioSkipped, run_scenario
from harness.scenario.stash import API_VERSION, LIVE

LIVE_URL = "https://api.stripe.com"
SIMULATED = ("simulation", "webhooks", "clock")


def play(scenario: Scenario, config: pytest.Config, url: str, api_key: str, client: Any,
         version: str | None = None) -> None:
    """Run a scenario as a test: skips say why, failures read like a report (no traceback). `version`: the test's
    Stripe-Version for a scenario that sets none (default: the configured one)."""
    __tracebackhide__ = True
    version = version or config.stash.get(API_VERSION, None)
    if config.stash.get(LIVE, False):
        needs = [need for need in scenario.needs if need in SIMULATED]
        if needs:
            pytest.skip(f"scenario {scenario.name!r} needs the emulator ({', '.join(needs)}); skipped in live mode")
        live_key = os.environ.get("STRIPE_API_KEY", "")
        if not live_key.startswith("sk_test_"):
            pytest.skip("live mode needs STRIPE_API_KEY set to a test-mode secret key (sk_test_…)")
        url, api_key = str(config.getini("stripe_live_url") or LIVE_URL), live_key
    skip = failure = None
    try:
        run_scenario(scenario, base_url=url, api_key=api_key, client=client, api_version=version)
    except ScenarioSkipped as skipped:
        skip = str(skipped)
    except ScenarioFailure as failed:
        failure = str(failed)
    # raised outside the handlers: a report chained to the scenario's own exception would print the diff twice
    if skip is not None:
        pytest.skip(skip)
    if failure is not None:
        pytest.fail(failure, pytrace=False)




def _test_for(path: Path) -> Callable[..., None]:
    def test(pytestconfig: pytest.Config, stripe_emulator: Any, stripe_api_key: str, relink_client: Any) -> None:
        # not hidden: a report (`pytrace=False`) shows only its message, but with every frame hidden pytest adds
        # "All traceback entries are hidden" under it
        play(load(path), pytestconfig, stripe_emulator.url, stripe_api_key, relink_client)

    return test


class ScenarioItem(pytest.Function):
    """A scenario's test, reported under its node id (`builtin/<file>::<name>` or `<path>::<name>`), headed by its
    name (not a Python module path made of the file's location)."""

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.name


class ScenarioFile(pytest.File):
    """A `*.scenario.yaml` file: one test item, named after the scenario."""

    def collect(self) -> Iterator[pytest.Item]:
        scenario = load(self.path)
        item = ScenarioItem.from_parent(self, name=scenario.name, callobj=_test_for(self.path))
        for tag in scenario.tags:
            item.user_properties.append(("stripe_scenario_tag", tag))
        yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class ScenarioPlayer:
    """The `stripe_scenario` fixture: `stripe_scenario("builtin:closed-account-no-prompt")` or a path."""

    def __init__(self, config: pytest.Config, url: str, api_key: str, client: Any, base: Path | None,
                 version: str | None = None) -> None:
        self._config, self._url, self._key, self._client, self._base = config, url, api_key, client, base
        self._version = version

    def __call__(self, reference: str | Path) -> None:
        __tracebackhide__ = True
        problem = None
        try:
            scenario = resolve_reference(reference, self._base)
        except ScenarioError as exc:
            problem = str(exc)
        if problem is not None:
            pytest.fail(problem, pytrace=False)
        play(scenario, self._config, self._url, self._key, self._client, self._version)
