"""The pytest plugin (entry point `pytest11`): a session emulator and a fresh namespace per test.

Nothing here starts unless a test asks for a fixture, so installing the package costs unrelated suites nothing.
Point at a running emulator with `--stripe-emulator-url`, the `stripe_emulator_url` ini option or the
`STRIPE_EMULATOR_URL` environment variable (in that order).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import stripe

    from harness.control import ControlClient

ENV_URL = "STRIPE_EMULATOR_URL"
INI_URL = "stripe_emulator_url"


@dataclass(frozen=True)
class RunningEmulator:
    url: str
    external: bool


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stripe-fc-emulator", "stripe-fc-emulator")
    group.addoption(
        "--stripe-emulator-url",
        dest="stripe_emulator_url",
        default=None,
        help=f"use a running emulator at this URL instead of starting one (env {ENV_URL}, ini {INI_URL}).",
    )
    parser.addini(INI_URL, "URL of a running stripe-fc-emulator to use instead of starting one.", default="")


def configured_url(config: pytest.Config) -> tuple[str | None, str]:
    option = config.getoption("stripe_emulator_url", default=None)
    if option:
        return str(option), "command line"
    env = os.environ.get(ENV_URL)
    if env:
        return env, f"env {ENV_URL}"
    ini = config.getini(INI_URL)
    if ini:
        return str(ini), f"ini {INI_URL}"
    return None, "started per session on a free loopback port"


def pytest_report_header(config: pytest.Config) -> str:
    url, source = configured_url(config)
    return f"stripe-fc-emulator: {url or 'in-process server'} ({source})"


@pytest.fixture(scope="session")
def stripe_emulator(pytestconfig: pytest.Config) -> Iterator[RunningEmulator]:
    """The emulator for this session: the configured URL, or a server started on port 0 and stopped at the end."""
    url, _ = configured_url(pytestconfig)
    if url:
        yield RunningEmulator(url.rstrip("/"), external=True)
        return
    from harness.server import EmulatorServer

    with EmulatorServer() as server:
        yield RunningEmulator(server.url, external=False)


@pytest.fixture
def stripe_api_key(request: pytest.FixtureRequest, stripe_emulator: RunningEmulator) -> str:
    """A test key owning a namespace of its own, derived from the test id and reset before the test."""
    digest = hashlib.sha256(request.node.nodeid.encode("utf-8")).hexdigest()[:24]
    key = f"sk_test_{digest}"
    from harness.control import ControlClient

    control = ControlClient(stripe_emulator.url, key)
    try:
        control.reset()
    finally:
        control.close()
    return key


@pytest.fixture
def stripe_control(stripe_api_key: str, stripe_emulator: RunningEmulator) -> Iterator[ControlClient]:
    """The control plane (clock, request log, reset) for this test's namespace."""
    from harness.control import ControlClient

    control = ControlClient(stripe_emulator.url, stripe_api_key)
    try:
        yield control
    finally:
        control.close()


@pytest.fixture
def stripe_client(stripe_api_key: str, stripe_emulator: RunningEmulator) -> stripe.StripeClient:
    """A `stripe.StripeClient` on this test's namespace (no network retries)."""
    from harness.sdk import client_for

    return client_for(stripe_api_key, stripe_emulator.url)
