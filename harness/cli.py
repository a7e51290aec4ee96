"""`stripe-fc-emulator scenario run PATH… [--url URL]`: replay scenarios without pytest (contributed to the
emulator's command line through the `stripe_fc_emulator.commands` entry point, so the emulator itself never imports
the harness)."""

from __future__ import annotations

import importlib
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import httpx

from harness.scenario.loader import ScenarioError, is_scenario_file, library_paths, resolve_reference
from harness.scenario.runner import ScenarioFailure, ScenarioSkipped, run_scenario


@click.group()
def scenario() -> None:
    """Replay scenario files against a running emulator."""


def _expand(paths: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for entry in paths:
        if entry == "builtin":
            found += [str(p) for p in library_paths()]
        elif Path(entry).is_dir():
            found += sorted(str(p) for p in Path(entry).rglob("*") if is_scenario_file(p))
        else:
            found.append(entry)
    return found


def _client_factory(client: str | None, client_url: str | None) -> Callable[[], Any]:
    """What makes each scenario's relink client: the reference client, a Python factory named `module:attribute`
    (imported from the current directory too, as `python -m` would), or the HTTP adapter for a server at a URL."""
    if client is not None and client_url is not None:
        raise click.UsageError("give --client or --client-url, not both")
    if client_url is not None:
        from harness.http_adapter import HttpRelinkClient

        if not client_url.startswith(("http://", "https://")):
            raise click.BadParameter(f"{client_url!r} is not an http(s) URL", param_hint="--client-url")
        return lambda: HttpRelinkClient(client_url)
    if client is not None:
        return _imported(client)
    from harness.reference_client import ReferenceClient

    return ReferenceClient


def _imported(spec: str) -> Callable[[], Any]:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise click.BadParameter(f"{spec!r} is not `module:factory` (e.g. `myapp.stripe_adapter:make_client`)",
                                 param_hint="--client")
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # the user's project, as `python -m` would see it
    try:
        found: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise click.BadParameter(f"cannot import {module_name!r}: {exc}", param_hint="--client") from None
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise click.BadParameter(f"{module_name!r} has no {attribute!r}", param_hint="--client")
        found = getattr(found, part)
    if not callable(found):
        raise click.BadParameter(f"{spec} is not callable: it must make a relink client", param_hint="--client")
    factory: Callable[[], Any] = found
    return factory


def _unreachable(url: str) -> str | None:
    """Why the emulator at `url` cannot be used, in one line, or None."""
    try:
        answer = httpx.get(f"{url.rstrip('/')}/_emulator/health", timeout=5)
    except httpx.TransportError as exc:
        return f"cannot reach the emulator at {url} ({type(exc).__name__}: {exc or 'no answer'}); start it with " \
               f"`stripe-fc-emulator serve` or pass --url"
    if answer.status_code != 200:
        return f"{url} answered {answer.status_code} to /_emulator/health: is it a stripe-fc-emulator?"
    return None


@scenario.command("run")
@click.argument("paths", nargs=-1, required=True)
@click.option("--url", default="http://127.0.0.1:12111", show_default=True, envvar="STRIPE_EMULATOR_URL",
              help="The emulator to run against.")
@click.option("--api-version", default=None, help="Stripe-Version for scenarios that do not set one.")
@click.option("--client", "client", default=None, metavar="MODULE:FACTORY",
              help="Your relink code: a callable that makes an adapter (an object with `harness.client`'s methods), "
                   "called once per scenario. Default: the reference client.")
@click.option("--client-url", default=None, metavar="URL",
              help="Your relink code as an HTTP server, driven through the HTTP adapter (its default routes).")
def run(paths: tuple[str, ...], url: str, api_version: str | None, client: str | None,
        client_url: str | None) -> None:
    """Run scenario files (or directories, or `builtin`) against your relink code (default: the reference client),
    one line per scenario."""
    make_client = _client_factory(client, client_url)
    problem = _unreachable(url)
    if problem is not None:
        click.echo(f"error: {problem}", err=True)
        sys.exit(2)
    counts = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    started = time.monotonic()
    for reference in _expand(paths):
        key = f"sk_test_scenario{uuid.uuid4().hex[:16]}"  # a fresh namespace per scenario
        try:
            scenario_file = resolve_reference(reference)
            run_scenario(scenario_file, base_url=url, api_key=key, client=make_client(), api_version=api_version)
        except ScenarioError as exc:
            counts["error"] += 1
            click.echo(f"ERROR   {reference}\n{exc}")
        except ScenarioSkipped as exc:
            counts["skipped"] += 1
            click.echo(f"SKIPPED {scenario_file.name}: {exc}")
        except ScenarioFailure as exc:
            counts["failed"] += 1
            click.echo(f"FAILED  {scenario_file.name}\n{exc}\n")
        except httpx.TransportError as exc:  # the emulator (or the client's server) went away mid-run
            click.echo(f"error: {reference}: lost the connection ({type(exc).__name__}: {exc}); stopping",
                       err=True)
            sys.exit(2)
        else:
            counts["passed"] += 1
            click.echo(f"PASSED  {scenario_file.name}")
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    click.echo(f"{summary or 'nothing ran'} in {time.monotonic() - started:.1f}s")
    sys.exit(1 if counts["failed"] or counts["error"] else 0)
