from __future__ import annotations

import pytest

from emulator.core.errors import InvalidRequestError
from emulator.core.versions import NEWEST_GA, Feature, VersionPolicy, parse

EXT = "extended_account_subcategories"
TAN = "tokenized_account_numbers"
RELINK = "relink"
HOSTED = "hosted_relink"
UPCOMING = "upcoming_deactivations"
ALLOWED = "allowed_payment_method_types"
PMT_REMOVED = "payment_method_types_removed"
FILTERS = "endive_filters"
DEFAULTS = "endive_session_defaults"
TAN_STATUSES = "tan_pending_expired"
CODES = "fc_payment_method_error_codes"  # 2025-09-30.clover (facts §6)
ADVANCED = "advanced_session_config"  # GA 2026-07-29.dahlia (facts §6); preview from the relink preview
ENDIVE = {FILTERS, DEFAULTS, TAN_STATUSES}
SDK_PREVIEW = "sdk_preview_params"  # the parameters only the preview SDK types: every preview version
NAMES = "customer_names"  # 2025-09-30.clover: business_name and individual_name on customers
DISCOUNT = "discount_source"  # 2025-09-30.clover: a discount's source replaces its expanded coupon
COUPON = "singular_coupon_removed"  # 2025-03-31.basil: customers' coupon and promotion_code parameters removed

# Every version of reference/stripe-api.md §0.2, with the gates that must be on (written out by hand: the oracle).
TABLE = [
    ("2023-10-16", set()),
    ("2024-09-30.acacia", {EXT}),
    ("2025-08-27.basil", {COUPON, EXT}),
    ("2025-09-30.clover", {DISCOUNT, COUPON, NAMES, EXT, CODES}),
    ("2025-11-17.clover", {DISCOUNT, COUPON, NAMES, EXT, CODES, TAN}),
    ("2026-01-28.preview", {DISCOUNT, COUPON, NAMES, EXT, CODES, TAN, RELINK, ADVANCED, SDK_PREVIEW}),
    ("2026-03-25.preview", {DISCOUNT, COUPON, NAMES, EXT, CODES, TAN, RELINK, HOSTED, ADVANCED, SDK_PREVIEW}),
    ("2026-06-24.dahlia", {DISCOUNT, COUPON, NAMES, EXT, CODES, TAN, UPCOMING}),
    ("2026-07-29.dahlia", {DISCOUNT, COUPON, NAMES, EXT, CODES, TAN, UPCOMING, ALLOWED, ADVANCED}),
    ("2026-08-26.preview", {DISCOUNT, COUPON, NAMES, EXT, CODES, TAN, RELINK, HOSTED, UPCOMING, ALLOWED,
                            PMT_REMOVED, ADVANCED, SDK_PREVIEW}),
    ("2026-09-30.endive", {DISCOUNT, COUPON, NAMES, EXT, CODES, TAN, UPCOMING, ALLOWED, PMT_REMOVED,
                           ADVANCED} | ENDIVE),
    ("2026-09-30.preview", {DISCOUNT, COUPON, NAMES, EXT, CODES, TAN, RELINK, HOSTED, UPCOMING, ALLOWED,
                            PMT_REMOVED, ADVANCED, SDK_PREVIEW} | ENDIVE),
    ("2026-10-28.endive", {DISCOUNT, COUPON, NAMES, EXT, CODES, TAN, UPCOMING, ALLOWED, PMT_REMOVED,
                           ADVANCED} | ENDIVE),
    ("2022-08-01; financial_connections_relink_api_beta=v1", {RELINK, ADVANCED}),
]


@pytest.mark.parametrize(("version", "enabled"), TABLE, ids=[row[0] for row in TABLE])
def test_versions_gates_table(version: str, enabled: set[str]) -> None:
    features = VersionPolicy.features(parse(version))
    assert {name for name, on in features.items() if on} == enabled


def test_versions_every_gate_is_in_the_table() -> None:
    named = {feature.gate.name for feature in Feature}
    seen = set().union(*(enabled for _, enabled in TABLE))
    assert named == seen


def test_versions_parse_parts() -> None:
    version = parse(" 2022-08-01; financial_connections_relink_api_beta=v1 ")
    assert version.release is None and version.betas == {"financial_connections_relink_api_beta"}
    assert parse("2026-09-30.preview").is_preview
    assert not parse("2026-10-28.endive").is_preview


@pytest.mark.parametrize(
    "raw", ["latest", "2026-13-01.endive", "2026-10-28.banana", "2026-10-28.endive; flag", "26-10-28", "2026-02-30"]
)
def test_versions_malformed_is_a_400(raw: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse(raw)
    assert info.value.http_status == 400 and "Invalid Stripe API version" in info.value.message


def test_versions_policy_default_is_newest_ga() -> None:
    policy = VersionPolicy()
    assert str(policy.resolve(None)) == NEWEST_GA == "2026-10-28.endive"
    assert str(policy.resolve("")) == NEWEST_GA
    assert str(VersionPolicy("2026-09-30.preview").resolve(None)) == "2026-09-30.preview"
    assert policy.enabled(Feature.RELINK, policy.resolve("2026-09-30.preview"))


def test_versions_malformed_message_shows_the_value_cut_at_a_hundred_characters() -> None:
    hundred = "x" * 100
    for raw, shown in ((hundred, hundred), (hundred + "y", hundred + "…"), ("2026-13-01.endive", "2026-13-01.endive")):
        with pytest.raises(InvalidRequestError) as info:
            parse(raw)
        assert info.value.message == (
            f"Invalid Stripe API version: {shown}. Versions look like 2026-10-28.endive or 2026-09-30.preview, "
            "optionally followed by beta flags such as '; financial_connections_relink_api_beta=v1'.")
