"""What the browser sees: the Stripe.js shim (static), the hosted auth flow and the dashboard (server-rendered
HTML from plain functions; `emulator.http.browser` serves them)."""
