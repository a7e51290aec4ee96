"""A typed Python client for the emulator's control plane (`/_emulator/…`), for one namespace (API key)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

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
    def __init__(self, base_url: str, api_key: str, *, client: httpx.Client | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self._client = client or httpx.Client(timeout=TIMEOUT)

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, data: dict[str, str] | None = None) -> dict[str, Any]:
        response = self._client.request(
            method,
            f"{self.base_url}/_emulator/{path}",
            data=data,
            headers={"Authorization": f"Bearer {self.api_key}"},
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

    @staticmethod
    def _clock(body: dict[str, Any]) -> ClockState:
        return ClockState(now=body["now"], frozen=body["frozen"])
