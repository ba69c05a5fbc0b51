import pytest
from catalogue_steps import offer_input

from backend.catalog.eligibility import RuleError
from backend.catalog.services import eligibility, offers
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput

PEOPLE = [
    # external id, country, HR attributes
    ("E1", "IN", {"grade": 5, "department": "Sales", "tenure": 3}),
    ("E2", "IN", {"grade": 4, "department": "Sales", "tenure": 0}),
    ("E3", "DE", {"grade": 7, "department": "R&D"}),
    ("E4", "US", {"grade": 9, "department": "Sales", "tenure": 10}),
    ("E5", None, {"department": "Finance", "tenure": 2}),
]


@pytest.fixture
async def people(admin):
    made = {}
    for external_id, country, hr in PEOPLE:
        made[external_id] = (
            await recipients.upsert_recipient(
                admin,
                RecipientInput(
                    external_id=external_id,
                    full_name=f"Person {external_id}",
                    email=f"{external_id.lower()}@example.com",
                    country=country,
                    hr_attributes=hr,
                ),
            )
        ).recipient
    return made


@pytest.mark.parametrize(
    "rule, eligible",
    [
        ("", 5),
        ("country in [IN, DE] and grade >= 5", 2),  # E1, E3
        ('department == "Sales" or not (tenure < 1)', 5),  # E1, E2, E4 by department; E5 by tenure; E3 has none: not (…) holds
        ('department == "Sales" and not (tenure < 1)', 2),  # E1, E4
        ("grade < 5", 1),  # E2 only: E5 has no grade
        ("not (grade >= 5)", 2),  # E2 and E5
        ("tenure != 3", 3),  # E2, E4, E5; E3 has no tenure
    ],
)
async def test_preview_counts_in_the_database(admin, people, rule, eligible):
    preview = await eligibility.preview_eligibility(admin, rule)
    assert (preview.eligible, preview.total) == (eligible, 5)


async def test_preview_refuses_a_bad_rule_with_its_position(admin, people):
    with pytest.raises(RuleError) as caught:
        await eligibility.preview_eligibility(admin, "country in [IN, DE")
    assert caught.value.position == 18 and str(caught.value).endswith("expected ']' at 18")
    assert eligibility.check_rule("grade>=5 and country in [IN]") == "grade >= 5 and country in [IN]"


async def test_one_evaluator_answers_per_recipient_and_per_offer(admin, checker, people, live):
    partner, offer = live
    offer = await offers.update_offer(admin, offer.id, offer_input(eligibility_rule="country in [IN, DE] and grade >= 5"))
    await offers.change_offer_status(admin, offer.id, "live")
    everyone = await offers.create_offer(admin, partner.id, offer_input(title="For everyone"), terms="T&C")
    await offers.change_offer_status(admin, everyone.id, "live")
    assert await eligibility.is_eligible(admin, offer.id, people["E1"].id)
    assert not await eligibility.is_eligible(admin, offer.id, people["E2"].id)
    assert [o.title for o in await eligibility.eligible_offers(admin, people["E3"].id)] == [
        "Chai Point e-voucher",
        "For everyone",
    ]
    assert [o.title for o in await eligibility.eligible_offers(admin, people["E4"].id)] == ["For everyone"]
    preview = await eligibility.offer_eligibility_preview(admin, offer.id)
    assert (preview.rule, preview.eligible, preview.total) == ("country in [IN, DE] and grade >= 5", 2, 5)
