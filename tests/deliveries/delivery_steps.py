"""Steps the delivery tests share: people with given contacts, a points reward issued to each (its
reward.issued event written as the rewards domain writes it), the worker's handling of that event,
and a quick sending policy."""

from __future__ import annotations

import json

from campaign_steps import api_key_actor, make_programme, points_campaign
from messaging_provider import ACCOUNT_SID, AUTH_TOKEN

from backend.core import outbox, sql
from backend.core.authz import SYSTEM
from backend.core.backoff import Backoff
from backend.core.clock import utcnow
from backend.deliveries.policy import SendingPolicy
from backend.deliveries.services import providers
from backend.deliveries.services.providers import ProviderInput
from backend.recipients import services as recipients
from backend.rewards.services.issuance import RewardRequest, issue_reward
from backend.rewards.views import REWARD_ISSUED
from jobs.outbox import registered_handlers

# Small numbers so a test of several attempts takes a fraction of a second.
QUICK = SendingPolicy(attempts_per_provider=3, backoff=Backoff(base_seconds=0.01, cap_seconds=0.04), lease_seconds=5)


async def person(external_id: str, **contacts) -> object:
    result = await recipients.upsert_recipient(
        SYSTEM,
        recipients.RecipientInput(external_id=external_id, full_name=contacts.pop("name", f"Person {external_id}"), **contacts),
    )
    return result.recipient


async def sms_without_phone(external_id: str, **contacts) -> object:
    """A recipient whose preferred channel is SMS and who has no phone number, as an old record may
    be (the recipients service no longer writes one): their delivery misses its contact."""
    who = await person(external_id, **contacts)
    await sql.fetch("UPDATE recipients SET preferred_channel = 'sms' WHERE id = $1", who.id)
    return who


class Programme:
    """A programme with an active points campaign; ``issue`` gives someone 1,500 points."""

    def __init__(self, admin):
        self.admin = admin
        self.count = 0

    async def start(self, name: str = "Sales Stars") -> Programme:
        self.programme = await make_programme(name)
        self.campaign = await points_campaign(self.admin, self.programme.id, name="Quarterly stars")
        return self

    async def issue(self, recipient_id, value: int = 1500, channel: str | None = None):
        self.count += 1
        outcome = await issue_reward(
            api_key_actor(),
            RewardRequest(self.campaign.id, recipient_id, None, value, idempotency_key=f"r-{self.count}", channel=channel),
        )
        assert outcome.status == "issued", outcome.message
        return outcome.issuance_id


async def issued_event(issuance_id):
    rows = await sql.fetch("SELECT id, payload FROM outbox_events WHERE topic = $1", REWARD_ISSUED)
    for row in rows:
        payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        if payload["issuance_id"] == str(issuance_id):
            return row["id"]
    raise AssertionError(f"no reward.issued event for {issuance_id}")


async def handle(issuance_id) -> str:
    """What the worker does with the reward's event: process it with the registered handlers."""
    return await outbox.process(await issued_event(issuance_id), registered_handlers())


async def delivery_row(issuance_id):
    return await sql.fetchrow("SELECT * FROM deliveries WHERE issuance_id = $1", issuance_id)


async def made(shop: Programme, who) -> dict:
    """A reward issued to ``who`` and its event handled by the worker: the delivery row it made."""
    issuance_id = await shop.issue(who.id)
    await handle(issuance_id)
    return await delivery_row(issuance_id)


async def plain_smtp(admin, shop: Programme, port: int, role: str = "primary", from_address: str = "rewards@example.com"):
    """The programme's email (as ``role``) goes to an SMTP server on loopback ``port``, no TLS, no login."""
    return await providers.set_provider(
        admin,
        ProviderInput(
            programme_id=shop.programme.id,
            channel="email",
            role=role,
            kind="smtp",
            settings={"host": "127.0.0.1", "port": port, "security": "none", "from_address": from_address},
        ),
    )


async def count(statement: str, *args) -> int:
    """The one number a ``SELECT COUNT(*) …`` statement returns, its values bound."""
    row = await sql.fetchrow(statement, *args)
    return int(next(iter(row.values())))


async def messaging(admin, shop: Programme, server, channel: str = "sms", role: str = "primary", timeout: float = 5.0):
    return await providers.set_provider(
        admin,
        ProviderInput(
            programme_id=shop.programme.id,
            channel=channel,
            role=role,
            kind="http_messaging",
            settings={
                "base_url": server.base_url,
                "account_sid": ACCOUNT_SID,
                "from_number": "+14155550100",
                "timeout_seconds": timeout,
            },
            secret=AUTH_TOKEN,
        ),
    )


async def due_deliveries() -> set:
    """The deliveries a sender's batch claim would take now: pending and due (read only)."""
    rows = await sql.fetch(
        "SELECT id FROM deliveries WHERE status = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)", utcnow()
    )
    return {row["id"] for row in rows}
