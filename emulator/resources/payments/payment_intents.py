"""PaymentIntents over ACH Direct Debit (`us_bank_account`): the debit a relink exists to keep working.

Status machine (https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment; facts §5):
`requires_payment_method` → (a payment method) `requires_confirmation` → (confirm) `processing` → when the debit
settles, `SETTLEMENT_SECONDS` later on the namespace clock, `succeeded`, or back to `requires_payment_method` with
`last_payment_error` and a failed charge. Unverified manual bank details stop at `requires_action`
(`verify_with_microdeposits`, as on SetupIntents). `canceled` from every state before `succeeded`, `processing`
included (Stripe's "stays processing" test number exists to test that).

What a debit does is Stripe's test table: the account numbers of `ach_numbers` (and their `pm_usBankAccount_*`
tokens) succeed, fail with `account_closed`, `no_account`, `insufficient_funds`, `debit_not_authorized` or
`invalid_currency`, succeed and then are disputed (`charge.dispute.created`), or stay `processing`. A return for a
closed account, no account or an unauthorized debit blocks the bank account: every PaymentMethod of it shows
`us_bank_account.status_details.blocked` with the ACH return code, its mandates go inactive, and confirming with it
fails with `payment_method_bank_account_blocked` — as a PaymentMethod whose Financial Connections account's TAN is
not transactable does, until a relink re-issues the TAN. Financial Connections accounts' debits succeed.

With the generic surface on, a card PaymentMethod pays too (`cards.py`): it needs no mandate, and its charge is
decided at once — `succeeded`, or declined (402 `card_error`) for Stripe's declining test numbers.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from emulator.core import messages, search
from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, ResourceMissingError, StripeError, missing
from emulator.core.listing import LIST_FIELDS, created_filter, page
from emulator.core.snapshot import saved
from emulator.core.spec import (
    UNSET,
    Boolean,
    Choice,
    Field,
    Hash,
    Integer,
    Metadata,
    Range,
    String,
    Url,
    apply_metadata,
    params,
)
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion, Feature
from emulator.resources import customers, shapes
from emulator.resources.payments import ach_numbers, cards, charges, payment_methods, setup_intents
from emulator.resources.payments.charges import Charge
from emulator.resources.payments.payment_methods import PaymentMethod
from emulator.resources.payments.setup_intents import MANDATE_DATA, PMT_REMOVED, Mandate
from emulator.resources.request_params import (
    OneOf,
    keep,
    no_confirmation_token,
    sent,
    stored,
)

TYPES = setup_intents.TYPES
"""The types a PaymentIntent takes: us_bank_account, and card with the generic surface on (`cards.py`)."""
OBJECT = "payment_intent"
NOUN = "payment_intent"
PREFIX = "pi"
TABLE = "payment_intents"
SETTLEMENT_SECONDS = 3 * 60
"""How long a debit stays `processing` (namespace clock). Chosen: Stripe's test mode holds delayed-notification
payments in `processing` for about three minutes to simulate the real delay (live ACH: about 4 business days)."""
MINIMUM_AMOUNT = 50
MAXIMUM_AMOUNT = 99_999_999
CANCELLABLE = ("requires_payment_method", "requires_confirmation", "requires_action", "processing",
               "requires_capture")
UPDATABLE = ("requires_payment_method", "requires_confirmation", "requires_action")

_SETUP_BANK = setup_intents.PM_OPTIONS.fields["us_bank_account"].spec
assert isinstance(_SETUP_BANK, Hash)
PM_OPTIONS = Hash(
    {
        "us_bank_account": Field(
            Hash(
                {  # a SetupIntent's us_bank_account options, and what only a payment has
                    **_SETUP_BANK.fields,
                    "setup_future_usage": Field(Choice(("none", "off_session", "on_session"), unsettable=True)),
                    "target_date": Field(String()),
                }
            )
        )
    }
)
_COMMON = {
    "payment_method": Field(String()),
    "payment_method_data": Field(payment_methods.PAYMENT_METHOD_DATA),
    "payment_method_options": Field(PM_OPTIONS),
    "payment_method_types": Field(TYPES, rejected=PMT_REMOVED),
    "allowed_payment_method_types": Field(TYPES, feature=Feature.ALLOWED_PAYMENT_METHOD_TYPES),
    "receipt_email": Field(String(unsettable=True)),
    "setup_future_usage": Field(Choice(("off_session", "on_session"), unsettable=True)),
}
_CONFIRMING = {
    "mandate": Field(String()),
    "mandate_data": Field(MANDATE_DATA),
    "off_session": Field(OneOf((Boolean(), Choice(("one_off", "recurring"))))),
    # true, or which kind of off-session payment it is (`one_off`, `recurring`): either is off-session here
    "return_url": Field(Url()),
    "use_stripe_sdk": Field(Boolean()),
    "error_on_requires_action": Field(Boolean()),
}
CREATE = params(
    {
        **_COMMON,
        "excluded_payment_method_types": setup_intents.EXCLUDED,
        **_CONFIRMING,
        "amount": Field(Integer(), required=True),
        "currency": Field(String(max_length=3), required=True),
        "customer": Field(String()),
        "description": Field(String(max_length=1000)),
        "metadata": Field(Metadata()),
        "confirm": Field(Boolean()),
        "capture_method": Field(Choice(("automatic", "automatic_async", "manual"))),
        "confirmation_method": Field(Choice(("automatic", "manual"))),
        "statement_descriptor": Field(String(max_length=22)),
        "statement_descriptor_suffix": Field(String(max_length=22)),
        "on_behalf_of": Field(String()),
        "transfer_data": Field(Hash({"destination": Field(String(), required=True),
                                     "amount": Field(Integer(minimum=0))})),
        "transfer_group": Field(String()),
        "automatic_payment_methods": Field(Hash({"enabled": Field(Boolean(), required=True),
                                                 "allow_redirects": Field(Choice(("always", "never")))})),
    }
)
UPDATE = params(
    {
        **_COMMON,
        "excluded_payment_method_types": setup_intents.EXCLUDED,
        "amount": Field(Integer()),
        "currency": Field(String(max_length=3)),
        "customer": Field(String()),
        "description": Field(String(max_length=1000, unsettable=True)),
        "metadata": Field(Metadata()),
        "statement_descriptor": Field(String(max_length=22, unsettable=True)),
        "statement_descriptor_suffix": Field(String(max_length=22, unsettable=True)),
    }
)
CONFIRM = params({**_COMMON, **_CONFIRMING})
CANCEL = params({"cancellation_reason": Field(Choice(("abandoned", "duplicate", "fraudulent",
                                                      "requested_by_customer")))})
RETRIEVE = params({"client_secret": Field(String())})
LIST = params({**LIST_FIELDS, "customer": Field(String()), "created": Field(Range())})
VERIFY = setup_intents.VERIFY


@saved
@dataclass
class PaymentIntent:
    id: str
    created: int
    client_secret: str
    amount: int
    currency: str
    customer: str | None
    description: str | None
    capture_method: str
    confirmation_method: str
    allowed_payment_method_types: list[str] | None
    automatic_payment_methods: dict[str, Any] | None
    payment_method_options: dict[str, Any]
    setup_future_usage: str | None
    statement_descriptor: str | None
    statement_descriptor_suffix: str | None
    on_behalf_of: str | None
    transfer_data: dict[str, Any] | None
    transfer_group: str | None
    receipt_email: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    payment_method: str | None = None
    status: str = "requires_payment_method"
    mandate: str | None = None
    mandate_data: dict[str, Any] | None = None
    off_session: bool = False
    next_action: dict[str, Any] | None = None
    last_payment_error: dict[str, Any] | None = None
    latest_charge: str | None = None
    amount_received: int = 0
    amount_capturable: int = 0
    """What a card payment confirmed with `capture_method=manual` may still capture (generic surface: `cards.py`)."""
    canceled_at: int | None = None
    cancellation_reason: str | None = None
    microdeposit_attempts: int = 0
    microdeposits_sent: int | None = None
    payment_method_types: list[str] | None = None
    """The types `payment_method_types` or `allowed_payment_method_types` named, or `["card"]` once a card is its
    payment method (generic surface); None: us_bank_account, the emulator's type."""
    as_sent: dict[str, Any] = field(default_factory=dict)
    """The parameters rendered as they were sent (AS_SENT)."""


AS_SENT = ("amount_details", "application_fee_amount", "customer_account", "excluded_payment_method_types", "hooks",
           "payment_details", "payment_method_configuration", "shipping")
"""Parameters a PaymentIntent keeps and shows as sent, with no behaviour behind them here (README: "Accepted,
stored, no behaviour"): no application fee is taken, no configuration or shipping changes what a debit does."""
ADDRESS_KEYS = ("city", "country", "line1", "line2", "postal_code", "state")


def _shipping(kept: dict[str, Any]) -> dict[str, Any] | None:
    shipping = kept.get("shipping")
    if shipping is None:
        return None
    address = shipping.get("address") or {}
    return {"address": {key: address.get(key) for key in ADDRESS_KEYS},
            **{key: shipping.get(key) for key in ("carrier", "name", "phone", "tracking_number")}}


def _amount_details(kept: dict[str, Any], version: ApiVersion) -> dict[str, Any]:
    """`{"tip": {}}`, with what `amount_details` was sent with (discount, shipping, tax; its line items are kept,
    not shown: Stripe shows them only when expanded)."""
    sent = kept.get("amount_details") or {}
    built = shapes.build("payment_intent.amount_details", sent, preview=version.is_preview)
    return {"tip": {}, **{key: built[key] for key in sent if key in built and key != "line_items"}}


def _payment_details(kept: dict[str, Any]) -> dict[str, Any] | None:
    """The references of `payment_details` (its industry-specific data, preview only, is kept but not shown)."""
    details = kept.get("payment_details")
    if details is None:
        return None
    return {key: details.get(key) for key in ("customer_reference", "order_reference")}


@saved
def render(pi: PaymentIntent, version: ApiVersion) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": pi.id,
        "object": OBJECT,
        "amount": pi.amount,
        "amount_capturable": pi.amount_capturable,
        "amount_details": _amount_details(pi.as_sent, version),
        "amount_received": pi.amount_received,
        "application": None,
        "application_fee_amount": sent(pi.as_sent, "application_fee_amount"),
        "automatic_payment_methods": copy.deepcopy(pi.automatic_payment_methods),
        "canceled_at": pi.canceled_at,
        "cancellation_reason": pi.cancellation_reason,
        "capture_method": pi.capture_method,
        "client_secret": pi.client_secret,
        "confirmation_method": pi.confirmation_method,
        "created": pi.created,
        "currency": pi.currency,
        "customer": pi.customer,
        "customer_account": sent(pi.as_sent, "customer_account"),
        "description": pi.description,
        "excluded_payment_method_types": sent(pi.as_sent, "excluded_payment_method_types"),
        "last_payment_error": copy.deepcopy(pi.last_payment_error),
        "latest_charge": pi.latest_charge,
        "livemode": False,
        "metadata": dict(pi.metadata),
        "next_action": copy.deepcopy(pi.next_action),
        "on_behalf_of": pi.on_behalf_of,
        "payment_method": pi.payment_method,
        "payment_method_configuration_details": setup_intents._configuration(pi.as_sent),
        "payment_method_options": copy.deepcopy(pi.payment_method_options),
        "payment_method_types": list(pi.payment_method_types or ["us_bank_account"]),
        "processing": None,
        "receipt_email": pi.receipt_email,
        "review": None,
        "setup_future_usage": pi.setup_future_usage,
        "shipping": _shipping(pi.as_sent),
        "source": None,
        "statement_descriptor": pi.statement_descriptor,
        "statement_descriptor_suffix": pi.statement_descriptor_suffix,
        "status": pi.status,
        "transfer_data": copy.deepcopy(pi.transfer_data),
        "hooks": sent(pi.as_sent, "hooks"),
        "payment_details": _payment_details(pi.as_sent),
        "transfer_group": pi.transfer_group,
    }
    if Feature.ALLOWED_PAYMENT_METHOD_TYPES.gate.enabled(version):
        rendered["allowed_payment_method_types"] = (
            None if pi.allowed_payment_method_types is None else list(pi.allowed_payment_method_types))
    return dict(sorted(rendered.items(), key=lambda item: (item[0] not in ("id", "object"), item[0])))


def table(backend: Backend) -> Table[PaymentIntent]:
    return backend.store.table(TABLE)


def get(backend: Backend, pi_id: str, *, param: str | None = "intent") -> PaymentIntent:
    found = table(backend).get(pi_id)
    if found is None:
        raise ResourceMissingError(NOUN, pi_id, param=param)
    return found


def lookup(backend: Backend, pi_id: str, version: ApiVersion) -> dict[str, Any] | None:
    found = table(backend).get(pi_id)
    return None if found is None else render(found, version)


def emit_intent(backend: Backend, call: Call, type: str, pi: PaymentIntent) -> None:
    emit(backend, call, type, functools.partial(render, backend.frozen(pi.id, pi)))


def unexpected(pi: PaymentIntent, action: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"You cannot {action} this PaymentIntent because it has a status of {pi.status}.",
        code="payment_intent_unexpected_state", param=None)


def _amount(value: int) -> int:
    if value < MINIMUM_AMOUNT:
        raise InvalidRequestError("Amount must be at least $0.50 usd", code="amount_too_small", param="amount")
    if value > MAXIMUM_AMOUNT:
        raise InvalidRequestError("Amount must be no more than $999,999.99", code="amount_too_large", param="amount")
    return value


def _currency(value: str) -> str:
    currency = value.lower()
    if currency != "usd":
        raise InvalidRequestError(
            f"The currency provided ({value}) is invalid. Payments with us_bank_account support the following "
            f"currencies: usd.", code="payment_intent_invalid_parameter", param="currency")
    return currency


def _options(values: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    if "payment_method_options" not in values and current is not None:
        return current
    options = setup_intents._options(values)  # the shared us_bank_account options (permissions, verification …)
    given = (values.get("payment_method_options") or {}).get("us_bank_account") or {}
    future = given.get("setup_future_usage")
    if future is not None and future is not UNSET:
        options["us_bank_account"]["setup_future_usage"] = future
    if "target_date" in given:
        options["us_bank_account"]["target_date"] = given["target_date"]
    return options


def _set_payment_method(backend: Backend, call: Call, pi: PaymentIntent, values: dict[str, Any]) -> None:
    if "payment_method" in values and "payment_method_data" in values:
        raise InvalidRequestError(
            messages.PARAMETERS_EXCLUSIVE.format(params="payment_method, payment_method_data"),
            code="parameters_exclusive", param="payment_method_data")
    if "payment_method" in values:
        named = values["payment_method"]
        existing = payment_methods.table(backend).get(named)
        if existing is not None and existing.card is not None:
            cards.require_generic(call, "payment_method")  # a card made on the generic surface, used without it
        pm = payment_methods.resolve(backend, named, param="payment_method", generic=call.generic)
        if pm.customer is not None and pm.customer != pi.customer:
            raise InvalidRequestError(
                f"The PaymentMethod {pm.id} belongs to {'another customer' if pi.customer else 'a customer'}; pass "
                f"customer={pm.customer} to use it.", param="payment_method")
        pi.payment_method_types = setup_intents.types_with(pm, pi.payment_method_types, "PaymentIntent")
        pi.payment_method = pm.id
    elif "payment_method_data" in values:
        pi.payment_method = payment_methods.create_from_data(backend, values["payment_method_data"], pi.customer,
                                                             call.version).id
    if pi.payment_method is not None and pi.status == "requires_payment_method":
        pi.status = "requires_confirmation"


def create(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    no_confirmation_token(values)
    customer = values.get("customer")
    if customer is not None:
        customers.get(backend, customer, param="customer")
    _check_capture(call, values)
    intent_id = backend.ids.new(PREFIX)
    pi = PaymentIntent(
        id=intent_id,
        created=backend.clock.timestamp(),
        client_secret=f"{intent_id}_secret_{backend.ids.token(25)}",
        amount=_amount(values["amount"]),
        currency=_currency(values["currency"]),
        customer=customer,
        description=values.get("description"),
        capture_method=values.get("capture_method", "automatic_async"),
        confirmation_method=values.get("confirmation_method", "automatic"),
        allowed_payment_method_types=setup_intents._types(values),
        payment_method_types=setup_intents._requested_types(values),
        automatic_payment_methods=values.get("automatic_payment_methods"),
        payment_method_options=_options(values),
        setup_future_usage=_unset(values.get("setup_future_usage")),
        statement_descriptor=values.get("statement_descriptor"),
        statement_descriptor_suffix=values.get("statement_descriptor_suffix"),
        on_behalf_of=values.get("on_behalf_of"),
        transfer_data=values.get("transfer_data"),
        transfer_group=values.get("transfer_group"),
        receipt_email=_unset(values.get("receipt_email")),
        metadata=apply_metadata({}, values.get("metadata", {})),
        mandate_data=values.get("mandate_data"),
        off_session=bool(values.get("off_session", False)),
    )
    keep(pi.as_sent, values, AS_SENT)
    if pi.automatic_payment_methods is not None and pi.automatic_payment_methods.get("enabled") \
            and "allow_redirects" not in pi.automatic_payment_methods:
        pi.automatic_payment_methods = {"allow_redirects": "always", "enabled": True}
    if values.get("confirm"):  # what can be told before a payment method is made from payment_method_data
        if "payment_method" not in values and "payment_method_data" not in values:
            raise missing("payment_method")
        named = values.get("payment_method")
        existing = None if named is None else payment_methods.table(backend).get(named)
        if values.get("capture_method") == "manual" and (
                "payment_method_data" in values or named in ach_numbers.TOKENS
                or (existing is not None and existing.card is None)):
            raise _not_held()
        if "payment_method_data" in values and "mandate" not in values and "mandate_data" not in values:
            raise InvalidRequestError("A mandate is required to debit a us_bank_account payment method: pass "
                                      "mandate_data with the customer's acceptance.", code="parameter_missing",
                                      param="mandate_data")
    _set_payment_method(backend, call, pi, values)  # validates before anything is stored
    if values.get("confirm"):
        _check_confirmable(backend, pi, values)
    table(backend).put(pi.id, pi)
    emit_intent(backend, call, "payment_intent.created", pi)
    if values.get("confirm"):
        _confirm(backend, call, pi, values)
    return render(pi, call.version)


def _unset(value: Any) -> Any:
    return None if value is UNSET else value


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    return render(get(backend, id), call.version)


def update(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    pi = get(backend, id)
    if pi.status not in UPDATABLE:
        raise unexpected(pi, "update")
    _check_capture(call, values)
    amount = _amount(values["amount"]) if "amount" in values else pi.amount
    currency = _currency(values["currency"]) if "currency" in values else pi.currency
    if "customer" in values:
        customers.get(backend, values["customer"], param="customer")
        pi.customer = values["customer"]
    if "allowed_payment_method_types" in values or "payment_method_types" in values:
        pi.allowed_payment_method_types = setup_intents._types(values)
        pi.payment_method_types = setup_intents._requested_types(values)
    pi.payment_method_options = _options(values, pi.payment_method_options)
    _set_payment_method(backend, call, pi, values)
    pi.amount, pi.currency = amount, currency
    for key in ("description", "statement_descriptor", "statement_descriptor_suffix", "receipt_email",
                "setup_future_usage"):
        if key in values:
            setattr(pi, key, _unset(values[key]))
    if "metadata" in values:
        pi.metadata = apply_metadata(pi.metadata, values["metadata"])
    if "transfer_data" in values:  # its amount, description, metadata; the destination is fixed at creation
        if pi.transfer_data is None:
            raise InvalidRequestError("This PaymentIntent was created without transfer_data: its transfer_data "
                                      "cannot be updated.", param="transfer_data")
        pi.transfer_data = shapes.merge(pi.transfer_data, stored(values["transfer_data"]))
    if "transfer_group" in values:
        pi.transfer_group = _unset(values["transfer_group"])
    if "capture_method" in values:
        pi.capture_method = values["capture_method"]
    keep(pi.as_sent, values, AS_SENT)
    return render(pi, call.version)


def confirm(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    no_confirmation_token(values)
    pi = get(backend, id)
    if pi.status not in UPDATABLE:
        raise unexpected(pi, "confirm")
    _check_capture(call, values)
    pi.payment_method_options = _options(values, pi.payment_method_options)
    if "allowed_payment_method_types" in values or "payment_method_types" in values:
        pi.allowed_payment_method_types = setup_intents._types(values)
        pi.payment_method_types = setup_intents._requested_types(values)
    _set_payment_method(backend, call, pi, values)
    for key in ("receipt_email", "setup_future_usage"):
        if key in values:
            setattr(pi, key, _unset(values[key]))
    _check_confirmable(backend, pi, values)
    if "mandate_data" in values:
        pi.mandate_data = values["mandate_data"]
    if "off_session" in values:
        pi.off_session = bool(values["off_session"])
    if "capture_method" in values:
        pi.capture_method = values["capture_method"]
    keep(pi.as_sent, values, AS_SENT)
    _confirm(backend, call, pi, values)
    return render(pi, call.version)


def future_usage(pi: PaymentIntent) -> str | None:
    option = pi.payment_method_options["us_bank_account"].get("setup_future_usage")
    return pi.setup_future_usage if option is None else (None if option == "none" else str(option))


def _existing_mandate(backend: Backend, pi: PaymentIntent, values: dict[str, Any]) -> Mandate | None:
    """The mandate this debit runs under: `mandate`, or the payment method's active multi-use one (from a
    SetupIntent or an earlier PaymentIntent that saved it)."""
    assert pi.payment_method is not None
    if "mandate" in values:
        mandate = setup_intents.mandates(backend).get(values["mandate"])
        if mandate is None:
            raise ResourceMissingError("mandate", values["mandate"], param="mandate")
        if mandate.payment_method != pi.payment_method or mandate.status != "active":
            raise InvalidRequestError(f"The mandate {mandate.id} is not an active mandate of the PaymentMethod "
                                      f"{pi.payment_method}.", code="payment_intent_mandate_invalid", param="mandate")
        return mandate
    return setup_intents.active_mandate(backend, pi.payment_method)


def _not_held() -> InvalidRequestError:
    return InvalidRequestError("us_bank_account payments cannot be captured manually: use capture_method automatic "
                               "or automatic_async.", param="capture_method")


def _check_capture(call: Call, values: dict[str, Any]) -> None:
    """`capture_method=manual` holds a card payment to capture later: cards only, so only with the generic surface
    on (`cards.py`); a bank debit with it is refused when confirmed (`_check_confirmable`)."""
    if values.get("capture_method") == "manual" and not call.generic:
        raise _not_held()


def _check_confirmable(backend: Backend, pi: PaymentIntent, values: dict[str, Any]) -> None:
    """Parameter problems of a confirmation: refused before anything changes."""
    if pi.payment_method is None:
        raise missing("payment_method")
    if pi.customer is None and future_usage(pi) is not None:
        raise InvalidRequestError("setup_future_usage needs a customer to save the PaymentMethod to.",
                                  param="setup_future_usage")
    chosen = payment_methods.get(backend, pi.payment_method)
    if chosen.card is not None:
        return  # a card needs no mandate (`cards.py`), and may be captured later
    if values.get("capture_method", pi.capture_method) == "manual":
        raise _not_held()
    if payment_methods.blocked_reason(backend, chosen) is not None:
        return  # the block is the refusal (the confirmation records it), not the mandate it made inactive
    if _existing_mandate(backend, pi, values) is None and values.get("mandate_data", pi.mandate_data) is None:
        raise InvalidRequestError(
            "A mandate is required to debit a us_bank_account payment method: pass mandate_data with the customer's "
            "acceptance, or use a PaymentMethod with an active mandate (from a SetupIntent).",
            code="parameter_missing", param="mandate_data")


def _confirm(backend: Backend, call: Call, pi: PaymentIntent, values: dict[str, Any]) -> None:
    assert pi.payment_method is not None
    pm = payment_methods.get(backend, pi.payment_method)
    if pm.card is not None:
        from emulator.resources.payments import card_payments  # it imports this module

        card_payments.charge_card(backend, call, pi, pm)
        return
    verification = pi.payment_method_options["us_bank_account"]["verification_method"]
    error = setup_intents.refusal(pm, payment_methods.blocked_reason(backend, pm), verification)
    if error is not None:
        fail(backend, call, pi, pm, error.to_dict()["error"])
        error.objects[OBJECT] = render(pi, call.version)
        raise error
    mandate = _existing_mandate(backend, pi, values)
    if mandate is None:
        mandate = _new_mandate(backend, pi, pm)
    pi.mandate = mandate.id
    if pm.financial_connections_account is None and not pm.verified:
        now = backend.clock.timestamp()
        pi.status = "requires_action"
        pi.microdeposit_attempts = 0
        pi.microdeposits_sent = now
        pi.next_action = setup_intents.microdeposits_action(call, now, pi.id)
        backend.timers.at(now + setup_intents.MICRODEPOSIT_DAYS * setup_intents.DAY,
                          functools.partial(_time_out, backend, pi.id, now), f"{pi.id}: microdeposits time out")
        emit_intent(backend, call, "payment_intent.requires_action", pi)
        return
    _process(backend, call, pi, pm)


def _new_mandate(backend: Backend, pi: PaymentIntent, pm: PaymentMethod) -> Mandate:
    assert pi.mandate_data is not None
    acceptance = pi.mandate_data["customer_acceptance"]
    rendered: dict[str, Any] = {"accepted_at": acceptance.get("accepted_at", backend.clock.timestamp()),
                                "type": acceptance["type"]}
    rendered[acceptance["type"]] = dict(acceptance.get(acceptance["type"]) or {})
    options = pi.payment_method_options["us_bank_account"]
    mandate = Mandate(id=backend.ids.new("mandate"), payment_method=pm.id, acceptance=rendered,
                      collection_method=(options.get("mandate_options") or {}).get("collection_method"),
                      customer=pi.customer,
                      single_use=None if future_usage(pi) else {"amount": pi.amount, "currency": pi.currency})
    setup_intents.mandates(backend).put(mandate.id, mandate)
    return mandate


def _bank_details(backend: Backend, pm: PaymentMethod, mandate: str | None, version: ApiVersion) -> dict[str, Any]:
    bank = payment_methods.render(backend, pm, version)["us_bank_account"]
    return {"account_holder_type": bank["account_holder_type"], "account_type": bank["account_type"],
            "bank_name": bank["bank_name"], "fingerprint": bank["fingerprint"], "last4": bank["last4"],
            "mandate": mandate, "payment_reference": None, "routing_number": bank["routing_number"]}


def _process(backend: Backend, call: Call, pi: PaymentIntent, pm: PaymentMethod) -> None:
    """The debit is sent: `processing`, a pending charge, and its settlement on the namespace clock."""
    now = backend.clock.timestamp()
    behaviour = pm.debit_behaviour()
    pm.next_debit = None  # the test helper's outcome is used once
    charge = Charge(
        id=backend.ids.new(charges.PREFIX), created=now, amount=pi.amount, currency=pi.currency,
        customer=pi.customer, description=pi.description, payment_intent=pi.id, payment_method=pm.id,
        billing_details=copy.deepcopy(pm.billing_details), bank=_bank_details(backend, pm, pi.mandate, call.version),
        statement_descriptor=pi.statement_descriptor, metadata=dict(pi.metadata), behaviour=behaviour,
    )
    charges.table(backend).put(charge.id, charge)
    pi.latest_charge = charge.id
    pi.status = "processing"
    pi.next_action = None
    pi.last_payment_error = None
    pi.microdeposits_sent = None
    if pi.customer is not None and future_usage(pi) is not None:
        payment_methods.attach_to(backend, call, pm, pi.customer)
    charges.emit_charge(backend, call, "charge.pending", charge)
    emit_intent(backend, call, "payment_intent.processing", pi)
    if behaviour != ach_numbers.PROCESSING:  # Stripe's 000000000009 stays processing
        backend.timers.at(now + SETTLEMENT_SECONDS, functools.partial(_settle, backend, pi.id, charge.id),
                          f"{pi.id}: the debit settles")


# Timer actions are module-level functions over plain arguments, never closures (a snapshot keeps them).

@saved
def _settle(backend: Backend, pi_id: str, charge_id: str, _: float) -> None:
    pi = table(backend).get(pi_id)
    charge = charges.table(backend).get(charge_id)
    if pi is None or charge is None or pi.status != "processing" or pi.latest_charge != charge_id:
        return
    call = backend.automatic()
    pm = payment_methods.get(backend, charge.payment_method)
    behaviour = charge.behaviour or pm.debit_behaviour()  # a charge saved before it remembered its behaviour
    failure = ach_numbers.FAILURES.get(behaviour)
    if failure is not None:
        code, message = failure
        charge.status, charge.failure_code, charge.failure_message = "failed", code, message
        charges.emit_charge(backend, call, "charge.failed", charge)
        fail(backend, call, pi, pm, {"charge": charge.id, "code": code, "message": message,
                                      "payment_method_type": "us_bank_account", "type": "invalid_request_error"})
        block = ach_numbers.BLOCKS.get(behaviour)
        if block is not None:
            for blocked in payment_methods.block(backend, pm, *block):
                setup_intents.deactivate_mandates(backend, call, blocked.id)
        return
    charge.status = "succeeded"
    pi.status = "succeeded"
    pi.amount_received = pi.amount
    charges.emit_charge(backend, call, "charge.succeeded", charge)
    emit_intent(backend, call, "payment_intent.succeeded", pi)
    if behaviour == ach_numbers.DISPUTE:
        charges.open_dispute(backend, call, charge)


@saved
def _time_out(backend: Backend, pi_id: str, sent: int, _: float) -> None:
    """Microdeposits still unverified 10 days after they were issued (facts §4)."""
    pi = table(backend).get(pi_id)
    if pi is None or pi.status != "requires_action" or pi.microdeposits_sent != sent or pi.payment_method is None:
        return
    pm = payment_methods.get(backend, pi.payment_method)
    _end_verification(backend, backend.automatic(), pi, pm, setup_intents.TIMED_OUT)


def _end_verification(backend: Backend, call: Call, pi: PaymentIntent, pm: PaymentMethod, code: str) -> StripeError:
    pm.verification_failure = code
    error = InvalidRequestError(setup_intents.MESSAGES[code], code=code)
    fail(backend, call, pi, pm, error.to_dict()["error"])
    return error


def fail(backend: Backend, call: Call, pi: PaymentIntent, pm: PaymentMethod, error: dict[str, Any]) -> None:
    pi.status = "requires_payment_method"
    pi.next_action = None
    pi.microdeposits_sent = None
    pi.last_payment_error = {**error, "payment_method": payment_methods.render(backend, pm, call.version)}
    pi.payment_method = None
    emit_intent(backend, call, "payment_intent.payment_failed", pi)


def cancel(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    pi = get(backend, id)
    if pi.status not in CANCELLABLE:
        raise unexpected(pi, "cancel")
    if pi.status == "processing" and pi.latest_charge is not None:
        charge = charges.get(backend, pi.latest_charge)
        charge.status, charge.failure_message = "failed", "The payment was canceled before it settled."
        charges.emit_charge(backend, call, "charge.failed", charge)
    if pi.status == "requires_capture" and pi.latest_charge is not None:  # the hold released: refunded, as Stripe
        charge = charges.get(backend, pi.latest_charge)
        charge.amount_refunded = charge.amount
        charges.emit_charge(backend, call, "charge.refunded", charge)
        pi.amount_capturable = 0
    pi.status = "canceled"
    pi.next_action = None
    pi.canceled_at = backend.clock.timestamp()
    pi.cancellation_reason = values.get("cancellation_reason")
    emit_intent(backend, call, "payment_intent.canceled", pi)
    return render(pi, call.version)


SEARCH_FIELDS = {"amount": search.NUMERIC, "created": search.NUMERIC, "currency": search.STRING,
                 "customer": search.STRING, "metadata": search.METADATA, "status": search.STRING}
"""The query fields Stripe indexes for PaymentIntents (https://docs.stripe.com/search#query-fields-for-payment-intents)."""
SEARCH = charges.SEARCH


def search_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/payment_intents/search`."""
    query = search.parse(values["query"], SEARCH_FIELDS, "payment_intents")

    def value_of(pi: PaymentIntent, field: str, key: str | None) -> Any:
        return pi.metadata.get(key or "") if field == "metadata" else getattr(pi, field)

    return search.results(table(backend).newest_first(), query, values.get("page"), values.get("limit", 10),
                          value_of=value_of, render=lambda pi: render(pi, call.version),
                          url="/v1/payment_intents/search")


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    customer = values.get("customer")
    account = values.get("customer_account")
    created = created_filter(values["created"]) if "created" in values else None

    def where(pi: PaymentIntent) -> bool:
        if customer is not None and pi.customer != customer:
            return False
        if account is not None and pi.as_sent.get("customer_account") != account:
            return False
        return created is None or created(pi.created)

    return page(table(backend), values, url="/v1/payment_intents", noun=NOUN,
                render=lambda pi: render(pi, call.version), where=where)


def verify_microdeposits(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    pi = get(backend, id)
    action = pi.next_action or {}
    if pi.status != "requires_action" or action.get("type") != "verify_with_microdeposits":
        raise unexpected(pi, "verify microdeposits for")
    verdict, pi.microdeposit_attempts, mismatch = setup_intents.microdeposit_verdict(values, pi.microdeposit_attempts)
    if mismatch is not None:
        raise mismatch
    pm = payment_methods.get(backend, pi.payment_method or "")
    if verdict != setup_intents.VERIFIED:
        raise _end_verification(backend, call, pi, pm, str(verdict))
    pm.verified = True
    _process(backend, call, pi, pm)
    return render(pi, call.version)

declare(TABLE, PaymentIntent)
