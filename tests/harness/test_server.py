"""`harness.server`: the background-thread server the plugin starts per session stops as soon as asked, and still
finishes what it is answering."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Any

import httpx
import pytest

from emulator.settings import Settings
from harness.server import AppServer, EmulatorServer, _Server


def test_stop_does_not_wait_for_the_servers_tick(monkeypatch: pytest.MonkeyPatch) -> None:
    # uvicorn looks at `should_exit` once a tick; with an hour's tick only the wake-up can end the loop in time
    monkeypatch.setattr(_Server, "tick", 3600.0)
    server = EmulatorServer(Settings(port=0)).start()
    thread = server._thread
    assert thread is not None
    with httpx.Client(base_url=server.url) as client:  # a kept-alive connection stays open meanwhile
        assert client.get("/_emulator/health").status_code == 200
        server.stop()
    assert not thread.is_alive()


def test_a_request_in_flight_is_answered_whole_before_the_server_stops() -> None:
    started = threading.Event()
    holder: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        started.set()
        while not holder["server"]._server.should_exit:  # answers only once the stop has begun
            await asyncio.sleep(0.001)
        body = b"finished"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    server = holder["server"] = AppServer(app, Settings(port=0)).start()
    url, port = server.url, server.port
    answers: list[httpx.Response] = []
    client = threading.Thread(target=lambda: answers.append(httpx.get(url + "/slow", timeout=10)))
    client.start()
    assert started.wait(10)
    server.stop()
    client.join(10)
    assert [(answer.status_code, answer.content) for answer in answers] == [(200, b"finished")]
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass  # the port is closed
