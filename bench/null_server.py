"""B5's floor: a null Starlette app — one route answering the same bytes to every request — served the way `serve`
serves the emulator (uvicorn's auto stack: httptools and uvloop when installed), on a free loopback port.

    python -m bench.null_server BODY_FILE      # prints "ready on http://127.0.0.1:PORT", then serves
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def app_for(body: bytes) -> Starlette:
    async def endpoint(request: Request) -> Response:
        return Response(body, media_type="application/json", headers={"request-id": "req_null"})

    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


def main(argv: list[str]) -> int:
    body = Path(argv[0]).read_bytes()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as `serve` does
    sock.bind(("127.0.0.1", 0))
    print(f"ready on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(app_for(body), log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
