"""An admin's day, in a real browser, on a desktop (1440 × 900) and a phone (390 × 844): the home's
inbox shows an upload another admin staged; the admin opens it from there and approves it (the
worker issues it); adds a recipient (the confirmation survives the move to the recipient's page);
downloads a campaign's upload template (XLSX and CSV), fills the CSV with amounts in the currency
and offers by code, uploads it, fixes a row with the offer and amount dropdowns, prices it with the
dry run and opens the campaign. Every page's text, every message and every file downloaded on the
way is scanned: an amount reads as currency ("₹1,000.00"), never in minor units ("100000",
"1,700,000") nor as a bare code after the number ("500.00 INR"). Screenshots under
tests/e2e/screenshots/money-<width>-*.png."""

from __future__ import annotations

import csv
import io
import re

import pytest

EMAIL, PASSWORD = "admin@example.com", "correct horse battery"  # the admin tests/e2e/conftest.py creates

SETUP = """
import asyncio, io, sys
from datetime import timedelta
sys.path.insert(0, "tests/catalog"); sys.path.insert(0, "tests/partners")
from catalogue_steps import onboard_to_live, role_actor, stock_file
from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.catalog.services import offers, stock_import
from backend.core.authz import SYSTEM
from backend.core.clock import utcnow
from backend.recipients import services
from backend.rewards.uploads.services import staging, templates

async def main():
    maker, checker = role_actor("admin", "maker@example.com"), role_actor("admin", "checker@example.com")
    partner, offer = await onboard_to_live(maker, checker)
    offer = await offers.change_offer_status(maker, offer.id, "live")
    await stock_import.import_voucher_codes(
        maker, offer.id, stock_file(*[f"BIG-{n:03},,100000," for n in range(5)]), "big.csv")
    programme = await services.create_programme(SYSTEM, "Sales Stars", "INR", "0.25")
    for number in range(3):
        await services.upsert_recipient(SYSTEM, services.RecipientInput(
            external_id=f"EMP-{number}", full_name=f"Person {number}", email=f"person{number}@example.com", country="IN"))
    now = utcnow()
    campaign = await campaigns.create_campaign(SYSTEM, CampaignInput(
        programme_id=programme.id, name="Festive vouchers", currency="INR", allowed_offer_ids=[offer.id],
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=60), budget=1_700_000, max_rewards=100))
    await campaigns.activate_campaign(SYSTEM, campaign.id)
    # What waits in the admin's inbox: a one-row file another admin uploaded to another campaign.
    spot = await campaigns.create_campaign(SYSTEM, CampaignInput(
        programme_id=programme.id, name="Spot awards", currency="INR", allowed_offer_ids=[offer.id],
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=60), budget=500_000))
    await campaigns.activate_campaign(SYSTEM, spot.id)
    spot_file = templates.template_csv(await templates.upload_template(maker, spot.id)) + f"EMP-0,,,,IN,{offer.code},1000,\\r\\n"
    await staging.stage_upload(maker, spot.id, io.BytesIO(spot_file.encode()), "spot awards.csv")
    print(offer.code)

asyncio.run(main())
"""

# The amounts of the journey in minor units (₹500, ₹750, ₹1,000, the ₹3,000.00 file, the ₹17,000
# budget and what is left of it, the ₹5,000 budget of the inbox's campaign and what is left of it):
# none may be seen, grouped or not.
MINOR_AMOUNTS = (50_000, 75_000, 100_000, 250_000, 300_000, 1_700_000, 1_400_000, 500_000, 400_000)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_CODE_AFTER = re.compile(r"\d[\d,]*(?:\.\d+)?\s?(?:INR|EUR|JPY|USD)\b")


def minor_units_in(text: str) -> list[str]:
    """The minor-unit amounts of the journey that ``text`` shows, and amounts written "500.00 INR"."""
    text = _UUID.sub("", text)
    found = []
    for amount in MINOR_AMOUNTS:
        for written in {str(amount), f"{amount:,}"}:
            # Not inside a longer number: 50000 in 150000 or 500.00; 50,000 in 1,050,000 (but 4,100000 is a CSV's cells).
            before = r"(?<![\d.])(?<!\d,)" if "," in written else r"(?<![\d.])"
            found += [match.group() for match in re.finditer(before + re.escape(written) + r"(?!\d|[.,]\d)", text)]
    return found + _CODE_AFTER.findall(text)


def test_the_scan_catches_minor_units():
    assert minor_units_in("Budget ₹17,000.00, ₹14,000.00 left; 3 rows") == []
    assert minor_units_in("50,000 INR issued") == ["50,000", "50,000 INR"]
    assert minor_units_in("1,700,000 is already spent or held") == ["1,700,000"]
    assert minor_units_in("denominations 50000, 100000") == ["50000", "100000"]
    assert minor_units_in("offer 01a24f5d-b461-7796-9490-750000000000 at ₹500.00") == []
    assert minor_units_in("line,amount\r\n4,100000\r\n") == ["100000"]  # a CSV export's cell
    assert minor_units_in("₹150,000.00 or 1,100,000.00") == []


class Journey:
    """Every text the admin sees (pages, notifications) and every file they download, scanned."""

    def __init__(self, page, shoot, width: int):
        self.page, self.shoot, self.width, self.seen = page, shoot, width, []

    def uncover(self) -> None:
        """On a phone the menu opens over the page on each load (the responsive layout is issue 20's
        other part): close it by its backdrop, as a person taps beside it."""
        backdrop = self.page.locator(".q-drawer__backdrop")
        self.page.wait_for_timeout(300)
        if self.width < 1024 and backdrop.count() and backdrop.first.is_visible():
            self.page.mouse.click(self.width - 10, 400)
            self.page.wait_for_timeout(400)

    def look(self, name: str) -> str:
        self.page.wait_for_timeout(300)
        text = self.page.inner_text("body")
        self.seen.append((name, text))
        assert minor_units_in(text) == [], f"{name} shows minor units: {minor_units_in(text)}"
        self.shoot(self.page, f"money-{self.width}-{name}")
        return text

    def download(self, button) -> tuple[str, bytes]:
        with self.page.expect_download() as started:
            self.page.get_by_role("button", name=button).click()
        download = started.value
        with open(download.path(), "rb") as kept:
            data = kept.read()
        return download.suggested_filename, data


@pytest.mark.parametrize(("width", "height"), [(1440, 900), (390, 844)], ids=["desktop", "phone"])
def test_template_fill_upload_fix_with_dropdowns_and_every_amount_in_currency(
    console_server, worker, browser_page, shoot, width, height
) -> None:
    from playwright.sync_api import expect
    from python_calamine import CalamineWorkbook

    console_server.python(SETUP)
    page, url = browser_page, console_server.url
    page.set_viewport_size({"width": width, "height": height})
    journey = Journey(page, shoot, width)

    page.goto(f"{url}/")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")
    inbox_item = page.get_by_text("1 upload awaits a second admin")
    expect(inbox_item).to_be_visible()
    journey.uncover()
    journey.look("01-home-inbox")

    # Acted on from the inbox: the checker's explicit Approve (the uploader would see it disabled).
    inbox_item.click()
    page.wait_for_url(re.compile(r".*/uploads/[0-9a-f-]{36}$"))
    journey.uncover()
    approve = page.get_by_role("button", name="Approve and issue 1 rows")
    expect(approve).to_be_enabled()
    journey.look("02-inbox-upload")
    approve.click()
    page.locator(".q-dialog").get_by_role("button", name="Approve and issue").click()
    expect(page.get_by_text("Issued spot awards.csv: issued 1, waiting for approval 0")).to_be_visible(timeout=60_000)
    expect(page.locator(".q-table td").filter(has_text="₹1,000.00").first).to_be_visible()  # the row's value
    journey.look("03-inbox-upload-issued")

    page.goto(f"{url}/recipients")
    journey.uncover()
    page.get_by_role("button", name="New recipient").click()
    dialog = page.locator(".q-dialog")
    dialog.get_by_label("External id").fill("EMP-9")
    dialog.get_by_label("Full name").fill("Dara Das")
    dialog.get_by_label("Email").fill("dara@example.com")
    dialog.get_by_role("button", name="Add recipient").click()
    page.wait_for_url(re.compile(r".*/recipients/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Added Dara Das.")).to_be_visible()  # the confirmation came along to the new page
    journey.uncover()
    journey.look("04-recipient-added")

    page.goto(f"{url}/campaigns")
    expect(page.get_by_text("Festive vouchers").first).to_be_visible()
    journey.uncover()
    journey.look("05-campaigns")
    page.get_by_text("Festive vouchers").first.click()
    expect(page.get_by_text("Remaining budget")).to_be_visible()
    journey.uncover()
    assert "₹17,000.00" in journey.look("06-campaign")

    page.get_by_role("button", name="Upload rewards").click()
    page.wait_for_url(re.compile(r".*/uploads\?campaign="))
    expect(page.get_by_text("Upload a file")).to_be_visible()
    journey.uncover()
    journey.look("07-uploads")

    name, workbook_bytes = journey.download("Template (XLSX)")
    assert name == "festive-vouchers-template.xlsx"
    offers_sheet = CalamineWorkbook.from_filelike(io.BytesIO(workbook_bytes)).get_sheet_by_name("Offers").to_python()
    (code, title, _partner, currency, amounts) = offers_sheet[1]
    assert (currency, amounts) == ("INR", "500.00, 1000.00") and title == "Chai Point e-voucher"
    assert minor_units_in("\n".join(",".join(map(str, row)) for row in offers_sheet)) == []  # the workbook too
    name, template = journey.download("Template (CSV)")
    template_text = template.decode("utf-8-sig")
    assert name == "festive-vouchers-template.csv" and code in template_text and "500.00, 1000.00" in template_text
    assert minor_units_in(template_text) == []

    # Filled as a person would: the header and comment lines kept, amounts in rupees.
    filled = template_text + "".join(
        f"{external_id},{full_name},{email},,IN,{offer},{amount},\r\n"
        for external_id, full_name, email, offer, amount in (
            ("EMP-0", "", "", code, "500"),
            ("EMP-1", "", "", code.lower(), "1000.00"),
            ("NEW-1", "Nia New", "nia@example.com", code, "750"),  # not a denomination: fixed below
            ("EMP-2", "", "", code, "500.00"),
        )
    )
    page.locator("input[type=file]").set_input_files(
        {"name": "festive.csv", "mimeType": "text/csv", "buffer": filled.encode("utf-8")}
    )
    page.wait_for_url(re.compile(r".*/uploads/[0-9a-f-]{36}$"))
    expect(page.get_by_text("Rows to fix")).to_be_visible()
    journey.uncover()
    expect(page.get_by_text("₹750.00 is not a denomination of 'Chai Point e-voucher' (₹500.00, ₹1,000.00)")).to_be_visible(
        timeout=30_000
    )
    # The uploader's own view: Approve disabled with the reason in words, Withdraw as their action; the
    # list page's confirmation came along to this page.
    expect(page.get_by_role("button", name="Approve and issue 3 rows")).to_be_disabled()
    expect(page.get_by_text("You uploaded this file; another admin must approve it. You may withdraw it.")).to_be_visible()
    expect(page.get_by_role("button", name="Withdraw")).to_be_visible()
    expect(page.get_by_text("Received festive.csv: checking every row in the background")).to_be_visible()
    journey.look("08-review")

    _, report = journey.download(re.compile(r"Error report"))
    report_text = report.decode("utf-8-sig")
    assert minor_units_in(report_text) == [] and "₹750.00" in report_text
    rows = list(csv.reader(io.StringIO(report_text)))
    assert rows[0][:4] == ["line", "column", "code", "reason"] and len(rows) == 2

    bad_rows = page.locator(".q-table").filter(has_text="What is wrong")
    bad_rows.locator("tr", has_text="NEW-1").get_by_role("button", name="Fix").click()
    dialog = page.locator(".q-dialog")
    expect(dialog.get_by_text("Fix line 6")).to_be_visible()
    dialog.get_by_label("amount").click()
    options = page.locator(".q-menu .q-item")
    expect(options).to_have_count(3)  # the row's 750 (refused), ₹500.00 and ₹1,000.00
    assert options.all_inner_texts()[1:] == ["₹500.00", "₹1,000.00"]
    journey.look("09-fix-amount-dropdown")
    options.filter(has_text="₹1,000.00").click()
    dialog.get_by_label("offer").click()
    expect(page.locator(".q-menu .q-item").filter(has_text=f"{code} · Chai Point e-voucher")).to_be_visible()
    journey.look("10-fix-offer-dropdown")
    page.keyboard.press("Escape")
    dialog.get_by_role("button", name="Save and check again").click()
    expect(page.get_by_text("Line 6 is valid now")).to_be_visible()
    expect(bad_rows.locator("tr", has_text="NEW-1")).to_have_count(0)
    journey.look("11-fixed")

    page.get_by_role("button", name="Dry run").click()
    expect(page.get_by_text("Dry run: approving now would…")).to_be_visible()
    text = journey.look("12-dry-run")
    assert "₹3,000.00" in text and "₹17,000.00" in text and "₹14,000.00" in text

    page.get_by_role("link", name="Campaign").click()
    expect(page.get_by_text("Remaining budget")).to_be_visible()
    journey.uncover()
    journey.look("13-campaign-after")
    everything = "\n".join(text for _, text in journey.seen)
    assert re.findall(r"₹[\d,]+\.\d\d", everything), "the journey showed amounts in currency"
