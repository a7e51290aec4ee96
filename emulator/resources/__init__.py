"""Business rules and state transitions, one module per resource family. Imports emulator.core only."""
