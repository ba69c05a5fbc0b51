"""Replace a partner, maker-checker: one admin requests it (the replacement partner, which must be
live, and a replacement offer for each of the old partner's offers), a different admin approves it
(or rejects it). Approval does everything in one transaction: each replacement takes its old
offer's ranking position and segment routes (catalogue), its places in every campaign not ended
(campaigns), and the old offers are retired; then :mod:`integrity` must find nothing left pointing
at a retired offer, or the whole approval is undone.

Error codes: PERSON_REQUIRED (the system cannot be maker or checker), SAME_PARTNER,
PARTNER_NOT_LIVE, OFFERS_UNMAPPED (an offer of the old partner has no replacement), the catalogue's
offer checks (NOT_THE_PARTNERS_OFFER, REPLACEMENT_NOT_LIVE, CURRENCY_MISMATCH, OFFER_RETIRED),
REPLACEMENT_ALREADY_REQUESTED, NO_PENDING_REPLACEMENT, SELF_APPROVAL, REASON_REQUIRED,
REFERENCES_LEFT, NOT_REQUESTER (only the maker withdraws their request; kept as rejected, audited
as withdrawn).
"""

from __future__ import annotations

import uuid

from backend.campaigns.services import offer_replacement
from backend.catalog.services import offers, retirement
from backend.catalog.services.offers import OfferFilter
from backend.catalog.views import RETIRED
from backend.core import audit, sql
from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.db_errors import is_unique_violation
from backend.core.errors import DomainError, FieldError
from backend.insights.actions.services import integrity, records
from backend.insights.actions.views import APPROVED, PARTNER_REPLACEMENT, PENDING, REJECTED, ActionView
from backend.partners.services import profiles as partners
from backend.partners.views import LIVE

PERMISSION = Permission.CATALOG_WRITE  # maker and checker alike; the second pair of eyes is by identity


def _require_person(actor: Actor) -> None:
    actor.require(PERMISSION)
    # A named admin, or an integrator's key (its own identity): never the system, which answers to no one.
    if actor.kind is ActorKind.SYSTEM or actor.id is None:
        raise DomainError.single("PERSON_REQUIRED", "a partner replacement is requested and approved by named admins or keys")


async def _checked_plan(old_partner_id: uuid.UUID, new_partner_id: uuid.UUID, offer_map: dict[uuid.UUID, uuid.UUID]) -> dict:
    """Every problem at once, read now: the plan as recorded (names included, for the review)."""
    if old_partner_id == new_partner_id:
        raise DomainError.single("SAME_PARTNER", "a partner cannot replace itself", field="replacement_partner_id")
    old = await partners.get_partner(SYSTEM, old_partner_id)
    new = await partners.get_partner(SYSTEM, new_partner_id)
    if new.status != LIVE:
        raise DomainError.single(
            "PARTNER_NOT_LIVE", f"{new.name} is {new.status}: only a live partner can take over", field="replacement_partner_id"
        )
    current = (await offers.list_offers(SYSTEM, OfferFilter(partner_id=old_partner_id), limit=200)).rows
    unmapped = [offer.title for offer in current if offer.status != RETIRED and offer.id not in offer_map]
    errors: list[FieldError] = []
    if unmapped:
        errors.append(FieldError("offer_map", "OFFERS_UNMAPPED", f"choose a replacement for: {', '.join(unmapped)}"))
    if not offer_map and not unmapped:
        errors.append(FieldError("offer_map", "REQUIRED", f"{old.name} has no offer to replace"))
    found = await offers.offers_by_ids(SYSTEM, [*offer_map, *offer_map.values()])
    try:
        retirement.check_replacements(offer_map, found, old_partner_id, new_partner_id)
    except DomainError as error:
        errors.extend(error.errors)
    if errors:
        raise DomainError(errors)
    return {
        "partner_id": str(old_partner_id),
        "partner_name": old.name,
        "replacement_partner_id": str(new_partner_id),
        "replacement_partner_name": new.name,
        "offer_map": {str(old_id): str(new_id) for old_id, new_id in offer_map.items()},
        "offer_titles": {str(offer_id): offer.title for offer_id, offer in found.items()},
    }


def _offer_map(request: dict) -> dict[uuid.UUID, uuid.UUID]:
    return {uuid.UUID(old_id): uuid.UUID(new_id) for old_id, new_id in request["offer_map"].items()}


async def request_replacement(
    actor: Actor,
    partner_id: uuid.UUID,
    replacement_partner_id: uuid.UUID,
    offer_map: dict[uuid.UUID, uuid.UUID],
    *,
    note: str = "",
    review_id: uuid.UUID | str | None = None,
) -> ActionView:
    """The maker's step: the plan is checked now (and again at approval) and waits for a second admin."""
    _require_person(actor)
    note = records.note_of(note)
    review = records.review_id_of(review_id)
    plan = await _checked_plan(partner_id, replacement_partner_id, dict(offer_map))
    summary = f"Replace {plan['partner_name']} with {plan['replacement_partner_name']} ({len(offer_map)} offer(s))"
    async with write_transaction():
        try:
            return await records.record(
                actor,
                PARTNER_REPLACEMENT,
                summary=summary,
                request={**plan, "note": note},
                partner_id=partner_id,
                review_id=review,
                status=PENDING,
            )
        except Exception as error:
            if is_unique_violation(error):  # the partial unique index: one pending replacement per partner
                raise DomainError.single(
                    "REPLACEMENT_ALREADY_REQUESTED", f"a replacement of {plan['partner_name']} already awaits approval"
                ) from None
            raise


async def _pending(action_id: uuid.UUID) -> ActionView:
    action = await records.load(action_id)
    if action.kind != PARTNER_REPLACEMENT or action.status != PENDING:
        raise DomainError.single("NO_PENDING_REPLACEMENT", "this replacement is not waiting for a decision", field="action_id")
    return action


async def _decide(actor: Actor, action: ActionView, status: str, note: str) -> None:
    """The decision first, by a conditional UPDATE: of two concurrent checkers, the second waits on
    this row and then finds it decided (NO_PENDING_REPLACEMENT) before it changes anything."""
    decided = await sql.fetch(
        """UPDATE insight_actions SET status = $2, decided_by = $3, decided_by_label = $4, decided_at = $5, decision_note = $6
        WHERE id = $1 AND status = $7 RETURNING id""",
        action.id,
        status,
        actor.id,
        actor.label[:255],
        utcnow(),
        note,
        PENDING,
    )
    if not decided:
        raise DomainError.single("NO_PENDING_REPLACEMENT", "the replacement was decided meanwhile", field="action_id")


def _not_self(actor: Actor, action: ActionView, verb: str) -> None:
    if action.requested_by == actor.id:
        raise DomainError.single(
            "SELF_APPROVAL",
            f"{actor.label} requested this replacement and cannot {verb} it: a second admin must decide",
            field="action_id",
        )


async def approve_replacement(actor: Actor, action_id: uuid.UUID, note: str = "") -> ActionView:
    """The checker's step, all in one transaction: ranks, routes and campaign places move to the
    replacement offers, the old offers are retired, and nothing is left pointing at them."""
    _require_person(actor)
    note = records.note_of(note)
    async with write_transaction():
        action = await _pending(action_id)
        _not_self(actor, action, "approve")
        await _decide(actor, action, APPROVED, note)
        offer_map = _offer_map(action.request)
        plan = await _checked_plan(
            uuid.UUID(action.request["partner_id"]), uuid.UUID(action.request["replacement_partner_id"]), offer_map
        )
        reason = f"replaced by {plan['replacement_partner_name']} (corrective action {action.id})"
        before_campaigns = {
            str(campaign.campaign_id): [str(offer_id) for offer_id in campaign.offer_ids]
            for campaign in await offer_replacement.running_campaigns_offering(set(offer_map))
        }
        handed = await retirement.hand_over_offers(actor, offer_map, reason)
        changed = await offer_replacement.replace_offers(actor, offer_map, reason)
        left = await integrity.retired_offer_references()
        if not left.clear:
            raise DomainError.single(
                "REFERENCES_LEFT",
                f"after the replacement, {left.describe()} would still point at a retired offer: nothing was changed",
            )
        after = {
            "retired_offer_ids": [str(offer_id) for offer_id in handed.retired],
            "ranks": {str(offer_id): {"before": ranks[0], "after": ranks[1]} for offer_id, ranks in handed.ranks.items()},
            "routes_moved": handed.routes_moved,
            "campaigns": {str(campaign.campaign_id): [str(offer_id) for offer_id in campaign.offer_ids] for campaign in changed},
        }
        await sql.fetch(
            "UPDATE insight_actions SET before = $2, after = $3 WHERE id = $1",
            action.id,
            records.dumps({"campaigns": before_campaigns}),
            records.dumps(after),
        )
        await audit.record(
            actor,
            "insight_action.partner_replacement_approved",
            "insight_action",
            action.id,
            before={"status": PENDING, "campaigns": before_campaigns},
            after={"status": APPROVED, "requested_by": action.requested_by_label, "note": note, **after},
        )
        return await records.load(action.id)


async def _reject(actor: Actor, action: ActionView, reason: str, event: str) -> ActionView:
    """Rejected by a checker or withdrawn by its maker, both kept as rejected with the reason and
    told apart by the audit ``event``; nothing else changes."""
    await _decide(actor, action, REJECTED, reason)
    await audit.record(
        actor, event, "insight_action", action.id, before={"status": PENDING}, after={"status": REJECTED, "reason": reason}
    )
    return await records.load(action.id)


async def reject_replacement(actor: Actor, action_id: uuid.UUID, reason: str) -> ActionView:
    """The checker sends it back with a reason; nothing else changes."""
    _require_person(actor)
    reason = records.note_of(reason, "reason")
    if not reason:
        raise DomainError.single("REASON_REQUIRED", "say why the replacement is rejected", field="reason")
    async with write_transaction():
        action = await _pending(action_id)
        _not_self(actor, action, "reject")
        return await _reject(actor, action, reason, "insight_action.partner_replacement_rejected")


async def withdraw_replacement(actor: Actor, action_id: uuid.UUID, reason: str = "") -> ActionView:
    """The maker takes their pending request back (a checker rejects it instead); nothing else changes."""
    _require_person(actor)
    reason = records.note_of(reason, "reason")
    async with write_transaction():
        action = await _pending(action_id)
        if action.requested_by != actor.id:
            raise DomainError.single(
                "NOT_REQUESTER",
                f"only {action.requested_by_label} withdraws this request; a second admin rejects it",
                field="action_id",
            )
        return await _reject(actor, action, reason, "insight_action.partner_replacement_withdrawn")


async def pending_replacements(actor: Actor, limit: int = 100) -> list[ActionView]:
    """Replacements waiting for a checker, newest first: the console's approvals inbox."""
    return await records.list_actions(actor, kind=PARTNER_REPLACEMENT, status=PENDING, limit=limit)
