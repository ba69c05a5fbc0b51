"""Offer codes: made from partner, country and amount when none is given, numbered when taken,
validated, unique, editable, audited, found by search; and eligibility refusals in plain words."""

import pytest
from catalogue_steps import offer_input

from backend.catalog.eligibility import parse
from backend.catalog.eligibility.refusals import explain
from backend.catalog.services import offer_codes, offers
from backend.catalog.services.offer_rules import DenominationRange
from backend.catalog.services.offers import OfferFilter
from backend.core import audit
from backend.core.errors import DomainError


async def test_a_code_is_made_when_none_is_given_and_numbered_when_taken(admin, onboarding_partner):
    first = await offers.create_offer(admin, onboarding_partner.id, offer_input(denominations=[50000]))
    second = await offers.create_offer(admin, onboarding_partner.id, offer_input(denominations=[50000]))
    ranged = await offers.create_offer(
        admin,
        onboarding_partner.id,
        offer_input(denominations=None, denomination_range=DenominationRange(10000, 500050, 50)),
    )
    assert (first.code, second.code, ranged.code) == ("DRAFT-IN-500", "DRAFT-IN-500-2", "DRAFT-IN-100-5000.50")
    assert await offer_codes.offer_id_by_code("draft-in-500-2") == second.id


async def test_a_given_code_is_normalised_validated_unique_and_editable(admin, onboarding_partner):
    offer = await offers.create_offer(admin, onboarding_partner.id, offer_input(code=" shop-in-500 "))
    assert offer.code == "SHOP-IN-500"
    for bad in ("-X", "A", "SHOP IN 500", "X" * 41):
        with pytest.raises(DomainError) as caught:
            await offers.create_offer(admin, onboarding_partner.id, offer_input(code=bad))
        assert (caught.value.code, caught.value.errors[0].field) == ("INVALID_OFFER_CODE", "code")
    with pytest.raises(DomainError) as caught:
        await offers.create_offer(admin, onboarding_partner.id, offer_input(code="Shop-IN-500"))
    assert caught.value.code == "OFFER_CODE_TAKEN" and "Chai Point e-voucher" in caught.value.errors[0].message
    kept = await offers.update_offer(admin, offer.id, offer_input(title="Renamed"))
    assert kept.code == "SHOP-IN-500"  # left empty: kept
    changed = await offers.update_offer(admin, offer.id, offer_input(title="Renamed", code="SHOP-IN-FIVE"))
    assert changed.code == "SHOP-IN-FIVE"
    updates = [entry for entry in await audit.entity_history(admin, "offer", offer.id) if entry["action"] == "offer.updated"]
    assert any(entry["before"]["code"] == "SHOP-IN-500" and entry["after"]["code"] == "SHOP-IN-FIVE" for entry in updates), (
        updates
    )
    found = await offers.list_offers(admin, OfferFilter(search="in-five"))
    assert [row.id for row in found.rows] == [offer.id]


@pytest.mark.parametrize(
    ("rule", "attributes", "said"),
    [
        ("country in [IN, DE]", {}, "country is missing; the offer is for IN, DE"),
        ("country in [IN, DE]", {"country": "FR"}, "country is FR; the offer is for IN, DE"),
        ("grade >= 5", {"grade": 3}, "grade is 3; the offer needs grade 5 or more"),
        ("grade >= 5", {"grade": "7"}, 'grade is "7" (text, not number); the offer needs grade 5 or more'),
        ("not (tenure < 1)", {"tenure": 0}, "tenure is 0; the offer needs tenure 1 or more"),
        ("unit not in [Retail]", {"unit": "Retail"}, "unit is Retail; the offer is not for Retail"),
        ("country == IN and grade >= 5", {"country": "IN", "grade": 9}, ""),
        (
            "country == IN and grade >= 5",
            {"grade": 1},
            "country is missing; the offer needs country IN; grade is 1; the offer needs grade 5 or more",
        ),
    ],
)
def test_a_refusal_names_the_missing_or_failing_attribute(rule, attributes, said):
    assert explain(parse(rule), attributes) == said
