"""The outbox topics an endpoint may subscribe to, and what each one tells an integrator.

Topics are names and payloads are dicts: webhooks consumes other domains' events without importing
them (DESIGN.md: webhooks may only call core)."""

BALANCE_CHANGED = "ledger.balance_changed"
REWARD_DELIVERED = "reward.delivered"
REWARD_DELIVERY_FAILED = "reward.delivery_failed"

TICKET_STATUS_CHANGED = "ticket.status_changed"
PARTNER_FLAGGED = "partner.flagged"

TOPICS: dict[str, str] = {
    BALANCE_CHANGED: "a wallet's balance changed (earned, reserved, confirmed, released, reversed, expired or adjusted)",
    REWARD_DELIVERED: "the provider reported a reward's message delivered to its recipient (or read)",
    REWARD_DELIVERY_FAILED: "the provider reported a reward's message bounced, failed or undeliverable: it is flagged for an admin",
    TICKET_STATUS_CHANGED: "a complaint ticket was opened or changed status (new, open, waiting_on_recipient, resolved, closed)",
    PARTNER_FLAGGED: "a partner crossed one of its programme's performance thresholds (the figure, the threshold, since when)",
}
