"""Breaking the example consumer's relink code on purpose makes the matching built-in scenarios fail, readably."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parent.parent.parent / "examples" / "consumer"


def run_broken(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, original: str, broken: str,
               selection: str) -> pytest.RunResult:
    for entry in ("relink_shop", "tests", "conftest.py", "pyproject.toml"):
        source = EXAMPLE / entry
        target = pytester.path / entry
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copy(source, target)
    app = pytester.path / "relink_shop" / "app.py"
    text = app.read_text()
    assert original in text, "the example changed: update this test's patch"
    app.write_text(text.replace(original, broken))
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", selection)


def test_example_intact_passes_the_selected_scenarios(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run_broken(pytester, monkeypatch, "is_new = account not in", "is_new = account not in",
                        "any-account-new or closed-account or signature")
    result.assert_outcomes(passed=3)


def test_example_inverted_new_account_check_fails(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_broken(pytester, monkeypatch, "is_new = account not in", "is_new = account in",
                        "any-account-new or any-account-existing")
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    assert "scenario 'any-account-new'" in output and "at $.is_new: expected true, got false" in output
    assert "scenario 'any-account-existing'" in output and "at $.is_new: expected false, got true" in output


def test_example_prompting_for_action_none_fails(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_broken(pytester, monkeypatch, 'if inactive["action"] == "relink_required":', "if True:",
                        "closed-account")
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "scenario 'closed-account-no-prompt'" in output
    assert 'expected "no_action", got "prompt_relink"' in output


def test_example_not_verifying_signatures_fails(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run_broken(
        pytester, monkeypatch,
        """            event = stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature", ""),
                                                   store.webhook_secret)""",
        """            event = stripe.Event.construct_from(json.loads(payload), "")""",
        "signature",
    )
    result.assert_outcomes(failed=1)
    output = result.stdout.str()
    assert "scenario 'webhook-signature-verified'" in output and "failed at step 5 (call: handle_forged_webhook)" \
        not in output
    assert "`forged` does not match" in output and "at $.status" in output


def test_example_charging_the_first_payment_method_fails(pytester: pytest.Pytester,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # the bug issue 17 names: after an any-account relink to a new account, the old (blocked) method is still debited
    result = run_broken(pytester, monkeypatch, "store.methods[done.customer] = done.payment_method",
                        "store.methods.setdefault(done.customer, done.payment_method)", "debit-")
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    assert "scenario 'debit-return-relink-new-account'" in output and "`debit` does not match" in output
