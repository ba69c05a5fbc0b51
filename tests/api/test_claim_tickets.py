"""The recipient's side of the complaint desk on the claim page, through real HTTP: report a problem,
read the support team's replies (never their internal notes), answer, rate once after resolution;
and every bad input said in words next to its field, changing nothing."""

from __future__ import annotations

import html as html_text
import os
import re
import sys
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tickets"))  # ticket_steps

from delivery_steps import QUICK, Programme, delivery_row, handle, person  # noqa: E402
from ticket_steps import AGENT, count  # noqa: E402

from backend.api.claims.ticket_pages import MAX_BODY_BYTES  # noqa: E402
from backend.core import sql  # noqa: E402
from backend.core.clock import utcnow  # noqa: E402
from backend.deliveries import claim_links  # noqa: E402
from backend.deliveries.services import sending  # noqa: E402
from backend.tickets.services import conversation  # noqa: E402

FORM_TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{64})"')
REPORT_KEY = re.compile(r'name="report_key" value="([0-9a-f]{32})"')
TICKET_ID = re.compile(r'name="ticket_id" value="([0-9a-f-]{36})"')


async def delivered_reward(admin, external_id: str = "E-1", programme: Programme | None = None):
    """1,500 points delivered by the sandbox; returns (token, issuance id, programme)."""
    programme = programme or await Programme(admin).start()
    someone = await person(external_id, name="Asha Rao", email=f"{external_id}@example.com")
    issuance_id = await programme.issue(someone.id)
    await handle(issuance_id)
    row = await delivery_row(issuance_id)
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    return claim_links.claim_token(row["id"]), issuance_id, programme


def words(response) -> str:
    return html_text.unescape(response.text)


def assert_private(response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in response.headers["x-robots-tag"]
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "form-action 'self'" in policy and "script-src" not in policy


class TicketPage:
    """The recipient's browser on their ticket page: it sends the forms the page rendered."""

    def __init__(self, api, token: str):
        self.http, self.token, self.path = api.http, token, f"/claim/{token}/ticket"
        self.html = ""

    async def open(self, query: str = ""):
        response = await self.http.get(self.path + query)
        assert response.status_code == 200, response.text
        assert_private(response)
        self.html = response.text
        return response

    def fields(self, *, report: bool = False) -> dict:
        fields = {"form_token": FORM_TOKEN.search(self.html).group(1)}
        if report:
            fields["report_key"] = REPORT_KEY.search(self.html).group(1)
        elif ticket := TICKET_ID.search(self.html):
            fields["ticket_id"] = ticket.group(1)
        return fields

    async def send(self, where: str, data: dict, **headers):
        response = await self.http.post(self.path + where, data=data, headers=headers)
        if response.status_code == 303:  # done: the browser follows to the page with its notice
            location = response.headers["location"]
            assert location.startswith(self.path + "?notice=")
            assert_private(response)
            return await self.open(location[len(self.path) :])
        self.html = response.text
        return response

    async def report(self, category: str, message: str, **fields):
        return await self.send("", {**self.fields(report=True), "category": category, "message": message, **fields})

    async def reply(self, message: str, **fields):
        return await self.send("/reply", {**self.fields(), "message": message, **fields})

    async def rate(self, score: str, **fields):
        return await self.send("/rating", {**self.fields(), "score": score, **fields})


async def ticket():
    return await sql.fetchrow("SELECT * FROM tickets ORDER BY id DESC LIMIT 1")


async def test_a_recipient_reports_reads_the_answer_replies_and_rates_once(api, admin):
    token, issuance_id, _ = await delivered_reward(admin)
    claim = await api.http.get(f"/claim/{token}")
    assert f'href="/claim/{token}/ticket"' in claim.text and "Report a problem" in claim.text

    page = TicketPage(api, token)
    await page.open()
    assert "Report a problem" in page.html
    for label in ("My code doesn't work", "I didn't get my reward", "Something else"):
        assert label in words(await page.open())
    assert not re.search(r"<script", page.html)
    double_click = page.fields(report=True)
    await page.open()
    second_tab = page.fields(report=True)  # another rendering of the form, sent after the first report
    assert second_tab["report_key"] != double_click["report_key"]

    reported = await page.send("", {**double_click, "category": "code_invalid", "message": "The till says the code is unknown"})
    assert "Thank you: your report is in" in words(reported)
    assert "The till says the code is unknown" in reported.text and "Received" in reported.text
    row = await ticket()
    assert (row["issuance_id"], row["source"], row["category"], row["status"]) == (
        issuance_id,
        "claim_page",
        "code_invalid",
        "new",
    )
    # The same rendering's form sent twice (a double click) opens one ticket with one message.
    again = await page.send("", {**double_click, "category": "code_invalid", "message": "The till says the code is unknown"})
    assert (
        again.status_code == 200
        and await count("SELECT COUNT(*) FROM tickets") == 1
        and await count("SELECT COUNT(*) FROM ticket_messages") == 1
    )

    # Another report on the same reward while the ticket is open joins it, and says so.
    assert 'name="report_key"' not in page.html  # with a ticket open, the page offers a reply instead
    joined = await page.send("", {**second_tab, "category": "other", "message": "And the shop said try later"})
    assert "You had already reported a problem with this reward, so we added your message to that report" in words(joined)
    assert await count("SELECT COUNT(*) FROM tickets") == 1 and (await ticket())["reports"] == 2

    await conversation.reply(AGENT, row["id"], "Partner outage: ask them to retry", author="note")
    await conversation.reply(AGENT, row["id"], "Sorry! Here is a new code: CHA-9999")
    answered = words(await page.open())
    assert "Here is a new code: CHA-9999" in answered and "Support team" in answered and "We answered" in answered
    assert "Partner outage" not in answered and "Sam Support" not in answered  # notes and agents' names stay inside
    assert "How did we do?" not in answered  # not resolved yet

    replied = await page.reply("The new code works, thanks")
    assert "Your answer is sent" in words(replied) and "The new code works, thanks" in replied.text
    assert (await ticket())["status"] == "open"

    await conversation.change_status(AGENT, row["id"], "resolved")
    resolved = words(await page.open())
    assert "How did we do?" in resolved and "Resolved" in resolved
    assert resolved.count('name="score"') == 5
    rated = await page.rate("5")
    assert "Thank you for rating our help" in words(rated) and "You rated our help: <strong>Excellent</strong>" in rated.text
    assert 'name="score"' not in rated.text
    assert (await ticket())["csat_score"] == 5

    # A second rating (an old tab) is refused in words and changes nothing.
    refused = await page.send("/rating", {**page.fields(), "ticket_id": str(row["id"]), "score": "1"})
    assert refused.status_code == 400 and "a report is rated once, after it is resolved" in words(refused)
    assert (await ticket())["csat_score"] == 5
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'ticket.rated'") == 1


async def test_bad_input_is_said_next_to_its_field_and_changes_nothing(api, admin):
    token, _, programme = await delivered_reward(admin)
    page = TicketPage(api, token)
    await page.open()

    async def unchanged():
        return (
            await count("SELECT COUNT(*) FROM tickets"),
            await count("SELECT COUNT(*) FROM ticket_messages"),
            await count("SELECT COUNT(*) FROM audit_events WHERE entity_type = 'ticket' AND action <> 'ticket.read'"),
        )

    before = await unchanged()
    for category, message, says, field in (
        ("code_invalid", "   ", "Write a message: tell us what went wrong.", "report-message-error"),
        ("code_invalid", "x" * 10_001, "Your message is too long: keep it under 10,000 characters.", "report-message-error"),
        ("free_stuff", "Give me more", "Choose what went wrong from the list.", "report-category-error"),
        ("", "Give me more", "Choose what went wrong from the list.", "report-category-error"),
    ):
        response = await page.report(category, message)
        assert response.status_code == 400, (category, message[:20])
        assert_private(response)
        assert says in words(response) and f'id="{field}"' in response.text
        if message.strip() and len(message) < 100:
            assert message in response.text  # what they typed is kept
    assert await unchanged() == before

    # Forged forms: without the page's token, from another site, too big; none counts.
    fields = page.fields(report=True) | {"category": "other", "message": "hello"}
    assert (await api.http.post(page.path, data={**fields, "form_token": "0" * 64})).status_code == 403
    assert (await api.http.post(page.path, data={k: v for k, v in fields.items() if k != "form_token"})).status_code == 403
    cross_site = await api.http.post(page.path, data=fields, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross_site.status_code == 403 and "Open your reward's page" in words(cross_site)
    too_big = "x" * (MAX_BODY_BYTES + 1)  # beyond what a form with its files may carry
    assert (await api.http.post(page.path, data={**fields, "message": too_big})).status_code == 413
    assert (await api.http.post(f"/claim/{'0' * 64}/ticket", data=fields)).status_code == 403  # its form token is not this link's
    assert await unchanged() == before

    # A reply or rating aimed at another reward's ticket, or at no ticket, is refused as forged.
    other_token, _, _ = await delivered_reward(admin, "E-2", programme)
    other = TicketPage(api, other_token)
    await other.open()
    await other.report("not_received", "Nothing came")
    theirs = TICKET_ID.search(other.html).group(1)
    before = await unchanged()
    form_token = page.fields()["form_token"]
    for where, data in (
        ("/reply", {"ticket_id": theirs, "message": "let me in"}),
        ("/rating", {"ticket_id": theirs, "score": "1"}),
        ("/reply", {"ticket_id": "not-a-ticket", "message": "hello"}),
    ):
        response = await api.http.post(page.path + where, data={"form_token": form_token, **data})
        assert response.status_code == 403, where
    assert await unchanged() == before

    # On their own ticket: an empty answer and a rating before resolution are said in words.
    await page.open()
    await page.report("code_invalid", "Refused at the till")
    before = await unchanged()
    empty = await page.reply("")
    assert empty.status_code == 400 and 'id="reply-message-error"' in empty.text and "Write a message" in empty.text
    early = await page.rate("5")
    assert early.status_code == 400 and "rated once, after it is resolved" in words(early)
    assert await unchanged() == before
    await conversation.change_status(AGENT, (await ticket())["id"], "resolved")
    before = await unchanged()
    await page.open()
    silly = await page.rate("11")
    assert silly.status_code == 400 and "Choose one of the five ratings" in words(silly)
    assert await unchanged() == before
    assert (await sql.fetchrow("SELECT csat_score FROM tickets WHERE id = $1", TICKET_ID.search(page.html).group(1)))[
        "csat_score"
    ] is None


async def test_a_reply_after_the_reopen_window_is_refused_and_a_new_report_opens_a_new_ticket(api, admin):
    token, _, _ = await delivered_reward(admin)
    page = TicketPage(api, token)
    await page.open()
    await page.report("code_invalid", "Refused at the till")
    first = await ticket()
    await conversation.change_status(AGENT, first["id"], "resolved")
    await page.open()
    assert "Still not right?" in page.html and "Report a new problem" not in page.html

    # Resolved 8 days ago, past the default 7-day window.
    await sql.fetch("UPDATE tickets SET resolved_at = $2 WHERE id = $1", first["id"], utcnow() - timedelta(days=8))
    refused = await page.reply("It stopped working again")
    assert refused.status_code == 400
    assert "This report is closed and can no longer be reopened: report the problem again below." in words(refused)
    assert "Report a new problem" in refused.text
    assert (await ticket())["status"] == "resolved" and await count("SELECT COUNT(*) FROM ticket_messages") == 1

    fresh = await page.report("code_already_used", "It stopped working again")
    assert "Thank you: your report is in" in words(fresh)
    assert await count("SELECT COUNT(*) FROM tickets") == 2 and (await ticket())["id"] != first["id"]


async def test_forged_ticket_forms_count_against_the_guessing_limit(serve, embedded_redis, admin):
    api = await serve(redis_url=embedded_redis.url, claim_failed_lookups_burst="2", claim_failed_lookups_per_minute="1")
    token, _, _ = await delivered_reward(admin)
    page = TicketPage(api, token)
    await page.open()
    for _ in range(2):
        assert (await api.http.post(page.path, data={"form_token": "0" * 64, "message": "x"})).status_code == 403
    blocked = await api.http.post(page.path, data={"form_token": "0" * 64})
    assert blocked.status_code == 429 and 1 <= int(blocked.headers["retry-after"]) <= 60
    assert (await api.http.get(page.path)).status_code == 429  # even the good page, until it refills
    assert await count("SELECT COUNT(*) FROM tickets") == 0
