"""Times in the person's local time zone: the browser's, learnt at sign-in, through one function."""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from nicegui.testing import User

from backend.core.clock import utcnow
from backend.ledger.services import points as ledger
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput
from ui.components.local_time import day_start, local_text, to_utc


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


async def test_lists_once_labelled_utc_read_local_times_named(admin, user: User, sign_in, patience, table, eventually) -> None:
    """The tickets queue said "Opened (UTC)" over local times: now each time names its zone."""

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))
    from delivery_steps import Programme

    from backend.tickets.services.intake import TicketReport, open_ticket

    programme = await Programme(admin).start()
    await open_ticket(admin, TicketReport("other", "A question", "api", "Question", programme_id=programme.programme.id))
    user.browser_time_zone = "Asia/Kolkata"
    await sign_in(path="/tickets?view=all")
    await user.should_see(marker="queue-table", retries=patience)
    queue = table(user, "queue-table")
    await eventually(lambda: len(queue.rows) == 1)
    assert queue.rows[0]["opened"].endswith(" IST")
    assert all(column["label"] != "Opened (UTC)" for column in queue.columns)


# ------------------------------------------------------------ moments a person types, on their clock


def _element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


async def _new_points_campaign(user: User, sign_in, patience, time_zone: str, name: str, starts: str, ends: str) -> None:
    """A programme made; a person on ``time_zone``'s clock signs in and enters a points campaign
    (``starts`` and ``ends`` typed as they would)."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))
    from campaign_steps import make_programme

    await make_programme()
    user.browser_time_zone = time_zone
    await sign_in(path="/campaigns")
    await user.should_see(marker="campaigns-table", retries=patience)
    await user.open("/campaigns/new")
    await user.should_see(marker="campaign-form", retries=patience)
    user.find(marker="campaign-name").type(name)
    _element(user, "campaign-reward-type").set_value("points")
    _element(user, "campaign-starts").set_value(starts)
    _element(user, "campaign-ends").set_value(ends)
    user.find(marker="save-campaign").click()


async def test_a_campaign_is_entered_on_the_persons_clock_and_stored_in_utc(admin, user: User, sign_in, patience) -> None:
    from backend.campaigns.services import campaigns

    await _new_points_campaign(user, sign_in, patience, "Asia/Kolkata", "Diwali", "2027-01-10 09:00", "2027-02-10 18:30")
    await user.should_see(marker="campaign-counters", retries=patience)
    [campaign] = (await campaigns.list_campaigns(admin)).rows
    assert campaign.starts_at == datetime(2027, 1, 10, 3, 30, tzinfo=UTC)  # 09:00 in Kolkata (+05:30)
    assert campaign.ends_at == datetime(2027, 2, 10, 13, 0, tzinfo=UTC)

    # Shown back on the same clock, the zone named beside it.
    starts = _element(user, "campaign-starts")
    assert (starts.props["label"], starts.value) == ("Starts (Asia/Kolkata)", "2027-01-10 09:00")
    assert _element(user, "campaign-ends").value == "2027-02-10 18:30"


async def test_saving_an_untouched_moment_keeps_it_exactly(admin, user: User, sign_in, patience, eventually) -> None:
    """A campaign made through the API starts at 03:30:17 UTC; the console shows minutes only, yet
    saving the form (another field changed) must not move the start by a second."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))
    from campaign_steps import make_programme, points_campaign

    from backend.campaigns.services import campaigns

    programme = await make_programme()
    exact = datetime(2027, 1, 10, 3, 30, 17, 250_000, tzinfo=UTC)
    made = await points_campaign(admin, programme.id, activate=False, starts_at=exact, ends_at=exact + timedelta(days=30))
    user.browser_time_zone = "Asia/Kolkata"
    await sign_in(path=f"/campaigns/{made.id}")
    await user.should_see(marker="campaign-form", retries=patience)
    assert _element(user, "campaign-starts").value == "2027-01-10 09:00"
    user.find(marker="edit").click()
    _element(user, "campaign-name").set_value("Renamed")
    user.find(marker="save-campaign").click()
    await user.should_see("Saved Renamed.", retries=patience)
    saved = await campaigns.get_campaign(admin, made.id)
    assert (saved.name, saved.starts_at, saved.ends_at) == ("Renamed", exact, exact + timedelta(days=30))


async def test_new_york_across_the_change_to_summer_time(admin, user: User, sign_in, patience, eventually) -> None:
    from backend.campaigns.services import campaigns

    # The clocks go forward at 02:00 on 2027-03-14: 02:30 that night never happens.
    await _new_points_campaign(user, sign_in, patience, "America/New_York", "Spring", "2027-03-14 02:30", "2027-03-15 12:00")
    await eventually(lambda: _element(user, "campaign-starts").error is not None)
    assert (
        _element(user, "campaign-starts").error
        == "2027-03-14 02:30 does not exist in America/New_York: the clocks go forward then."
    )
    assert (await campaigns.list_campaigns(admin)).total == 0

    _element(user, "campaign-starts").set_value("2027-03-13 12:00")  # noon EST (-05:00)
    user.find(marker="save-campaign").click()  # to noon EDT (-04:00)
    await user.should_see(marker="campaign-counters", retries=patience)
    [campaign] = (await campaigns.list_campaigns(admin)).rows
    assert campaign.starts_at == datetime(2027, 3, 13, 17, 0, tzinfo=UTC)
    assert campaign.ends_at == datetime(2027, 3, 15, 16, 0, tzinfo=UTC)
    assert (_element(user, "campaign-starts").value, _element(user, "campaign-ends").value) == (
        "2027-03-13 12:00",
        "2027-03-15 12:00",
    )


def test_typed_moments_read_on_the_given_clock() -> None:
    new_york, kolkata = ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")
    assert to_utc("2027-01-10 09:00", kolkata) == datetime(2027, 1, 10, 3, 30, tzinfo=UTC)
    assert to_utc("2027-01-10", kolkata) == datetime(2027, 1, 9, 18, 30, tzinfo=UTC)  # a day: its midnight
    # 01:30 happens twice when the clocks go back (2027-11-07): the first, still summer time.
    assert to_utc("2027-11-07 01:30", new_york) == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)
    assert local_text(datetime(2027, 11, 7, 5, 30, tzinfo=UTC), new_york) == "2027-11-07 01:30"
    with pytest.raises(ValueError, match="write it as YYYY-MM-DD HH:MM \\(Asia/Kolkata\\)"):
        to_utc("next tuesday", kolkata)
    assert day_start(date(2027, 3, 14), zone=new_york) == datetime(2027, 3, 14, 5, 0, tzinfo=UTC)
    assert day_start(date(2027, 3, 14), end=True, zone=new_york) == datetime(2027, 3, 15, 4, 0, tzinfo=UTC)


async def test_a_days_filter_means_the_persons_day(admin, user: User, sign_in, patience, table, eventually) -> None:
    """ "From" and "To" on the audit log are the person's days: just after their midnight, the entry
    made a moment ago is on *their* today even where UTC's date is still yesterday (or tomorrow)."""
    now = utcnow()
    zone = "Pacific/Kiritimati" if now.hour >= 10 else "Pacific/Pago_Pago"  # +14:00 or -11:00: another date now
    today = now.astimezone(ZoneInfo(zone)).date()
    assert today != now.date()
    user.browser_time_zone = zone
    await sign_in(path="/audit")
    await user.should_see(marker="paged-table", retries=patience)
    await user.should_see(f"Whole days in {zone}")
    everything = table(user).pagination["rowsNumber"]
    assert everything > 0
    user.find(marker="filter-since").type(today.isoformat())
    user.find(marker="filter-until").type(today.isoformat())
    await eventually(lambda: table(user).pagination["rowsNumber"] == everything)
    user.find(marker="filter-since").clear()
    user.find(marker="filter-since").type((today + timedelta(days=1)).isoformat())
    await eventually(lambda: table(user).rows == [])
