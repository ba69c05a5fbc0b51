"""One delivery per issued reward: on the recipient's channel with the contact it needs, exactly
one under duplicate events, flagged at once when the contact is missing; and the backfill."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from delivery_steps import (
    QUICK,
    Programme,
    count,
    delivery_row,
    due_deliveries,
    handle,
    issued_event,
    person,
    sms_without_phone,
)

from backend.core import audit, outbox, sql
from backend.core.db import write_transaction
from backend.core.errors import PermissionDenied
from backend.deliveries import claim_links
from backend.deliveries.services import claiming, creation
from backend.deliveries.views import DELIVERY_DUE
from jobs.outbox import registered_handlers


async def _rewards_by_email_and_one_without_phone(shop: Programme, prefix: str, by_email: int) -> list:
    """Rewards issued to ``by_email`` recipients <prefix>-0… (email <prefix>0@example.com…) and, last,
    to <prefix>-X, who prefers SMS and has no phone."""
    people = [await person(f"{prefix}-{n}", email=f"{prefix.lower()}{n}@example.com") for n in range(by_email)]
    nophone = await sms_without_phone(f"{prefix}-X", email=f"{prefix.lower()}x@example.com")
    return [await shop.issue(who.id) for who in [*people, nophone]]


async def test_the_reward_issued_event_makes_one_delivery_on_the_recipients_channel(admin):
    shop = await Programme(admin).start()
    asha = await person("E-1", name="Asha Rao", email="asha@example.com", phone="+919812345678", preferred_channel="sms")
    issuance_id = await shop.issue(asha.id, channel="email")
    assert await handle(issuance_id) == outbox.DONE
    row = await delivery_row(issuance_id)
    # The recipient's preferred channel wins over the issuance's.
    assert (row["channel"], row["contact"], row["status"], row["attempts"]) == ("sms", "+919812345678", "pending", 0)
    assert (row["programme_id"], row["campaign_id"], row["recipient_id"]) == (shop.programme.id, shop.campaign.id, asha.id)
    # The claim link's token is not stored: its sha256 is, and the token is the one the link carries.
    assert row["claim_token_hash"] == claim_links.token_hash(claim_links.claim_token(row["id"]))
    assert len(row["claim_token_hash"]) == 64 and claim_links.claim_token(row["id"]) not in str(dict(row))
    # The send is due in the table itself (no event of its own): a sender's batch claim takes it.
    assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic = $1", DELIVERY_DUE) == 0
    [claim] = await claiming.claim_due(10, QUICK)
    assert (claim.delivery_id, claim.number, claim.channel, claim.contact) == (row["id"], 1, "sms", "+919812345678")
    assert await claiming.claim_due(10, QUICK) == []  # claimed once


async def test_whatsapp_uses_the_whatsapp_number_else_the_phone(admin):
    shop = await Programme(admin).start()
    both = await person("W-1", phone="+919812345678", whatsapp="+919812345679", preferred_channel="whatsapp")
    phone_only = await person("W-2", phone="+919812345670", preferred_channel="whatsapp")
    for who, expected in ((both, "+919812345679"), (phone_only, "+919812345670")):
        issuance_id = await shop.issue(who.id)
        await handle(issuance_id)
        row = await delivery_row(issuance_id)
        assert (row["channel"], row["contact"], row["status"]) == ("whatsapp", expected, "pending")


async def test_a_missing_contact_flags_the_delivery_at_once_naming_the_field(admin):
    shop = await Programme(admin).start()
    # An email-only recipient whose reward must go by SMS (their preferred channel): no phone.
    noor = await sms_without_phone("N-1", name="Noor Nophone", email="noor@example.com")
    issuance_id = await shop.issue(noor.id)
    await handle(issuance_id)
    row = await delivery_row(issuance_id)
    assert (row["status"], row["failure_code"], row["contact"]) == ("failed", "MISSING_CONTACT", None)
    assert "no phone number" in row["failure_reason"] and "(field phone)" in row["failure_reason"]
    assert await due_deliveries() == set()  # nothing to send
    assert await count("SELECT COUNT(*) FROM delivery_attempts") == 0
    (entry,) = await audit.entity_history(admin, "delivery", row["id"])
    assert entry["action"] == "delivery.failed" and entry["after"]["code"] == "MISSING_CONTACT"


async def test_duplicate_and_concurrent_events_make_exactly_one_delivery(admin, db):
    shop = await Programme(admin).start()
    asha = await person("E-1", email="asha@example.com")
    issuance_id = await shop.issue(asha.id)
    assert await handle(issuance_id) == outbox.DONE
    assert await handle(issuance_id) == outbox.SKIPPED  # the same event delivered again
    # Two more events for the same reward (a re-sent event, a backfill beside the worker), at once.
    payload = {"issuance_id": str(issuance_id)}

    async def another_event():
        async with write_transaction():
            event_id = await outbox.add("reward.issued", payload)
        return await outbox.process(event_id, registered_handlers())

    assert await asyncio.gather(another_event(), another_event()) == [outbox.DONE, outbox.DONE]
    assert await count("SELECT COUNT(*) FROM deliveries WHERE issuance_id = $1", issuance_id) == 1
    assert len(await due_deliveries()) == 1


async def test_a_job_of_reward_issued_events_makes_each_reward_its_delivery_in_one_go(admin):
    shop = await Programme(admin).start()
    rewards = await _rewards_by_email_and_one_without_phone(shop, "J", 4)
    assert await handle(rewards[0]) == outbox.DONE  # one made already: its event comes again in the batch
    async with write_transaction():
        again = await outbox.add("reward.issued", {"issuance_id": str(rewards[0])})
    events = [*[await issued_event(issuance_id) for issuance_id in rewards[1:]], again]

    processed = await outbox.process_batch(events, registered_handlers())

    assert processed == outbox.Processed(done=5, skipped=0, handed_over=[])
    rows = {issuance_id: await delivery_row(issuance_id) for issuance_id in rewards}
    assert await count("SELECT COUNT(*) FROM deliveries") == 5  # one each, none twice
    assert {rows[issuance_id]["status"] for issuance_id in rewards[:4]} == {"pending"}
    assert [rows[issuance_id]["contact"] for issuance_id in rewards[:4]] == [f"j{n}@example.com" for n in range(4)]
    assert (rows[rewards[4]]["status"], rows[rewards[4]]["failure_code"]) == ("failed", "MISSING_CONTACT")
    assert all(row["claim_token_hash"] == claim_links.token_hash(claim_links.claim_token(row["id"])) for row in rows.values())
    assert len(await due_deliveries()) == 4


async def test_backfill_gives_every_issued_reward_one_delivery_and_a_second_run_nothing(admin):
    shop = await Programme(admin).start()
    rewards = await _rewards_by_email_and_one_without_phone(shop, "B", 5)
    await handle(rewards[0])  # one delivered by the worker already
    # One reward's event parked as failed, as every reward.issued event was before this domain.
    parked = await issued_event(rewards[1])
    await sql.fetch("UPDATE outbox_events SET status = 'failed', attempts = 8 WHERE id = $1", parked)
    report = await creation.backfill(admin, batch=2)  # several pages
    assert (report.examined, report.created, report.flagged, report.skipped) == (6, 5, 1, 0)
    assert await count("SELECT COUNT(*) FROM deliveries") == 6
    assert await count("SELECT COUNT(*) FROM deliveries WHERE status = 'failed' AND failure_code = 'MISSING_CONTACT'") == 1
    assert len(await due_deliveries()) == 5
    again = await creation.backfill(admin)
    assert (again.examined, again.created) == (6, 0)
    assert await count("SELECT COUNT(*) FROM deliveries") == 6
    # The worker's handler meeting a backfilled reward's event makes nothing more either.
    assert await handle(rewards[2]) == outbox.DONE
    assert await count("SELECT COUNT(*) FROM deliveries") == 6


async def test_backfill_needs_deliveries_write(admin):
    from campaign_steps import api_key_actor

    try:
        await creation.backfill(api_key_actor())
    except PermissionDenied:
        return
    raise AssertionError("an API key with rewards scopes backfilled deliveries")


async def test_the_cli_backfills(admin, db):
    shop = await Programme(admin).start()
    asha = await person("E-1", email="asha@example.com")
    await shop.issue(asha.id)
    env = {**os.environ, "MIRABELLE_DATABASE_URL": db.url}
    mirabelle = Path(sys.executable).with_name("mirabelle")
    done = await asyncio.to_thread(
        subprocess.run, [str(mirabelle), "deliveries", "backfill"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "1 deliveries made for 1 issued rewards" in done.stderr
    assert await count("SELECT COUNT(*) FROM deliveries") == 1
    done = await asyncio.to_thread(
        subprocess.run, [str(mirabelle), "deliveries", "backfill"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "0 deliveries made for 1 issued rewards" in done.stderr
