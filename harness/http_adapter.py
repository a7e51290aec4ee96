"""A relink client for integrators whose code runs as an HTTP server, in any language: each scenario call is a
JSON POST to one of your URLs, mapped by a small config. Your server answers with the JSON of the matching
`harness.client` dataclass (e.g. `{"session": "fcsess_…", "client_secret": "…"}` for `start_relink`).

`configure` tells your server where Stripe is for this scenario (`base_url`, `api_key`, `api_version`,
`webhook_secret`); `handle_webhook` forwards the delivery (raw body, `Stripe-Signature`) to your real webhook URL
and reads `{"action": …}` from its JSON answer, if any. Calls without a route are not offered, so scenarios that
need them are skipped; a route your server answers with 404, 405 or 501 skips the scenario when it is called."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from harness.client import EmulatorContext, Payment, PaymentSetup, Payout, RelinkOutcome, RelinkStart, WebhookOutcome
from harness.net import http_client

DEFAULT_ROUTES = {
    "configure": "/_stripe_test/configure",
    "handle_webhook": "/webhooks/stripe",
    "needs_relink": "/relink/needed",
    "start_relink": "/relink/start",
    "finish_relink": "/relink/finish",
    "create_payment_method": "/payments/setup",
    "create_payout_token": "/payouts/setup",
    "charge": "/payments/charge",
    "payout": "/payouts/pay",
}
RESULTS: dict[str, type[Any]] = {
    "start_relink": RelinkStart,
    "finish_relink": RelinkOutcome,
    "create_payment_method": PaymentSetup,
    "create_payout_token": PaymentSetup,
    "charge": Payment,
    "payout": Payout,
}
CALLED = tuple(name for name in DEFAULT_ROUTES if name not in ("configure", "handle_webhook"))
"""The calls answered by one of your routes with a JSON result."""
FIRST_ARGUMENT = {"finish_relink": "session", "charge": "customer"}
"""The name of a call's first argument when it is passed positionally (`account` for the others)."""


class HttpRelinkClient:
    def __init__(self, base_url: str, routes: Mapping[str, str | None] | None = None, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.routes = {**DEFAULT_ROUTES, **(routes or {})}
        self.http = http_client(timeout)
        for name in CALLED:
            if self.routes.get(name):
                setattr(self, name, self._caller(name))
        if self.routes.get("handle_webhook"):
            self.handle_webhook = self._handle_webhook

    def configure(self, context: EmulatorContext) -> None:
        route = self.routes.get("configure")
        if route:
            self.http.post(self.base_url + route, json=dataclasses.asdict(context)).raise_for_status()

    def _caller(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            if args:
                kwargs = {FIRST_ARGUMENT.get(name, "account"): args[0], **kwargs}
                if len(args) > 1:  # charge(customer, amount) / payout(account, amount)
                    kwargs["amount"] = args[1]
            url = self.base_url + str(self.routes[name])
            response = self.http.post(url, json=kwargs)
            if response.status_code in (404, 405, 501):  # no such route: the integrator has not built this call
                raise NotImplementedError(f"{url} answered {response.status_code}: the server does not implement "
                                          f"{name} (or set its route to None)")
            response.raise_for_status()
            body = response.json()
            if name == "needs_relink":  # {"needs_relink": true} or a bare boolean
                return bool(body.get("needs_relink")) if isinstance(body, dict) else bool(body)
            result = RESULTS.get(name)
            if result is None:
                return body
            fields = {f.name for f in dataclasses.fields(result)}
            return result(**{k: v for k, v in body.items() if k in fields})

        return call

    def _handle_webhook(self, payload: str, signature: str) -> WebhookOutcome:
        response = self.http.post(self.base_url + str(self.routes["handle_webhook"]), content=payload.encode(),
                                  headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
        try:
            body = response.json()
        except ValueError:
            body = {}
        action = body.get("action", "ignored") if isinstance(body, dict) else "ignored"
        account = body.get("account") if isinstance(body, dict) else None
        return WebhookOutcome(response.status_code, action, account)

    def close(self) -> None:
        self.http.close()
