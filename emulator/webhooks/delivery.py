"""Webhook delivery: every event goes to every enabled endpoint that wants it, signed, with retries.

Each namespace has an outbox of deliveries (one per event and endpoint). A single asyncio worker per running app
sends what is due — due by the *namespace clock*, so a test moves the clock instead of waiting — with bounded
concurrency and a time limit per attempt (connecting, sending and reading the answer together), so a hanging or
dripping endpoint holds one slot at most for `timeout` seconds and never the API. A failed attempt (non-2xx,
timeout, connection error, a host the policy refuses) is retried after `RETRY_DELAYS[n]`; after the last one the
delivery is `failed`. Every attempt is logged, with at most `EXCERPT` bytes of the answer (no more is read).

The worker never walks every namespace: a request kicks the worker *for its own namespace*, and namespaces with
work due later (a retry, a timer on a flowing clock) wait in a heap keyed by the wall time they fall due. So the
cost of a request does not depend on how many namespaces exist. A namespace whose state fails while the worker
handles it is logged and skipped; the others go on.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import socket
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from emulator.core.backend import Backend
from emulator.core.events import Event
from emulator.core.ids import IdFactory
from emulator.core.snapshot import saved
from emulator.core.store import Table
from emulator.core.urls import HostPolicy
from emulator.resources import webhook_endpoints
from emulator.resources.webhook_endpoints import WebhookEndpoint
from emulator.webhooks import signing

logger = logging.getLogger("emulator.webhooks")

RETRY_DELAYS = (60, 300, 1800, 3600, 7200, 14400, 28800, 43200, 86400, 86400)
"""Seconds (namespace clock) before retry 1, 2, …: 1 min, 5 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h, 24 h, 24 h —
11 attempts over about 3 days, like Stripe's "up to three days"."""
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
EXCERPT = 500
MAX_LOG = 10_000


@saved
@dataclass
class Delivery:
    id: str
    event: str
    event_type: str
    endpoint: str
    due: float
    attempts: int = 0
    status: str = "pending"  # pending | in_flight | succeeded | failed


@saved
@dataclass
class Attempt:
    id: str
    delivery: str
    endpoint: str
    url: str
    event: str
    event_type: str
    attempt: int
    status_code: int | None
    error: str | None
    duration_ms: float
    response_excerpt: str
    attempted_at: int
    next_retry_at: int | None
    succeeded: bool

    def to_dict(self) -> dict[str, Any]:
        return {"object": "emulator.webhook_delivery_attempt", **self.__dict__}


class Outbox:
    """A namespace's deliveries and attempts. It refers to its namespace weakly: the dispatcher keeps outboxes in a
    weak mapping keyed by namespace, and a strong reference back would keep every namespace ever used alive (a reset
    must free it)."""

    def __init__(self, backend: Backend) -> None:
        self._backend = weakref.ref(backend)
        self.deliveries: Table[Delivery] = Table()
        self.attempts: deque[Attempt] = deque(maxlen=MAX_LOG)
        self.ids = IdFactory(backend.seed, f"{backend.namespace}:webhooks")
        """Delivery and attempt ids have their own stream: attempts happen when the network lets them, and must not
        shift the ids of the namespace's objects and events (same seed, same ids, however fast the endpoints
        are)."""
        self.made = 0
        """Deliveries made so far: a change counter (requests that made none need not wake the worker)."""

    @property
    def backend(self) -> Backend:
        found = self._backend()
        if found is None:  # only reachable through an outbox kept past its namespace's reset
            raise LookupError("this outbox's namespace was reset")
        return found

    def deliver(self, event: Event, endpoints: list[WebhookEndpoint]) -> None:
        """One delivery of `event` to each of `endpoints` (those that want it), due now."""
        for endpoint in endpoints:
            delivery = Delivery(id=self.ids.new("whdel"), event=event.id, event_type=event.type,
                                endpoint=endpoint.id, due=self.backend.clock.now())
            self.deliveries.put(delivery.id, delivery)
            event.pending_webhooks += 1
        self.made += len(endpoints)

    def due(self, now: float) -> list[Delivery]:
        return [d for d in self.deliveries.values() if d.status == "pending" and d.due <= now]

    def next_due(self) -> float | None:
        """The namespace-clock instant of the next thing to do: a pending delivery or a timer."""
        pending = [d.due for d in self.deliveries.values() if d.status == "pending"]
        timer = self.backend.timers.next_due()
        if timer is not None:
            pending.append(timer)
        return min(pending) if pending else None


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


class Notifier:
    """Lets coroutines wait for "something changed" (an event, a delivery attempt), from any thread."""

    def __init__(self) -> None:
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        self._lock = threading.Lock()

    def notify(self) -> None:
        if not self._waiters:  # nobody waits (as most of the time): nothing to take under the lock
            return
        with self._lock:
            waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)

    async def wait_until(self, predicate: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            found = predicate()
            if found:
                return found
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            loop = asyncio.get_running_loop()
            future: asyncio.Future[None] = loop.create_future()
            with self._lock:
                self._waiters.append((loop, future))
            try:
                await asyncio.wait_for(future, timeout=min(remaining, 1.0))
            except asyncio.TimeoutError:
                pass


class Dispatcher:
    def __init__(self, *, timeout: float = 10.0, concurrency: int = 8) -> None:
        self.timeout = timeout
        self.notifier = Notifier()
        self._outboxes: weakref.WeakKeyDictionary[Backend, Outbox] = weakref.WeakKeyDictionary()
        self._attached: weakref.WeakSet[Backend] = weakref.WeakSet()
        self._semaphore_size = concurrency
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._client: httpx.AsyncClient | None = None
        self._running: dict[str, asyncio.Task[None]] = {}
        """In-flight attempts by delivery id."""
        self._kicked: dict[int, Backend] = {}
        """Namespaces to look at on the worker's next pass (by id: in kick order, each once)."""
        self._later: list[tuple[float, int, weakref.ref[Backend]]] = []
        """(wall time, sequence, namespace): work that falls due later, earliest first."""
        self._scheduled: weakref.WeakKeyDictionary[Backend, float] = weakref.WeakKeyDictionary()
        self._sequence = 0
        self.visits = 0
        """Namespaces the worker has looked at (a test shows one request costs one visit, however many exist)."""
        self.made = 0
        """Deliveries events made, in every namespace: a change counter the pipeline reads before and after a
        request (a plain attribute: no lookup per request). A delivery another namespace made meanwhile only has the
        worker look at the request's namespace once more, for nothing."""

    # -- wiring ----------------------------------------------------------------------------------------------------
    def on_event(self, backend: Backend, event: Event) -> None:
        """A namespace recorded an event (the listener every namespace of a server shares, see `Backend.listeners`).
        The outbox is made with the first event an endpoint wants: a namespace that never records one costs nothing
        here."""
        wanting = backend.store.holds(webhook_endpoints.TABLE) and [
            e for e in webhook_endpoints.table(backend).values() if e.wants(event.type)]
        if wanting:  # a namespace no endpoint listens to keeps no outbox
            self.outbox(backend).deliver(event, wanting)
            self.made += len(wanting)
        self.notifier.notify()

    def attach(self, backend: Backend) -> None:
        """Listen to a namespace made without this dispatcher among its listeners (outside a server's `Backends`)."""
        namespace = weakref.ref(backend)  # the listener lives in the namespace: no cycle back to it

        def on_event(event: Event) -> None:
            owner = namespace()
            if owner is not None:
                self.on_event(owner, event)

        self._attached.add(backend)
        backend.events.subscribe(on_event)

    def listens_to(self, backend: Backend) -> bool:
        return self.on_event in backend.listeners or backend in self._attached

    def deliveries_made(self, backend: Backend) -> int:
        """How many deliveries the namespace has made so far (0 without an outbox): a change counter."""
        found = self._outboxes.get(backend)
        return 0 if found is None else found.made

    def outbox(self, backend: Backend) -> Outbox:
        found = self._outboxes.get(backend)
        if found is None:
            if not self.listens_to(backend):  # a backend made without the dispatcher (not through the app)
                self.attach(backend)
            found = self._outboxes[backend] = Outbox(backend)
        return found

    # -- the worker ------------------------------------------------------------------------------------------------
    def kick(self, backend: Backend | None = None) -> None:
        """Make sure the worker runs in this event loop, and has it look at `backend`'s outbox now."""
        if backend is not None:
            self._kicked[id(backend)] = backend
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._worker is None or self._worker.done():
            self._loop = loop
            self._wake = asyncio.Event()
            self._semaphore = asyncio.Semaphore(self._semaphore_size)
            self._client = httpx.AsyncClient(timeout=self.timeout)
            self._worker = loop.create_task(self._work(), name="stripe-fc-emulator webhooks")
        assert self._wake is not None
        self._wake.set()

    async def _work(self) -> None:
        assert self._wake is not None
        while True:
            self._wake.clear()
            self._visit_due()  # (in a call of its own: this frame keeps no namespace alive while it waits)
            wait = 60.0 if not self._later else min(max(self._later[0][0] - time.time(), 0.0), 60.0)
            # Not `wait_for`: on Python < 3.12 it can swallow a cancellation that arrives as the event is set, and
            # the worker would then outlive its loop's shutdown (found by the state machine's restarts).
            waiter = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait({waiter}, timeout=wait)
            finally:
                waiter.cancel()

    def _visit_due(self) -> None:
        for backend in self._take_due():
            self._visit(backend)

    def _take_due(self) -> list[Backend]:
        """The kicked namespaces and those whose scheduled work is due by now, each once."""
        chosen, self._kicked = self._kicked, {}
        now = time.time()
        while self._later and self._later[0][0] <= now:
            _, _, ref = heapq.heappop(self._later)
            backend = ref()
            if backend is not None:
                self._scheduled.pop(backend, None)
                chosen.setdefault(id(backend), backend)
        return list(chosen.values())

    def _visit(self, backend: Backend) -> None:
        """Run the namespace's due timers, start its due deliveries, and schedule its next wake-up."""
        self.visits += 1
        outbox = self.outbox(backend)
        try:
            with backend.lock:
                backend.tick()
                now = backend.clock.now()
                due = outbox.due(now)
                for delivery in due:
                    delivery.status = "in_flight"
                upcoming = outbox.next_due()
                frozen = backend.clock.frozen
        except Exception:  # a namespace whose state cannot be used must not stop the others' deliveries
            logger.exception("webhook worker: namespace %s failed and was skipped", backend.namespace)
            return
        for delivery in due:
            self._start(outbox, delivery)
        if upcoming is not None and not frozen:
            self._schedule(backend, time.time() + max(upcoming - now, 0.05))

    def _schedule(self, backend: Backend, wall: float) -> None:
        current = self._scheduled.get(backend)
        if current is not None and current <= wall:
            return
        self._scheduled[backend] = wall
        self._sequence += 1
        heapq.heappush(self._later, (wall, self._sequence, weakref.ref(backend)))

    def _start(self, outbox: Outbox, delivery: Delivery) -> asyncio.Task[None]:
        assert self._loop is not None
        task = self._loop.create_task(self._attempt(outbox, delivery))
        self._running[delivery.id] = task
        task.add_done_callback(lambda _: self._running.pop(delivery.id, None))
        return task

    async def flush(self, backend: Backend, timeout: float) -> dict[str, Any]:
        """Deliver everything due now in this namespace and wait for those attempts, and those already in flight
        (bounded by `timeout`). Says what happened: the attempts that finished meanwhile (`attempted`, of which
        `attempts_failed`), where every delivery stands (`succeeded`, `pending` — of which `retrying`: attempted,
        failed, next try later by Stripe's schedule — and `failed`: given up), and the newest failed attempt of a
        delivery still retrying (`last_failure`), so a handler that answered 500 before the flush is not a mystery."""
        self.kick(backend)
        outbox = self.outbox(backend)
        seen = {attempt.id for attempt in outbox.attempts}
        with backend.lock:
            backend.tick()
            due = outbox.due(backend.clock.now())
            for delivery in due:
                delivery.status = "in_flight"
        tasks = [self._start(outbox, delivery) for delivery in due]
        in_flight = [self._running[d.id] for d in outbox.deliveries.values() if d.id in self._running]
        if tasks or in_flight:
            await asyncio.wait({*tasks, *in_flight}, timeout=timeout)
        made = [attempt for attempt in outbox.attempts if attempt.id not in seen]
        deliveries = list(outbox.deliveries.values())
        statuses = [d.status for d in deliveries]
        retrying = {d.id for d in deliveries if d.status == "pending" and d.attempts > 0}
        last_failure = next((a for a in reversed(outbox.attempts) if a.delivery in retrying and not a.succeeded), None)
        return {"attempted": len(made), "attempts_failed": sum(not attempt.succeeded for attempt in made),
                "succeeded": statuses.count("succeeded"),
                "pending": statuses.count("pending") + statuses.count("in_flight"), "retrying": len(retrying),
                "failed": statuses.count("failed"),
                "last_failure": None if last_failure is None else {
                    key: last_failure.to_dict()[key]
                    for key in ("event", "event_type", "attempt", "status_code", "error", "response_excerpt",
                                "next_retry_at")}}

    async def _attempt(self, outbox: Outbox, delivery: Delivery) -> None:
        assert self._semaphore is not None
        backend = outbox.backend
        try:
            with backend.lock:
                event = backend.events.get(delivery.event)
                endpoint = webhook_endpoints.table(backend).get(delivery.endpoint)
                if event is None or endpoint is None:
                    delivery.status = "failed"
                    return
                payload = json.dumps(event.render(endpoint.rendering_version(event.api_version)), indent=2)
                policy = backend.webhook_hosts
        except Exception:  # state that cannot be rendered: this delivery fails, the worker goes on
            logger.exception("webhook %s in namespace %s could not be prepared", delivery.id, backend.namespace)
            delivery.status = "failed"
            return
        async with self._semaphore:
            started = time.perf_counter()
            status_code: int | None = None
            error: str | None = await self._refusal(policy, endpoint.url)
            excerpt = ""
            if error is None:
                try:
                    status_code, excerpt = await asyncio.wait_for(self._post(endpoint, payload), self.timeout)
                except (asyncio.TimeoutError, httpx.TimeoutException):
                    error = f"timed out after {self.timeout:g}s"
                except httpx.HTTPError as exc:
                    error = f"{type(exc).__name__}: {exc}"[:EXCERPT]
            duration = (time.perf_counter() - started) * 1000
        self._record(outbox, delivery, endpoint, status_code, error, excerpt, duration)

    async def _post(self, endpoint: WebhookEndpoint, payload: str) -> tuple[int, str]:
        """One POST; reads at most `EXCERPT` bytes of the answer (the caller bounds the whole exchange in time)."""
        assert self._client is not None
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Stripe-Signature": signing.header(payload, endpoint.secret, int(time.time())),
                   "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks) stripe-fc-emulator"}
        async with self._client.stream("POST", endpoint.url, content=payload.encode("utf-8"),
                                       headers=headers) as response:
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) >= EXCERPT:
                    break
            return response.status_code, bytes(body[:EXCERPT]).decode("utf-8", "replace")

    @staticmethod
    async def _refusal(policy: HostPolicy, url: str) -> str | None:
        """Why this URL may not be sent to now: the policy (for endpoints saved before it changed) and what its host
        resolves to (a name pointed at a metadata service after the endpoint was created)."""
        refusal = policy.refusal(url)
        if refusal is not None:
            return f"refused: {refusal}"
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 80, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            return f"ConnectError: cannot resolve {host}: {exc}"[:EXCERPT]
        resolved = policy.resolved_refusal(host, [str(info[4][0]) for info in infos])
        return None if resolved is None else f"refused: {resolved}"

    def _record(self, outbox: Outbox, delivery: Delivery, endpoint: WebhookEndpoint, status_code: int | None,
                error: str | None, excerpt: str, duration: float) -> None:
        backend = outbox.backend
        with backend.lock:
            delivery.attempts += 1
            ok = status_code is not None and 200 <= status_code < 300
            next_retry: int | None = None
            event = backend.events.get(delivery.event)
            if ok:
                delivery.status = "succeeded"
                if event is not None:
                    event.pending_webhooks = max(0, event.pending_webhooks - 1)
            elif delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = "failed"
            else:
                delivery.status = "pending"
                delivery.due = backend.clock.now() + RETRY_DELAYS[delivery.attempts - 1]
                next_retry = int(delivery.due)
            outbox.attempts.append(Attempt(
                id=outbox.ids.new("whatt"), delivery=delivery.id, endpoint=endpoint.id, url=endpoint.url,
                event=delivery.event, event_type=delivery.event_type, attempt=delivery.attempts,
                status_code=status_code, error=error, duration_ms=round(duration, 3), response_excerpt=excerpt,
                attempted_at=backend.clock.timestamp(), next_retry_at=next_retry, succeeded=ok,
            ))
        if not ok:
            logger.info("webhook %s to %s failed (attempt %d): %s", delivery.event_type, endpoint.url,
                        delivery.attempts, error or status_code)
        self.notifier.notify()
        self._kicked[id(backend)] = backend  # its next retry, if any, gets scheduled
        if self._wake is not None:
            self._wake.set()

    def redeliver(self, backend: Backend, event_id: str) -> int:
        """Send an event again to every endpoint it went to (a new delivery each, due now)."""
        outbox = self.outbox(backend)
        sent = [d for d in outbox.deliveries.values() if d.event == event_id]
        for previous in {d.endpoint: d for d in sent}.values():
            delivery = Delivery(id=outbox.ids.new("whdel"), event=event_id, event_type=previous.event_type,
                                endpoint=previous.endpoint, due=backend.clock.now())
            outbox.deliveries.put(delivery.id, delivery)
        return len(sent)

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        if self._client is not None:
            await self._client.aclose()
