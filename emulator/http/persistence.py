"""Saving and restoring namespaces: the snapshot document, the atomic state file, the periodic saver.

The document (format version 1):

    {"format": "stripe-fc-emulator/state", "format_version": 1, "emulator_version": "…", "saved_at": 1764150000,
     "namespaces": {"<namespace>": {"backend": {…}, "outbox": {…}}}}

Each namespace is encoded with `emulator.core.snapshot` while its lock is held, so it is consistent in itself.
Webhook deliveries that were in flight are saved as pending: after a restart they are sent again (at least once,
as Stripe delivers). Fault rules and `--rate-limit` are configuration of the run and are not saved.

The state file is written atomically: to a temporary file in the same directory, flushed and fsynced, then renamed
over the old one (and the directory fsynced), so a crash at any moment leaves either the previous complete file or
the new complete file — never a torn one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, TypedDict

from emulator import __version__
from emulator.core import conform
from emulator.core.backend import Backend, BackendState
from emulator.core.ids import RandomState
from emulator.core.snapshot import SnapshotError, decode, encode
from emulator.core.store import Table
from emulator.http.auth import NAMESPACE_RE
from emulator.http.state import EmulatorState
from emulator.resources import webhook_endpoints
from emulator.webhooks.delivery import MAX_LOG, Attempt, Delivery

FORMAT = "stripe-fc-emulator/state"
FORMAT_VERSION = 1
logger = logging.getLogger("emulator.persistence")


class OutboxState(TypedDict):
    deliveries: Table[Delivery]
    attempts: deque[Attempt]
    ids: RandomState


class NamespaceState(TypedDict):
    """One namespace of a document, decoded: what `_decode_namespace` checks before anything is replaced."""

    backend: BackendState
    outbox: OutboxState


def encode_namespace(state: EmulatorState, backend: Backend) -> dict[str, Any]:
    outbox = state.dispatcher.outbox(backend)
    with backend.lock:
        parts = {"backend": backend.export_state(),
                 "outbox": {"deliveries": outbox.deliveries, "attempts": outbox.attempts, "ids": outbox.ids.state()}}
        encoded: dict[str, Any] = encode(parts, backend)
        return encoded


def document(state: EmulatorState, namespaces: list[str] | None = None) -> dict[str, Any]:
    """Every namespace (or the ones named that exist) as one snapshot document."""
    chosen = state.backends.namespaces() if namespaces is None else namespaces
    encoded: dict[str, Any] = {}
    for name in chosen:
        backend = state.backends.peek(name)
        if backend is not None:
            encoded[name] = encode_namespace(state, backend)
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "emulator_version": __version__,
            "saved_at": int(time.time()), "request_ids": encode(state.request_ids.state()), "namespaces": encoded}


def check(doc: Any) -> dict[str, Any]:
    """The document's namespaces, or `SnapshotError` saying why it is not one this emulator reads."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SnapshotError(f"not a {FORMAT} document")
    version = doc.get("format_version")
    if version != FORMAT_VERSION:
        raise SnapshotError(f"format_version {version!r} is not supported (this emulator reads {FORMAT_VERSION}); "
                            f"it was written by emulator {doc.get('emulator_version')!r}")
    namespaces = doc.get("namespaces")
    if not isinstance(namespaces, dict):
        raise SnapshotError("`namespaces` is not an object")
    for name in namespaces:
        if not NAMESPACE_RE.fullmatch(name):
            raise SnapshotError(f"{name[:60]!r} is not a namespace name (the part of a key after sk_test_)")
    return namespaces


def _decode_namespace(state: EmulatorState, name: str, encoded: Any) -> Backend:
    backend = state.backends.create(name)
    try:
        parts: NamespaceState = decode(encoded, backend)
        conform.check(parts, NamespaceState, "$")
        if parts["backend"]["namespace"] != name:
            raise SnapshotError(f"$.backend.namespace is {parts['backend']['namespace']!r}")
        backend.import_state(parts["backend"])
        outbox = state.dispatcher.outbox(backend)
        outbox.deliveries = parts["outbox"]["deliveries"]
        outbox.attempts = deque(parts["outbox"]["attempts"], maxlen=MAX_LOG)
        outbox.ids.set_state(parts["outbox"]["ids"])
    except (SnapshotError, conform.Mismatch) as error:
        raise SnapshotError(f"namespace {name}: {error}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise SnapshotError(f"namespace {name}: malformed state ({type(error).__name__}: {error})") from None
    for delivery in outbox.deliveries.values():
        if delivery.status == "in_flight":  # the attempt's outcome was never recorded: send it again
            delivery.status = "pending"
    _adopt_forward_endpoint(state, backend)
    return backend


def _adopt_forward_endpoint(state: EmulatorState, backend: Backend) -> None:
    """The `--forward-to` endpoint is the running server's, not the saved world's: the saved one (kept, so its
    pending deliveries go on) takes this run's URL, events and secret, or is disabled when there is none now."""
    table = webhook_endpoints.table(backend)
    hidden = [endpoint for endpoint in table.values() if endpoint.hidden]
    settings = state.settings
    for endpoint in hidden:
        if settings.forward_to is None:
            table.remove(endpoint.id)
        else:
            endpoint.url = settings.forward_to
            endpoint.enabled_events = list(settings.forward_events)
            endpoint.secret = settings.forward_secret()
    if settings.forward_to is not None and not hidden:
        webhook_endpoints.add(backend, settings.forward_to, list(settings.forward_events),
                              secret=settings.forward_secret(), hidden=True,
                              description="--forward-to (like stripe listen)")


def restore(state: EmulatorState, doc: Any, namespaces: list[str] | None = None) -> list[str]:
    """Replace the named namespaces (default: all in the document) by their saved state. Everything is decoded
    before anything is replaced, so a bad document changes nothing."""
    saved = check(doc)
    chosen = sorted(saved) if namespaces is None else namespaces
    missing = [name for name in chosen if name not in saved]
    if missing:
        raise SnapshotError(f"the document has no namespace {missing[0]}")
    restored = [_decode_namespace(state, name, saved[name]) for name in chosen]
    for backend in restored:
        state.backends.install(backend)
    state.dispatcher.notifier.notify()
    return chosen


# -- the state file -------------------------------------------------------------------------------------------------

def write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number a snapshot may hold")


def parse(raw: bytes) -> Any:
    """JSON text as a document, or `SnapshotError` (never another exception) for text that is not strict JSON:
    invalid UTF-8 or syntax, NaN/Infinity, integers of more digits than Python reads, nesting past the parser."""
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise SnapshotError("nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as error:  # JSONDecodeError is a ValueError, so is the digit limit
        raise SnapshotError(f"not JSON: {str(error)[:200]}") from None


class StateFileError(Exception):
    """The state file cannot be used: it cannot be read, or its directory cannot be written to."""


def read_file(path: Path) -> dict[str, Any] | None:
    """The saved document, or None when there is no file yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise StateFileError(f"{path} cannot be read: {error.strerror or error}") from None
    try:
        doc = parse(raw)
    except SnapshotError as error:
        raise SnapshotError(f"{path} is {error}") from None
    check(doc)
    return dict(doc)


class StateFile:
    """`serve --state-file`: restore at start, save every `interval` seconds when something changed, and at
    shutdown. Saves are serialized; the JSON is built and written off the event loop."""

    def __init__(self, state: EmulatorState, path: Path, interval: float) -> None:
        self.state = state
        self.path = path
        self.interval = interval
        self._lock = threading.Lock()
        self._last: bytes | None = None
        self._task: asyncio.Task[None] | None = None
        self.saves = 0
        self.final_save_error: str | None = None
        """Why the save at shutdown failed (the server then exits non-zero), or None."""

    def check_writable(self) -> None:
        """`StateFileError` unless a file can be written (and renamed) in the state file's directory: checked at
        start, so a server never runs for hours losing every save."""
        probe = self.path.with_name(f".{self.path.name}.{os.getpid()}.probe.tmp")
        try:
            write_atomic(probe, b"")
        except OSError as error:
            raise StateFileError(f"cannot write in {self.path.parent}: {error.strerror or error}") from None
        finally:
            with contextlib.suppress(OSError):
                probe.unlink()

    def load(self) -> list[str]:
        self.check_writable()
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):  # a save a crash cut short: never complete
            with contextlib.suppress(OSError):
                stale.unlink()
        doc = read_file(self.path)
        if doc is None:
            return []
        restored = restore(self.state, doc)
        if "request_ids" in doc:  # at start only: request ids go on where the saved run stopped, never repeat
            self.state.request_ids.set_state(decode(doc["request_ids"]))
        self._last = self._namespaces_bytes(doc)
        return restored

    @staticmethod
    def _namespaces_bytes(doc: dict[str, Any]) -> bytes:
        return json.dumps(doc["namespaces"], separators=(",", ":")).encode()

    def save(self, force: bool = False) -> dict[str, Any]:
        """Write the file if the state changed since the last write (or `force`). Returns what was done."""
        with self._lock:
            doc = document(self.state)
            body = self._namespaces_bytes(doc)
            if body == self._last and not force:
                return {"written": False, "bytes": None, "namespaces": len(doc["namespaces"])}
            data = json.dumps(doc, separators=(",", ":")).encode()
            write_atomic(self.path, data)
            self._last = body
            self.saves += 1
            return {"written": True, "bytes": len(data), "namespaces": len(doc["namespaces"])}

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await asyncio.to_thread(self.save)
            except (OSError, SnapshotError) as error:  # keep serving; say so
                logger.error("could not save the state to %s: %s", self.path, error)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="stripe-fc-emulator state file")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        try:
            await asyncio.to_thread(self.save)
        except (OSError, SnapshotError) as error:
            self.final_save_error = str(error)
            logger.error("could not save the state to %s at shutdown: %s", self.path, error)
