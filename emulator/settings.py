"""Emulator settings, shared by the CLI, the app factory and the harness."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from emulator.core.versions import NEWEST_GA

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111  # stripe-mock's port, so existing configurations work unchanged
MAX_BODY_BYTES = 1_000_000
MAX_RESTORE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    seed: int | None = None
    default_api_version: str = NEWEST_GA
    log_level: str = "info"
    max_body_bytes: int = MAX_BODY_BYTES
    max_restore_bytes: int = MAX_RESTORE_BYTES
    """Largest snapshot document `POST /_emulator/restore` reads (`--max-restore-bytes`)."""
    webhook_timeout: float = 10.0
    """Seconds one webhook attempt may take in all: connecting, sending, and reading the answer."""
    header_timeout: float = 10.0
    """Seconds a client has to send a request's headers (`--header-timeout`); then the connection is closed."""
    body_timeout: float = 30.0
    """Seconds a client has to send a request's body (`--body-timeout`); then a 408."""
    forward_to: str | None = None
    """Deliver every namespace's events to this URL too (like `stripe listen --forward-to`)."""
    forward_events: tuple[str, ...] = ("*",)
    webhook_secret: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    """Host names (besides loopback ones) the server answers to in the `Host` header (`--allowed-host`)."""
    webhook_hosts: tuple[str, ...] = ()
    """Hosts besides loopback ones that webhook endpoints may point to (`--webhook-hosts`; `*` for any)."""
    cors_origins: tuple[str, ...] = ()
    """Origins besides loopback ones allowed to call the API from a browser (`--cors-origin`)."""
    rate_limit: int | None = None
    """Requests per second per namespace before a 429 `rate_limit` (`--rate-limit`); None: unlimited."""
    control_token: str | None = None
    """Needed by `/_emulator/…` and `/v1/test_helpers/…` when set (`--control-token`, required by `--allow-remote`)."""
    surface: str = "all"
    """`all`: every endpoint of the stripe SDK that is not emulated by hand answers generically
    (`emulator.resources.generic`, `Emulator-Fidelity: generic`); `emulated`: only the endpoints emulated by hand
    answer (anything else is Stripe's 404)."""
    fast_path: bool = True
    """Serve plain `/v1/` requests without Starlette's middleware layers (`emulator.http.fastpath`; the same
    answers). Off only to compare the two."""
    state_file: str | None = None
    """Restore every namespace from this file at start; save them to it periodically and at shutdown."""
    state_interval: float = 5.0
    """Seconds between saves of `state_file` (a save is skipped when nothing changed)."""
    _random_secret: str = field(default_factory=lambda: f"whsec_{secrets.token_hex(16)}", repr=False)

    def forward_secret(self) -> str:
        """The `--forward-to` signing secret: given, or derived from the seed (stable across restarts), or random."""
        if self.webhook_secret is not None:
            return self.webhook_secret
        if self.seed is not None:
            return "whsec_" + hashlib.sha256(f"stripe-fc-emulator:{self.seed}:forward".encode()).hexdigest()[:32]
        return self._random_secret
