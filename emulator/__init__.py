"""stripe-fc-emulator: a local, stateful emulator of the Stripe API for Financial Connections relink."""

__version__ = "0.1.0"
