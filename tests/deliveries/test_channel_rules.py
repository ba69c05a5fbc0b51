"""The programme's channel rules in the sender, with a fixed clock: quiet hours hold SMS and WhatsApp
until the recipient's local daytime (their time zone, else the programme's), never email; channel
fallback moves a delivery whose channel is exhausted or refused for good to the next channel with a
usable contact, and stops when none is left."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from delivery_steps import QUICK, Programme, count, delivery_row, handle, person
from messaging_provider import ACCOUNT_SID, AUTH_TOKEN, UNAVAILABLE

from backend.core import sql
from backend.core.clock import as_utc
from backend.deliveries.services import channel_rules, claiming, providers, reading, recording, sending
from backend.deliveries.services.channel_rules import quiet_until
from backend.deliveries.services.programme_settings import DeliverySettingsInput, set_delivery_settings
from backend.deliveries.services.providers import ProviderInput

KOLKATA, NEW_YORK = ZoneInfo("Asia/Kolkata"), ZoneInfo("America/New_York")


@pytest.fixture
def fixed_clock(monkeypatch):
    """``fixed_clock(datetime)``: the sender and its channel rules read this time as now."""

    def fix(at: datetime) -> None:
        for module in (sending, claiming, recording):
            monkeypatch.setattr(module, "utcnow", lambda: at)
        monkeypatch.setattr(channel_rules, "utcnow", lambda: at)

    return fix


@pytest.mark.parametrize(
    ("now", "start", "end", "zone", "until"),
    [
        (
            datetime(2026, 12, 7, 17, 0, tzinfo=UTC),
            "21:00",
            "08:00",
            KOLKATA,
            datetime(2026, 12, 8, 2, 30, tzinfo=UTC),
        ),  # 22:30 IST
        (
            datetime(2026, 12, 7, 1, 0, tzinfo=UTC),
            "21:00",
            "08:00",
            KOLKATA,
            datetime(2026, 12, 7, 2, 30, tzinfo=UTC),
        ),  # 06:30 IST
        (datetime(2026, 12, 7, 3, 0, tzinfo=UTC), "21:00", "08:00", KOLKATA, None),  # 08:30 IST: daytime
        (datetime(2026, 12, 7, 15, 29, tzinfo=UTC), "21:00", "08:00", KOLKATA, None),  # 20:59 IST
        (
            datetime(2026, 12, 7, 3, 0, tzinfo=UTC),
            "21:00",
            "08:00",
            NEW_YORK,
            datetime(2026, 12, 7, 13, 0, tzinfo=UTC),
        ),  # 22:00 EST
        (datetime(2026, 12, 7, 12, 30, tzinfo=UTC), "12:00", "14:00", UTC, datetime(2026, 12, 7, 14, 0, tzinfo=UTC)),
        (datetime(2026, 12, 7, 14, 0, tzinfo=UTC), "12:00", "14:00", UTC, None),
        # The night clocks go forward in New York (2027-03-14): 08:00 EDT is 12:00 UTC, not 13:00.
        (datetime(2027, 3, 14, 5, 0, tzinfo=UTC), "21:00", "08:00", NEW_YORK, datetime(2027, 3, 14, 12, 0, tzinfo=UTC)),
    ],
)
def test_the_quiet_window_in_local_time(now, start, end, zone, until):
    assert quiet_until(now, start, end, zone) == until


async def quiet_programme(admin, name="Night owls", **changes) -> Programme:
    shop = await Programme(admin).start(name)
    settings = {"quiet_hours": True, "quiet_start": "21:00", "quiet_end": "08:00", "time_zone": "Asia/Kolkata"} | changes
    await set_delivery_settings(admin, DeliverySettingsInput(shop.programme.id, **settings))
    return shop


async def ready(shop, who) -> dict:
    issuance_id = await shop.issue(who.id)
    await handle(issuance_id)
    return await delivery_row(issuance_id)


async def test_quiet_hours_hold_sms_until_the_recipients_morning(admin, fixed_clock):
    shop = await quiet_programme(admin)
    new_yorker = await person(
        "Q-1", phone="+919812345678", preferred_channel="sms", hr_attributes={"time_zone": "America/New_York"}
    )
    indian = await person("Q-2", phone="+919812345679", preferred_channel="whatsapp")  # no zone of their own: the programme's
    emailer = await person("Q-3", email="q3@example.com")
    late = await ready(shop, new_yorker)
    morning = await ready(shop, indian)
    mail = await ready(shop, emailer)
    fixed_clock(datetime(2026, 12, 8, 3, 0, tzinfo=UTC))  # 22:00 in New York, 08:30 in Kolkata

    held = await sending.send_delivery(late["id"], QUICK)
    assert held.status == "paced" and held.retry.due_at == datetime(2026, 12, 8, 13, 0, tzinfo=UTC)
    row = await delivery_row(late["issuance_id"])
    assert (row["status"], row["attempts"], as_utc(row["next_attempt_at"])) == (
        "pending",
        0,
        datetime(2026, 12, 8, 13, 0, tzinfo=UTC),
    )
    assert (await sending.send_delivery(morning["id"], QUICK)).status == "sent"
    assert (await sending.send_delivery(mail["id"], QUICK)).status == "sent"
    assert await count("SELECT COUNT(*) FROM delivery_attempts WHERE delivery = $1", late["id"]) == 0

    fixed_clock(datetime(2026, 12, 8, 13, 0, tzinfo=UTC))  # 08:00 in New York
    assert (await sending.send_delivery(late["id"], QUICK)).status == "sent"
    assert {message.recipient for message in await reading.sandbox_inbox(admin)} == {
        "+919812345678",
        "+919812345679",
        "q3@example.com",
    }


async def test_email_never_waits_and_a_programme_without_quiet_hours_sends_at_night(admin, fixed_clock):
    shop = await quiet_programme(admin, quiet_hours=False)
    row = await ready(shop, await person("Q-4", phone="+919812345678", preferred_channel="sms"))
    fixed_clock(datetime(2026, 12, 8, 20, 0, tzinfo=UTC))  # 01:30 in Kolkata
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    quiet = await quiet_programme(admin, name="Early birds")
    row = await ready(quiet, await person("Q-5", email="q5@example.com", phone="+919812345670"))
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"


async def fallback_programme(admin, order=("sms", "email", "whatsapp"), on=True) -> Programme:
    shop = await Programme(admin).start()
    await set_delivery_settings(admin, DeliverySettingsInput(shop.programme.id, fallback=on, fallback_order=order))
    return shop


async def attempts(admin, delivery_id) -> list[tuple]:
    return [(a.number, a.channel, a.status, a.error_code) for a in await reading.attempts(admin, delivery_id)]


async def test_a_permanent_failure_falls_back_to_the_next_channel_with_a_contact(admin):
    shop = await fallback_programme(admin, order=("sms", "whatsapp", "email"))
    who = await person("F-1", phone="+12025550142", email="f1@example.com", preferred_channel="sms")  # a fictional number
    row = await ready(shop, who)
    first = await sending.send_delivery(row["id"], QUICK)
    assert first.status == "pending" and first.retry.number == 2
    moved = await delivery_row(row["issuance_id"])
    # WhatsApp comes next in the order but uses the same fictional phone: it is tried, and refused too.
    assert (moved["channel"], moved["contact"], moved["provider_role"]) == ("whatsapp", "+12025550142", "primary")
    assert "falling back to whatsapp" in moved["failure_reason"]
    assert (await sending.send_delivery(row["id"], QUICK)).status == "pending"
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    done = await delivery_row(row["issuance_id"])
    assert (done["status"], done["channel"], done["contact"]) == ("sent", "email", "f1@example.com")
    assert await attempts(admin, row["id"]) == [
        (1, "sms", "permanent", "INVALID_NUMBER"),
        (2, "whatsapp", "permanent", "NOT_ON_WHATSAPP"),
        (3, "email", "sent", None),
    ]


async def test_exhausted_providers_fall_back_too(admin, messaging_provider):
    shop = await fallback_programme(admin)
    server = messaging_provider(then=UNAVAILABLE)
    settings = {"base_url": server.base_url, "account_sid": ACCOUNT_SID, "from_number": "+14155550100", "timeout_seconds": 5}
    await providers.set_provider(
        admin, ProviderInput(shop.programme.id, "sms", "primary", "http_messaging", settings, secret=AUTH_TOKEN)
    )
    row = await ready(shop, await person("F-2", phone="+919812345678", email="f2@example.com", preferred_channel="sms"))
    statuses = []
    for _ in range(QUICK.attempts_per_provider + 1):
        await sql.fetch("UPDATE deliveries SET next_attempt_at = NULL WHERE id = $1", row["id"])  # skip the backoff
        statuses.append((await sending.send_delivery(row["id"], QUICK)).status)
    assert statuses == ["pending", "pending", "pending", "sent"]
    assert [a[1:] for a in await attempts(admin, row["id"])] == [
        ("sms", "transient", "HTTP_503"),
        ("sms", "transient", "HTTP_503"),
        ("sms", "transient", "HTTP_503"),
        ("email", "sent", None),
    ]


@pytest.mark.parametrize(
    ("on", "contacts", "reason"),
    [
        (False, {"phone": "+12025550142", "email": "f3@example.com"}, "not a reachable"),  # fallback off
        (True, {"phone": "+12025550142"}, "not a reachable"),  # no email; WhatsApp not in the order
    ],
)
async def test_no_fallback_when_off_or_nothing_is_left(admin, on, contacts, reason):
    shop = await fallback_programme(admin, order=("sms", "email"), on=on)
    row = await ready(shop, await person("F-3", preferred_channel="sms", **contacts))
    assert (await sending.send_delivery(row["id"], QUICK)).status == "failed"
    failed = await delivery_row(row["issuance_id"])
    assert (failed["channel"], failed["failure_code"]) == ("sms", "INVALID_NUMBER") and reason in failed["failure_reason"]


async def test_fallback_never_returns_to_a_channel_already_tried(admin):
    shop = await fallback_programme(admin, order=("sms", "email"))
    row = await ready(shop, await person("F-4", phone="+12025550142", email="x@bounces.example.com", preferred_channel="sms"))
    assert (await sending.send_delivery(row["id"], QUICK)).status == "pending"
    assert (await sending.send_delivery(row["id"], QUICK)).status == "failed"
    assert [a[1:] for a in await attempts(admin, row["id"])] == [
        ("sms", "permanent", "INVALID_NUMBER"),
        ("email", "permanent", "HARD_BOUNCE"),
    ]
