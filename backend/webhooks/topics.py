"""The outbox topics an endpoint may subscribe to, and what each one tells an integrator.

Topics are names and payloads are dicts: webhooks consumes other domains' events without importing
them (DESIGN.md: webhooks may only call core)."""

BALANCE_CHANGED = "ledger.balance_changed"

TOPICS: dict[str, str] = {
    BALANCE_CHANGED: "a wallet's balance changed (earned, reserved, confirmed, released, reversed, expired or adjusted)",
}
