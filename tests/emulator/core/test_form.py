from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode

from emulator.core.errors import InvalidRequestError
from emulator.core.form import canonical, decode, parse_key


def test_form_parse_key_splits_brackets() -> None:
    assert parse_key("a[b][0][]") == ["a", "b", "0", ""]
    assert parse_key("plain") == ["plain"]
    assert parse_key("broken[a") == ["broken[a"]
    assert parse_key("[a]") == ["[a]"]


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


@pytest.mark.parametrize("body", ["a=1&a[b]=2", "a[b]=1&a=2", "a[]=1&a[x]=2", "a[][b]=1&a[]=2", "a[x]=1&a[x][y]=2"])
def test_form_conflicting_shapes_are_a_400_naming_the_param(body: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        decode(body)
    assert info.value.param is not None and info.value.param.startswith("a")
    assert info.value.http_status == 400


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
