"""The outbox events deliveries write for integrators (webhook topics of the same names):
``reward.delivered`` when a provider reports the message delivered (or read), and
``reward.delivery_failed`` when a delivery is flagged failed, by a provider's callback or by the
worker giving up. Always in the transaction that changes the delivery."""

from __future__ import annotations

from datetime import datetime

REWARD_DELIVERED, REWARD_DELIVERY_FAILED = "reward.delivered", "reward.delivery_failed"


def delivery_payload(row, status: str, occurred_at: datetime, **extra) -> dict:
    """What an integrator is told of a delivery (``row``: the deliveries row after the change)."""
    return {
        "delivery_id": str(row["id"]),
        "issuance_id": str(row["issuance_id"]),
        "recipient_id": str(row["recipient_id"]),
        "programme_id": str(row["programme_id"]),
        "campaign_id": str(row["campaign_id"]),
        "channel": row["channel"],
        "provider": row["provider"],
        "status": status,
        "occurred_at": occurred_at.isoformat(),
    } | extra
