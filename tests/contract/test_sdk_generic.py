"""Issue 21's walk over the generic surface (`serve --surface all`): every service method of the installed GA SDK
that the emulator answers generically, called with its required parameters on objects made first. Each answer is a
2xx whose object passes the contract check (Stripe's schemas where the extraction has them, the SDK's model
class otherwise), or `resource_missing` for an object nobody can make here — one of a type Stripe has no create
method for (a balance transaction, a country spec), or an id that names nothing."""

from __future__ import annotations

import json

import pytest
import stripe

from emulator.resources import generic
from harness.contract.recorder import ContractRecorder
from tests.conftest import checked
from tests.contract import sdk_generic_probe

pytestmark = pytest.mark.sdk


def test_every_generic_method_answers_2xx_or_resource_missing(stripe_contract: ContractRecorder | None) -> None:
    made_from = json.loads(generic.DATA.read_text(encoding="utf-8"))["sdk"]
    if stripe.VERSION.split(".")[0] != made_from.split(".")[0]:
        pytest.skip(f"the generic surface's data comes from stripe {made_from}; stripe {stripe.VERSION} is installed "
                    "(its services differ: regenerate the data to walk them)")
    outcomes = sdk_generic_probe.walk(wrap=lambda app: checked(app, stripe_contract))
    if not outcomes:
        pytest.skip("the installed stripe SDK names none of the generic endpoints (an SDK older than the data)")
    print("\n" + sdk_generic_probe.summary(outcomes))
    unexpected = [line for line in sdk_generic_probe.not_2xx(outcomes)
                  if " resource_missing " not in line and not line.startswith("not served")]
    assert unexpected == [], "\n".join(unexpected)
    unserved = {(e.method, e.template) for e in generic.catalogue().values() if e.object is None}
    assert {(o.method, o.template) for o in outcomes if sdk_generic_probe._kind(o).startswith("not served")} \
        <= unserved  # only the endpoints whose object the SDK does not name
    succeeded = sum(o.status < 300 for o in outcomes)
    assert succeeded >= 0.8 * len(outcomes), sdk_generic_probe.summary(outcomes)
