"""Notices: messages to a person that are not a reward's delivery — a support agent's reply to a
recipient, a replacement code, an SLA breach for the agents and the programme's admins. A higher
domain queues one in its own transaction (``queue_notice``: the row is the promise, rung after
commit); the worker sends it through the programme's primary provider for the channel (the sandbox
unless one is configured), as it sends a reward. A code is never stored in a notice: the notice
names the reward, and the code is revealed (audited by the catalogue) only when it is sent.

At-least-once like deliveries: the claim is a conditional UPDATE with a lease, the notice id is
the provider's idempotency key (the sandbox keeps one message per notice), a transient failure
retries with backoff up to ``MAX_ATTEMPTS``, a permanent one stays failed with its reason."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from markupsafe import escape

from backend.core import outbox, sql
from backend.core.authz import SYSTEM, Actor, ActorKind, Permission
from backend.core.backoff import Backoff
from backend.core.clock import as_utc, maybe_utc, utcnow
from backend.core.db import write_transaction
from backend.core.encryption import DecryptionFailed
from backend.core.errors import DomainError
from backend.core.ids import new_id
from backend.deliveries import claim_links
from backend.deliveries.providers import Message, Outcome, permanent
from backend.deliveries.services.creation import contact_for, delivery_channel
from backend.deliveries.services.providers import provider_for
from backend.deliveries.views import FAILED, PENDING, PRIMARY, SENDING, SENT
from backend.recipients import services as recipients
from backend.rewards.services import redemption, summaries

log = structlog.get_logger(__name__)

JOB = "send_notice"
LEASE = timedelta(seconds=60)  # longer than any provider's own timeout (≤ 30 s)
MAX_ATTEMPTS = 5
BACKOFF = Backoff(base_seconds=30, cap_seconds=900)
MAX_TEXT = 20_000
# The sender of a notice that carries a code: reads and reveals the reward it names (audited so).
NOTICE_SENDER = Actor(kind=ActorKind.SYSTEM, id=None, label="delivery notice")


@dataclass(frozen=True)
class NoticeRequest:
    programme_id: uuid.UUID
    about_kind: str  # ticket | …
    about_id: uuid.UUID | None
    channel: str
    contact: str
    subject: str
    text: str
    reveal_issuance_id: uuid.UUID | None = None  # the reward whose code the message carries


@dataclass(frozen=True)
class NoticeView:
    id: uuid.UUID
    programme_id: uuid.UUID
    about_kind: str
    about_id: uuid.UUID | None
    channel: str
    contact: str
    subject: str
    text: str
    status: str  # pending | sending | sent | failed
    attempts: int
    provider: str | None
    error_code: str | None
    error_text: str | None
    created_at: datetime
    sent_at: datetime | None


def _view(row) -> NoticeView:
    return NoticeView(
        id=row["id"],
        programme_id=row["programme_id"],
        about_kind=row["about_kind"],
        about_id=row["about_id"],
        channel=row["channel"],
        contact=row["contact"],
        subject=row["subject"],
        text=row["text"],
        status=row["status"],
        attempts=row["attempts"],
        provider=row["provider"],
        error_code=row["error_code"],
        error_text=row["error_text"],
        created_at=as_utc(row["created_at"]),
        sent_at=maybe_utc(row["sent_at"]),
    )


@dataclass(frozen=True)
class Address:
    channel: str
    contact: str


async def reward_address(issuance_id: uuid.UUID) -> Address | None:
    """Where the reward's recipient is reached: its delivery's channel and contact (as corrected by
    any resend), else the recipient's own; None when there is no contact for it."""
    row = await sql.fetchrow("SELECT recipient_id, channel, contact FROM deliveries WHERE issuance_id = $1", issuance_id)
    if row is not None and row["contact"]:
        return Address(row["channel"], row["contact"])
    recipient_id = row["recipient_id"] if row else None
    if recipient_id is None:
        summary = await summaries.reward_summary(SYSTEM, issuance_id)
        recipient_id = summary.issuance.recipient_id
    return await recipient_address(recipient_id)


async def recipient_address(recipient_id: uuid.UUID, channel: str | None = None) -> Address | None:
    recipient = await recipients.get_recipient(SYSTEM, recipient_id=recipient_id)
    target = channel or delivery_channel(recipient, None)
    contact, _missing = contact_for(recipient, target)
    return Address(target, contact) if contact else None


async def claim_page_url(issuance_id: uuid.UUID, path: str = "") -> str | None:
    """The reward's claim page (``path`` below it: ``/ticket``), or None for a reward not delivered."""
    row = await sql.fetchrow("SELECT id FROM deliveries WHERE issuance_id = $1", issuance_id)
    if row is None:
        return None
    return claim_links.claim_url(claim_links.claim_token(row["id"])) + path


async def queue_notice(request: NoticeRequest) -> uuid.UUID:
    """In the caller's write transaction: the notice, due now. Ring it after commit (``ring``)."""
    if not request.contact or not request.text.strip():
        raise DomainError.single("NOTICE_EMPTY", "a notice needs a contact and a text", field="contact")
    notice_id, now = new_id(), utcnow()
    await sql.fetch(
        """INSERT INTO delivery_notices (id, programme_id, about_kind, about_id, channel, contact, subject, text,
        reveal_issuance_id, status, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0,
        $11, $11)""",
        notice_id,
        request.programme_id,
        request.about_kind,
        request.about_id,
        request.channel,
        request.contact[:254],
        request.subject[:300],
        request.text[:MAX_TEXT],
        request.reveal_issuance_id,
        PENDING,
        now,
    )
    return notice_id


async def ring(notice_ids: list[uuid.UUID], redis_pool=None, due_at: datetime | None = None, attempt: int = 0) -> int:
    """Best effort: the worker's cron finds a notice nobody rang for. A retry names its attempt in
    the job id (arq refuses an id still queued)."""
    jobs = ((str(notice_id), f"notice:{notice_id}:{attempt}", due_at) for notice_id in notice_ids)
    return await outbox.ring_jobs(JOB, jobs, redis_pool)


async def notices_about(actor: Actor, about_kind: str, about_id: uuid.UUID) -> list[NoticeView]:
    actor.require(Permission.DELIVERIES_READ)
    rows = await sql.fetch(
        "SELECT * FROM delivery_notices WHERE about_kind = $1 AND about_id = $2 ORDER BY id", about_kind, about_id
    )
    return [_view(row) for row in rows]


async def get_notice(actor: Actor, notice_id: uuid.UUID) -> NoticeView | None:
    actor.require(Permission.DELIVERIES_READ)
    row = await sql.fetchrow("SELECT * FROM delivery_notices WHERE id = $1", notice_id)
    return _view(row) if row else None


# ---------------------------------------------------------------- the worker's side


async def due_notices(limit: int = 500) -> list[uuid.UUID]:
    """Notices waiting for a worker: due, or claimed by one that stopped."""
    rows = await sql.fetch(
        """SELECT id FROM delivery_notices WHERE (status = $1 AND next_attempt_at <= $3) OR (status = $2 AND claimed_until < $3)
        ORDER BY id LIMIT $4""",
        PENDING,
        SENDING,
        utcnow(),
        limit,
    )
    return [row["id"] for row in rows]


async def send_notice(notice_id: uuid.UUID) -> str:
    """One attempt; returns the status it left (or ``skipped``: not due, or another worker's)."""
    now = utcnow()
    async with write_transaction():
        claimed = await sql.fetch(
            """UPDATE delivery_notices SET status = $2, claimed_until = $3, attempts = attempts + 1 WHERE id = $1
            AND ((status = $4 AND next_attempt_at <= $5) OR (status = $2 AND claimed_until < $5)) RETURNING *""",
            notice_id,
            SENDING,
            now + LEASE,
            PENDING,
            now,
        )
    if not claimed:
        return "skipped"
    row = claimed[0]
    provider_name, outcome = await _send(row)
    failure = outcome.failure
    if failure is None:
        status, next_at = SENT, None
    elif failure.kind == "transient" and row["attempts"] < MAX_ATTEMPTS:
        status, next_at = PENDING, utcnow() + timedelta(seconds=max(BACKOFF.delay(row["attempts"]), failure.retry_after or 0))
    else:
        status, next_at = FAILED, None
    async with write_transaction():
        await sql.fetch(
            """UPDATE delivery_notices SET status = $2, claimed_until = NULL, provider = $3, provider_message_id = $4,
            error_code = $5, error_text = $6, next_attempt_at = $7, sent_at = $8 WHERE id = $1 AND status = $9""",
            notice_id,
            status,
            provider_name,
            outcome.provider_message_id,
            failure.code if failure else None,
            failure.text if failure else None,
            next_at,
            utcnow() if status == SENT else None,
            SENDING,
        )
    if next_at is not None:
        await ring([notice_id], due_at=next_at, attempt=row["attempts"])
    log.info("deliveries.notice_attempt", notice_id=str(notice_id), status=status, provider=provider_name)
    return status


async def send_due_notices() -> int:
    """Every due notice, one attempt each, in this process (the console's sandbox and the tests)."""
    sent = 0
    for notice_id in await due_notices():
        sent += await send_notice(notice_id) == SENT
    return sent


def _html(text: str) -> str:
    return "\n".join(f"<p>{escape(part).replace(chr(10), '<br>')}</p>" for part in text.split("\n\n") if part.strip())


async def _text(row) -> str:
    if row["reveal_issuance_id"] is None:
        return row["text"]
    reward = await redemption.reward_for_recipient(NOTICE_SENDER, row["reveal_issuance_id"])
    revealed = await redemption.reveal_reward(NOTICE_SENDER, reward)
    line = f"Your code: {revealed.code}" + (f"  PIN: {revealed.pin}" if revealed.pin else "")
    return f"{row['text']}\n\n{line}"


async def _send(row) -> tuple[str, Outcome]:
    try:
        configured = await provider_for(row["programme_id"], row["channel"], PRIMARY)
    except DecryptionFailed as error:
        return "unknown", permanent("PROVIDER_SECRET", f"the provider's secret cannot be opened: {error}")
    provider = configured.provider
    try:
        text = await _text(row)
    except DomainError as error:  # the reward holds no code any more
        return provider.name, permanent("NO_CODE", error.errors[0].message)
    message = Message(
        delivery_id=row["id"],  # the idempotency key
        programme_id=row["programme_id"],
        channel=row["channel"],
        to=row["contact"],
        subject=row["subject"],
        html=_html(text),
        text=text,
        notice=True,
    )
    try:
        return provider.name, await provider.send(message)
    except Exception as error:  # a provider bug is this notice's outcome, not a stuck claim
        log.exception("deliveries.notice_provider_error", notice_id=str(row["id"]), provider=provider.name)
        return provider.name, permanent("PROVIDER_ERROR", f"{type(error).__name__}: {error}")
