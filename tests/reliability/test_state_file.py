"""`serve --state-file`: a real process saves its namespaces atomically and comes back with them — after a clean
shutdown, and after being killed (SIGKILL) in the middle of writes, again and again.

The crash test's length: `STRIPE_FC_CRASH_CYCLES` (default 8) kill-and-restart cycles."""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.http import persistence
from tests.receiver import Behaviour, Receiver
from tests.reliability.listing import every_page
from tests.test_cli import READY, Served, serve

__all__ = ["serve"]  # the fixture, shared with the CLI tests

CYCLES = int(os.environ.get("STRIPE_FC_CRASH_CYCLES", "8"))
KEY = "sk_test_persisted"
STATS: dict[str, int] = {"crash_restart_cycles": 0, "server_errors": 0, "events_lost": 0}


def start(serve: type[Served], path: Path, *extra: str) -> tuple[Served, str]:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--seed", "11",
                    "--state-file", str(path), *extra])
    match = READY.search(served.ready_line())
    assert match is not None
    return served, match.group(1)


def customers_in_file(path: Path) -> list[str]:
    """What the file holds, newest first like the list endpoint — read with a plain JSON parse of the documented
    format (README, Snapshots), not with the emulator's own restore code, so a restore bug cannot hide a bad file."""
    if not path.exists():
        return []
    document = json.loads(path.read_text(encoding="utf-8"))
    assert (document["format"], document["format_version"]) == ("stripe-fc-emulator/state", 1)
    namespace = document["namespaces"].get("persisted")
    if namespace is None:
        return []
    shared: dict[int, Any] = {}  # objects saved once and referred to after ({"$id": n} … {"$ref": n})
    stack: list[Any] = [namespace]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "$id" in item:
                shared[item["$id"]] = item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)

    def whole(value: Any) -> Any:
        return shared[value["$ref"]] if isinstance(value, dict) and "$ref" in value else value

    store = whole(namespace["backend"]["store"])
    assert store["$object"] == "emulator.core.store:Store"
    table = whole(store["state"]["_tables"].get("customers"))
    if table is None:
        return []
    rows = {key: whole(row)["state"] for key, row in table["state"]["_rows"].items()}
    order = [key for key in whole(table["state"]["_order"]) if key is not None]
    return [key for key in reversed(order) if not rows[key]["deleted"]]


def listed_customers(client: httpx.Client) -> list[str]:
    return [customer["id"] for customer in every_page(client, "/v1/customers")]


def created_events(client: httpx.Client) -> set[str]:
    return {event["data"]["object"]["id"] for event in every_page(client, "/v1/events", type="customer.created")}


@pytest.fixture
def client_for() -> Iterator[Any]:
    made: list[httpx.Client] = []

    def make(url: str) -> httpx.Client:
        client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def test_state_file_survives_a_clean_shutdown_with_timers_and_ids_going_on(
        serve: type[Served], tmp_path: Path, client_for: Any) -> None:
    path = tmp_path / "state.json"
    served, url = start(serve, path)
    api = client_for(url)
    preview = {"Stripe-Version": "2026-09-30.preview"}
    customer = api.post("/v1/customers", data={"name": "Kept"}).json()["id"]
    session = api.post("/v1/financial_connections/sessions", headers=preview, data={
        "permissions[]": "payment_method", "account_holder[type]": "customer",
        "account_holder[customer]": customer}).json()
    done = api.post(f"/v1/test_helpers/financial_connections/sessions/{session['id']}/complete", headers=preview,
                    data={"accounts[]": "Sample Checking Account"}).json()
    account = done["accounts"]["data"][0]["id"]
    scheduled = api.post(f"/v1/test_helpers/financial_connections/accounts/{account}/schedule_deactivation",
                         headers=preview, data={"after_seconds": "86400"})
    assert scheduled.status_code == 200, scheduled.text
    events_before = api.get("/v1/events", params={"limit": 100}).json()["data"]
    assert served.stop(signal.SIGTERM) == 0
    assert json.loads(path.read_text())["format"] == "stripe-fc-emulator/state"

    served, url = start(serve, path)
    api = client_for(url)
    assert api.get(f"/v1/customers/{customer}").json()["name"] == "Kept"
    assert api.get("/v1/events", params={"limit": 100}).json()["data"] == events_before
    assert api.post("/v1/customers").json()["id"] != customer  # the id stream went on, it did not start over
    assert api.post("/_emulator/clock", data={"advance": str(2 * 86400)}).status_code == 200
    after = api.get(f"/v1/financial_connections/accounts/{account}", headers=preview).json()
    assert after["status"] == "inactive"  # the timer scheduled before the restart fired after it
    assert served.stop(signal.SIGTERM) == 0


def test_state_file_that_cannot_be_read_stops_the_server_and_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    for content, said in [("{not json", "is not JSON"),
                          (json.dumps({"format": "stripe-fc-emulator/state", "format_version": 99,
                                       "namespaces": {}}), "format_version 99 is not supported")]:
        path.write_text(content)
        done = subprocess.run([sys.executable, "-m", "emulator", "serve", "--port", "0", "--state-file", str(path)],
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 1
        assert "cannot restore the state from" in done.stderr and said in done.stderr, done.stderr
        assert path.read_text() == content  # nothing written over what could not be read


def test_snapshot_and_restore_endpoints_with_a_state_file(serve: type[Served], tmp_path: Path,
                                                          client_for: Any) -> None:
    path = tmp_path / "state.json"
    served, url = start(serve, path, "--state-interval", "3600")
    api = client_for(url)
    kept = api.post("/v1/customers", data={"name": "before the save"}).json()["id"]
    saved = api.post("/_emulator/snapshot")
    assert saved.status_code == 200 and saved.json()["written"] is True, saved.text
    assert customers_in_file(path) == [kept]
    api.post("/v1/customers", data={"name": "after the save"})
    assert api.post("/_emulator/restore").json()["namespaces_restored"] == 1  # empty body: from the file
    assert listed_customers(api) == [kept]
    bad = api.post("/_emulator/restore", content=b'{"format": "something else"}')
    assert bad.status_code == 400 and "not a stripe-fc-emulator/state document" in bad.json()["error"]["message"]
    assert listed_customers(api) == [kept]  # a bad document changes nothing
    wrong = api.post("/_emulator/restore?all=maybe", content=b"{}")
    assert wrong.status_code == 400 and wrong.json()["error"]["param"] == "all"
    unknown = api.post("/_emulator/restore?everything=true", content=b"{}")
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "parameter_unknown"
    refused = api.get("/_emulator/snapshot", params={"all": "true"})  # every namespace: only with a control token
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "control_token_required", refused.text
    assert served.stop(signal.SIGTERM) == 0

    served, url = start(serve, path, "--state-interval", "3600", "--control-token", "tok")
    api = client_for(url)
    api.headers["Emulator-Control-Token"] = "tok"
    whole = api.get("/_emulator/snapshot", params={"all": "true"}).json()
    api.post("/v1/customers", data={"name": "after the whole snapshot"})
    again = api.post("/_emulator/restore?all=true", content=json.dumps(whole).encode())
    assert again.json() == {"object": "emulator.restore", "namespaces_restored": len(whole["namespaces"]), "all": True}
    assert listed_customers(api) == [kept]
    assert served.stop(signal.SIGTERM) == 0


def write(api: httpx.Client, stop: threading.Event, killed: threading.Event, created: set[str],
          errors: list[str]) -> None:
    """Create customers until told to stop or the server is gone — gone because it was killed: a connection error
    before the kill is a failure, not the end of the test's writes."""
    while not stop.is_set():
        try:
            response = api.post("/v1/customers", data={"name": "crash test"})
        except httpx.HTTPError as error:
            if not killed.is_set():
                errors.append(f"connection error before the server was killed: {error!r}")
            return
        if response.status_code >= 500:
            STATS["server_errors"] += 1
            errors.append(response.text)
        else:
            created.add(response.json()["id"])


def test_sigkill_during_writes_always_restarts_from_the_last_complete_snapshot(
        serve: type[Served], tmp_path: Path, client_for: Any) -> None:
    path = tmp_path / "state.json"
    chooser = random.Random(2026)
    created: set[str] = set()
    restored_before = 0
    for cycle in range(CYCLES):
        on_disk = customers_in_file(path)  # the last complete snapshot
        served, url = start(serve, path, "--state-interval", "0.05")
        api = client_for(url)
        restored = listed_customers(api)
        assert restored == on_disk, f"cycle {cycle}: the server did not restart from the file"
        announced = created_events(api)
        STATS["events_lost"] += len(set(restored) - announced)
        assert set(restored) <= announced, f"cycle {cycle}: restored customers without their customer.created event"
        assert set(restored) <= created and len(restored) >= restored_before
        restored_before = len(restored)
        stop, killed = threading.Event(), threading.Event()
        errors: list[str] = []
        writer = threading.Thread(target=write, args=(api, stop, killed, created, errors))
        writer.start()
        deadline = time.monotonic() + chooser.uniform(0.3, 0.9)
        while time.monotonic() < deadline and writer.is_alive():
            writer.join(timeout=0.05)
        killed.set()
        served.process.send_signal(signal.SIGKILL)  # mid-write, at a moment of the dice's choosing
        served.process.wait(timeout=30)
        stop.set()
        writer.join(timeout=30)
        assert not errors, errors
        STATS["crash_restart_cycles"] += 1
    final = customers_in_file(path)
    assert len(final) >= restored_before > 0, "saves never happened"
    served, url = start(serve, path)  # a save cut short leaves a temporary file: the next start removes it
    assert not list(tmp_path.glob(".state.json.*.tmp"))
    assert served.stop(signal.SIGTERM) == 0


@pytest.mark.parametrize("dies_in", ["write", "fsync", "replace"])
def test_a_save_that_dies_midway_leaves_the_previous_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              dies_in: str) -> None:
    """The deterministic half of the crash test: the process dies at each step of a save (simulated by an
    exception there); the file on disk is still the previous complete one."""
    path = tmp_path / "state.json"
    persistence.write_atomic(path, b'{"complete": 1}')

    class Died(BaseException):
        pass

    def die(*args: Any, **kwargs: Any) -> Any:
        raise Died

    if dies_in == "write":
        real_open = open

        def half_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            handle = real_open(file, mode, *args, **kwargs)
            if "w" in mode:
                real_write = handle.write

                def write_half(data: bytes) -> int:
                    real_write(data[: len(data) // 2])
                    handle.flush()
                    raise Died

                handle.write = write_half
            return handle

        monkeypatch.setattr("builtins.open", half_open)
    else:
        monkeypatch.setattr(persistence.os, dies_in, die)
    with pytest.raises(Died):
        persistence.write_atomic(path, b'{"complete": 2, "padding": "' + b"x" * 100_000 + b'"}')
    monkeypatch.undo()
    assert json.loads(path.read_bytes()) == {"complete": 1}


def test_state_file_in_a_directory_that_cannot_be_written_stops_the_server_in_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the state file's directory should be")
    done = subprocess.run([sys.executable, "-m", "emulator", "serve", "--port", "0", "--state-file",
                           str(blocker / "state.json")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot use the state file" in lines[0] and "cannot write in" in lines[0], lines


def test_a_save_that_cannot_be_written_is_a_503_and_the_final_one_exits_non_zero(serve: type[Served], tmp_path: Path,
                                                                                 client_for: Any) -> None:
    directory = tmp_path / "state"
    directory.mkdir()
    served, url = start(serve, directory / "state.json", "--state-interval", "3600")
    api = client_for(url)
    api.post("/v1/customers", data={"name": "unsaved"})
    directory.rename(tmp_path / "moved")
    directory.write_text("the directory is gone; a file stands in its place")  # root ignores modes; this it cannot
    saved = api.post("/_emulator/snapshot")
    assert saved.status_code == 503, saved.text
    assert saved.json()["error"]["type"] == "api_error" and "could not be written" in saved.json()["error"]["message"]
    assert served.stop(signal.SIGTERM) == 1  # the final save failed: not a clean exit
    said = list(served.output)
    while True:  # the rest of what the process printed (its pipe is closed now that it exited)
        try:
            said.append(served.lines.get(timeout=5))
        except queue.Empty:
            break
    assert any("the state was not saved at shutdown" in line for line in said), said


def test_a_delivery_in_flight_at_shutdown_is_sent_after_the_restart_without_a_request(
        serve: type[Served], tmp_path: Path, client_for: Any) -> None:
    path = tmp_path / "state.json"
    with Receiver(Behaviour(hang=True)) as receiver:
        served, url = start(serve, path)
        api = client_for(url)
        assert api.post("/v1/webhook_endpoints", data={"url": receiver.url, "enabled_events[]": "customer.created"}
                        ).status_code == 200
        api.post("/v1/customers", data={"name": "in flight"})
        assert len(receiver.wait_for(1, timeout=20)) == 1  # the attempt is stuck in the receiver
        assert served.stop(signal.SIGTERM) == 0  # saved while in flight: restored as pending
        receiver.behaviour.release.set()
        served, _ = start(serve, path)  # and nobody sends it a request
        arrived = receiver.wait_for(2, timeout=30)
        assert len(arrived) >= 2 and "in flight" in arrived[1].body
        assert served.stop(signal.SIGTERM) == 0
