"""stripe-python's own generated examples (`stripe_python_examples/`, see its README) for the families issue 21
names, run through the real SDK against the emulator, each placeholder id replaced by an object made for it
(`conftest.py`): 86 of the 88 pass with stripe 16 (87 with an SDK that pins a version before 2026-09-30.endive). The
others are refused for what a real account refuses them for — each listed below with the error it gets, so a change
either way fails here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import stripe

from emulator.core.versions import Feature, parse
from tests.contract.conftest import ExampleWorld

pytestmark = pytest.mark.sdk

EXAMPLES: list[dict[str, Any]] = json.loads(
    (Path(__file__).resolve().parent / "stripe_python_examples" / "examples.json").read_text())["examples"]
REFUSED = {
    # what Stripe refuses too: verify_microdeposits needs amounts or a descriptor code, and `payment_method_types`
    # is refused from 2026-09-30.endive (stripe 16's pinned version; an older SDK pins one that takes it)
    "setup_intents_verify_microdeposits_post": "parameter_missing",
    **({"setup_intents_post": "payment_method_types_no_longer_supported"}
       if Feature.PAYMENT_METHOD_TYPES_REMOVED.gate.enabled(parse(stripe.api_version)) else {}),
}
"""The examples that do not pass with the installed SDK, and the error code each gets (None: no code, a plain
invalid request)."""


def test_the_examples_are_the_88_of_the_issues_families() -> None:
    assert len(EXAMPLES) == 88 and len({e["name"] for e in EXAMPLES}) == 88
    assert set(REFUSED) <= {e["name"] for e in EXAMPLES} and len(REFUSED) in (1, 2)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["name"] for e in EXAMPLES])
def test_a_stripe_python_example_runs(example: dict[str, Any], example_world: ExampleWorld) -> None:
    if example["name"] in REFUSED:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            example_world.call(example)
        assert refused.value.code == REFUSED[example["name"]], refused.value.user_message
        return
    answer = example_world.call(example)
    assert isinstance(answer, stripe.StripeObject)
    assert answer.last_response is not None
    body: dict[str, Any] = answer.last_response.data  # the answer's JSON as the SDK received it
    assert body.get("object"), body
    if body["object"] not in ("list", "search_result", "cash_balance", "funding_instructions"):  # no id by Stripe's
        assert isinstance(body.get("id"), str), body
    if example["method"] in ("list", "search"):
        assert body.get("object") in ("list", "search_result")
    if example["method"] == "update" and "metadata" in (example["params"] or {}):
        assert body["metadata"] == example["params"]["metadata"]  # the change is what comes back
