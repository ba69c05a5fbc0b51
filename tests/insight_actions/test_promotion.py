"""A targeted promotional push: preview the segment, send to exactly those recipients through the
programme's channels (the sandbox here), by the worker's job, with progress counts."""

import pytest
from action_steps import scene

from backend.core import audit
from backend.core.authz import SYSTEM
from backend.core.errors import DomainError
from backend.deliveries.services import announcements, reading
from backend.insights.actions.services import promotion
from jobs.announcements import send_announcement

SEGMENT = 'business_unit == "Retail"'


async def test_the_preview_count_is_what_is_sent_and_the_sandbox_gets_the_messages(admin, checker):
    s = await scene(admin, checker)
    preview = await promotion.preview_promotion(admin, SEGMENT)
    assert (preview.recipients, preview.total) == (3, 5)

    action = await promotion.send_promotion(
        admin,
        s.programme.id,
        SEGMENT,
        "Try {{ offer_name }}",
        "Hello {{ recipient_name }}, {{ partner_name }} has something new for you.",
        expected_recipients=preview.recipients,
        offer_id=s.new_offer.id,
    )
    assert action.kind == "promotion" and action.partner_id == s.new_partner.id
    before = await promotion.promotion_progress(admin, action)
    assert (before.total, before.sent, before.pending, before.status) == (3, 0, 3, "sending")

    assert await send_announcement({"redis": None}, str(action.announcement_id)) == "sent"  # the worker's job
    done = await promotion.promotion_progress(admin, action)
    assert (done.sent, done.failed, done.pending, done.status) == (preview.recipients, 0, 0, "sent")
    inbox = await reading.sandbox_inbox(admin, s.programme.id)
    assert sorted(message.recipient for message in inbox) == ["ret0@example.com", "ret1@example.com", "ret2@example.com"]
    assert {message.subject for message in inbox} == {"Try Fast Tea e-voucher"}
    assert "Hello Person RET 0, Fast Tea has something new" in next(m.text for m in inbox if m.recipient == "ret0@example.com")

    # A second run sends nothing twice.
    view, wait = await announcements.send_batch(action.announcement_id)
    assert (view.sent, wait) == (3, 0.0)
    assert len(await reading.sandbox_inbox(admin, s.programme.id)) == 3
    assert (await audit.search(SYSTEM, audit.AuditFilter(action="insight_action.promotion"))).total == 1
    assert (await audit.search(SYSTEM, audit.AuditFilter(action="announcement.requested"))).total == 1


async def test_a_send_refuses_a_segment_that_changed_since_its_preview_and_a_reward_only_variable(admin, checker):
    s = await scene(admin, checker)
    with pytest.raises(DomainError) as changed:
        await promotion.send_promotion(admin, s.programme.id, SEGMENT, "Hi", "Hello", expected_recipients=2)
    assert changed.value.code == "RECIPIENTS_CHANGED"
    with pytest.raises(DomainError) as reward_only:
        await promotion.send_promotion(admin, s.programme.id, SEGMENT, "Hi", "Claim at {{ claim_url }}", expected_recipients=3)
    assert reward_only.value.code == "UNKNOWN_VARIABLE"
    with pytest.raises(DomainError) as bad_rule:
        await promotion.preview_promotion(admin, "business_unit ==")
    assert bad_rule.value.code == "INVALID_RULE"
    assert await announcements.unfinished_announcements() == []
