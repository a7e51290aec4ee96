"""The README's two commands are the truth: CI runs the test command verbatim, and the serve command is run
verbatim here in a fresh copy of the repository. The built wheel works from a fresh venv."""

from __future__ import annotations

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BOUND = 300.0


def command_after(marker: str) -> str:
    """The one command in the first ```sh block after `marker`."""
    tail = README[README.index(marker) :]
    block = re.search(r"```sh\n(.+?)\n```", tail, re.S)
    assert block is not None, marker
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) == 1, f"{marker}: exactly one command expected, got {lines}"
    return lines[0]


SERVE = command_after("**Start the emulator**")
TEST = command_after("**Run the test suite:**")


def test_readme_two_commands_come_first() -> None:
    first_block = README.index("```")
    assert README.index("**Start the emulator**") < first_block < README.index("**Run the test suite:**")
    assert SERVE.endswith("stripe-fc-emulator serve") and "http://127.0.0.1:12111" in README[:first_block]
    assert "pytest -n 2" in TEST


def test_readme_contents_list_every_section() -> None:
    contents = next(line for line in README.splitlines() if line.startswith("Contents: "))
    headers = re.findall(r"^## (.+)$", README, re.M)
    linked = re.findall(r"\[([^]]+)\]\(#([^)]+)\)", contents)
    assert [title for title, _ in linked] == [header.replace("`", "") for header in headers]
    for _, anchor in linked:  # GitHub's anchors: lower case, punctuation dropped, spaces as hyphens
        assert any(re.sub(r"[^\w\- ]", "", header.lower()).replace(" ", "-") == anchor for header in headers), anchor


def test_readme_tox_comes_with_the_test_extras() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    extras = pyproject[pyproject.index("test = ["):]
    assert '"tox' in extras[: extras.index("]")]
    assert all(use.startswith(".venv/bin/tox") for use in re.findall(r"`([^`]*\btox -e[^`]*)`", README))


def test_readme_ci_runs_exactly_the_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    commands = [line for line in script.splitlines() if line.strip() and not line.startswith("#")]
    assert commands[-1] == TEST
    assert "set -euo pipefail" in script and "rm -rf .venv" in script


def test_readme_documents_every_control_endpoint_and_cli_option() -> None:
    from emulator.__main__ import serve
    from emulator.http.control import ROUTES

    for method, path, _ in ROUTES:
        assert f"{method} {path}" in README, path
    for param in serve.params:
        for flag in (opt for opt in param.opts if opt.startswith("--")):
            assert flag in README, flag
    plugin = (ROOT / "harness" / "pytest_plugin.py").read_text(encoding="utf-8")
    for option in re.findall(r'"(--stripe-[a-z-]+)"', plugin) + re.findall(r'^INI_\w+ = "(\w+)"', plugin, re.M):
        assert option in README, option


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _clone_head(destination: Path) -> None:
    """A real clone of the committed HEAD, as a newcomer gets it (untracked or uncommitted files are not in it)."""
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(destination)], check=True,
                   capture_output=True, timeout=BOUND)


def _wait_ready(process: subprocess.Popen[str]) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    deadline = time.monotonic() + BOUND
    seen = []
    while time.monotonic() < deadline and process.poll() is None:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            continue
        seen.append(line)
        match = re.search(r"ready on (http://\S+)", line)
        if match:
            return match.group(1)
    raise AssertionError("no ready line; output:\n" + "".join(seen[-40:]))


def _stop(process: subprocess.Popen[str]) -> int:
    os.killpg(process.pid, signal.SIGINT)
    try:
        return process.wait(timeout=30)
    finally:
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to clone the repository")
def test_readme_serve_command_works_verbatim_in_a_fresh_clone(tmp_path: Path) -> None:
    """Verbatim when the README's port is free; on a machine where something holds 12111, the same command with
    `--port 0` appended (that the default is 12111 is checked by the next test)."""
    checkout = tmp_path / "checkout"
    _clone_head(checkout)
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    verbatim = _port_free(12111)
    command = SERVE if verbatim else SERVE + " --port 0"
    process = subprocess.Popen(["bash", "-c", command], cwd=checkout, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        url = _wait_ready(process)
        assert url == "http://127.0.0.1:12111" if verbatim else url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/_emulator/health", timeout=10).json()["status"] == "ok"
        created = httpx.post(f"{url}/v1/customers", auth=("sk_test_readme", ""), data={"email": "r@example.com"})
        assert created.status_code == 200 and created.json()["id"].startswith("cus_")
    finally:
        code = _stop(process)
    assert code == 0


def test_readme_serve_default_is_the_readmes_address() -> None:
    from emulator.__main__ import serve

    defaults = {param.name: param.default for param in serve.params}
    shown = re.search(r"http://127\.0\.0\.1:(\d+)", README[: README.index("```")])
    assert shown is not None and (defaults["host"], defaults["port"]) == ("127.0.0.1", int(shown.group(1)))
    assert shown.group(1) == "12111"  # stripe-mock's port, so existing configurations work unchanged


def test_readme_wheel_installs_and_serves_and_runs_the_example_consumer(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                   check=True, capture_output=True, timeout=BOUND)
    (wheel,) = dist.glob("stripe_fc_emulator-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in ("emulator/py.typed", "harness/py.typed", "emulator/core/spec.py", "harness/pytest_plugin.py",
                     "stripe_fc_emulator/pytest_plugin.py",
                     "harness/_openapi/ga.components.json", "harness/_openapi/preview.components.json",
                     "harness/_scenarios/schema.json", "harness/_scenarios/sibling-reactivation.scenario.yaml",
                     "emulator/resources/financial_connections/catalogue.json", "emulator/triggers/triggers.json"):
        assert required in names
    assert not any(name.startswith(("tests/", "scenarios/", "fixtures/")) for name in names)
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)  # the MIT license the metadata names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "stripe-fc-emulator = emulator.__main__:main" in text
    assert "stripe_fc_emulator = stripe_fc_emulator.pytest_plugin" in text
    assert "scenario = harness.cli:scenario" in text

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=BOUND)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True,
                   timeout=BOUND)
    check = ("from harness.contract.openapi import SchemaSet, data_dir; "
             "assert 'site-packages' in str(data_dir()) and SchemaSet('preview').has('financial_connections.session')")
    subprocess.run([str(venv / "bin" / "python"), "-c", check], check=True, cwd=tmp_path, timeout=BOUND)
    process = subprocess.Popen([str(venv / "bin" / "stripe-fc-emulator"), "serve", "--port", "0"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        url = _wait_ready(process)
        assert httpx.get(f"{url}/_emulator/health", timeout=10).json()["status"] == "ok"
        # the scenario command works from the wheel alone: pytest is not a dependency of it
        no_pytest = subprocess.run([str(venv / "bin" / "python"), "-c", "import pytest"], capture_output=True,
                                   timeout=BOUND)
        assert no_pytest.returncode != 0, "pytest is installed in the wheel's venv: the check below proves nothing"
        library = subprocess.run([str(venv / "bin" / "stripe-fc-emulator"), "scenario", "run", "builtin", "--url", url],
                                 capture_output=True, text=True, cwd=tmp_path, timeout=BOUND)
        scenarios = len(list((ROOT / "scenarios").glob("*.scenario.yaml")))
        assert library.returncode == 0, library.stdout[-3000:] + library.stderr[-2000:]
        assert f"{scenarios} passed" in library.stdout.splitlines()[-1], library.stdout[-500:]
        assert library.stderr == "", library.stderr[-2000:]  # no warning about a command that could not load
    finally:
        code = _stop(process)
    assert code == 0

    # the example consumer, as a customer would use the plugin: its own project, installed beside the wheel
    example = tmp_path / "consumer"
    shutil.copytree(ROOT / "examples" / "consumer", example)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(example), "pytest", "pytest-xdist"], check=True,
                   capture_output=True, timeout=BOUND)
    suite = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-n", "2", "-p", "no:cacheprovider", "-q"],
                           cwd=example, capture_output=True, text=True, timeout=BOUND)
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-2000:]
    summary = suite.stdout.strip().splitlines()[-1]
    # every built-in scenario (one per file), the example's own scenario file, and its test functions
    expected = (len(list((ROOT / "scenarios").glob("*.scenario.yaml")))
                + len(list((example / "tests").glob("*.scenario.yaml")))
                + sum(path.read_text().count("\ndef test_") for path in (example / "tests").glob("test_*.py")))
    assert re.search(rf"\b{expected} passed\b", summary) and "failed" not in summary, (expected, summary)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to clone the repository")
def test_example_consumer_readme_command_works_verbatim_in_a_fresh_clone(tmp_path: Path) -> None:
    example_readme = (ROOT / "examples" / "consumer" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.+?)\n```", example_readme, re.S)
    assert block is not None
    command = block.group(1).strip()
    checkout = tmp_path / "checkout"
    _clone_head(checkout)
    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if ".venv" not in p)
    result = subprocess.run(["bash", "-c", command], cwd=checkout / "examples" / "consumer", env=env,
                            capture_output=True, text=True, timeout=BOUND)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = result.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "failed" not in summary and "error" not in summary, summary


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git to list the tracked example files")
def test_sdist_ships_the_license_and_whole_examples(tmp_path: Path) -> None:
    """The source distribution carries the LICENSE the metadata promises, and an example either whole or not at all
    (it once shipped examples/consumer's tests and README without its app, conftest or pyproject)."""
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=BOUND)
    (sdist,) = tmp_path.glob("stripe_fc_emulator-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert "LICENSE" in names and "pyproject.toml" in names
    tracked = subprocess.run(["git", "ls-files", "examples"], cwd=ROOT, capture_output=True, text=True, check=True)
    examples = set(tracked.stdout.split())
    assert examples and examples <= names, sorted(examples - names)
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)


def _account_cell(account: Any) -> str:
    notes = [account.subcategory, account.last4]
    if "us_bank_account" not in account.supported_payment_method_types:
        notes.append("no ACH")
    numbers = account.numbers
    if numbers.get("type") == "none":
        notes.append("no numbers")
    elif account.tokenized:
        lifetime = ("expires shortly after the session" if account.tan_expires_shortly
                    else f"expires {numbers.get('expires_in_days')} d after the session")
        notes.append(f"TAN {numbers.get('status', 'transactable')}, {lifetime}")
    if account.owners is not None:
        notes.append(f"{len(account.owners)} owner(s)" if account.owners else "no owners")
    if account.inactive is not None:
        notes.append(f"inactive shortly after linking: {account.inactive['cause']}/{account.inactive['action']}")
    reauth = account.reauthentication or {}
    if reauth.get("after_link_days"):
        notes.append(f"deactivates {reauth['after_link_days']} d after linking")
    if reauth.get("after_relink_days"):
        notes.append(f"deactivates {reauth['after_relink_days']} d after each relink")
    return f"{account.display_name} ({', '.join(notes)})"


def institution_tables() -> list[str]:
    """The README's two test-institution tables (Stripe's, then the emulator's own), made from the catalogue."""
    from emulator.resources.financial_connections.institutions import catalogue

    tables = []
    for emulator_own in (False, True):
        out = [f"<!-- {'the emulator' if emulator_own else 'Stripe'}'s test institutions: "
               f"python -m tests.test_readme --institutions -->"]
        out.append("| institution | also matches | id | login | what it simulates | accounts |")
        out.append("|---|---|---|---|---|---|")
        for i in catalogue().institutions:
            if i.emulator != emulator_own:
                continue
            login = "OAuth" if i.oauth else ("form, credential keywords" if i.credential_keywords else "form")
            aliases = ", ".join(i.aliases) or "—"
            accounts = "<br>".join(_account_cell(a) for a in i.accounts)
            out.append(f"| {i.name} | {aliases} | `{i.id}` | {login} | {i.simulates} | {accounts} |")
        tables.append("\n".join(out) + "\n")
    return tables


def test_readme_lists_every_test_institution_and_account() -> None:
    for table in institution_tables():
        assert table in README, "regenerate the tables: python -m tests.test_readme --institutions"


def endpoint_index() -> str:
    """The README's list of every endpoint, made from the route tables (this test keeps the two equal)."""
    from emulator.http import browser, control, dashboard
    from emulator.http.routes import API

    def shown(path: str) -> str:
        return re.sub(r"\{(\w+)\}", r":\1", path)

    rows = [f"`{e.method} {shown(e.path)}`" for e in API]
    rows += [f"`{method} {shown(path)}`" for method, path, _ in [*control.ROUTES, *browser.ROUTES, *dashboard.ROUTES]]
    return "<!-- endpoint index: python -m tests.test_readme --endpoints -->\n" + " ·\n".join(rows) + "\n"


def test_readme_documents_every_endpoint() -> None:
    assert endpoint_index() in README, "regenerate the endpoint index: python -m tests.test_readme --endpoints"


RELIABILITY_ROWS = {
    "state-machine programs": "fuzz_programs",
    "state-machine steps": "fuzz_steps",
    "requests made by the state machine": "fuzz_requests",
    "restarts from a snapshot inside the programs": "fuzz_snapshot_restarts",
    "debits sent by the state machine": "fuzz_debits",
    "debits that settled while a program watched": "fuzz_debits_settled",
    "payouts made by the state machine": "fuzz_payouts",
    "payouts that were paid, failed or canceled": "fuzz_payouts_ended",
    "schemathesis cases": "schemathesis_cases",
    "concurrent operations": "concurrency_operations",
    "SIGKILL crash-restart cycles": "crash_restart_cycles",
    "5xx responses seen": "server_errors",
    "events lost": "events_lost",
}


def reliability_table(figures: dict[str, object]) -> str:
    """The README's table, made from `tests/reliability/figures.json` (this test keeps the two equal)."""
    budgets = figures["budgets"]
    assert isinstance(budgets, dict)
    lines = [f"Last run: {figures['date']}, {figures['machine']}, {figures['seconds']} s, pytest exit code "
             f"{figures['pytest_exit_code']}; budgets " + ", ".join(f"`{k}={v}`" for k, v in budgets.items()) + ".",
             "", "| figure | value |", "|---|---|"]
    lines += [f"| {label} | {figures[key]:,} |" for label, key in RELIABILITY_ROWS.items()]
    return "\n".join(lines)


def test_readme_reliability_figures_are_the_committed_run() -> None:
    figures = json.loads((ROOT / "tests" / "reliability" / "figures.json").read_text(encoding="utf-8"))
    assert reliability_table(figures) in README, "regenerate the table: python -m tests.test_readme"
    assert figures["server_errors"] == 0 and figures["events_lost"] == 0 and figures["pytest_exit_code"] == 0


def test_readme_mutation_figures_are_the_committed_report() -> None:
    from tests.mutation.run import readme_table

    report = json.loads((ROOT / "tests" / "mutation" / "report.json").read_text(encoding="utf-8"))
    assert readme_table(report) in README, "regenerate the table: python -m tests.test_readme --mutation"
    for group in report["groups"].values():  # the report's counts add up, and each survivor is listed
        assert sum(group["counts"].values()) == group["mutants"]
        assert len(group["not_killed"]) == group["mutants"] - group["killed"]
    assert report["killed"] == sum(g["killed"] for g in report["groups"].values())


if __name__ == "__main__":  # print a table (or, with --endpoints, the endpoint index) to paste into the README
    if "--endpoints" in sys.argv:
        print(endpoint_index(), end="")
    elif "--institutions" in sys.argv:
        print("\n".join(institution_tables()), end="")
    elif "--mutation" in sys.argv:
        from tests.mutation.run import readme_table

        print(readme_table(json.loads((ROOT / "tests" / "mutation" / "report.json").read_text())))
    else:
        print(reliability_table(json.loads((ROOT / "tests" / "reliability" / "figures.json").read_text())))
