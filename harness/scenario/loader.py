"""Read scenario files (YAML or JSON), validate them against `scenarios/schema.json`, and report problems with
the file's line number — never a traceback."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (the same documents, the same tags, ~10× faster), else the
pure-Python one. Never a loader that constructs arbitrary Python objects."""

SUFFIXES = (".scenario.yaml", ".scenario.yml", ".scenario.json")


class ScenarioError(Exception):
    """A scenario file that cannot be used: the message names the file and line."""


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    raw: dict[str, Any]
    description: str = ""
    source: tuple[str, ...] = ()
    api_version: str | None = None
    tags: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    given: dict[str, Any] = field(default_factory=dict)
    steps: tuple[dict[str, Any], ...] = ()
    expect: dict[str, Any] | None = None


def library_dir() -> Path:
    """The built-in scenarios: inside the installed wheel (`harness/_scenarios`), or `scenarios/` in a checkout."""
    packaged = Path(__file__).resolve().parent.parent / "_scenarios"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "scenarios"


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads((library_dir() / "schema.json").read_text(encoding="utf-8")))


def _line(node: yaml.Node | None, path: list[Any]) -> int | None:
    """The 1-based line of `path` in a composed YAML document (the deepest node found)."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((value for key, value in node.value if key.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            match = node.value[part]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def load(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from exc
    node: yaml.Node | None = None
    try:
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{path}{where}: not valid YAML: {exc.problem}") from exc
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}:1: a scenario is a mapping with at least `name` and `steps`")
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        if path.suffix != ".json":  # the node tree, for line numbers: built only when there is something to report
            node = yaml.compose(text, Loader=SAFE_LOADER)
        lines = []
        for error in errors[:5]:
            steps = list(error.absolute_path)
            line = _line(node, steps)
            location = "/".join(str(p) for p in steps) or "(top level)"
            lines.append(f"{path}{f':{line}' if line else ''}: {location}: {error.message}")
        raise ScenarioError("\n".join(lines))
    return Scenario(
        name=data["name"],
        path=path,
        raw=data,
        description=data.get("description", ""),
        source=tuple(data.get("source", ())),
        api_version=data.get("api_version"),
        tags=tuple(data.get("tags", ())),
        needs=tuple(data.get("needs", ())),
        given=dict(data.get("given", {})),
        steps=tuple(data["steps"]),
        expect=data.get("expect"),
    )


def builtin(name: str) -> Scenario:
    path = next((p for p in library_paths() if p.name.split(".")[0] == name), None)
    if path is None:
        names = ", ".join(p.name.split(".")[0] for p in library_paths())
        raise ScenarioError(f"no built-in scenario {name!r}; the library has: {names}")
    return load(path)


def library_paths() -> list[Path]:
    return sorted(p for p in library_dir().iterdir() if p.name.endswith(SUFFIXES))


def is_scenario_file(path: Path) -> bool:
    return path.name.endswith(SUFFIXES)


def resolve_reference(reference: str | Path, base: Path | None = None) -> Scenario:
    """`builtin:<name>` or a path (relative to `base`)."""
    text = str(reference)
    if text.startswith("builtin:"):
        return builtin(text.split(":", 1)[1])
    path = Path(text)
    if not path.is_absolute() and base is not None:
        path = base / path
    return load(path)
