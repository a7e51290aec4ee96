"""API keys: `Authorization: Bearer <key>` or Basic with the key as user name. Test keys only.

`sk_test_X`, `rk_test_X` and `pk_test_X` all belong to namespace `X`: an isolated world, like a Stripe account.
Live keys are refused and never stored or logged unmasked.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass

from emulator.core import messages
from emulator.core.errors import AuthenticationError
from emulator.core.requestlog import mask_key

_KEY_RE = re.compile(r"^(sk|rk|pk)_(test|live)_([A-Za-z0-9_]{1,247})$")
NAMESPACE_RE = re.compile(r"[A-Za-z0-9_]{1,247}")
"""What a namespace name (the part of a key after `sk_test_`) can be."""
_KINDS = {"sk": "secret", "rk": "restricted", "pk": "publishable"}
LIVE_PREFIXES = ("sk_live_", "rk_live_", "pk_live_")


def is_live_key(key: str) -> bool:
    """A live-mode key: refused by the server, and never sent by the emulator's own clients (CLI, harness)."""
    return key.startswith(LIVE_PREFIXES)


@dataclass(frozen=True)
class ApiKey:
    kind: str
    namespace: str
    masked: str


def _extract(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[0]
    return ""


_PARSED: dict[str, ApiKey] = {}
"""Keys already parsed (only valid ones, only short ones; a flood of new ones starts over): the same key comes with
every request of a test."""
_REMEMBERED = 1024


def parse_key(key: str) -> ApiKey:
    found = _PARSED.get(key)
    if found is None:
        found = _parse_key(key)
        if len(key) <= 200:
            if len(_PARSED) >= _REMEMBERED:
                _PARSED.clear()
            _PARSED[key] = found
    return found


def _parse_key(key: str) -> ApiKey:
    masked = mask_key(key) if len(key) < 300 else mask_key(key[:300])
    if is_live_key(key):
        raise AuthenticationError(messages.API_KEY_LIVE.format(masked=masked))
    match = _KEY_RE.match(key)
    if not match or match.group(2) != "test":
        raise AuthenticationError(messages.API_KEY_INVALID.format(masked=masked))
    return ApiKey(kind=_KINDS[match.group(1)], namespace=match.group(3), masked=masked)


def parse_secret_key(key: str) -> ApiKey:
    """A secret or restricted test key (a publishable one is refused, as Stripe refuses it on secret endpoints)."""
    api_key = parse_key(key)
    if api_key.kind == "publishable":
        raise AuthenticationError(messages.SECRET_KEY_REQUIRED, code="secret_key_required")
    return api_key


_BY_HEADER: dict[str, ApiKey] = {}
"""`Authorization` headers already read to a valid key (short ones; a flood of new ones starts over): a test sends
the same one with every request."""


def authenticate(headers: Mapping[str, str], *, allow_publishable: bool = False) -> ApiKey:
    authorization = headers.get("authorization")
    found = _BY_HEADER.get(authorization) if authorization is not None else None
    if found is None:
        key = _extract(authorization)
        if key is None:
            raise AuthenticationError(messages.API_KEY_MISSING)
        found = parse_key(key)
        if authorization is not None and len(authorization) <= 300:
            if len(_BY_HEADER) >= _REMEMBERED:
                _BY_HEADER.clear()
            _BY_HEADER[authorization] = found
    if found.kind == "publishable" and not allow_publishable:
        raise AuthenticationError(messages.SECRET_KEY_REQUIRED, code="secret_key_required")
    return found
