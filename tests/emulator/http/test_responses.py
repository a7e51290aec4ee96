"""Response bodies keep Stripe's layout whichever encoder writes them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tests.hypothesis_profiles  # noqa: F401  (the suite's hypothesis profile, before any settings are made)
from emulator.http.responses import dumps

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
PLAIN_FLOATS = st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f == 0 or 1e-4 <= abs(f) < 1e16)
"""Floats the two encoders write alike. Outside this range orjson writes 0.00006103515625 where the standard library
writes 6.103515625e-05 (the same number; found by this test) — such floats appear in no emulator response."""


def json_values(floats: st.SearchStrategy[float]) -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | INT64 | floats | st.text()
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(), inner, max_size=4), max_leaves=25)


JSON_VALUES = json_values(PLAIN_FLOATS)


def reference(payload: Any) -> bytes:
    return json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_dumps_writes_the_same_bytes_as_the_standard_library(payload: Any) -> None:
    assert dumps(payload) == reference(payload)


@settings(max_examples=200, deadline=None)
@given(json_values(st.floats(allow_nan=False, allow_infinity=False)))
def test_dumps_writes_the_same_values_as_the_standard_library_for_any_float(payload: Any) -> None:
    assert json.loads(dumps(payload)) == json.loads(reference(payload))


def test_dumps_keeps_non_ascii_and_control_characters_as_stripe_shows_them() -> None:
    payload = {"name": "José\u2028", "note": "line\nbreak\u001f\"quoted\"", "amount": 1099, "ratio": 0.1}
    body = dumps(payload)
    assert body == reference(payload)
    assert "José".encode() in body and b'\n  "amount": 1099,' in body


def test_dumps_falls_back_for_integers_orjson_refuses() -> None:
    payload = {"huge": 2**70, "negative": -(2**64)}
    assert dumps(payload) == reference(payload)


@pytest.mark.parametrize("headers", [None, {}, {"Stripe-Version": "2026-10-28.endive", "Idempotency-Key": "k"},
                                     {"Content-Type": "application/json; charset=utf-8"}])
@pytest.mark.parametrize("status", [200, 400, 404])
def test_api_response_has_the_headers_starlettes_response_has(headers: dict[str, str] | None, status: int) -> None:
    from starlette.responses import Response

    from emulator.http.responses import ApiResponse

    body = b'{\n  "id": "cus_1"\n}'
    ours = ApiResponse(body, status, headers)
    theirs = Response(body, status_code=status, headers=headers, media_type="application/json")
    assert (ours.status_code, ours.raw_headers, ours.body, ours.background) == (
        theirs.status_code, theirs.raw_headers, theirs.body, theirs.background)
