"""The one small interface every provider stands behind: ``send`` a rendered message, get back the
provider's message id or a classified failure. A provider never raises for a failed send: what
went wrong is a :class:`Failure`, transient (worth retrying, maybe after ``retry_after``) or
permanent (retrying cannot help; a person must act)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

TRANSIENT, PERMANENT = "transient", "permanent"
EMAIL, SMS, WHATSAPP = "email", "sms", "whatsapp"


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email (a report): what email providers attach; others ignore it."""

    file_name: str
    content_type: str  # e.g. application/pdf
    content: bytes


@dataclass(frozen=True)
class Message:
    delivery_id: uuid.UUID  # also the idempotency key, for providers that honour one
    programme_id: uuid.UUID | None
    channel: str
    to: str  # an email address, or an E.164 phone number
    subject: str  # email only
    html: str  # email only
    text: str
    # The template's variables (recipient_name, value, claim_url, …), for providers that send a
    # pre-approved template with parameters instead of our text (WhatsApp Cloud).
    variables: dict[str, str] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()  # email only
    # A notice (an agent's reply, a replacement code, a breach alert) rather than a reward's message:
    # providers that send a reward's pre-approved template send a notice's text its own way.
    notice: bool = False


@dataclass(frozen=True)
class Failure:
    kind: str  # transient | permanent
    code: str  # e.g. TIMEOUT, HTTP_503, RATE_LIMITED, INVALID_NUMBER, HARD_BOUNCE
    text: str  # in words, for the admin who reads it
    retry_after: float | None = None  # seconds the provider asked us to wait


@dataclass(frozen=True)
class Outcome:
    provider_message_id: str | None = None
    failure: Failure | None = None

    @property
    def sent(self) -> bool:
        return self.failure is None


def transient(code: str, text: str, retry_after: float | None = None) -> Outcome:
    return Outcome(failure=Failure(TRANSIENT, code, text[:2000], retry_after))


def permanent(code: str, text: str) -> Outcome:
    return Outcome(failure=Failure(PERMANENT, code, text[:2000]))


# What a provider's status callback may say of a message, in the order a message moves through them;
# the last three end it as failed.
QUEUED, SENT_STATUS, DELIVERED, READ = "queued", "sent", "delivered", "read"
BOUNCED, FAILED_STATUS, UNDELIVERABLE = "bounced", "failed", "undeliverable"
STATUSES = (QUEUED, SENT_STATUS, DELIVERED, READ, BOUNCED, FAILED_STATUS, UNDELIVERABLE)
FAILURE_STATUSES = (BOUNCED, FAILED_STATUS, UNDELIVERABLE)


@dataclass(frozen=True)
class StatusReport:
    """One status of one message, read from a verified callback."""

    provider_message_id: str
    status: str  # one of STATUSES
    callback_id: str  # what makes this report unique, for replay protection
    occurred_at: datetime | None = None  # the provider's time, when it says
    error_code: str | None = None
    reason: str | None = None  # in words, for a failure


class Provider(Protocol):
    name: str  # sandbox | smtp | http_messaging

    async def send(self, message: Message) -> Outcome: ...
