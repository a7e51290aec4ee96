from __future__ import annotations

from typing import Any

import pytest

from emulator.core.errors import InvalidRequestError
from emulator.core.form import decode
from emulator.core.spec import (
    UNSET,
    Array,
    Boolean,
    Choice,
    Context,
    Decimal,
    Email,
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
    validate,
)
from emulator.core.versions import Feature, parse

GA = Context(parse("2026-10-28.endive"))
PREVIEW = Context(parse("2026-09-30.preview"))

SESSION_LIKE = params(
    {
        "account_holder": Field(
            Hash({"type": Field(Choice(("account", "customer")), required=True), "customer": Field(String())})
        ),
        "permissions": Field(Array(Choice(("balances", "payment_method"))), required=True),
        "limits": Field(Hash({"accounts": Field(Integer(minimum=1, maximum=100, unsettable=True), required=True)})),
        "relink_options": Field(Hash({"authorization": Field(String(), required=True)}), feature=Feature.RELINK),
        "payment_method_types": Field(
            Array(String()),
            rejected=Rejected(
                Feature.PAYMENT_METHOD_TYPES_REMOVED, "payment_method_types_no_longer_supported", "removed"
            ),
        ),
        "confirm": Field(Boolean()),
        "metadata": Field(Metadata()),
    }
)


def check(body: str, ctx: Context = GA) -> dict[str, Any]:
    return validate(SESSION_LIKE, decode(body), ctx)


def refused(spec: Hash, form: Any, ctx: Context) -> InvalidRequestError:
    """The refusal `validate` raises for `form` (the test fails if it accepts it)."""
    with pytest.raises(InvalidRequestError) as info:
        validate(spec, form, ctx)
    return info.value


def error(body: str, ctx: Context = GA) -> InvalidRequestError:
    with pytest.raises(InvalidRequestError) as info:
        check(body, ctx)
    return info.value


def test_spec_coerces_nested_values_and_indexed_arrays() -> None:
    values = check("account_holder[type]=customer&permissions[1]=balances&permissions[0]=payment_method&confirm=true")
    assert values == {
        "account_holder": {"type": "customer"},
        "permissions": ["payment_method", "balances"],
        "confirm": True,
    }


def test_spec_missing_required_names_the_param() -> None:
    err = error("confirm=true")
    assert (err.code, err.param, err.message) == (
        "parameter_missing",
        "permissions",
        "Missing required param: permissions.",
    )


def test_spec_missing_required_inside_a_hash_uses_brackets() -> None:
    err = error("permissions[]=balances&account_holder[customer]=cus_1")
    assert (err.code, err.param) == ("parameter_missing", "account_holder[type]")


def test_spec_unknown_param_is_named() -> None:
    err = error("permissions[]=balances&foo=1")
    assert (err.code, err.param, err.message) == ("parameter_unknown", "foo", "Received unknown parameter: foo")
    nested = error("permissions[]=balances&account_holder[type]=customer&account_holder[nope]=x")
    assert nested.param == "account_holder[nope]"


def test_spec_empty_string_on_a_field_that_cannot_be_unset() -> None:
    err = error("permissions=")
    assert (err.code, err.param) == ("parameter_invalid_empty", "permissions")
    assert "cannot be unset" in err.message


def test_spec_empty_string_unsets_where_allowed() -> None:
    assert check("permissions[]=balances&limits[accounts]=")["limits"] == {"accounts": UNSET}


def test_spec_integer_errors() -> None:
    err = error("permissions[]=balances&limits[accounts]=abc")
    assert (err.code, err.param, err.message) == (
        "parameter_invalid_integer",
        "limits[accounts]",
        "Invalid integer: abc",
    )
    too_small = error("permissions[]=balances&limits[accounts]=0")
    assert too_small.param == "limits[accounts]" and "greater than or equal to 1" in too_small.message
    huge = error("permissions[]=balances&limits[accounts]=" + "9" * 40)
    assert huge.code == "parameter_invalid_integer"


def test_spec_enum_violation_names_the_item() -> None:
    err = error("permissions[0]=balances&permissions[1]=foo")
    assert err.param == "permissions[1]"
    assert err.message == "Invalid permissions[1]: must be one of balances or payment_method"


def test_spec_wrong_shapes() -> None:
    assert error("permissions[]=balances&account_holder=x").param == "account_holder"
    assert error("permissions[a]=balances").param == "permissions"
    assert error("permissions[]=balances&confirm=maybe").param == "confirm"


def test_spec_gated_field_is_unknown_before_its_version() -> None:
    body = "permissions[]=balances&relink_options[authorization]=fcauth_1"
    assert error(body, GA).code == "parameter_unknown"
    assert error(body, GA).param == "relink_options"
    assert check(body, PREVIEW)["relink_options"] == {"authorization": "fcauth_1"}


def test_spec_rejected_field_from_its_version_on() -> None:
    body = "permissions[]=balances&payment_method_types[]=us_bank_account"
    old = Context(parse("2026-07-29.dahlia"))
    assert check(body, old)["payment_method_types"] == ["us_bank_account"]
    err = error(body, GA)
    assert (err.code, err.param) == ("payment_method_types_no_longer_supported", "payment_method_types")


def test_spec_choice_values_can_be_gated() -> None:
    spec = params(
        {"sub": Field(Choice(("checking", "mortgage"), gated={"mortgage": Feature.EXTENDED_ACCOUNT_SUBCATEGORIES}))}
    )
    old = Context(parse("2024-06-20"))
    with pytest.raises(InvalidRequestError):
        validate(spec, {"sub": "mortgage"}, old)
    assert validate(spec, {"sub": "mortgage"}, GA) == {"sub": "mortgage"}


def test_spec_string_length_and_email() -> None:
    spec = params({"s": Field(String(max_length=3)), "e": Field(Email())})
    with pytest.raises(InvalidRequestError) as info:
        validate(spec, {"s": "abcd"}, GA)
    assert info.value.param == "s"
    with pytest.raises(InvalidRequestError) as email:
        validate(spec, {"e": "not-an-email"}, GA)
    assert (email.value.code, email.value.param) == ("email_invalid", "e")
    assert validate(spec, {"e": "jenny@example.com"}, GA) == {"e": "jenny@example.com"}


def test_spec_metadata_limits() -> None:
    assert check("permissions[]=balances&metadata[a]=1&metadata[b]=")["metadata"] == {"a": "1", "b": UNSET}
    assert check("permissions[]=balances&metadata=")["metadata"] is UNSET
    # Stripe's limits, at the boundary: 40-character keys, 500-character values and 50 keys are accepted
    at_limit = "&".join(f"metadata[{f'k{i:02d}'.ljust(40, 'x')}]={'v' * 500}" for i in range(50))
    accepted = check("permissions[]=balances&" + at_limit)["metadata"]
    assert len(accepted) == 50 and all(len(k) == 40 and len(v) == 500 for k, v in accepted.items())
    long_key = error("permissions[]=balances&metadata[" + "k" * 41 + "]=v")
    assert long_key.param == "metadata[" + "k" * 41 + "]" and "40 characters" in long_key.message
    long_value = error("permissions[]=balances&metadata[k]=" + "v" * 501)
    assert long_value.param == "metadata[k]" and "500 characters" in long_value.message
    many = "&".join(f"metadata[k{i}]=v" for i in range(51))
    assert "at most 50 keys" in error("permissions[]=balances&" + many).message
    nested = error("permissions[]=balances&metadata[k][x]=v")
    assert nested.param == "metadata[k]"


def test_spec_apply_metadata_merges_and_unsets() -> None:
    assert apply_metadata({"a": "1", "b": "2"}, {"b": UNSET, "c": "3"}) == {"a": "1", "c": "3"}
    assert apply_metadata({"a": "1"}, UNSET) == {}
    with pytest.raises(InvalidRequestError) as info:
        apply_metadata({f"k{i}": "v" for i in range(30)}, {f"n{i}": "v" for i in range(21)})
    assert info.value.param == "metadata" and "at most 50 keys" in info.value.message


def test_spec_range_accepts_integer_or_bounds() -> None:
    spec = params({"created": Field(Range())})
    assert validate(spec, decode("created=5"), GA) == {"created": 5}
    assert validate(spec, decode("created[gte]=5&created[lt]=9"), GA) == {"created": {"gte": 5, "lt": 9}}
    with pytest.raises(InvalidRequestError) as info:
        validate(spec, decode("created[between]=5"), GA)
    assert info.value.param == "created[between]"


def test_spec_every_endpoint_accepts_expand() -> None:
    assert check("permissions[]=balances&expand[]=a.b&expand[]=c")["expand"] == ["a.b", "c"]


def test_spec_enum_message_lists_three_or_more_with_oxford_or() -> None:
    spec = params({"t": Field(Choice(("exempt", "none", "reverse")))})
    with pytest.raises(InvalidRequestError) as info:
        validate(spec, {"t": "x"}, GA)
    assert info.value.message == "Invalid t: must be one of exempt, none, or reverse"


def test_spec_until_and_optional_from() -> None:
    spec = params(
        {
            "countries": Field(Array(String()), until=Feature.ENDIVE_FILTERS),
            "country": Field(String(), feature=Feature.ENDIVE_FILTERS),
            "holder": Field(String(), required=True, optional_from=Feature.RELINK),
        }
    )
    old = Context(parse("2026-07-29.dahlia"))
    assert validate(spec, decode("countries[]=US&holder=x"), old) == {"countries": ["US"], "holder": "x"}
    with pytest.raises(InvalidRequestError) as gone:
        validate(spec, decode("countries[]=US&holder=x"), GA)
    assert (gone.value.code, gone.value.param) == ("parameter_unknown", "countries")
    with pytest.raises(InvalidRequestError) as required:
        validate(spec, decode("country=US"), GA)
    assert (required.value.code, required.value.param) == ("parameter_missing", "holder")
    assert validate(spec, decode("country=US"), PREVIEW) == {"country": "US"}


def test_spec_range_bounds_are_exactly_gt_gte_lt_lte_and_integers() -> None:
    spec = params({"created": Field(Range())})
    both = validate(spec, decode("created[gt]=1&created[gte]=2&created[lt]=9&created[lte]=8"), GA)
    assert both == {"created": {"gt": 1, "gte": 2, "lt": 9, "lte": 8}}
    bound = refused(spec, decode("created[lte]=soon"), GA)
    assert (bound.param, bound.message) == ("created[lte]", "Invalid integer: soon")
    plain = refused(spec, decode("created=soon"), GA)
    assert (plain.param, plain.message) == ("created", "Invalid integer: soon")


def test_spec_decimal_within_bounds() -> None:
    spec = params({"probability": Field(Decimal(minimum=0.0, maximum=1.0))})
    assert validate(spec, {"probability": "0.25"}, GA) == {"probability": 0.25}
    assert validate(spec, {"probability": "0"}, GA) == {"probability": 0.0}
    assert validate(spec, {"probability": "1"}, GA) == {"probability": 1.0}
    for raw in ("abc", "nan", "inf", "-inf", "1" * 33, ["0.5"]):
        info = refused(spec, {"probability": raw}, GA)
        shown = raw if isinstance(raw, str) else repr(raw)
        assert (info.param, info.message) == ("probability", f"Invalid decimal: {shown}"), raw
    assert validate(spec, {"probability": "0." + "1" * 30}, GA)["probability"] < 1.0  # 32 characters are fine
    small = refused(spec, {"probability": "-0.01"}, GA)
    assert (small.param, small.message) == ("probability",
                                                        "This value must be greater than or equal to 0.0.")
    large = refused(spec, {"probability": "1.5"}, GA)
    assert (large.param, large.message) == ("probability", "This value must be less than or equal to 1.0.")
    empty = refused(spec, {"probability": ""}, GA)
    assert (empty.code, empty.param) == ("parameter_invalid_empty", "probability")
    unbounded = params({"x": Field(Decimal())})
    assert validate(unbounded, {"x": "-1e9"}, GA) == {"x": -1e9}


def test_spec_shown_values_are_cut_at_eighty_characters() -> None:
    spec = params({"n": Field(Integer())})
    for raw, shown in (("9" * 79 + "x", "9" * 79 + "x"), ("9" * 80 + "x", "9" * 80 + "…")):
        info = refused(spec, {"n": raw}, GA)
        assert info.message == f"Invalid integer: {shown}"


def test_spec_url_must_be_absolute_http_or_https() -> None:
    spec = params({"return_url": Field(Url())})
    assert validate(spec, {"return_url": "https://example.com/done?x=1"}, GA) == {
        "return_url": "https://example.com/done?x=1"}
    for raw in ("example.com/done", "javascript:alert(1)", "ftp://example.com/", "/relative"):
        info = refused(spec, {"return_url": raw}, GA)
        assert (info.code, info.param, info.message) == ("url_invalid", "return_url",
                                                                           "Not a valid URL"), raw
    long = refused(spec, {"return_url": "https://example.com/" + "a" * 2030}, GA)
    assert (long.param, long.message) == ("return_url",
                                                      "Invalid return_url: must be at most 2048 characters")


def test_spec_params_adds_expand_unless_told_not_to() -> None:
    assert validate(params({}), decode("expand[]=customer"), GA) == {"expand": ["customer"]}
    info = refused(params({}, expand=False), decode("expand[]=customer"), GA)
    assert (info.code, info.param) == ("parameter_unknown", "expand")


def test_spec_unset_is_one_falsy_marker() -> None:
    from emulator.core.spec import _Unset

    assert _Unset() is UNSET and repr(UNSET) == "UNSET" and not UNSET


def test_spec_empty_string_message_names_the_param_three_times() -> None:
    info = error("permissions[]=balances&confirm=")
    assert (info.code, info.param) == ("parameter_invalid_empty", "confirm")
    assert info.message == (
        "You passed an empty string for 'confirm'. We assume empty values are an attempt to unset a parameter; "
        "however 'confirm' cannot be unset. You should remove 'confirm' from your request or supply a non-empty "
        "value.")


def test_spec_metadata_messages_are_stripes() -> None:
    key = "k" * 41
    long_key = error(f"permissions[]=balances&metadata[{key}]=v")
    assert long_key.message == (f"Metadata keys can have up to 40 characters, but you passed in a key that is 41 "
                                f"characters. Invalid key: {key}")
    long_value = error("permissions[]=balances&metadata[k]=" + "v" * 501)
    assert long_value.message == ("Metadata values can have up to 500 characters, but you passed in a value that is "
                                  f"501 characters. Invalid value: {'v' * 80}…")
    many = error("permissions[]=balances&" + "&".join(f"metadata[k{i}]=v" for i in range(51)))
    assert (many.param, many.message) == ("metadata", "Invalid metadata: metadata can have at most 50 keys, but you "
                                                      "passed in 51.")
    nested = error("permissions[]=balances&metadata[k][x]=v")
    assert nested.message == "Invalid metadata[k]: metadata values must be strings"
    listed = error("permissions[]=balances&metadata[]=v")
    assert (listed.param, listed.message) == ("metadata", "Invalid hash")


def test_spec_booleans_as_the_sdks_write_them() -> None:
    for raw, value in (("true", True), ("True", True), ("false", False), ("False", False)):
        assert check(f"permissions[]=balances&confirm={raw}")["confirm"] is value
    for raw in ("TRUE", "1", "yes"):
        bad = error(f"permissions[]=balances&confirm={raw}")
        assert (bad.param, bad.message) == ("confirm", f"Invalid boolean: {raw}")


def test_spec_email_needs_text_on_both_sides_of_one_at_sign_and_no_spaces() -> None:
    spec = params({"e": Field(Email())})
    assert validate(spec, {"e": "a@b"}, GA) == {"e": "a@b"}
    for raw in ("@example.com", "jenny@", "jenny", "jen ny@example.com", "jenny@exa\tmple.com"):
        info = refused(spec, {"e": raw}, GA)
        assert (info.code, info.message) == ("email_invalid", f"Invalid email address: {raw}"), raw


def test_spec_integers_are_ascii_digits_within_64_bits() -> None:
    spec = params({"n": Field(Integer())})
    for raw, number in (("0", 0), ("-5", -5), ("007", 7), ("9223372036854775807", 2**63 - 1),
                        ("-9223372036854775808", -(2**63))):
        assert validate(spec, {"n": raw}, GA) == {"n": number}, raw
    # "--5" and "²" passed `str.isdigit` once and then crashed int(); non-ASCII digits and 65-bit values are refused
    for raw in ("--5", "5-", "+5", "²", "١٢", "１", "9223372036854775808", "-9223372036854775809", "1" * 20, "-",
                " 5", "5 ", "1.0", "1e3"):
        info = refused(spec, {"n": raw}, GA)
        assert (info.code, info.param, info.message) == (
            "parameter_invalid_integer", "n", f"Invalid integer: {raw}"), raw


def test_spec_integer_bounds_messages() -> None:
    spec = params({"n": Field(Integer(minimum=1, maximum=100))})
    assert validate(spec, {"n": "1"}, GA) == {"n": 1} and validate(spec, {"n": "100"}, GA) == {"n": 100}
    small = refused(spec, {"n": "0"}, GA)
    assert (small.param, small.message) == ("n", "This value must be greater than or equal to 1.")
    large = refused(spec, {"n": "101"}, GA)
    assert (large.param, large.message) == ("n", "This value must be less than or equal to 100.")


def test_spec_arrays_in_index_order_with_their_limits() -> None:
    spec = params({"a": Field(Array(String(max_length=3), max_items=2))})
    assert validate(spec, decode("a[10]=x&a[9]=y"), GA) == {"a": ["y", "x"]}  # by index, not as text
    assert validate(spec, decode("a=one"), GA) == {"a": ["one"]}  # a bare key is a one-item array
    many = refused(spec, decode("a[]=1&a[]=2&a[]=3"), GA)
    assert (many.param, many.message) == ("a", "Invalid a: must contain at most 2 items")
    long = refused(spec, decode("a[]=1&a[]=four"), GA)
    assert (long.param, long.message) == ("a[1]", "Invalid a[1]: must be at most 3 characters")
    hashed = refused(spec, decode("a[x]=1"), GA)
    assert (hashed.param, hashed.message) == ("a", "Invalid array")
    nested = refused(params({"s": Field(String())}), decode("s[x]=1"), GA)
    assert (nested.param, nested.message) == ("s", "Invalid string: {'x': '1'}")
