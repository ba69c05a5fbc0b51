"""Steps the upload tests share: a live offer in an active campaign, known recipients, a file."""

from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "catalog"))  # the catalogue steps

from catalogue_steps import TERMS, offer_input, onboard_to_live, role_actor, stock_file

from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.catalog.services import offers, stock_import
from backend.core.authz import SYSTEM, Actor
from backend.core.clock import utcnow
from backend.recipients import services as recipients

__all__ = ["Setting", "another_campaign", "csv_file", "make_setting", "role_actor", "stock_file"]

HEADER = "external_id,full_name,email,phone,country,offer,denomination,channel"


@dataclass(frozen=True)
class Setting:
    """An active offers campaign with one live offer (50000 or 100000 INR minor units, everyone
    eligible), a second live offer only grade >= 5 may have, and two known recipients K-1, K-2."""

    campaign: object
    offer: object
    graded_offer: object
    programme: object

    def row(self, external_id: str, denomination: int = 50000, *, name: str = "", email: str = "", offer=None, **cells) -> str:
        offer_id = (offer or self.offer).id
        return ",".join(
            [
                external_id,
                name,
                email,
                cells.get("phone", ""),
                cells.get("country", ""),
                str(offer_id),
                str(denomination),
                cells.get("channel", ""),
            ]
        )


async def make_setting(maker: Actor, checker: Actor, **campaign_options) -> Setting:
    _, offer = await onboard_to_live(maker, checker)
    offer = await offers.change_offer_status(maker, offer.id, "live")
    graded = await offers.create_offer(
        maker, offer.partner_id, offer_input(title="Graded voucher", eligibility_rule="grade >= 5"), terms=TERMS
    )
    graded = await offers.change_offer_status(maker, graded.id, "live")
    codes = [f"UP-{index:04},,50000," for index in range(20)] + [f"UP-{index:04},,100000," for index in range(20, 30)]
    await stock_import.import_voucher_codes(maker, offer.id, stock_file(*codes), "upload-stock.csv")
    programme = await recipients.create_programme(SYSTEM, "Sales incentive", "INR", "0.25")
    for index, grade in ((1, 7), (2, 2)):
        await recipients.upsert_recipient(
            SYSTEM,
            recipients.RecipientInput(
                external_id=f"K-{index}",
                full_name=f"Known {index}",
                email=f"known{index}@example.com",
                hr_attributes={"grade": grade},
            ),
        )
    now = utcnow()
    options = {"currency": "INR", "allowed_offer_ids": [offer.id, graded.id]} | campaign_options
    campaign = await campaigns.create_campaign(
        maker,
        CampaignInput(
            programme_id=programme.id,
            name="Q3 sales stars",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
            **options,
        ),
    )
    campaign = await campaigns.activate_campaign(maker, campaign.id)
    return Setting(campaign=campaign, offer=offer, graded_offer=graded, programme=programme)


async def another_campaign(maker: Actor, setting: Setting, name: str, offer_ids: list, **options):
    """An active offers campaign in the setting's programme, with its own rules."""
    now = utcnow()
    campaign = await campaigns.create_campaign(
        maker,
        CampaignInput(
            programme_id=setting.programme.id,
            name=name,
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
            currency="INR",
            allowed_offer_ids=offer_ids,
            **options,
        ),
    )
    return await campaigns.activate_campaign(maker, campaign.id)


def csv_file(*rows: str, header: str = HEADER, bom: bool = False, delimiter: str = ",", line_end: str = "\r\n") -> io.BytesIO:
    lines = [header, *rows]
    if delimiter != ",":
        lines = [line.replace(",", delimiter) for line in lines]
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + (line_end.join(lines) + line_end).encode("utf-8"))
