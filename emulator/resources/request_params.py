"""Every parameter Stripe's SDKs can send to an emulated endpoint, accepted and validated by its declared type.

`emulator/resources/request_params.json` holds, per endpoint, the parameter tree of the GA and the preview stripe
SDK's parameter types (generated: `python -m harness.contract.sdk_params`, see that module). The resources' own specs
are written by hand and decide everything they name; `complete` adds what they leave out, typed as the SDKs type
it (strings, integers, decimals, booleans, Stripe's enums, hashes, arrays, metadata-like maps) and gated by
version (a path only the preview SDK types exists for preview versions; one only the GA SDK types, for GA ones).
Such a parameter is accepted and validated; what a resource does with it is that resource's choice (the README
lists, per endpoint, what is only stored).

The options and details of payment method types the emulator does not emulate (`payment_method_options[card]`,
`payment_method_data[sepa_debit]`, a `card` token …) are refused with a 400 that names the parameter and says so:
`parameter_unknown` would tell the user they misspelled something.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, Final

from emulator.core.errors import InvalidRequestError, ResourceMissingError
from emulator.core.form import FormValue
from emulator.core.spec import (
    UNSET,
    Array,
    Boolean,
    Choice,
    Context,
    Decimal,
    Field,
    Hash,
    Integer,
    MapOf,
    Metadata,
    Spec,
    String,
    StringOrHash,
)
from emulator.core.versions import Feature

DATA: Final = Path(__file__).resolve().parent / "request_params.json"
EMULATED_TYPE: Final = "us_bank_account"
UNEMULATED_CODE: Final = "payment_method_unactivated"
"""Stripe's code for a payment method type an account cannot use; the message says why here."""
TYPED_BY_METHOD: Final = frozenset({"payment_method_options", "payment_method_data"})
"""Hashes keyed by payment method type."""
TOP_LEVEL_TYPES: Final = frozenset({"POST /v1/payment_methods", "POST /v1/payment_methods/{}", "POST /v1/tokens"})
"""Endpoints whose own top-level keys include payment method types (`card[number]`, `sepa_debit[iban]`)."""
GENERIC_TYPES: Final = frozenset({"card"})
"""Payment method types taken as generic payment methods when the generic surface is on (`serve --surface all`,
the default): their parameters are validated against the SDKs' types and stored, with no behaviour beyond
`emulator.resources.payments.cards`; with `--surface emulated` they are refused like every other type."""


def unemulated(param: str, kind: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"`{param}` is for the {kind} payment method, which stripe-fc-emulator does not emulate: it emulates "
        f"{EMULATED_TYPE} (bank accounts linked with Financial Connections, or by routing and account number). "
        f"Leave `{param}` out, or use {EMULATED_TYPE}.",
        code=UNEMULATED_CODE,
        param=param,
    )


@dataclass(frozen=True)
class Unemulated(Spec):
    """The options or details of a payment method type the emulator does not emulate. `inner`, for a type in
    GENERIC_TYPES: the SDKs' spec of those parameters, which takes them when the generic surface is on."""

    kind: str = ""
    inner: Spec | None = None

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        if self.inner is not None and ctx.generic:
            return self.inner.coerce(value, param, ctx)
        raise unemulated(param, self.kind)


@dataclass(frozen=True)
class PaymentMethodType(Choice):
    """A payment method type that is to be used (`type`, `payment_method_types[]`): `us_bank_account`, and the types
    of `generic` when the generic surface is on. Another type Stripe has is refused as not emulated; a string that is
    no type at all is an invalid enum, as Stripe's."""

    choices: tuple[str, ...] = (EMULATED_TYPE,)
    generic: tuple[str, ...] = ()

    def allowed(self, ctx: Context) -> tuple[str, ...]:
        return (*super().allowed(ctx), *self.generic) if ctx.generic else super().allowed(ctx)

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        if isinstance(value, str) and value not in self.allowed(ctx) and value in payment_method_types():
            raise unemulated(param, value)
        return super().coerce(value, param, ctx)


@dataclass(frozen=True)
class ExternalAccountObject(Choice):
    """`external_account[object]`: `bank_account`; `card` (a debit card to pay out to) is refused as not emulated."""

    choices: tuple[str, ...] = ("bank_account",)

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        if value == "card":
            raise unemulated(param, "card")
        return super().coerce(value, param, ctx)


@dataclass(frozen=True)
class AnyPaymentMethodType(Choice):
    """A payment method type to filter by (`type` on lists): any type Stripe has (only us_bank_account matches)."""

    choices: tuple[str, ...] = ()

    def allowed(self, ctx: Context) -> tuple[str, ...]:
        return tuple(sorted(payment_method_types()))


@dataclass(frozen=True)
class OneOf(Spec):
    """A parameter the SDKs type as one of several shapes (`str | hash`): the value's own shape picks one."""

    options: tuple[Spec, ...] = ()
    unsettable: bool = False

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        if self._check_empty(value, param):
            return UNSET
        wanted: tuple[type[Spec], ...]
        if isinstance(value, dict):
            wanted = (Hash, Metadata, MapOf, Array) if all(key.isdigit() for key in value) else (Hash, Metadata, MapOf)
        elif isinstance(value, list):
            wanted = (Array,)
        else:
            wanted = (String, Integer, Decimal, Boolean, Choice)
        candidates: list[Spec] = [option for option in self.options if isinstance(option, wanted)]
        candidates = candidates or list(self.options[:1])
        first: InvalidRequestError | None = None
        for option in candidates:  # the first shape that takes the value (`true`, or `one_off`)
            try:
                return option.coerce(value, param, ctx)
            except InvalidRequestError as error:
                first = first or error
        assert first is not None
        raise first


def no_confirmation_token(values: Mapping[str, Any]) -> None:
    """`confirmation_token`: ConfirmationTokens are made by Stripe.js's `createConfirmationToken`, which the shim
    does not offer; so none exists here, and naming one is `resource_missing`, as Stripe answers an unknown one."""
    token = values.get("confirmation_token")
    if token is not None:
        raise ResourceMissingError("confirmationtoken", token, param="confirmation_token")


def stored(value: Any) -> Any:
    """Validated parameters as a resource keeps them: a copy, `""` (unset) as None."""
    if isinstance(value, dict):
        return {key: stored(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [stored(inner) for inner in value]
    return None if value is UNSET else value


def keep(into: dict[str, Any], values: Mapping[str, Any], names: tuple[str, ...]) -> None:
    """Store the parameters `names` of a create or update as sent (for a response that renders them as sent);
    `""` (unset) removes one."""
    for name in names:
        if name in values:
            value = stored(values[name])
            if value is None:
                into.pop(name, None)
            else:
                into[name] = value


def sent(kept: Mapping[str, Any], name: str) -> Any:
    """A parameter kept by `keep`, as a fresh copy (None when it was never sent)."""
    return stored(kept.get(name))


@cache
def _document() -> Mapping[str, Any]:
    with DATA.open(encoding="utf-8") as handle:
        loaded: Mapping[str, Any] = json.load(handle)
    return loaded


@cache
def payment_method_types() -> frozenset[str]:
    """Every payment method type the SDKs know: the enums of a PaymentMethod's `type` and of an intent's
    `allowed_payment_method_types[]` / `excluded_payment_method_types[]` (which have a few more)."""
    endpoints = _document()["endpoints"]
    nodes = [endpoints["POST /v1/payment_methods"]["f"]["type"]]
    for endpoint in ("POST /v1/payment_intents", "POST /v1/setup_intents"):
        for name in ("allowed_payment_method_types", "excluded_payment_method_types"):
            found = endpoints[endpoint]["f"].get(name)
            if found is not None and found["t"] == "a":
                nodes.append(found["i"])
    return frozenset(value for node in nodes for option in (node["o"] if node["t"] == "u" else [node])
                     for value in option.get("v", ()))


def tree(endpoint: str) -> Mapping[str, Any] | None:
    found: Mapping[str, Any] | None = _document()["endpoints"].get(endpoint)
    return found


def build(node: Mapping[str, Any], typed: bool = False) -> Spec:
    """The spec of one tree node. `typed`: the node's keys are payment method types (see TYPED_BY_METHOD)."""
    kind = node["t"]
    empty = bool(node.get("z"))
    if kind == "h":
        return Hash(_fields(node, typed), unsettable=empty)
    if kind == "a":
        return Array(build(node["i"]), unsettable=empty)
    if kind == "u":
        options = [option for option in node["o"] if not (option["t"] == "s" and _has_enum(node))]
        if len(options) == 1:  # `Literal[…] | str`: the SDK's room for values it does not know yet; Stripe checks
            return build({**options[0], **({"z": 1} if empty else {})}, typed)
        return OneOf(tuple(build(option, typed) for option in options), unsettable=empty)
    if kind == "e":
        return _choice(node, empty)
    if kind == "m":
        return Metadata()
    if kind == "d":
        return MapOf(build(node["i"]), unsettable=empty)
    if kind == "i":
        return Integer(unsettable=empty)
    if kind == "n":
        return Decimal()
    if kind == "b":
        return Boolean()
    return String(max_length=5000, unsettable=empty)


def _has_enum(node: Mapping[str, Any]) -> bool:
    return any(option["t"] == "e" for option in node["o"])


def _choice(node: Mapping[str, Any], empty: bool) -> Choice:
    """An enum; values only the preview SDK has are taken on preview versions only."""
    return Choice(tuple(node["v"]), gated={value: Feature.SDK_PREVIEW_PARAMS for value in node.get("pv", ())},
                  unsettable=empty)


def enum_of(endpoint: str, *path: str) -> Choice:
    """The enum the SDKs type at `path` of `endpoint` (`"[]"` steps into an array's items), for a hand-written spec
    that wants Stripe's values: e.g. the payment method types `excluded_payment_method_types[]` takes."""
    node: Mapping[str, Any] = _document()["endpoints"][endpoint]
    for step in path:
        node = node["i"] if step == "[]" else node["f"][step]
        if node["t"] == "u" and _has_enum(node) and step == path[-1]:
            node = next(option for option in node["o"] if option["t"] == "e")
    if node["t"] == "u":
        node = next(option for option in node["o"] if option["t"] == "e")
    return _choice(node, False)


def _fields(node: Mapping[str, Any], typed: bool) -> dict[str, Field]:
    unemulated = payment_method_types() - {EMULATED_TYPE} if typed else frozenset()
    return {key: _field(key, child, key in unemulated) for key, child in node["f"].items()}


def _field(key: str, node: Mapping[str, Any], unemulated: bool) -> Field:
    spec: Spec
    if unemulated:
        spec = Unemulated(kind=key, inner=build(node) if key in GENERIC_TYPES else None)
    else:
        spec = build(node, typed=key in TYPED_BY_METHOD)
    gate = node.get("g")
    if gate == "p":
        return Field(spec, feature=Feature.SDK_PREVIEW_PARAMS)
    if gate == "ga":
        return Field(spec, until=Feature.SDK_PREVIEW_PARAMS)
    return Field(spec)


def complete(spec: Hash, endpoint: str) -> Hash:
    """`spec` with every path the SDKs send to `endpoint` (`"POST /v1/customers/{}"`) that it does not name."""
    node = tree(endpoint)
    if node is None:
        return spec
    return _complete(spec, node, typed=endpoint in TOP_LEVEL_TYPES)


def _complete(spec: Hash, node: Mapping[str, Any], typed: bool) -> Hash:
    fields = dict(spec.fields)
    unemulated = payment_method_types() - {EMULATED_TYPE} if typed else frozenset()
    for key, child in node["f"].items():
        existing = fields.get(key)
        if existing is None:
            fields[key] = _field(key, child, key in unemulated)
        else:
            fields[key] = replace(existing, spec=_deepen(existing.spec, child, key in TYPED_BY_METHOD))
    return replace(spec, fields=fields)


def _deepen(spec: Spec, node: Mapping[str, Any], typed: bool) -> Spec:
    """A hand-written spec, completed where it is a hash (or an array of hashes) that the tree has more of."""
    hashes = [n for n in ([node] if node["t"] != "u" else node["o"]) if n["t"] in ("h", "a")]
    for option in hashes:
        if option["t"] == "h" and isinstance(spec, Hash):
            return _complete(spec, option, typed)
        if option["t"] == "h" and isinstance(spec, StringOrHash):
            return replace(spec, hash=_complete(spec.hash, option, typed))
        if option["t"] == "a" and isinstance(spec, Array) and isinstance(spec.item, Hash) and option["i"]["t"] == "h":
            return replace(spec, item=_complete(spec.item, option["i"], typed=False))
    return spec
