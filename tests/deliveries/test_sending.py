"""Sending in the worker's job, against real servers on loopback: the sandbox, an SMTP server
(aiosmtpd) and an HTTP messaging provider that succeeds, fails transiently (503), times out,
answers 429 with Retry-After and fails permanently (400, invalid number). Classification, backoff,
failover and the state check that keeps a re-run from sending twice."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from delivery_steps import QUICK, Programme, count, delivery_row, handle, made, messaging, person, plain_smtp
from messaging_provider import ACCOUNT_SID, INVALID_NUMBER, UNAVAILABLE, rate_limited, stall
from smtp_server import SmtpServer

from backend.core import audit, sql
from backend.core.clock import as_utc, utcnow
from backend.deliveries import claim_links
from backend.deliveries.services import listing, providers, reading, sending
from backend.deliveries.services.listing import DeliveryFilter
from backend.deliveries.services.providers import ProviderInput


async def until_due(delivery_id) -> None:
    """Wait out the delivery's backoff (QUICK's are a few hundredths of a second)."""
    row = await sql.fetchrow("SELECT next_attempt_at FROM deliveries WHERE id = $1", delivery_id)
    wait = (as_utc(row["next_attempt_at"]) - utcnow()).total_seconds()
    await asyncio.sleep(max(0.0, wait) + 0.01)


async def crash_after_sending(delivery_id) -> None:
    """The first two steps of an attempt (claim, send), then the worker dies before recording the
    outcome; its claim's lease runs out."""
    claim = await sending._claim(delivery_id, QUICK)
    _, outcome = await sending._send(claim)
    assert outcome.sent
    await sql.fetch("UPDATE deliveries SET claimed_until = $2 WHERE id = $1", delivery_id, utcnow() - timedelta(seconds=1))


# ---------------------------------------------------------------- sandbox


async def test_the_sandbox_keeps_the_rendered_message_and_a_rerun_sends_nothing_twice(admin):
    shop = await Programme(admin).start()
    asha = await person("E-1", name="Asha <b>Rao</b>", email="asha@example.com")
    row = await made(shop, asha)
    outcome = await sending.send_delivery(row["id"], QUICK)
    assert (outcome.status, outcome.number) == ("sent", 1)
    (message,) = await reading.sandbox_inbox(admin)
    assert (message.delivery_id, message.channel, message.recipient) == (row["id"], "email", "asha@example.com")
    assert message.subject == "Asha <b>Rao</b>, you have a reward: 1,500 points"
    url = claim_links.claim_url(claim_links.claim_token(row["id"]))
    assert url.startswith("http://127.0.0.1:8000/claim/") and url in message.text
    assert f'href="{url}"' in message.html
    assert "Asha &lt;b&gt;Rao&lt;/b&gt;" in message.html and "<b>Rao" not in message.html  # autoescaped
    assert "1,500 points" in message.text and "Quarterly stars" in message.text
    delivery = await reading.get_delivery(admin, row["id"])
    assert (delivery.status, delivery.provider, delivery.provider_message_id) == ("sent", "sandbox", f"sandbox:{message.id}")
    (attempt,) = await reading.attempts(admin, row["id"])
    assert (attempt.status, attempt.provider, attempt.provider_role, attempt.error_code) == ("sent", "sandbox", "primary", None)
    assert attempt.latency_ms >= 0
    # A re-run of the job (a duplicate, or after a crash once it was sent): the state check skips it.
    assert (await sending.send_delivery(row["id"], QUICK)).status == "skipped"
    assert (
        await count("SELECT COUNT(*) FROM sandbox_messages") == 1 and await count("SELECT COUNT(*) FROM delivery_attempts") == 1
    )


async def test_an_offer_reward_names_the_offer_partner_value_and_expiry(admin, checker):
    from campaign_steps import api_key_actor, make_programme, offers_campaign, stocked_live_offer

    from backend.rewards.services.issuance import RewardRequest, issue_reward

    offer = await stocked_live_offer(admin, checker)
    programme = await make_programme()
    campaign = await offers_campaign(admin, programme.id, [offer.id])
    asha = await person("E-1", name="Asha Rao", email="asha@example.com")
    outcome = await issue_reward(api_key_actor(), RewardRequest(campaign.id, asha.id, offer.id, 50000, idempotency_key="o-1"))
    await handle(outcome.issuance_id)
    row = await delivery_row(outcome.issuance_id)
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    (message,) = await reading.sandbox_inbox(admin, programme.id)
    expires_on = (utcnow() + timedelta(days=365)).date().isoformat()
    assert message.subject == f"Asha Rao, you have a reward: {offer.title}"
    assert (
        f"You have been rewarded with {offer.title} worth ₹500.00 at {offer.partner_name} from Festive vouchers." in message.text
    )
    assert f"Use it by {expires_on}." in message.text


async def test_the_sandbox_honours_the_delivery_id_after_a_crash_mid_send(admin):
    shop = await Programme(admin).start()
    asha = await person("E-1", email="asha@example.com")
    row = await made(shop, asha)
    await crash_after_sending(row["id"])
    outcome = await sending.send_delivery(row["id"], QUICK)
    assert outcome.status == "sent"
    assert await count("SELECT COUNT(*) FROM sandbox_messages") == 1  # the same message, not a second
    attempts = [(a.number, a.status, a.error_code) for a in await reading.attempts(admin, row["id"])]
    assert attempts == [(1, "transient", "ABANDONED"), (2, "sent", None)]


# ---------------------------------------------------------------- SMTP


async def test_email_over_smtp_arrives_with_subject_recipient_and_html_and_text_parts(admin, smtp_server):
    shop = await Programme(admin).start()
    await providers.set_provider(
        admin,
        ProviderInput(
            programme_id=shop.programme.id,
            channel="email",
            role="primary",
            kind="smtp",
            settings={
                "host": "127.0.0.1",
                "port": smtp_server.port,
                "security": "none",
                "from_address": "rewards@example.com",
                "from_name": "Sales Stars",
                "timeout_seconds": 5,
            },
        ),
    )
    asha = await person("E-1", name="Asha Rao", email="asha@example.com")
    row = await made(shop, asha)
    outcome = await sending.send_delivery(row["id"], QUICK)
    assert outcome.status == "sent"
    (received,) = smtp_server.received
    message = received.message
    assert received.rcpt_tos == ["asha@example.com"] and received.mail_from == "rewards@example.com"
    assert message["Subject"] == "Asha Rao, you have a reward: 1,500 points"
    assert message["To"] == "asha@example.com" and message["From"] == "Sales Stars <rewards@example.com>"
    assert message.get_content_type() == "multipart/alternative"
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    url = claim_links.claim_url(claim_links.claim_token(row["id"]))
    assert url in text.get_content() and f'href="{url}"' in html.get_content()
    delivery = await reading.get_delivery(admin, row["id"])
    assert (delivery.provider, delivery.provider_message_id) == ("smtp", message["Message-ID"])
    assert str(row["id"]) in message["Message-ID"]


@pytest.mark.parametrize("security", ["starttls", "tls"])
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd's, about its implicit-TLS mode
async def test_email_over_starttls_or_tls_with_a_login(admin, security):
    shop = await Programme(admin).start()
    with SmtpServer(tls=security, login=("rewards", "mail-pass-123")) as server:
        await providers.set_provider(
            admin,
            ProviderInput(
                programme_id=shop.programme.id,
                channel="email",
                role="primary",
                kind="smtp",
                settings={
                    "host": "127.0.0.1",
                    "port": server.port,
                    "security": security,
                    "username": "rewards",
                    "from_address": "rewards@example.com",
                    "validate_certs": False,  # the test server's certificate is self-signed
                    "timeout_seconds": 5,
                },
                secret="mail-pass-123",
            ),
        )
        row = await made(shop, await person("E-1", email="asha@example.com"))
        assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    assert server.logins == ["rewards"] and len(server.received) == 1


async def test_a_hard_bounce_is_flagged_at_once_with_the_reason(admin, smtp_server):
    shop = await Programme(admin).start()
    await plain_smtp(admin, shop, smtp_server.port)
    bounce = await person("E-2", email="bounce@example.com")
    row = await made(shop, bounce)
    outcome = await sending.send_delivery(row["id"], QUICK)
    assert (outcome.status, outcome.retry) == ("failed", None)
    delivery = await reading.get_delivery(admin, row["id"])
    assert (delivery.status, delivery.failure_code) == ("failed", "HARD_BOUNCE")
    assert "550" in delivery.failure_reason and "mailbox unavailable" in delivery.failure_reason
    assert smtp_server.received == []
    entries = await audit.entity_history(admin, "delivery", row["id"])
    assert entries[0]["action"] == "delivery.failed"


async def test_an_unreachable_mail_server_is_transient(admin):
    shop = await Programme(admin).start()
    await plain_smtp(admin, shop, 9)
    row = await made(shop, await person("E-3", email="c@example.com"))
    outcome = await sending.send_delivery(row["id"], QUICK)
    assert outcome.status == "pending" and outcome.retry is not None
    (attempt,) = await reading.attempts(admin, row["id"])
    assert (attempt.status, attempt.error_code) == ("transient", "CONNECTION")


# ---------------------------------------------------------------- HTTP messaging


async def test_sms_and_whatsapp_go_to_the_messages_resource(admin, messaging_provider):
    shop = await Programme(admin).start()
    server = messaging_provider()
    await messaging(admin, shop, server, "sms")
    await messaging(admin, shop, server, "whatsapp")
    sam = await person("S-1", name="Sam", phone="+919812345678", preferred_channel="sms")
    wafa = await person("W-1", name="Wafa", phone="+919812345670", preferred_channel="whatsapp")
    sms, whatsapp = await made(shop, sam), await made(shop, wafa)
    assert (await sending.send_delivery(sms["id"], QUICK)).status == "sent"
    assert (await sending.send_delivery(whatsapp["id"], QUICK)).status == "sent"
    first, second = server.requests
    assert first.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert first.headers["content-type"] == "application/x-www-form-urlencoded"
    assert first.headers["idempotency-key"] == str(sms["id"])
    assert (first.form["To"], first.form["From"]) == ("+919812345678", "+14155550100")
    assert first.form["Body"].startswith("Sam, you have a reward: 1,500 points. Claim it at http://127.0.0.1:8000/claim/")
    assert claim_links.claim_url(claim_links.claim_token(sms["id"])) in first.form["Body"]
    assert (second.form["To"], second.form["From"]) == ("whatsapp:+919812345670", "whatsapp:+14155550100")
    delivery = await reading.get_delivery(admin, sms["id"])
    assert (delivery.status, delivery.provider, delivery.provider_message_id) == ("sent", "http_messaging", "SM" + "0" * 32)


async def test_transient_failures_back_off_then_succeed(admin, messaging_provider):
    shop = await Programme(admin).start()
    server = messaging_provider([UNAVAILABLE, stall(2.0)])
    await messaging(admin, shop, server, timeout=0.5)
    row = await made(shop, await person("S-1", phone="+919812345678", preferred_channel="sms"))
    before = utcnow()
    first = await sending.send_delivery(row["id"], QUICK)
    assert first.status == "pending" and first.retry.number == 2
    # Exponential backoff with jitter: attempt 1's ceiling is the base, waited between half and all of it.
    delay = (first.retry.due_at - before).total_seconds()
    assert 0.005 - 0.001 <= delay <= 0.01 + 0.5
    await until_due(row["id"])
    second = await sending.send_delivery(row["id"], QUICK)
    assert second.status == "pending"  # the stall: a timeout
    await until_due(row["id"])
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    attempts = await reading.attempts(admin, row["id"])
    assert [(a.number, a.status, a.error_code) for a in attempts] == [
        (1, "transient", "HTTP_503"),
        (2, "transient", "TIMEOUT"),
        (3, "sent", None),
    ]
    assert attempts[1].latency_ms >= 450 and attempts[0].retry_at is not None and attempts[2].retry_at is None
    assert len(server.sent) == 1


async def test_429_waits_at_least_its_retry_after(admin, messaging_provider):
    shop = await Programme(admin).start()
    server = messaging_provider([rate_limited(2)])
    await messaging(admin, shop, server)
    row = await made(shop, await person("S-1", phone="+919812345678", preferred_channel="sms"))
    before = utcnow()
    outcome = await sending.send_delivery(row["id"], QUICK)
    assert outcome.status == "pending"
    assert (outcome.retry.due_at - before).total_seconds() >= 2.0  # not QUICK's hundredths: the provider's 2 s
    (attempt,) = await reading.attempts(admin, row["id"])
    assert (attempt.error_code, attempt.status) == ("RATE_LIMITED", "transient") and "retry after 2 s" in attempt.error_text
    assert (await sending.send_delivery(row["id"], QUICK)).status == "skipped"  # not before it is due


async def test_an_invalid_number_is_permanent_at_once(admin, messaging_provider):
    shop = await Programme(admin).start()
    server = messaging_provider([INVALID_NUMBER])
    await messaging(admin, shop, server)
    row = await made(shop, await person("S-1", phone="+919812345678", preferred_channel="sms"))
    outcome = await sending.send_delivery(row["id"], QUICK)
    assert (outcome.status, outcome.retry) == ("failed", None)
    delivery = await reading.get_delivery(admin, row["id"])
    assert (delivery.status, delivery.failure_code) == ("failed", "INVALID_NUMBER")
    assert delivery.failure_reason.startswith("the phone number is not valid (provider code 21211")
    assert (await sending.send_delivery(row["id"], QUICK)).status == "skipped"
    assert len(server.requests) == 1


async def test_transient_failures_up_to_the_limit_then_the_failover_provider(admin, messaging_provider):
    shop = await Programme(admin).start()
    primary, failover = messaging_provider(then=UNAVAILABLE), messaging_provider()
    await messaging(admin, shop, primary, role="primary")
    await messaging(admin, shop, failover, role="failover")
    row = await made(shop, await person("S-1", phone="+919812345678", preferred_channel="sms"))
    statuses = []
    for _ in range(QUICK.attempts_per_provider + 1):
        await until_due(row["id"])
        statuses.append((await sending.send_delivery(row["id"], QUICK)).status)
    assert statuses == ["pending", "pending", "pending", "sent"]
    assert len(primary.requests) == QUICK.attempts_per_provider and primary.sent == []
    assert len(failover.sent) == 1
    attempts = await reading.attempts(admin, row["id"])
    assert [(a.provider_role, a.status) for a in attempts] == [
        ("primary", "transient"),
        ("primary", "transient"),
        ("primary", "transient"),
        ("failover", "sent"),
    ]


async def test_without_a_failover_it_gives_up_after_the_limit_and_says_why(admin, messaging_provider):
    shop = await Programme(admin).start()
    server = messaging_provider(then=UNAVAILABLE)
    await messaging(admin, shop, server)
    row = await made(shop, await person("S-1", phone="+919812345678", preferred_channel="sms"))
    outcomes = []
    for _ in range(QUICK.attempts_per_provider):
        await until_due(row["id"])
        outcomes.append((await sending.send_delivery(row["id"], QUICK)).status)
    assert outcomes == ["pending", "pending", "failed"]
    delivery = await reading.get_delivery(admin, row["id"])
    assert (delivery.status, delivery.failure_code) == ("failed", "HTTP_503")
    assert delivery.failure_reason.startswith("gave up after 3 attempts: the provider failed (503)")
    assert await listing.count_deliveries(admin, DeliveryFilter(status="failed")) == 1  # the console's inbox counts it
    assert await listing.count_deliveries(admin, DeliveryFilter(status="sent")) == 0


async def test_a_provider_honouring_the_idempotency_key_never_sends_twice_after_a_crash(admin, messaging_provider):
    shop = await Programme(admin).start()
    server = messaging_provider()
    await messaging(admin, shop, server)
    row = await made(shop, await person("S-1", phone="+919812345678", preferred_channel="sms"))
    await crash_after_sending(row["id"])  # the provider accepted; the worker died before recording it
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    assert len(server.requests) == 2 and len(server.sent) == 1  # asked twice with one key, sent once
    assert {request.headers["idempotency-key"] for request in server.requests} == {str(row["id"])}


async def test_a_provider_rate_limit_paces_sends_without_counting_attempts(admin, messaging_provider, embedded_redis):
    from arq.connections import RedisSettings, create_pool

    from backend.core import outbox

    shop = await Programme(admin).start()
    server = messaging_provider()
    view = await messaging(admin, shop, server)
    await providers.set_provider(
        admin,
        ProviderInput(shop.programme.id, "sms", "primary", "http_messaging", view.settings | {"rate_per_second": 2}),
    )
    first = await made(shop, await person("S-1", phone="+919812345678", preferred_channel="sms"))
    second = await made(shop, await person("S-2", phone="+919812345679", preferred_channel="sms"))
    redis = await create_pool(RedisSettings.from_dsn(embedded_redis.url))
    outbox.set_doorbell(redis)  # the worker's Redis, where every worker shares the provider's bucket
    try:
        started = utcnow()  # the first send takes the bucket's token somewhere after this
        assert (await sending.send_delivery(first["id"], QUICK)).status == "sent"
        paced = await sending.send_delivery(second["id"], QUICK)
        # 2 a second: the next token comes half a second after the first was taken, however long
        # the first send itself took on a loaded machine.
        assert paced.status == "paced" and (paced.retry.due_at - started).total_seconds() >= 0.45
        assert (paced.retry.due_at - utcnow()).total_seconds() <= 0.55
        row = await delivery_row(second["issuance_id"])
        assert (row["status"], row["attempts"], row["role_attempts"]) == ("pending", 0, 0)  # nothing counted
        assert await reading.attempts(admin, second["id"]) == [] and len(server.requests) == 1
        await until_due(second["id"])
        assert (await sending.send_delivery(second["id"], QUICK)).status == "sent"
        assert [a.number for a in await reading.attempts(admin, second["id"])] == [1]
    finally:
        outbox.set_doorbell(None)
        await redis.aclose()
    assert len(server.sent) == 2
