"""`Stripe-Version` parsing and the one version policy: named feature gates decide what a request may send and
what a response shows. Nothing else in the emulator compares version strings.

A version is `YYYY-MM-DD.<release>` (`2026-10-28.endive`, `2026-09-30.preview`), or a bare date for versions older
than the named releases (`2023-10-16`), optionally followed by beta flags: `2022-08-01;
financial_connections_relink_api_beta=v1`. A GA feature is on for every version (GA or preview) dated on or after
its GA date; a preview feature is on for preview versions dated on or after its preview date, and for any version
that carries one of its beta flags.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from enum import Enum

from emulator.core import messages
from emulator.core.errors import InvalidRequestError

RELEASES = ("acacia", "basil", "clover", "dahlia", "endive", "dashboard")
"""Stripe's GA release names (`dashboard`: the 2025-03-01 version webhook endpoints may be pinned to)."""
PREVIEW = "preview"

NEWEST_GA = "2026-10-28.endive"
"""The default when a request sends no `Stripe-Version` (what stripe==16.1.0 pins)."""
NEWEST_PREVIEW = "2026-09-30.preview"
"""What the preview SDK (stripe==16.1.0b1) pins."""

_VERSION_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:\.([a-z]+))?$")
_FLAG_RE = re.compile(r"^([a-z0-9_]+)=([a-z0-9_]+)$")


@dataclass(frozen=True)
class ApiVersion:
    raw: str
    date: datetime.date
    release: str | None
    betas: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_preview(self) -> bool:
        return self.release == PREVIEW

    def __str__(self) -> str:
        return self.raw


def parse(raw: str) -> ApiVersion:
    """Parse a `Stripe-Version` value; anything malformed is a 400 naming the header value."""
    text = raw.strip()
    base, *flags = [part.strip() for part in text.split(";")]
    match = _VERSION_RE.match(base)
    if not match:
        raise _invalid(raw)
    year, month, day, release = match.groups()
    try:
        date = datetime.date(int(year), int(month), int(day))
    except ValueError as exc:
        raise _invalid(raw) from exc
    if release is not None and release not in RELEASES and release != PREVIEW:
        raise _invalid(raw)
    betas: set[str] = set()
    for flag in flags:
        flag_match = _FLAG_RE.match(flag)
        if not flag_match:
            raise _invalid(raw)
        betas.add(flag_match.group(1))
    return ApiVersion(raw=text, date=date, release=release, betas=frozenset(betas))


def _invalid(raw: str) -> InvalidRequestError:
    shown = raw if len(raw) <= 100 else raw[:100] + "…"
    return InvalidRequestError(messages.VERSION_INVALID.format(version=shown))


def _d(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


@dataclass(frozen=True)
class Gate:
    """One named behaviour switched on by API version."""

    name: str
    description: str
    ga_since: datetime.date | None = None
    preview_since: datetime.date | None = None
    beta_flags: frozenset[str] = field(default_factory=frozenset)

    def enabled(self, version: ApiVersion) -> bool:
        if self.ga_since is not None and version.date >= self.ga_since:
            return True
        if self.preview_since is not None and version.is_preview and version.date >= self.preview_since:
            return True
        return bool(self.beta_flags & version.betas)


class Feature(Enum):
    """Every version-dependent behaviour, by name (reference/stripe-api.md §0.2)."""

    EXTENDED_ACCOUNT_SUBCATEGORIES = Gate(
        "extended_account_subcategories",
        "filters.account_subcategories accepts mortgage, line_of_credit and credit_card",
        ga_since=_d("2024-09-30"),
    )
    FC_PAYMENT_METHOD_ERROR_CODES = Gate(
        "fc_payment_method_error_codes",
        "financial_connections_account_pending_account_numbers / _unavailable_account_numbers codes on payment "
        "methods made from an account without usable numbers (before: a code-less invalid request)",
        ga_since=_d("2025-09-30"),
    )
    TOKENIZED_ACCOUNT_NUMBERS = Gate(
        "tokenized_account_numbers",
        "account_numbers[] on FC accounts, TAN events, tokenized_account_number_deactivated statuses/reasons",
        ga_since=_d("2025-11-17"),
    )
    RELINK = Gate(
        "relink",
        "session relink_options/relink_result/status/status_details, account authorization and "
        "status_details.inactive, the authorization resource, optional session account_holder",
        preview_since=_d("2026-01-28"),
        beta_flags=frozenset({"financial_connections_relink_api_beta"}),
    )
    HOSTED_RELINK = Gate(
        "hosted_relink",
        "session hosted, ui_mode and url",
        preview_since=_d("2026-03-25"),
    )
    UPCOMING_DEACTIVATIONS = Gate(
        "upcoming_deactivations",
        "account status_details.active (action, cause, expected_deactivation_date) and upcoming-deactivation events",
        ga_since=_d("2026-06-24"),
    )
    ADVANCED_SESSION_CONFIG = Gate(
        "advanced_session_config",
        "session limits[accounts], manual_entry[mode], filters[require_payment_method_support] and "
        "bank_account_token",
        ga_since=_d("2026-07-29"),
        preview_since=_d("2026-01-28"),
        beta_flags=frozenset({"financial_connections_relink_api_beta"}),
    )
    ALLOWED_PAYMENT_METHOD_TYPES = Gate(
        "allowed_payment_method_types",
        "allowed_payment_method_types on PaymentIntents and SetupIntents",
        ga_since=_d("2026-07-29"),
    )
    PAYMENT_METHOD_TYPES_REMOVED = Gate(
        "payment_method_types_removed",
        "writable payment_method_types rejected with payment_method_types_no_longer_supported",
        ga_since=_d("2026-09-30"),
        preview_since=_d("2026-08-26"),
    )
    ENDIVE_FILTERS = Gate(
        "endive_filters",
        "session filters.country (string) replaces filters.countries (array)",
        ga_since=_d("2026-09-30"),
        preview_since=_d("2026-09-30"),
    )
    ENDIVE_SESSION_DEFAULTS = Gate(
        "endive_session_defaults",
        "session defaults: limits.accounts unlimited, manual_entry.mode disabled, "
        "filters.require_payment_method_support none, all five account_subcategories",
        ga_since=_d("2026-09-30"),
        preview_since=_d("2026-09-30"),
    )
    TAN_PENDING_EXPIRED = Gate(
        "tan_pending_expired",
        "account_numbers[].status may be pending or expired",
        ga_since=_d("2026-09-30"),
        preview_since=_d("2026-09-30"),
    )
    SINGULAR_COUPON_REMOVED = Gate(
        "singular_coupon_removed",
        "the singular coupon and promotion_code parameters of customers are removed (stackable discounts: "
        "https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-singular-coupon-promotion-code)",
        ga_since=_d("2025-03-31"),
    )
    DISCOUNT_SOURCE = Gate(
        "discount_source",
        "a discount's source (type coupon, the coupon's id) replaces its expanded coupon "
        "(https://docs.stripe.com/changelog/clover/2025-09-30/add-discount-source-property)",
        ga_since=_d("2025-09-30"),
    )
    CUSTOMER_NAMES = Gate(
        "customer_names",
        "business_name and individual_name on customers; a customer created without a name takes one of them",
        ga_since=_d("2025-09-30"),
    )
    SDK_PREVIEW_PARAMS = Gate(
        "sdk_preview_params",
        "parameters only the preview stripe SDK types (emulator/resources/request_params.json); those only the GA "
        "SDK types are refused on preview versions",
        preview_since=_d("2020-01-01"),
    )

    @property
    def gate(self) -> Gate:
        value: Gate = self._value_  # `value`, without the enum's own property in between (read per request)
        return value


class VersionPolicy:
    """The single place that answers "does this version have feature X?"."""

    REMEMBERED = 64
    """Versions whose parse is remembered (a server sees a few; a flood of new ones starts over)."""

    def __init__(self, default: str = NEWEST_GA) -> None:
        self.default = parse(default)
        self._parsed: dict[str, ApiVersion] = {}

    def resolve(self, header: str | None) -> ApiVersion:
        if header is None or not header.strip():
            return self.default
        found = self._parsed.get(header)
        if found is None:
            found = parse(header)  # a malformed one raises and is never remembered
            if len(self._parsed) >= self.REMEMBERED:
                self._parsed.clear()
            self._parsed[header] = found
        return found

    @staticmethod
    def enabled(feature: Feature, version: ApiVersion) -> bool:
        return feature.gate.enabled(version)

    @staticmethod
    def features(version: ApiVersion) -> dict[str, bool]:
        return {feature.gate.name: feature.gate.enabled(version) for feature in Feature}
