"""JSON rendering, as Stripe renders it (pretty-printed UTF-8), and the error response."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

from emulator.core.errors import StripeError


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, indent=2, ensure_ascii=False).encode("utf-8")


def json_response(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(payload), status_code=status, headers=headers, media_type="application/json")


def error_response(error: StripeError, headers: dict[str, str] | None = None) -> Response:
    merged = {**error.headers, **(headers or {})}
    return json_response(error.to_dict(), status=error.http_status, headers=merged)
