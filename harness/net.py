"""What the harness's HTTP clients share: building a verifying TLS context reads the whole CA bundle (~30 ms), and
every `httpx.Client` or `stripe.StripeClient` builds one when it is made, even for the plain-HTTP loopback URLs the
emulator is served on. A scenario makes three clients; the built-in library ran a second slower for it."""

from __future__ import annotations

import functools
import ssl

import httpx
import stripe


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context (httpx's defaults) for every client the harness makes."""
    return httpx.create_ssl_context()


def http_client(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, verify=tls_context())


@functools.cache
def stripe_http_client() -> stripe.HTTPClient:
    """One stripe HTTP client for every synchronous `StripeClient` the harness makes. It holds no key or version
    (those travel with each request) and keeps a session per thread, so webhook handlers may share it."""
    return stripe.RequestsClient()
