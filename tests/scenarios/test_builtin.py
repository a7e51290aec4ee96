"""Every built-in scenario passes against the reference client."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.pytest_plugin import RunningEmulator
from harness.reference_client import ReferenceClient
from harness.scenario.loader import library_paths, load
from harness.scenario.runner import run_scenario

pytestmark = pytest.mark.sdk  # the reference client is SDK code: tox runs this with the oldest, GA and preview SDKs


@pytest.mark.parametrize("path", library_paths(), ids=lambda p: p.name.split(".")[0])
def test_builtin_scenario_passes_against_the_reference_client(path: Path, stripe_emulator: RunningEmulator,
                                                              stripe_api_key: str) -> None:
    run_scenario(load(path), base_url=stripe_emulator.url, api_key=stripe_api_key, client=ReferenceClient())


def test_builtin_library_cites_the_source_document() -> None:
    for path in library_paths():
        scenario = load(path)
        assert scenario.source, f"{path.name} cites no § of the source document"
        assert scenario.description.strip(), path.name
