"""The pytest plugin (entry point `pytest11`): a session emulator and a fresh namespace per test.

Nothing here starts unless a test asks for a fixture, so installing the package costs unrelated suites nothing.
Point at a running emulator with `--stripe-emulator-url`, the `stripe_emulator_url` ini option or the
`STRIPE_EMULATOR_URL` environment variable (in that order).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import stripe

    from harness.contract.recorder import ContractRecorder
    from harness.control import ControlClient

ENV_URL = "STRIPE_EMULATOR_URL"
INI_URL = "stripe_emulator_url"
INI_CONTRACT = "stripe_emulator_contract"
RECORDER = pytest.StashKey["ContractRecorder | None"]()
REPORTS = pytest.StashKey[list[dict[str, Any]]]()
MARK = pytest.StashKey[int]()


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
    group.addoption(
        "--stripe-emulator-contract",
        dest="stripe_emulator_contract",
        action="store_true",
        default=None,
        help=f"check every emulator response against Stripe's OpenAPI schemas and the SDK models; a violation "
        f"fails the test that caused it (ini {INI_CONTRACT}).",
    )
    parser.addini(INI_CONTRACT, "check every emulator response against Stripe's schemas (true/false).",
                  type="bool", default=False)
    group.addoption(
        "--stripe-fidelity-json",
        dest="stripe_fidelity_json",
        default=None,
        help="write the contract check's fidelity statistics to this JSON file.",
    )


def contract_enabled(config: pytest.Config) -> bool:
    option = config.getoption("stripe_emulator_contract", default=None)
    return bool(option) if option is not None else bool(config.getini(INI_CONTRACT))


def pytest_configure(config: pytest.Config) -> None:
    recorder = None
    if contract_enabled(config):
        from harness.contract.recorder import ContractRecorder

        recorder = ContractRecorder()
    config.stash[RECORDER] = recorder
    config.stash[REPORTS] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    recorder = item.config.stash.get(RECORDER, None)
    if recorder is not None:
        item.stash[MARK] = recorder.mark()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    __tracebackhide__ = True
    result = yield
    recorder = item.config.stash.get(RECORDER, None)
    if recorder is not None:
        found = recorder.since(item.stash.get(MARK, 0))
        if found:
            details = "\n".join(violation.render() for violation in found[:20])
            more = f"\n… and {len(found) - 20} more" if len(found) > 20 else ""
            raise AssertionError(
                f"the emulator answered {len(found)} response field(s) that break Stripe's contract:\n{details}{more}"
            )
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    recorder = config.stash.get(RECORDER, None)
    if recorder is None:
        return
    report = recorder.checker.stats_json()
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the numbers to the controller
        workeroutput["stripe_fidelity"] = json.dumps(report)
        return
    config.stash[REPORTS].append(report)
    target = config.getoption("stripe_fidelity_json", default=None)
    if target:
        from harness.fidelity import merge

        Path(target).write_text(json.dumps(merge(config.stash[REPORTS]), indent=2), encoding="utf-8")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    payload = getattr(node, "workeroutput", {}).get("stripe_fidelity")
    if payload:
        node.config.stash[REPORTS].append(json.loads(payload))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if config.stash.get(RECORDER, None) is None or hasattr(config, "workeroutput"):
        return
    from harness.contract.sdk_models import SDK_VERSION
    from harness.fidelity import merge, summary_lines

    report = merge(config.stash[REPORTS])
    terminalreporter.section("stripe-fc-emulator fidelity")
    for line in summary_lines(report, SDK_VERSION):
        terminalreporter.write_line(line)


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

    recorder = pytestconfig.stash.get(RECORDER, None)
    with EmulatorServer(wrap=None if recorder is None else recorder.wrap) as server:
        yield RunningEmulator(server.url, external=False)


@pytest.fixture(scope="session")
def stripe_contract(pytestconfig: pytest.Config) -> ContractRecorder | None:
    """The contract recorder when the check is on (wrap your own emulator apps with `.wrap(app)`), else None."""
    return pytestconfig.stash.get(RECORDER, None)


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
