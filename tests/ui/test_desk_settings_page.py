"""Desk settings in the console: an admin sets a programme's calendar, rules and SLA targets and a new
ticket's clock follows them; bad values are refused under their fields with nothing changed; a
support agent reads them and changes nothing."""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime

import time_machine
from delivery_console_steps import PASSWORD, choose, element
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tickets"))  # ticket_steps

from delivery_steps import Programme, person
from ticket_steps import count, report, steps

import ui.main  # noqa: F401  the console's pages import one another in its order
from backend.core.clock import as_utc
from backend.tickets.policy import HOUR
from backend.tickets.services import desk


def breach_due(rows, target):
    (row,) = [r for r in rows if r["target"] == target and r["kind"] == "breach"]
    return as_utc(row["due_at"])


async def test_an_admin_saves_the_desk_and_a_new_tickets_clock_follows_it(console: User, admin, patience) -> None:
    shop = await Programme(admin).start()
    await console.open(f"/desk-settings?programme={shop.programme.id}")
    await console.should_see(marker="sla-targets", retries=patience)
    choose(console, "desk-timezone", "Europe/Berlin")
    choose(console, "desk-holiday_country", "DE")
    choose(console, "desk-custom_holidays", "2026-12-24")
    choose(console, "desk-normal.first_response_s", "10 h")
    choose(console, "desk-approval_above_minor", "1,000.50")
    choose(console, "desk-retention_days", 30)
    choose(console, "desk-day-4", False)  # Friday off
    choose(console, "desk-day-4", True)  # and back: no change
    await console.should_see(marker="desk-unsaved", retries=patience)
    console.find(marker="desk-save").click()
    await console.should_see(
        "Saved: time zone, holiday country, custom holidays, retention, approval threshold, normal SLA targets.",
        retries=patience,
    )

    settings = await desk.desk_settings(shop.programme.id)
    assert (settings.timezone, settings.holiday_country, settings.custom_holidays) == (
        "Europe/Berlin",
        "DE",
        (date(2026, 12, 24),),
    )
    assert (settings.approval_above_minor, settings.retention_days, settings.working_days) == (100_050, 30, (0, 1, 2, 3, 4))
    assert (await desk.sla_targets(shop.programme.id, "normal")).first_response_s == 10 * HOUR
    assert element(console, "desk-approval_above_minor").value == "1,000.50"  # shown back in the currency

    reward = await shop.issue((await person("EMP-1", email="asha@example.com")).id)
    with time_machine.travel(datetime(2026, 12, 23, 14, tzinfo=UTC), tick=False):  # Wednesday 15:00 in Berlin
        ticket_id = (await report(reward, category="not_received")).ticket_id
    # 2 h on Wednesday; 24 (custom), 25 and 26 (German holidays) and the weekend skipped; 8 h on
    # Monday 28, 09:00-17:00 CET: due at 16:00 UTC.
    assert breach_due(await steps(ticket_id), "first_response") == datetime(2026, 12, 28, 16, tzinfo=UTC)


async def test_bad_values_are_refused_under_their_fields_and_nothing_changes(console: User, admin, patience, eventually) -> None:
    shop = await Programme(admin).start()
    await console.open(f"/desk-settings?programme={shop.programme.id}")
    await console.should_see(marker="sla-targets", retries=patience)
    choose(console, "desk-timezone", None)  # the list holds known zones only (an unknown one: tests/api)
    choose(console, "desk-closes_minute", "08:00")  # before 09:00
    choose(console, "desk-retention_days", -1)
    choose(console, "desk-approval_above_minor", "1,00.5")
    choose(console, "desk-high.resolution_s", "soon")
    console.find(marker="desk-save").click()
    await console.should_see(marker="desk-save", retries=patience)

    async def error_of(marker: str) -> str:
        await eventually(lambda: bool(element(console, marker).error))
        return element(console, marker).error

    assert (
        await error_of("desk-approval_above_minor")
        == "“1,00.5” is ambiguous: a comma inside an amount separates thousands (1,000)."
    )
    assert await error_of("desk-high.resolution_s") == "“soon” is not a duration such as 4 h or 90 min."
    # The form is read in full first, then the service refuses everything at once: correct the typing.
    choose(console, "desk-approval_above_minor", "1,000")
    choose(console, "desk-high.resolution_s", "16 h")
    console.find(marker="desk-save").click()
    assert await error_of("desk-timezone") == "Pick a time zone."
    assert await error_of("desk-closes_minute") == "The desk closes after it opens, at 24:00 at the latest."
    assert await error_of("desk-retention_days") == "Retention is at least 1 day (or none)."
    assert element(console, "desk-approval_above_minor").error is None
    assert await count("SELECT COUNT(*) FROM ticket_desk_settings") == 0 and await count("SELECT COUNT(*) FROM sla_policies") == 0


async def test_a_support_agent_reads_the_desk_but_cannot_change_it(user: User, admin, sign_in, create_person, patience) -> None:
    shop = await Programme(admin).start()
    await desk.set_desk_settings(admin, shop.programme.id, desk.DeskSettings(timezone="Asia/Kolkata"))
    await create_person("agent@example.com", ["support_agent"])
    await sign_in("agent@example.com", PASSWORD, path=f"/desk-settings?programme={shop.programme.id}")
    await user.should_see(marker="desk-read-only", retries=patience)
    await user.should_not_see(marker="desk-save")
    assert element(user, "desk-timezone").value == "Asia/Kolkata"
    for marker in ("desk-timezone", "desk-retention_days", "desk-normal.resolution_s", "desk-approval_above_minor"):
        assert "readonly" in element(user, marker).props
    assert "disable" in element(user, "desk-day-0").props
