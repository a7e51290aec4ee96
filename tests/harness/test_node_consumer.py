"""examples/node-consumer — the relink flow in Node.js with the official `stripe` npm package — passes the whole
built-in library through the HTTP adapter, and stripe-node reads what Stripe's responses carry (`lastResponse`:
request id, API version, the echoed `Stripe-Account`). `stripe` is installed from the npm registry into a copy."""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness.pytest_plugin import RunningEmulator

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE = ROOT / "examples" / "node-consumer"
BOUND = 300.0

pytestmark = pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                                reason="needs Node.js and npm (on every CI machine) to run examples/node-consumer")


@pytest.fixture(scope="module")
def node_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("node-consumer")
    shutil.copytree(EXAMPLE, folder, dirs_exist_ok=True)
    installed = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=folder,
                               capture_output=True, text=True, timeout=BOUND)
    assert installed.returncode == 0, installed.stdout[-2000:] + installed.stderr[-2000:]
    process = subprocess.Popen(["node", "server.js"], cwd=folder, env={**os.environ, "PORT": "0"},
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    try:
        line = lines.get(timeout=60)
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert found is not None, line
        yield found.group(1)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        stdout.close()


def test_the_node_consumer_passes_the_builtin_library(node_shop: str, stripe_emulator: RunningEmulator) -> None:
    result = subprocess.run([sys.executable, "-m", "emulator", "scenario", "run", "builtin", "--url",
                             stripe_emulator.url, "--client-url", node_shop], capture_output=True, text=True,
                            timeout=BOUND)
    scenarios = len(list((ROOT / "scenarios").glob("*.scenario.yaml")))
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert result.stdout.splitlines()[-1].startswith(f"{scenarios} passed"), result.stdout[-2000:]
    # stripe-node's view of the last payout's response: what it reads from the emulator's headers
    seen = httpx.get(f"{node_shop}/debug/last-payout-response", timeout=10).json()
    assert seen["statusCode"] == 200 and seen["requestId"].startswith("req_")
    assert seen["apiVersion"] == "2026-09-30.preview"
    assert seen["stripeAccount"] == seen["expectedAccount"] and seen["stripeAccount"].startswith("acct_")
