"""A closed review is immutable: a corrective action taken from it is refused with REVIEW_CLOSED
(saying who closed it) and changes nothing; the same action on an open review is recorded on it."""

import pytest
from action_steps import scene

from backend.catalog.services import offers
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.insights.actions.services import catalogue_actions, records
from backend.insights.reviews import reviews
from backend.insights.reviews.months import month_text, previous_month


async def test_an_action_on_a_closed_review_is_refused_and_changes_nothing(admin, checker):
    s = await scene(admin, checker)
    month = month_text(previous_month(utcnow().date().replace(day=1)))
    review = (await reviews.start_review(admin, s.programme.id, month)).review
    opened = await catalogue_actions.rerank(
        admin, [s.new_offer.id, s.old_offer.id], partner_id=s.old_partner.id, review_id=review.id
    )
    assert opened.review_id == review.id
    await reviews.close_review(admin, review.id)

    order = [offer.id for offer in (await offers.list_offers(admin)).rows]
    with pytest.raises(DomainError) as refused:
        await catalogue_actions.rerank(admin, [s.old_offer.id, s.new_offer.id], partner_id=s.old_partner.id, review_id=review.id)
    assert refused.value.errors[0].code == "REVIEW_CLOSED"
    assert "closed by" in refused.value.errors[0].message
    assert [offer.id for offer in (await offers.list_offers(admin)).rows] == order
    assert [action.id for action in await records.list_actions(admin, review_id=review.id)] == [opened.id]


async def test_an_action_naming_a_review_that_does_not_exist_is_refused_and_changes_nothing(admin, checker):
    s = await scene(admin, checker)
    order = [offer.id for offer in (await offers.list_offers(admin)).rows]
    with pytest.raises(DomainError) as refused:
        await catalogue_actions.rerank(
            admin, [s.new_offer.id, s.old_offer.id], partner_id=s.old_partner.id, review_id="0190b2f0-0000-7000-8000-0000000000aa"
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [("review_id", "NOT_FOUND")]
    assert [offer.id for offer in (await offers.list_offers(admin)).rows] == order
    assert await records.list_actions(admin) == []
