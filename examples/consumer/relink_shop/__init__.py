"""relink-shop: an example integrator of stripe-fc-emulator."""
