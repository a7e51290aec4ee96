"""The import layers of design §2, checked by walking every module's imports."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def modules(package: str) -> list[tuple[str, Path]]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found.append((name, path))
    return found


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def allowed(module: str, imported: str) -> bool:
    top = imported.split(".")[0]
    if top in STDLIB:
        return True
    if module.startswith("emulator.core"):
        return imported.startswith("emulator.core")
    if module.startswith("emulator.resources"):  # Faker generates the data the catalogue leaves open
        return imported.startswith(("emulator.core", "emulator.resources", "faker"))
    if module.startswith("emulator.webhooks"):  # delivery reads the endpoints (a resource) and sends with httpx
        return imported.startswith(("emulator.core", "emulator.resources", "emulator.webhooks", "httpx"))
    if module == "emulator.http.protocol":
        # uvicorn's own HTTP protocol with a header deadline (README "Security") and the lane, which reads the URL
        # with httptools as uvicorn does (README "Performance")
        return top in {"uvicorn", "httptools", "emulator"}
    if module.startswith("emulator.http"):  # orjson writes response bodies (README "Performance")
        return top in {"starlette", "orjson"} or (top == "emulator" and not imported.startswith("emulator.__main__"))
    if module == "emulator.__main__":  # the CLI: serves (uvicorn) and, for trigger/fixtures, talks HTTP (httpx)
        return top in {"click", "uvicorn", "emulator", "httpx"}
    if module.startswith("emulator.triggers"):  # a client of a running emulator: HTTP only, no emulator internals
        return top == "httpx" or imported.startswith("emulator.triggers")
    if module.startswith("emulator"):
        return imported.startswith("emulator") and not imported.startswith(("emulator.http", "emulator.__main__"))
    if module.startswith("harness"):
        # the harness uses the emulator's public API and never Starlette directly
        return top in {"emulator", "harness", "stripe", "httpx", "pytest", "uvicorn", "yaml", "jsonschema",
                       "referencing", "faker", "click"}
    raise AssertionError(module)  # pragma: no cover


@pytest.mark.parametrize(("module", "path"), modules("emulator") + modules("harness"), ids=lambda v: str(v))
def test_layers_imports_respect_the_layering(module: str, path: Path) -> None:
    bad = sorted(name for name in imports(path) if not allowed(module, name))
    assert not bad, f"{module} imports {bad}"


def test_layers_emulator_never_imports_harness_pytest_or_yaml() -> None:
    for module, path in modules("emulator"):
        tops = {name.split(".")[0] for name in imports(path)}
        assert not tops & {"harness", "pytest", "yaml", "_pytest"}, module


def test_layers_data_folders_hold_no_python() -> None:
    for folder in ("scenarios", "fixtures"):
        assert not list((ROOT / folder).rglob("*.py")), f"{folder}/ is data only"


def test_layers_modules_stay_under_800_lines() -> None:
    for package in ("emulator", "harness"):
        for module, path in modules(package):
            assert len(path.read_text(encoding="utf-8").splitlines()) <= 800, module


def test_layers_every_hypothesis_test_module_loads_the_suites_profile() -> None:
    # the profile (deterministic examples) is loaded by `tests.hypothesis_profiles`, not by conftest.py
    missing = [name for name, path in modules("tests")
               if any(found == "hypothesis" or found.startswith("hypothesis.") for found in imports(path))
               and name != "tests.hypothesis_profiles" and "tests.hypothesis_profiles" not in imports(path)]
    assert missing == []
