"""The `Stripe-Signature` header, exactly as the stripe SDKs verify it: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<payload>" keyed with the endpoint secret as-is (whsec_ prefix included)>`."""

from __future__ import annotations

import hashlib
import hmac


def signature(payload: str, secret: str, timestamp: int) -> str:
    message = f"{timestamp}.{payload}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header(payload: str, secret: str, timestamp: int) -> str:
    return f"t={timestamp},v1={signature(payload, secret, timestamp)}"
