"""The pytest plugin (entry point `pytest11`): a session emulator, a fresh namespace per test, scenario files as
tests, and the contract check.

Nothing here starts unless a test asks for a fixture, so installing the package costs unrelated suites nothing.
Every option has an ini and an environment twin, resolved in that order: command line, environment, ini
(`pytest_report_header` says which was used).
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
INI_VERSION = "stripe_api_version"
ENV_VERSION = "STRIPE_API_VERSION"
INI_SCENARIOS = "stripe_scenarios"
ENV_SCENARIOS = "STRIPE_SCENARIOS"
INI_LIVE = "stripe_live"
ENV_LIVE = "STRIPE_LIVE"
INI_PATTERNS = "stripe_scenario_files"
INI_WEBHOOK_HOSTS = "stripe_webhook_hosts"
ENV_WEBHOOK_HOSTS = "STRIPE_FC_WEBHOOK_HOSTS"
DEFAULT_PATTERNS = "*.scenario.yaml *.scenario.yml *.scenario.json"
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
    group.addoption("--stripe-webhook-hosts", dest="stripe_webhook_hosts", default=None,
                    help=f"comma-separated hosts besides loopback ones that webhook endpoints of the session emulator "
                         f"may point to, like `serve --webhook-hosts` (env {ENV_WEBHOOK_HOSTS}, ini "
                         f"{INI_WEBHOOK_HOSTS}).")
    parser.addini(INI_WEBHOOK_HOSTS, "hosts besides loopback ones webhook endpoints may point to (comma-separated).",
                  default="")
    group.addoption("--stripe-api-version", dest="stripe_api_version", default=None,
                    help=f"Stripe-Version for stripe_client and scenarios without one (env {ENV_VERSION}, ini "
                         f"{INI_VERSION}).")
    parser.addini(INI_VERSION, "Stripe-Version for stripe_client and scenarios without one.", default="")
    group.addoption("--stripe-scenarios", dest="stripe_scenarios", default=None,
                    help=f"also run these scenarios: `builtin` (the library) and/or paths, comma-separated (env "
                         f"{ENV_SCENARIOS}, ini {INI_SCENARIOS}).")
    parser.addini(INI_SCENARIOS, "scenarios to run as well: builtin and/or paths.", default="")
    group.addoption("--stripe-live", dest="stripe_live", action="store_true", default=None,
                    help=f"run scenarios that need no simulation against Stripe's real test mode with "
                         f"STRIPE_API_KEY; skip the others (env {ENV_LIVE}, ini {INI_LIVE}).")
    parser.addini(INI_LIVE, "run scenarios against Stripe's real test mode (true/false).", type="bool",
                  default=False)
    parser.addini("stripe_live_url", "the API base used by --stripe-live.", default="https://api.stripe.com")
    parser.addini(INI_PATTERNS, "file name patterns collected as scenarios.", type="args",
                  default=DEFAULT_PATTERNS.split())
    group.addoption(
        "--stripe-fidelity-json",
        dest="stripe_fidelity_json",
        default=None,
        help="write the contract check's fidelity statistics to this JSON file.",
    )


def contract_enabled(config: pytest.Config) -> bool:
    option = config.getoption("stripe_emulator_contract", default=None)
    return bool(option) if option is not None else bool(config.getini(INI_CONTRACT))


def setting(config: pytest.Config, dest: str, env: str, ini: str) -> tuple[str | None, str]:
    """An option's value and where it came from: command line, then environment, then ini."""
    option = config.getoption(dest, default=None)
    if option not in (None, ""):
        return str(option), "command line"
    if os.environ.get(env):
        return os.environ[env], f"env {env}"
    value = config.getini(ini)
    if value not in (None, "", []):
        return str(value), f"ini {ini}"
    return None, "default"


def live_enabled(config: pytest.Config) -> bool:
    option = config.getoption("stripe_live", default=None)
    if option is not None:
        return bool(option)
    if os.environ.get(ENV_LIVE):
        return os.environ[ENV_LIVE].lower() in ("1", "true", "yes")
    return bool(config.getini(INI_LIVE))


BUILTIN = "builtin/"
"""The node-id prefix of the built-in scenarios (`builtin/<file>::<name>`): unique beside a local copy of one, and
accepted back as a command-line argument."""


def pytest_configure(config: pytest.Config) -> None:
    from harness.scenario.stash import API_VERSION, LIVE

    config.addinivalue_line(
        "markers", "stripe_scenario(reference): after the test, play a scenario (`builtin:<name>` or a path) "
                   "against this test's relink_client")
    config.addinivalue_line(
        "markers", "stripe_api_version(version): this test's Stripe-Version (stripe_client, stripe_webhooks' "
                   "endpoint, stripe_scenario), e.g. a preview version for relink")
    config.stash[API_VERSION] = setting(config, "stripe_api_version", ENV_VERSION, INI_VERSION)[0]
    config.stash[LIVE] = live_enabled(config)
    scenarios, _ = setting(config, "stripe_scenarios", ENV_SCENARIOS, INI_SCENARIOS)
    if scenarios or any(arg.startswith(BUILTIN) for arg in config.args):
        # the scenario machinery only when scenarios are named: a process that runs none (an xdist controller,
        # a plain test run) does not import it, nor the emulator
        from harness.scenario.loader import library_dir

        # a built-in's node id (`builtin/<file>::<name>`, as a report prints it) given back as an argument runs it
        config.args[:] = [str(library_dir() / arg[len(BUILTIN):]) if arg.startswith(BUILTIN) else arg
                          for arg in config.args]
        for entry in (part.strip() for part in (scenarios or "").split(",") if part.strip()):
            target = str(library_dir()) if entry == "builtin" else entry
            if target not in config.args:
                config.args.append(target)
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
    marker = item.get_closest_marker("stripe_scenario")
    request = getattr(item, "_request", None)
    if marker is not None and request is not None:
        if not marker.args:
            pytest.fail("@pytest.mark.stripe_scenario needs a scenario: builtin:<name> or a path", pytrace=False)
        request.getfixturevalue("stripe_scenario")(marker.args[0])
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


def pytest_report_header(config: pytest.Config) -> list[str]:
    url, source = configured_url(config)
    version, version_source = setting(config, "stripe_api_version", ENV_VERSION, INI_VERSION)
    lines = [f"stripe-fc-emulator: {url or 'in-process server'} ({source})"]
    if version:
        lines.append(f"stripe-fc-emulator Stripe-Version: {version} ({version_source})")
    if live_enabled(config):
        lines.append("stripe-fc-emulator: live mode (scenarios that need simulation are skipped)")
    return lines


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    import fnmatch

    if any(fnmatch.fnmatch(file_path.name, pattern) for pattern in parent.config.getini(INI_PATTERNS)):
        from harness.scenario.collect import ScenarioFile
        from harness.scenario.loader import library_dir

        if file_path.parent == library_dir():  # a built-in: `builtin/<file>`, whoever's copy it is
            return ScenarioFile.from_parent(parent, path=file_path, nodeid=f"{BUILTIN}{file_path.name}")
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def stripe_emulator(pytestconfig: pytest.Config) -> Iterator[RunningEmulator]:
    """The emulator for this session: the configured URL, or a server started on port 0 and stopped at the end."""
    url, _ = configured_url(pytestconfig)
    if url:
        yield RunningEmulator(url.rstrip("/"), external=True)
        return
    from emulator.settings import Settings
    from harness.server import EmulatorServer

    recorder = pytestconfig.stash.get(RECORDER, None)
    hosts, _ = setting(pytestconfig, "stripe_webhook_hosts", ENV_WEBHOOK_HOSTS, INI_WEBHOOK_HOSTS)
    settings = Settings(port=0, webhook_hosts=tuple(h.strip() for h in (hosts or "").split(",") if h.strip()))
    with EmulatorServer(settings, wrap=None if recorder is None else recorder.wrap) as server:
        yield RunningEmulator(server.url, external=False)


@pytest.fixture(scope="session")
def stripe_contract(pytestconfig: pytest.Config) -> ContractRecorder | None:
    """The contract recorder when the check is on (wrap your own emulator apps with `.wrap(app)`), else None."""
    return pytestconfig.stash.get(RECORDER, None)


@pytest.fixture
def stripe_api_key(request: pytest.FixtureRequest, stripe_emulator: RunningEmulator) -> Iterator[str]:
    """A test key owning a namespace of its own, derived from the test id, reset before the test and freed after it
    (its objects, events and request log are dropped: a long suite does not keep one world per test)."""
    digest = hashlib.sha256(request.node.nodeid.encode("utf-8")).hexdigest()[:24]
    key = f"sk_test_{digest}"
    from harness.control import ControlClient

    control = ControlClient(stripe_emulator.url, key)
    try:
        control.reset()
        yield key
        control.reset()
    finally:
        control.close()


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
def stripe_api_version(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> str | None:
    """This test's Stripe-Version: `@pytest.mark.stripe_api_version("2026-09-30.preview")` on the test (or its class
    or module), else the configured one (`--stripe-api-version` and its twins), else None (the SDK's own pin)."""
    from harness.scenario.stash import API_VERSION

    marker = request.node.get_closest_marker("stripe_api_version")
    if marker is None:
        configured: str | None = pytestconfig.stash.get(API_VERSION, None)
        return configured
    if len(marker.args) != 1 or not isinstance(marker.args[0], str) or not marker.args[0].strip():
        pytest.fail('@pytest.mark.stripe_api_version needs one version, e.g. "2026-09-30.preview"', pytrace=False)
    from emulator.core.errors import StripeError
    from emulator.core.versions import parse

    version = marker.args[0].strip()
    problem = None
    try:
        parse(version)
    except StripeError as exc:
        problem = exc.message
    if problem is not None:
        pytest.fail(f"@pytest.mark.stripe_api_version({version!r}): {problem}", pytrace=False)
    return version


@pytest.fixture
def stripe_client(stripe_api_key: str, stripe_emulator: RunningEmulator,
                  stripe_api_version: str | None) -> stripe.StripeClient:
    """A `stripe.StripeClient` on this test's namespace (no network retries, this test's API version)."""
    from harness.sdk import client_for

    return client_for(stripe_api_key, stripe_emulator.url,
                      **({"stripe_version": stripe_api_version} if stripe_api_version else {}))


@pytest.fixture
def stripe_async_client(stripe_api_key: str, stripe_emulator: RunningEmulator,
                        stripe_api_version: str | None) -> stripe.StripeClient:
    """A `stripe.StripeClient` for the SDK's `*_async` methods (`await client.v1.customers.create_async(...)`) on
    this test's namespace: httpx underneath, no network retries, this test's API version. Use it from an `async def`
    test (with your async test runner) or your async app."""
    from harness.sdk import client_for

    return client_for(stripe_api_key, stripe_emulator.url,
                      **({"stripe_version": stripe_api_version} if stripe_api_version else {}))


@pytest.fixture
def relink_client() -> Any:
    """The integrator's relink code as scenarios drive it. Override this fixture in your conftest with an object
    implementing `harness.client` methods; the default is `harness.reference_client.ReferenceClient`."""
    from harness.reference_client import ReferenceClient

    return ReferenceClient()


@pytest.fixture
def stripe_scenario(pytestconfig: pytest.Config, stripe_emulator: RunningEmulator, stripe_api_key: str,
                    relink_client: Any, request: pytest.FixtureRequest, stripe_api_version: str | None) -> Any:
    """Play a scenario in this test's namespace against `relink_client`: `stripe_scenario("builtin:<name>")`."""
    from harness.scenario.collect import ScenarioPlayer

    return ScenarioPlayer(pytestconfig, stripe_emulator.url, stripe_api_key, relink_client,
                          Path(str(request.node.path)).parent, stripe_api_version)


@pytest.fixture
def stripe_webhooks(stripe_client: stripe.StripeClient, relink_client: Any, stripe_emulator: RunningEmulator,
                    stripe_api_key: str, stripe_api_version: str | None) -> Iterator[Any]:
    """A webhook endpoint of this test's namespace (`we_…`, pinned to this test's API version when it has one)
    delivering to a local receiver, which hands each delivery to `relink_client.handle_webhook` when it has one.
    `relink_client.configure(...)` is called first, with the endpoint's secret, so the first delivery finds it
    ready. `.endpoint` (the id), `.secret`, `.sink.outcomes()`."""
    from emulator.core.versions import NEWEST_GA
    from harness.client import EmulatorContext
    from harness.portal import Portal
    from harness.webhooks import WebhookSink

    portal = Portal()  # an adapter's `async def` methods run on one loop of their own
    sink = WebhookSink(portal.synchronous(getattr(relink_client, "handle_webhook", None)))
    try:
        params: dict[str, Any] = {"url": sink.url, "enabled_events": ["*"]}
        if stripe_api_version:
            params["api_version"] = stripe_api_version
        endpoint = stripe_client.v1.webhook_endpoints.create(params=params)
        configure = getattr(relink_client, "configure", None)
        if callable(configure):
            portal.resolve(configure(EmulatorContext(stripe_emulator.url, stripe_api_key,
                                                     stripe_api_version or NEWEST_GA, endpoint.secret)))
        sink.start()  # deliveries are accepted from here on: the adapter is ready for them
        yield _Webhooks(endpoint.id, endpoint.secret, sink)
    finally:
        sink.stop()
        portal.close()


@dataclass(frozen=True)
class _Webhooks:
    endpoint: str
    secret: str
    sink: Any
