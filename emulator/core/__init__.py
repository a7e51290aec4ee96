"""The emulator's kernel: stdlib only. Clock, ids, errors, form decoding, parameter specs, versions,
lists, expansion, store, events, idempotency and the per-namespace backend."""
