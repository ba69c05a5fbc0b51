"""Resending: a fixed contact saved on the recipient and the delivery sent again with its history
kept; another channel; the refusals (in flight, sent already, voided, missing contact) in the
report; bad input refused whole; a replayed idempotency key; an upload's failed deliveries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from delivery_steps import QUICK, Programme, count, delivery_row, due_deliveries, handle, made, messaging, person
from messaging_provider import INVALID_NUMBER

from backend.core import sql
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.clock import utcnow
from backend.core.errors import DomainError, PermissionDenied
from backend.core.ids import new_id
from backend.deliveries.services import reading, resending, sending, timeline
from backend.recipients import services as recipients


async def failed_sms(admin, shop, server, external_id="S-1", phone="+919812345678"):
    """An SMS delivery the provider refused for an invalid number (permanent, flagged at once)."""
    issuance_id = await shop.issue((await person(external_id, phone=phone, preferred_channel="sms", country="IN")).id)
    await handle(issuance_id)
    row = await delivery_row(issuance_id)
    assert (await sending.send_delivery(row["id"], QUICK)).status == "failed"
    return issuance_id, row["id"]


async def test_a_corrected_phone_is_saved_on_the_recipient_and_the_delivery_goes_again_keeping_its_history(
    admin, messaging_provider
):
    shop = await Programme(admin).start()
    server = messaging_provider([INVALID_NUMBER])
    await messaging(admin, shop, server)
    issuance_id, delivery_id = await failed_sms(admin, shop, server)
    assert delivery_id not in await due_deliveries()

    report = await resending.resend(admin, [delivery_id], contact="98765 43210")  # national form, read in IN

    assert report.refused == []
    (resent,) = report.resent
    assert (resent.delivery_id, resent.issuance_id, resent.channel, resent.contact) == (
        delivery_id,
        issuance_id,
        "sms",
        "+919876543210",
    )
    recipient = await recipients.get_recipient(admin, external_id="S-1")
    assert recipient.phone == "+919876543210"  # saved through the recipients domain
    row = await delivery_row(issuance_id)
    assert (row["status"], row["failure_code"], row["failure_reason"], row["attempts"], row["provider_role"]) == (
        "pending",
        None,
        None,
        1,
        "primary",
    )
    assert delivery_id in await due_deliveries()  # the senders' next batch takes it
    assert (await sending.send_delivery(delivery_id, QUICK)).status == "sent"
    assert server.sent[-1]["To"] == "+919876543210"
    attempts = await reading.attempts(admin, delivery_id)
    assert [(a.number, a.status, a.error_code) for a in attempts] == [(1, "permanent", "INVALID_NUMBER"), (2, "sent", None)]
    history = await timeline.delivery_timeline(admin, issuance_id)
    kinds = [entry.kind for entry in history.entries]
    assert kinds == ["created", "attempt", "delivery.failed", "delivery.resent", "attempt"]
    assert history.entries[3].actor_label == admin.label
    audited = await sql.fetch("SELECT action FROM audit_events WHERE entity_id = $1 ORDER BY id", str(recipient.id))
    assert "recipient.contact_corrected" in [row["action"] for row in audited]


async def test_resend_on_another_channel_uses_the_recipients_contact_for_it(admin):
    shop = await Programme(admin).start()
    noor = await person("N-1", email="noor@example.com", phone="+919812345678")
    await sql.fetch("UPDATE recipients SET email = NULL WHERE id = $1", noor.id)  # the email went since
    issuance_id = await shop.issue(noor.id)
    await handle(issuance_id)
    row = await delivery_row(issuance_id)
    assert (row["status"], row["failure_code"]) == ("failed", "MISSING_CONTACT")
    refused = await resending.resend(admin, [row["id"]])  # same channel, still no email
    assert [(r.code, r.delivery_id) for r in refused.refused] == [("MISSING_CONTACT", row["id"])]
    assert (await delivery_row(issuance_id))["status"] == "failed"
    report = await resending.resend(admin, [row["id"]], channel="SMS")
    assert [(r.channel, r.contact) for r in report.resent] == [("sms", "+919812345678")]
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"  # the sandbox


async def test_refusals_come_back_in_the_report_each_with_its_code(admin):
    shop = await Programme(admin).start()
    ids = {}
    for name in ("sending", "sent", "voided", "fine"):
        issuance_id = await shop.issue((await person(f"P-{name}", email=f"{name}@example.com")).id)
        await handle(issuance_id)
        ids[name] = (await delivery_row(issuance_id))["id"]
        if name != "fine":
            await sql.fetch("UPDATE deliveries SET status = 'failed' WHERE id = $1", ids[name])
    await sql.fetch("UPDATE deliveries SET status = 'sending' WHERE id = $1", ids["sending"])
    await sql.fetch("UPDATE deliveries SET status = 'sent', provider = 'sandbox' WHERE id = $1", ids["sent"])
    voided = await sql.fetchrow("SELECT issuance_id FROM deliveries WHERE id = $1", ids["voided"])
    await sql.fetch("UPDATE reward_issuances SET status = 'cancelled' WHERE id = $1", voided["issuance_id"])
    missing = new_id()

    report = await resending.resend(admin, [ids["sending"], ids["sent"], ids["voided"], ids["fine"], missing])

    assert [r.delivery_id for r in report.resent] == [ids["fine"]]
    assert {r.delivery_id: r.code for r in report.refused} == {
        ids["sending"]: "DELIVERY_IN_FLIGHT",
        ids["sent"]: "ALREADY_SENT",
        ids["voided"]: "REWARD_VOIDED",
        missing: "NOT_FOUND",
    }
    statuses = {row["id"]: row["status"] for row in await sql.fetch("SELECT id, status FROM deliveries")}
    assert (statuses[ids["sending"]], statuses[ids["sent"]], statuses[ids["voided"]]) == ("sending", "sent", "failed")


async def test_bad_input_is_refused_whole_and_changes_nothing(admin):
    shop = await Programme(admin).start()
    ravi = await person("R-1", email="ravi@example.com")
    issuance_id = await shop.issue(ravi.id)
    await handle(issuance_id)
    row = await delivery_row(issuance_id)
    await sql.fetch("UPDATE deliveries SET status = 'failed' WHERE id = $1", row["id"])
    audit_before = await count("SELECT COUNT(*) FROM audit_events")
    with pytest.raises(DomainError) as bad_email:
        await resending.resend(admin, [row["id"]], contact="ravi at example")
    assert (bad_email.value.code, bad_email.value.errors[0].field) == ("INVALID_EMAIL", "contact")
    with pytest.raises(DomainError) as bad_phone:
        await resending.resend(admin, [row["id"]], channel="sms", contact="12")
    assert (bad_phone.value.code, bad_phone.value.errors[0].field) == ("INVALID_PHONE", "contact")
    with pytest.raises(DomainError) as bad_channel:
        await resending.resend(admin, [row["id"]], channel="pigeon")
    assert (bad_channel.value.code, bad_channel.value.errors[0].field) == ("INVALID_CHANNEL", "channel")
    with pytest.raises(DomainError) as empty:
        await resending.resend(admin, [])
    assert empty.value.code == "REQUIRED"
    reader = Actor(ActorKind.API_KEY, new_id(), "reader", frozenset({Permission.DELIVERIES_READ}))
    with pytest.raises(PermissionDenied):
        await resending.resend(reader, [row["id"]])
    assert (await recipients.get_recipient(admin, recipient_id=ravi.id)).email == "ravi@example.com"
    assert (await delivery_row(issuance_id))["status"] == "failed"
    assert await count("SELECT COUNT(*) FROM audit_events") == audit_before


async def test_a_contact_for_deliveries_of_two_recipients_is_refused(admin):
    shop = await Programme(admin).start()
    delivery_ids = []
    for index in range(2):
        issuance_id = await shop.issue((await person(f"T-{index}", email=f"t{index}@example.com")).id)
        await handle(issuance_id)
        delivery_ids.append((await delivery_row(issuance_id))["id"])
    with pytest.raises(DomainError) as refused:
        await resending.resend(admin, delivery_ids, contact="one@example.com")
    assert refused.value.code == "CONTACT_FOR_ONE_RECIPIENT"


async def test_resend_reward_replayed_with_its_idempotency_key_resends_once(admin):
    shop = await Programme(admin).start()
    issuance_id = await shop.issue((await person("I-1", email="i1@example.com")).id)
    await handle(issuance_id)
    row = await delivery_row(issuance_id)
    await sql.fetch("UPDATE deliveries SET status = 'failed' WHERE id = $1", row["id"])
    first = await resending.resend_reward(admin, issuance_id, contact="new@example.com", idempotency_key="fix-1")
    queued = await delivery_row(issuance_id)
    again = await resending.resend_reward(admin, issuance_id, contact="new@example.com", idempotency_key="fix-1")
    assert again.resent == first.resent and first.resent.contact == "new@example.com"
    assert (first.replayed, again.replayed) == (False, True)
    assert await delivery_row(issuance_id) == queued  # the replay changed nothing
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'delivery.resent'") == 1
    with pytest.raises(DomainError) as conflict:
        await resending.resend_reward(admin, issuance_id, contact="other@example.com", idempotency_key="fix-1")
    assert conflict.value.code == "IDEMPOTENCY_CONFLICT"
    # A refused resend stores no record: the key stays usable once the cause is fixed.
    await sql.fetch("UPDATE deliveries SET status = 'sending' WHERE id = $1", row["id"])
    with pytest.raises(DomainError) as in_flight:
        await resending.resend_reward(admin, issuance_id, idempotency_key="fix-2")
    assert (in_flight.value.code, in_flight.value.errors[0].field) == ("DELIVERY_IN_FLIGHT", "reward_id")
    await sql.fetch("UPDATE deliveries SET status = 'failed' WHERE id = $1", row["id"])
    assert (await resending.resend_reward(admin, issuance_id, idempotency_key="fix-2")).resent.delivery_id == row["id"]
    with pytest.raises(DomainError) as unknown:
        await resending.resend_reward(admin, new_id())
    assert (unknown.value.code, unknown.value.errors[0].field) == ("NOT_FOUND", "reward_id")


async def test_every_failed_delivery_of_an_upload_is_resent(admin):
    shop = await Programme(admin).start()
    upload_id, other_upload = new_id(), new_id()
    ids = []
    for index in range(3):
        issuance_id = await shop.issue((await person(f"U-{index}", email=f"u{index}@example.com")).id)
        await handle(issuance_id)
        ids.append((await delivery_row(issuance_id))["id"])
    # Two failed of the upload, one failed of another upload: as the upload's issuance would have set them.
    for delivery_id, upload in zip(ids, (upload_id, upload_id, other_upload), strict=True):
        await sql.fetch("UPDATE deliveries SET status = 'failed', upload_id = $2 WHERE id = $1", delivery_id, upload)
    report = await resending.resend_failed_of_upload(admin, upload_id)
    assert sorted(r.delivery_id for r in report.resent) == sorted(ids[:2]) and report.refused == []
    assert (await sql.fetchrow("SELECT status FROM deliveries WHERE id = $1", ids[2]))["status"] == "failed"
    assert (await resending.resend_failed_of_upload(admin, upload_id)).resent == []  # none failed now


async def test_a_reward_past_its_offers_expiry_is_not_resent(admin, checker):
    from campaign_steps import offers_campaign, stocked_live_offer

    from backend.rewards.services.issuance import RewardRequest, issue_reward

    shop = await Programme(admin).start()
    offer = await stocked_live_offer(admin, checker, codes=2)  # a voucher valid 365 days after issue
    campaign = await offers_campaign(admin, shop.programme.id, [offer.id])
    who = await person("X-1", email="x1@example.com")
    outcome = await issue_reward(admin, RewardRequest(campaign.id, who.id, offer.id, 50000, idempotency_key="x-1"))
    assert outcome.status == "issued", outcome.message
    await handle(outcome.issuance_id)
    row = await delivery_row(outcome.issuance_id)
    await sql.fetch("UPDATE deliveries SET status = 'failed' WHERE id = $1", row["id"])
    assert [r.delivery_id for r in (await resending.resend(admin, [row["id"]])).resent] == [row["id"]]  # within its year
    await sql.fetch("UPDATE deliveries SET status = 'failed' WHERE id = $1", row["id"])
    # Issued 400 days ago: its voucher expired 35 days ago.
    await sql.fetch(
        "UPDATE reward_issuances SET issued_at = $2 WHERE id = $1", outcome.issuance_id, utcnow() - timedelta(days=400)
    )
    (refusal,) = (await resending.resend(admin, [row["id"]])).refused
    assert refusal.code == "REWARD_EXPIRED" and "expired on" in refusal.message
    assert (await delivery_row(outcome.issuance_id))["status"] == "failed"


async def _reads_while(db, capfd, monkeypatch, work) -> list[str]:
    """The reads (SELECTs) ``work`` sends, ours through ``sql`` and Piccolo's (which prints each)."""
    statements: list[str] = []
    run = sql._run

    async def recorded(text, args):  # the real statement runs; its text is noted
        statements.append(text)
        return await run(text, args)

    monkeypatch.setattr(sql, "_run", recorded)
    capfd.readouterr()
    db.engine.log_queries = True
    try:
        await work()
    finally:
        db.engine.log_queries = False
        monkeypatch.setattr(sql, "_run", run)
    piccolo = [line for line in capfd.readouterr().out.splitlines() if line.lstrip().upper().startswith("SELECT")]
    return [text for text in statements if text.lstrip().upper().startswith("SELECT")] + piccolo


async def test_a_selection_is_read_in_the_same_few_queries_however_many_it_holds(db, admin, capfd, monkeypatch):
    """DESIGN.md: no N+1. Resending 2 or 6 deliveries reads the deliveries, their rewards and their
    people in the same number of queries (their writes, one reset and one audit entry each, aside)."""
    shop = await Programme(admin).start()
    failed = []
    for n in range(8):
        row = await made(shop, await person(f"N-{n}", email=f"n{n}@example.com"))
        await sql.fetch("UPDATE deliveries SET status = 'failed', failure_code = 'HARD_BOUNCE' WHERE id = $1", row["id"])
        failed.append(row["id"])

    few = await _reads_while(db, capfd, monkeypatch, lambda: resending.resend(admin, failed[:2]))
    many = await _reads_while(db, capfd, monkeypatch, lambda: resending.resend(admin, failed[2:]))

    assert len(many) == len(few) == 4, (few, many)  # deliveries, rewards, their campaign, people
    assert (await count("SELECT COUNT(*) FROM deliveries WHERE status = 'pending'")) == 8
