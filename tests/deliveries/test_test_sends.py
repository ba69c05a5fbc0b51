"""Test messages asked for in the console: refused clearly (changing nothing) for a bad contact,
channel or a failover that is not set; sent once by the worker's side through the programme's
provider; a claim left by a killed worker is found again; a sandbox test lands in the inbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from delivery_steps import Programme, count, plain_smtp

from backend.core import sql
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.deliveries.services import reading, test_sends


def codes(error: DomainError) -> list[tuple]:
    return [(item.field, item.code) for item in error.errors]


@pytest.mark.parametrize(
    ("channel", "role", "contact", "expected"),
    [
        ("email", "primary", "nobody", [("contact", "INVALID_EMAIL")]),
        ("sms", "primary", "12", [("contact", "INVALID_PHONE")]),
        ("fax", "backup", "x", [("channel", "INVALID_CHANNEL"), ("role", "INVALID_ROLE")]),
        ("whatsapp", "failover", "+919812345678", [("role", "NO_PROVIDER")]),
    ],
)
async def test_a_bad_request_is_refused_and_changes_nothing(admin, channel, role, contact, expected):
    shop = await Programme(admin).start()
    with pytest.raises(DomainError) as refused:
        await test_sends.request_test_send(admin, shop.programme.id, channel, role, contact)
    assert codes(refused.value) == expected
    assert await count("SELECT COUNT(*) FROM delivery_test_sends") == 0


async def test_a_sandbox_test_is_sent_once_and_kept_in_the_inbox(admin):
    shop = await Programme(admin).start()
    asked = await test_sends.request_test_send(admin, shop.programme.id, "sms", "primary", "+91 98123 45678")
    assert (asked.status, asked.contact) == ("pending", "+919812345678")
    assert await test_sends.due_test_sends() == [asked.id]  # no Redis here: the worker's cron finds it
    assert await test_sends.send_test(asked.id) == "sent"
    assert await test_sends.send_test(asked.id) == "skipped"  # a second run of the job sends nothing
    done = await test_sends.get_test_send(admin, asked.id)
    assert (done.status, done.provider, done.finished) == ("sent", "sandbox", True)
    [kept] = await reading.sandbox_inbox(admin)
    assert kept.text.startswith("Asha Rao, you have a reward: Chai Point gift card") and kept.recipient == "+919812345678"
    assert await test_sends.due_test_sends() == []


async def test_a_claim_left_by_a_killed_worker_is_sent_again(admin, smtp_server):
    shop = await Programme(admin).start()
    await plain_smtp(admin, shop, smtp_server.port, "failover")
    asked = await test_sends.request_test_send(admin, shop.programme.id, "email", "failover", "ops@example.com")
    await sql.fetch(  # a worker claimed it and was killed: its claim has expired
        "UPDATE delivery_test_sends SET status = 'sending', claimed_until = $2 WHERE id = $1",
        asked.id,
        utcnow() - timedelta(seconds=1),
    )
    assert await test_sends.due_test_sends() == [asked.id]
    assert await test_sends.send_test(asked.id) == "sent"
    [received] = smtp_server.received
    assert received.message["Subject"].startswith("[Test] ")


async def test_an_unreachable_server_is_a_failed_test_in_words(admin):
    from backend.core.redis_server import free_port

    shop = await Programme(admin).start()
    await plain_smtp(admin, shop, free_port())
    asked = await test_sends.request_test_send(admin, shop.programme.id, "email", "primary", "ops@example.com")
    assert await test_sends.send_test(asked.id) == "failed"
    failed = await test_sends.get_test_send(admin, asked.id)
    assert failed.provider == "smtp" and failed.error_code and failed.error_text
