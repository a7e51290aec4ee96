from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

import tests.hypothesis_profiles  # noqa: F401  (the suite's hypothesis profile, before any settings are made)
from emulator.core import messages
from emulator.core.errors import InvalidRequestError
from emulator.core.form import canonical, decode, merge, parse_key


def test_form_parse_key_splits_brackets() -> None:
    assert parse_key("a[b][0][]") == ["a", "b", "0", ""]
    assert parse_key("plain") == ["plain"]
    assert parse_key("broken[a") == ["broken[a"]
    assert parse_key("[a]") == ["[a]"]
    assert parse_key("a[b]c") == ["a[b]c"]  # text after a bracket is not a segment
    assert parse_key("a[b][c") == ["a[b][c"]
    assert parse_key("a[]") == ["a", ""] and parse_key("a[][x]") == ["a", "", "x"]


def test_form_decodes_nested_hashes() -> None:
    assert decode("account_holder[type]=customer&account_holder[customer]=cus_1") == {
        "account_holder": {"type": "customer", "customer": "cus_1"}
    }


@pytest.mark.parametrize(
    "body",
    [
        "permissions[0]=payment_method&permissions[1]=balances",
        "permissions[]=payment_method&permissions[]=balances",
        "permissions=payment_method&permissions=balances",
    ],
)
def test_form_accepts_three_array_styles(body: str) -> None:
    decoded = decode(body)["permissions"]
    items = list(decoded.values()) if isinstance(decoded, dict) else decoded
    assert items == ["payment_method", "balances"]


def test_form_decodes_arrays_of_hashes_in_both_styles() -> None:
    assert decode("x[][k]=1&x[][j]=2&x[][k]=3") == {"x": [{"k": "1", "j": "2"}, {"k": "3"}]}
    assert decode("x[0][k]=1&x[1][k]=3") == {"x": {"0": {"k": "1"}, "1": {"k": "3"}}}


def test_form_keeps_empty_strings_as_unset_markers() -> None:
    assert decode("metadata=&limits[accounts]=") == {"metadata": "", "limits": {"accounts": ""}}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ("a=1&a[b]=2", "a"),  # a value, then a hash
        ("a[b]=1&a=2", "a"),  # a hash, then a value
        ("a[]=1&a[x]=2", "a"),  # an array, then a hash
        ("a[][b]=1&a[]=2", "a"),  # an array of hashes, then a plain item
        ("a[][b]=1&a=2", "a"),  # an array of hashes, then a bare value
        ("a[x]=1&a[x][y]=2", "a[x]"),  # the conflict one level down names the nested param
        ("a[x][]=1&a[x][z]=2", "a[x]"),
        ("a[][]=1", "a[][]"),  # an array directly inside an array has no form
        ("a[]=1&a[][k]=2", "a"),  # plain items, then a hash item
    ],
)
def test_form_conflicting_shapes_are_a_400_naming_the_param(body: str, param: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        decode(body)
    assert (info.value.param, info.value.http_status, info.value.code) == (param, 400, None)
    assert info.value.message == f"Invalid {param}: it was sent both as a value and as a hash or array."


def test_form_repeated_bare_keys_and_appended_items_make_one_array() -> None:
    assert decode("a=1&a=2&a=3") == {"a": ["1", "2", "3"]}
    assert decode("a[]=1&a=2&a[]=3") == {"a": ["1", "2", "3"]}
    assert decode("h[x]=1&h[y]=2&h[z][]=3&h[z][]=4") == {"h": {"x": "1", "y": "2", "z": ["3", "4"]}}


def test_form_array_of_hashes_starts_a_new_item_only_when_the_key_is_taken() -> None:
    # a deeper key not yet set in the last item joins that item
    assert decode("x[][k][m]=1&x[][k][n]=2") == {"x": [{"k": {"m": "1", "n": "2"}}]}
    # the same deep key again starts the next item
    assert decode("x[][k][m]=1&x[][k][m]=2") == {"x": [{"k": {"m": "1"}}, {"k": {"m": "2"}}]}
    # a key holding a value, then the same key as a hash: the next item
    assert decode("x[][k]=1&x[][k][m]=2") == {"x": [{"k": "1"}, {"k": {"m": "2"}}]}
    # an array inside an item is appended to in a new item each time (as `a[][k][]` is ambiguous)
    assert decode("x[][k][]=1&x[][k][]=2") == {"x": [{"k": ["1"]}, {"k": ["2"]}]}
    assert decode("x[][a]=1&x[][b]=2&x[][a]=3&x[][b]=4") == {"x": [{"a": "1", "b": "2"}, {"a": "3", "b": "4"}]}


def test_form_refuses_keys_deeper_than_sixteen_levels_and_more_than_ten_thousand_pairs() -> None:
    sixteen = "a" + "[b]" * 15
    assert decode(f"{sixteen}=1") != {}
    seventeen = "a" + "[b]" * 16
    with pytest.raises(InvalidRequestError) as info:
        decode(f"{seventeen}=1")
    assert (info.value.code, info.value.param) == ("parameter_unknown", seventeen)
    assert info.value.message == f"Received unknown parameter: {seventeen}"
    assert len(decode("&".join(f"k{i}=v" for i in range(10_000)))) == 10_000
    with pytest.raises(InvalidRequestError) as many:
        decode("&".join(f"k{i}=v" for i in range(10_001)))
    assert many.value.message == "Invalid request: too many parameters (at most 10000)."


def test_form_merge_lets_the_body_win_and_keeps_both_sides() -> None:
    query = {"limit": "3", "expand": ["data.customer"]}
    body = {"limit": "5", "name": "B"}
    assert merge(query, body) == {"limit": "5", "expand": ["data.customer"], "name": "B"}  # type: ignore[arg-type]
    assert query == {"limit": "3", "expand": ["data.customer"]}


def test_form_non_utf8_body_is_a_400() -> None:
    with pytest.raises(InvalidRequestError) as info:
        decode(b"name=\xff\xfe")
    assert "UTF-8" in info.value.message


def test_form_percent_encoded_non_utf8_is_a_400() -> None:
    with pytest.raises(InvalidRequestError):
        decode("name=%ff%fe")


def test_form_canonical_ignores_key_order() -> None:
    assert canonical(decode("a=1&b[c]=2")) == canonical(decode("b[c]=2&a=1"))
    assert canonical(decode("a=1")) != canonical(decode("a=2"))
    assert canonical({"b": ["1", "2"], "a": {"y": "", "x": "3"}}) == "{'a':{'x':'3','y':''},'b':['1','2']}"
    # array order matters, a value is not a one-item array, and a key is not its value
    assert canonical(decode("a=1&a=2")) != canonical(decode("a=2&a=1"))
    assert canonical({"a": "1"}) != canonical({"a": ["1"]}) and canonical({"a": "b"}) != canonical({"ab": ""})


# --- round trip with the stripe SDK's own encoder -------------------------------------------------------------

_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_scalars = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.integers(-(10**12), 10**12),
    st.booleans(),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=12,
)


def _expected(value: Any, raw_bool: bool = False, list_as_hash: bool = False) -> Any:
    """What the wire can carry: scalars as strings, empty collections vanish, lists become index-keyed hashes
    (only the parameter spec knows a hash of digits is an array). Mirrors the SDK's encoder: a boolean directly
    inside a list is written with Python's `str()` (`True`), elsewhere as `true`; a list directly inside a list is
    encoded like a hash."""
    if isinstance(value, bool):
        return str(value) if raw_bool else ("true" if value else "false")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict) or (isinstance(value, list) and list_as_hash):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        kept = {str(k): _expected(v) for k, v in items}
        return {k: v for k, v in kept.items() if v is not None} or None
    if isinstance(value, list):
        kept = {str(i): _expected(v, raw_bool=True, list_as_hash=True) for i, v in enumerate(value)}
        return {k: v for k, v in kept.items() if v is not None} or None
    return value


@settings(deadline=None)  # no wall-time limit per example: it must hold on a loaded CI machine
@given(st.dictionaries(_keys, _values, max_size=5))
def test_form_round_trips_the_sdk_encoder(params: dict[str, Any]) -> None:
    wire = urlencode(list(_api_encode(params)))
    expected = _expected(params) or {}
    assert decode(wire) == expected


def test_copy_data_is_a_deep_copy_of_request_data() -> None:
    from emulator.core.form import copy_data

    original = {"a": [{"b": "1", "c": None}, "x", 3], "d": {"e": True, "f": 2.5}, "g": ""}
    copied = copy_data(original)
    assert copied == original
    copied["a"][0]["b"] = "changed"
    copied["d"]["e"] = False
    copied["a"].append("more")
    assert original == {"a": [{"b": "1", "c": None}, "x", 3], "d": {"e": True, "f": 2.5}, "g": ""}


@given(st.lists(st.sampled_from([*"ab=&+%[]0123456789AFéz ", "%2", "%C3%A9", "%ff", "%E2%82", "%41"]),
                max_size=30).map("".join))
def test_pairs_split_a_form_as_parse_qsl_does(text: str) -> None:
    from urllib.parse import parse_qsl

    from emulator.core.form import pairs

    try:
        expected: object = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        expected = UnicodeDecodeError
    try:
        found: object = pairs(text)
    except UnicodeDecodeError:
        found = UnicodeDecodeError
    assert found == expected


@given(st.lists(st.tuples(st.sampled_from(["", "a", "b", "a[b]", "a[]", "a[0]", "b[][c]", "a[b", "[x]"]),
                          st.sampled_from(["1", "", "x y"])), max_size=8))
def test_decode_pairs_takes_plain_keys_as_the_general_path_does(pairs: list[tuple[str, str]]) -> None:
    # decode_pairs puts a plain key seen for the first time straight in: the same result, or the same 400, as
    # putting every key through parse_key and _put
    from emulator.core.form import _put, decode_pairs, parse_key

    def general() -> object:
        result: dict[str, Any] = {}
        for key, value in pairs:
            _put(result, parse_key(key), value, [])
        return result

    outcomes = []
    for decoder in (lambda: decode_pairs(pairs), general):
        try:
            outcomes.append(decoder())
        except InvalidRequestError as error:
            outcomes.append((error.param, error.message))
    assert outcomes[0] == outcomes[1]


@given(st.lists(st.sampled_from(["a", "b", "=", "&", "[", "]", "+", "%5B", "%41", "%ff", "%2", "é", "x"]),
                max_size=24).map("".join))
def test_decode_takes_a_form_of_distinct_plain_keys_as_the_general_path_does(text: str) -> None:
    from emulator.core.form import decode_pairs, pairs

    def general() -> object:
        try:
            found = pairs(text)
        except UnicodeDecodeError:
            return "not UTF-8"
        return decode_pairs(found)

    try:
        decoded: object = decode(text)
    except InvalidRequestError as error:
        decoded = "not UTF-8" if error.message == messages.NOT_UTF8 else (error.param, error.message)
    try:
        expected = general()
    except InvalidRequestError as error:
        expected = (error.param, error.message)
    assert decoded == expected
