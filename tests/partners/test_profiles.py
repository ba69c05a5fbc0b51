import pytest
from onboarding_steps import profile, role_actor

from backend.core import audit
from backend.core.authz import SYSTEM
from backend.core.errors import DomainError, PermissionDenied
from backend.partners.services import profiles
from backend.partners.services.profiles import PartnerFilter
from backend.partners.tables import Partner
from backend.partners.views import Contact


async def test_profile_is_normalised_and_audited(admin):
    partner = await profiles.create_partner(
        admin, profile(name="  Chai   Point ", reward_types=["Voucher", "gift_card", "voucher"])
    )
    assert partner.name == "Chai Point" and partner.status == "onboarding" and partner.source == "client_sourced"
    assert partner.countries == ("DE", "IN") and partner.reward_types == ("gift_card", "voucher") and partner.category == "dining"
    assert partner.contacts == (
        Contact(name="Ravi Menon", role="Partnerships", email="Ravi@chaipoint.example", phone="+919812345678"),
    )
    history = await audit.entity_history(admin, "partner", partner.id)
    assert [entry["action"] for entry in history] == ["partner.created"] and history[0]["after"]["name"] == "Chai Point"


async def test_every_problem_is_reported_at_once_and_nothing_is_written(admin):
    with pytest.raises(DomainError) as refused:
        await profiles.create_partner(
            admin,
            profile(
                name=" ",
                source="agency",
                category="",
                countries=["Narnia"],
                reward_types=["cash"],
                contacts=[Contact(name="", email="not-an-email"), {"name": "No Way To Reach"}],
            ),
        )
    found = {(error.field, error.code) for error in refused.value.errors}
    assert found == {
        ("name", "REQUIRED"),
        ("source", "INVALID_SOURCE"),
        ("category", "REQUIRED"),
        ("countries", "INVALID_COUNTRY"),
        ("reward_types", "INVALID_REWARD_TYPE"),
        ("contacts[0].name", "REQUIRED"),
        ("contacts[0].email", "INVALID_EMAIL"),
        ("contacts[1]", "MISSING_CONTACT"),
    }
    assert await Partner.count() == 0


async def test_names_are_unique_case_insensitively(admin):
    await profiles.create_partner(admin, profile(name="Chai Point"))
    with pytest.raises(DomainError) as refused:
        await profiles.create_partner(admin, profile(name="CHAI POINT"))
    assert refused.value.code == "NAME_TAKEN"


async def test_update_replaces_the_profile_and_records_before_and_after(admin):
    partner = await profiles.create_partner(admin, profile())
    updated = await profiles.update_partner_profile(admin, partner.id, profile(category="Coffee", countries=["IN"]))
    assert updated.category == "coffee" and updated.countries == ("IN",) and updated.status == "onboarding"
    entry = (await audit.entity_history(admin, "partner", partner.id))[0]
    assert (
        entry["action"] == "partner.updated"
        and entry["before"]["category"] == "dining"
        and entry["after"]["category"] == "coffee"
    )


async def test_filters_by_status_source_category_country_and_name(admin):
    await profiles.create_partner(admin, profile(name="Chai Point", countries=["IN"]))
    await profiles.create_partner(admin, profile(name="Bahn Reisen", source="network", category="travel", countries=["DE", "AT"]))
    await profiles.create_partner(admin, profile(name="Kaffee Haus", countries=["DE"]))

    async def names(**criteria):
        return [p.name for p in (await profiles.list_partners(admin, PartnerFilter(**criteria))).rows]

    assert await names() == ["Bahn Reisen", "Chai Point", "Kaffee Haus"]
    assert await names(country="de") == ["Bahn Reisen", "Kaffee Haus"]
    assert await names(source="network") == ["Bahn Reisen"]
    assert await names(category="Dining", country="IND") == ["Chai Point"]
    assert await names(search="haus") == ["Kaffee Haus"]
    assert await names(status="live") == []


async def test_status_changes_follow_the_workflow(admin):
    partner = await profiles.create_partner(admin, profile())
    with pytest.raises(DomainError) as refused:
        await profiles.pause_partner(admin, partner.id)  # only a live partner pauses
    assert refused.value.code == "INVALID_STATUS_CHANGE"
    with pytest.raises(DomainError) as refused:
        await profiles.offboard_partner(admin, partner.id, reason=" ")
    assert refused.value.code == "REASON_REQUIRED"
    offboarded = await profiles.offboard_partner(admin, partner.id, reason="contract ended")
    assert offboarded.status == "offboarded"
    with pytest.raises(DomainError) as refused:
        await profiles.update_partner_profile(admin, partner.id, profile())
    assert refused.value.code == "PARTNER_OFFBOARDED"


async def test_reading_and_writing_need_their_permissions(db):
    with pytest.raises(PermissionDenied):
        await profiles.create_partner(role_actor("viewer"), profile())
    partner = await profiles.create_partner(SYSTEM, profile())
    assert (await profiles.get_partner(role_actor("viewer"), partner.id)).name == "Chai Point"
