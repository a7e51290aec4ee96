"""SetupIntents for `us_bank_account` (source document §5) and the Mandates they create.

Status machine: created with a payment method (`payment_method` or `payment_method_data`) -> `requires_confirmation`;
without -> `requires_payment_method`. Confirming (or `confirm=true`) with a Financial Connections account ->
`succeeded`; an inbound (debit) setup needs `mandate_data` and creates a multi-use Mandate; an outbound-only setup
(payouts) needs none. A blocked payment method fails the confirmation (`payment_method_bank_account_blocked`,
`setup_intent.setup_failed`).

Manual bank details verify by microdeposits (https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment,
"Test"; facts §4): `requires_action` with `verify_with_microdeposits` (`microdeposit_type` `amounts`: what the
emulator sends; in test mode the descriptor code verifies too, as Stripe's test table lists both for every case),
then `POST …/verify_microdeposits`:

- 32 and 45, or `SM11AA`: verified, `succeeded`;
- 10 and 11, or `SM33CC`: the verification attempts are exceeded
  (`payment_method_microdeposit_verification_attempts_exceeded`);
- 40 and 41, or `SM44DD`: the microdeposits timed out (`payment_method_microdeposit_verification_timeout`);
- other values are a mismatch, refused with the intent unchanged — up to the 10th failed attempt, which exceeds the
  attempts like `SM33CC`.

The terminal cases fail the setup as Stripe's flow does: the intent goes back to `requires_payment_method` with
`last_setup_error`, `setup_intent.setup_failed` is sent, and the payment method can no longer be verified or reused
(a later confirmation with it fails with the same code). So does not verifying within 10 days of the confirmation
(a timer on the namespace clock), and so does account number `000666666661` at confirmation: its microdeposits
cannot be sent (`payment_method_microdeposit_failed`).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

from emulator.core import messages
from emulator.core.backend import Backend, Call, emit
from emulator.core.errors import InvalidRequestError, ResourceMissingError, StripeError, missing
from emulator.core.listing import LIST_FIELDS, created_filter, page
from emulator.core.snapshot import saved
from emulator.core.spec import (
    UNSET,
    Array,
    Boolean,
    Choice,
    Field,
    Hash,
    Integer,
    Metadata,
    Range,
    Rejected,
    String,
    Url,
    apply_metadata,
    params,
)
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion, Feature
from emulator.resources import customers
from emulator.resources.payments import ach_numbers, cards, payment_methods
from emulator.resources.payments.payment_methods import PaymentMethod
from emulator.resources.request_params import (
    GENERIC_TYPES,
    PaymentMethodType,
    enum_of,
    keep,
    no_confirmation_token,
    sent,
)

OBJECT = "setup_intent"
NOUN = "setupintent"
PREFIX = "seti"
TABLE = "setup_intents"
MANDATES = "mandates"
MICRODEPOSIT_AMOUNTS = [32, 45]
MICRODEPOSIT_DESCRIPTOR = "SM11AA"
MICRODEPOSIT_ATTEMPTS = 10
MICRODEPOSIT_DAYS = 10
"""Microdeposits not verified this many days after the confirmation time out (facts §4)."""
ATTEMPTS_EXCEEDED = "payment_method_microdeposit_verification_attempts_exceeded"
TIMED_OUT = "payment_method_microdeposit_verification_timeout"
MICRODEPOSITS_FAILED = "payment_method_microdeposit_failed"
TEST_OUTCOMES: dict[tuple[int, ...] | str, str] = {
    (10, 11): ATTEMPTS_EXCEEDED, "SM33CC": ATTEMPTS_EXCEEDED,
    (40, 41): TIMED_OUT, "SM44DD": TIMED_OUT,
}
"""Stripe's test values that end a verification (facts §4); amounts in ascending order."""
MESSAGES = {
    ATTEMPTS_EXCEEDED: "You have exceeded the number of allowed verification attempts.",
    TIMED_OUT: "The microdeposits were not verified in time: this bank account can no longer be verified.",
    MICRODEPOSITS_FAILED: "The microdeposits could not be sent to this bank account.",
}
DAY = 24 * 60 * 60

PMT_REMOVED = Rejected(
    Feature.PAYMENT_METHOD_TYPES_REMOVED,
    "payment_method_types_no_longer_supported",
    "The `payment_method_types` parameter is no longer supported in this API version. Use "
    "`allowed_payment_method_types` instead.",
)
TYPES = Array(PaymentMethodType(generic=tuple(GENERIC_TYPES)))
"""The types a SetupIntent takes: us_bank_account, and card with the generic surface on (`cards.py`)."""
MANDATE_DATA = Hash(
    {
        "customer_acceptance": Field(
            Hash(
                {
                    "type": Field(Choice(("offline", "online")), required=True),
                    "accepted_at": Field(Integer(minimum=0)),
                    "online": Field(Hash({"ip_address": Field(String(), required=True),
                                          "user_agent": Field(String(), required=True)})),
                    "offline": Field(Hash({})),
                }
            ),
            required=True,
        )
    }
)
PM_OPTIONS = Hash(
    {
        "us_bank_account": Field(
            Hash(
                {
                    "verification_method": Field(Choice(("automatic", "instant", "microdeposits"))),
                    "financial_connections": Field(
                        Hash(
                            {
                                "permissions": Field(Array(Choice(("balances", "ownership", "payment_method",
                                                                   "transactions")))),
                                "prefetch": Field(Array(Choice(
                                    ("balances", "inferred_balances", "ownership", "transactions"),
                                    gated={"inferred_balances": Feature.SDK_PREVIEW_PARAMS}))),
                                "return_url": Field(Url()),
                                "filters": Field(Hash({"account_subcategories": Field(
                                    Array(Choice(("checking", "savings"))))})),
                            }
                        )
                    ),
                    "mandate_options": Field(Hash({"collection_method": Field(Choice(("paper",), unsettable=True))})),
                    "networks": Field(Hash({"requested": Field(Array(Choice(("ach", "us_domestic_wire"))))})),
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
}
EXCLUDED = Field(Array(enum_of("POST /v1/setup_intents", "excluded_payment_method_types", "[]"), unsettable=True))
"""Types not to use: any type Stripe lets an intent exclude (only us_bank_account is ever used here)."""
CREATE = params(
    {
        **_COMMON,
        "excluded_payment_method_types": EXCLUDED,
        "customer": Field(String()),
        "description": Field(String(max_length=1000)),
        "metadata": Field(Metadata()),
        "confirm": Field(Boolean()),
        "flow_directions": Field(Array(Choice(("inbound", "outbound")))),
        "usage": Field(Choice(("off_session", "on_session"))),
        "mandate_data": Field(MANDATE_DATA),
        "return_url": Field(Url()),
        "attach_to_self": Field(Boolean()),
        "on_behalf_of": Field(String()),
        "automatic_payment_methods": Field(Hash({"enabled": Field(Boolean(), required=True),
                                                 "allow_redirects": Field(Choice(("always", "never")))})),
        "use_stripe_sdk": Field(Boolean()),
    }
)
UPDATE = params(
    {
        **_COMMON,
        "excluded_payment_method_types": EXCLUDED,
        "customer": Field(String()),
        "description": Field(String(max_length=1000, unsettable=True)),
        "metadata": Field(Metadata()),
        "flow_directions": Field(Array(Choice(("inbound", "outbound")), unsettable=True)),
    }
)
CONFIRM = params(
    {
        **_COMMON,
        "mandate_data": Field(MANDATE_DATA),
        "return_url": Field(Url()),
        "use_stripe_sdk": Field(Boolean()),
    }
)
CANCEL = params({"cancellation_reason": Field(Choice(("abandoned", "duplicate", "requested_by_customer")))})
RETRIEVE = params({"client_secret": Field(String())})
LIST = params({**LIST_FIELDS, "customer": Field(String()), "payment_method": Field(String()),
               "created": Field(Range()), "attach_to_self": Field(Boolean())})
VERIFY = params({"amounts": Field(Array(Integer(), max_items=2)), "descriptor_code": Field(String())})
MANDATE = params({})
LIST_MANDATES = params({**LIST_FIELDS, "payment_method": Field(String(), required=True),
                        "status": Field(Choice(("active", "inactive", "pending")), required=True),
                        "on_behalf_of": Field(String())})
"""`on_behalf_of`: the emulator's mandates are never made on behalf of a connected account: naming one lists
none."""


@saved
@dataclass
class Mandate:
    id: str
    payment_method: str
    acceptance: dict[str, Any]
    collection_method: str | None = None
    customer: str | None = None
    status: str = "active"
    """`inactive` once its payment method is detached from the customer, or its bank account blocked by a return
    (`mandate.updated`)."""
    single_use: dict[str, Any] | None = None
    """`{amount, currency}` for the single-use mandate of one PaymentIntent (no `setup_future_usage`)."""

    @saved
    def render(self, version: ApiVersion | None = None) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if self.collection_method is not None:
            details["collection_method"] = self.collection_method
        return {
            "id": self.id,
            "object": "mandate",
            "customer_acceptance": copy.deepcopy(self.acceptance),
            "livemode": False,
            **({"multi_use": {}} if self.single_use is None else {"single_use": dict(self.single_use)}),
            "payment_method": self.payment_method,
            "payment_method_details": {"type": "us_bank_account", "us_bank_account": details},
            "status": self.status,
            "type": "multi_use" if self.single_use is None else "single_use",
        }


@saved
@dataclass
class SetupIntent:
    id: str
    created: int
    client_secret: str
    customer: str | None
    description: str | None
    usage: str
    flow_directions: list[str] | None
    allowed_payment_method_types: list[str] | None
    payment_method_options: dict[str, Any]
    attach_to_self: bool
    on_behalf_of: str | None
    metadata: dict[str, str] = field(default_factory=dict)
    payment_method: str | None = None
    status: str = "requires_payment_method"
    mandate: str | None = None
    mandate_data: dict[str, Any] | None = None
    next_action: dict[str, Any] | None = None
    last_setup_error: dict[str, Any] | None = None
    cancellation_reason: str | None = None
    latest_attempt: str | None = None
    microdeposit_attempts: int = 0
    microdeposits_sent: int | None = None
    """When the microdeposits of the current `verify_with_microdeposits` were issued (its timeout counts from it)."""
    as_sent: dict[str, Any] = field(default_factory=dict)
    """The parameters rendered as they were sent (AS_SENT)."""
    payment_method_types: list[str] | None = None
    """The types `payment_method_types` or `allowed_payment_method_types` named, or `["card"]` once a card is its
    payment method (generic surface); None: us_bank_account, the emulator's type."""


AS_SENT = ("automatic_payment_methods", "customer_account", "excluded_payment_method_types",
           "payment_method_configuration", "single_use")
"""Parameters a SetupIntent keeps and shows as sent, with no behaviour behind them here (README: "Accepted, stored,
no behaviour"): the emulator's only payment method type is us_bank_account whatever they say."""


@saved
def render(si: SetupIntent, version: ApiVersion) -> dict[str, Any]:
    rendered: dict[str, Any] = {
        "id": si.id,
        "object": OBJECT,
        "application": None,
        "automatic_payment_methods": sent(si.as_sent, "automatic_payment_methods"),
        "cancellation_reason": si.cancellation_reason,
        "client_secret": si.client_secret,
        "created": si.created,
        "customer": si.customer,
        "customer_account": sent(si.as_sent, "customer_account"),
        "description": si.description,
        "excluded_payment_method_types": sent(si.as_sent, "excluded_payment_method_types"),
        "flow_directions": None if si.flow_directions is None else list(si.flow_directions),
        "last_setup_error": copy.deepcopy(si.last_setup_error),
        "latest_attempt": si.latest_attempt,
        "livemode": False,
        "mandate": si.mandate,
        "metadata": dict(si.metadata),
        "next_action": copy.deepcopy(si.next_action),
        "on_behalf_of": si.on_behalf_of,
        "payment_method": si.payment_method,
        "payment_method_configuration_details": _configuration(si.as_sent),
        "payment_method_options": copy.deepcopy(si.payment_method_options),
        "payment_method_types": list(si.payment_method_types or ["us_bank_account"]),
        "single_use_mandate": si.mandate if "single_use" in si.as_sent else None,
        "status": si.status,
        "usage": si.usage,
    }
    if Feature.ALLOWED_PAYMENT_METHOD_TYPES.gate.enabled(version):
        rendered["allowed_payment_method_types"] = (
            None if si.allowed_payment_method_types is None else list(si.allowed_payment_method_types))
    if si.attach_to_self:
        rendered["attach_to_self"] = True
    return dict(sorted(rendered.items(), key=lambda item: (item[0] not in ("id", "object"), item[0])))


def _configuration(kept: dict[str, Any]) -> dict[str, Any] | None:
    """`payment_method_configuration_details` of an intent made with `payment_method_configuration` (no parent:
    the emulator has no platform configurations)."""
    configuration = kept.get("payment_method_configuration")
    return None if configuration is None else {"id": configuration, "parent": None}


def table(backend: Backend) -> Table[SetupIntent]:
    return backend.store.table(TABLE)


def mandates(backend: Backend) -> Table[Mandate]:
    return backend.store.table(MANDATES)


def get(backend: Backend, si_id: str, *, param: str | None = "intent") -> SetupIntent:
    found = table(backend).get(si_id)
    if found is None:
        raise ResourceMissingError(NOUN, si_id, param=param)
    return found


def lookup_mandate(backend: Backend, mandate_id: str, version: ApiVersion) -> dict[str, Any] | None:
    found = mandates(backend).get(mandate_id)
    return None if found is None else found.render(version)


def _emit(backend: Backend, call: Call, type: str, si: SetupIntent) -> None:
    frozen = backend.frozen(si.id, si)
    emit(backend, call, type, functools.partial(render, frozen))


def _types(values: dict[str, Any]) -> list[str] | None:
    if "allowed_payment_method_types" in values and "payment_method_types" in values:
        raise InvalidRequestError(
            messages.PARAMETERS_EXCLUSIVE.format(params="allowed_payment_method_types, payment_method_types"),
            code="parameters_exclusive", param="allowed_payment_method_types")
    found: list[str] | None = values.get("allowed_payment_method_types")
    return found


def _requested_types(values: dict[str, Any]) -> list[str] | None:
    found: list[str] | None = values.get("allowed_payment_method_types", values.get("payment_method_types"))
    return found


def _options(values: dict[str, Any]) -> dict[str, Any]:
    given = (values.get("payment_method_options") or {}).get("us_bank_account") or {}
    connections = given.get("financial_connections") or {}
    permissions = connections.get("permissions", ["payment_method"])
    if "payment_method" not in permissions:
        raise InvalidRequestError(
            "payment_method_options[us_bank_account][financial_connections][permissions] must include "
            "payment_method.",
            param="payment_method_options[us_bank_account][financial_connections][permissions]")
    options: dict[str, Any] = {
        "financial_connections": {"permissions": permissions, "prefetch": connections.get("prefetch", [])},
        "verification_method": given.get("verification_method", "automatic"),
    }
    if "return_url" in connections:
        options["financial_connections"]["return_url"] = connections["return_url"]
    if "filters" in connections:
        options["financial_connections"]["filters"] = connections["filters"]
    collection = (given.get("mandate_options") or {}).get("collection_method")
    if collection is not None and collection is not UNSET:
        options["mandate_options"] = {"collection_method": collection}
    return {"us_bank_account": options}


def types_with(pm: PaymentMethod, types: list[str] | None, intent: str) -> list[str] | None:
    """An intent's `payment_method_types` once `pm` is its payment method: a type they do not allow is a 400
    naming `payment_method`; a card makes types nobody named `["card"]` (None stands for us_bank_account)."""
    if types is not None and pm.type not in types:
        raise InvalidRequestError(
            f"The PaymentMethod {pm.id} is of type {pm.type}, which is not in this {intent}'s "
            f"payment_method_types ({', '.join(types)}).", param="payment_method")
    return ["card"] if pm.card is not None and types is None else types


def _set_payment_method(backend: Backend, call: Call, si: SetupIntent, values: dict[str, Any]) -> None:
    if "payment_method" in values and "payment_method_data" in values:
        raise InvalidRequestError(
            messages.PARAMETERS_EXCLUSIVE.format(params="payment_method, payment_method_data"),
            code="parameters_exclusive", param="payment_method_data")
    if "payment_method" in values:
        pm = payment_methods.resolve(backend, values["payment_method"], param="payment_method",
                                     generic=call.generic)
        if pm.customer is not None and si.customer is not None and pm.customer != si.customer:
            raise InvalidRequestError(f"The PaymentMethod {pm.id} belongs to another customer.",
                                      param="payment_method")
        si.payment_method_types = types_with(pm, si.payment_method_types, "SetupIntent")
        si.payment_method = pm.id
    elif "payment_method_data" in values:
        si.payment_method = payment_methods.create_from_data(backend, values["payment_method_data"], si.customer,
                                                             call.version).id
    if si.payment_method is not None and si.status == "requires_payment_method":
        si.status = "requires_confirmation"


def create(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    no_confirmation_token(values)
    customer = values.get("customer")
    if customer is not None:
        customers.get(backend, customer, param="customer")
    allowed = _types(values)
    intent_id = backend.ids.new(PREFIX)
    si = SetupIntent(
        id=intent_id,
        created=backend.clock.timestamp(),
        client_secret=f"{intent_id}_secret_{backend.ids.token(32)}",
        customer=customer,
        description=values.get("description"),
        usage=values.get("usage", "off_session"),
        flow_directions=values.get("flow_directions"),
        allowed_payment_method_types=allowed,
        payment_method_options=_options(values),
        attach_to_self=bool(values.get("attach_to_self", False)),
        on_behalf_of=values.get("on_behalf_of"),
        metadata=apply_metadata({}, values.get("metadata", {})),
        mandate_data=values.get("mandate_data"),
        payment_method_types=_requested_types(values),
    )
    keep(si.as_sent, values, AS_SENT)
    automatic = si.as_sent.get("automatic_payment_methods")
    if automatic is not None and automatic.get("enabled"):
        automatic.setdefault("allow_redirects", "always")  # Stripe's default
    if values.get("confirm"):
        _check_confirmable(backend, call, si, values)
    _set_payment_method(backend, call, si, values)  # validates before anything is stored
    table(backend).put(si.id, si)
    _emit(backend, call, "setup_intent.created", si)
    if values.get("confirm"):
        _confirm(backend, call, si, values)
    return render(si, call.version)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    return render(get(backend, id), call.version)


def update(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    si = get(backend, id)
    if si.status in ("succeeded", "canceled", "processing"):
        raise _unexpected(si, "update")
    if "customer" in values:
        customers.get(backend, values["customer"], param="customer")
        si.customer = values["customer"]
    if "allowed_payment_method_types" in values or "payment_method_types" in values:
        si.allowed_payment_method_types = _types(values)
        si.payment_method_types = _requested_types(values)
    if "payment_method_options" in values:
        si.payment_method_options = _options(values)
    _set_payment_method(backend, call, si, values)
    if "description" in values:
        si.description = None if values["description"] is UNSET else values["description"]
    if "flow_directions" in values:
        si.flow_directions = None if values["flow_directions"] is UNSET else values["flow_directions"]
    if "metadata" in values:
        si.metadata = apply_metadata(si.metadata, values["metadata"])
    if "attach_to_self" in values:
        si.attach_to_self = bool(values["attach_to_self"])
    keep(si.as_sent, values, AS_SENT)
    return render(si, call.version)


def confirm(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    no_confirmation_token(values)
    si = get(backend, id)
    if si.status not in ("requires_payment_method", "requires_confirmation", "requires_action"):
        raise _unexpected(si, "confirm")
    _check_confirmable(backend, call, si, values)
    if "payment_method_options" in values:
        si.payment_method_options = _options(values)
    if "allowed_payment_method_types" in values or "payment_method_types" in values:
        si.allowed_payment_method_types = _types(values)
        si.payment_method_types = _requested_types(values)
    _set_payment_method(backend, call, si, values)
    if "mandate_data" in values:
        si.mandate_data = values["mandate_data"]
    _confirm(backend, call, si, values)
    return render(si, call.version)


def _unexpected(si: SetupIntent, action: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"You cannot {action} this SetupIntent because it has a status of {si.status}.",
        code="setup_intent_unexpected_state", param=None)


def _check_confirmable(backend: Backend, call: Call, si: SetupIntent, values: dict[str, Any]) -> None:
    """Parameter problems of a confirmation: refused before anything changes. As Stripe orders them: an id naming
    nothing is `resource_missing` before any missing parameter. A card needs no mandate."""
    named = values.get("payment_method")
    card_test = named is not None and call.generic and cards.test_number(named, "pm_card_") is not None
    if named is not None and named not in ach_numbers.TOKENS and not card_test:  # a test id makes a PaymentMethod
        payment_methods.get(backend, named, param="payment_method")
    if si.payment_method is None and "payment_method" not in values and "payment_method_data" not in values:
        raise missing("payment_method")
    chosen = None if named is None else payment_methods.table(backend).get(named)
    if named is None and si.payment_method is not None:
        chosen = payment_methods.table(backend).get(si.payment_method)
    if card_test or (chosen is not None and chosen.card is not None):
        return
    inbound = si.flow_directions is None or "inbound" in si.flow_directions
    if inbound and values.get("mandate_data", si.mandate_data) is None:
        raise InvalidRequestError(
            "A mandate is required to set up a us_bank_account payment method for debits: pass mandate_data with "
            "the customer's acceptance (or flow_directions[]=outbound for payouts only).",
            code="parameter_missing", param="mandate_data")


def refusal(pm: PaymentMethod, blocked: str | None, verification: str) -> InvalidRequestError | None:
    """Why an intent (SetupIntent or PaymentIntent) cannot be confirmed with `pm`, or None: its bank account is
    blocked (`blocked`: the reason), its verification ended for good, instant verification of manual details, or
    Stripe's test account whose microdeposits cannot be sent (which ends its verification)."""
    if blocked is not None:  # an inactive or disconnected data connection alone does not block (facts §3)
        return InvalidRequestError(
            f"The bank account behind PaymentMethod {pm.id} is blocked ({blocked}); relink the Financial Connections "
            f"account or collect a new payment method.",
            code="payment_method_bank_account_blocked", param="payment_method")
    if pm.verification_failure is not None:  # facts §4: it can no longer be verified or reused
        return InvalidRequestError(f"PaymentMethod {pm.id} can no longer be verified: "
                                   f"{MESSAGES[pm.verification_failure]} Collect new bank details.",
                                   code=pm.verification_failure, param="payment_method")
    if pm.financial_connections_account is not None or pm.verified:
        return None
    if verification == "instant":
        return InvalidRequestError(
            "Instant verification needs a Financial Connections account; manual bank details verify by "
            "microdeposits.", code="payment_method_unexpected_state", param="payment_method_options")
    if pm.test_behaviour == ach_numbers.FAIL_MICRODEPOSITS:
        pm.verification_failure = MICRODEPOSITS_FAILED
        return InvalidRequestError(MESSAGES[MICRODEPOSITS_FAILED], code=MICRODEPOSITS_FAILED, param="payment_method")
    return None


def _confirm(backend: Backend, call: Call, si: SetupIntent, values: dict[str, Any]) -> None:
    _check_confirmable(backend, call, si, values)
    assert si.payment_method is not None
    pm = payment_methods.get(backend, si.payment_method)
    if pm.card is not None:  # a generic card sets up at once (`cards.py`)
        _succeed(backend, call, si, pm)
        return
    verification = si.payment_method_options["us_bank_account"]["verification_method"]
    error = refusal(pm, payment_methods.blocked_reason(backend, pm), verification)
    if error is not None:
        _fail(backend, call, si, pm, error)
        error.objects[OBJECT] = render(si, call.version)
        raise error
    if pm.financial_connections_account is None and not pm.verified:
        now = backend.clock.timestamp()
        si.status = "requires_action"
        si.microdeposit_attempts = 0
        si.microdeposits_sent = now
        backend.timers.at(now + MICRODEPOSIT_DAYS * DAY, functools.partial(_time_out, backend, si.id, now),
                          f"{si.id}: microdeposits time out")
        si.next_action = microdeposits_action(call, now, si.id)
        _emit(backend, call, "setup_intent.requires_action", si)
        return
    _succeed(backend, call, si, pm)


# Timer actions are module-level functions over plain arguments, never closures (a snapshot keeps them).

@saved
def _time_out(backend: Backend, si_id: str, sent: int, _: float) -> None:
    """Microdeposits still unverified 10 days after they were issued (facts §4)."""
    si = table(backend).get(si_id)
    if si is None or si.status != "requires_action" or si.microdeposits_sent != sent or si.payment_method is None:
        return
    pm = payment_methods.get(backend, si.payment_method)
    _end_verification(backend, backend.automatic(), si, pm, TIMED_OUT)


def _end_verification(backend: Backend, call: Call, si: SetupIntent, pm: PaymentMethod, code: str) -> StripeError:
    """A verification over for good: the setup fails and the payment method cannot be verified or reused."""
    pm.verification_failure = code
    error = InvalidRequestError(MESSAGES[code], code=code)
    _fail(backend, call, si, pm, error)
    return error


def _fail(backend: Backend, call: Call, si: SetupIntent, pm: PaymentMethod, error: StripeError) -> None:
    si.status = "requires_payment_method"
    si.next_action = None
    si.microdeposits_sent = None
    si.last_setup_error = {**error.to_dict()["error"],
                           "payment_method": payment_methods.render(backend, pm, call.version)}
    si.payment_method = None
    _emit(backend, call, "setup_intent.setup_failed", si)


def _succeed(backend: Backend, call: Call, si: SetupIntent, pm: PaymentMethod) -> None:
    if si.mandate_data is not None and (si.flow_directions is None or "inbound" in si.flow_directions) \
            and pm.card is None:
        acceptance = si.mandate_data["customer_acceptance"]
        rendered: dict[str, Any] = {"accepted_at": acceptance.get("accepted_at", backend.clock.timestamp()),
                                    "type": acceptance["type"]}
        rendered[acceptance["type"]] = dict(acceptance.get(acceptance["type"]) or {})
        options = si.payment_method_options["us_bank_account"]
        single_use = si.as_sent.get("single_use")
        mandate = Mandate(id=backend.ids.new("mandate"), payment_method=pm.id, acceptance=rendered,
                          collection_method=(options.get("mandate_options") or {}).get("collection_method"),
                          customer=si.customer,
                          single_use=None if single_use is None else {"amount": single_use["amount"],
                                                                     "currency": single_use["currency"]})
        mandates(backend).put(mandate.id, mandate)
        si.mandate = mandate.id
    si.status = "succeeded"
    si.next_action = None
    si.last_setup_error = None
    si.latest_attempt = backend.ids.new("setatt")
    if si.customer is not None and not si.attach_to_self:
        payment_methods.attach_to(backend, call, pm, si.customer)
    _emit(backend, call, "setup_intent.succeeded", si)


def cancel(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    si = get(backend, id)
    if si.status in ("succeeded", "canceled", "processing"):
        raise _unexpected(si, "cancel")
    si.status = "canceled"
    si.next_action = None
    si.cancellation_reason = values.get("cancellation_reason")
    _emit(backend, call, "setup_intent.canceled", si)
    return render(si, call.version)


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    customer = values.get("customer")
    payment_method = values.get("payment_method")
    account = values.get("customer_account")
    created = created_filter(values["created"]) if "created" in values else None

    def where(si: SetupIntent) -> bool:
        if customer is not None and si.customer != customer:
            return False
        if account is not None and si.as_sent.get("customer_account") != account:
            return False
        if payment_method is not None and si.payment_method != payment_method:
            return False
        return created is None or created(si.created)

    return page(table(backend), values, url="/v1/setup_intents", noun=NOUN,
                render=lambda si: render(si, call.version), where=where)


VERIFIED = "verified"


def microdeposit_verdict(values: dict[str, Any], attempts: int) -> tuple[str | None, int, StripeError | None]:
    """Judge one `verify_microdeposits` request (SetupIntents and PaymentIntents alike): returns the verdict —
    `VERIFIED`, a terminal error code (facts §4), or None for a mismatch — the failed attempts so far, and the
    mismatch's error. Malformed requests raise and count as no attempt."""
    if "amounts" in values and "descriptor_code" in values:
        raise InvalidRequestError(messages.PARAMETERS_EXCLUSIVE.format(params="amounts, descriptor_code"),
                                  code="parameters_exclusive", param="amounts")
    if "amounts" not in values and "descriptor_code" not in values:
        raise missing("amounts")
    if "amounts" in values and len(values["amounts"]) != 2:  # malformed: not an attempt
        raise InvalidRequestError("Two amounts are required.",
                                  code="payment_method_microdeposit_verification_amounts_invalid", param="amounts")
    given: tuple[int, ...] | str = (tuple(sorted(values["amounts"])) if "amounts" in values
                                    else values["descriptor_code"])
    terminal = TEST_OUTCOMES.get(given)
    if terminal is not None:
        return terminal, attempts, None
    if given in (tuple(MICRODEPOSIT_AMOUNTS), MICRODEPOSIT_DESCRIPTOR):
        return VERIFIED, attempts, None
    attempts += 1
    if attempts >= MICRODEPOSIT_ATTEMPTS:
        return ATTEMPTS_EXCEEDED, attempts, None
    if "amounts" in values:
        return None, attempts, InvalidRequestError(
            "The amounts provided do not match the amounts that were sent to the bank account.",
            code="payment_method_microdeposit_verification_amounts_mismatch", param="amounts")
    return None, attempts, InvalidRequestError(
        "The descriptor code provided does not match the one sent to the bank account.",
        code="payment_method_microdeposit_verification_descriptor_code_mismatch", param="descriptor_code")


def microdeposits_action(call: Call, now: int, path: str) -> dict[str, Any]:
    """The `verify_with_microdeposits` next action of an intent whose microdeposits were just sent."""
    return {
        "type": "verify_with_microdeposits",
        "verify_with_microdeposits": {
            "arrival_date": now + 2 * DAY,
            "hosted_verification_url": f"{call.base_url}/hosted/microdeposits/{path}",
            "microdeposit_type": "amounts",
        },
    }


def verify_microdeposits(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    si = get(backend, id)
    action = si.next_action or {}
    if si.status != "requires_action" or action.get("type") != "verify_with_microdeposits":
        raise _unexpected(si, "verify microdeposits for")
    verdict, si.microdeposit_attempts, mismatch = microdeposit_verdict(values, si.microdeposit_attempts)
    if mismatch is not None:
        raise mismatch
    pm = payment_methods.get(backend, si.payment_method or "")
    if verdict != VERIFIED:
        raise _end_verification(backend, call, si, pm, str(verdict))
    pm.verified = True
    _succeed(backend, call, si, pm)
    return render(si, call.version)


def retrieve_mandate(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    found = lookup_mandate(backend, id, call.version)
    if found is None:
        raise ResourceMissingError("mandate", id, param="mandate")
    return found


def list_mandates(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/mandates` (preview): a payment method's mandates of one status, newest first."""
    payment_method = values["payment_method"]
    payment_methods.get(backend, payment_method, param="payment_method")
    status = values["status"]
    return page(mandates(backend), values, url="/v1/mandates", noun="mandate",
                render=lambda m: m.render(call.version),
                where=lambda m: m.payment_method == payment_method and m.status == status
                and (values.get("on_behalf_of") is None))


def active_mandate(backend: Backend, payment_method: str) -> Mandate | None:
    """The newest active multi-use mandate of a payment method (what an off-session debit runs under)."""
    found = [m for m in mandates(backend).values() if m.payment_method == payment_method and m.status == "active"
             and m.single_use is None]
    return found[-1] if found else None


def deactivate_mandates(backend: Backend, call: Call, payment_method: str) -> None:
    """A payment method detached from its customer (or whose bank account a return blocked) can no longer be
    debited under its mandates."""
    for mandate in mandates(backend).values():
        if mandate.payment_method == payment_method and mandate.status == "active":
            mandate.status = "inactive"
            frozen = backend.frozen(mandate.id, mandate)
            emit(backend, call, "mandate.updated", frozen.render, {"status": "active"})

declare(TABLE, SetupIntent)
declare(MANDATES, Mandate)
