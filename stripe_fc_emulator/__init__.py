"""stripe-fc-emulator's one distinctly named package: the pytest plugin's entry point, which first checks that the
generic import names it ships (`emulator`, `harness`) are its own and not a package of the project under test."""

from __future__ import annotations

import importlib.util
from pathlib import Path

NAMES = ("emulator", "harness")


def collision() -> str | None:
    """Why `emulator` or `harness` is not this distribution's package (a project's own package of that name comes
    first on `sys.path`, typically from the current directory), or None."""
    home = Path(__file__).resolve().parent.parent
    for name in NAMES:
        spec = importlib.util.find_spec(name)
        expected = home / name / "__init__.py"
        found = None if spec is None or spec.origin is None else Path(spec.origin).resolve()
        if found != expected:
            where = "nothing" if found is None else f"{found.parent}" if found.name == "__init__.py" else f"{found}"
            return (f"stripe-fc-emulator: the import name {name!r} is taken by {where}, not stripe-fc-emulator's "
                    f"package ({expected.parent}). A package or module of your project named {name!r} shadows it "
                    f"(the current directory comes first on sys.path under `python -m pytest`); rename yours, or run "
                    f"`pytest` (the command) from a directory where it is not importable.")
    return None
