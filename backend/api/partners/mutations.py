"""Partners mutations: parse the input, call the partner services, render the result or the
refusal (the payload's ``errors``; nothing changed).

Go-live is maker-checker and the service enforces it: a person requests, a different person
approves. An API key is not a person, so over the API both answer PERSON_REQUIRED; the console is
where people sign the request and the approval. The mutations exist so an integrator reads the
same refusal the service gives, and so a future person-bound credential needs no schema change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from backend.api.partners.ids import entity_id
from backend.api.partners.types.onboarding import (
    ChecklistItem,
    ChecklistItemPayload,
    CompleteChecklistItemInput,
    GoLiveInput,
    GoLiveRequest,
    GoLiveRequestPayload,
    OnboardingStage,
    OnboardingStagePayload,
    SignOffStageInput,
)
from backend.api.partners.types.profile import CreatePartnerInput, Partner, PartnerPayload, UpdatePartnerInput
from backend.api.permissions import requires
from backend.api.uploads import uploaded_file
from backend.core.authz import Permission
from backend.core.errors import DomainError
from backend.partners.services import go_live, onboarding, profiles
from backend.partners.services.onboarding import MAX_EVIDENCE_BYTES, EvidenceUpload


async def answer(refused: Callable[[list], Any], work: Callable[[], Awaitable[Any]]) -> Any:
    """``work()``'s payload, or ``refused(errors)`` when a rule says no."""
    try:
        return await work()
    except DomainError as refusal:
        return refused(refusal.errors)


def _evidence(input_: CompleteChecklistItemInput) -> EvidenceUpload | None:
    if input_.evidence is None:
        return None
    file = uploaded_file(input_.evidence, "evidence")
    # One byte over the limit is enough for the service to say FILE_TOO_LARGE.
    return EvidenceUpload(file_name=file.name, content=file.read(MAX_EVIDENCE_BYTES + 1), content_type=file.content_type)


def _note(value: str | None) -> str:
    return value or ""


@strawberry.type
class PartnerMutations:
    @strawberry.mutation(
        extensions=requires(Permission.PARTNERS_WRITE, refusal=PartnerPayload.refused),
        description="Create a partner (status ONBOARDING, at the first stage). NAME_TAKEN if the name is taken, in any case.",
    )
    async def create_partner(self, info: strawberry.Info, input: CreatePartnerInput) -> PartnerPayload:
        async def create() -> PartnerPayload:
            return PartnerPayload(
                partner=Partner.from_view(await profiles.create_partner(info.context.actor, input.to_domain())), errors=[]
            )

        return await answer(PartnerPayload.refused, create)

    @strawberry.mutation(
        extensions=requires(Permission.PARTNERS_WRITE, refusal=PartnerPayload.refused),
        description="Replace a partner's profile. An offboarded partner is frozen (PARTNER_OFFBOARDED).",
    )
    async def update_partner(self, info: strawberry.Info, input: UpdatePartnerInput) -> PartnerPayload:
        async def update() -> PartnerPayload:
            partner_id = entity_id(input.partner_id, "partner", "partner_id")
            view = await profiles.update_partner_profile(info.context.actor, partner_id, input.to_domain())
            return PartnerPayload(partner=Partner.from_view(view), errors=[])

        return await answer(PartnerPayload.refused, update)

    @strawberry.mutation(
        extensions=requires(Permission.PARTNERS_WRITE, refusal=ChecklistItemPayload.refused),
        description="Mark a checklist item done with evidence (a note, a new file as a multipart upload, an attached file). "
        "STAGE_LOCKED until the previous stage is signed off.",
    )
    async def complete_checklist_item(self, info: strawberry.Info, input: CompleteChecklistItemInput) -> ChecklistItemPayload:
        async def complete() -> ChecklistItemPayload:
            partner_id = entity_id(input.partner_id, "partner", "partner_id")
            evidence_file_id = (
                entity_id(input.evidence_file_id, "evidence file", "evidence_file_id")
                if input.evidence_file_id is not None
                else None
            )
            item = await onboarding.complete_checklist_item(
                info.context.actor,
                partner_id,
                input.stage.value,
                input.item,
                note=_note(input.note),
                evidence=_evidence(input),
                evidence_file_id=evidence_file_id,
            )
            return ChecklistItemPayload(item=ChecklistItem.from_view(item), errors=[])

        return await answer(ChecklistItemPayload.refused, complete)

    @strawberry.mutation(
        extensions=requires(Permission.PARTNERS_WRITE, refusal=OnboardingStagePayload.refused),
        description="Sign off a stage whose items are all done (CHECKLIST_INCOMPLETE otherwise); the next stage opens.",
    )
    async def sign_off_stage(self, info: strawberry.Info, input: SignOffStageInput) -> OnboardingStagePayload:
        async def sign_off() -> OnboardingStagePayload:
            partner_id = entity_id(input.partner_id, "partner", "partner_id")
            stage = await onboarding.sign_off_stage(info.context.actor, partner_id, input.stage.value, _note(input.note))
            return OnboardingStagePayload(stage=OnboardingStage.from_view(stage), errors=[])

        return await answer(OnboardingStagePayload.refused, sign_off)

    @strawberry.mutation(
        extensions=requires(Permission.PARTNERS_WRITE, refusal=GoLiveRequestPayload.refused),
        description="The maker's step, once every stage is signed off. A named person only: an API key gets PERSON_REQUIRED.",
    )
    async def request_go_live(self, info: strawberry.Info, input: GoLiveInput) -> GoLiveRequestPayload:
        async def request() -> GoLiveRequestPayload:
            partner_id = entity_id(input.partner_id, "partner", "partner_id")
            view = await go_live.request_go_live(info.context.actor, partner_id, _note(input.note))
            return GoLiveRequestPayload(request=GoLiveRequest.from_view(view), errors=[])

        return await answer(GoLiveRequestPayload.refused, request)

    @strawberry.mutation(
        extensions=requires(Permission.PARTNERS_WRITE, refusal=PartnerPayload.refused),
        description="The checker's step: a person other than the requester approves (SELF_APPROVAL otherwise) and the "
        "partner goes LIVE. A named person only: an API key gets PERSON_REQUIRED.",
    )
    async def approve_go_live(self, info: strawberry.Info, input: GoLiveInput) -> PartnerPayload:
        async def approve() -> PartnerPayload:
            partner_id = entity_id(input.partner_id, "partner", "partner_id")
            return PartnerPayload(
                partner=Partner.from_view(await go_live.approve_go_live(info.context.actor, partner_id, _note(input.note))),
                errors=[],
            )

        return await answer(PartnerPayload.refused, approve)
