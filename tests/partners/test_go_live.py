"""Maker-checker go-live: every stage signed off, then a second admin approves."""

import asyncio

import pytest
from onboarding_steps import profile, role_actor, work_stage

from backend.core import audit
from backend.core.authz import SYSTEM, Actor, ActorKind
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.partners import checklist
from backend.partners.services import go_live, onboarding, profiles
from backend.partners.tables import ChecklistCompletion, GoLiveRequest


async def refused(code: str, call) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    assert caught.value.code == code, caught.value
    return caught.value


async def ready_partner(actor):
    """A partner with every stage signed off (the automated UAT item written as its run would)."""
    partner = await profiles.create_partner(actor, profile())
    for stage in checklist.STAGE_KEYS:
        if stage == checklist.UAT:
            await onboarding.record_automated_check(
                actor, partner.id, stage, checklist.SANDBOX_ISSUANCE, note="sandbox run passed"
            )
        await work_stage(actor, partner.id, stage)
    return partner


async def test_go_live_cannot_be_requested_before_every_stage_is_signed_off(admin):
    partner = await profiles.create_partner(admin, profile())
    await work_stage(admin, partner.id, "profiling")
    error = await refused("CHECKLIST_INCOMPLETE", go_live.request_go_live(admin, partner.id))
    assert "Offer set-up & terms" in error.errors[0].message
    assert await GoLiveRequest.count() == 0


async def test_the_requester_cannot_approve_and_a_second_admin_can(admin, checker):
    partner = await ready_partner(admin)
    request = await go_live.request_go_live(admin, partner.id, note="all green")
    assert request.status == "pending" and request.requested_by == admin.id
    await refused("SELF_APPROVAL", go_live.approve_go_live(admin, partner.id))
    assert (await profiles.get_partner(admin, partner.id)).status == "onboarding"
    assert [b.code for b in await onboarding.go_live_blockers(admin, partner.id)] == ["AWAITING_SECOND_APPROVAL"]

    live = await go_live.approve_go_live(checker, partner.id, note="reviewed the trail")
    assert live.status == "live" and await onboarding.go_live_blockers(admin, partner.id) == ()
    decided = (await go_live.go_live_requests(admin, partner.id))[0]
    assert (decided.status, decided.decided_by_label, decided.decision_note) == ("approved", checker.label, "reviewed the trail")
    actions = [entry["action"] for entry in await audit.entity_history(admin, "partner", partner.id)][:2]
    assert actions == ["partner.go_live_approved", "partner.go_live_requested"]
    await refused("PARTNER_NOT_ONBOARDING", go_live.request_go_live(admin, partner.id))


async def test_only_named_people_are_makers_and_checkers(admin):
    partner = await ready_partner(admin)
    await refused("PERSON_REQUIRED", go_live.request_go_live(SYSTEM, partner.id))
    await go_live.request_go_live(admin, partner.id)
    key = Actor(kind=ActorKind.API_KEY, id=new_id(), label="api-key:ci", permissions=admin.permissions)
    await refused("PERSON_REQUIRED", go_live.approve_go_live(key, partner.id))


async def test_one_pending_request_at_a_time_and_rejection_sends_it_back(admin, checker):
    partner = await ready_partner(admin)
    await go_live.request_go_live(admin, partner.id)
    await refused("GO_LIVE_ALREADY_REQUESTED", go_live.request_go_live(checker, partner.id))
    await refused("REASON_REQUIRED", go_live.reject_go_live(checker, partner.id, reason=""))
    await refused("SELF_APPROVAL", go_live.reject_go_live(admin, partner.id, reason="mine"))
    rejected = await go_live.reject_go_live(checker, partner.id, reason="terms PDF is unsigned")
    assert rejected.status == "rejected"
    await refused("NO_PENDING_REQUEST", go_live.approve_go_live(checker, partner.id))
    # the maker fixes it and asks again; this time the checker approves
    await go_live.request_go_live(admin, partner.id)
    await refused("NOT_THE_REQUESTER", go_live.withdraw_go_live_request(checker, partner.id))
    assert (await go_live.approve_go_live(checker, partner.id)).status == "live"
    assert [r.status for r in await go_live.go_live_requests(admin, partner.id)] == ["rejected", "approved"]


async def test_two_checkers_racing_approve_once(admin, checker):
    partner = await ready_partner(admin)
    third = role_actor("admin", "third@example.com")
    await go_live.request_go_live(admin, partner.id)
    results = await asyncio.gather(
        go_live.approve_go_live(checker, partner.id), go_live.approve_go_live(third, partner.id), return_exceptions=True
    )
    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(
        isinstance(r, DomainError) and r.code in ("NO_PENDING_REQUEST", "PARTNER_NOT_ONBOARDING")
        for r in results
        if isinstance(r, Exception)
    )
    assert [r.status for r in await go_live.go_live_requests(admin, partner.id)] == ["approved"]


async def test_two_concurrent_completions_of_one_item_record_it_once(admin, checker):
    partner = await profiles.create_partner(admin, profile())
    results = await asyncio.gather(
        *(
            onboarding.complete_checklist_item(actor, partner.id, "profiling", "company_verified", note=f"by {actor.label}")
            for actor in (admin, checker)
        ),
        return_exceptions=True,
    )
    assert [isinstance(r, DomainError) and r.code == "ITEM_ALREADY_DONE" for r in results].count(True) == 1
    assert await ChecklistCompletion.count() == 1
