"""The outbox topics an endpoint may subscribe to, and what each one tells an integrator.

Topics are names and payloads are dicts: webhooks consumes other domains' events without importing
them (DESIGN.md: webhooks may only call core)."""

BALANCE_CHANGED = "ledger.balance_changed"
TICKET_STATUS_CHANGED = "ticket.status_changed"

TOPICS: dict[str, str] = {
    BALANCE_CHANGED: "a wallet's balance changed (earned, reserved, confirmed, released, reversed, expired or adjusted)",
    TICKET_STATUS_CHANGED: "a complaint ticket was opened or changed status (new, open, waiting_on_recipient, resolved, closed)",
}
