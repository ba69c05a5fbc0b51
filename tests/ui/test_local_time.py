"""Times in the person's local time zone: the browser's, learnt at sign-in, through one function."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from nicegui.testing import User

from backend.ledger.services import points as ledger
from backend.recipients import service as recipients
from backend.recipients.service import RecipientInput


async def test_times_read_in_the_browsers_time_zone(admin, user: User, sign_in, patience, table, eventually) -> None:
    asha = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="E-1", full_name="Asha", email="a@example.com"))
    ).recipient
    programme = await recipients.create_programme(admin, "Sales stars", "INR", "0.25")
    await ledger.earn(admin, programme.id, asha.id, 100, source="campaign", reason="welcome bonus")
    user.browser_time_zone = "Asia/Kolkata"
    await sign_in(path=f"/recipients/{asha.id}")
    await user.should_see(marker="recipient-record", retries=patience)
    created = asha.created_at.astimezone(ZoneInfo("Asia/Kolkata"))
    await user.should_see(f"{created:%Y-%m-%d %H:%M} IST")
    await user.open(f"/points?recipient={asha.id}")
    rows = table(user, "transactions-table")
    await eventually(lambda: len(rows.rows) == 1)
    assert rows.rows[0]["created_at"].endswith(" IST")


async def test_an_unknown_browser_zone_keeps_utc(admin, user: User, sign_in, patience) -> None:
    asha = (
        await recipients.upsert_recipient(admin, RecipientInput(external_id="E-1", full_name="Asha", email="a@example.com"))
    ).recipient
    user.browser_time_zone = "Mars/Olympus_Mons"
    await sign_in(path=f"/recipients/{asha.id}")
    await user.should_see(marker="recipient-record", retries=patience)
    await user.should_see(f"{asha.created_at:%Y-%m-%d %H:%M} UTC")
