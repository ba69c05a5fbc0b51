"""A programme's desk over real HTTP, through the documented operations: deskSettings, then
setDeskSettings and setSlaPolicy changing what a new ticket's SLA clock counts; bad values refused
on their fields with nothing changed; a tickets:write key refused."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import time_machine

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tickets"))  # ticket_steps

from delivery_steps import Programme, person  # noqa: E402
from ticket_steps import count, report, steps  # noqa: E402

from backend.core.clock import as_utc  # noqa: E402
from backend.tickets.services import desk  # noqa: E402

OPERATIONS = Path(__file__).resolve().parents[2] / "graphql" / "operations"


def documented(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


def example(name: str, programme_id) -> dict:
    line = next(line for line in documented(name).splitlines() if line.startswith("# variables: "))
    return json.loads(line.removeprefix("# variables: ").replace("<programmeId>", str(programme_id)))


async def test_set_the_desk_and_a_new_tickets_clock_follows(api, admin, make_key):
    shop = await Programme(admin).start()
    key = await make_key("tickets:read", "tickets:manage")
    programme_id = str(shop.programme.id)
    before = (await api.data(documented("DeskSettings"), {"programmeId": programme_id}, key=key))["deskSettings"]
    assert (before["timezone"], before["approvalAbove"], before["currency"]) == ("UTC", None, "INR")
    assert [p["firstResponseMinutes"] for p in before["slaPolicies"]] == [480, 240, 120, 60]  # low … urgent

    saved = (await api.data(documented("SetDeskSettings"), example("SetDeskSettings", programme_id), key=key))["setDeskSettings"]
    assert saved["errors"] == []
    assert saved["changed"] == ["timezone", "holidayCountry", "customHolidays", "retentionDays", "approvalAbove"]
    assert (saved["desk"]["approvalAbove"], saved["desk"]["approvalAboveFormatted"]) == (100000, "₹1,000.00")
    variables = {
        "input": {
            "programmeId": programme_id,
            "priority": "NORMAL",
            "firstResponseMinutes": 600,
            "nextResponseMinutes": 600,
            "resolutionMinutes": 1200,
        }
    }
    policy = (await api.data(documented("SetSlaPolicy"), variables, key=key))["setSlaPolicy"]
    assert (policy["errors"], policy["changed"]) == ([], ["slaPolicy.NORMAL"])
    again = (await api.data(documented("SetSlaPolicy"), variables, key=key))["setSlaPolicy"]
    assert again["changed"] == []  # nothing new: nothing written

    reward = await shop.issue((await person("EMP-1", email="asha@example.com")).id)
    with time_machine.travel(datetime(2026, 12, 23, 14, tzinfo=UTC), tick=False):  # Wednesday 15:00 in Berlin
        ticket_id = (await report(reward, category="not_received")).ticket_id
    (due,) = [r["due_at"] for r in await steps(ticket_id) if r["target"] == "first_response" and r["kind"] == "breach"]
    # 10 business hours: 2 on Wednesday; 24 (custom), 25, 26 (German holidays) and the weekend off; 8 on Monday.
    assert as_utc(due) == datetime(2026, 12, 28, 16, tzinfo=UTC)


async def test_bad_values_are_refused_on_their_fields_and_nothing_changes(api, admin, make_key):
    shop = await Programme(admin).start()
    key = await make_key("tickets:read", "tickets:manage")
    bad = {
        "programmeId": str(shop.programme.id),
        "timezone": "Mars/Olympus",
        "opensMinute": 600,
        "closesMinute": 540,
        "retentionDays": -5,
        "holidayCountry": "XX",
        "approvalAbove": 1000,
    }
    refused = (await api.data(documented("SetDeskSettings"), {"input": bad}, key=key))["setDeskSettings"]
    assert refused["desk"] is None and refused["changed"] == []
    assert {(e["field"], e["code"]) for e in refused["errors"]} == {
        ("timezone", "INVALID_TIMEZONE"),
        ("closesMinute", "INVALID_HOURS"),
        ("retentionDays", "INVALID_RETENTION"),
        ("holidayCountry", "INVALID_COUNTRY"),
    }
    timezone = next(e for e in refused["errors"] if e["field"] == "timezone")
    assert timezone["message"] == "“Mars/Olympus” is not a known time zone (an IANA name such as Europe/Paris)"
    # A threshold that is not a whole number of minor units is not a MinorUnits value at all.
    response = await api.post(
        documented("SetDeskSettings"), {"input": {"programmeId": str(shop.programme.id), "approvalAbove": "10.50"}}, key=key
    )
    assert "MinorUnits" in response.text or "whole number of minor units" in response.text
    negative = {"input": {"programmeId": str(shop.programme.id), "approvalAbove": -1}}
    refused = (await api.data(documented("SetDeskSettings"), negative, key=key))["setDeskSettings"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("approvalAbove", "INVALID_THRESHOLD")]
    zero = {
        "input": {
            "programmeId": str(shop.programme.id),
            "priority": "HIGH",
            "firstResponseMinutes": 0,
            "nextResponseMinutes": 60,
            "resolutionMinutes": 60,
        }
    }
    refused = (await api.data(documented("SetSlaPolicy"), zero, key=key))["setSlaPolicy"]
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("firstResponseMinutes", "INVALID_TARGET")]
    assert await count("SELECT COUNT(*) FROM ticket_desk_settings") == 0 and await count("SELECT COUNT(*) FROM sla_policies") == 0
    assert (await desk.desk_settings(shop.programme.id)) == desk.DeskSettings()


async def test_a_tickets_write_key_reads_the_desk_but_may_not_change_it(api, admin, make_key):
    shop = await Programme(admin).start()
    key = await make_key("tickets:read", "tickets:write")
    read = (await api.data(documented("DeskSettings"), {"programmeId": str(shop.programme.id)}, key=key))["deskSettings"]
    assert read["timezone"] == "UTC"
    refused = (await api.data(documented("SetDeskSettings"), example("SetDeskSettings", shop.programme.id), key=key))[
        "setDeskSettings"
    ]
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    refused = (await api.data(documented("SetSlaPolicy"), example("SetSlaPolicy", shop.programme.id), key=key))["setSlaPolicy"]
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert await count("SELECT COUNT(*) FROM ticket_desk_settings") == 0 and await count("SELECT COUNT(*) FROM sla_policies") == 0
