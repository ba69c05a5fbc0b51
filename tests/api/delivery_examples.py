"""Rewards with deliveries, for the API tests and the documented examples: a points reward issued
to a person, its delivery made as the worker makes it (the reward.issued event processed by the
registered handlers), and optionally flagged failed as a provider's permanent refusal leaves it."""

from __future__ import annotations

import json

from backend.core import outbox, sql
from backend.core.authz import SYSTEM
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput
from backend.rewards.services.issuance import RewardRequest, issue_reward
from backend.rewards.views import REWARD_ISSUED
from jobs.outbox import registered_handlers


async def issued_with_delivery(actor, campaign_id, external_id: str, *, failed: bool = False, **contacts) -> tuple:
    """(recipient, reward id, delivery id) of a fresh points reward of 100 under ``campaign_id``."""
    contacts.setdefault("email", f"{external_id.lower()}@example.com")
    recipient = (
        await recipients.upsert_recipient(
            SYSTEM, RecipientInput(external_id=external_id, full_name=f"Person {external_id}", country="IN", **contacts)
        )
    ).recipient
    outcome = await issue_reward(
        actor, RewardRequest(campaign_id, recipient.id, None, 100, idempotency_key=f"seed-{external_id}")
    )
    assert outcome.status == "issued", outcome.message
    for row in await sql.fetch("SELECT id, payload FROM outbox_events WHERE topic = $1", REWARD_ISSUED):
        payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        if payload["issuance_id"] == str(outcome.issuance_id):
            assert await outbox.process(row["id"], registered_handlers()) == outbox.DONE
    delivery = await sql.fetchrow("SELECT id FROM deliveries WHERE issuance_id = $1", outcome.issuance_id)
    if failed:  # as the messaging provider's "not a valid phone number" leaves it
        await sql.fetch(
            "UPDATE deliveries SET status = 'failed', failure_code = 'INVALID_NUMBER', "
            "failure_reason = 'the phone number is not valid (provider code 21211)' WHERE id = $1",
            delivery["id"],
        )
    return recipient, outcome.issuance_id, delivery["id"]
