"""The recipient's claim page through real HTTP: the reward in words, its code or points revealed
once on a click (one activation, however many clicks), the states that say no, an unknown link,
the guessing limit, and the headers that keep the page private."""

from __future__ import annotations

import html as html_text
import json
import os
import re
import sys
from datetime import timedelta

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "campaigns"))  # campaign_steps
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "deliveries"))  # delivery_steps

from campaign_steps import TERMS, api_key_actor, make_programme, offers_campaign, role_actor, stocked_live_offer  # noqa: E402
from delivery_steps import QUICK, Programme, count, delivery_row, handle, person  # noqa: E402

from backend.catalog.services import allocation  # noqa: E402
from backend.core import outbox, sql  # noqa: E402
from backend.core.clock import utcnow  # noqa: E402
from backend.deliveries import claim_links  # noqa: E402
from backend.deliveries.services import claims, sending  # noqa: E402
from backend.rewards.services.issuance import RewardRequest, issue_reward  # noqa: E402
from jobs.outbox import registered_handlers  # noqa: E402

CODE = re.compile(r"CHA-\d{4}")
FORM_TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{64})"')


@pytest.fixture
def checker():
    return role_actor("admin", "checker@example.com")


async def voucher_reward(admin, checker, *, send: bool = True):
    """Asha's ₹500.00 Chai Point voucher, delivered by the sandbox (or not yet); returns (token, issuance id)."""
    offer = await stocked_live_offer(admin, checker)
    programme = await make_programme()
    campaign = await offers_campaign(admin, programme.id, [offer.id])
    asha = await person("E-1", name="Asha Rao", email="asha@example.com")
    outcome = await issue_reward(api_key_actor(), RewardRequest(campaign.id, asha.id, offer.id, 50000, idempotency_key="o-1"))
    await handle(outcome.issuance_id)
    row = await delivery_row(outcome.issuance_id)
    if send:
        assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    return claim_links.claim_token(row["id"]), outcome.issuance_id


async def events(topic: str) -> list[dict]:
    rows = await sql.fetch("SELECT payload FROM outbox_events WHERE topic = $1", topic)
    return [json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"] for row in rows]


async def reveal(api, token: str, page_html: str, **headers):
    form_token = FORM_TOKEN.search(page_html).group(1)
    return await api.http.post(f"/claim/{token}/reveal", data={"form_token": form_token}, headers=headers)


def words(response) -> str:
    return html_text.unescape(response.text)


def assert_private(response) -> None:
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "noindex" in response.headers["x-robots-tag"]
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "style-src 'self'" in policy and "form-action 'self'" in policy
    assert "unsafe-inline" not in policy and "script-src" not in policy  # no script may run at all


async def test_the_page_shows_the_reward_and_the_code_only_after_the_click_recorded_once(api, admin, checker):
    token, issuance_id = await voucher_reward(admin, checker)

    page = await api.http.get(f"/claim/{token}")
    assert page.status_code == 200, page.text
    assert_private(page)
    html = page.text
    expires_on = utcnow().date() + timedelta(days=365)
    for words in ("Chai Point e-voucher", "Chai Point", "₹500.00", f"Use it by {expires_on.day} {expires_on:%B %Y}", TERMS):
        assert words in html
    assert "Asha, a reward from" in html and "Festive vouchers" in html
    assert "Show my code" in html and not CODE.search(html)  # a GET (a link scanner, a preview) never reveals
    assert not re.search(r"<script|https?://(?!127\.0\.0\.1)", html)  # no script, no third-party asset
    assert "Report a problem" in html and f'href="/claim/{token}/ticket"' in html  # the complaint desk's door
    assert (await claims.find_claim(token)).recipient_name == "Asha Rao"  # whose link it is, recording nothing
    assert await count("SELECT COUNT(*) FROM claim_events") == 1
    await api.http.get(f"/claim/{token}")  # a second view records nothing more
    assert await count("SELECT COUNT(*) FROM claim_events WHERE kind = 'viewed'") == 1
    (viewed,) = await events("reward.claim_viewed")

    revealed = await reveal(api, token, html)
    assert revealed.status_code == 200, revealed.text
    assert_private(revealed)
    code = CODE.search(revealed.text).group(0)
    assert "PIN" in revealed.text and "First shown on" in revealed.text
    again = await reveal(api, token, html)  # a double click, a second tab
    assert CODE.search(again.text).group(0) == code
    assert await count("SELECT COUNT(*) FROM claim_events WHERE kind = 'activated'") == 1
    (activated,) = await events("reward.activated")
    delivery = await delivery_row(issuance_id)
    assert activated.keys() == viewed.keys() == {
        "issuance_id", "delivery_id", "recipient_id", "offer_id", "campaign_id", "programme_id", "at"
    }  # fmt: skip
    assert (activated["issuance_id"], activated["delivery_id"], activated["recipient_id"]) == (
        str(issuance_id),
        str(delivery["id"]),
        str(delivery["recipient_id"]),
    )
    assert (activated["campaign_id"], activated["programme_id"]) == (str(delivery["campaign_id"]), str(delivery["programme_id"]))
    assert activated["offer_id"] is not None
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'reward.activated'") == 1

    later = await api.http.get(f"/claim/{token}")
    assert "Show my code again" in later.text and "First shown on" in later.text and not CODE.search(later.text)

    # The worker hands both events to partner performance (insights) and marks them done: nothing retried or parked.
    rows = await sql.fetch("SELECT id FROM outbox_events WHERE topic IN ('reward.claim_viewed', 'reward.activated')")
    for row in rows:
        assert await outbox.process(row["id"], registered_handlers()) == "done"
    assert (
        await count(
            "SELECT COUNT(*) FROM outbox_events WHERE topic IN ('reward.claim_viewed', 'reward.activated') AND status <> 'done'"
        )
        == 0
    )


async def test_a_points_reward_shows_its_points_on_the_click(api, admin):
    shop = await Programme(admin).start()
    asha = await person("E-1", name="Asha Rao", email="asha@example.com")
    issuance_id = await shop.issue(asha.id)
    await handle(issuance_id)
    row = await delivery_row(issuance_id)
    assert (await sending.send_delivery(row["id"], QUICK)).status == "sent"
    token = claim_links.claim_token(row["id"])

    page = await api.http.get(f"/claim/{token}")
    assert "Points from Quarterly stars" in page.text and "Show my points" in page.text and "1,500" not in page.text
    revealed = await reveal(api, token, page.text)
    assert "1,500 points" in revealed.text and "added to your points balance" in revealed.text
    (activated,) = await events("reward.activated")
    assert activated["offer_id"] is None


async def test_a_reward_not_sent_yet_expired_or_withdrawn_says_so_and_reveals_nothing(api, admin, checker):
    token, issuance_id = await voucher_reward(admin, checker, send=False)
    page = await api.http.get(f"/claim/{token}")
    assert page.status_code == 200 and "hasn't been sent to you yet" in words(page) and "Show my code" not in page.text
    await sending.send_delivery((await delivery_row(issuance_id))["id"], QUICK)
    page = await api.http.get(f"/claim/{token}")
    assert "Show my code" in page.text

    # Issued 400 days ago under a 365-day expiry.
    issued_at = utcnow() - timedelta(days=400)
    await sql.run(sql.Statement("UPDATE reward_issuances SET issued_at = $1 WHERE id = $2", (issued_at, issuance_id)))
    page = await api.http.get(f"/claim/{token}")
    expired_on = issued_at.date() + timedelta(days=365)
    assert f"This reward expired on {expired_on.day} {expired_on:%B %Y}" in page.text
    assert "Show my code" not in page.text and "How to redeem" not in page.text
    forced = await api.http.post(f"/claim/{token}/reveal", data={"form_token": FORM_TOKEN.search(page.text) or ""})
    assert forced.status_code == 403  # the expired page has no form to send

    await sql.run(sql.Statement("UPDATE reward_issuances SET issued_at = $1 WHERE id = $2", (utcnow(), issuance_id)))
    await allocation.release_allocation(admin, issuance_id)  # its code taken back
    page = await api.http.get(f"/claim/{token}")
    assert "This reward was withdrawn" in page.text and "Show my code" not in page.text
    from backend.api.claims.forms import form_token

    refused = await api.http.post(f"/claim/{token}/reveal", data={"form_token": form_token(token)})
    assert refused.status_code == 200 and "withdrawn" in refused.text and not CODE.search(refused.text)
    assert await count("SELECT COUNT(*) FROM claim_events WHERE kind = 'activated'") == 0
    assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic = 'reward.activated'") == 0


async def test_an_unknown_link_is_a_plain_404_that_reveals_nothing(api, admin, checker):
    await voucher_reward(admin, checker)
    for path in ("/claim/" + "0" * 64, "/claim/not-a-token", "/claim/%3Cscript%3E"):
        response = await api.http.get(path)
        assert response.status_code == 404, path
        assert_private(response)
        assert "Link not found" in response.text
        assert not re.search(r"Chai|₹|Asha|<script", response.text)


async def test_a_reveal_from_another_site_or_without_the_pages_form_is_refused(api, admin, checker):
    token, _ = await voucher_reward(admin, checker)
    html = (await api.http.get(f"/claim/{token}")).text
    assert (await api.http.post(f"/claim/{token}/reveal", data={"form_token": "0" * 64})).status_code == 403
    assert (await api.http.post(f"/claim/{token}/reveal")).status_code == 403
    assert (await api.http.post(f"/claim/{token}/reveal", data={"form_token": "x" * 10_000})).status_code == 413
    assert (await reveal(api, token, html, **{"Sec-Fetch-Site": "cross-site"})).status_code == 403
    assert (await reveal(api, token, html, Origin="https://evil.example")).status_code == 403
    assert await count("SELECT COUNT(*) FROM claim_events WHERE kind = 'activated'") == 0
    same_site = await reveal(api, token, html, Origin=str(api.http.base_url).rstrip("/"), **{"Sec-Fetch-Site": "same-origin"})
    assert same_site.status_code == 200 and CODE.search(same_site.text)


async def test_guessing_links_is_answered_429_with_retry_after_per_client(serve, embedded_redis, admin, checker):
    api = await serve(redis_url=embedded_redis.url, claim_failed_lookups_burst="3", claim_failed_lookups_per_minute="1")
    token, _ = await voucher_reward(admin, checker)
    assert (await api.http.get(f"/claim/{token}")).status_code == 200  # a good link counts nothing
    for attempt in range(3):
        assert (await api.http.get(f"/claim/{attempt:064x}")).status_code == 404
    blocked = await api.http.get(f"/claim/{3:064x}")
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert "Too many tries" in blocked.text
    assert_private(blocked)
    still = await api.http.get(f"/claim/{token}")  # the client is blocked, even on a good link
    assert still.status_code == 429
    assert (await api.http.post(f"/claim/{token}/reveal", data={"form_token": "x"})).status_code == 429


async def test_the_stylesheet_is_served_by_the_api_itself(api):
    response = await api.http.get("/claim-assets/claim.css")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/css")
    assert ".card" in response.text


def test_the_report_a_problem_section_shows_only_with_its_link_and_every_value_is_escaped():
    import uuid

    from backend.api.claims import routes, words
    from backend.deliveries.services.claims import CLAIMABLE, ClaimView

    ids = [uuid.uuid4() for _ in range(6)]
    claim = ClaimView(
        *ids, state=CLAIMABLE, recipient_name="Asha Rao", campaign_name="<i>Festive</i>", offer_title="<script>x()</script>",
        partner_name="Chai & Co", offer_description="", how_to_redeem="Show the code\nat the till", value=50000,
        currency="INR", expires_on=None, language="en", activated_at=None,
    )  # fmt: skip
    template = routes.template_config().instance.get_template("claims/claim.html")
    plain = template.render(words.claim_context(claim, "a" * 64, "b" * 64))
    assert "Report a problem" not in plain
    assert "<script>" not in plain and "&lt;script&gt;x()&lt;/script&gt;" in plain and "&lt;i&gt;Festive" in plain
    assert "Chai &amp; Co" in plain
    linked = template.render(words.claim_context(claim, "a" * 64, "b" * 64, report_problem_url="/claim/aaa/report?x=1&y=2"))
    assert "Report a problem" in linked and 'href="/claim/aaa/report?x=1&amp;y=2"' in linked


async def test_reveals_at_the_same_moment_make_one_activation(api, admin, checker):
    import asyncio

    token, _ = await voucher_reward(admin, checker)
    html = (await api.http.get(f"/claim/{token}")).text
    responses = await asyncio.gather(*(reveal(api, token, html) for _ in range(6)))
    assert [response.status_code for response in responses] == [200] * 6
    assert len({CODE.search(response.text).group(0) for response in responses}) == 1
    assert await count("SELECT COUNT(*) FROM claim_events WHERE kind = 'activated'") == 1
    assert await count("SELECT COUNT(*) FROM outbox_events WHERE topic = 'reward.activated'") == 1
    assert await count("SELECT COUNT(*) FROM audit_events WHERE action = 'reward.activated'") == 1


async def test_with_redis_down_claim_pages_are_served_unlimited(serve, embedded_redis, admin, checker):
    embedded_redis.stop()
    api = await serve(redis_url=embedded_redis.url, claim_failed_lookups_burst="1")
    token, _ = await voucher_reward(admin, checker)
    for attempt in range(3):
        assert (await api.http.get(f"/claim/{attempt:064x}")).status_code == 404
    assert (await api.http.get(f"/claim/{token}")).status_code == 200
