"""A typed Python client for the emulator's control plane (`/_emulator/…`), for one namespace (API key)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx

from emulator.http.auth import is_live_key
from harness.net import http_client

TIMEOUT = 10.0


class ControlError(RuntimeError):
    """The control plane answered with an error (its Stripe-shaped body is in `.error`)."""

    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(f"{status}: {error.get('message', error)}")
        self.status = status
        self.error = error


@dataclass(frozen=True)
class ClockState:
    now: int
    frozen: bool


@dataclass(frozen=True)
class LoggedRequest:
    id: str
    method: str
    path: str
    params: Any
    status: int
    idempotency_key: str | None
    stripe_version: str | None
    duration_ms: float
    idempotent_replayed: bool


class ControlClient:
    def __init__(self, base_url: str, api_key: str, *, client: httpx.Client | None = None,
                 control_token: str | None = None) -> None:
        if is_live_key(api_key):
            raise ValueError("refusing a live-mode key: the emulator's control plane takes test keys only")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.control_token = control_token or os.environ.get("STRIPE_FC_EMULATOR_CONTROL_TOKEN") or None
        """For an emulator started with `--control-token` (default: the same environment variable `serve` reads)."""
        self._client = client or http_client(TIMEOUT)

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, data: dict[str, str] | None = None,
              timeout: float | None = None, json_body: Any = None) -> dict[str, Any]:
        response = self._client.request(
            method,
            f"{self.base_url}/_emulator/{path}",
            data=data,
            json=json_body,
            headers={"Authorization": f"Bearer {self.api_key}",
                     **({"Emulator-Control-Token": self.control_token} if self.control_token else {})},
            timeout=TIMEOUT if timeout is None else timeout + TIMEOUT,
        )
        body: dict[str, Any] = response.json()
        if response.status_code >= 400:
            raise ControlError(response.status_code, body.get("error", body))
        return body

    def health(self) -> dict[str, Any]:
        return self._call("GET", "health")

    def reset(self, *, all_namespaces: bool = False) -> None:
        self._call("POST", "reset", {"all": "true"} if all_namespaces else None)

    def clock(self) -> ClockState:
        return self._clock(self._call("GET", "clock"))

    def freeze(self) -> ClockState:
        return self._clock(self._call("POST", "clock", {"freeze": "true"}))

    def unfreeze(self) -> ClockState:
        return self._clock(self._call("POST", "clock", {"freeze": "false"}))

    def advance(self, seconds: int) -> ClockState:
        return self._clock(self._call("POST", "clock", {"advance": str(seconds)}))

    def requests(self, limit: int = 100) -> list[LoggedRequest]:
        entries = self._call("GET", f"requests?limit={limit}")["data"]
        return [
            LoggedRequest(
                id=e["id"],
                method=e["method"],
                path=e["path"],
                params=e["params"],
                status=e["status"],
                idempotency_key=e["idempotency_key"],
                stripe_version=e["stripe_version"],
                duration_ms=e["duration_ms"],
                idempotent_replayed=e["idempotent_replayed"],
            )
            for e in entries
        ]

    # -- snapshots -----------------------------------------------------------------------------------------------
    def snapshot(self, *, all_namespaces: bool = False) -> dict[str, Any]:
        """The key's namespace (or every namespace) as a snapshot document, to `restore` later."""
        return self._call("GET", "snapshot?all=true" if all_namespaces else "snapshot")

    def restore(self, document: dict[str, Any] | None = None, *, all_namespaces: bool = False) -> int:
        """Put the key's namespace (or every namespace of `document`) back as `document` saved it; without a
        document, as the server's `--state-file` saved it. Returns how many namespaces were restored."""
        path = "restore?all=true" if all_namespaces else "restore"
        done = self._call("POST", path, json_body=document, timeout=60)
        return int(done["namespaces_restored"])

    def save_state(self) -> dict[str, Any]:
        """Write the server's `--state-file` now."""
        return self._call("POST", "snapshot")

    # -- webhooks ------------------------------------------------------------------------------------------------
    def flush_webhooks(self, timeout: int = 30) -> dict[str, Any]:
        """Deliver every webhook due now (by the namespace clock) and wait for those attempts."""
        return self._call("POST", "webhooks/flush", {"timeout": str(timeout)}, timeout=timeout)

    def deliveries(self, *, type: str | None = None, event: str | None = None, limit: int = 100) -> list[
            dict[str, Any]]:
        query = "&".join(f"{k}={v}" for k, v in (("type", type), ("event", event), ("limit", limit)) if v is not None)
        found: list[dict[str, Any]] = self._call("GET", f"webhooks/deliveries?{query}")["data"]
        return found

    def wait_for_event(self, type: str, *, after: str | None = None, timeout: int = 10) -> dict[str, Any]:
        """The first event of `type` (wildcards allowed), waiting up to `timeout` seconds on the server."""
        return self._wait("event", type, after, timeout, succeeded=False)

    def wait_for_delivery(self, type: str, *, succeeded: bool = True, after: str | None = None,
                          timeout: int = 10) -> dict[str, Any]:
        """The first delivery attempt of an event of `type` (successful ones only by default)."""
        return self._wait("delivery", type, after, timeout, succeeded=succeeded)

    def _wait(self, kind: str, type: str, after: str | None, timeout: int, *, succeeded: bool) -> dict[str, Any]:
        data = {"for": kind, "type": type, "timeout": str(timeout), "succeeded": "true" if succeeded else "false"}
        if after is not None:
            data["after"] = after
        try:
            return self._call("POST", "wait", data, timeout=timeout)
        except ControlError as exc:
            if exc.status == 408:
                raise TimeoutError(exc.error.get("message", f"no {kind} {type!r} within {timeout}s")) from exc
            raise

    @staticmethod
    def _clock(body: dict[str, Any]) -> ClockState:
        return ClockState(now=body["now"], frozen=body["frozen"])
