"""The public contract: graphql/schema.graphql is what the code serves, and every documented
operation in graphql/operations runs against the live API."""

import ast
import io
import json
import os
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "catalog"))  # the catalogue and partner steps

from datetime import UTC, datetime, timedelta

from catalogue_steps import offer_input, onboard_to_live, role_actor
from delivery_examples import issued_with_delivery
from test_catalog_api import upload
from ticket_examples import seed_ticket_actions

from backend.api.recipients.types import RecipientErrorCode
from backend.api.schema import export_sdl
from backend.campaigns.services import campaigns
from backend.campaigns.services.campaigns import CampaignInput
from backend.catalog.services import offers
from backend.core.clock import utcnow
from backend.insights.events import PerformanceEvent, record_event
from backend.insights.reviews import flags as partner_flags
from backend.insights.reviews import reviews as partner_reviews
from backend.insights.reviews.thresholds import ThresholdInput, set_threshold
from backend.ledger import services as ledger
from backend.ledger.errors import LedgerErrorCode
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput
from backend.rewards.uploads.services import staging
from backend.tickets.services import intake

GRAPHQL_DIR = Path(__file__).resolve().parents[2] / "graphql"
OPERATIONS = sorted((GRAPHQL_DIR / "operations").glob("*.graphql"))


def test_the_committed_schema_is_current():
    committed = (GRAPHQL_DIR / "schema.graphql").read_text()
    assert committed == export_sdl(), "graphql/schema.graphql is out of date: run `mirabelle schema export` and commit it"


def test_the_documented_operations_exist():
    documented = {
        "Viewer",
        "Recipients",
        "RecipientByExternalId",
        "UpsertRecipient",
        "Programmes",
        "PointsBalance",
        "PointsTransactions",
        "PointsReservation",
        "ReservePoints",
        "ConfirmReservation",
        "ReleaseReservation",
        "CreditPoints",
        "ReverseRedemption",
        "IssueReward",
        "IssueRewards",
        "Campaign",
        "Partners",
        "Partner",
        "Offers",
        "OfferByCode",
        "OffersEligibleFor",
        "CreatePartner",
        "CreateOffer",
        "RerankOffers",
        "ImportVoucherCodes",
        "SyncRecipients",
        "Rewards",
        "Campaigns",
        "Deliveries",
        "Delivery",
        "RewardDelivery",
        "ResendReward",
        "OpenTicket",
        "ReplyToTicket",
        "Tickets",
        "Ticket",
        "PartnerReviews",
        "PartnerReview",
        "PartnerFlags",
        "StartPartnerReview",
        "ClosePartnerReview",
    }
    assert {path.stem for path in OPERATIONS} >= documented


def example_variables(document: str, seeded: dict[str, str]) -> dict:
    """Each operation file documents its example variables in a `# variables: {...}` line. A value
    like "<programmeId>" stands for an id the reader has (and the test seeded)."""
    found = re.search(r"^# variables: (.*)$", document, re.MULTILINE)
    assert found, "an operation file needs a '# variables: {...}' line (use {} when it takes none)"

    def fill(placeholder: re.Match) -> str:
        assert placeholder.group(1) in seeded, f"the example names <{placeholder.group(1)}>, which the test does not seed"
        return seeded[placeholder.group(1)]

    return json.loads(re.sub(r"<(\w+)>", fill, found.group(1)))


async def seed_examples(admin) -> dict[str, str]:
    """What the examples talk about: a programme, EMP-1001 with points, a pending reservation and a
    confirmed one (from the marketplace, as the transaction log example filters)."""
    programme = await recipients.create_programme(admin, "Sales stars", "INR", "0.25")
    asha = await recipients.upsert_recipient(
        admin, RecipientInput(external_id="EMP-1001", full_name="Asha Rao", email="asha.rao@example.com", country="IN")
    )
    await ledger.earn(admin, programme.id, asha.recipient.id, 1000, source="campaign")
    pending = await ledger.reserve(admin, programme.id, asha.recipient.id, 200, source="marketplace")
    confirmed = await ledger.reserve(admin, programme.id, asha.recipient.id, 100, source="marketplace")
    redemption = await ledger.confirm(admin, confirmed.reservation.id)
    campaign = await campaigns.create_campaign(
        admin,
        CampaignInput(
            programme_id=programme.id,
            name="Deal closers",
            reward_type="points",
            starts_at=utcnow() - timedelta(days=1),
            ends_at=utcnow() + timedelta(days=90),
            max_rewards=1000,
            budget=250_000,
            recipient_max_count=3,
            recipient_window_days=30,
        ),
    )
    await campaigns.activate_campaign(admin, campaign.id)
    # A live partner (Chai Point) with a live offer and a second, draft one; the voucher file an
    # import example uploads.
    partner, offer = await onboard_to_live(admin, role_actor("admin", "checker@example.com"))
    await offers.change_offer_status(admin, offer.id, "live")
    second = await offers.create_offer(admin, partner.id, offer_input(title="Chai Point gift card"), terms="Terms.")
    await seed_performance(programme.id, offer.id, asha.recipient.id)  # the partner metrics examples (November 2026)
    staged = await staging.stage_upload(admin, campaign.id, io.BytesIO(FILES[REWARD_FILE][1]), "spot-awards.csv")
    # A reward whose delivery failed (the deliveries and resend examples).
    _, failed_reward, failed_delivery = await issued_with_delivery(admin, campaign.id, "EMP-3003", failed=True)
    ticket = await intake.open_ticket(
        admin,
        intake.TicketReport(category="not_received", message="Nothing arrived", source="console", programme_id=programme.id),
    )
    # A ticket about Asha's confirmed redemption (the points refund examples).
    refund_ticket = await intake.open_ticket(
        admin,
        intake.TicketReport(
            category="wrong_value",
            message="Charged 100 points, no voucher",
            source="console",
            programme_id=programme.id,
            recipient_id=asha.recipient.id,
        ),
    )
    await seed_partner_flag(admin, programme.id, offer.id)
    return {
        "programmeId": str(programme.id),
        "reservationId": str(pending.reservation.id),
        "confirmedReservationId": str(confirmed.reservation.id),
        "campaignId": str(campaign.id),
        "partnerId": str(partner.id),
        "offerId": str(offer.id),
        "offerCode": offer.code.lower(),
        "secondOfferId": str(second.id),
        "recipientId": str(asha.recipient.id),
        "voucherFile": VOUCHER_FILE,
        "rewardFile": REWARD_FILE,
        "rewardUploadId": str(staged.id),
        "failedRewardId": str(failed_reward),
        "failedDeliveryId": str(failed_delivery),
        "ticketId": str(ticket.ticket_id),
        "refundTicketId": str(refund_ticket.ticket_id),
        "redemptionTransferId": str(redemption.transfer.id),
        **await seed_ticket_actions(admin, programme.id, offer.id, failed_reward),
        "partnerReviewId": str((await partner_reviews.start_review(admin, programme.id)).review.id),
    }


async def seed_partner_flag(admin, programme_id, offer_id) -> None:
    """Chai Point seen today and not activated since: under the programme's 20 % activation threshold
    over the last 7 days."""
    await record_event(PerformanceEvent("viewed", utcnow(), programme_id, "example", "view-1", offer_id=offer_id))
    await set_threshold(admin, ThresholdInput(programme_id, "activation_rate", limit_value=2000, window_days=7))
    await partner_flags.sweep()


# Placeholders that stand for a file: the operation is sent as a GraphQL multipart request.
async def seed_performance(programme_id, offer_id, recipient_id) -> None:
    """Asha saw Chai Point's offer on 10 November 2026, activated it and redeemed ₹500.00 on the 12th."""
    from backend.insights import events

    def fact(kind: str, day: int, **value) -> events.PerformanceEvent:
        return events.PerformanceEvent(
            kind=kind, occurred_at=datetime(2026, 11, day, 9, tzinfo=UTC), programme_id=programme_id, source="example",
            source_ref="asha", offer_id=offer_id, recipient_id=recipient_id, **value,
        )  # fmt: skip

    spent = {"value_minor": 50000, "currency": "INR"}
    await events.record_events(
        [fact("viewed", 10), fact("activated", 10), fact("redeemed", 12, **spent), fact("spend", 12, **spent)]
    )


VOUCHER_FILE = "<file:stock.csv>"
REWARD_FILE = "<file:spot-awards.csv>"
FILES = {
    VOUCHER_FILE: ("stock.csv", b"code,pin,denomination,expiry\r\nCP-EXAMPLE-1,,50000,\r\n", "text/csv"),
    REWARD_FILE: (
        "spot-awards.csv",
        b"external_id,full_name,email,points\r\nEMP-1001,,,250\r\nEMP-2002,Ravi Iyer,,250\r\n",
        "text/csv",
    ),
}


def file_paths(value, path: str = "variables") -> dict[str, tuple[str, bytes, str]]:
    """Where the example's variables hold a file placeholder: {"variables.input.file": (name, bytes, type)}."""
    if isinstance(value, dict):
        return {found: file for key, item in value.items() for found, file in file_paths(item, f"{path}.{key}").items()}
    return {path: FILES[value]} if isinstance(value, str) and value in FILES else {}


@pytest.mark.parametrize("path", OPERATIONS, ids=lambda path: path.stem)
async def test_each_documented_operation_runs(api, key, admin, path):
    seeded = await seed_examples(admin)
    document = path.read_text()
    variables = example_variables(document, seeded)
    files = file_paths(variables)
    if files:
        for file_path in files:  # the multipart request carries null where the file goes
            *parents, name = file_path.split(".")[1:]
            target = variables
            for parent in parents:
                target = target[parent]
            target[name] = None
        data = await upload(api, document, variables, files, key=key)
    else:
        data = await api.data(document, variables, key=key, operation_name=path.stem)
    (result,) = data.values()
    assert result, f"{path.name} returned nothing for its example variables"
    if isinstance(result, dict) and "errors" in result:
        assert result["errors"] == [], f"{path.name}'s example input was refused"


def test_every_error_code_of_the_recipients_service_is_in_the_api_enum():
    # A code literal is an UPPER_SNAKE string in the services' sources, or in the core validators it
    # delegates to (plus those of core errors).
    import importlib
    import pkgutil

    import backend.core.contact_points
    import backend.core.iso_codes

    service_modules = [
        importlib.import_module(info.name) for info in pkgutil.iter_modules(recipients.__path__, f"{recipients.__name__}.")
    ]
    sources = (*service_modules, backend.core.contact_points, backend.core.iso_codes)
    trees = [ast.parse(Path(module.__file__).read_text()) for module in sources]
    codes = {
        node.value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"[A-Z][A-Z_]{2,}", node.value)
    }
    assert codes >= {"INVALID_EMAIL", "MISSING_CONTACT"}  # the scan finds codes at all
    assert codes | {"NOT_FOUND", "FORBIDDEN"} <= {code.name for code in RecipientErrorCode}


def test_the_ledger_error_enum_mirrors_the_ledger():
    # The API wraps the ledger's own enum: every code a points mutation can return is in the schema.
    listed = re.search(r"enum LedgerErrorCode \{(.*?)\}", export_sdl(), re.S).group(1).split()
    assert listed == [code.name for code in LedgerErrorCode]
    assert {"INSUFFICIENT_POINTS", "RESERVATION_EXPIRED", "RESERVATION_NOT_PENDING", "IDEMPOTENCY_CONFLICT", "FORBIDDEN"} <= set(
        listed
    )


def test_every_file_level_code_of_uploads_is_in_the_api_enum():
    import backend.rewards.uploads.services.columns
    import backend.rewards.uploads.services.parsing
    import backend.rewards.uploads.services.staging
    from backend.api.rewards.upload_types import RewardUploadErrorCode

    sources = (
        backend.rewards.uploads.services.parsing,
        backend.rewards.uploads.services.staging,
        backend.rewards.uploads.services.columns,
    )
    trees = [ast.parse(Path(module.__file__).read_text()) for module in sources]
    codes = {
        node.value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"[A-Z][A-Z_]{2,}", node.value)
    }
    assert codes >= {"WRONG_HEADER", "INVALID_ENCODING"}
    assert codes <= {code.name for code in RewardUploadErrorCode}
