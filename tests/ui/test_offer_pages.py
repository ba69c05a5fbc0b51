"""The Offers pages: the editor (validation errors under their fields, the live eligibility
preview), the catalogue list with its low-stock alert, drag-and-drop ranking, and the stock page
(voucher import report with rejected rows, codes masked)."""

from __future__ import annotations

import os
import sys

import pytest
from nicegui import ui
from nicegui.testing import User

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "catalog"))  # the catalogue's and partners' steps

from catalogue_steps import offer_input, onboard_to_live, profile, stock_file

from backend.access import services as access
from backend.catalog.services import offers, stock, stock_import
from backend.catalog.services.offers import OfferFilter
from backend.core.authz import Actor
from backend.partners.services import profiles
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput

PASSWORD = "a long enough password"


def element(user: User, marker: str):
    return next(iter(user.find(marker=marker).elements))


@pytest.fixture
async def partner(admin: Actor):
    return await profiles.create_partner(admin, profile(name="Chai Point"))


@pytest.fixture
async def staff(admin: Actor) -> None:
    """Three active recipients: two in grade 5 or above in India, one in Germany."""
    for external_id, country, grade in (("EMP-1", "IN", 6), ("EMP-2", "IN", 5), ("EMP-3", "DE", 3)):
        await recipients.upsert_recipient(
            admin,
            RecipientInput(
                external_id=external_id,
                full_name=external_id,
                country=country,
                email=f"{external_id.lower()}@example.com",
                hr_attributes={"grade": grade},
            ),
        )


async def test_the_editor_shows_each_error_under_its_field_and_creates_nothing(
    console: User, admin, partner, patience, eventually
) -> None:
    await console.open(f"/offers/new?partner={partner.id}")
    await console.should_see(marker="offer-form", retries=patience)
    console.find(marker="offer-denominations").type("500, abc")
    console.find(marker="save-offer").click()
    await eventually(lambda: element(console, "offer-denominations").error == "“abc” is not an amount (e.g. 500 or 500.25).")

    console.find(marker="offer-denominations").clear().type("500, 1,00")
    console.find(marker="save-offer").click()
    await eventually(
        lambda: (
            element(console, "offer-denominations").error
            == (
                "“1,00” is ambiguous: a comma inside an amount separates thousands (1,000); between amounts put a space after the comma (100, 500)."
            )
        )
    )

    console.find(marker="offer-denominations").clear().type("500, 1000.505")
    console.find(marker="save-offer").click()
    await eventually(lambda: element(console, "offer-denominations").error == "1000.505 has more than 2 decimals for INR.")

    console.find(marker="offer-denominations").clear().type("500, 500")
    console.find(marker="offer-image-url").type("http://cdn.example.com/chai.png")
    console.find(marker="save-offer").click()
    await eventually(lambda: element(console, "offer-title").error is not None)  # the service's rules, each under its field
    assert element(console, "offer-title").error == "An offer needs a title."
    assert element(console, "offer-category").error == "A category is required, e.g. dining, travel."
    assert element(console, "offer-denominations").error == "Each denomination once."
    assert element(console, "offer-image-url").error == "The image URL must start with https://."
    assert (await offers.list_offers(admin)).total == 0


async def test_a_new_offer_is_saved_in_minor_units_with_its_terms(console: User, admin, partner, patience) -> None:
    await console.open(f"/offers/new?partner={partner.id}")
    await console.should_see(marker="offer-form", retries=patience)
    console.find(marker="offer-title").type("Chai Point e-voucher")
    console.find(marker="offer-category").type("Dining")
    console.find(marker="offer-denominations").type("500, 1,000\n2,500.50")
    console.find(marker="offer-terms").type("Valid at all outlets in India.")
    console.find(marker="save-offer").click()
    await console.should_see("Created the draft offer Chai Point e-voucher.", retries=patience)
    await console.should_see(marker="offer-status", retries=patience)
    [offer] = (await offers.list_offers(admin)).rows
    assert (offer.denominations.amounts, offer.expiry.days, offer.status, offer.partner_id) == (
        (50000, 100000, 250050),
        365,
        "draft",
        partner.id,
    )
    assert element(console, "offer-denominations").value == "500, 1000, 2500.50"
    await console.should_see("Version 1 · admin@example.com", retries=patience)


async def test_the_units_hint_follows_the_chosen_currency(console: User, admin, partner, patience) -> None:
    await console.open(f"/offers/new?partner={partner.id}")
    await console.should_see("Amounts in INR: 500 is ₹500.00.", retries=patience)
    element(console, "offer-currency").set_value("JPY")
    await console.should_see("Amounts in JPY: 500 is ¥500.", retries=patience)
    assert element(console, "offer-units").text == "Amounts in JPY: 500 is ¥500."


async def test_a_range_of_amounts_is_typed_with_thousands_commas(console: User, admin, partner, patience, eventually) -> None:
    await console.open(f"/offers/new?partner={partner.id}")
    await console.should_see(marker="offer-form", retries=patience)
    console.find(marker="offer-title").type("Chai Point top-up")
    console.find(marker="offer-category").type("Dining")
    console.find(marker="offer-terms").type("Valid at all outlets in India.")
    element(console, "denomination-kind").set_value("range")
    for marker, typed in (("offer-minimum", "1,00"), ("offer-maximum", "5,000"), ("offer-step", "500")):
        console.find(marker=marker).type(typed)
    console.find(marker="save-offer").click()
    await eventually(lambda: (element(console, "offer-minimum").error or "").startswith("“1,00” is ambiguous"))
    assert (await offers.list_offers(admin)).total == 0

    console.find(marker="offer-minimum").clear().type("1,000")
    console.find(marker="save-offer").click()
    await console.should_see("Created the draft offer Chai Point top-up.", retries=patience)
    [offer] = (await offers.list_offers(admin)).rows
    assert (offer.denominations.kind, offer.denominations.minimum, offer.denominations.maximum, offer.denominations.step) == (
        "range",
        100_000,
        500_000,
        50_000,
    )


async def test_the_eligibility_preview_counts_as_the_rule_is_typed_and_points_at_an_error(
    console: User, admin, partner, staff, patience
) -> None:
    await console.open(f"/offers/new?partner={partner.id}")
    await console.should_see("3 of 3 recipients eligible (100%)", retries=patience)
    rule = element(console, "eligibility-rule")
    rule.set_value("country in [IN] and grade >= 5")
    await console.should_see("2 of 3 recipients eligible (67%)", retries=patience)
    rule.set_value("country in [IN, DE")
    await console.should_see("Invalid rule at position 18: expected ']'", retries=patience)
    assert element(console, "eligibility-caret").text == "country in [IN, DE\n                  ^"
    assert rule.error == "Invalid rule at position 18: expected ']'"
    rule.set_value("grade < 5")
    await console.should_see("1 of 3 recipients eligible (33%)", retries=patience)
    assert rule.error is None


async def test_an_unknown_attribute_warns_and_nobody_eligible_is_not_green(
    console: User, admin, partner, staff, patience, eventually
) -> None:
    await console.open(f"/offers/new?partner={partner.id}")
    await console.should_see("3 of 3 recipients eligible (100%)", retries=patience)
    listed = element(console, "eligibility-attributes").text
    assert listed.startswith("Attributes recipients have: ") and "country" in listed and "grade" in listed
    assert element(console, "eligibility-preview").classes.count("text-positive") == 1
    rule = element(console, "eligibility-rule")
    rule.set_value("grad >= 5 and country == IN")
    await console.should_see("0 of 3 recipients eligible (0%)", retries=patience)
    await eventually(lambda: "text-warning" in element(console, "eligibility-preview").classes)
    await console.should_see(
        "No recipient has the attribute “grad”: the rule matches nobody until one does. Check the spelling against the list above.",
        retries=patience,
    )
    rule.set_value("grade >= 5")
    await console.should_see("2 of 3 recipients eligible (67%)", retries=patience)
    await console.should_not_see(marker="eligibility-unknown")


async def test_an_invalid_rule_is_refused_on_save(console: User, admin, partner, patience) -> None:
    offer = await offers.create_offer(admin, partner.id, offer_input(), terms="Terms.")
    await console.open(f"/offers/{offer.id}")
    await console.should_see(marker="offer-form", retries=patience)
    assert element(console, "eligibility-rule").props.get("readonly") is True  # an offer opens read-only
    await console.should_not_see(marker="save-offer")
    console.find(marker="edit").click()
    await console.should_see(marker="save-offer", retries=patience)
    element(console, "eligibility-rule").set_value("Grade == 5")
    console.find(marker="save-offer").click()
    await console.should_see("Invalid rule at position 0: attribute names are lower_snake_case", retries=patience)
    assert (await offers.get_offer(admin, offer.id)).eligibility_rule == ""


async def test_the_list_filters_and_warns_of_low_stock(console: User, admin, patience, table, eventually) -> None:
    checker = access.actor_for_user(await access.create_user(admin, "checker@example.com", "Cleo", PASSWORD, ["admin"]))
    _, chai = await onboard_to_live(admin, checker, name="Chai Point", codes=2)
    _, metro = await onboard_to_live(admin, checker, name="Metro Books", codes=8)
    for offer in (chai, metro):
        await offers.update_offer(admin, offer.id, offer_input(title=offer.title, low_stock_threshold=3))
        await offers.change_offer_status(admin, offer.id, "live")
    await console.open("/offers")
    await console.should_see(marker="low-stock-alert", retries=patience)
    await console.should_see("Low stock on 1 live offer")
    assert element(console, f"low-stock-{chai.id}").text == "2 codes left; the alert is set at 3. Import more voucher codes."
    await console.should_not_see(marker=f"low-stock-{metro.id}")
    listed = table(console, "offers-table")
    await eventually(lambda: listed.pagination["rowsNumber"] == 2)
    assert [(row["title"], row["denominations"], row["status"]) for row in listed.rows] == [
        ("Chai Point e-voucher", "₹500.00, ₹1,000.00", "Live"),
        ("Metro Books e-voucher", "₹500.00, ₹1,000.00", "Live"),
    ]
    console.find(marker="filter-search").type("metro")
    await eventually(lambda: [row["title"] for row in listed.rows] == ["Metro Books e-voucher"])


def _order(user: User) -> list[str]:
    """The ranking cards' markers, top to bottom."""
    listing = element(user, "ranking-list")
    return [marker for card in listing.default_slot.children for marker in card._markers if marker.startswith("rank-")]


async def test_drag_and_drop_and_the_arrows_rerank_the_catalogue(console: User, admin, partner, patience, eventually) -> None:
    first, second, third = [
        await offers.create_offer(admin, partner.id, offer_input(title=title)) for title in ("Tea", "Coffee", "Cake")
    ]
    await console.open("/ranking")
    await console.should_see(marker=f"rank-{third.id}", retries=patience)
    assert element(console, "save-order").props.get("disable") is True
    console.find(marker=f"rank-{third.id}").trigger("dragstart")  # Cake dropped on Tea: Cake, Tea, Coffee
    console.find(marker=f"rank-{first.id}").trigger("drop")
    await eventually(lambda: not element(console, "save-order").props.get("disable"))
    assert [card.split("-", 1)[1] for card in _order(console)] == [str(third.id), str(first.id), str(second.id)]
    console.find(marker=f"up-{first.id}").click()  # Tea back above Cake: Tea, Cake, Coffee
    console.find(marker="save-order").click()
    await console.should_see("Saved the new order of 3 offers.", retries=patience)
    ranked = (await offers.list_offers(admin, OfferFilter())).rows
    assert [(offer.title, offer.rank) for offer in ranked] == [("Tea", 1), ("Cake", 2), ("Coffee", 3)]
    assert element(console, "save-order").props.get("disable") is True


async def test_a_stock_import_reports_rejected_rows_and_codes_stay_masked(
    console: User, admin, partner, patience, table, eventually
) -> None:
    offer = await offers.create_offer(admin, partner.id, offer_input(), terms="Terms.")
    await console.open(f"/offers/{offer.id}/stock")
    await console.should_see(marker="no-stock", retries=patience)
    content = stock_file(
        "SECRETCODE-0001,1234,50000,", "SECRETCODE-0002,,70000,", "SECRETCODE-0001,,50000,", "SECRETCODE-0003,,100000,2001-01-01"
    ).getvalue()
    upload = element(console, "import-upload")
    await upload.handle_uploads([ui.upload.SmallFileUpload("chai-stock.csv", "text/csv", content)])
    await console.should_see(marker="import-report", retries=patience)
    assert element(console, "import-summary").text == "4 rows read · 1 imported · 3 rejected"
    rejected = table(console, "rejected-rows")
    assert [row["line"] for row in rejected.rows] == [3, 4, 5]
    assert "duplicate of the code on line 2" in rejected.rows[1]["reason"]
    await console.should_see("1 usable code", retries=patience)  # the levels are read again after the report
    codes = table(console, "codes-table")
    await eventually(lambda: len(codes.rows) == 1)
    assert codes.rows[0]["code"].endswith("0001") and "SECRETCODE" not in codes.rows[0]["code"] and codes.rows[0]["pin"] != "1234"

    console.find(marker="download-rejections").click()
    response = await console.download.next(timeout=5)
    assert response.content.decode("utf-8-sig").splitlines()[0] == "line,reason"
    [levels] = await stock.stock_levels(admin, offer.id)
    assert levels.available == 1
    assert len(await stock_import.voucher_imports(admin, offer.id)) == 1


async def test_a_reader_opens_an_offer_read_only_and_cannot_type_into_it(
    user: User, admin, partner, sign_in, create_person, patience
) -> None:
    offer = await offers.create_offer(admin, partner.id, offer_input(), terms="Terms.")
    await create_person("viewer@example.com", ["viewer"])
    await sign_in("viewer@example.com", "a long enough password", path=f"/offers/{offer.id}")
    await user.should_see(marker="offer-form", retries=patience)
    await user.should_see("Read only: changing an offer needs the permission “catalog:write”.")
    await user.should_not_see(marker="edit")
    await user.should_not_see(marker="save-offer")
    await user.should_not_see(marker="save-terms")
    for marker in ("offer-title", "offer-code", "offer-denominations", "eligibility-rule", "offer-terms"):
        assert element(user, marker).props.get("readonly") is True, marker


async def test_leaving_an_edited_offer_by_the_menu_asks_first(console: User, admin, partner, patience, eventually) -> None:
    offer = await offers.create_offer(admin, partner.id, offer_input(), terms="Terms.")
    await console.open(f"/offers/{offer.id}")
    console.find(marker="edit").click()
    await console.should_see(marker="save-offer", retries=patience)
    element(console, "offer-title").set_value("Changed title")
    console.find(marker="nav-campaigns").click()
    await console.should_see("Leave without saving?", retries=patience)
    console.find(marker="confirm-cancel").click()  # stays, the change still typed
    await console.should_not_see(marker="confirm-dialog")
    assert element(console, "offer-title").value == "Changed title"
    element(console, "offer-title").set_value(offer.title)  # typed back: nothing unsaved any more
    console.find(marker="nav-campaigns").click()
    await eventually(lambda: element(console, "page-title").text == "Campaigns", seconds=10)
    await console.should_not_see("Leave without saving?")
