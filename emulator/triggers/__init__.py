"""`stripe-fc-emulator trigger` and `fixtures`: Stripe-CLI-style fixture files run against an emulator."""
