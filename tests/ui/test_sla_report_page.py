"""The admins' monthly SLA report page: a programme and a month, per priority the figures in a table
and two charts, and the CSV export of the same figures."""

from __future__ import annotations

import os
import sys

from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tickets"))  # ticket_steps

from delivery_steps import Programme, person
from ticket_steps import AGENT, report

import ui.main  # noqa: F401  the console's pages import one another in its order
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.tickets.services import conversation
from ui.pages.tickets.sla_report import month_choices


async def test_the_month_per_priority_in_a_table_charts_and_csv(console: User, admin, patience, eventually) -> None:
    shop = await Programme(admin).start()
    opened = []
    for n in range(2):
        reward = await shop.issue((await person(f"EMP-{n}", email=f"p{n}@example.com")).id)
        opened.append((await report(reward)).ticket_id)  # "code invalid": high priority
    await conversation.reply(AGENT, opened[0], "On it", await_recipient=False)
    await conversation.change_status(AGENT, opened[0], "resolved")
    await conversation.rate(SYSTEM, opened[0], 5)

    await console.open(f"/sla-report?programme={shop.programme.id}")
    await console.should_see(marker="sla-table", retries=patience)
    [table] = console.find(marker="sla-table").elements
    high = next(row for row in table.rows if row["priority"] == "High")
    assert (high["opened"], high["first_met"], high["first_breached"], high["resolution_met"]) == (2, 1, 0, 1)
    assert high["csat"] == "5.00 of 5 (1)" and high["first_times"] == "0 min / 0 min"
    [chart] = console.find(marker="compliance-chart").elements
    met = next(series for series in chart.options["series"] if series["name"] == "First response met")
    assert met["data"] == [0, 0, 1, 0]  # low, normal, high, urgent
    await console.should_see(marker="times-chart", retries=patience)

    console.find(marker="export-csv").click()
    exported = (await console.download.next(timeout=5)).content.decode("utf-8-sig").splitlines()
    assert exported[0].startswith("priority,opened,first_response_met") and exported[3].startswith("high,2,1,0,1,0")

    [month] = console.find(marker="report-month").elements
    month.value = list(month_choices(utcnow()))[1]  # the month before: nothing opened
    await console.should_see(marker="no-tickets", retries=patience)
