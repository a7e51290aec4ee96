"""Benchmarks of stripe-fc-emulator, printed as ratios measured side by side in one run (`python -m bench`)."""
