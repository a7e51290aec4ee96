"""The stripe SDK pointed at an emulator: over HTTP, or in-process through `AsgiHTTPClient` (no socket, no
monkeypatching — a regular `stripe.HTTPClient`, for the SDK's synchronous and `*_async` methods alike)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from typing import Any

import stripe

from harness.asgi import ASGIApp, AsgiCaller


def client_for(api_key: str, base_url: str, **options: Any) -> stripe.StripeClient:
    """A `StripeClient` whose API calls go to `base_url` (no retries, so tests see every answer)."""
    options.setdefault("max_network_retries", 0)
    return stripe.StripeClient(api_key, base_addresses={"api": base_url}, **options)


class AsgiHTTPClient(stripe.HTTPClient):  # type: ignore[misc]
    """A stripe `HTTPClient` that hands each request to an ASGI app in this process."""

    name = "stripe-fc-emulator-asgi"

    def __init__(self, app: ASGIApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._caller = AsgiCaller(app)

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        try:
            response = self._caller.request(method, url, headers=headers, body=post_data)
        except ConnectionResetError as exc:  # as the SDK's own clients report a body cut short: not retried
            raise stripe.APIConnectionError(f"Unexpected error communicating with Stripe. ({exc})",
                                            should_retry=False) from exc
        return response.body.decode("utf-8"), response.status, response.headers

    async def request_async(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        """The SDK's `*_async` methods (`create_async`, …), in process: awaited from any event loop."""
        try:
            response = await self._caller.request_async(method, url, headers=headers, body=post_data)
        except ConnectionResetError as exc:
            raise stripe.APIConnectionError(f"Unexpected error communicating with Stripe. ({exc})",
                                            should_retry=False) from exc
        return response.body, response.status, response.headers

    def sleep_async(self, secs: float) -> Awaitable[None]:
        return asyncio.sleep(secs)

    async def close_async(self) -> None:
        self._caller.close()

    def close(self) -> None:
        self._caller.close()
