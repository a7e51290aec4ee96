"""The scenario side of the plugin, as users meet it (pytester runs in a subprocess)."""

from __future__ import annotations

from typing import Any

import pytest

GOOD = """
name: my-link
description: a customer links an account
source: ["§3"]
given:
  customers: {jenny: {name: Jenny}}
  linked: {checking: {customer: jenny, institution: Test (Non-OAuth), accounts: [Sample Checking Account]}}
steps:
  - expect:
      that: /v1/financial_connections/accounts/${checking:id}
      matches: {status: active, id: {$prefix: fca_}}
"""

FAILING = """
name: wrong-expectation
description: expects the wrong status
source: ["§2"]
given:
  customers: {jenny: {name: Jenny}}
  linked: {checking: {customer: jenny, institution: Test (Non-OAuth), accounts: [Sample Checking Account]}}
steps:
  - expect:
      that: /v1/financial_connections/accounts/${checking:id}
      matches: {status: inactive}
"""


def test_plugin_collects_scenario_files(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenario.yaml", my_link=GOOD)
    result = pytester.runpytest_subprocess("-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*my_link.scenario.yaml::my-link PASSED*"])


def test_plugin_failure_reads_like_a_report(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenario.yaml", wrong=FAILING)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "scenario 'wrong-expectation' (wrong.scenario.yaml) failed at step 1 (expect)" in output
    assert 'at $.status: expected "inactive", got "active"' in output
    assert '-  "status": "inactive"' in output and '+  "status": "active"' in output
    assert "last requests (newest first):" in output and "Traceback" not in output


def test_plugin_malformed_scenario_names_the_line(pytester: pytest.Pytester) -> None:
    pytester.makefile(".scenario.yaml", broken="name: broken\nsteps:\n  - simulate: teleport\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*broken.scenario.yaml:3: steps/0/simulate: 'teleport' is not one of*"])
    assert "Traceback" not in result.stdout.str()


def test_plugin_builtin_library_with_one_option_and_marker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.stripe_scenario("builtin:payouts-token")
        def test_payouts():
            pass

        def test_fixture(stripe_scenario):
            stripe_scenario("builtin:cancelled-flow")
        """
    )
    marker_run = pytester.runpytest_subprocess()
    marker_run.assert_outcomes(passed=2)
    library = pytester.runpytest_subprocess("--stripe-scenarios=builtin", "-n", "2", "-q")
    from harness.scenario.loader import library_paths

    library.assert_outcomes(passed=len(library_paths()) + 2)


def test_plugin_missing_adapter_method_skips_with_the_reason(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        class OnlyWebhooks:
            def configure(self, context):
                self.context = context

        @pytest.fixture
        def relink_client():
            return OnlyWebhooks()
        """
    )
    result = pytester.runpytest_subprocess("--stripe-scenarios=builtin", "-rs", "-k", "payouts")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*calls create_payout_token(), which the relink client OnlyWebhooks does not*"])


def test_plugin_live_mode_skips_simulation_and_option_precedence(pytester: pytest.Pytester,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    pytester.makeini("[pytest]\nstripe_api_version = 2026-09-30.preview\n")
    monkeypatch.setenv("STRIPE_API_VERSION", "2026-10-28.endive")
    pytester.makepyfile("def test_version(stripe_client):\n    stripe_client.v1.customers.list()\n")
    header = pytester.runpytest_subprocess("--stripe-api-version=2026-03-25.preview")
    header.stdout.fnmatch_lines(["*Stripe-Version: 2026-03-25.preview (command line)*"])
    from_env = pytester.runpytest_subprocess()
    from_env.stdout.fnmatch_lines(["*Stripe-Version: 2026-10-28.endive (env STRIPE_API_VERSION)*"])
    monkeypatch.delenv("STRIPE_API_VERSION")
    from_ini = pytester.runpytest_subprocess()
    from_ini.stdout.fnmatch_lines(["*Stripe-Version: 2026-09-30.preview (ini stripe_api_version)*"])
    live = pytester.runpytest_subprocess("--stripe-live", "--stripe-scenarios=builtin", "-rs", "-k",
                                         "closed or payments")
    live.stdout.fnmatch_lines(["*needs the emulator (simulation*skipped in live mode*",
                               "*live mode needs STRIPE_API_KEY*"])


def test_plugin_failure_in_the_adapter_shows_its_frame_and_the_report_once(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(my_adapter="""
        from harness.reference_client import ReferenceClient


        def look_up_customer(session):
            raise KeyError(f"no customer recorded for {session}")


        class Broken(ReferenceClient):
            def finish_relink(self, session):
                return look_up_customer(session)
        """)
    pytester.makeconftest("""
        import pytest
        from my_adapter import Broken

        @pytest.fixture
        def relink_client():
            return Broken()
        """)
    result = pytester.runpytest_subprocess("--stripe-scenarios=builtin", "-k", "any-account-new", "-p",
                                           "no:cacheprovider")
    result.assert_outcomes(failed=1)
    # The FAILURES section is the report; the short summary after it repeats the message in full wherever pytest
    # thinks it runs on CI (the CI or BUILD_NUMBER variable), so only the section is counted.
    output = result.stdout.str().split("short test summary info")[0]
    assert output.count("Broken.finish_relink() raised KeyError: 'no customer recorded for fcsess_") == 1, output
    assert "my_adapter.py:5 in look_up_customer" in output and "my_adapter.py:10 in finish_relink" in output
    assert 'raise KeyError(f"no customer recorded for {session}")' in output
    assert output.count("last requests (newest first):") == 1
    assert "During handling of the above exception" not in output and "All traceback entries are hidden" not in output
    result.stdout.fnmatch_lines(["FAILED builtin/any-account-new.scenario.yaml::any-account-new*"])


def test_plugin_builtin_node_ids_are_unique_and_run_when_given_back(pytester: pytest.Pytester) -> None:
    from harness.scenario.loader import library_dir

    local = pytester.path / "closed-account-no-prompt.scenario.yaml"
    local.write_text((library_dir() / "closed-account-no-prompt.scenario.yaml").read_text())
    listed = pytester.runpytest_subprocess("--stripe-scenarios=builtin", "--co", "-q", "-p", "no:cacheprovider")
    ids = [line for line in listed.stdout.lines if "closed-account-no-prompt" in line]
    assert sorted(ids) == ["builtin/closed-account-no-prompt.scenario.yaml::closed-account-no-prompt",
                           "closed-account-no-prompt.scenario.yaml::closed-account-no-prompt"], ids
    rerun = pytester.runpytest_subprocess("builtin/closed-account-no-prompt.scenario.yaml::closed-account-no-prompt",
                                          "-v", "-p", "no:cacheprovider")
    rerun.assert_outcomes(passed=1)
    rerun.stdout.fnmatch_lines(["builtin/closed-account-no-prompt.scenario.yaml::closed-account-no-prompt PASSED*"])


class _AnswersOnlyWhatItHandles:
    """A handler that answers 500 to event types it does not act on: Stripe retries those for days."""

    @staticmethod
    def make() -> Any:
        from harness.client import WebhookOutcome
        from harness.reference_client import ReferenceClient

        class Picky(ReferenceClient):
            def handle_webhook(self, payload: str, signature: str) -> WebhookOutcome:
                outcome = super().handle_webhook(payload, signature)
                if outcome.action == "ignored":
                    return WebhookOutcome(500, "ignored")
                return outcome

        return Picky()


UNHANDLED = """
name: unhandled-events
description: the endpoint also gets events the integrator does not act on
source: ["§2"]
given:
  customers: {jenny: {name: Jenny}}
  webhook_endpoint: {ACK events: ["financial_connections.account.*"]}
  linked: {checking: {customer: jenny, institution: Test (Non-OAuth), accounts: [Sample Checking Account]}}
steps:
  - simulate: deactivate
    args: {account: "${checking:id}", cause: account_closed}
  - call: handle_webhooks
    save: handled
"""


def test_every_delivery_must_be_acknowledged_with_a_2xx_unless_the_scenario_allows_failures(
        stripe_emulator: Any, tmp_path: Any) -> None:
    from harness.reference_client import ReferenceClient
    from harness.scenario.loader import load
    from harness.scenario.runner import ScenarioFailure, run_scenario

    strict, lenient = tmp_path / "strict.scenario.yaml", tmp_path / "lenient.scenario.yaml"
    strict.write_text(UNHANDLED.replace("ACK ", ""))
    lenient.write_text(UNHANDLED.replace("ACK ", "acknowledge: any, "))
    run_scenario(load(strict), base_url=stripe_emulator.url, api_key="sk_test_ack_reference",
                 client=ReferenceClient())  # answers 2xx to every event
    with pytest.raises(ScenarioFailure) as failed:
        run_scenario(load(strict), base_url=stripe_emulator.url, api_key="sk_test_ack_all",
                     client=_AnswersOnlyWhatItHandles.make())
    report = str(failed.value)
    assert "failed at the end (every delivery acknowledged)" in report
    assert "were not answered with a 2xx" in report and "Picky.handle_webhook" in report
    assert '"event_type": "financial_connections.account.created"' in report and '"status": 500' in report
    run_scenario(load(lenient), base_url=stripe_emulator.url, api_key="sk_test_ack_any",
                 client=_AnswersOnlyWhatItHandles.make())


def test_sibling_reactivation_catches_an_integration_that_believes_only_the_relinked_account_came_back(
        stripe_emulator: Any) -> None:
    from harness.client import RelinkStart
    from harness.reference_client import ReferenceClient
    from harness.scenario.loader import builtin
    from harness.scenario.runner import ScenarioFailure, run_scenario

    class RemembersPerAccount(ReferenceClient):
        """Keeps its own 'needs relink' flag per account, cleared only for the account it relinks."""

        def __init__(self) -> None:
            super().__init__()
            self.flagged: set[str] = set()

        def needs_relink(self, account: str) -> bool:
            if super().needs_relink(account):
                self.flagged.add(account)
            return account in self.flagged

        def start_relink(self, account: str, *, any_account: bool = False,
                         permissions: list[str] | None = None) -> RelinkStart:
            self.flagged.discard(account)
            return super().start_relink(account, any_account=any_account, permissions=permissions)

    run_scenario(builtin("sibling-reactivation"), base_url=stripe_emulator.url, api_key="sk_test_sibling_ref",
                 client=ReferenceClient())
    with pytest.raises(ScenarioFailure) as failed:
        run_scenario(builtin("sibling-reactivation"), base_url=stripe_emulator.url, api_key="sk_test_sibling_bad",
                     client=RemembersPerAccount())
    assert "`sibling_after` does not match" in str(failed.value) and "expected false, got true" in str(failed.value)
