"""Mutation testing: runs mutmut over the emulator's core and its relink, TAN and payment modules, and writes the score
and every surviving mutant to `tests/mutation/report.json` (committed; the README quotes it).

    .venv/bin/pip install mutmut==3.8.1
    .venv/bin/python -m tests.mutation.run                 # every group (about an hour on 2 cores)
    .venv/bin/python -m tests.mutation.run --group core    # one group
    .venv/bin/python -m tests.mutation.run --report-only   # rewrite the report from the last runs' results

Each group mutates a set of modules and runs the tests written for them (mutmut runs, for each mutant, only the
selected tests that call the mutated function). A group runs in a `git clone` of HEAD under `--work` (default
`/tmp/stripe-fc-mutation/<group>`), so uncommitted changes are not measured and the checkout is left alone; the
clone's `mutants/` directory keeps mutmut's cache, so a rerun of an unchanged group is quick.

A mutant counts as killed when a test failed or timed out on it, or when `mypy --strict` (part of CI) refused it;
the score is killed / all mutants, so mutants no selected test reaches count against it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "report.json"
MUTMUT = "3.8.1"


@dataclass(frozen=True)
class Group:
    name: str
    modules: tuple[str, ...]  # globs of the files to mutate
    tests: tuple[str, ...]  # the tests run against them


GROUPS = (
    Group(
        "core",
        ("emulator/core/*",),
        ("tests/emulator", "tests/security", "tests/scenarios", "tests/contract", "tests/reliability/test_faults.py",
         "tests/reliability/test_hardening.py", "tests/harness/test_control_client.py",
         "tests/harness/test_sdk_inprocess.py"),
    ),
    Group(
        "relink-tan-payments",
        (
            "emulator/resources/financial_connections/accounts.py",
            "emulator/resources/financial_connections/authorizations.py",
            "emulator/resources/financial_connections/bank.py",
            "emulator/resources/financial_connections/flow.py",
            "emulator/resources/financial_connections/sessions.py",
            "emulator/resources/payments/*",
        ),
        # the HTTP tests of these endpoints and the built-in scenarios: the whole of tests/emulator and the SDK tests
        # would add little and make each surviving mutant cost several times as long
        ("tests/emulator/http", "tests/scenarios"),
    ),
)
TYPE_CHECK = ("mypy", "--output", "json", "--no-warn-unused-ignores", "--disable-error-code", "no-redef",
              "--disable-error-code", "has-type", "emulator")
KILLED = {"killed", "timeout", "caught by type check"}


def setup_cfg(group: Group) -> str:
    lines = ["[mutmut]", "source_paths=emulator", "only_mutate="]
    lines += [f"    {glob}" for glob in group.modules]
    lines += ["also_copy=", "    harness", "    fixtures", "    scenarios", "    examples"]
    lines += ["pytest_add_cli_args_test_selection="] + [f"    {path}" for path in group.tests]
    lines += ["pytest_add_cli_args=", "    -p", "    no:cacheprovider", "    -q"]
    # mypy --strict (run by the suite) refuses a mutant that breaks the types; the two codes left out are artefacts of
    # mutmut writing every mutant of a method as its own function (attributes "redefined", types it cannot infer)
    lines += ["type_check_command="] + [f"    {arg}" for arg in TYPE_CHECK]
    return "\n".join(lines) + "\n"


def prepare(group: Group, work: Path) -> Path:
    clone = work / group.name
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, check=True, capture_output=True, text=True)
    if clone.exists():
        subprocess.run(["git", "fetch", "-q", str(ROOT), "HEAD"], cwd=clone, check=True)
        subprocess.run(["git", "checkout", "-q", "--detach", head.stdout.strip()], cwd=clone, check=True)
    else:
        clone.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "checkout", "-q", "--detach", head.stdout.strip()], cwd=clone, check=True)
    (clone / "setup.cfg").write_text(setup_cfg(group))
    return clone


def mutmut(clone: Path, *args: str) -> None:
    """`mutmut run …` in the clone, its progress on this terminal."""
    executable = Path(sys.executable).parent / "mutmut"
    command = [str(executable) if executable.exists() else shutil.which("mutmut") or "mutmut", *args]
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    subprocess.run(command, cwd=clone, env=env, check=False)


MODULE_OF: dict[str, str] = {}
_DIFFS = """
import json, sys
from pathlib import Path
from mutmut.mutation.diff_apply import get_diff_for_mutant
names, paths = json.loads(sys.stdin.read())
out = {}
for name, path in zip(names, paths):
    text = get_diff_for_mutant(name, path=Path(path))
    out[name] = [line for line in text.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
print(json.dumps(out))
"""


def _diffs(clone: Path, names: list[str]) -> dict[str, list[str]]:
    """Each mutant's changed lines, from mutmut's own diff (in one process: `mutmut show` per mutant is slow)."""
    if not names:
        return {}
    paths = [MODULE_OF[name] for name in names]
    done = subprocess.run([sys.executable, "-c", _DIFFS], cwd=clone, input=json.dumps([names, paths]), text=True,
                          capture_output=True, check=True)
    found: dict[str, list[str]] = json.loads(done.stdout)
    return found


def statuses(clone: Path) -> dict[str, str]:
    """Every mutant's verdict, from the clone's mutmut results (`mutants/**/*.py.meta`)."""
    from mutmut.stats import status_by_exit_code

    found: dict[str, str] = {}
    for meta in sorted((clone / "mutants").rglob("*.py.meta")):
        module = str(meta.relative_to(clone / "mutants")).removesuffix(".meta")
        for key, code in json.loads(meta.read_text())["exit_code_by_key"].items():
            found[key] = status_by_exit_code[code]
            MODULE_OF[key] = module
    return found


def results(group: Group, clone: Path) -> dict[str, Any]:
    found = statuses(clone)
    by_module: dict[str, Counter[str]] = {}
    for key, status in found.items():
        by_module.setdefault(MODULE_OF[key], Counter())[status] += 1
    counts = Counter(found.values())
    killed = sum(counts[s] for s in KILLED)
    alive = sorted(key for key, status in found.items() if status not in KILLED)
    diffs = _diffs(clone, alive)
    survivors = [{"mutant": key, "status": found[key], "diff": diffs.get(key, [])} for key in alive]
    return {
        "modules": list(group.modules),
        "tests": list(group.tests),
        "mutants": len(found),
        "counts": dict(sorted(counts.items())),
        "killed": killed,
        "score": round(killed / len(found), 4) if found else None,
        "by_module": {
            module: {
                "mutants": sum(c.values()),
                "killed": sum(c[s] for s in KILLED),
                "score": round(sum(c[s] for s in KILLED) / sum(c.values()), 4),
            }
            for module, c in sorted(by_module.items())
        },
        "not_killed": survivors,
    }


STATUS_COLUMNS = (("killed by a test", ("killed",)), ("refused by mypy", ("caught by type check",)),
                  ("timed out", ("timeout",)), ("survived", ("survived",)), ("no test reaches it", ("no tests",)))


def readme_table(report: dict[str, Any]) -> str:
    """The README's table, made from the report (tests/test_readme.py keeps the two equal)."""
    lines = [f"Last run: {report['date']}, {report['machine']}, {report['tool']}.", "",
             "| group | commit | mutants | " + " | ".join(label for label, _ in STATUS_COLUMNS)
             + " | score | minutes (last run) |",
             "|---|---|" + "---:|" * (len(STATUS_COLUMNS) + 3)]
    for name, group in report["groups"].items():
        counts = group["counts"]
        cells = [f"{sum(counts.get(s, 0) for s in kinds):,}" for _, kinds in STATUS_COLUMNS]
        minutes = "" if group.get("seconds") is None else f"{group['seconds'] / 60:.0f}"
        lines.append(f"| `{name}` | `{group['commit'][:10]}` | {group['mutants']:,} | " + " | ".join(cells) +
                     f" | {group['score']:.1%} | {minutes} |")
    lines.append(f"| all | | {report['mutants']:,} | | | | | | {report['score']:.1%} | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--group", choices=[g.name for g in GROUPS], action="append")
    parser.add_argument("--work", type=Path, default=Path("/tmp/stripe-fc-mutation"))
    parser.add_argument("--report-only", action="store_true", help="rewrite the report from the clones' results")
    parser.add_argument("--retest", action="store_true", help="after the run, retest every mutant not killed before "
                        "(mutmut otherwise keeps a survivor's verdict until its function changes)")
    parser.add_argument("mutants", nargs="*", help="retest only these mutants (e.g. the report's survivors after new "
                        "tests); mutmut keeps every other result")
    args = parser.parse_args(argv)
    chosen = [g for g in GROUPS if not args.group or g.name in args.group]
    report: dict[str, Any] = json.loads(OUT.read_text()) if OUT.exists() else {}
    report.setdefault("groups", {})
    for group in chosen:
        clone = prepare(group, args.work) if not args.report_only else args.work / group.name
        seconds = None
        if not args.report_only:
            print(f"== {group.name}: mutating {', '.join(group.modules)}; tests {' '.join(group.tests)}", flush=True)
            started = time.monotonic()
            children = ("--max-children", str(os.cpu_count() or 2))
            mutmut(clone, "run", *children, *args.mutants)
            if args.retest:  # the mutants that lived through the last run, against the tests written since
                again = [key for key, status in statuses(clone).items() if status not in KILLED]
                print(f"   retesting {len(again)} mutants not killed before", flush=True)
                for start in range(0, len(again), 400):
                    mutmut(clone, "run", *children, *again[start:start + 400])
            seconds = round(time.monotonic() - started)
        previous = report["groups"].get(group.name, {})
        report["groups"][group.name] = results(group, clone)
        report["groups"][group.name]["seconds"] = seconds if seconds is not None else previous.get("seconds")
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, capture_output=True, text=True, check=True)
        report["groups"][group.name]["commit"] = commit.stdout.strip()
        done = report["groups"][group.name]
        print(f"   {group.name}: {done['killed']}/{done['mutants']} killed ({done['score']:.1%}); {done['counts']}")
    groups = report["groups"].values()
    total = sum(g["mutants"] for g in groups)
    killed = sum(g["killed"] for g in groups)
    report.update(
        {
            "date": datetime.date.today().isoformat(),
            "machine": f"{platform.system()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            "tool": f"mutmut {MUTMUT}",
            "mutants": total,
            "killed": killed,
            "score": round(killed / total, 4) if total else None,
        }
    )
    OUT.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    print(f"== all: {killed}/{total} killed ({killed / total:.1%}); written to {OUT.relative_to(ROOT)}")
    print(readme_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
