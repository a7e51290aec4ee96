"""Declarative parameter specs: what an endpoint accepts, checked before resource code runs.

A spec turns decoded form values (strings, dicts, lists) into typed values and names the offending `param` in
Stripe's bracket notation (`account_holder[customer]`, `permissions[1]`) when something is wrong. Fields can exist
only from an API version on (`feature=`), or be refused from a version on (`rejected=`). `""` means "unset" where a
field is `unsettable`; elsewhere it is `parameter_invalid_empty`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from emulator.core import messages
from emulator.core.conform import INT_BOUND
from emulator.core.errors import InvalidRequestError, missing, unknown
from emulator.core.form import FormValue
from emulator.core.urls import http_url
from emulator.core.versions import ApiVersion, Feature


class _Unset:
    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Final = _Unset()
"""The value of a parameter sent as `""`: "clear this field"."""


@dataclass(frozen=True)
class Context:
    version: ApiVersion
    generic: bool = False
    """The generic surface is on (`serve --surface all`, the default): cards are taken as generic payment methods
    where a spec allows them (`request_params.Unemulated`, `PaymentMethodType`)."""


def child(param: str, key: str | int) -> str:
    return f"{param}[{key}]" if param else str(key)


_INTEGER = re.compile(r"-?[0-9]{1,19}")
_SPACE = re.compile(r"\s")


def _shown(value: FormValue) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:80] + "…"


def _one_of(choices: tuple[str, ...]) -> str:
    if len(choices) <= 2:
        return " or ".join(choices)
    return ", ".join(choices[:-1]) + f", or {choices[-1]}"


def _empty(param: str) -> InvalidRequestError:
    return InvalidRequestError(
        messages.PARAMETER_INVALID_EMPTY.format(param=param), code="parameter_invalid_empty", param=param
    )


class Spec:
    """Base: `coerce` returns the typed value or raises an error naming `param`."""

    unsettable: bool = False

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        raise NotImplementedError

    def _check_empty(self, value: FormValue, param: str) -> bool:
        """True when `value` is the unset marker `""` and that is allowed here."""
        if value == "":
            if self.unsettable:
                return True
            raise _empty(param)
        return False

    def _hash_of(self, value: FormValue, param: str) -> dict[str, FormValue] | None:
        """`value` as a hash, or None when it is the unset marker `""` (allowed here); anything else is a 400."""
        if self._check_empty(value, param):
            return None
        if not isinstance(value, dict):
            raise InvalidRequestError(messages.PARAMETER_INVALID_HASH, param=param)
        return value


@dataclass(frozen=True)
class String(Spec):
    max_length: int = 5000
    unsettable: bool = False

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        if value == "" and self._check_empty(value, param):
            return UNSET
        if not isinstance(value, str):
            raise InvalidRequestError(messages.PARAMETER_INVALID_STRING.format(value=_shown(value)), param=param)
        if len(value) > self.max_length:
            raise InvalidRequestError(
                messages.PARAMETER_TOO_LONG.format(param=param, max_length=self.max_length), param=param
            )
        return value


@dataclass(frozen=True)
class Url(String):
    """A URL a browser will be sent to (`return_url`): absolute http or https only, as Stripe requires."""

    max_length: int = 2048

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        text = super().coerce(value, param, ctx)
        if text is not UNSET and not http_url(text):
            raise InvalidRequestError(messages.URL_INVALID, code="url_invalid", param=param)
        return text


@dataclass(frozen=True)
class Email(String):
    max_length: int = 512

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        text = super().coerce(value, param, ctx)
        if text is not UNSET:
            local, at, domain = text.partition("@")
            if not (local and at and domain) or _SPACE.search(text):
                raise InvalidRequestError(
                    messages.EMAIL_INVALID.format(value=_shown(text)), code="email_invalid", param=param
                )
        return text


@dataclass(frozen=True)
class Integer(Spec):
    minimum: int | None = None
    maximum: int | None = None
    unsettable: bool = False

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        if self._check_empty(value, param):
            return UNSET
        text = value if isinstance(value, str) else None
        # ASCII digits with an optional minus sign, within 64 bits (Stripe's integers; a larger one could not be
        # saved in a snapshot): not "--5", not "²", not "１"
        if text is None or not _INTEGER.fullmatch(text) or not -INT_BOUND <= int(text) < INT_BOUND:
            raise InvalidRequestError(
                messages.PARAMETER_INVALID_INTEGER.format(value=_shown(value)),
                code="parameter_invalid_integer",
                param=param,
            )
        number = int(text)
        if self.minimum is not None and number < self.minimum:
            raise InvalidRequestError(messages.PARAMETER_TOO_SMALL.format(minimum=self.minimum), param=param)
        if self.maximum is not None and number > self.maximum:
            raise InvalidRequestError(messages.PARAMETER_TOO_LARGE.format(maximum=self.maximum), param=param)
        return number


@dataclass(frozen=True)
class Decimal(Spec):
    """A decimal string such as `0.25` (Stripe's `*_decimal` params), coerced to float within [minimum, maximum]."""

    minimum: float | None = None
    maximum: float | None = None

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        self._check_empty(value, param)
        try:
            if not isinstance(value, str) or len(value) > 32:
                raise ValueError(value)
            number = float(value)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(value)
        except ValueError:
            raise InvalidRequestError(f"Invalid decimal: {_shown(value)}", param=param) from None
        if self.minimum is not None and number < self.minimum:
            raise InvalidRequestError(messages.PARAMETER_TOO_SMALL.format(minimum=self.minimum), param=param)
        if self.maximum is not None and number > self.maximum:
            raise InvalidRequestError(messages.PARAMETER_TOO_LARGE.format(maximum=self.maximum), param=param)
        return number


@dataclass(frozen=True)
class Boolean(Spec):
    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        self._check_empty(value, param)
        if value in ("true", "True"):  # the Python SDK writes booleans inside arrays as True/False
            return True
        if value in ("false", "False"):
            return False
        raise InvalidRequestError(messages.PARAMETER_INVALID_BOOLEAN.format(value=_shown(value)), param=param)


@dataclass(frozen=True)
class Choice(Spec):
    """A closed enum. `gated` values exist only when their feature is on for the request's version."""

    choices: tuple[str, ...]
    gated: Mapping[str, Feature] = field(default_factory=dict)
    unsettable: bool = False

    def allowed(self, ctx: Context) -> tuple[str, ...]:
        return tuple(c for c in self.choices if c not in self.gated or self.gated[c].gate.enabled(ctx.version))

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        if self._check_empty(value, param):
            return UNSET
        allowed = self.allowed(ctx)
        if not isinstance(value, str) or value not in allowed:
            listed = _one_of(allowed)
            raise InvalidRequestError(messages.PARAMETER_INVALID_ENUM.format(param=param, choices=listed), param=param)
        return value


@dataclass(frozen=True)
class Array(Spec):
    item: Spec
    max_items: int | None = None
    unsettable: bool = False

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        if self._check_empty(value, param):
            return UNSET
        items: list[FormValue]
        if isinstance(value, str):
            items = [value]  # a single bare key: `expand=customer`
        elif isinstance(value, list):
            items = value
        elif all(key.isdigit() for key in value):
            items = [value[key] for key in sorted(value, key=int)]
        else:
            raise InvalidRequestError(messages.PARAMETER_INVALID_ARRAY, param=param)
        if self.max_items is not None and len(items) > self.max_items:
            raise InvalidRequestError(
                messages.PARAMETER_TOO_MANY_ITEMS.format(param=param, max_items=self.max_items), param=param
            )
        return [self.item.coerce(item, child(param, index), ctx) for index, item in enumerate(items)]


@dataclass(frozen=True)
class MapOf(Spec):
    """A hash keyed by names the caller chooses (`currency_options[eur]`), each value of one spec."""

    value: Spec
    unsettable: bool = False

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        hashed = self._hash_of(value, param)
        if hashed is None:
            return UNSET
        value = hashed
        return {key: self.value.coerce(inner, child(param, key), ctx) for key, inner in value.items()}


@dataclass(frozen=True)
class Rejected:
    """A parameter that a version refuses with a dedicated error (e.g. `payment_method_types` from endive)."""

    feature: Feature
    code: str
    message: str


@dataclass(frozen=True)
class Field:
    """A parameter: `feature` = exists from that version on; `until` = exists only before it; `optional_from` =
    `required` stops applying from that version on; `rejected` = refused with a dedicated error from a version on."""

    spec: Spec
    required: bool = False
    feature: Feature | None = None
    until: Feature | None = None
    optional_from: Feature | None = None
    rejected: Rejected | None = None

    def exists(self, ctx: Context) -> bool:
        if self.feature is not None and not self.feature.gate.enabled(ctx.version):
            return False
        return self.until is None or not self.until.gate.enabled(ctx.version)

    def is_required(self, ctx: Context) -> bool:
        if not self.required or not self.exists(ctx):
            return False
        return self.optional_from is None or not self.optional_from.gate.enabled(ctx.version)


@dataclass(frozen=True)
class Hash(Spec):
    fields: Mapping[str, Field]
    unsettable: bool = False

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        hashed = self._hash_of(value, param)
        if hashed is None:
            return UNSET
        value = hashed
        result: dict[str, Any] = {}
        always = self._always
        for key, raw in value.items():
            name = f"{param}[{key}]" if param else key  # `child`
            spec = always.get(key)
            if spec is None:
                spec_field = self.fields.get(key)
                if spec_field is None or not spec_field.exists(ctx):
                    raise unknown(name)
                rejected = spec_field.rejected
                if rejected is not None and rejected.feature.gate.enabled(ctx.version):
                    raise InvalidRequestError(rejected.message, code=rejected.code, param=name)
                spec = spec_field.spec
            result[key] = spec.coerce(raw, name, ctx)
        for key, spec_field in self._may_be_required:
            if key not in result and spec_field.is_required(ctx):
                raise missing(child(param, key))
        return result

    @functools.cached_property
    def _always(self) -> dict[str, Spec]:
        """The fields every version has and none refuses (most), by name: their specs, taken without a check."""
        return {key: spec_field.spec for key, spec_field in self.fields.items()
                if spec_field.feature is None and spec_field.until is None and spec_field.rejected is None}

    @functools.cached_property
    def _may_be_required(self) -> tuple[tuple[str, Field], ...]:
        """The fields some version requires (`is_required` is False for the others in every version)."""
        return tuple((key, spec_field) for key, spec_field in self.fields.items() if spec_field.required)


@dataclass(frozen=True)
class Metadata(Spec):
    """Stripe's metadata: at most 50 keys, keys <= 40 characters, values <= 500; `""` unsets a key, and
    `metadata=""` unsets them all (both come back as UNSET)."""

    max_keys: int = 50
    max_key_length: int = 40
    max_value_length: int = 500
    unsettable: bool = True

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        hashed = self._hash_of(value, param)
        if hashed is None:
            return UNSET
        value = hashed
        if len(value) > self.max_keys:
            raise InvalidRequestError(
                messages.METADATA_TOO_MANY_KEYS.format(maximum=self.max_keys, count=len(value)), param=param
            )
        result: dict[str, Any] = {}
        for key, raw in value.items():
            name = child(param, key)
            if len(key) > self.max_key_length:
                raise InvalidRequestError(
                    messages.METADATA_KEY_TOO_LONG.format(maximum=self.max_key_length, length=len(key), key=key),
                    param=name,
                )
            if not isinstance(raw, str):
                raise InvalidRequestError(messages.METADATA_VALUE_NOT_STRING.format(key=key), param=name)
            if len(raw) > self.max_value_length:
                raise InvalidRequestError(
                    messages.METADATA_VALUE_TOO_LONG.format(
                        maximum=self.max_value_length, length=len(raw), value=_shown(raw)
                    ),
                    param=name,
                )
            result[key] = UNSET if raw == "" else raw
        return result


EXPAND = Field(Array(String(max_length=5000), max_items=50))


def params(fields: Mapping[str, Field], *, expand: bool = True) -> Hash:
    """The top-level spec of an endpoint. Every Stripe endpoint takes `expand[]`."""
    all_fields = dict(fields)
    if expand:
        all_fields.setdefault("expand", EXPAND)
    return Hash(all_fields)


def validate(spec: Hash, form: Mapping[str, FormValue], ctx: Context) -> dict[str, Any]:
    # a Hash builds its result and only reads `form`: a decoded form (a dict) is taken as it is
    result: dict[str, Any] = spec.coerce(form if type(form) is dict else dict(form), "", ctx)
    return result


def apply_metadata(current: Mapping[str, str], update: Any, max_keys: int = 50) -> dict[str, str]:
    """Stripe's merge semantics for an update: keys merge, `""` removes a key, `metadata=""` clears all. The
    merged result is held to the same 50-key limit as a single request."""
    if update is UNSET:
        return {}
    merged = dict(current)
    for key, value in update.items():
        if value is UNSET:
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > max_keys:
        raise InvalidRequestError(
            messages.METADATA_TOO_MANY_KEYS.format(maximum=max_keys, count=len(merged)), param="metadata"
        )
    return merged


@dataclass(frozen=True)
class Range(Spec):
    """`created=<int>` or `created[gt|gte|lt|lte]=<int>`."""

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        if isinstance(value, dict):
            bounds = Hash({op: Field(Integer()) for op in ("gt", "gte", "lt", "lte")})
            return bounds.coerce(value, param, ctx)
        return Integer().coerce(value, param, ctx)


@dataclass(frozen=True)
class StringOrHash(Spec):
    """An id, or the details to make one from (`external_account=btok_…` or `external_account[account_number]=…`)."""

    string: String
    hash: Hash

    def coerce(self, value: FormValue, param: str, ctx: Context) -> Any:
        if isinstance(value, dict):
            return self.hash.coerce(value, param, ctx)
        return self.string.coerce(value, param, ctx)
