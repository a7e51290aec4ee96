from __future__ import annotations

import atexit
import gc
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # the emulator is imported by the fixtures that make one: an xdist controller never does
    from starlette.applications import Starlette

    from emulator.core.backend import Backend
    from emulator.http.state import EmulatorState
    from emulator.settings import Settings
    from harness.asgi import AsgiCaller, AsgiResponse
    from harness.contract.recorder import ContractRecorder

pytest_plugins = ("pytester",)


KEY = "sk_test_conftest"


class Api:
    """Raw HTTP exchanges with an in-process emulator app, as one API key."""

    def __init__(self, caller: AsgiCaller, app: Any, key: str = KEY) -> None:
        self.caller = caller
        self.app = app
        self.key = key

    def as_key(self, key: str) -> Api:
        return Api(self.caller, self.app, key)

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}", **(extra or {})}

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> AsgiResponse:
        return self.caller.request("GET", path, headers=self.headers(headers))

    def post(
        self,
        path: str,
        data: Mapping[str, Any] | list[tuple[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
    ) -> AsgiResponse:
        return self.caller.request("POST", path, headers=self.headers(headers), data=data, body=body)

    def delete(self, path: str, headers: Mapping[str, str] | None = None) -> AsgiResponse:
        return self.caller.request("DELETE", path, headers=self.headers(headers))

    @property
    def state(self) -> EmulatorState:
        state: EmulatorState = self.app.state.emulator
        return state

    def backend(self) -> Backend:
        return self.state.backends.get(self.key.split("_", 2)[2])


def digest(backend: Backend) -> str:
    """Everything a request could change in a namespace, as one string."""
    tables = {
        name: [json.dumps(getattr(row, "__dict__", repr(row)), default=repr, sort_keys=True)
               for row in backend.store.table(name).values()]
        for name in sorted(backend.store.counts())
    }
    return json.dumps(
        {"tables": tables, "events": len(backend.events.table), "idempotency": len(backend.idempotency)},
        sort_keys=True,
    )


@pytest.fixture
def app() -> Starlette:
    from emulator.http.app import create_app
    from emulator.settings import Settings

    return create_app(Settings(seed=1234))


def checked(app: Starlette, recorder: ContractRecorder | None) -> Any:
    """The app as the tests call it: behind the contract recorder when the check is on (it always is here)."""
    return app if recorder is None else recorder.wrap(app)


def restore_after_reset(api: Api, gone: str) -> None:
    """Take a snapshot of `api`'s namespace, reset it (`gone`, a path, then answers 404), and restore the snapshot."""
    saved = api.get("/_emulator/snapshot")
    assert saved.status == 200, saved.body
    assert api.post("/_emulator/reset").status == 200
    assert api.get(gone).status == 404
    restored = api.post("/_emulator/restore", body=saved.body, headers={"Content-Type": "application/json"})
    assert restored.status == 200, restored.body


@contextmanager
def api_on(settings: Settings, recorder: ContractRecorder | None, key: str) -> Iterator[Api]:
    """An `Api` on a new app made with `settings` (behind the contract recorder), closed afterwards."""
    from emulator.http.app import create_app
    from harness.asgi import AsgiCaller

    wrapped = checked(create_app(settings), recorder)
    caller = AsgiCaller(wrapped)
    try:
        yield Api(caller, wrapped, key=key)
    finally:
        caller.close()


@pytest.fixture
def api(app: Starlette, stripe_contract: ContractRecorder | None) -> Iterator[Api]:
    from harness.asgi import AsgiCaller

    wrapped = checked(app, stripe_contract)
    caller = AsgiCaller(wrapped)
    try:
        yield Api(caller, wrapped)
    finally:
        caller.close()


_HYPOTHESIS_TESTS_RAN: list[bool] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "hypothesis" in report.keywords and not _HYPOTHESIS_TESTS_RAN:  # hypothesis's plugin marks its tests
        _HYPOTHESIS_TESTS_RAN.append(True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """hypothesis's plugin imports all of hypothesis in its terminal summary (a tenth of a second) even when no
    hypothesis test ran, when that summary has nothing to say: such a run drops the plugin first. Under xdist the
    controller sees its workers' reports, so it keeps the plugin exactly when a worker ran a hypothesis test."""
    if _HYPOTHESIS_TESTS_RAN:
        return
    manager = session.config.pluginmanager
    plugin = manager.get_plugin("hypothesispytest")
    if plugin is not None:
        manager.unregister(plugin)


def pytest_unconfigure(config: pytest.Config) -> None:
    """At exit, the interpreter's last garbage collection walks every object the run made — the emulator's state,
    the SDK's classes — for nothing (the process ends; nothing here needs a finalizer run): a twentieth of a second
    of each run, paid twice in a row under xdist (a worker, then its controller waiting for it). Frozen objects are
    not walked."""
    atexit.register(gc.freeze)
