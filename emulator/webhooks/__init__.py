"""Webhooks: signing (pure) and delivery (the outbox of each namespace, retries, the attempt log)."""
