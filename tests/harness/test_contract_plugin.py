"""The contract check as users of the plugin see it."""

from __future__ import annotations

import subprocess
import sys

import pytest

LEAKY = """
import pytest
from emulator.resources import customers

@pytest.fixture
def leaky(monkeypatch):
    original = customers.Customer.render

    def render(self, version=None):
        return {**original(self, version), "colour": "red"}

    monkeypatch.setattr(customers.Customer, "render", render)

def test_innocent(stripe_client):
    stripe_client.v1.customers.list()

def test_leaks_a_field(leaky, stripe_client):
    stripe_client.v1.customers.create(params={"name": "x"})
"""


def test_contract_plugin_violation_fails_the_test_that_caused_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(LEAKY)
    result = pytester.runpytest_subprocess("--stripe-emulator-contract")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*test_leaks_a_field*",
        "*break Stripe's contract*",
        "*[[]sdk[]] POST /v1/customers (Stripe-Version 2026-10-28.endive) customer at $.colour: not a field*",
        '*value:    "red"',
    ])
    result.stdout.fnmatch_lines(["*stripe-fc-emulator fidelity: * 1 violations*"])


def test_contract_plugin_is_off_unless_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(LEAKY)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2)
    assert "stripe-fc-emulator fidelity" not in result.stdout.str()


def test_contract_plugin_ini_switch_and_xdist_aggregation(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nstripe_emulator_contract = true\n")
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_creates(stripe_client, n):
            stripe_client.v1.customers.create(params={"name": str(n)})
        """
    )
    result = pytester.runpytest_subprocess("-n", "2")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["stripe-fc-emulator fidelity: 4 responses, 4 objects checked*: 0 violations",
                                 "  customer [[]ga[]]: 4 checked (4 SDK), 0 violations*"])


def test_contract_fidelity_command_prints_the_full_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_one(stripe_client):
            stripe_client.v1.customers.create(params={"name": "x"})
        """
    )
    result = subprocess.run([sys.executable, "-m", "harness.fidelity", str(pytester.path)], cwd=pytester.path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    summary = [line for line in lines if line.startswith("stripe-fc-emulator fidelity:")]
    assert summary and "1 responses, 1 objects" in summary[-1] and "0 violations" in summary[-1]
    customer = [line for line in lines if line.startswith("  customer [ga]")][-1]
    assert "never non-null:" in customer and "…" not in customer  # the full report lists every field
