"""Recipients mutations: parse the input, call the service, render its result or its refusal."""

from __future__ import annotations

import strawberry

from backend.api.permissions import requires
from backend.api.recipients.types import Recipient, UpsertRecipientInput, UpsertRecipientPayload
from backend.core.authz import Permission
from backend.core.errors import DomainError
from backend.recipients import service as recipients


@strawberry.type
class RecipientMutations:
    @strawberry.mutation(
        extensions=requires(Permission.RECIPIENTS_WRITE, refusal=UpsertRecipientPayload.refused),
        description="Create or update a recipient by `externalId`. Sending the same record again changes nothing.",
    )
    async def upsert_recipient(self, info: strawberry.Info, input: UpsertRecipientInput) -> UpsertRecipientPayload:
        try:
            result = await recipients.upsert_recipient(info.context.actor, input.to_domain())
        except DomainError as refused:
            return UpsertRecipientPayload.refused(refused.errors)
        return UpsertRecipientPayload(recipient=Recipient.from_view(result.recipient), created=result.created, errors=[])
