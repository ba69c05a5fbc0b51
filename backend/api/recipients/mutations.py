"""Recipients mutations: parse the input, call the service, render its result or its refusal."""

from __future__ import annotations

import strawberry

from backend.api.permissions import requires
from backend.api.recipients.types import (
    Recipient,
    RecipientSyncReport,
    SyncRecipientsInput,
    SyncRecipientsPayload,
    UpsertRecipientInput,
    UpsertRecipientPayload,
)
from backend.api.uploads import uploaded_file
from backend.core.authz import Permission
from backend.core.errors import DomainError
from backend.recipients import hr_sync
from backend.recipients import services as recipients


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

    @strawberry.mutation(
        extensions=requires(Permission.RECIPIENTS_WRITE, refusal=SyncRecipientsPayload.refused),
        description="Upsert many recipients from an HR export (Workday, SAP SuccessFactors, Darwinbox or a custom mapping): "
        "the report counts created, updated and unchanged recipients and lists every rejected row with its reason.",
    )
    async def sync_recipients(self, info: strawberry.Info, input: SyncRecipientsInput) -> SyncRecipientsPayload:
        try:
            if (input.rows is None) == (input.file is None):
                raise DomainError.single("ROWS_OR_FILE", "send the export as `rows` or as a CSV `file`, not both", field="rows")
            if input.mapping is not None and not isinstance(input.mapping, dict):
                raise DomainError.single(
                    "CUSTOM_MAPPING_INVALID", 'a mapping is an object {"source column": "target"}', field="mapping"
                )
            mapping = hr_sync.mapping_for(input.source, input.mapping)
            if input.file is not None:
                # Read the whole file first: a bad file is refused before any row is written.
                rows = list(hr_sync.rows_from_csv(uploaded_file(input.file, "file").stream))
            else:
                rows = input.rows
            report = await hr_sync.sync_recipients(info.context.actor, mapping, rows, input.source_system or input.source.value)
        except DomainError as refused:
            return SyncRecipientsPayload.refused(refused.errors)
        return SyncRecipientsPayload(report=RecipientSyncReport.from_view(report), errors=[])
