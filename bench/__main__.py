"""`python -m bench [--quick] [--only B1,B3] [--b3-sizes 0,10000] [--update] [--out bench/results.json]`: run the
benchmarks and print a table."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import suites

FULL = {"calls": 300, "reps": 5, "b3_sizes": [0, 10_000], "b3_ops": 400, "b4_sizes": [100, 10_000, 100_000],
        "b4_calls": 400, "b5_seconds": 5.0, "startup_reps": 5, "b8_idle": 10_000,
        "b7_rounds": 5}
QUICK = {"calls": 20, "reps": 2, "b3_sizes": [0, 50], "b3_ops": 40, "b4_sizes": [10, 200], "b4_calls": 30,
         "b5_seconds": 0.5, "startup_reps": 1, "b8_idle": 100,
         "b7_rounds": 1}


def run(only: set[str], size: dict[str, Any]) -> dict[str, Any]:
    plan: dict[str, Callable[[], dict[str, Any]]] = {
        "B1": lambda: suites.b1_sdk_floor(size["calls"], size["reps"]),
        "B2": lambda: suites.b2_inprocess(size["calls"], size["reps"]),
        "B3": lambda: suites.b3_localstripe(size["b3_sizes"], size["b3_ops"]),
        "B4": lambda: suites.b4_scale(size["b4_sizes"], size["b4_calls"]),
        "B5": lambda: suites.b5_throughput(size["b5_seconds"], 32),
        "B6": lambda: suites.b6_startup(size["startup_reps"]),
        "B7": lambda: suites.b7_scenarios(size["b7_rounds"]),
        "B8": lambda: suites.b8_namespaces(size["b8_idle"], size["calls"], size["reps"]),
        "B9": lambda: suites.b9_stateful_peer(size["b5_seconds"], 32),
        "B10": lambda: suites.b10_generic(size["calls"], size["reps"]),
    }
    results: dict[str, Any] = {}
    for name, job in plan.items():
        if only and name not in only:
            continue
        print(f"{name} …", file=sys.stderr, flush=True)
        started = time.perf_counter()
        results[name] = job()
        print(f"{name} done in {time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    return results


def show(results: dict[str, Any]) -> None:
    for name, figures in results.items():
        print(f"\n{name}")
        for key, value in figures.items():
            shown = json.dumps(value, default=lambda v: round(v, 3)) if isinstance(value, dict) else _fmt(value)
            print(f"  {key:<55} {shown}")


def _fmt(value: Any) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--quick", action="store_true", help="tiny N: checks the benchmarks run, measures nothing")
    parser.add_argument("--only", default="", help="comma-separated: B1,B2,…")
    parser.add_argument("--out", default=None, help="where to write the JSON (default bench/results.json; "
                        "with --quick bench/results-quick.json)")
    parser.add_argument("--b3-sizes", default=None,
                        help="existing objects for B3, e.g. 0,10000 (localstripe's create is O(n): seeding 10,000 "
                             "takes minutes)")
    parser.add_argument("--update", action="store_true",
                        help="keep the other benchmarks' figures of the existing output file and replace only the ones "
                             "run now (each benchmark's run date is kept under `dates`); implied by --only without "
                             "--out")
    args = parser.parse_args()
    only = {part.strip().upper() for part in args.only.split(",") if part.strip()}
    size = dict(QUICK if args.quick else FULL)
    if args.b3_sizes:
        size["b3_sizes"] = [int(part) for part in args.b3_sizes.split(",")]
    results = run(only, size)
    show(results)
    # a quick run never overwrites the recorded full results
    default_name = "results-quick.json" if args.quick else "results.json"
    out = Path(args.out) if args.out else Path(__file__).resolve().parent / default_name
    today = time.strftime("%Y-%m-%d")
    kept: dict[str, Any] = {}
    dates = {name: today for name in results}
    if (args.update or (only and args.out is None)) and out.exists():
        # `--only` into the recorded file keeps the others' figures: a partial run never wipes the rest
        previous = json.loads(out.read_text(encoding="utf-8"))
        kept = {name: figures for name, figures in previous.get("results", {}).items() if name not in results}
        dates = {**{name: previous.get("dates", {}).get(name, previous.get("date")) for name in kept}, **dates}
    document = {"date": today, "quick": args.quick,
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "system": platform.platform()},
                "dates": dict(sorted(dates.items())), "results": dict(sorted({**kept, **results}.items()))}
    out.write_text(json.dumps(document, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
