"""B1–B7. Each returns a dict of figures; `__main__` prints and stores them."""

from __future__ import annotations

import asyncio
import functools
import gc
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import stripe

from bench.measure import alternate, latencies, per_call, percentile
from emulator.core.backend import Backends, Call
from emulator.core.versions import parse
from emulator.http.app import create_app
from emulator.resources import customers
from emulator.settings import Settings
from harness.sdk import AsgiHTTPClient, client_for
from harness.server import AppServer, EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
KEY = "sk_test_bench"
PREVIEW = "2026-09-30.preview"
HELPERS = "/v1/test_helpers/financial_connections"


def null_app(body: bytes) -> Any:
    """The floor: an ASGI app that answers every request with the same pre-rendered bytes."""
    headers = [(b"content-type", b"application/json"), (b"request-id", b"req_null"),
               (b"content-length", str(len(body)).encode())]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def link_account(client: stripe.StripeClient) -> str:
    customer = client.v1.customers.create(params={"name": "Bench"})
    session = client.v1.financial_connections.sessions.create(params={
        "account_holder": {"type": "customer", "customer": customer.id}, "permissions": ["payment_method"]})
    done = json.loads(client.raw_request("post", f"{HELPERS}/sessions/{session.id}/complete",
                                         accounts=["Sample Checking Account"]).body)
    return str(done["accounts"]["data"][0]["id"])


def _fixtures(client: stripe.StripeClient) -> tuple[str, str, bytes, bytes]:
    customer = client.v1.customers.create(params={"name": "Bench", "email": "bench@example.com"})
    account = link_account(client)
    customer_body = client.raw_request("get", f"/v1/customers/{customer.id}").body.encode()
    account_body = client.raw_request("get", f"/v1/financial_connections/accounts/{account}").body.encode()
    return customer.id, account, customer_body, account_body


def b1_sdk_floor(calls: int, reps: int) -> dict[str, Any]:
    with EmulatorServer(Settings(port=0, seed=1)) as server:
        client = client_for(KEY, server.url, stripe_version=PREVIEW)
        customer, account, customer_body, account_body = _fixtures(client)
        with AppServer(null_app(customer_body)) as null_customer, AppServer(null_app(account_body)) as null_account:
            floor_c = client_for(KEY, null_customer.url, stripe_version=PREVIEW)
            floor_a = client_for(KEY, null_account.url, stripe_version=PREVIEW)
            emu_c, null_c = alternate(lambda: client.v1.customers.retrieve(customer),
                                      lambda: floor_c.v1.customers.retrieve(customer), calls=calls, reps=reps)
            emu_a, null_a = alternate(lambda: client.v1.financial_connections.accounts.retrieve(account),
                                      lambda: floor_a.v1.financial_connections.accounts.retrieve(account),
                                      calls=calls, reps=reps)
    return {"customer_retrieve_ms": emu_c * 1000, "customer_floor_ms": null_c * 1000,
            "customer_ratio": emu_c / null_c, "account_retrieve_ms": emu_a * 1000,
            "account_floor_ms": null_a * 1000, "account_ratio": emu_a / null_a, "target_ratio": 1.3}


def b2_inprocess(calls: int, reps: int) -> dict[str, Any]:
    app = create_app(Settings(seed=1))
    inproc = AsgiHTTPClient(app)
    local = stripe.StripeClient(KEY, http_client=inproc, base_addresses={"api": "http://emulator.invalid"},
                                stripe_version=PREVIEW, max_network_retries=0)
    customer, _, body, _ = _fixtures(local)
    null_client_http = AsgiHTTPClient(null_app(body))
    null_local = stripe.StripeClient(KEY, http_client=null_client_http,
                                     base_addresses={"api": "http://null.invalid"}, max_network_retries=0)
    try:
        with EmulatorServer(Settings(port=0, seed=1)) as server:
            remote = client_for(KEY, server.url, stripe_version=PREVIEW)
            remote_customer = remote.v1.customers.create(params={"name": "Bench"}).id
            in_process, over_http = alternate(lambda: local.v1.customers.retrieve(customer),
                                              lambda: remote.v1.customers.retrieve(remote_customer),
                                              calls=calls, reps=reps)
        emulator_inproc, null_inproc = alternate(lambda: local.v1.customers.retrieve(customer),
                                                 lambda: null_local.v1.customers.retrieve(customer),
                                                 calls=calls, reps=reps)
    finally:
        inproc.close()
        null_client_http.close()
    return {"in_process_ms": in_process * 1000, "http_ms": over_http * 1000, "speedup_vs_http": over_http / in_process,
            "target_speedup": 3.0, "vs_null_in_process": emulator_inproc / null_inproc, "target_vs_null": 1.5}


def b10_generic(calls: int, reps: int) -> dict[str, Any]:
    """A generic endpoint (issue 21) against a hand-written one, through the stripe SDK in process: a coupon's
    retrieve vs a customer's (alternating rounds, medians), and the start of a server that has the generic
    surface (its data is loaded on the first generic request, not at start)."""
    app = create_app(Settings(seed=1))
    inproc = AsgiHTTPClient(app)
    client = stripe.StripeClient(KEY, http_client=inproc, base_addresses={"api": "http://emulator.invalid"},
                                 max_network_retries=0)
    try:
        customer = client.v1.customers.create(params={"name": "Bench"}).id
        coupon = client.v1.coupons.create(params={"percent_off": 5, "duration": "once"}).id
        generic, by_hand = alternate(lambda: client.v1.coupons.retrieve(coupon),
                                     lambda: client.v1.customers.retrieve(customer), calls=calls, reps=reps)
    finally:
        inproc.close()
    return {"generic_retrieve_ms": generic * 1000, "hand_written_retrieve_ms": by_hand * 1000,
            "ratio": generic / by_hand, "target_ratio": 1.0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


@contextmanager
def localstripe() -> Iterator[str]:
    venv = ROOT / "bench" / ".localstripe-venv"
    if not (venv / "bin" / "localstripe").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "localstripe"], check=True)
    port = _free_port()
    with _peer([str(venv / "bin" / "localstripe"), "--port", str(port), "--from-scratch"], port) as url:
        yield url


@contextmanager
def _peer(command: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[str]:
    """A peer server as its own process on `port`, ready once it answers `/v1/customers`; ended afterwards."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url + "/v1/customers")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _workload(client: stripe.StripeClient, ids: list[str], operations: int) -> float:
    """Operations per second of a mix: create, retrieve, list 10, update."""
    started = time.perf_counter()
    for index in range(operations // 4):
        created = client.v1.customers.create(params={"email": f"w{index}@example.com"})
        client.v1.customers.retrieve(ids[index % len(ids)] if ids else created.id)
        client.v1.customers.list(params={"limit": 10})
        client.v1.customers.update(created.id, params={"name": f"n{index}"})
    return (operations // 4 * 4) / (time.perf_counter() - started)


def b3_localstripe(existing: list[int], operations: int) -> dict[str, Any]:
    results: dict[str, Any] = {"target_ratio_at_largest": 3.0}
    with localstripe() as peer_url, EmulatorServer(Settings(port=0, seed=1)) as server:
        for size in existing:
            emulator = client_for(f"{KEY}{size}", server.url)
            peer = client_for(f"{KEY}{size}", peer_url)
            ids: dict[str, list[str]] = {"emulator": [], "peer": []}
            for name, client in (("emulator", emulator), ("peer", peer)):
                for index in range(size):
                    ids[name].append(client.v1.customers.create(params={"email": f"s{index}@example.com"}).id)
                    if (index + 1) % 1000 == 0:  # seeding localstripe takes minutes at 10,000: show it moving
                        print(f"  B3 seeding {name}: {index + 1:,}/{size:,}", file=sys.stderr, flush=True)
            emu = statistics.median(_workload(emulator, ids["emulator"], operations) for _ in range(3))
            other = statistics.median(_workload(peer, ids["peer"], operations) for _ in range(3))
            results[f"ops_per_s_at_{size}"] = {"emulator": emu, "localstripe": other, "ratio": emu / other}
    return results


def _world_of(size: int) -> tuple[Any, stripe.StripeClient, str]:
    """An in-process emulator holding `size` customers, an SDK client for it, and the id of the middle one."""
    app = create_app(Settings(seed=1))
    backend = app.state.emulator.backends.get("bench")
    call = Call(version=parse(PREVIEW))
    with backend.lock:
        made = [customers.create(backend, call, {"email": f"c{i}@example.com"})["id"] for i in range(size)]
    http = AsgiHTTPClient(app)
    client = stripe.StripeClient("sk_test_bench", http_client=http, base_addresses={"api": "http://e.invalid"},
                                 max_network_retries=0)
    return http, client, made[len(made) // 2]


def b4_scale(sizes: list[int], calls: int, rounds: int = 5) -> dict[str, Any]:
    """Latency of retrieve, create and list at each size. The sizes are measured in alternating rounds (each round
    a share of the calls at every size), so that drift on a shared machine falls on all of them alike."""
    results: dict[str, Any] = {"target_ratio_largest_vs_smallest": 1.2, "target_account_bytes": 4096}
    worlds = {size: _world_of(size) for size in sizes}
    samples: dict[int, dict[str, list[float]]] = {size: {"retrieve": [], "create": [], "list": []} for size in sizes}
    try:
        for _ in range(rounds):
            for size, (_, client, middle) in worlds.items():
                gc.collect()
                share = max(calls // rounds, 1)
                found = samples[size]
                found["retrieve"] += latencies(functools.partial(client.v1.customers.retrieve, middle), share)
                found["create"] += latencies(functools.partial(client.v1.customers.create, params={"name": "x"}),
                                             share)
                found["list"] += latencies(functools.partial(client.v1.customers.list, params={"limit": 10}), share)
    finally:
        for http, _, _ in worlds.values():
            http.close()
    for size in sizes:
        results[f"at_{size}"] = {name: {"p50_ms": percentile(v, 0.5) * 1000, "p99_ms": percentile(v, 0.99) * 1000}
                                 for name, v in samples[size].items()}
    largest, smallest = results[f"at_{max(sizes)}"], results[f"at_{min(sizes)}"]
    results["retrieve_p50_ratio_largest_vs_smallest"] = largest["retrieve"]["p50_ms"] / smallest["retrieve"]["p50_ms"]
    results.update(_account_memory(200))
    return results


def _account_memory(count: int) -> dict[str, Any]:
    """Bytes a linked FC account adds to a namespace: its session (created and completed), the account, its
    authorization, their events. One link runs before measuring: what a process pays once (the institution
    catalogue, read on first use) is not an account's."""
    from emulator.resources.financial_connections import flow, sessions

    backends = Backends(seed=1)
    backend = backends.get("memory")
    call = Call(version=parse(PREVIEW))
    cus = customers.create(backend, call, {"name": "m"})["id"]
    holder = {"account_holder": {"type": "customer", "customer": cus}, "permissions": ["payment_method"]}

    def link() -> None:
        session = sessions.create(backend, call, holder)["id"]
        flow.complete(backend, call, {"accounts": ["Sample Checking Account"]}, session=session)

    link()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(count):
        link()
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return {"bytes_per_linked_account_with_its_session_authorization_and_events": grown / count}


async def _load(url: str, path: str, seconds: float, concurrency: int) -> tuple[int, list[float]]:
    done = 0
    spent: list[float] = []
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=url, auth=(KEY, ""), timeout=10,
                                 limits=httpx.Limits(max_connections=concurrency)) as http:
        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                response = await http.get(path)
                spent.append(time.perf_counter() - started)
                if response.status_code == 200:
                    done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, spent


def _serve_process(extra: list[str] | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "emulator", "serve", "--port", "0", "--log-level", "warning",
                                *(extra or [])], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    return process, line.split("ready on ")[1].split()[0]


def _wrk(url: str, seconds: float, concurrency: int, script: str | None = None) -> dict[str, Any]:
    """Debian's wrk: a native load generator, so the measurement is the server's, not the client's. `script`: a
    wrk Lua script (e.g. one that makes every request a POST)."""
    extra = ["-s", script] if script else []
    output = subprocess.run(["wrk", "-t2", f"-c{concurrency}", f"-d{max(seconds, 1):.0f}s", "--latency",
                             "-H", f"Authorization: Bearer {KEY}", *extra, url], capture_output=True, text=True,
                            check=True).stdout
    figures: dict[str, Any] = {"load_generator": "wrk"}
    for line in output.splitlines():
        parts = line.split()
        if line.startswith("Requests/sec:"):
            figures["requests_per_s"] = float(parts[1])
        elif len(parts) == 2 and parts[0] in ("50%", "99%"):
            value = parts[1]
            scale = 1000.0 if value.endswith("us") else (1.0 if value.endswith("ms") else 0.001)
            number = float(value.rstrip("usm"))
            figures[f"p{parts[0][:-1]}_ms"] = number / scale if value.endswith("us") else (
                number if value.endswith("ms") else number * 1000)
    return figures


def ensure_wrk() -> str | None:
    """Debian's wrk, installed with apt-get on first use when this process may (root, no wrk yet): B5's load
    generator is native, so it is never the bottleneck. None when it cannot be had."""
    found = shutil.which("wrk")
    if found is None and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        for command in (["apt-get", "install", "-y", "-q", "wrk"], ["apt-get", "update", "-q"],
                        ["apt-get", "install", "-y", "-q", "wrk"]):
            subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            found = shutil.which("wrk")
            if found:
                break
    return found


@contextmanager
def _process(command: list[str]) -> Iterator[str]:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().split("ready on ")[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=10)


def b5_throughput(seconds: float, concurrency: int, rounds: int = 3) -> dict[str, Any]:
    """Requests/s of an FC account retrieve, against a null Starlette app answering the same bytes on the same
    server stack, with the same load generator, alternately (`rounds` of each; medians)."""
    wrk = ensure_wrk()
    with _process([sys.executable, "-m", "emulator", "serve", "--port", "0", "--log-level", "warning"]) as url:
        account = link_account(client_for(KEY, url, stripe_version=PREVIEW))
        path = f"/v1/financial_connections/accounts/{account}"
        body = httpx.get(url + path, auth=(KEY, ""), headers={"Stripe-Version": PREVIEW}).content
        with tempfile.NamedTemporaryFile(suffix=".json") as file:
            file.write(body)
            file.flush()
            with _process([sys.executable, "-m", "bench.null_server", file.name]) as null_url:
                runs: dict[str, list[dict[str, Any]]] = {"emulator": [], "null": []}
                for _ in range(rounds):
                    for name, base in (("emulator", url), ("null", null_url)):
                        if wrk:
                            runs[name].append(_wrk(base + path, seconds, concurrency))
                        else:
                            done, spent = asyncio.run(_load(base, path, seconds, concurrency))
                            runs[name].append({"requests_per_s": done / seconds,
                                               "p50_ms": percentile(spent, 0.5) * 1000,
                                               "p99_ms": percentile(spent, 0.99) * 1000})
    figures: dict[str, Any] = {"load_generator": "wrk" if wrk else "httpx asyncio (not a measurement: the client "
                                                                     "is the bottleneck)"}
    for name, found in runs.items():
        for key in ("requests_per_s", "p50_ms", "p99_ms"):
            figures[f"{name}_{key}"] = statistics.median(run[key] for run in found)
    figures["ratio_vs_null"] = figures["emulator_requests_per_s"] / figures["null_requests_per_s"]
    return {**figures, "concurrency": concurrency, "rounds": rounds, "http_parser": _parser(),
            "event_loop": _loop(), "target_ratio_vs_null": 0.5}


def _parser() -> str:
    import importlib.util

    return "httptools" if importlib.util.find_spec("httptools") else "h11 (pure Python)"


def _loop() -> str:
    import importlib.util

    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


def b6_startup(reps: int) -> dict[str, Any]:
    starts = []
    for _ in range(reps):
        started = time.perf_counter()
        process, url = _serve_process()
        httpx.get(url + "/_emulator/health", timeout=10).raise_for_status()
        starts.append(time.perf_counter() - started)
        process.terminate()
        process.wait(timeout=10)
    sessions = []
    for _ in range(reps):
        started = time.perf_counter()
        server = EmulatorServer(Settings(port=0)).start()
        sessions.append(time.perf_counter() - started)
        server.stop()
    backends = Backends(seed=1)
    namespace = per_call(lambda: backends.get(os.urandom(8).hex()), 1000)
    return {"process_to_health_median_s": statistics.median(starts), "target_process_s": 1.0,
            "plugin_session_start_median_s": statistics.median(sessions),
            "namespace_creation_ms": namespace * 1000, "target_namespace_ms": 1.0}


def b7_scenarios(rounds: int = 5) -> dict[str, Any]:
    """The built-in library: `stripe-fc-emulator scenario run builtin` against a running emulator (the command's
    whole wall time, start-up included; target ≤ 2 s), and through pytest with `-n 0` and `-n 2`, each the median
    of `rounds` alternate runs (target: `-n 2` no slower)."""
    with EmulatorServer(Settings(port=0, seed=7)) as server:
        command = [sys.executable, "-m", "emulator", "scenario", "run", "builtin", "--url", server.url]
        cli_runs = []
        for _ in range(3):
            started = time.perf_counter()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            cli_runs.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise RuntimeError(f"scenario run builtin failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        scenarios = sum(line.startswith("PASSED") for line in done.stdout.splitlines())
    timings: dict[str, list[float]] = {"0": [], "2": []}
    per: list[float] = []
    for _ in range(rounds):  # alternately, so a slow moment of the machine does not fall on one side only
        for workers in ("0", "2"):
            with tempfile.TemporaryDirectory() as folder:
                report = Path(folder) / "durations.txt"
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "pytest", "tests/scenarios", "-q", "-p", "no:cacheprovider",
                                "-n", workers, "--durations=0", "-o", "stripe_emulator_contract=false"],
                               cwd=ROOT, check=True, stdout=report.open("w"), stderr=subprocess.DEVNULL)
                timings[workers].append(time.perf_counter() - started)
                if workers == "0" and not per:
                    lines = [line.split()[0] for line in report.read_text().splitlines()
                             if line.endswith("]") and " call " in line and line.split()[0].endswith("s")]
                    per = [float(value[:-1]) for value in lines]
    n0, n2 = statistics.median(timings["0"]), statistics.median(timings["2"])
    return {"cli_wall_s": statistics.median(cli_runs), "cli_scenarios": scenarios, "target_cli_wall_s": 2.0,
            "pytest_wall_s_n0": n0, "pytest_wall_s_n2": n2, "rounds": rounds,
            "speedup": n0 / n2, "target_speedup": 1.0,
            "per_scenario_median_s": statistics.median(per) if per else None}


def b8_namespaces(idle: int, calls: int, reps: int) -> dict[str, Any]:
    """p50 latency of a customer list over HTTP on a server with one namespace and on one where `idle` more exist
    (a suite that makes one per test leaves them behind), measured alternately in the same run, and the memory
    each idle namespace takes. Targets: the ratio ≤ 1.2 (per-request cost does not depend on the number of
    namespaces), ≤ 2 KB per idle namespace."""
    with EmulatorServer(Settings(port=0, seed=8)) as alone, EmulatorServer(Settings(port=0, seed=8)) as crowded:
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        for index in range(idle):
            crowded.app.state.emulator.backends.get(f"idle{index}")
        gc.collect()
        grown = sum(stat.size_diff for stat in tracemalloc.take_snapshot().compare_to(before, "filename"))
        tracemalloc.stop()
        with httpx.Client(base_url=alone.url, auth=(KEY, ""), timeout=30) as one, \
                httpx.Client(base_url=crowded.url, auth=(KEY, ""), timeout=30) as many:
            for http in (one, many):
                http.post("/v1/customers", data={"name": "Bench"})
            medians: dict[str, list[float]] = {"one": [], "many": []}
            for _ in range(reps):
                for name, http in (("one", one), ("many", many)):
                    found = latencies(functools.partial(http.get, "/v1/customers", params={"limit": 3}), calls)
                    medians[name].append(statistics.median(found))
    p50_alone, p50_crowded = statistics.median(medians["one"]), statistics.median(medians["many"])
    return {"idle_namespaces": idle, "p50_ms_one_namespace": p50_alone * 1000,
            "p50_ms_with_idle_namespaces": p50_crowded * 1000, "ratio": p50_crowded / p50_alone, "target_ratio": 1.2,
            "bytes_per_idle_namespace": grown / idle, "target_bytes_per_idle_namespace": 2048}


STATEFUL_MOCK = "stripe-stateful-mock@0.0.16"
CREATE_SCRIPT = """wrk.method = "POST"
wrk.body = "email=bench%40example.com&name=Bench"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
"""


@contextmanager
def stateful_mock() -> Iterator[str]:
    """stripe-stateful-mock (Node, from npm), installed into `bench/.stateful-mock` on first use and run as its own
    process on a free loopback port; never imported."""
    folder = ROOT / "bench" / ".stateful-mock"
    cli = folder / "node_modules" / "stripe-stateful-mock" / "dist" / "cli.js"
    if not cli.exists():
        subprocess.run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--silent",
                        STATEFUL_MOCK], check=True, stdout=subprocess.DEVNULL)
    port = _free_port()
    with _peer(["node", str(cli)], port, {**os.environ, "PORT": str(port), "LOG_LEVEL": "error"}) as url:
        yield url


def b9_stateful_peer(seconds: float, concurrency: int, rounds: int = 3) -> dict[str, Any]:
    """Customer create and retrieve, requests/s, the emulator (`serve`) against stripe-stateful-mock, with wrk,
    alternately (`rounds` of each; medians)."""
    wrk = ensure_wrk()
    if wrk is None:
        return {"skipped": "wrk is not installed and cannot be (needs root and apt-get)"}
    if shutil.which("npm") is None or shutil.which("node") is None:
        return {"skipped": "Node.js and npm are needed for stripe-stateful-mock"}
    runs: dict[str, dict[str, list[float]]] = {"emulator": {"create": [], "retrieve": []},
                                               "stateful_mock": {"create": [], "retrieve": []}}
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script, stateful_mock() as peer, \
            _process([sys.executable, "-m", "emulator", "serve", "--port", "0", "--log-level", "warning"]) as url:
        script.write(CREATE_SCRIPT)
        script.flush()
        targets = {}
        for name, base in (("emulator", url), ("stateful_mock", peer)):
            made = httpx.post(base + "/v1/customers", auth=(KEY, ""), data={"email": "bench@example.com"}).json()
            targets[name] = (base, made["id"])
        for _ in range(rounds):
            for name, (base, customer) in targets.items():
                runs[name]["retrieve"].append(_wrk(f"{base}/v1/customers/{customer}", seconds,
                                                   concurrency)["requests_per_s"])
                runs[name]["create"].append(_wrk(f"{base}/v1/customers", seconds, concurrency,
                                                 script.name)["requests_per_s"])
    figures: dict[str, Any] = {"peer": STATEFUL_MOCK, "load_generator": "wrk", "concurrency": concurrency}
    for operation in ("create", "retrieve"):
        emulator, peer_rate = (statistics.median(runs[name][operation]) for name in ("emulator", "stateful_mock"))
        figures[operation] = {"emulator_requests_per_s": emulator, "stateful_mock_requests_per_s": peer_rate,
                              "ratio": emulator / peer_rate}
    return {**figures, "target_ratio": 2.0, "http_parser": _parser(), "event_loop": _loop()}
