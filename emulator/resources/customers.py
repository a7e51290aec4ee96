"""Customers: create, retrieve, update, delete, list (with `email`), and their events."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from emulator.core import search
from emulator.core.backend import Backend, Call, emit, shallow
from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.form import copy_data
from emulator.core.listing import LIST_FIELDS, created_filter, page
from emulator.core.snapshot import saved
from emulator.core.spec import (
    UNSET,
    Array,
    Boolean,
    Choice,
    Email,
    Field,
    Hash,
    Integer,
    Metadata,
    Range,
    String,
    apply_metadata,
    params,
)
from emulator.core.store import Table, declare
from emulator.core.versions import ApiVersion, Feature
from emulator.resources import generic

OBJECT = "customer"
NOUN = "customer"
PREFIX = "cus"
TABLE = "customers"
URL = "/v1/customers"

ADDRESS = Hash(
    {
        key: Field(String(max_length=5000))
        for key in ("city", "country", "line1", "line2", "postal_code", "state")
    },
    unsettable=True,
)
SHIPPING = Hash(
    {
        "address": Field(Hash({k: Field(String()) for k in ADDRESS.fields}), required=True),
        "name": Field(String(max_length=5000), required=True),
        "phone": Field(String(max_length=5000)),
    },
    unsettable=True,
)
_WRITABLE = {
    "address": Field(ADDRESS),
    "balance": Field(Integer()),
    "description": Field(String(max_length=350, unsettable=True)),
    "email": Field(Email(unsettable=True)),
    "metadata": Field(Metadata()),
    "name": Field(String(max_length=256, unsettable=True)),
    "phone": Field(String(max_length=20, unsettable=True)),
    "preferred_locales": Field(Array(String(max_length=5000), unsettable=True)),
    "shipping": Field(SHIPPING),
    "tax_exempt": Field(Choice(("exempt", "none", "reverse"), unsettable=True)),
    "business_name": Field(String(max_length=150, unsettable=True), feature=Feature.CUSTOMER_NAMES),
    "individual_name": Field(String(max_length=150, unsettable=True), feature=Feature.CUSTOMER_NAMES),
    "invoice_prefix": Field(String(max_length=12)),
    "next_invoice_sequence": Field(Integer(minimum=1, maximum=1_000_000_000)),
    "validate": Field(Boolean()),
    "coupon": Field(String(max_length=5000, unsettable=True), until=Feature.SINGULAR_COUPON_REMOVED),
    "promotion_code": Field(String(max_length=5000, unsettable=True), until=Feature.SINGULAR_COUPON_REMOVED),
}
INVOICE_PREFIX = re.compile(r"[A-Z0-9]{3,12}")
"""Stripe's rule for a customer's invoice prefix: 3 to 12 uppercase letters or numbers."""
INVOICE_SETTINGS = Hash(
    {
        "custom_fields": Field(Array(Hash({"name": Field(String(max_length=40), required=True),
                                            "value": Field(String(max_length=140), required=True)}),
                                     max_items=4, unsettable=True)),
        "default_payment_method": Field(String(max_length=5000, unsettable=True)),
        "footer": Field(String(max_length=5000, unsettable=True)),
        "rendering_options": Field(Hash(
            {"amount_tax_display": Field(Choice(("exclude_tax", "include_inclusive_tax"), unsettable=True)),
             "template": Field(String(max_length=5000))}, unsettable=True)),
    }
)
_WRITABLE["invoice_settings"] = Field(INVOICE_SETTINGS)
CREATE = params({**_WRITABLE, "payment_method": Field(String(max_length=5000))})
UPDATE = params(_WRITABLE)
RETRIEVE = params({})
DELETE = params({}, expand=False)
LIST = params({**LIST_FIELDS, "email": Field(String(max_length=512)), "created": Field(Range())})
SEARCH = params({"query": Field(String(max_length=5000), required=True), "limit": LIST_FIELDS["limit"],
                 "page": Field(String(max_length=5000))})
SEARCH_FIELDS = {"created": search.NUMERIC, "email": search.STRING, "metadata": search.METADATA,
                 "name": search.STRING, "phone": search.STRING}
"""The query fields Stripe indexes for customers (https://docs.stripe.com/search#query-fields-for-customers)."""

_FIELDS = ("address", "balance", "description", "email", "metadata", "name", "phone", "preferred_locales",
           "shipping", "tax_exempt", "business_name", "individual_name", "invoice_prefix", "next_invoice_sequence",
           "test_clock")
"""What a create or update stores (`validate` asks Stripe to validate the customer's tax location: accepted, no
behaviour here)."""
_FIELD_SET = frozenset(_FIELDS)


@saved
@dataclass
class Customer:
    id: str
    created: int
    invoice_prefix: str
    address: dict[str, Any] | None = None
    balance: int = 0
    description: str | None = None
    email: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    phone: str | None = None
    preferred_locales: list[str] = field(default_factory=list)
    shipping: dict[str, Any] | None = None
    tax_exempt: str = "none"
    deleted: bool = False
    invoice_settings: dict[str, Any] = field(default_factory=dict)
    """`custom_fields`, `default_payment_method`, `footer`, `rendering_options` as given (absent: null)."""
    business_name: str | None = None
    individual_name: str | None = None
    next_invoice_sequence: int = 1
    test_clock: str | None = None
    """As sent on create (the emulator has no test clocks: each namespace has its own clock, `/_emulator/clock`)."""
    default_source: str | None = None
    """The customer's default card source (`payments/sources.py`: generic surface only)."""
    discount: dict[str, Any] | None = None
    """The discount a coupon applied (`coupon`, before 2025-03-31.basil; the coupon as it was then)."""

    @saved
    def render(self, version: ApiVersion | None = None) -> dict[str, Any]:
        settings = self.invoice_settings
        rendered = {
            "id": self.id,
            "object": OBJECT,
            "address": None if self.address is None else _address(self.address),
            "balance": self.balance,
            "business_name": self.business_name,
            "created": self.created,
            "currency": None,
            "default_source": self.default_source,
            "delinquent": False,
            "description": self.description,
            "discount": None if self.discount is None else render_discount(self.discount, version),
            "email": self.email,
            "individual_name": self.individual_name,
            "invoice_prefix": self.invoice_prefix,
            "invoice_settings": {key: copy_data(settings.get(key)) for key in _INVOICE_SETTINGS} if settings else
            dict.fromkeys(_INVOICE_SETTINGS),
            "livemode": False,
            "metadata": dict(self.metadata),
            "name": self.name,
            "next_invoice_sequence": self.next_invoice_sequence,
            "phone": self.phone,
            "preferred_locales": list(self.preferred_locales),
            "shipping": None if self.shipping is None else _shipping(self.shipping),
            "tax_exempt": self.tax_exempt,
            "test_clock": self.test_clock,
        }
        if version is not None and not Feature.CUSTOMER_NAMES.gate.enabled(version):  # 2025-09-30.clover on
            del rendered["business_name"], rendered["individual_name"]
        return rendered

    def snapshot(self) -> Customer:
        """A copy no later change reaches (what an event renders): its containers copied, its values immutable."""
        frozen = shallow(self)
        frozen.metadata, frozen.preferred_locales = dict(self.metadata), list(self.preferred_locales)
        frozen.invoice_settings = copy_data(self.invoice_settings) if self.invoice_settings else {}
        if self.address is not None:  # (most are None: no call for them)
            frozen.address = copy_data(self.address)
        if self.shipping is not None:
            frozen.shipping = copy_data(self.shipping)
        if self.discount is not None:
            frozen.discount = copy_data(self.discount)
        return frozen


_INVOICE_SETTINGS = ("custom_fields", "default_payment_method", "footer", "rendering_options")


def _address(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {key: value.get(key) for key in ("city", "country", "line1", "line2", "postal_code", "state")}


def _shipping(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"address": _address(value.get("address", {})), "name": value.get("name"), "phone": value.get("phone")}


def table(backend: Backend) -> Table[Customer]:
    return backend.store.table(TABLE)


def _assign(customer: Customer, values: dict[str, Any]) -> None:
    """Apply validated values; everything that can fail is computed before anything changes."""
    changes: dict[str, Any] = {}
    prefix = values.get("invoice_prefix")
    if prefix is not None and (prefix is UNSET or not INVOICE_PREFIX.fullmatch(prefix)):
        raise InvalidRequestError("Invalid invoice_prefix: it must be 3 to 12 uppercase letters or numbers.",
                                  param="invoice_prefix")
    for key, value in values.items():
        if key not in _FIELD_SET:
            continue
        if key == "metadata":
            changes[key] = apply_metadata(customer.metadata, value)
        elif key == "preferred_locales":
            changes[key] = [] if value is UNSET else list(value)
        elif key == "tax_exempt":
            changes[key] = "none" if value is UNSET else value
        else:
            changes[key] = None if value is UNSET else value
    if "invoice_settings" in values:
        settings = dict(customer.invoice_settings)
        for key, value in values["invoice_settings"].items():
            if value is UNSET or value == "":
                settings.pop(key, None)
            elif key == "rendering_options":
                merged = {"amount_tax_display": None, "template": None, **(settings.get(key) or {})}
                merged.update({k: (None if v is UNSET else v) for k, v in value.items()})
                settings[key] = merged
            else:
                settings[key] = value
        changes["invoice_settings"] = settings
    for key, value in changes.items():
        setattr(customer, key, value)


def get(backend: Backend, customer_id: str, *, param: str | None = None) -> Customer:
    """A live (not deleted) customer, or `resource_missing` naming `param` (used by other resources too)."""
    customer = table(backend).get(customer_id)
    if customer is None or customer.deleted:
        raise ResourceMissingError(NOUN, customer_id, param=param)
    return customer


def lookup(backend: Backend, customer_id: str, version: ApiVersion) -> dict[str, Any] | None:
    customer = table(backend).get(customer_id)
    if customer is None:
        return None
    return _deleted(customer) if customer.deleted else customer.render(version)


def _deleted(customer: Customer) -> dict[str, Any]:
    return {"id": customer.id, "object": OBJECT, "deleted": True}


DEFAULT_PM = "invoice_settings[default_payment_method]"


def _check_default_payment_method(backend: Backend, customer_id: str | None, values: dict[str, Any],
                                  attaching: str | None = None) -> None:
    """`invoice_settings[default_payment_method]` must name a PaymentMethod attached to this customer (or the one
    `payment_method` attaches on create)."""
    chosen = (values.get("invoice_settings") or {}).get("default_payment_method")
    if chosen is None or chosen is UNSET or chosen == "" or chosen == attaching:
        return
    from emulator.resources.payments import payment_methods  # it imports this module

    pm = payment_methods.get(backend, chosen, param=DEFAULT_PM)
    if pm.customer is None or pm.customer != customer_id:
        raise InvalidRequestError(
            f"The customer does not have a payment method with the ID {chosen}. The payment method must be attached "
            f"to the customer.", code="resource_missing", param=DEFAULT_PM)


def emit_updated(backend: Backend, call: Call, customer: Customer, before: dict[str, Any]) -> None:
    """`customer.updated` with what changed since `before` (its rendering then), if anything did."""
    after = customer.render(call.version)
    changed = {key: before[key] for key in before if before[key] != after.get(key)}
    if changed:
        emit(backend, call, "customer.updated", backend.frozen(customer.id, customer, Customer.snapshot).render,
             previous_attributes=changed)


def _coupon(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any] | None:
    """The coupon `coupon` names, or the coupon of the promotion code `promotion_code` names (generic objects), as
    the discount will show it; `resource_missing` if there is none."""
    if values.get("coupon") not in (None, UNSET):
        return generic.find_rendered(backend, "coupon", values["coupon"], "coupon", call.version)
    if values.get("promotion_code") not in (None, UNSET):
        code = generic.find_rendered(backend, "promotion_code", values["promotion_code"], "promotion_code",
                                     call.version)
        found = code.get("coupon") or (code.get("promotion") or {}).get("coupon")
        if isinstance(found, dict):
            return found
        return generic.find_rendered(backend, "coupon", str(found), "promotion_code", call.version)
    return None


def _apply_discount(backend: Backend, call: Call, customer: Customer, values: dict[str, Any],
                    coupon: dict[str, Any] | None) -> str | None:
    """Apply `coupon` / `promotion_code` (checked by `_coupon`): the discount's event type, if it changed."""
    if "coupon" not in values and "promotion_code" not in values:
        return None
    if coupon is None:  # `coupon=""`: the discount is removed
        if customer.discount is None:
            return None
        customer.discount = None
        return "customer.discount.deleted"
    kind = "customer.discount.created" if customer.discount is None else "customer.discount.updated"
    customer.discount = {
        "id": backend.ids.new("di"), "object": "discount", "checkout_session": None, "coupon": coupon,
        "customer": customer.id, "end": None, "invoice": None, "invoice_item": None,
        "promotion_code": values.get("promotion_code") or None, "start": backend.clock.timestamp(),
        "subscription": None, "subscription_item": None,
    }
    return kind


@saved
def render_discount(discount: dict[str, Any], version: ApiVersion | None) -> dict[str, Any]:
    """A discount as `version` shows it: its coupon expanded before 2025-09-30.clover, its `source` (the coupon's
    id) from then on. Also a discount event's object (kept as data for snapshots)."""
    rendered = copy_data(discount)
    if version is not None and Feature.DISCOUNT_SOURCE.gate.enabled(version):
        coupon = rendered.pop("coupon")
        rendered["source"] = {"coupon": coupon["id"], "type": "coupon"}
    return dict(rendered)


def _emit_discount(backend: Backend, call: Call, kind: str | None, discount: dict[str, Any] | None) -> None:
    if kind is not None and discount is not None:
        emit(backend, call, kind, functools.partial(render_discount, copy_data(discount)))


_EXTRAS = frozenset({"source", "default_source", "coupon", "promotion_code", "payment_method", "invoice_settings"})
"""The create parameters with steps of their own (checks before, sources, a discount, an attached payment method)."""


def create(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    from emulator.resources.payments import payment_methods, sources  # they import this module

    plain = _EXTRAS.isdisjoint(values)  # none of those: none of their steps (most creates)
    coupon = attaching = None
    if not plain:
        sources.check(backend, call, None, values)
        coupon = _coupon(backend, call, values)
        if "payment_method" in values:
            attaching = payment_methods.resolve(backend, values["payment_method"], param="payment_method",
                                                generic=call.generic)
            if attaching.customer is not None:
                raise InvalidRequestError(
                    f"The PaymentMethod {attaching.id} is already attached to customer {attaching.customer}.",
                    code="payment_method_unexpected_state", param="payment_method")
        _check_default_payment_method(backend, None, values, values.get("payment_method"))
    customer = Customer(
        id=backend.ids.new(PREFIX),
        created=backend.clock.timestamp(),
        invoice_prefix=backend.ids.token(8).upper(),
    )
    _assign(customer, values)
    if customer.name is None:  # Stripe (2025-09-30.clover): the business name, else the individual name
        customer.name = customer.business_name or customer.individual_name
    if attaching is not None and customer.invoice_settings.get("default_payment_method") == values["payment_method"]:
        customer.invoice_settings["default_payment_method"] = attaching.id  # a test token's new PaymentMethod
    table(backend).put(customer.id, customer)
    announced: list[sources.Announcement] = []
    discounted = None
    if not plain:
        announced = sources.apply(backend, call, customer, values)  # its card is the default the event shows
        discounted = _apply_discount(backend, call, customer, values, coupon)
    emit(backend, call, "customer.created", backend.frozen(customer.id, customer, Customer.snapshot).render)
    if not plain:
        sources.announce(backend, call, announced)
        _emit_discount(backend, call, discounted, customer.discount)
        if attaching is not None:
            payment_methods.attach_to(backend, call, attaching, customer.id)
    return customer.render(call.version)


def retrieve(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    found = lookup(backend, id, call.version)
    if found is None:
        raise ResourceMissingError(NOUN, id, param="id")
    return found


def update(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    from emulator.resources.payments import sources  # it imports this module

    customer = get(backend, id, param="id")
    sources.check(backend, call, customer, values)
    _check_default_payment_method(backend, customer.id, values)
    coupon = _coupon(backend, call, values)
    before = customer.render(call.version)
    removed = customer.discount
    _assign(customer, values)
    announced = sources.apply(backend, call, customer, values)
    discounted = _apply_discount(backend, call, customer, values, coupon)
    sources.announce(backend, call, announced)
    _emit_discount(backend, call, discounted, customer.discount or removed)
    emit_updated(backend, call, customer, before)
    return customer.render(call.version)


def delete_discount(backend: Backend, call: Call, values: dict[str, Any], customer: str) -> dict[str, Any]:
    """`DELETE /v1/customers/:customer/discount`: the discount removed (`customer.discount.deleted`), answered as
    Stripe does, the discount with `deleted: true`; none is `resource_missing`."""
    found = get(backend, customer, param="customer")
    if found.discount is None:
        raise ResourceMissingError("discount", customer, param="customer")
    before = found.render(call.version)
    removed = found.discount
    found.discount = None
    _emit_discount(backend, call, "customer.discount.deleted", removed)
    emit_updated(backend, call, found, before)
    return {**render_discount(removed, call.version), "deleted": True}


def delete(backend: Backend, call: Call, values: dict[str, Any], id: str) -> dict[str, Any]:
    customer = get(backend, id, param="id")
    customer.deleted = True
    emit(backend, call, "customer.deleted", backend.frozen(customer.id, customer, Customer.snapshot).render)
    return _deleted(customer)


def search_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    """`GET /v1/customers/search`: the customers matching the query, newest first, `limit` a page, `next_page` the
    cursor of the next one. Unlike Stripe's index, the emulator's is never behind: a customer is found at once."""
    query = search.parse(values["query"], SEARCH_FIELDS, "customers")

    def value_of(customer: Customer, field: str, key: str | None) -> Any:
        return customer.metadata.get(key or "") if field == "metadata" else getattr(customer, field)

    return search.results((c for c in table(backend).newest_first() if not c.deleted), query, values.get("page"),
                          values.get("limit", 10), value_of=value_of, render=lambda c: c.render(call.version),
                          url=f"{URL}/search")


def list_(backend: Backend, call: Call, values: dict[str, Any]) -> dict[str, Any]:
    email = values.get("email")
    clock = values.get("test_clock")
    created = created_filter(values["created"]) if "created" in values else None

    def where(customer: Customer) -> bool:
        if customer.deleted:
            return False
        if email is not None and customer.email != email:
            return False
        if clock is not None and customer.test_clock != clock:
            return False
        return created is None or created(customer.created)

    return page(table(backend), values, url=URL, noun=NOUN, render=lambda c: c.render(call.version), where=where)

declare(TABLE, Customer)
