"""Charges: one per PaymentIntent attempt (`latest_charge`), their refunds, and the disputes Stripe's dispute test
number opens.

A refund of a card charge (generic surface: `cards.py`) is `succeeded` at once. A refund of an ACH debit is
`pending` until it settles (`REFUND_SECONDS` later on the namespace clock), then
`succeeded` (`refund.updated`); creating it counts against the charge at once (`amount_refunded`, `charge.refunded`,
`refund.created`). Only a succeeded, undisputed charge can be refunded, up to what is left of it.

A charge over ACH starts `pending` and becomes `succeeded` or `failed` when the debit settles
(`payment_intents.SETTLEMENT_SECONDS` later on the namespace clock). What it shows of the bank account is what the
PaymentMethod showed when the debit was made (`payment_method_details.us_bank_account`).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from emulator.core import search
from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, ResourceMissingError, missing
from emulator.core.listing import LIST_FIELDS, created_filter, page
from emulator.core.snapshot import saved
from emulator.core.spec import Choice, Field, Integer, Metadata, Range, String, apply_metadata, params
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion
from emulator.resources.request_params import keep, sent

OBJECT = "charge"
PREFIX = "ch"
TABLE = "charges"
DISPUTES = "disputes"
REFUNDS = "refunds"
DAY = 24 * 60 * 60
REFUND_SECONDS = 3 * 60
"""How long an ACH refund stays `pending` (namespace clock): chosen like the debit's settlement."""

RETRIEVE = params({})
SEARCH = params({"query": Field(String(max_length=5000), required=True), "limit": LIST_FIELDS["limit"],
                 "page": Field(String(max_length=5000))})
LIST = params({**LIST_FIELDS, "customer": Field(String()), "payment_intent": Field(String()),
               "created": Field(Range())})

SUCCEEDED_OUTCOME = {"advice_code": None, "network_advice_code": None, "network_decline_code": None,
                     "network_status": "approved_by_network", "reason": None, "risk_level": "not_assessed",
                     "seller_message": "Payment complete.", "type": "authorized"}


@saved
@dataclass
class Charge:
    id: str
    created: int
    amount: int
    currency: str
    customer: str | None
    description: str | None
    payment_intent: str
    payment_method: str
    billing_details: dict[str, Any]
    bank: dict[str, Any]
    """`payment_method_details.us_bank_account` as the debit was made."""
    statement_descriptor: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    status: str = "pending"
    failure_code: str | None = None
    failure_message: str | None = None
    amount_refunded: int = 0
    disputed: bool = False
    refunds: list[str] = field(default_factory=list)
    behaviour: str | None = None
    """What the debit does when it settles (an `ach_numbers` behaviour), decided when it was sent."""
    card: dict[str, Any] | None = None
    """`payment_method_details.card` of a card charge (generic surface: `cards.py`); None for a debit."""
    decline_code: str | None = None
    """A declined card charge's decline code (`outcome.reason`), as Stripe's test numbers give it."""
    captured: bool = True
    """False while a card payment is held (`capture_method=manual`); a debit is captured when it succeeds."""
    amount_captured: int | None = None
    """What a held card payment's capture took (None: all of it)."""

    @property
    def paid(self) -> bool:
        return self.status == "succeeded"


@saved
def render(charge: Charge, version: ApiVersion | None = None) -> dict[str, Any]:
    succeeded = charge.status == "succeeded"
    captured = succeeded and charge.captured
    outcome: dict[str, Any] | None = None
    if succeeded:
        outcome = dict(SUCCEEDED_OUTCOME)
    elif charge.status == "failed":
        outcome = {**SUCCEEDED_OUTCOME, "network_status": "declined_by_network",
                   "reason": charge.decline_code or charge.failure_code,
                   "seller_message": charge.failure_message, "type": "issuer_declined"}
    return {
        "id": charge.id,
        "object": OBJECT,
        "amount": charge.amount,
        "amount_captured": (charge.amount if charge.amount_captured is None else charge.amount_captured)
        if captured else 0,
        "amount_refunded": charge.amount_refunded,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": copy.deepcopy(charge.billing_details),
        "calculated_statement_descriptor": charge.statement_descriptor or "STRIPE FC EMULATOR",
        "captured": captured,
        "created": charge.created,
        "currency": charge.currency,
        "customer": charge.customer,
        "description": charge.description,
        "disputed": charge.disputed,
        "failure_balance_transaction": None,
        "failure_code": charge.failure_code,
        "failure_message": charge.failure_message,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(charge.metadata),
        "on_behalf_of": None,
        "outcome": outcome,
        "paid": succeeded,
        "payment_intent": charge.payment_intent,
        "payment_method": charge.payment_method,
        "payment_method_details": {"type": "us_bank_account", "us_bank_account": copy.deepcopy(charge.bank)}
        if charge.card is None else {"type": "card", "card": copy.deepcopy(charge.card)},
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": charge.amount_refunded > 0 and charge.amount_refunded >= charge.amount,
        "review": None,
        "shipping": None,
        "source_transfer": None,
        "statement_descriptor": charge.statement_descriptor,
        "statement_descriptor_suffix": None,
        "status": charge.status,
        "transfer_data": None,
        "transfer_group": None,
    }


def table(backend: Backend) -> Table[Charge]:
    return backend.store.table(TABLE)


def get(backend: Backend, charge_id: str, *, param: str | None = "charge") -> Charge:
    found = table(backend).get(charge_id)
    if found is None:
        raise ResourceMissingError(OBJECT, charge_id, param=param)
    return found


def lookup(backend: Backend, charge_id: str, version: ApiVersion) -> dict[str, Any] | None:
    found = table(backend).get(charge_id)
    return None if found is None else render(found, version)


def emit_charge(backend: Backend, call: Call, type: str, charge: Charge,
                previous: dict[str, Any] | None = None) -> None:
    emit(backend, call, type, functools.partial(render, backend.frozen(charge.id, charge)), previous)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    return render(get(backend, id), call.version)


SEARCH_FIELDS = {"amount": search.NUMERIC, "billing_details.address.postal_code": search.STRING,
                 "created": search.NUMERIC, "currency": search.STRING, "customer": search.STRING,
                 "disputed": search.STRING, "metadata": search.METADATA, "payment_intent": search.STRING,
                 "refunded": search.STRING, "status": search.STRING}
"""The query fields Stripe indexes for charges (https://docs.stripe.com/search#query-fields-for-charges) that a
us_bank_account charge has (the card ones never match here); booleans are searched as `disputed:'true'`."""


def _search_value(charge: Charge, field: str, key: str | None) -> Any:
    if field == "metadata":
        return charge.metadata.get(key or "")
    if field == "billing_details.address.postal_code":
        return (charge.billing_details.get("address") or {}).get("postal_code")
    if field == "disputed":
        return str(charge.disputed).lower()
    if field == "refunded":
        return str(charge.amount_refunded >= charge.amount).lower()
    return getattr(charge, field)


def search_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/charges/search`."""
    query = search.parse(values["query"], SEARCH_FIELDS, "charges")
    return search.results(table(backend).newest_first(), query, values.get("page"), values.get("limit", 10),
                          value_of=_search_value, render=lambda c: render(c, call.version), url="/v1/charges/search")


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    customer = values.get("customer")
    intent = values.get("payment_intent")
    group = values.get("transfer_group")
    created = created_filter(values["created"]) if "created" in values else None
    if group is not None:  # a charge's transfer group is its PaymentIntent's
        from emulator.resources.payments import payment_intents  # it imports this module

        grouped = {pi.id for pi in payment_intents.table(backend).values() if pi.transfer_group == group}

    def where(charge: Charge) -> bool:
        if group is not None and charge.payment_intent not in grouped:
            return False
        if customer is not None and charge.customer != customer:
            return False
        if intent is not None and charge.payment_intent != intent:
            return False
        return created is None or created(charge.created)

    return page(table(backend), values, url="/v1/charges", noun=OBJECT, render=lambda c: render(c, call.version),
                where=where)


# -- disputes -------------------------------------------------------------------------------------------------------

@saved
@dataclass
class Dispute:
    id: str
    created: int
    charge: str
    payment_intent: str
    amount: int
    currency: str


@saved
def render_dispute(dispute: Dispute, version: ApiVersion | None = None) -> dict[str, Any]:
    evidence_fields = (
        "access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
        "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
        "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation", "duplicate_charge_explanation",
        "duplicate_charge_id", "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
        "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address", "shipping_carrier",
        "shipping_date", "shipping_documentation", "shipping_tracking_number", "uncategorized_file",
        "uncategorized_text",
    )
    return {
        "id": dispute.id,
        "object": "dispute",
        "amount": dispute.amount,
        "balance_transactions": [],
        "charge": dispute.charge,
        "created": dispute.created,
        "currency": dispute.currency,
        "enhanced_eligibility_types": [],
        "evidence": {**{name: None for name in evidence_fields}, "enhanced_evidence": {}},
        "evidence_details": {"due_by": dispute.created + 7 * DAY, "enhanced_eligibility": {}, "has_evidence": False,
                             "past_due": False, "submission_count": 0, "submission_method": "not_submitted"},
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": dispute.payment_intent,
        "payment_method_details": None,  # Stripe details card, klarna, paypal and amazon_pay disputes only
        "reason": "general",
        "status": "needs_response",
    }


def disputes(backend: Backend) -> Table[Dispute]:
    return backend.store.table(DISPUTES)


def open_dispute(backend: Backend, call: Call, charge: Charge) -> Dispute:
    """The customer's bank disputes the debit (Stripe's test number `000555555559`): `charge.dispute.created`."""
    dispute = Dispute(id=backend.ids.new("dp"), created=backend.clock.timestamp(), charge=charge.id,
                      payment_intent=charge.payment_intent, amount=charge.amount, currency=charge.currency)
    disputes(backend).put(dispute.id, dispute)
    charge.disputed = True
    frozen = backend.frozen(dispute.id, dispute)
    emit(backend, call, "charge.dispute.created", functools.partial(render_dispute, frozen))
    return dispute

# -- refunds --------------------------------------------------------------------------------------------------------

CREATE_REFUND = params(
    {
        "charge": Field(String()),
        "payment_intent": Field(String()),
        "amount": Field(Integer(minimum=1)),
        "reason": Field(Choice(("duplicate", "fraudulent", "requested_by_customer"))),
        "metadata": Field(Metadata()),
    }
)
UPDATE_REFUND = params({"metadata": Field(Metadata())})
LIST_REFUNDS = params({**LIST_FIELDS, "charge": Field(String()), "payment_intent": Field(String()),
                       "created": Field(Range())})


@saved
@dataclass
class Refund:
    id: str
    created: int
    amount: int
    currency: str
    charge: str
    payment_intent: str
    reason: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    status: str = "pending"
    card: bool = False
    """A card charge's refund (generic surface): `succeeded` at once, as Stripe's test-mode card refunds are."""
    as_sent: dict[str, Any] = field(default_factory=dict)
    """`customer` and `instructions_email` as sent (kept and shown: the emulator refunds to the bank account)."""


@saved
def render_refund(refund: Refund, version: ApiVersion | None = None) -> dict[str, Any]:
    return {
        "id": refund.id,
        "object": "refund",
        "amount": refund.amount,
        "balance_transaction": None,
        "charge": refund.charge,
        "created": refund.created,
        "currency": refund.currency,
        "customer": sent(refund.as_sent, "customer"),
        "destination_details": {"type": "us_bank_transfer", "us_bank_transfer": {"reference": None,
                                                                                  "reference_status": None}}
        if not refund.card else {"type": "card", "card": {"reference_status": "pending",
                                                          "reference_type": "acquirer_reference_number",
                                                          "type": "refund"}},
        "instructions_email": sent(refund.as_sent, "instructions_email"),
        "metadata": dict(refund.metadata),
        "payment_intent": refund.payment_intent,
        "reason": refund.reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": refund.status,
        "transfer_reversal": None,
    }


def refunds(backend: Backend) -> Table[Refund]:
    return backend.store.table(REFUNDS)


def get_refund(backend: Backend, refund_id: str) -> Refund:
    found = refunds(backend).get(refund_id)
    if found is None:
        raise ResourceMissingError("refund", refund_id, param="id")
    return found


def _emit_refund(backend: Backend, call: Call, type: str, refund: Refund,
                 previous: dict[str, Any] | None = None) -> None:
    emit(backend, call, type, functools.partial(render_refund, backend.frozen(refund.id, refund)), previous)


def create_refund(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    if "charge" not in values and "payment_intent" not in values:
        raise missing("charge")
    if "charge" in values:
        charge = get(backend, values["charge"], param="charge")
        if "payment_intent" in values and values["payment_intent"] != charge.payment_intent:
            raise InvalidRequestError(f"The charge {charge.id} does not belong to the PaymentIntent "
                                      f"{values['payment_intent']}.", param="payment_intent")
    else:
        found = [c for c in table(backend).values() if c.payment_intent == values["payment_intent"]
                 and c.status == "succeeded"]
        if not found:
            if not any(c.payment_intent == values["payment_intent"] for c in table(backend).values()):
                raise ResourceMissingError("payment_intent", values["payment_intent"], param="payment_intent")
            raise InvalidRequestError(f"The PaymentIntent {values['payment_intent']} has no succeeded charge to "
                                      f"refund.", code="charge_not_refundable", param="payment_intent")
        charge = found[-1]
    if charge.status != "succeeded":
        raise InvalidRequestError(f"The charge {charge.id} is {charge.status}: only a succeeded charge can be "
                                  f"refunded.", code="charge_not_refundable", param="charge")
    if not charge.captured:
        raise InvalidRequestError(f"The charge {charge.id} is not captured: cancel its PaymentIntent to release the "
                                  f"hold.", code="charge_not_refundable", param="charge")
    if charge.disputed:
        raise InvalidRequestError(f"The charge {charge.id} is disputed and cannot be refunded.",
                                  code="charge_disputed", param="charge")
    left = charge.amount - charge.amount_refunded
    if left <= 0:
        raise InvalidRequestError(f"The charge {charge.id} has already been refunded.",
                                  code="charge_already_refunded", param="charge")
    amount = values.get("amount", left)
    if amount > left:
        raise InvalidRequestError(f"Refund amount ({amount}) is greater than the unrefunded amount on the charge "
                                  f"({left}).", code="amount_too_large", param="amount")
    now = backend.clock.timestamp()
    refund = Refund(id=backend.ids.new("re"), created=now, amount=amount, currency=charge.currency,
                    charge=charge.id, payment_intent=charge.payment_intent, reason=values.get("reason"),
                    metadata=apply_metadata({}, values.get("metadata", {})), card=charge.card is not None)
    if refund.card:
        refund.status = "succeeded"
    keep(refund.as_sent, values, ("customer", "instructions_email"))
    refunds(backend).put(refund.id, refund)
    previous = {"amount_refunded": charge.amount_refunded, "refunded": False}
    charge.amount_refunded += amount
    charge.refunds.append(refund.id)
    _emit_refund(backend, call, "refund.created", refund)
    emit_charge(backend, call, "charge.refunded", charge, previous)
    if refund.card:
        return render_refund(refund, call.version)
    backend.timers.at(now + REFUND_SECONDS, functools.partial(_refund_settles, backend, refund.id),
                      f"{refund.id}: the refund settles")
    return render_refund(refund, call.version)


@saved
def _refund_settles(backend: Backend, refund_id: str, _: float) -> None:
    refund = refunds(backend).get(refund_id)
    if refund is None or refund.status != "pending":
        return
    refund.status = "succeeded"
    _emit_refund(backend, backend.automatic(), "refund.updated", refund, {"status": "pending"})


def retrieve_refund(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    return render_refund(get_refund(backend, id), call.version)


def update_refund(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    refund = get_refund(backend, id)
    if "metadata" in values:
        refund.metadata = apply_metadata(refund.metadata, values["metadata"])
    return render_refund(refund, call.version)


def list_refunds(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    charge = values.get("charge")
    intent = values.get("payment_intent")
    created = created_filter(values["created"]) if "created" in values else None

    def where(refund: Refund) -> bool:
        if charge is not None and refund.charge != charge:
            return False
        if intent is not None and refund.payment_intent != intent:
            return False
        return created is None or created(refund.created)

    return page(refunds(backend), values, url="/v1/refunds", noun="refund",
                render=lambda r: render_refund(r, call.version), where=where)


def retrieve_dispute(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    found = disputes(backend).get(id)
    if found is None:
        raise ResourceMissingError("dispute", id, param="id")
    return render_dispute(found, call.version)

declare(TABLE, Charge)
declare(DISPUTES, Dispute)
declare(REFUNDS, Refund)
