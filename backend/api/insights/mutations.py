"""Partner performance mutations: reportCodesUsed, for a partner's system telling which voucher
codes were used. Parse the input, call the insights service, render the outcome or the refusal."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from backend.api.errors import UserError, errors_field, payload_errors
from backend.api.partners.ids import entity_id
from backend.api.partners.mutations import answer
from backend.api.permissions import requires
from backend.core.authz import Permission
from backend.core.errors import FieldError
from backend.insights import redemptions


@strawberry.enum(description="Why reportCodesUsed changed nothing.")
class InsightErrorCode(enum.Enum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    CODES_INVALID = "CODES_INVALID"
    INVALID_CHARACTERS = "INVALID_CHARACTERS"
    FX_RATE_MISSING = "FX_RATE_MISSING"


@strawberry.type
class InsightError(UserError):
    code: InsightErrorCode


@strawberry.enum(description="RECORDED: counted now. ALREADY_RECORDED: counted before (a replay counts once). "
                 "UNKNOWN_CODE: not a code of this partner held by an issued reward; nothing recorded.")  # fmt: skip
class CodeUseStatus(enum.Enum):
    RECORDED = redemptions.RECORDED
    ALREADY_RECORDED = redemptions.ALREADY_RECORDED
    UNKNOWN_CODE = redemptions.UNKNOWN_CODE


@strawberry.input(description="A voucher code the partner saw used.")
class UsedCodeInput:
    code: str
    used_at: datetime | None = strawberry.field(default=None, description="When it was used; now when left out.")


@strawberry.input
class ReportCodesUsedInput:
    partner_id: strawberry.ID = strawberry.field(description="The partner whose codes these are.")
    codes: list[UsedCodeInput] = strawberry.field(description=f"1 to {redemptions.MAX_CODES} codes.")


@strawberry.type(description="What became of one reported code (codes are not echoed back).")
class CodeUseOutcome:
    position: int = strawberry.field(description="The code's position in `codes`, from 1.")
    status: CodeUseStatus
    reward_id: strawberry.ID | None = strawberry.field(description="The issued reward the code belongs to.")


@strawberry.type(description="One outcome per reported code, in order.")
class ReportCodesUsedPayload:
    outcomes: list[CodeUseOutcome]
    errors: list[InsightError] = errors_field()

    @classmethod
    def refused(cls, errors: list[FieldError]) -> ReportCodesUsedPayload:
        return cls(outcomes=[], errors=payload_errors(InsightError, InsightErrorCode, errors))


@strawberry.type
class InsightMutations:
    @strawberry.mutation(
        extensions=requires(Permission.CATALOG_WRITE, refusal=ReportCodesUsedPayload.refused),
        description="Report voucher codes used at the partner: each is a redemption of its reward (and its value spent), "
        "counted once however often it is reported, so a retry needs no idempotency key.",
    )
    async def report_codes_used(self, info: strawberry.Info, input: ReportCodesUsedInput) -> ReportCodesUsedPayload:
        async def report() -> ReportCodesUsedPayload:
            partner_id = entity_id(input.partner_id, "partner", "partner_id")
            used = [redemptions.UsedCode(item.code, item.used_at) for item in input.codes]
            outcomes = await redemptions.report_codes_used(info.context.actor, partner_id, used)
            return ReportCodesUsedPayload(
                outcomes=[
                    CodeUseOutcome(
                        position=o.line,
                        status=CodeUseStatus(o.status),
                        reward_id=strawberry.ID(str(o.issuance_id)) if o.issuance_id else None,
                    )
                    for o in outcomes
                ],
                errors=[],
            )

        return await answer(ReportCodesUsedPayload.refused, report)
