"""Contact points of a large upload are normalised in a process pool: every row gets exactly what an
inline check gives it; a broken pool costs nothing but time. And an upload keeps its campaign."""

import asyncio
import json
import multiprocessing
import os
import signal
import time
from datetime import timedelta

import pytest
from upload_steps import csv_file

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.campaigns.tables import Campaign
from backend.core.clock import utcnow
from backend.core.contact_points import contact_points
from backend.rewards.uploads.services import contact_checks, staging
from backend.rewards.uploads.tables import RewardUploadRow


@pytest.fixture
def pool_stopped_after():
    yield
    contact_checks.shutdown_pool()
    # An idle stop may have taken the pool a moment earlier and be shutting it down in its own
    # thread: its workers take a moment to exit.
    for _ in range(50):
        if not multiprocessing.active_children():
            break
        time.sleep(0.1)
    assert multiprocessing.active_children() == []  # the workers are gone: nothing keeps pytest waiting


def special_rows(setting, denomination: int) -> list[str]:
    """Rows whose contact points are bad, odd or repeated, for known and new recipients."""
    row = setting.row
    return [
        row("S-MAIL", denomination, name="Bad Mail", email="not-an-email"),
        row("S-PHONE", denomination, name="Bad Phone", phone="12345", channel="sms"),
        row("S-COUNTRY", denomination, name="Bad Country", email="c@example.com", phone="98123 45678", country="XX"),
        row("S-NATIONAL", denomination, name="National", phone=" 98123 45678 ", country="in", channel="sms"),
        row("S-CASE", denomination, name="Case", email=" Nia@Example.COM "),
        row("S-TWIN-1", denomination, name="Twin", email="twin@example.com", phone="+91 98123 45679", country="IN"),
        row("S-TWIN-2", denomination, name="Twin", email="twin@example.com", phone="+91 98123 45679", country="IN"),
        row("K-1", denomination, email="known-but-bad@", phone="+1 555", country="ZZZ"),
        row("K-2", denomination, email="K2@Example.com", phone="+919812345670"),
    ]


async def staged_by_external_id(upload_id) -> dict[str, tuple]:
    rows = await RewardUploadRow.select().where(RewardUploadRow.upload == upload_id)
    return {
        row["external_id"]: (
            row["valid"],
            json.loads(row["errors"]) if isinstance(row["errors"], str) else row["errors"],
            row["new_recipient"] and json.loads(row["new_recipient"]),
        )
        for row in rows
    }


async def test_a_large_upload_checks_contacts_in_the_pool_with_the_same_outcome_as_inline(admin, setting, pool_stopped_after):
    # Inline: a small file (less than one batch).
    small = await staging.stage_upload(admin, setting.campaign.id, csv_file(*special_rows(setting, 100000)), "small.csv")
    inline = await staged_by_external_id(small.id)
    # In the pool: the same rows at the start and past the first batch of a large file, among plain new recipients.
    filler = [
        setting.row(f"N-{index}", name=f"New {index}", email=f"new{index}@example.com", phone=f"+9198{index:08}", country="IN")
        for index in range(staging.BATCH + 100)
    ]
    specials = special_rows(setting, 50000)
    rows = specials[:4] + filler[: staging.BATCH] + specials[4:] + filler[staging.BATCH :]
    large = await staging.stage_upload(admin, setting.campaign.id, csv_file(*rows), "large.csv")
    assert multiprocessing.active_children(), "a file of more than one batch starts the pool"
    pooled = await staged_by_external_id(large.id)

    assert {key: pooled[key] for key in inline} == inline
    assert inline["S-MAIL"][1][0]["code"] == "INVALID_EMAIL" and inline["K-1"][1] != [] and inline["S-TWIN-1"][0]
    assert inline["S-NATIONAL"][2]["phone"] == "+919812345678" and inline["S-CASE"][2]["email"] == "Nia@example.com"
    assert pooled["N-2099"] == (True, [], {**pooled["N-2099"][2], "email": "new2099@example.com", "phone": "+919800002099"})
    assert (large.rows_total, large.rows_invalid) == (len(rows), sum(1 for valid, _, _ in inline.values() if not valid))


async def test_a_broken_pool_is_replaced_and_the_batch_checked_inline(pool_stopped_after):
    people = {("IN", f"p{index}@example.com", f"98123 4{index:04}") for index in range(50)} | {("XX", "bad@", "123")}
    checks = contact_checks.ContactChecks(in_pool=True)
    first = await checks.start(people).result()
    assert first == {person: contact_points(*person) for person in people}
    for worker in multiprocessing.active_children():
        os.kill(worker.pid, signal.SIGKILL)
    again = {("DE", f"q{index}@example.com", f"0151 2345 {index:04}") for index in range(50)}
    assert await contact_checks.ContactChecks(in_pool=True).start(again).result() == {
        person: contact_points(*person) for person in again
    }
    later = {("IN", "later@example.com", "")}
    assert await contact_checks.ContactChecks(in_pool=True).start(later).result() == {
        ("IN", "later@example.com", ""): contact_points("IN", "later@example.com", "")
    }


async def test_an_upload_keeps_its_campaign(admin, setting):
    spare = await campaigns.create_campaign(
        admin,
        CampaignInput(
            programme_id=setting.programme.id,
            name="Spare",
            starts_at=utcnow(),
            ends_at=utcnow() + timedelta(days=9),
            currency="INR",
            allowed_offer_ids=[setting.offer.id],
        ),
    )
    await Campaign.delete().where(Campaign.id == spare.id)  # nothing else holds a fresh campaign …
    await staging.stage_upload(admin, setting.campaign.id, csv_file(setting.row("K-1")), "ipa.csv")
    with pytest.raises(Exception, match=r"(?i)foreign key"):  # … but an upload does
        await Campaign.delete().where(Campaign.id == setting.campaign.id)
    assert await Campaign.exists().where(Campaign.id == setting.campaign.id)


async def test_an_idle_pool_stops_its_processes(pool_stopped_after, monkeypatch):
    monkeypatch.setattr(contact_checks, "IDLE_SECONDS", 0.3)
    people = {("IN", f"i{index}@example.com", "") for index in range(20)}
    assert await contact_checks.ContactChecks(in_pool=True).start(people).result() == {
        person: contact_points(*person) for person in people
    }
    assert multiprocessing.active_children(), "the pool is running"
    await asyncio.sleep(0.6)
    for _ in range(50):  # the workers take a moment to exit once told
        if not multiprocessing.active_children():
            break
        await asyncio.sleep(0.1)
    assert contact_checks._pool is None and not multiprocessing.active_children()
    assert await contact_checks.ContactChecks(in_pool=True).start(people).result() == {
        person: contact_points(*person) for person in people
    }
