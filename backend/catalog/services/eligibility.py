"""Who may have which offer: rule checking, the "N of M recipients eligible" preview (counted in
the database), and the per-recipient answer (one evaluator, ``backend.catalog.eligibility``)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from functools import lru_cache

from backend.catalog import eligibility
from backend.catalog.eligibility.refusals import explain
from backend.catalog.services import routing
from backend.catalog.services.offer_rows import load_offer, offer_view, offers_query
from backend.catalog.services.offers import OfferFilter, filtered
from backend.catalog.tables import Offer
from backend.catalog.views import EligibilityPreview, OfferView
from backend.core.authz import Actor, Permission
from backend.core.db import current_engine
from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientView


@lru_cache(maxsize=1024)  # a pure function of the rule's text: nothing to expire
def _rule(text: str) -> eligibility.Rule | None:
    # Stored rules are canonical text; parsing each once per process is enough.
    return eligibility.parse(text)


@lru_cache(maxsize=1024)
def rule_attributes(text: str) -> frozenset[str]:
    """The attributes a stored rule reads (``country``, ``grade``, …): what a recipient needs for
    the rule to decide on them."""
    return eligibility.attributes(_rule(text))


def check_rule(text: str) -> str:
    """The rule in canonical form, or RuleError (code INVALID_RULE, with ``position`` and
    ``reason``). Needs no database: the console calls it as the admin types."""
    return eligibility.canonical(text)


def eligible(offer: OfferView, recipient: RecipientView) -> bool:
    """Whether the recipient satisfies the offer's rule. The one decision, used by the API, the
    console and issuance alike."""
    attributes = eligibility.recipient_attributes(
        recipient.hr_attributes,
        country=recipient.country,
        preferred_channel=recipient.preferred_channel,
        source_system=recipient.source_system,
    )
    return eligibility.evaluate(_rule(offer.eligibility_rule), attributes)


def refusal(offer: OfferView, recipient: RecipientView) -> str:
    """Why the recipient is not eligible for the offer, in plain words naming the attribute that is
    missing or fails ("country is missing; the offer is for IN, DE"); "" when they are eligible."""
    attributes = eligibility.recipient_attributes(
        recipient.hr_attributes,
        country=recipient.country,
        preferred_channel=recipient.preferred_channel,
        source_system=recipient.source_system,
    )
    return explain(_rule(offer.eligibility_rule), attributes)


def recipient_condition(rule: eligibility.Rule | None) -> eligibility.SqlCondition:
    """The rule as a SQL condition over the recipients domain's ``recipient_directory`` view (its
    ``hr_attributes`` column is json) in the current database."""
    return eligibility.compile_sql(rule, current_engine().engine_type, json_column="hr_attributes", jsonb=False)


def preview_query(rule: eligibility.Rule | None) -> eligibility.SqlCondition:
    """The preview as one aggregate query (``total``, ``eligible``) with {} placeholders: a single
    pass over the active recipients."""
    condition = recipient_condition(rule)
    return eligibility.SqlCondition(
        f"SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN {condition.sql} THEN 1 ELSE 0 END), 0) AS eligible "
        "FROM recipient_directory WHERE status = 'active'",
        condition.params,
    )


async def preview_eligibility(actor: Actor, rule_text: str) -> EligibilityPreview:
    """How many active recipients the rule admits, of how many: counted in the database."""
    actor.require(Permission.CATALOG_READ)
    rule = eligibility.parse(rule_text)
    query = preview_query(rule)
    rows = await Offer.raw(query.sql, *query.params)
    return EligibilityPreview(
        rule="" if rule is None else eligibility.to_text(rule), eligible=int(rows[0]["eligible"]), total=int(rows[0]["total"])
    )


async def offer_eligibility_preview(actor: Actor, offer_id: uuid.UUID) -> EligibilityPreview:
    """The preview of the rule an offer has now."""
    actor.require(Permission.CATALOG_READ)
    return await preview_eligibility(actor, (await load_offer(offer_id)).eligibility_rule)


async def is_eligible(actor: Actor, offer_id: uuid.UUID, recipient_id: uuid.UUID) -> bool:
    actor.require(Permission.CATALOG_READ)
    offer = await load_offer(offer_id)
    return eligible(offer, await recipients.get_recipient(actor, recipient_id))


async def eligible_offers(
    actor: Actor, recipient_id: uuid.UUID, offer_filter: OfferFilter | None = None, limit: int = 200
) -> list[OfferView]:
    """The available offers (live, of a live partner) this recipient qualifies for, in rank order
    adjusted by the segment routes that admit them (``routing``; ``rank`` is then the position in
    that order): the API's ``offers(eligibleFor: …)``."""
    actor.require(Permission.CATALOG_READ)
    recipient = await recipients.get_recipient(actor, recipient_id)
    query = filtered(offers_query(), replace(offer_filter or OfferFilter(), available_only=True))
    rows = await query.order_by(Offer.rank).order_by(Offer.id).limit(max(1, min(limit, 1000)))
    return await routing.routed([offer for offer in map(offer_view, rows) if eligible(offer, recipient)], recipient)
