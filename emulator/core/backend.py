"""One isolated world per API key (a namespace), created lazily and reset in one call."""

from __future__ import annotations

import copy
import dataclasses
import operator
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypedDict, TypeVar, overload

from emulator.core.clock import Clock, ClockState
from emulator.core.events import Event, EventLog, Renderer
from emulator.core.faults import FaultRules, RateLimiter
from emulator.core.idempotency import IdempotencyStore
from emulator.core.ids import IdFactory, RandomState
from emulator.core.requestlog import RequestLog
from emulator.core.store import Store, Table
from emulator.core.timers import Timers
from emulator.core.urls import HostPolicy
from emulator.core.versions import NEWEST_GA, ApiVersion, parse

T = TypeVar("T")
P = TypeVar("P")


@dataclass(eq=False, slots=True)  # not frozen (one is made per request, and a frozen one's `__init__` costs 5x
class Call:                        # more), but treated as immutable: nothing assigns to a call's fields
    """Who is asking, in which version: what resources need to stamp events and render objects."""

    version: ApiVersion
    request_id: str | None = None
    idempotency_key: str | None = None
    base_url: str = "http://127.0.0.1:12111"
    account: str | None = None
    """The connected account a `Stripe-Account` header acts for (validated to exist), else None (the platform)."""
    generic: bool = False
    """The generic surface is on (`serve --surface all`, the default): cards are generic payment methods, and
    Stripe's card test ids (`pm_card_visa`, `tok_visa`) name new ones (`emulator.resources.payments.cards`)."""


class BackendState(TypedDict):
    """A namespace's world as a snapshot keeps it (`Backend.export_state`); a restored one is checked against it."""

    namespace: str
    default_version: ApiVersion
    clock: ClockState
    ids: RandomState
    timers: Timers
    store: Store
    events: Table[Event]
    idempotency: IdempotencyStore
    requests: RequestLog


Listener = Callable[["Backend", Event], None]
"""Told of each new event of a namespace, in order: the resources' reactions, the webhook dispatcher."""

FROZEN_KEPT = 256
"""How many objects' latest frozen copies a namespace keeps for sharing (see `Backend.frozen`)."""

_MAKING = threading.RLock()
"""Held while a namespace part is made, so two threads never make two (re-entered: a part may need another)."""


class _Part(Generic[P]):
    """A part of a namespace made on first use: an idle namespace (a test's key that made no request, or one the
    plugin is done with) holds only its name. After the first use the part is a plain attribute of the instance
    (this descriptor defines no `__set__`, so the instance's own attribute wins), costing nothing per access."""

    def __init__(self, make: Callable[[Backend], P]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type) -> _Part[P]: ...
    @overload
    def __get__(self, obj: Backend, owner: type) -> P: ...
    def __get__(self, obj: Backend | None, owner: type) -> P | _Part[P]:
        if obj is None:
            return self
        with _MAKING:
            made: P | None = obj.__dict__.get(self._name)
            if made is None:
                made = obj.__dict__[self._name] = self._make(obj)
        return made


class Backend:
    """A namespace. Its parts (clock, ids, store, event log, …) are made on first use; its reactions to events are
    shared by every namespace of a server (`listeners`)."""

    namespace: str
    seed: int | None
    default_version: ApiVersion
    listeners: Sequence[Listener]
    clock = _Part(lambda backend: Clock())
    timers = _Part(lambda backend: Timers())
    ids = _Part(lambda backend: IdFactory(backend.seed, backend.namespace))
    store = _Part(lambda backend: Store())
    events = _Part(lambda backend: EventLog(backend.ids))
    idempotency = _Part(lambda backend: IdempotencyStore())
    requests = _Part(lambda backend: RequestLog())
    faults = _Part(lambda backend: FaultRules())
    lock = _Part(lambda backend: threading.RLock())
    rate_limiter: RateLimiter | None = None
    """Set by the server when it runs with `--rate-limit`."""
    webhook_hosts = HostPolicy()
    """Where this namespace's webhook endpoints may point (the server's `--webhook-hosts`, one policy it shares)."""
    happening: float | None = None
    """While a timer's action runs: the instant it was due (see `timestamp`)."""
    _frozen: dict[str, Any] | None = None
    """The latest frozen copy of each object an event carried, by id (see `frozen`); made on first use."""

    def __init__(self, namespace: str, seed: int | None = None, default_version: ApiVersion | None = None,
                 listeners: Sequence[Listener] = ()) -> None:
        self.namespace = namespace
        self.seed = seed
        self.default_version = default_version or parse(NEWEST_GA)
        """The version of events nobody's request caused (timers); requests' events use the request's version."""
        self.listeners = listeners
        """Told of each new event (see `emit`): the server's shared list, not a list per namespace."""

    def frozen(self, key: str, obj: T, copier: Callable[[T], T] = copy.deepcopy) -> T:
        """A frozen copy of `obj` for an event to keep (so it can be rendered later, in any version): the one made
        last time for `key` while `obj` still equals it, else a new one. A link emits several events carrying the
        same unchanged account; they share one copy instead of a copy each. Frozen copies are never changed (their
        holders only render them), so sharing them is safe. Not part of the state a snapshot saves: a restored
        namespace makes new copies (the events it restores keep theirs). The last `FROZEN_KEPT` objects' copies
        are kept: the events sharing one come together (one request's), and a copy per object ever frozen would
        cost a dict entry per object for good."""
        cache = self._frozen
        if cache is None:
            cache = self._frozen = {}
        last = cache.pop(key, None)
        made = last if last is not None and type(last) is type(obj) and last == obj else copier(obj)
        cache[key] = made  # the newest last: what was frozen longest ago goes first
        if len(cache) > FROZEN_KEPT:
            del cache[next(iter(cache))]
        return made  # type: ignore[no-any-return,unused-ignore]

    def automatic(self) -> Call:
        """The `Call` of something that happened by itself (no request id, the namespace's default version)."""
        return Call(version=self.default_version)

    def export_state(self) -> BackendState:
        """The namespace's world, for `emulator.core.snapshot` (call with `lock` held). Fault rules and the rate
        limiter are the test run's configuration, not the world, and are not part of it."""
        return {
            "namespace": self.namespace,
            "default_version": self.default_version,
            "clock": self.clock.state(),
            "ids": self.ids.state(),
            "timers": self.timers,
            "store": self.store,
            "events": self.events.table,
            "idempotency": self.idempotency,
            "requests": self.requests.saved_copy(),
        }

    def import_state(self, state: BackendState) -> None:
        """The inverse of `export_state` on a fresh backend (its listeners, set up by wiring, stay). ValueError or
        TypeError for a clock or id state that cannot be used."""
        self.default_version = state["default_version"]
        self.clock.set_state(state["clock"])
        self.ids.set_state(state["ids"])
        self.timers = state["timers"]
        self.store = state["store"]
        self.events.table = state["events"]
        self.idempotency = state["idempotency"]
        self.idempotency.forget_unfinished()
        self.requests = state["requests"]

    def tick(self) -> int:
        """Run every timer that is due by the namespace clock. What a timer causes happened when it was due, so its
        events carry that instant as `created` (not the moment a request or the worker noticed)."""
        if self.timers.next_due() is None:
            return 0  # nothing pending (most requests): neither the lock nor the clock is needed
        with self.lock:
            return self.timers.run_due(self.clock.now(), self._happening_at)

    def _happening_at(self, due: float | None) -> None:
        self.happening = due

    def timestamp(self) -> int:
        """Unix seconds of what is happening now: the due instant inside a timer's action, else the clock's."""
        return int(self.happening) if self.happening is not None else self.clock.timestamp()


class Backends:
    """Namespace -> Backend. Nothing is shared between namespaces, nothing lives at module level."""

    def __init__(
        self,
        seed: int | None = None,
        default_version: ApiVersion | None = None,
        on_create: Callable[[Backend], None] | None = None,
        listeners: Sequence[Listener] = (),
    ) -> None:
        self.seed = seed
        self.default_version = default_version
        self.listeners = tuple(listeners)
        """Told of every namespace's events, in order (`emit`)."""
        self.on_create = on_create
        """Called with each new namespace (the resources wire their event listeners here)."""
        self._backends: dict[str, Backend] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str) -> Backend:
        backend = self._backends.get(namespace)  # (a dict read is atomic: the lock is for making one)
        if backend is not None:
            return backend
        with self._lock:
            backend = self._backends.get(namespace)
            if backend is None:
                backend = self._backends[namespace] = self.create(namespace)
            return backend

    def peek(self, namespace: str) -> Backend | None:
        with self._lock:
            return self._backends.get(namespace)

    def install(self, backend: Backend) -> None:
        """Put a restored namespace in place of the one of its name (made with `create`)."""
        with self._lock:
            self._backends[backend.namespace] = backend

    def create(self, namespace: str) -> Backend:
        """A new, wired namespace that is not (yet) in place; see `install`."""
        backend = Backend(namespace, self.seed, self.default_version, self.listeners)
        if self.on_create is not None:
            self.on_create(backend)
        return backend

    def reset(self, namespace: str) -> None:
        with self._lock:
            self._backends.pop(namespace, None)

    def reset_all(self) -> int:
        with self._lock:
            count = len(self._backends)
            self._backends.clear()
            return count

    def namespaces(self) -> list[str]:
        with self._lock:
            return sorted(self._backends)


def shallow(obj: T) -> T:
    """A shallow copy of a dataclass instance. Unlike `copy.copy` it never asks either object for its `__dict__`,
    which CPython then builds and keeps (about 64 bytes an object; frozen copies are many). A plain dataclass (every
    field an `__init__` parameter in order, no `__post_init__`) is copied by its own `__init__`, given the values
    at once (five times faster than setting them one by one, which other classes get)."""
    copier = _COPIERS.get(type(obj))
    if copier is None:
        copier = _COPIERS[type(obj)] = _copier(type(obj))
    made: T = copier(obj)
    return made


_COPIERS: dict[type, Callable[[Any], Any]] = {}


def _copier(cls: type[T]) -> Callable[[T], T]:
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = tuple(field.name for field in fields)
    read = operator.attrgetter(*names)
    plain = cls.__dataclass_params__.init and not hasattr(cls, "__post_init__")  # type: ignore[attr-defined]
    if len(names) > 1 and plain and all(field.init and not field.kw_only for field in fields):
        return lambda obj: cls(*read(obj))

    def one_by_one(obj: T) -> T:
        made = object.__new__(cls)
        for name in names:
            object.__setattr__(made, name, getattr(obj, name))
        return made

    return one_by_one


def emit(
    backend: Backend,
    call: Call,
    type: str,
    render_object: Renderer,
    previous_attributes: dict[str, Any] | None = None,
) -> Event:
    """Record an event caused by `call` and tell the namespace's listeners. Its `api_version` is the version of the
    request that caused it."""
    event = backend.events.record(type, render_object, created=backend.timestamp(), api_version=call.version,
                                  previous_attributes=previous_attributes, request_id=call.request_id,
                                  idempotency_key=call.idempotency_key)
    for listener in backend.listeners:
        listener(backend, event)
    return event
