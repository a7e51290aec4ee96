"""What one running emulator holds: settings, the namespaces, the version policy, the request-id source."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from emulator.core.backend import Backend, Backends
from emulator.core.faults import RateLimiter
from emulator.core.ids import IdFactory
from emulator.core.urls import HostPolicy
from emulator.core.versions import VersionPolicy
from emulator.resources import webhook_endpoints
from emulator.resources.registry import LISTENERS
from emulator.settings import Settings
from emulator.webhooks.delivery import Dispatcher


@dataclass
class EmulatorState:
    settings: Settings
    backends: Backends
    policy: VersionPolicy
    request_ids: IdFactory
    dispatcher: Dispatcher
    started_at: float = field(default_factory=time.time)
    page_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    """This run's secret for the dashboard's form tokens (CSRF)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> EmulatorState:
        policy = VersionPolicy(settings.default_api_version)
        dispatcher = Dispatcher(timeout=settings.webhook_timeout)

        hosts = HostPolicy(settings.webhook_hosts)  # immutable: one for every namespace

        def on_create(backend: Backend) -> None:
            backend.webhook_hosts = hosts
            if settings.rate_limit is not None:
                backend.rate_limiter = RateLimiter(settings.rate_limit)
            if settings.forward_to is not None:
                webhook_endpoints.add(backend, settings.forward_to, list(settings.forward_events),
                                      secret=settings.forward_secret(), hidden=True,
                                      description="--forward-to (like stripe listen)")

        return cls(
            settings=settings,
            backends=Backends(settings.seed, policy.default, on_create=on_create,
                              listeners=(*LISTENERS, dispatcher.on_event)),
            policy=policy,
            request_ids=IdFactory(settings.seed, "requests"),
            dispatcher=dispatcher,
        )
