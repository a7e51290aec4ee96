"""Emulator settings, shared by the CLI, the app factory and the harness."""

from __future__ import annotations

from dataclasses import dataclass

from emulator.core.versions import NEWEST_GA

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 12111  # stripe-mock's port, so existing configurations work unchanged
MAX_BODY_BYTES = 1_000_000


@dataclass(frozen=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    seed: int | None = None
    default_api_version: str = NEWEST_GA
    log_level: str = "info"
    max_body_bytes: int = MAX_BODY_BYTES
