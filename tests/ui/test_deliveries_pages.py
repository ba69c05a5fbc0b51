"""The Deliveries pages: failed first with the reason in words, filters, fix a phone inline and resend,
resend a selection (saying why some were not), every failed delivery of an upload, contact
corrections from a CSV, a reward's delivery timeline (from the table and from the recipient's
rewards), the success-rate charts, an upload's delivered/pending/failed counts, and a support agent
who reads but may not resend. Permanent failures come from a real messaging provider on loopback."""

from __future__ import annotations

import io
import os
import sys

import pytest
from nicegui import ui
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps, the loopback provider

from campaign_steps import points_campaign, role_actor
from delivery_steps import QUICK, Programme, count, handle, person
from messaging_provider import ACCOUNT_SID, AUTH_TOKEN, INVALID_NUMBER, MessagingProvider

from backend.core.authz import Actor
from backend.deliveries.services import providers, reading, resending, sending, upload_resends
from backend.deliveries.services.providers import ProviderInput
from backend.recipients import services as recipients
from backend.rewards.uploads.services import approval
from backend.rewards.uploads.services.staging import stage_upload

PASSWORD = "a long enough password"
BAD_PHONE, GOOD_PHONE = "+919812345601", "+919812345699"


class Shop:
    """A programme whose SMS go through a loopback provider that refuses the first two messages as
    invalid numbers; Ana gets email (the sandbox), Ben and Cat SMS."""

    def __init__(self, programme: Programme, provider: MessagingProvider, rewards: dict) -> None:
        self.programme, self.provider, self.rewards = programme, provider, rewards

    async def delivery(self, name: str):
        return await reading.delivery_of_reward(self.programme.admin, self.rewards[name])


@pytest.fixture
async def shop(admin: Actor):
    with MessagingProvider([INVALID_NUMBER, INVALID_NUMBER]) as provider:
        programme = await Programme(admin).start()
        await providers.set_provider(
            admin,
            ProviderInput(
                programme_id=programme.programme.id,
                channel="sms",
                role="primary",
                kind="http_messaging",
                settings={"base_url": provider.base_url, "account_sid": ACCOUNT_SID, "from_number": "+14155550100"},
                secret=AUTH_TOKEN,
            ),
        )
        people = {
            "ana": await person("ANA", name="Ana Mail", email="ana@example.com", country="IN"),
            "ben": await person("BEN", name="Ben Phone", phone=BAD_PHONE, country="IN", preferred_channel="sms"),
            "cat": await person("CAT", name="Cat Phone", phone="+919812345602", country="IN", preferred_channel="sms"),
        }
        rewards = {}
        for name, who in people.items():
            rewards[name] = await programme.issue(who.id)
            await handle(rewards[name])
        found = Shop(programme, provider, rewards)
        for name in people:
            await sending.send_delivery((await found.delivery(name)).id, QUICK)
        yield found


async def send(shop: Shop, name: str) -> str:
    return (await sending.send_delivery((await shop.delivery(name)).id, QUICK)).status


def rows_by_recipient(listed) -> dict[str, dict]:
    return {row["recipient"].split(" (")[0]: row for row in listed.rows}


async def test_failed_first_with_the_reason_in_words_and_filters(console: User, shop: Shop, table, eventually) -> None:
    await console.open("/deliveries")
    listed = table(console, "deliveries-table")
    await eventually(lambda: len(listed.rows) == 3)
    assert [row["status"] for row in listed.rows] == ["Failed", "Failed", "Sent"]
    failed = rows_by_recipient(listed)["Ben Phone"]
    assert failed["reason"] == "Invalid phone number"
    assert "The phone number is not valid" in failed["failure"]
    assert (failed["channel"], failed["contact"], failed["actions"]) == ("SMS", BAD_PHONE, ["fix", "resend"])
    assert rows_by_recipient(listed)["Ana Mail"]["actions"] == []  # nothing to fix

    await console.open("/deliveries?channel=email")
    listed = table(console, "deliveries-table")
    await eventually(lambda: [row["recipient"] for row in listed.rows] == ["Ana Mail (ANA)"])
    await console.open("/deliveries?reason=INVALID_NUMBER")
    listed = table(console, "deliveries-table")
    await eventually(lambda: sorted(rows_by_recipient(listed)) == ["Ben Phone", "Cat Phone"])
    assert listed.pagination["rowsNumber"] == 2
    await console.open("/deliveries?status=sent")
    listed = table(console, "deliveries-table")
    await eventually(lambda: [row["status"] for row in listed.rows] == ["Sent"])


async def test_fix_the_phone_inline_resend_and_it_is_delivered(
    console: User, shop: Shop, admin, patience, table, eventually
) -> None:
    await console.open("/deliveries?status=failed")
    listed = table(console, "deliveries-table")
    await eventually(lambda: len(listed.rows) == 2)
    ben = rows_by_recipient(listed)["Ben Phone"]
    console.find(marker="deliveries-table").trigger("row_action", {"action": "fix", "key": ben["id"]})
    await console.should_see(marker="fix-dialog", retries=patience)
    console.find(marker="fix-contact").clear().type("not a phone")
    console.find(marker="fix-resend").click()
    await console.should_see("is not a valid phone number", retries=patience)  # under the field; nothing changed
    await console.should_see(marker="fix-dialog")  # still open, to correct it
    assert (await shop.delivery("ben")).status == "failed"
    console.find(marker="fix-contact").clear().type("+91 98123 45699")
    console.find(marker="fix-resend").click()
    await console.should_see("Resent 1 of 1: each goes back to the worker now.", retries=patience)
    await eventually(lambda: len(listed.rows) == 1)  # only Cat is still failed

    ben_now = await recipients.get_recipient(admin, external_id="BEN")
    assert ben_now.phone == GOOD_PHONE
    delivery = await shop.delivery("ben")
    assert (delivery.status, delivery.contact) == ("pending", GOOD_PHONE)
    assert await send(shop, "ben") == "sent"
    assert shop.provider.sent[-1]["To"] == GOOD_PHONE

    await console.open(f"/deliveries/rewards/{shop.rewards['ben']}")
    attempts = table(console, "attempts-table")
    await eventually(lambda: len(attempts.rows) == 2)
    assert [(row["status"], row["provider"]) for row in attempts.rows] == [
        ("Failed for good", "HTTP messaging (primary)"),
        ("Sent", "HTTP messaging (primary)"),
    ]
    assert attempts.rows[0]["error"].startswith("Invalid phone number: the phone number is not valid")
    assert attempts.rows[1]["latency"].endswith(" ms")
    await console.should_see("Sent", marker="delivery-status", retries=patience)
    await console.should_see(f"Sent again by SMS to {GOOD_PHONE}.", retries=patience)  # the history, by the admin
    history = [entry for entry in console.find(marker="delivery-history").elements][0]
    assert any(str(child.props.get("subtitle", "")).endswith("· by admin@example.com") for child in history.descendants())


async def test_resend_a_selection_says_how_many_and_why_not_the_others(
    console: User, shop: Shop, admin, patience, table, eventually
) -> None:
    # Ben's delivery is being sent by a worker right now, and Ana's was accepted already: a resend leaves both alone.
    await resending.resend(admin, [(await shop.delivery("ben")).id])
    assert await sending._claim((await shop.delivery("ben")).id, QUICK) is not None
    await console.open("/deliveries")
    listed = table(console, "deliveries-table")
    await eventually(lambda: len(listed.rows) == 3)
    chosen = list(rows_by_recipient(listed).values())
    console.find(marker="deliveries-table").trigger(
        "selection", {"added": True, "rows": chosen, "keys": [row["id"] for row in chosen]}
    )
    await console.should_see("Resend selected (3)", retries=patience)
    console.find(marker="resend-selected").click()
    await console.should_see(marker="confirm-dialog", retries=patience)
    console.find(marker="confirm-ok").click()
    await console.should_see(
        "Resent 1 of 3; 2 not resent: A worker is sending this delivery right now: try again in a minute (1); "
        "The sandbox provider accepted it already: share its claim link instead (1).",
        retries=patience,
    )
    assert (await shop.delivery("cat")).status == "pending"
    assert (await shop.delivery("ben")).status == "sending"
    assert (await shop.delivery("ana")).status == "sent"
    assert await send(shop, "cat") == "sent"  # the provider's script is spent: it accepts now


async def test_a_support_agent_reads_deliveries_but_may_not_resend(
    user: User, shop: Shop, create_person, sign_in, patience, table, eventually
) -> None:
    await create_person("agent@example.com", ["support_agent"], PASSWORD)
    await sign_in("agent@example.com", PASSWORD, path="/deliveries")
    await user.should_see(marker="read-only-note", retries=patience)
    listed = table(user, "deliveries-table")
    await eventually(lambda: len(listed.rows) == 3)
    assert all(row["actions"] == [] for row in listed.rows)
    await user.should_not_see(marker="resend-selected")
    await user.should_not_see(marker="resend-upload")
    await user.should_not_see(marker="corrections-card")
    await user.open(f"/deliveries/rewards/{shop.rewards['ben']}")
    await user.should_see(marker="delivery-failure", retries=patience)
    await user.should_not_see(marker="timeline-fix")


async def test_the_timeline_is_reachable_from_the_recipients_rewards(
    console: User, shop: Shop, admin, patience, table, eventually
) -> None:
    ben = await recipients.get_recipient(admin, external_id="BEN")
    await console.open(f"/recipients/{ben.id}")
    rewards = table(console, "recipient-rewards-table")
    await eventually(lambda: len(rewards.rows) == 1)
    assert (rewards.rows[0]["actions"], rewards.rows[0]["delivery"]) == (["delivery"], "Failed")
    console.find(marker="recipient-rewards-table").trigger("row_action", {"action": "delivery", "key": rewards.rows[0]["id"]})
    await console.should_see(marker="delivery-facts", retries=patience)
    await console.should_see("Invalid phone number", retries=patience)
    await console.should_see(BAD_PHONE, marker="delivery-contact", retries=patience)
    console.find(marker="timeline-fix").click()  # fixed from here too
    await console.should_see(marker="fix-dialog", retries=patience)
    console.find(marker="fix-contact").clear().type(GOOD_PHONE)
    console.find(marker="fix-resend").click()
    await console.should_see("Resent 1 of 1: each goes back to the worker now.", retries=patience)
    assert ((await shop.delivery("ben")).status, (await shop.delivery("ben")).contact) == ("pending", GOOD_PHONE)


async def test_success_rates_per_channel_and_provider_as_charts(console: User, shop: Shop, patience) -> None:
    await console.open("/delivery-rates")
    await console.should_see(marker="rates-by-channel", retries=patience)
    by_channel = next(iter(console.find(marker="rates-by-channel").elements)).options
    assert by_channel["yAxis"]["data"] == ["Email  100.0%", "SMS  0.0%"]
    assert [(s["name"], s["data"]) for s in by_channel["series"]] == [
        ("Delivered", [1, 0]),
        ("Failed", [0, 2]),
        ("On the way", [0, 0]),
    ]
    by_provider = next(iter(console.find(marker="rates-by-provider").elements)).options
    assert by_provider["yAxis"]["data"] == ["HTTP messaging  0.0%", "Sandbox  100.0%"]


UPLOAD = "external_id,full_name,phone,channel,points\r\nUP-1,Uma Upload,+919812345611,sms,100\r\nUP-2,Udo Upload,+919812345612,sms,200\r\n"


async def test_an_upload_shows_its_deliveries_and_resends_all_its_failed(
    console: User, admin, patience, table, eventually
) -> None:
    with MessagingProvider([INVALID_NUMBER, INVALID_NUMBER]) as provider:
        programme = await Programme(admin).start()
        await providers.set_provider(
            admin,
            ProviderInput(
                programme_id=programme.programme.id,
                channel="sms",
                role="primary",
                kind="http_messaging",
                settings={"base_url": provider.base_url, "account_sid": ACCOUNT_SID, "from_number": "+14155550100"},
                secret=AUTH_TOKEN,
            ),
        )
        campaign = await points_campaign(admin, programme.programme.id, name="Upload awards")
        staged = await stage_upload(admin, campaign.id, io.BytesIO(UPLOAD.encode()), "awards.csv")
        checker = role_actor("admin", "checker@example.com")
        await approval.approve_upload(checker, staged.id)
        await approval.issue_upload(checker, staged.id)
        from backend.rewards.services import issuances

        issued = (await issuances.list_issuances(admin, campaign.id)).rows
        assert len(issued) == 2
        for issuance in issued:
            await handle(issuance.id)
            await sending.send_delivery((await reading.delivery_of_reward(admin, issuance.id)).id, QUICK)

        await console.open(f"/uploads/{staged.id}")
        await console.should_see(marker="upload-deliveries", retries=patience)
        assert [next(iter(console.find(marker=f"upload-{n}").elements)).text for n in ("delivered", "pending", "failed")] == [
            "0",
            "0",
            "2",
        ]
        link = next(iter(console.find(marker="upload-failed-link").elements))
        assert link.props["href"] == f"/deliveries?upload={staged.id}&status=failed"
        await console.open(link.props["href"])
        listed = table(console, "deliveries-table")
        await eventually(lambda: len(listed.rows) == 2)
        assert {row["status"] for row in listed.rows} == {"Failed"}
        console.find(marker="resend-upload").click()
        await console.should_see(marker="confirm-dialog", retries=patience)
        console.find(marker="confirm-ok").click()
        await console.should_see("Resending 2 failed deliveries of", retries=patience)
        # What the worker does with the request (tests/deliveries/test_upload_resends.py runs the real one).
        assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic = $1", upload_resends.UPLOAD_RESEND_REQUESTED) == 1
        await upload_resends.resend_some(upload_resends.worker_for("admin"), staged.id, None, time_budget=10)
        await console.open(link.props["href"])
        listed = table(console, "deliveries-table")
        await eventually(lambda: len(listed.rows) == 0)
        for issuance in issued:
            delivery = await reading.delivery_of_reward(admin, issuance.id)
            assert (await sending.send_delivery(delivery.id, QUICK)).status == "sent"
        assert len(provider.sent) == 2

        await console.open(f"/uploads/{staged.id}")
        await console.should_see(marker="upload-deliveries", retries=patience)
        assert next(iter(console.find(marker="upload-delivered").elements)).text == "2"
        await console.should_not_see(marker="upload-failed-link")


def corrections_upload(user: User):
    return next(iter(user.find(marker="corrections-file").elements))


async def test_contact_corrections_from_a_csv_report_each_row(
    console: User, shop: Shop, admin, patience, table, eventually
) -> None:
    await console.open("/deliveries")
    await console.should_see(marker="corrections-card", retries=patience)
    bad = b"external_id,phone\r\nCAT,+919812345688\r\nNOBODY,+919812345677\r\nBEN,12\r\n"
    await corrections_upload(console).handle_uploads([ui.upload.SmallFileUpload("fixes.csv", "text/csv", bad)])
    await console.should_see("Nothing changed: 2 problems in 3 rows.", retries=patience)
    errors = table(console, "corrections-errors")
    assert [(row["line"], row["field"]) for row in errors.rows] == [(3, "external_id"), (4, "phone")]
    assert errors.rows[0]["message"] == "No recipient has the external id NOBODY."
    assert (await recipients.get_recipient(admin, external_id="CAT")).phone == "+919812345602"  # all or nothing

    good = b"external_id,phone\r\nCAT,+91 98123 45688\r\nBEN,+919812345601\r\n"
    await corrections_upload(console).handle_uploads([ui.upload.SmallFileUpload("fixes.csv", "text/csv", good)])
    await console.should_see("2 rows applied: 1 contact corrected, 1 already so; resent 2 failed deliveries.", retries=patience)
    await console.should_see(marker="corrections-resent", retries=patience)  # drawn just after the notice
    resent = table(console, "corrections-resent")
    assert sorted((row["recipient"], row["outcome"], row["detail"]) for row in resent.rows) == [
        ("Ben Phone (BEN)", "Resent", "by SMS to +919812345601"),
        ("Cat Phone (CAT)", "Resent", "by SMS to +919812345688"),
    ]
    listed = table(console, "deliveries-table")
    await eventually(lambda: [row["status"] for row in listed.rows] == ["Waiting to send", "Waiting to send", "Sent"])
    assert (await recipients.get_recipient(admin, external_id="CAT")).phone == "+919812345688"


def test_an_attempt_without_provider_text_reads_its_reason_in_words() -> None:
    """A failure with only a code (no provider text) once showed the raw code, e.g. NOT_ON_WHATSAPP."""
    from datetime import UTC, datetime

    import ui.main  # noqa: F401  (the pages import one another in the console's order)
    from backend.deliveries.views import AttemptView
    from ui.pages.deliveries.timeline import attempt_row

    attempt = AttemptView(
        1, "whatsapp", "twilio", "primary", None, "permanent", "NOT_ON_WHATSAPP", None, 12, datetime.now(UTC), None
    )
    assert attempt_row(attempt)["error"] == "Not on WhatsApp"
