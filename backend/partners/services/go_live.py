"""Go-live, maker-checker: one person requests it once every stage is signed off, and a different
person approves it (or rejects it). Approval is what makes a partner ``live``.

Error codes: CHECKLIST_INCOMPLETE (a stage is not signed off), GO_LIVE_ALREADY_REQUESTED,
NO_PENDING_REQUEST, SELF_APPROVAL (the requester tried to approve or reject their own request),
NOT_THE_REQUESTER (only the requester withdraws), PERSON_REQUIRED (an API key or the system cannot
be a maker or a checker), PARTNER_NOT_ONBOARDING.
"""

from __future__ import annotations

import uuid

from backend.core import audit
from backend.core.authz import Actor, ActorKind, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.db_errors import is_unique_violation
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.partners import checklist
from backend.partners.services.onboarding import OnboardingState, load_state
from backend.partners.tables import GoLiveRequest, Partner
from backend.partners.views import (
    APPROVED,
    LIVE,
    ONBOARDING,
    PENDING,
    REJECTED,
    WITHDRAWN,
    GoLiveRequestView,
    PartnerView,
    go_live_request_view,
    partner_view,
)

# Who may act as maker and as checker. Every role that works on partners holds it; the second
# pair of eyes is enforced by identity (SELF_APPROVAL), not by a different permission.
GO_LIVE_PERMISSION = Permission.PARTNERS_WRITE


def _require_person(actor: Actor) -> None:
    actor.require(GO_LIVE_PERMISSION)
    if actor.kind is not ActorKind.USER or actor.id is None:
        raise DomainError.single(
            "PERSON_REQUIRED", "go-live is requested and approved by named people, not by keys or the system"
        )


def _require_onboarding(state: OnboardingState) -> None:
    if state.partner.status != ONBOARDING:
        raise DomainError.single("PARTNER_NOT_ONBOARDING", f"{state.partner.name} is {state.partner.status}, not onboarding")


def _require_all_signed_off(state: OnboardingState) -> None:
    unsigned = [stage.label for stage in checklist.STAGES if stage.key not in state.sign_offs]
    if unsigned:
        raise DomainError.single(
            "CHECKLIST_INCOMPLETE", f"every stage must be signed off first; still open: {', '.join(unsigned)}"
        )


def _pending(state: OnboardingState) -> GoLiveRequestView:
    request = state.latest_request
    if request is None or request.status != PENDING:
        raise DomainError.single("NO_PENDING_REQUEST", f"{state.partner.name} has no go-live request waiting for a decision")
    return request


async def request_go_live(actor: Actor, partner_id: uuid.UUID, note: str = "") -> GoLiveRequestView:
    """The maker's step: every stage is signed off; ask a second person to approve."""
    _require_person(actor)
    check_text("note", note, multiline=True)
    async with write_transaction():
        state = await load_state(partner_id)
        _require_onboarding(state)
        _require_all_signed_off(state)
        if state.latest_request is not None and state.latest_request.status == PENDING:
            raise DomainError.single(
                "GO_LIVE_ALREADY_REQUESTED",
                f"go-live was requested by {state.latest_request.requested_by_label} and awaits approval",
            )
        request_id = new_id()
        try:
            await GoLiveRequest.insert(
                GoLiveRequest(
                    id=request_id,
                    partner=partner_id,
                    status=PENDING,
                    note=(note or "").strip()[:4000],
                    requested_by=actor.id,
                    requested_by_label=actor.label,
                    requested_at=utcnow(),
                )
            )
        except Exception as error:
            if is_unique_violation(error):  # the partial unique index: one pending request per partner
                raise DomainError.single(
                    "GO_LIVE_ALREADY_REQUESTED", "a go-live request for this partner already awaits approval"
                ) from None
            raise
        await audit.record(
            actor, "partner.go_live_requested", "partner", partner_id, after={"request_id": request_id, "note": note}
        )
        return go_live_request_view(await GoLiveRequest.select().where(GoLiveRequest.id == request_id).first())


async def _decide(actor: Actor, request: GoLiveRequestView, status: str, note: str) -> None:
    check_text("reason" if status != APPROVED else "note", note, multiline=True)
    # Conditional update: a concurrent decision (or a self-decision that slipped past) finds no row.
    decided = (
        await GoLiveRequest.update(
            {
                GoLiveRequest.status: status,
                GoLiveRequest.decided_by: actor.id,
                GoLiveRequest.decided_by_label: actor.label,
                GoLiveRequest.decided_at: utcnow(),
                GoLiveRequest.decision_note: (note or "").strip()[:4000],
            }
        )
        .where(GoLiveRequest.id == request.id, GoLiveRequest.status == PENDING)
        .returning(GoLiveRequest.id)
    )
    if not decided:
        raise DomainError.single("NO_PENDING_REQUEST", "the go-live request was decided meanwhile")


async def approve_go_live(actor: Actor, partner_id: uuid.UUID, note: str = "") -> PartnerView:
    """The checker's step: a person other than the requester approves; the partner becomes live."""
    _require_person(actor)
    async with write_transaction():
        state = await load_state(partner_id)
        _require_onboarding(state)
        request = _pending(state)
        if request.requested_by == actor.id:
            raise DomainError.single("SELF_APPROVAL", f"{actor.label} requested this go-live; a second admin must approve it")
        _require_all_signed_off(state)
        await _decide(actor, request, APPROVED, note)
        went_live = (
            await Partner.update({Partner.status: LIVE, Partner.updated_at: utcnow()})
            .where(Partner.id == partner_id, Partner.status == ONBOARDING)
            .returning(Partner.id)
        )
        if not went_live:
            raise DomainError.single("PARTNER_NOT_ONBOARDING", f"{state.partner.name} changed status meanwhile")
        await audit.record(
            actor,
            "partner.go_live_approved",
            "partner",
            partner_id,
            before={"status": ONBOARDING},
            after={"status": LIVE, "request_id": request.id, "requested_by": request.requested_by_label, "note": note},
        )
        return partner_view(await Partner.select().where(Partner.id == partner_id).first())


async def reject_go_live(actor: Actor, partner_id: uuid.UUID, reason: str) -> GoLiveRequestView:
    """The checker sends it back with a reason; the partner stays onboarding and may request again."""
    _require_person(actor)
    if not (reason or "").strip():
        raise DomainError.single("REASON_REQUIRED", "say why go-live is rejected", field="reason")
    async with write_transaction():
        state = await load_state(partner_id)
        request = _pending(state)
        if request.requested_by == actor.id:
            raise DomainError.single("SELF_APPROVAL", "the requester cannot decide their own request; withdraw it instead")
        await _decide(actor, request, REJECTED, reason)
        await audit.record(
            actor, "partner.go_live_rejected", "partner", partner_id, after={"request_id": request.id, "reason": reason}
        )
        return go_live_request_view(await GoLiveRequest.select().where(GoLiveRequest.id == request.id).first())


async def withdraw_go_live_request(actor: Actor, partner_id: uuid.UUID, reason: str = "") -> GoLiveRequestView:
    """The requester takes their pending request back."""
    _require_person(actor)
    async with write_transaction():
        state = await load_state(partner_id)
        request = _pending(state)
        if request.requested_by != actor.id:
            raise DomainError.single("NOT_THE_REQUESTER", f"only {request.requested_by_label} can withdraw this request")
        await _decide(actor, request, WITHDRAWN, reason)
        await audit.record(
            actor, "partner.go_live_withdrawn", "partner", partner_id, after={"request_id": request.id, "reason": reason}
        )
        return go_live_request_view(await GoLiveRequest.select().where(GoLiveRequest.id == request.id).first())


async def go_live_requests(actor: Actor, partner_id: uuid.UUID) -> list[GoLiveRequestView]:
    """Every request of the partner, oldest first: the decision history."""
    actor.require(Permission.CATALOG_READ)
    rows = await GoLiveRequest.select().where(GoLiveRequest.partner == partner_id).order_by(GoLiveRequest.id)
    return [go_live_request_view(row) for row in rows]


async def go_live_requests_in(actor: Actor, status: str, limit: int = 100) -> list[GoLiveRequestView]:
    """Requests of every partner in one status, newest first: the console's inbox (pending ones wait
    for a checker, rejected ones for their requester)."""
    actor.require(Permission.CATALOG_READ)
    rows = (
        await GoLiveRequest.select()
        .where(GoLiveRequest.status == status)
        .order_by(GoLiveRequest.id, ascending=False)
        .limit(max(1, min(limit, 500)))
    )
    return [go_live_request_view(row) for row in rows]
