"""What one running emulator holds: settings, the namespaces, the version policy, the request-id source."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from emulator.core.backend import Backends
from emulator.core.ids import IdFactory
from emulator.core.versions import VersionPolicy
from emulator.resources.registry import wire
from emulator.settings import Settings


@dataclass
class EmulatorState:
    settings: Settings
    backends: Backends
    policy: VersionPolicy
    request_ids: IdFactory
    started_at: float = field(default_factory=time.time)

    @classmethod
    def from_settings(cls, settings: Settings) -> EmulatorState:
        policy = VersionPolicy(settings.default_api_version)
        return cls(
            settings=settings,
            backends=Backends(settings.seed, policy.default, on_create=wire),
            policy=policy,
            request_ids=IdFactory(settings.seed, "requests"),
        )
