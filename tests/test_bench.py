"""The benchmarks keep working: a tiny-N run (`python -m bench --quick`) of the parts that need no peer."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_quick_run_writes_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    result = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "B1,B2,B4,B6,B8,B10", "--out",
                             str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    document = json.loads(out.read_text())
    assert document["quick"] is True and set(document["results"]) == {"B1", "B2", "B4", "B6", "B8", "B10"}
    assert document["results"]["B1"]["customer_ratio"] > 0
    assert document["results"]["B2"]["speedup_vs_http"] > 1  # in-process beats a socket even at tiny N
    assert document["results"]["B6"]["namespace_creation_ms"] < 1.0
    assert document["results"]["B8"]["idle_namespaces"] == 100 and document["results"]["B8"]["ratio"] > 0
    assert document["results"]["B10"]["generic_retrieve_ms"] > 0 and document["results"]["B10"]["ratio"] > 0
    assert "B4" in result.stdout and "wrote" in result.stdout
