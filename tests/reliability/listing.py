"""Reading a whole Stripe list endpoint, page by page (`starting_after`), as the reliability tests count objects."""

from __future__ import annotations

from typing import Any

import httpx


def every_page(http: httpx.Client, path: str, **filters: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100, **filters}
    while True:
        response = http.get(path, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        found += page["data"]
        if not page["has_more"]:
            return found
        params["starting_after"] = page["data"][-1]["id"]
