"""A campaign's upload template, to download, fill and upload: the columns the campaign takes and,
for an offers campaign, its offers with their codes and valid amounts.

XLSX (xlsxwriter): the first sheet "Rewards" holds the header (and a dropdown of the offer codes in
the ``offer`` column), the second sheet "Offers" lists code, title, partner, currency and the valid
amounts. The upload reads the first sheet whose first row is an upload header, so the second sheet
is never mistaken for rows.

CSV: a comment header. Lines starting with ``#`` before the header line list the offers, one per
line ("# SHOP-IN-500 · Shoppers Stop gift card · INR · 500.00, 1000.00"), and the parser skips them
(``parsing.py``). Chosen over a companion section after the header because people append their
rows at the end of the file: a section there would be read as rows, or be split by them; at the top
it stays out of the way, survives a save from a spreadsheet (as cells of the first column) and
still tells the next person who opens the file which codes and amounts are valid.

Amounts are written as people type them (``money.format_amount``: 500.00), the same text the
``amount`` column takes; every cell goes through ``csv_export.escape_cell`` (CSV) or is written as
a string (XLSX), so an offer title never runs as a formula.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass

from backend.campaigns.services.campaigns import get_campaign
from backend.campaigns.views import POINTS, CampaignView
from backend.catalog.services.offer_rows import load_offers
from backend.catalog.views import OfferView
from backend.core.authz import Actor, Permission
from backend.core.csv_export import escape_cell
from backend.core.money import format_amount
from backend.rewards.uploads.services.columns import AMOUNT, CHANNEL, COUNTRY, EMAIL, EXTERNAL_ID, FULL_NAME, OFFER, PHONE
from backend.rewards.uploads.services.columns import POINTS as POINTS_COLUMN

MAX_LISTED_AMOUNTS = 50  # a range offer's amounts shown in a template (the rest: "… to 5000.00 in steps of 50.00")
COMMENT = "#"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class TemplateOffer:
    code: str
    title: str
    partner: str
    currency: str
    amounts: str  # "500.00, 1000.00" or "100.00 to 5000.00 in steps of 50.00"


@dataclass(frozen=True)
class UploadTemplate:
    campaign: CampaignView
    columns: tuple[str, ...]
    offers: tuple[TemplateOffer, ...]

    @property
    def file_stem(self) -> str:
        name = "".join(char if char.isalnum() else "-" for char in self.campaign.name.lower()).strip("-")
        return f"{'-'.join(part for part in name.split('-') if part) or 'campaign'}-template"


def offer_amounts(offer: OfferView) -> str:
    """The amounts an upload row may give for the offer, as they are typed (500.00)."""
    denominations, currency = offer.denominations, offer.currency
    if denominations.kind == "fixed" or len(denominations.values(MAX_LISTED_AMOUNTS + 1)) <= MAX_LISTED_AMOUNTS:
        return ", ".join(format_amount(amount, currency) for amount in denominations.values())
    return (
        f"{format_amount(denominations.minimum, currency)} to {format_amount(denominations.maximum, currency)} "
        f"in steps of {format_amount(denominations.step, currency)}"
    )


async def upload_template(actor: Actor, campaign_id: uuid.UUID) -> UploadTemplate:
    """What a campaign's template holds: its columns, and its offers in catalogue order."""
    actor.require(Permission.REWARDS_READ)
    campaign = await get_campaign(actor, campaign_id)
    if campaign.reward_type == POINTS:
        return UploadTemplate(campaign, (EXTERNAL_ID, FULL_NAME, EMAIL, PHONE, COUNTRY, POINTS_COLUMN, CHANNEL), ())
    offers = sorted((await load_offers(list(campaign.allowed_offer_ids))).values(), key=lambda offer: (offer.rank, offer.id))
    listed = tuple(
        TemplateOffer(offer.code, offer.title, offer.partner_name, offer.currency, offer_amounts(offer)) for offer in offers
    )
    return UploadTemplate(campaign, (EXTERNAL_ID, FULL_NAME, EMAIL, PHONE, COUNTRY, OFFER, AMOUNT, CHANNEL), listed)


def template_csv(template: UploadTemplate) -> str:
    """The CSV: comment lines naming the offers (see the module docstring), then the header line."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if template.offers:
        buffer.write(f"# {template.campaign.name}: the offer column takes a code below, amount one of its amounts\r\n")
        for offer in template.offers:
            line = f"# {offer.code} · {offer.title} ({offer.partner}) · {offer.currency} · {offer.amounts}"
            writer.writerow([escape_cell(line)])
    writer.writerow([escape_cell(column) for column in template.columns])
    return buffer.getvalue()


def template_xlsx(template: UploadTemplate) -> bytes:
    """The workbook: "Rewards" (the header, an offer dropdown) and "Offers" (codes and amounts)."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False})
    bold = workbook.add_format({"bold": True})
    rewards = workbook.add_worksheet("Rewards")
    for index, column in enumerate(template.columns):
        rewards.write_string(0, index, column, bold)
        rewards.set_column(index, index, 18)
    # Amounts typed as text keep their decimals ("500.00"), as the upload reads them.
    amount_format = workbook.add_format({"num_format": "@"})
    if template.offers:
        offers = workbook.add_worksheet("Offers")
        for index, title in enumerate(("code", "title", "partner", "currency", "amounts")):
            offers.write_string(0, index, title, bold)
        for line, offer in enumerate(template.offers, start=1):
            for index, value in enumerate((offer.code, offer.title, offer.partner, offer.currency, offer.amounts)):
                offers.write_string(line, index, value)
        offers.set_column(0, 0, 20)
        offers.set_column(1, 2, 32)
        offers.set_column(4, 4, 40)
        offer_column = template.columns.index(OFFER)
        rewards.data_validation(
            1,
            offer_column,
            10_000,
            offer_column,
            {"validate": "list", "source": f"=Offers!$A$2:$A${len(template.offers) + 1}", "ignore_blank": True},
        )
        amount_column = template.columns.index(AMOUNT)
        rewards.set_column(amount_column, amount_column, 14, amount_format)
    workbook.close()
    return buffer.getvalue()
