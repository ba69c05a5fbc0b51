"""Steps the corrective-action tests share: a partner under review and a live partner to replace
it, each with a live offer, a programme with people, and campaigns that list the old offer."""

from __future__ import annotations

from dataclasses import dataclass

from campaign_steps import make_people, make_programme, offers_campaign
from catalogue_steps import offer_input, onboard_to_live

from backend.catalog.services import offers, routing
from backend.core.authz import Actor
from backend.core.clock import utcnow
from backend.insights.reviews import reviews
from backend.insights.reviews.months import month_text, previous_month


@dataclass
class Scene:
    old_partner: object
    old_offer: object
    new_partner: object
    new_offer: object
    programme: object
    people: list
    active_campaign: object
    scheduled_campaign: object


async def scene(admin: Actor, checker: Actor) -> Scene:
    old_partner, old_offer = await onboard_to_live(admin, checker, name="Slow Coffee")
    old_offer = await offers.change_offer_status(admin, old_offer.id, "live")
    new_partner, new_offer = await onboard_to_live(admin, checker, name="Fast Tea")
    new_offer = await offers.change_offer_status(admin, new_offer.id, "live")
    other = await offers.create_offer(admin, new_partner.id, offer_input(title="Fast Tea mug"), terms="Terms.")
    other = await offers.change_offer_status(admin, other.id, "live")
    programme = await make_programme()
    people = await make_people(3, "RET", business_unit="Retail") + await make_people(2, "LOG", business_unit="Logistics")
    active = await offers_campaign(admin, programme.id, [old_offer.id, other.id], name="Festive vouchers")
    scheduled = await offers_campaign(admin, programme.id, [old_offer.id], activate=False, name="New year vouchers")
    await routing.set_route(admin, old_offer.id, 'business_unit == "Retail"', 20)
    return Scene(old_partner, old_offer, new_partner, new_offer, programme, people, active, scheduled)


async def open_review(admin: Actor, programme_id) -> str:
    """The programme's review of last month, open: the review corrective actions are taken from."""
    month = month_text(previous_month(utcnow().date().replace(day=1)))
    return str((await reviews.start_review(admin, programme_id, month)).review.id)
