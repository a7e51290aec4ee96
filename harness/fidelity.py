"""The fidelity report: how the emulator's responses fared against Stripe's schemas and the SDK models.

`python -m harness.fidelity [pytest args]` runs the test suite with the contract check on and prints the full
report; the pytest plugin prints the summary lines at the end of every run that has the check on.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def merge(reports: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"responses": 0, "types": {}}
    for report in reports:
        merged["responses"] += report.get("responses", 0)
        for key, stats in report.get("types", {}).items():
            into = merged["types"].setdefault(
                key, {"checked": 0, "sdk_checked": 0, "violations": 0, "populated": [], "defined": []}
            )
            into["checked"] += stats["checked"]
            into["sdk_checked"] += stats.get("sdk_checked", 0)
            into["violations"] += stats["violations"]
            into["populated"] = sorted(set(into["populated"]) | set(stats["populated"]))
            into["defined"] = sorted(set(into["defined"]) | set(stats["defined"]))
    return merged


def summary_lines(report: dict[str, Any], sdk_version: str, *, full: bool = False) -> list[str]:
    types = report.get("types", {})
    violations = sum(stats["violations"] for stats in types.values())
    objects = sum(stats["checked"] for stats in types.values())
    lines = [
        f"stripe-fc-emulator fidelity: {report.get('responses', 0)} responses, {objects} objects checked against "
        f"Stripe's OpenAPI schemas and the stripe {sdk_version} SDK models: {violations} violations"
    ]
    lines.append("  per object type [schema flavor]: objects checked (of which against the SDK models), violations, "
                 "fields Stripe defines that no response populated")
    for key in sorted(types):
        object_type, flavor = key.split("|")
        stats = types[key]
        never = sorted(set(stats["defined"]) - set(stats["populated"]))
        shown = ", ".join(never) if full or len(never) <= 8 else ", ".join(never[:8]) + f", … (+{len(never) - 8})"
        lines.append(
            f"  {object_type} [{flavor}]: {stats['checked']} checked ({stats.get('sdk_checked', 0)} SDK), "
            f"{stats['violations']} violations"
            + (f"; never non-null: {shown}" if never else "")
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run pytest (in a child process, so this package is imported by pytest itself) and print the report."""
    from harness.contract.sdk_models import SDK_VERSION

    args = list(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "fidelity.json"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--stripe-emulator-contract",
                   f"--stripe-fidelity-json={out}", *args]
        code = subprocess.run(command, check=False).returncode
        if not out.exists():
            print("no fidelity data was written (did the run collect any test?)", file=sys.stderr)
            return code or 1
        report = json.loads(out.read_text(encoding="utf-8"))
    print()
    print("\n".join(summary_lines(report, SDK_VERSION, full=True)))
    return code


if __name__ == "__main__":
    raise SystemExit(main())
