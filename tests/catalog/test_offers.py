from datetime import date, timedelta

import pytest
from catalogue_steps import offer_input, profile

from backend.catalog.services import offers, ranking, terms
from backend.catalog.services.offer_rules import DenominationRange
from backend.catalog.services.offers import OfferFilter
from backend.catalog.tables import Offer, TermsVersion
from backend.catalog.views import valid_denomination
from backend.core import audit
from backend.core.clock import utcnow
from backend.core.errors import DomainError
from backend.partners.services import profiles


async def refused(code: str, call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    assert caught.value.code == code, caught.value
    return caught.value


async def test_an_offer_is_created_as_a_draft_with_terms_version_one(admin, draft_offer, onboarding_partner):
    assert (draft_offer.status, draft_offer.partner_id, draft_offer.partner_name) == (
        "draft",
        onboarding_partner.id,
        "Draft Partner",
    )
    assert (draft_offer.country, draft_offer.currency, draft_offer.category, draft_offer.category_restrictions) == (
        "IN",
        "INR",
        "dining",
        ("alcohol",),
    )
    assert draft_offer.denominations.amounts == (50000, 100000) and draft_offer.expiry.days == 365
    current = await terms.current_terms(admin, draft_offer.id)
    assert current.version == 1 and current.id == draft_offer.current_terms_version_id
    assert (await audit.entity_history(admin, "offer", draft_offer.id))[0]["action"] == "offer.created"


async def test_every_problem_is_reported_at_once_and_nothing_is_written(admin, onboarding_partner):
    with pytest.raises(DomainError) as caught:
        await offers.create_offer(
            admin,
            onboarding_partner.id,
            offer_input(
                title="",
                country="XX",
                currency="RUPEES",
                category="",
                denominations=[500, -1],
                expiry_days=None,
                expiry_date=utcnow().date(),
                image_url="http://cdn.example.com/x.png",
                eligibility_rule="grade >= ",
                low_stock_threshold=-1,
            ),
        )
    found = {(error.field, error.code) for error in caught.value.errors}
    assert found == {
        ("title", "REQUIRED"),
        ("country", "INVALID_COUNTRY"),
        ("currency", "INVALID_CURRENCY"),
        ("category", "REQUIRED"),
        ("denominations", "INVALID_DENOMINATIONS"),
        ("expiry_date", "EXPIRY_IN_PAST"),
        ("image_url", "INVALID_IMAGE_URL"),
        ("eligibility_rule", "INVALID_RULE"),
        ("low_stock_threshold", "INVALID_THRESHOLD"),
    }
    assert "expected a value (a number, text, true or false) at 9" in str(caught.value)
    assert await Offer.count() == 0


@pytest.mark.parametrize("currency", ["XAU", "xdr"])
async def test_an_offer_in_a_currency_without_minor_units_is_refused_when_created_or_edited(
    admin, onboarding_partner, draft_offer, currency
):
    created = await refused("INVALID_CURRENCY", offers.create_offer(admin, onboarding_partner.id, offer_input(currency=currency)))
    assert [(e.field, e.message) for e in created.errors] == [
        ("currency", f"{currency.upper()} has no minor unit in ISO 4217: amounts cannot be kept in it")
    ]
    await refused("INVALID_CURRENCY", offers.update_offer(admin, draft_offer.id, offer_input(currency=currency)))
    assert await Offer.count() == 1 and (await offers.get_offer(admin, draft_offer.id)).currency == "INR"


async def test_an_offer_in_yen_keeps_whole_yen(admin, onboarding_partner, draft_offer):
    yen = await offers.create_offer(admin, onboarding_partner.id, offer_input(currency="jpy", denominations=[500, 1000]))
    assert (yen.currency, yen.denominations.amounts) == ("JPY", (500, 1000))
    assert (await offers.update_offer(admin, draft_offer.id, offer_input(currency="JPY"))).currency == "JPY"


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"denominations": None}, "DENOMINATIONS_REQUIRED"),
        ({"denomination_range": DenominationRange(1000, 5000, 500)}, "DENOMINATIONS_REQUIRED"),  # both given
        ({"denominations": [500, 500]}, "DUPLICATE_DENOMINATION"),
        ({"denominations": None, "denomination_range": DenominationRange(1000, 5100, 500)}, "INVALID_RANGE"),
        ({"denominations": None, "denomination_range": DenominationRange(5000, 1000, 500)}, "INVALID_RANGE"),
        ({"expiry_date": date(2099, 1, 1)}, "EXPIRY_REQUIRED"),  # both given
        ({"expiry_days": 0}, "INVALID_EXPIRY"),
        ({"image_url": "https://"}, "INVALID_IMAGE_URL"),
        ({"image_url": "https://user:pw@cdn.example.com/a.png"}, "INVALID_IMAGE_URL"),
        ({"image_url": "javascript:alert(1)"}, "INVALID_IMAGE_URL"),
    ],
)
async def test_bad_details_are_refused(admin, onboarding_partner, changes, code):
    with pytest.raises(DomainError) as caught:
        await offers.create_offer(admin, onboarding_partner.id, offer_input(**changes))
    assert code in {error.code for error in caught.value.errors}


async def test_denominations_fixed_or_ranged(admin, onboarding_partner):
    fixed = await offers.create_offer(admin, onboarding_partner.id, offer_input())
    ranged = await offers.create_offer(
        admin,
        onboarding_partner.id,
        offer_input(
            denominations=None,
            denomination_range=DenominationRange(minimum=10000, maximum=50000, step=2500),
            expiry_days=None,
            expiry_date=utcnow().date() + timedelta(days=90),
        ),
    )
    assert [a for a in (49999, 50000, 75000, 100000) if valid_denomination(fixed, a)] == [50000, 100000]
    assert [a for a in (7500, 10000, 12500, 13000, 50000, 52500) if valid_denomination(ranged, a)] == [10000, 12500, 50000]
    assert not valid_denomination(fixed, True) and not valid_denomination(ranged, 12500.0)
    assert ranged.expiry.kind == "fixed_date" and ranged.expiry.expires_on(utcnow()) == utcnow().date() + timedelta(days=90)
    issued = utcnow()
    assert fixed.expiry.expires_on(issued) == issued.date() + timedelta(days=365)


async def test_only_an_offer_of_a_live_partner_with_terms_goes_live(admin, checker, onboarding_partner, live):
    draft_partner_offer = await offers.create_offer(admin, onboarding_partner.id, offer_input(), terms="T&C")
    error = await refused("PARTNER_NOT_LIVE", offers.change_offer_status(admin, draft_partner_offer.id, "live"))
    assert "Draft Partner is onboarding" in error.errors[0].message
    partner, offer = live
    without_terms = await offers.create_offer(admin, partner.id, offer_input(title="No terms yet"))
    await refused("TERMS_REQUIRED", offers.change_offer_status(admin, without_terms.id, "live"))
    published = await offers.change_offer_status(admin, offer.id, "live")
    assert published.status == "live" and published.is_available
    # pausing the partner takes its offers off the shelf without touching their status
    await profiles.pause_partner(admin, partner.id, reason="stock audit")
    paused_partner_offer = await offers.get_offer(admin, offer.id)
    assert paused_partner_offer.status == "live" and not paused_partner_offer.is_available
    assert (await offers.list_offers(admin, OfferFilter(available_only=True))).total == 0
    await profiles.resume_partner(admin, partner.id)
    assert (await offers.list_offers(admin, OfferFilter(available_only=True))).total == 1


async def test_status_moves_along_its_transitions(admin, draft_offer):
    await refused("INVALID_STATUS_CHANGE", offers.change_offer_status(admin, draft_offer.id, "paused"))
    await refused("INVALID_STATUS", offers.change_offer_status(admin, draft_offer.id, "draft"))
    retired = await offers.change_offer_status(admin, draft_offer.id, "retired", reason="replaced")
    assert retired.status == "retired"
    await refused("INVALID_STATUS_CHANGE", offers.change_offer_status(admin, draft_offer.id, "live"))
    await refused("OFFER_RETIRED", offers.update_offer(admin, draft_offer.id, offer_input()))
    await refused("OFFER_RETIRED", terms.revise_terms(admin, draft_offer.id, "new terms"))


async def test_an_offboarded_partner_takes_no_offers(admin):
    partner = await profiles.create_partner(admin, profile(name="Gone"))
    await profiles.offboard_partner(admin, partner.id, reason="closed")
    await refused("PARTNER_OFFBOARDED", offers.create_offer(admin, partner.id, offer_input()))


async def test_terms_are_versioned_and_old_versions_stay_readable(admin, draft_offer):
    first = await terms.current_terms(admin, draft_offer.id)
    second = await terms.revise_terms(admin, draft_offer.id, "Version two: also valid online.")
    assert second.version == 2 and (await offers.get_offer(admin, draft_offer.id)).current_terms_version_id == second.id
    same = await terms.revise_terms(admin, draft_offer.id, "  Version two: also valid online. ")
    assert same.id == second.id and await TermsVersion.count() == 2
    assert (await terms.terms_version(admin, first.id)).body == "Version one of the terms."
    assert [v.version for v in await terms.terms_history(admin, draft_offer.id)] == [1, 2]
    await refused("REQUIRED", terms.revise_terms(admin, draft_offer.id, "  "))


async def test_update_replaces_details_and_canonicalises_the_rule(admin, draft_offer):
    updated = await offers.update_offer(
        admin, draft_offer.id, offer_input(eligibility_rule="country in [IN,DE]   and grade>=5", low_stock_threshold=10)
    )
    assert updated.eligibility_rule == "country in [IN, DE] and grade >= 5" and updated.low_stock_threshold == 10
    entry = (await audit.entity_history(admin, "offer", draft_offer.id))[0]
    assert entry["action"] == "offer.updated" and entry["after"]["eligibility_rule"] == updated.eligibility_rule


async def test_filters(admin, onboarding_partner):
    await offers.create_offer(admin, onboarding_partner.id, offer_input(title="Chai India"))
    await offers.create_offer(
        admin, onboarding_partner.id, offer_input(title="Kaffee Berlin", country="DE", currency="EUR", category="Coffee")
    )

    async def titles(**criteria):
        return [o.title for o in (await offers.list_offers(admin, OfferFilter(**criteria))).rows]

    assert await titles(country="de") == ["Kaffee Berlin"]
    assert await titles(currency="inr", category="dining") == ["Chai India"]
    assert await titles(status="draft", partner_id=onboarding_partner.id) == ["Chai India", "Kaffee Berlin"]
    assert await titles(search="BERLIN") == ["Kaffee Berlin"]


async def test_rerank_moves_the_listed_offers_among_their_places(admin, onboarding_partner):
    made = [
        await offers.create_offer(admin, onboarding_partner.id, offer_input(title=title, country=country))
        for title, country in (("A", "IN"), ("B", "DE"), ("C", "IN"), ("D", "DE"), ("E", "IN"))
    ]
    a, b, c, d, e = (offer.id for offer in made)

    async def order():
        return [o.title for o in (await offers.list_offers(admin)).rows]

    assert await order() == ["A", "B", "C", "D", "E"]
    # drag-and-drop within the Indian offers only: the German ones keep their places
    reranked = await ranking.rerank_offers(admin, [e, a, c])
    assert [o.title for o in reranked] == ["E", "A", "C"]
    assert await order() == ["E", "B", "A", "D", "C"]
    assert sorted(o.rank for o in (await offers.list_offers(admin)).rows) == [1, 2, 3, 4, 5]
    await ranking.rerank_offers(admin, [d, c, b, a, e])
    assert await order() == ["D", "C", "B", "A", "E"]
    await refused("DUPLICATE_OFFER", ranking.rerank_offers(admin, [a, a]))
    await refused("NOT_FOUND", ranking.rerank_offers(admin, [a, onboarding_partner.id]))
    assert await order() == ["D", "C", "B", "A", "E"]
