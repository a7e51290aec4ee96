"""Contract fidelity: the emulator's responses checked against Stripe's OpenAPI schemas and the stripe SDK's
model classes. Test tooling: the emulator never imports it."""
