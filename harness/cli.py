"""`stripe-fc-emulator scenario run PATH… [--url URL]`: replay scenarios without pytest (contributed to the
emulator's command line through the `stripe_fc_emulator.commands` entry point, so the emulator itself never imports
the harness)."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import click

from harness.scenario.collect import resolve_reference
from harness.scenario.loader import ScenarioError, is_scenario_file, library_paths
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


@scenario.command("run")
@click.argument("paths", nargs=-1, required=True)
@click.option("--url", default="http://127.0.0.1:12111", show_default=True, envvar="STRIPE_EMULATOR_URL")
@click.option("--api-version", default=None, help="Stripe-Version for scenarios that do not set one.")
def run(paths: tuple[str, ...], url: str, api_version: str | None) -> None:
    """Run scenario files (or directories, or `builtin`) with the reference client, one line per scenario."""
    from harness.reference_client import ReferenceClient

    counts = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
    started = time.monotonic()
    for reference in _expand(paths):
        key = f"sk_test_scenario{uuid.uuid4().hex[:16]}"  # a fresh namespace per scenario
        try:
            scenario_file = resolve_reference(reference)
            run_scenario(scenario_file, base_url=url, api_key=key, client=ReferenceClient(), api_version=api_version)
        except ScenarioError as exc:
            counts["error"] += 1
            click.echo(f"ERROR   {reference}\n{exc}")
        except ScenarioSkipped as exc:
            counts["skipped"] += 1
            click.echo(f"SKIPPED {scenario_file.name}: {exc}")
        except ScenarioFailure as exc:
            counts["failed"] += 1
            click.echo(f"FAILED  {scenario_file.name}\n{exc}\n")
        else:
            counts["passed"] += 1
            click.echo(f"PASSED  {scenario_file.name}")
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    click.echo(f"{summary or 'nothing ran'} in {time.monotonic() - started:.1f}s")
    sys.exit(1 if counts["failed"] or counts["error"] else 0)
