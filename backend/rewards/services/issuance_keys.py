"""The idempotency record of a reward request: what makes two requests the same, and under which
caller a key is recorded (an upload records its rows under the upload, not the person retrying it)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from backend.core import idempotency
from backend.core.authz import Actor
from backend.core.errors import DomainError

if TYPE_CHECKING:
    from backend.rewards.services.issuance import RewardRequest


def idempotency_request(actor: Actor, request: RewardRequest, scope: str | None) -> idempotency.Request:
    params = {
        "campaign_id": request.campaign_id,
        "recipient_id": request.recipient_id,
        "offer_id": request.offer_id,
        "value": request.value,
        "source_event": request.source_event or "",
        "channel": request.channel,
    }
    key = idempotency.Request.of(actor, request.idempotency_key, "rewards.issue", params)
    if key is None:
        raise DomainError.single(
            idempotency.IDEMPOTENCY_KEY_INVALID, "an issuance needs an idempotency key", field="idempotency_key"
        )
    if scope:
        key = dataclasses.replace(key, caller=scope[:150])
    return key
