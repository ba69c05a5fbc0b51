"""The sandbox's magic contacts fail for good (documented in providers/sandbox.py), so a journey can
show a permanent failure and its fix: fiction's 555-01xx numbers (SMS: INVALID_NUMBER, WhatsApp:
NOT_ON_WHATSAPP) and any address at bounces.example.com (HARD_BOUNCE). Nothing is kept for them;
every other contact is delivered as before."""

from __future__ import annotations

import pytest
from delivery_steps import QUICK, Programme, count, delivery_row, handle, person

from backend.core import contact_points
from backend.deliveries.services import sending


@pytest.mark.parametrize(
    ("contacts", "code", "words"),
    [
        ({"phone": "+12025550142", "preferred_channel": "sms"}, "INVALID_NUMBER", "+12025550142 is not a reachable phone number"),
        ({"phone": "+13125550199", "preferred_channel": "whatsapp"}, "NOT_ON_WHATSAPP", "+13125550199 is not on WhatsApp"),
        ({"email": "nobody@bounces.example.com"}, "HARD_BOUNCE", "the mailbox nobody@bounces.example.com does not exist"),
    ],
)
async def test_magic_contacts_fail_permanently_at_once(admin, contacts, code, words):
    shop = await Programme(admin).start()
    who = await person("M-1", **contacts)
    issuance_id = await shop.issue(who.id)
    await handle(issuance_id)
    outcome = await sending.send_delivery((await delivery_row(issuance_id))["id"], QUICK)
    row = await delivery_row(issuance_id)
    assert (outcome.status, row["status"], row["failure_code"], row["attempts"]) == ("failed", "failed", code, 1)
    assert words in row["failure_reason"]
    assert await count("SELECT COUNT(*) FROM sandbox_messages") == 0
    # Integrators hear of it: a reward.delivery_failed event, written with the flag.
    assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic = 'reward.delivery_failed'") == 1


@pytest.mark.parametrize(
    "contacts",
    [
        {"phone": "+12025550200", "preferred_channel": "sms"},  # 555-0200: outside the fictional block
        {"phone": "+12025550142", "email": "asha@bounces.example.org"},  # email goes to a normal address
    ],
)
async def test_contacts_beside_the_magic_ones_are_delivered(admin, contacts):
    shop = await Programme(admin).start()
    who = await person("M-2", **contacts)
    issuance_id = await shop.issue(who.id)
    await handle(issuance_id)
    outcome = await sending.send_delivery((await delivery_row(issuance_id))["id"], QUICK)
    assert outcome.status == "sent"
    assert await count("SELECT COUNT(*) FROM sandbox_messages") == 1


def test_the_magic_contacts_pass_the_houses_own_validation():
    """A recipient can hold them: otherwise the journey could not get as far as a failure."""
    assert contact_points.phone_number("+12025550142") == "+12025550142"
    assert contact_points.email_address("nobody@bounces.example.com") == "nobody@bounces.example.com"
