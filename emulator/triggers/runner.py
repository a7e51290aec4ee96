"""Run a fixture file against an emulator, the way `stripe fixtures` does: steps with a `name`, a `method`, a
`path` and `params`, where `${name:path.to.field}` (array items by index, `data.0.id`; the path's steps may be
separated by `:` too, `${subscription:items:data:0:id}`, as some of the Stripe CLI's files write them) refers to an
earlier step's response and `${.env:VAR|default}` to the environment. A step may say `"expect_error": true` when
the precondition it builds is an API error (it then fails if the request succeeds), or, as the Stripe CLI's files
do, `"expected_error_type": "card_error"`: an error of that type does not stop the run, and neither does success
(the Stripe CLI's rule). It may send `headers` (references allowed) — `Stripe-Account` to act as a connected
account, as the Stripe CLI's fixture files do. The key and the version are the run's own."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

REFERENCE = re.compile(r"\$\{([^}:]+):([^}]*)\}")
RESERVED_HEADERS = frozenset({"authorization", "stripe-version", "content-type", "content-length", "host"})
"""Headers a step cannot set: the run's key, version and encoding are its own."""


class FixtureError(Exception):
    """A step failed: says which, with the emulator's error."""


@dataclass
class Run:
    responses: dict[str, Any] = field(default_factory=dict)
    last_event: str | None = None


def load_triggers() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(resources.files(__package__).joinpath("triggers.json").read_text("utf-8"))
    return found


def load_file(path: str | Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return found


def _lookup(value: Any, path: str, reference: str) -> Any:
    for part in [p for p in re.split(r"[.:]", path) if p]:
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, dict) and part in value:
            value = value[part]
        else:
            raise FixtureError(f"cannot resolve ${{{reference}}}: no {part!r}")
    return value


def resolve(value: Any, run: Run) -> Any:
    if isinstance(value, dict):
        return {key: resolve(inner, run) for key, inner in value.items()}
    if isinstance(value, list):
        return [resolve(inner, run) for inner in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        name, path = match.group(1), match.group(2)
        if name == ".env":
            variable, _, default = path.partition("|")
            return os.environ.get(variable, default)
        if name not in run.responses:
            raise FixtureError(f"cannot resolve ${{{name}:{path}}}: no earlier step named {name!r}")
        return str(_lookup(run.responses[name], path, f"{name}:{path}"))

    return REFERENCE.sub(substitute, value)


def encode(params: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Nested params -> Stripe's form encoding (indexed arrays, bracketed hashes)."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if isinstance(value, Mapping):
            pairs += encode(value, name)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                pairs += encode({str(index): item}, name)
        elif isinstance(value, bool):
            pairs.append((name, "true" if value else "false"))
        elif value is not None:
            pairs.append((name, str(value)))
    return pairs


def _step_headers(step: Mapping[str, Any], run: Run) -> dict[str, str]:
    given = step.get("headers") or {}
    if not isinstance(given, Mapping):
        raise FixtureError(f"step {step.get('name')!r}: headers must be an object of names and values")
    found: dict[str, str] = {}
    for name, value in given.items():
        if str(name).lower() in RESERVED_HEADERS:
            raise FixtureError(f"step {step.get('name')!r}: the header {name} is the run's own and cannot be set")
        found[str(name)] = str(resolve(value, run))
    return found


def run_fixture(fixture: Mapping[str, Any], *, base_url: str, api_key: str, stripe_version: str | None = None,
                progress: Callable[[str], None] = lambda line: None, client: httpx.Client | None = None) -> Run:
    meta = fixture.get("_meta", {})
    version = stripe_version or meta.get("api_version")
    headers = {"Authorization": f"Bearer {api_key}"}
    if version:
        headers["Stripe-Version"] = version
    run = Run()
    own = client is None
    http = client or httpx.Client(timeout=30)
    try:
        for step in fixture.get("fixtures", []):
            name = step["name"]
            progress(f"Setting up fixture for: {name}")
            method = step.get("method", "post").upper()
            path = resolve(step["path"], run)
            params = encode(resolve(step.get("params", {}), run))
            url = base_url.rstrip("/") + path
            sent = {**headers, **_step_headers(step, run)}
            if method in ("GET", "DELETE"):
                response = http.request(method, url, params=urlencode(params), headers=sent)
            else:
                response = http.request(method, url, content=urlencode(params).encode(),
                                        headers={**sent, "Content-Type": "application/x-www-form-urlencoded"})
            body = response.json()
            failed = response.status_code >= 400
            tolerated = "expected_error_type" in step and body.get("error", {}).get("type") == \
                step["expected_error_type"]
            if failed and not (step.get("expect_error") or tolerated):
                message = body.get("error", {}).get("message", response.text[:200])
                raise FixtureError(f"step {name!r} ({method} {path}) failed with {response.status_code}: {message}")
            if not failed and step.get("expect_error"):
                raise FixtureError(f"step {name!r} ({method} {path}) was expected to fail but succeeded")
            run.responses[name] = body
        return run
    finally:
        if own:
            http.close()
