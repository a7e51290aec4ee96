"""Test tooling for stripe-fc-emulator: the pytest plugin, a server runner, SDK helpers. Imports nothing heavy at
import time (pytest loads `harness.pytest_plugin` at every start)."""
