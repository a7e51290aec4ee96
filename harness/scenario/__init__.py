"""Scenario files: a given world, ordered steps (API requests, simulations, calls into the integrator's code,
expectations) replayed against an emulator. `loader` reads and validates, `runner` replays, `matchers` compares."""
