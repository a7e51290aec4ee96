"""`stripe-fc-emulator serve` as a user runs it: a real process, a ready line, signals."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from emulator.__main__ import cli, is_loopback

READY = re.compile(r"ready on (http://127\.0\.0\.1:(\d+))")
BOUND = 30.0


class Served:
    def __init__(self, args: list[str]) -> None:
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.output: list[str] = []
        self.lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        stdout = self.process.stdout
        threading.Thread(target=lambda: [self.lines.put(line) for line in stdout], daemon=True).start()

    def ready_line(self) -> str:
        """Wait for the ready line itself (bounded); uvicorn's own log lines may come first."""
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            self.output.append(line)
            if READY.search(line):
                return line
        raise AssertionError(f"no ready line within {BOUND}s: {self.output}")  # pragma: no cover

    def stop(self, sig: int) -> int:
        self.process.send_signal(sig)
        return self.process.wait(timeout=BOUND)


@pytest.fixture
def serve() -> Iterator[type[Served]]:
    started: list[Served] = []

    class Tracked(Served):
        def __init__(self, args: list[str]) -> None:
            super().__init__(args)
            started.append(self)

    yield Tracked
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(timeout=BOUND)
        if served.process.stdout is not None:
            served.process.stdout.close()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_serve_port_zero_prints_ready_line_and_exits_cleanly(serve: type[Served], sig: int) -> None:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0", "--seed", "7"])
    line = served.ready_line()
    match = READY.search(line)
    assert match is not None and int(match.group(2)) > 0
    assert "seed: 7" in line and "default Stripe-Version: 2026-10-28.endive" in line
    health = httpx.get(f"{match.group(1)}/_emulator/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert served.stop(sig) == 0


def test_cli_console_script_is_installed_and_seed_makes_ids_deterministic(serve: type[Served]) -> None:
    script = Path(sys.executable).with_name("stripe-fc-emulator")
    assert script.exists(), "pip install puts the console script next to the interpreter"
    ids = []
    for _ in range(2):
        served = serve([str(script), "serve", "--port", "0", "--seed", "42", "--log-level", "warning"])
        match = READY.search(served.ready_line())
        assert match is not None
        response = httpx.post(f"{match.group(1)}/v1/customers", headers={"Authorization": "Bearer sk_test_seeded"},
                              timeout=10)
        ids.append(response.json()["id"])
        assert served.stop(signal.SIGINT) == 0
    assert ids[0] == ids[1]


def test_cli_refuses_a_non_loopback_host_without_allow_remote() -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2 and "--allow-remote" in result.output


def test_cli_refuses_a_malformed_default_version() -> None:
    result = CliRunner().invoke(cli, ["serve", "--port", "0", "--api-version", "someday"])
    assert result.exit_code == 2 and "Invalid Stripe API version" in result.output


def test_cli_reports_a_port_in_use(serve: type[Served]) -> None:
    served = serve([sys.executable, "-m", "emulator", "serve", "--port", "0"])
    match = READY.search(served.ready_line())
    assert match is not None
    result = CliRunner().invoke(cli, ["serve", "--port", match.group(2)])
    assert result.exit_code == 1 and "cannot listen on 127.0.0.1" in result.output


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True),
                                                ("localhost", True), ("0.0.0.0", False), ("192.168.1.4", False),
                                                ("example.com", False)])
def test_cli_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_cli_help_and_version() -> None:
    runner = CliRunner()
    assert "serve" in runner.invoke(cli, ["--help"]).output
    assert "stripe-fc-emulator, version" in runner.invoke(cli, ["--version"]).output
