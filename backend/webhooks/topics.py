"""The outbox topics an endpoint may subscribe to, and what each one tells an integrator.

Topics are names and payloads are dicts: webhooks consumes other domains' events without importing
them (DESIGN.md: webhooks may only call core)."""

BALANCE_CHANGED = "ledger.balance_changed"
REWARD_DELIVERED = "reward.delivered"
REWARD_DELIVERY_FAILED = "reward.delivery_failed"

TOPICS: dict[str, str] = {
    BALANCE_CHANGED: "a wallet's balance changed (earned, reserved, confirmed, released, reversed, expired or adjusted)",
    REWARD_DELIVERED: "the provider reported a reward's message delivered to its recipient (or read)",
    REWARD_DELIVERY_FAILED: "the provider reported a reward's message bounced, failed or undeliverable: it is flagged for an admin",
}
