from __future__ import annotations

import sys

import pytest

from harness.pytest_plugin import RunningEmulator

CONSUMER_TEST = """
def test_uses_the_emulator(stripe_client, stripe_api_key, stripe_emulator):
    assert stripe_api_key.startswith("sk_test_")
    customer = stripe_client.v1.customers.create(params={"email": "jenny@example.com"})
    assert stripe_client.v1.customers.retrieve(customer.id).email == "jenny@example.com"
    assert stripe_emulator.url.startswith("http://127.0.0.1:")

def test_namespace_is_fresh(stripe_client):
    assert stripe_client.v1.customers.list().data == []
    stripe_client.v1.customers.create(params={"name": "left behind"})
"""


def test_plugin_fixtures_start_a_server_and_give_a_working_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(CONSUMER_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["stripe-fc-emulator: in-process server (started per session*"])


def test_plugin_uses_an_external_url_and_resets_the_namespace(
    pytester: pytest.Pytester, stripe_emulator: RunningEmulator
) -> None:
    pytester.makepyfile(CONSUMER_TEST)
    # run twice against the same external server: the second run must not see the first run's customer
    for _ in range(2):
        result = pytester.runpytest_subprocess(f"--stripe-emulator-url={stripe_emulator.url}")
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines([f"stripe-fc-emulator: {stripe_emulator.url} (command line)"])


def test_plugin_url_from_env_and_ini(
    pytester: pytest.Pytester, stripe_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(CONSUMER_TEST)
    pytester.makeini(f"[pytest]\nstripe_emulator_url = {stripe_emulator.url}\n")
    ini_run = pytester.runpytest_subprocess()
    ini_run.assert_outcomes(passed=2)
    ini_run.stdout.fnmatch_lines(["*(ini stripe_emulator_url)"])
    monkeypatch.setenv("STRIPE_EMULATOR_URL", stripe_emulator.url + "/")
    env_run = pytester.runpytest_subprocess()
    env_run.stdout.fnmatch_lines(["*(env STRIPE_EMULATOR_URL)"])
    env_run.assert_outcomes(passed=2)


def test_plugin_starts_nothing_for_unrelated_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import threading
        def test_plain():
            assert not any(t.name == "stripe-fc-emulator" for t in threading.enumerate())
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_plugin_imports_neither_the_emulator_nor_the_scenario_machinery_for_unrelated_tests(
        pytester: pytest.Pytester) -> None:
    # what every pytest process pays (an xdist controller, each worker) before its first test that needs them
    pytester.makepyfile(
        """
        import sys
        def test_plain():
            heavy = ("emulator.http.app", "harness.scenario.collect", "harness.scenario.loader", "yaml", "faker")
            assert [name for name in heavy if name in sys.modules] == []
        """
    )
    pytester.runpytest_subprocess("-p", "no:faker").assert_outcomes(passed=1)


def test_plugin_works_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(CONSUMER_TEST)
    pytester.runpytest_subprocess("-n", "2").assert_outcomes(passed=2)


WEBHOOK_HOSTS_TEST = """
import pytest, stripe

def test_endpoint(stripe_client):
    made = stripe_client.v1.webhook_endpoints.create(params={"url": "https://hooks.shop.test/stripe",
                                                             "enabled_events": ["*"]})
    assert made.url == "https://hooks.shop.test/stripe"

def test_other_host_refused(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.webhook_endpoints.create(params={"url": "https://elsewhere.test/", "enabled_events": ["*"]})
    assert (refused.value.code, refused.value.param) == ("url_invalid", "url")
"""


@pytest.mark.parametrize("how", ["option", "ini", "env"])
def test_plugin_webhook_hosts_option_ini_and_env_twins(pytester: pytest.Pytester, how: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makepyfile(WEBHOOK_HOSTS_TEST)
    args: list[str] = []
    if how == "option":
        args = ["--stripe-webhook-hosts", ".shop.test"]
    elif how == "ini":
        pytester.makeini("[pytest]\nstripe_webhook_hosts = .shop.test\n")
    else:
        monkeypatch.setenv("STRIPE_FC_WEBHOOK_HOSTS", ".shop.test")
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=2)


def test_plugin_session_emulator_refuses_other_webhook_hosts_by_default(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(WEBHOOK_HOSTS_TEST)
    pytester.runpytest_subprocess().assert_outcomes(passed=1, failed=1)


FREED_TEST = """
import httpx

LEFT = {}

def test_leaves_a_customer_behind(stripe_client, stripe_api_key):
    stripe_client.v1.customers.create(params={"name": "left behind"})
    LEFT["key"] = stripe_api_key

def test_the_namespace_of_a_finished_test_is_gone(stripe_emulator):
    found = httpx.get(stripe_emulator.url + "/v1/customers", auth=(LEFT["key"], "")).json()
    assert found["data"] == []
"""


def test_plugin_frees_a_tests_namespace_when_it_ends(pytester: pytest.Pytester,
                                                     stripe_emulator: RunningEmulator) -> None:
    pytester.makepyfile(FREED_TEST)
    result = pytester.runpytest_subprocess(f"--stripe-emulator-url={stripe_emulator.url}", "-p", "no:randomly")
    result.assert_outcomes(passed=2)


WEBHOOK_TESTS = '''
import json

import sys

import pytest
from harness.client import WebhookOutcome


class Strict:
    """A handler that cannot work before configure() (as a real adapter that needs its secret)."""

    def __init__(self):
        self.context = None
        self.seen = []

    def configure(self, context):
        self.context = context

    def handle_webhook(self, payload, signature):
        if self.context is None:
            raise RuntimeError("handle_webhook before configure")
        self.seen.append(json.loads(payload)["type"])
        return WebhookOutcome(200, "ignored")


@pytest.fixture
def relink_client():
    return Strict()


def test_the_adapter_is_configured_before_the_first_delivery(stripe_webhooks, stripe_client, stripe_control,
                                                             relink_client):
    assert stripe_webhooks.endpoint.startswith("we_")
    assert relink_client.context.webhook_secret == stripe_webhooks.secret
    assert relink_client.context.api_key.startswith("sk_test_")
    stripe_client.v1.customers.create(params={"name": "first"})
    flushed = stripe_control.flush_webhooks()
    assert flushed["succeeded"] == 1 and flushed["retrying"] == 0 and flushed["last_failure"] is None, flushed
    assert relink_client.seen == ["customer.created"]
    assert [o.status for o in stripe_webhooks.sink.outcomes()] == [200]


@pytest.mark.stripe_api_version("2026-09-30.preview")
def test_the_marker_sets_the_clients_and_the_endpoints_version(stripe_webhooks, stripe_client, stripe_control,
                                                               relink_client):
    stripe_client.v1.customers.create(params={"name": "preview"})
    assert stripe_control.requests(limit=1)[0].stripe_version == "2026-09-30.preview"
    endpoint = stripe_client.v1.webhook_endpoints.retrieve(stripe_webhooks.endpoint)
    assert endpoint.api_version == "2026-09-30.preview"
    assert relink_client.context.api_version == "2026-09-30.preview"


@pytest.mark.stripe_api_version("not-a-version")
def test_a_bad_marker_says_why(stripe_client):
    pass
'''


def test_plugin_stripe_webhooks_configures_the_adapter_and_the_marker_chooses_the_version(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(WEBHOOK_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rfE")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.stripe_api_version('not-a-version'): Invalid Stripe API version*"])


FLUSH_TEST = '''
from harness.client import WebhookOutcome


class Failing:
    def configure(self, context):
        pass

    def handle_webhook(self, payload, signature):
        return WebhookOutcome(500, "rejected")


import sys

import pytest


@pytest.fixture
def relink_client():
    return Failing()


def test_flush_says_a_delivery_failed_and_is_retrying(stripe_webhooks, stripe_client, stripe_control):
    stripe_control.freeze()
    stripe_client.v1.customers.create(params={"name": "unlucky"})
    first = stripe_control.flush_webhooks()
    second = stripe_control.flush_webhooks()  # nothing due: the retry comes later by Stripe's schedule
    for flushed in (first, second):
        assert flushed["pending"] == 1 and flushed["retrying"] == 1 and flushed["succeeded"] == 0, flushed
        failure = flushed["last_failure"]
        assert failure["event_type"] == "customer.created" and failure["status_code"] == 500, failure
        assert failure["next_retry_at"] > stripe_control.clock().now
    assert first["attempted"] + second["attempted"] <= 1
    assert second["attempted"] == 0 and second["attempts_failed"] == 0
'''


def test_plugin_flush_counts_say_what_happened_to_a_failed_delivery(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(FLUSH_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize("name", ["harness", "emulator"])
def test_plugin_says_which_package_of_the_project_shadows_its_own(pytester: pytest.Pytester, name: str) -> None:
    """`emulator` and `harness` are generic names: a project with its own gets one line saying so, not
    "No module named 'harness.pytest_plugin'"."""
    pytester.mkpydir(name)
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.run(sys.executable, "-m", "pytest", "-p", "no:cacheprovider")  # the cwd first on sys.path
    output = result.stdout.str() + result.stderr.str()
    assert result.ret != 0
    assert f"stripe-fc-emulator: the import name {name!r} is taken by {pytester.path / name}" in output, output
    assert "rename yours" in output and "No module named" not in output


def test_plugin_runs_from_its_own_entry_point_module() -> None:
    from importlib.metadata import entry_points

    (plugin,) = [e for e in entry_points(group="pytest11") if e.name == "stripe_fc_emulator"]
    assert plugin.value == "stripe_fc_emulator.pytest_plugin"
    module = plugin.load()
    import harness.pytest_plugin as real

    for hook in ("pytest_configure", "pytest_collect_file", "stripe_client", "stripe_webhooks", "stripe_api_version"):
        assert getattr(module, hook) is getattr(real, hook)
