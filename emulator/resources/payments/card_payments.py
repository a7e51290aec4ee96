"""Card payments (generic surface: `cards.py`): a PaymentIntent confirmed with a card is charged at once —
succeeded, or declined as Stripe's declining test numbers are — or, with `capture_method=manual`, held until
`POST /v1/payment_intents/:id/capture` (whole or in part) or a cancel releases it."""

from __future__ import annotations

import copy
from typing import Any

from emulator.core.backend import Backend, Call
from emulator.core.errors import InvalidRequestError
from emulator.core.spec import Boolean, Field, Integer, Metadata, String, apply_metadata, params
from emulator.resources.payments import cards, charges, payment_intents, payment_methods
from emulator.resources.payments.charges import Charge
from emulator.resources.payments.payment_intents import PaymentIntent
from emulator.resources.payments.payment_methods import PaymentMethod


def charge_card(backend: Backend, call: Call, pi: PaymentIntent, pm: PaymentMethod) -> None:
    """A card payment (generic surface): charged at once, succeeded, or declined as Stripe's test number says —
    a failed charge, the intent back in `requires_payment_method`, and the 402 `card_error` raised."""
    assert pm.card is not None
    charge = Charge(
        id=backend.ids.new(charges.PREFIX), created=backend.clock.timestamp(), amount=pi.amount, currency=pi.currency,
        customer=pi.customer, description=pi.description, payment_intent=pi.id, payment_method=pm.id,
        billing_details=copy.deepcopy(pm.billing_details), bank={}, statement_descriptor=pi.statement_descriptor,
        metadata=dict(pi.metadata), card=cards.charge_details(pm.card, pi.amount),
    )
    charges.table(backend).put(charge.id, charge)
    pi.latest_charge = charge.id
    pi.next_action = None
    if pm.decline is not None:
        code, decline_code, message = pm.decline
        charge.status, charge.failure_code, charge.failure_message = "failed", code, message
        charge.decline_code = decline_code
        charges.emit_charge(backend, call, "charge.failed", charge)
        error = cards.CardError(message, code=code)
        details: dict[str, Any] = {"charge": charge.id, "code": code}
        if decline_code is not None:
            details["decline_code"] = decline_code
            error.objects["decline_code"] = decline_code
        details.update({"message": message, "payment_method_type": "card", "type": error.type})
        payment_intents.fail(backend, call, pi, pm, details)
        error.objects["charge"] = charge.id
        error.objects["payment_method"] = payment_methods.render(backend, pm, call.version)
        error.objects[payment_intents.OBJECT] = payment_intents.render(pi, call.version)
        raise error
    charge.status = "succeeded"
    pi.last_payment_error = None
    if pi.customer is not None and payment_intents.future_usage(pi) is not None:
        payment_methods.attach_to(backend, call, pm, pi.customer)
    if pi.capture_method == "manual":  # authorized, held for `capture`
        charge.captured = False
        pi.status = "requires_capture"
        pi.amount_capturable = pi.amount
        charges.emit_charge(backend, call, "charge.succeeded", charge)
        payment_intents.emit_intent(backend, call, "payment_intent.amount_capturable_updated", pi)
        return
    pi.status = "succeeded"
    pi.amount_received = pi.amount
    charges.emit_charge(backend, call, "charge.succeeded", charge)
    payment_intents.emit_intent(backend, call, "payment_intent.succeeded", pi)


CAPTURE = params({"amount_to_capture": Field(Integer(minimum=1)), "metadata": Field(Metadata()),
                  "statement_descriptor": Field(String(max_length=22)),
                  "statement_descriptor_suffix": Field(String(max_length=22)), "final_capture": Field(Boolean())})


def capture(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    """`POST /v1/payment_intents/:id/capture`: a held card payment captured, whole or in part (`amount_to_capture`;
    what is not captured is released, refunded on the charge as Stripe shows it): `charge.captured`,
    `payment_intent.succeeded`."""
    pi = payment_intents.get(backend, id)
    if pi.status != "requires_capture" or pi.latest_charge is None:
        raise payment_intents.unexpected(pi, "capture")
    amount = values.get("amount_to_capture", pi.amount_capturable)
    if amount > pi.amount_capturable:
        raise InvalidRequestError(
            f"The amount to capture ({amount}) is greater than the amount capturable ({pi.amount_capturable}).",
            code="amount_too_large", param="amount_to_capture")
    charge = charges.get(backend, pi.latest_charge)
    previous = {"amount_captured": 0, "captured": False}
    charge.captured, charge.amount_captured = True, amount
    charge.amount_refunded = pi.amount_capturable - amount  # the rest of the hold, released
    if "metadata" in values:
        pi.metadata = apply_metadata(pi.metadata, values["metadata"])
    for key in ("statement_descriptor", "statement_descriptor_suffix"):
        if key in values:
            setattr(pi, key, values[key])
    pi.status, pi.amount_received, pi.amount_capturable = "succeeded", amount, 0
    charges.emit_charge(backend, call, "charge.captured", charge, previous)
    payment_intents.emit_intent(backend, call, "payment_intent.succeeded", pi)
    return payment_intents.render(pi, call.version)
