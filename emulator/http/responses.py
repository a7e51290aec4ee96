"""JSON rendering, as Stripe renders it (pretty-printed UTF-8), and the error response."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import Response

from emulator.core.errors import StripeError


def dumps(payload: Any) -> bytes:
    """Stripe's layout: two-space indent, `": "`, raw UTF-8.

    orjson writes the same bytes as `json.dumps(indent=2, ensure_ascii=False)` about 30x faster (a test holds them
    equal); the standard library takes over for what orjson refuses, such as integers beyond 64 bits.
    """
    try:
        return orjson.dumps(payload, option=orjson.OPT_INDENT_2)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status_code=status, headers=headers, media_type="application/json")


def error_response(error: StripeError, headers: dict[str, str] | None = None) -> Response:
    merged = {**error.headers, **(headers or {})}
    return json_response(error.to_dict(), status=error.http_status, headers=merged)
