from __future__ import annotations

from collections.abc import Iterator

import pytest
from relink_shop.app import create_app

from harness.http_adapter import HttpRelinkClient
from harness.server import AppServer


@pytest.fixture(scope="session")
def shop_url() -> Iterator[str]:
    with AppServer(create_app()) as server:
        yield server.url


@pytest.fixture
def relink_client(shop_url: str) -> Iterator[HttpRelinkClient]:
    """Scenarios drive the shop over HTTP, through its own routes."""
    client = HttpRelinkClient(shop_url)
    yield client
    client.close()
