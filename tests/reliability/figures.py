"""The figures of the README's "Reliability" section: runs the reliability suite in this process with larger budgets
and writes what it counted to `tests/reliability/figures.json` (and prints it).

    .venv/bin/python -m tests.reliability.figures            # the documented run (a few minutes)
    .venv/bin/python -m tests.reliability.figures --quick    # CI-sized budgets, to try it

Budgets (environment variables, set here unless already set): STRIPE_FC_FUZZ_EXAMPLES (state-machine programs),
STRIPE_FC_SCHEMATHESIS_EXAMPLES (per operation and version), STRIPE_FC_CRASH_CYCLES (SIGKILL-restart cycles).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
OUT = HERE / "figures.json"
FULL = {"STRIPE_FC_FUZZ_EXAMPLES": "300", "STRIPE_FC_SCHEMATHESIS_EXAMPLES": "40", "STRIPE_FC_CRASH_CYCLES": "30"}
QUICK = {"STRIPE_FC_FUZZ_EXAMPLES": "25", "STRIPE_FC_SCHEMATHESIS_EXAMPLES": "8", "STRIPE_FC_CRASH_CYCLES": "8"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="CI-sized budgets; writes figures-quick.json")
    args = parser.parse_args(argv)
    budgets = QUICK if args.quick else FULL
    for name, value in budgets.items():
        os.environ.setdefault(name, value)
    started = time.monotonic()
    # in this process, so the modules' counters can be read afterwards; -p no:randomly keeps the order stable
    code = pytest.main([str(HERE), "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-n", "0"])
    from tests.reliability import (
        test_concurrency,
        test_schemathesis,
        test_state_file,
        test_state_machine,
    )

    machine = test_state_machine.STATS
    figures: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.system()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "budgets": {name: os.environ[name] for name in budgets},
        "pytest_exit_code": int(code),
        "seconds": round(time.monotonic() - started, 1),
        "fuzz_programs": machine["programs"],
        "fuzz_steps": machine["checks"] - machine["programs"],
        "fuzz_requests": machine["requests"],
        "fuzz_snapshot_restarts": machine["restarts"],
        "fuzz_debits": machine["debits"],
        "fuzz_debits_settled": machine["debits_settled"],
        "fuzz_payouts": machine["payouts"],
        "fuzz_payouts_ended": machine["payouts_ended"],
        "schemathesis_cases": test_schemathesis.STATS["cases"],
        "concurrency_operations": test_concurrency.STATS["operations"],
        "crash_restart_cycles": test_state_file.STATS["crash_restart_cycles"],
        "server_errors": (machine["server_errors"] + test_schemathesis.STATS["server_errors"]
                          + test_concurrency.STATS["server_errors"] + test_state_file.STATS["server_errors"]),
        "events_lost": test_concurrency.STATS["events_lost"] + test_state_file.STATS["events_lost"],
    }
    out = OUT.with_name("figures-quick.json") if args.quick else OUT
    out.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    print(f"wrote {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}", file=sys.stderr)
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
