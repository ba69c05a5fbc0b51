"""Announcements: one message to many recipients that is not a reward (a targeted promotional push).

The same machinery as a reward's delivery: each recipient's channel and contact as for a reward
(``creation.delivery_channel`` / ``contact_for``), the programme's primary provider for that channel
(``providers.provider_for``, the sandbox when none is set), and the sandboxed Jinja2 templates
(``templates.check`` / ``render``), with the message's own text instead of the programme's reward
template. The text may use ``recipient_name`` and the announcement's fixed ``offer_name`` and
``partner_name``.

:func:`create_announcement` writes the announcement and one pending message per recipient (a
recipient without the channel's contact is failed at once, as a reward's delivery is); the worker
sends them in batches (:func:`send_batch`), one attempt each, the message id as the provider's
idempotency key, and counts progress on the announcement. A message claimed by a worker that
stopped is claimed again once its lease ends.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import structlog
from jinja2 import TemplateError

from backend.core import audit, outbox, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import as_utc, maybe_utc, utcnow
from backend.core.db import write_transaction
from backend.core.encryption import DecryptionFailed
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.deliveries import pacing, templates
from backend.deliveries.providers import Message, Outcome, permanent
from backend.deliveries.services.creation import contact_for, delivery_channel
from backend.deliveries.services.providers import provider_for
from backend.deliveries.views import FAILED, MISSING_CONTACT, PENDING, PRIMARY, SENDING, SENT
from backend.recipients import services as recipients

log = structlog.get_logger(__name__)

JOB = "send_announcement"
BATCH = 100
# Messages of a batch in flight at once: providers are network calls, and each send commits on its
# own, so a batch is not a queue of one round trip (and one commit) after another.
CONCURRENT_SENDS = 8
CHUNK = 500  # messages written per INSERT (8 parameters each: within SQLite's and asyncpg's limits)
LEASE = timedelta(seconds=60)
MAX_RECIPIENTS = 100_000
FIXED_VARIABLES = ("offer_name", "partner_name")
SAMPLE = {"recipient_name": "Asha Rao", "offer_name": "Chai Point gift card", "partner_name": "Chai Point"}


@dataclass(frozen=True)
class _Paced:
    wait_seconds: float  # the provider's rate limit has no slot free before this


@dataclass(frozen=True)
class AnnouncementView:
    id: uuid.UUID
    programme_id: uuid.UUID
    subject: str
    text: str
    source: str
    status: str  # sending | sent
    total: int
    sent: int
    failed: int
    requested_by: str
    created_at: datetime
    finished_at: datetime | None

    @property
    def pending(self) -> int:
        return self.total - self.sent - self.failed


def _view(row) -> AnnouncementView:
    return AnnouncementView(
        id=row["id"],
        programme_id=row["programme_id"],
        subject=row["subject"],
        text=row["text"],
        source=row["source"],
        status=row["status"],
        total=row["total"],
        sent=row["sent"],
        failed=row["failed"],
        requested_by=row["requested_by_label"],
        created_at=as_utc(row["created_at"]),
        finished_at=maybe_utc(row["finished_at"]),
    )


def check_message(subject: str, text: str) -> None:
    """The message compiles, names only the variables it may use, and renders: else DomainError."""
    check_text("subject", subject)
    check_text("text", text, multiline=True)
    parts = templates.check(templates.EMAIL, templates.TemplateSet(text=text or "", subject=subject or "", html=""))
    try:
        templates.render(templates.EMAIL, parts, SAMPLE)
    except TemplateError as error:
        raise DomainError.single(
            "UNKNOWN_VARIABLE",
            f"a promotional message may use only {', '.join(SAMPLE)} ({error})",
            field="text",
        ) from None


@lru_cache(maxsize=8)
def _insert_messages(rows: int) -> str:
    """The multi-row INSERT of ``rows`` messages: its text depends only on the row count."""
    tuples = ", ".join("(" + ", ".join(f"${row * 8 + column}" for column in range(1, 9)) + ")" for row in range(rows))
    return (
        "INSERT INTO delivery_announcement_messages (id, announcement, recipient_id, channel, contact, status, error_code, "
        f"error_text) VALUES {tuples}"
    )


async def ring(announcement_ids: list[uuid.UUID], redis_pool=None, batch_number: int = 0) -> int:
    """Best effort: the worker's cron finds an announcement nobody rang for."""
    jobs = (
        (str(announcement_id), f"announcement:{announcement_id}:{batch_number}", None) for announcement_id in announcement_ids
    )
    return await outbox.ring_jobs(JOB, jobs, redis_pool)


async def create_announcement(
    actor: Actor,
    programme_id: uuid.UUID,
    recipient_ids: list[uuid.UUID],
    subject: str,
    text: str,
    *,
    variables: dict[str, str] | None = None,
    source: str = "",
) -> AnnouncementView:
    """In the caller's transaction (or its own): the announcement and its messages, then audited.
    Requires deliveries:write. The caller rings the worker (:func:`ring`) after its commit."""
    actor.require(Permission.DELIVERIES_WRITE)
    check_message(subject, text)
    if len(recipient_ids) > MAX_RECIPIENTS:
        raise DomainError.single("TOO_MANY", f"at most {MAX_RECIPIENTS:,} recipients in one push", field="recipients")
    await recipients.get_programme(SYSTEM, programme_id)  # NotFound for an unknown programme
    fixed = {name: str((variables or {}).get(name, "")) for name in FIXED_VARIABLES}
    announcement_id, now = new_id(), utcnow()
    async with write_transaction():
        await sql.fetch(
            """INSERT INTO delivery_announcements (id, programme_id, subject, text, variables, source, status, total, sent,
            failed, requested_by_label, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9, $10)""",
            announcement_id,
            programme_id,
            (subject or "").strip(),
            text,
            json.dumps(fixed),
            source[:100],
            SENDING,
            len(recipient_ids),
            actor.label[:255],
            now,
        )
        for start in range(0, len(recipient_ids), CHUNK):
            chunk = recipient_ids[start : start + CHUNK]
            found = await recipients.recipients_by_ids(SYSTEM, chunk)
            values: list = []
            for recipient_id in chunk:
                recipient = found.get(recipient_id)
                channel = delivery_channel(recipient, None) if recipient else "email"
                contact, missing = contact_for(recipient, channel) if recipient else (None, "the recipient no longer exists")
                values += [new_id(), announcement_id, recipient_id, channel, contact, PENDING if contact else FAILED]
                values += [None if contact else MISSING_CONTACT, None if contact else missing]
            await sql.fetch(_insert_messages(len(chunk)), *values)  # one statement per chunk, every value bound
        await _count(announcement_id)
        await audit.record(
            actor,
            "announcement.requested",
            "announcement",
            announcement_id,
            after={"programme_id": str(programme_id), "recipients": len(recipient_ids), "subject": subject, "source": source},
        )
        return await get_announcement(SYSTEM, announcement_id)


async def get_announcement(actor: Actor, announcement_id: uuid.UUID) -> AnnouncementView:
    actor.require(Permission.DELIVERIES_READ)
    row = await sql.fetchrow("SELECT * FROM delivery_announcements WHERE id = $1", announcement_id)
    if row is None:
        raise NotFound("announcement", announcement_id, field="announcement_id")
    return _view(row)


async def _count(announcement_id: uuid.UUID) -> None:
    """The announcement's progress from its messages; ``sent`` once none waits."""
    await sql.fetch(
        """UPDATE delivery_announcements SET
        sent = (SELECT COUNT(*) FROM delivery_announcement_messages WHERE announcement = $1 AND status = $2),
        failed = (SELECT COUNT(*) FROM delivery_announcement_messages WHERE announcement = $1 AND status = $3) WHERE id = $1""",
        announcement_id,
        SENT,
        FAILED,
    )
    await sql.fetch(
        """UPDATE delivery_announcements SET status = $2, finished_at = $3 WHERE id = $1 AND status = $4 AND NOT EXISTS
        (SELECT 1 FROM delivery_announcement_messages WHERE announcement = $1 AND status IN ($5, $4))""",
        announcement_id,
        SENT,
        utcnow(),
        SENDING,
        PENDING,
    )


# ---------------------------------------------------------------- the worker's side


async def unfinished_announcements() -> list[uuid.UUID]:
    """Announcements with messages still to send: never rung (Redis was away) or left by a stopped worker."""
    rows = await sql.fetch("SELECT id FROM delivery_announcements WHERE status = $1 ORDER BY id LIMIT 100", SENDING)
    return [row["id"] for row in rows]


async def send_batch(announcement_id: uuid.UUID, limit: int = BATCH) -> tuple[AnnouncementView, float]:
    """Claim up to ``limit`` due messages, send each once, record the outcomes and the progress.
    Returns the announcement and, when the provider's rate limit (``pacing``) stopped the batch,
    the seconds until it has a slot again (the rest of the batch is put back, no attempt counted)."""
    now = utcnow()
    row = await sql.fetchrow("SELECT * FROM delivery_announcements WHERE id = $1", announcement_id)
    if row is None:
        raise NotFound("announcement", announcement_id, field="announcement_id")
    # One statement claims the batch; the outer condition is checked again on each row it locks,
    # so two workers never claim one message.
    claimed = await sql.fetch(
        """UPDATE delivery_announcement_messages SET status = $2, claimed_until = $3 WHERE id IN
        (SELECT id FROM delivery_announcement_messages WHERE announcement = $1 AND (status = $4 OR (status = $2 AND claimed_until < $5))
        ORDER BY id LIMIT $6) AND (status = $4 OR (status = $2 AND claimed_until < $5)) RETURNING *""",
        announcement_id,
        SENDING,
        now + LEASE,
        PENDING,
        now,
        limit,
    )
    claimed = sorted(claimed, key=lambda message: message["id"])
    waits = [0.0]
    if claimed:
        fixed = row["variables"]
        fixed = json.loads(fixed) if isinstance(fixed, str) else dict(fixed or {})
        names = await recipients.recipients_by_ids(SYSTEM, [message["recipient_id"] for message in claimed])
        at_once = asyncio.Semaphore(CONCURRENT_SENDS)

        async def one(message) -> None:
            recipient = names.get(message["recipient_id"])
            async with at_once:
                sent = await _send(row, message, {**fixed, "recipient_name": recipient.full_name if recipient else ""})
            if isinstance(sent, _Paced):  # back to pending, no attempt counted; the next batch waits for a slot
                waits.append(sent.wait_seconds)
                await sql.fetch(
                    "UPDATE delivery_announcement_messages SET status = $2, claimed_until = NULL WHERE id = $1 AND status = $3",
                    message["id"],
                    PENDING,
                    SENDING,
                )
                return
            provider_name, outcome = sent
            failure = outcome.failure
            await sql.fetch(
                """UPDATE delivery_announcement_messages SET status = $2, claimed_until = NULL, provider = $3,
                provider_message_id = $4, error_code = $5, error_text = $6, sent_at = $7 WHERE id = $1 AND status = $8""",
                message["id"],
                SENT if failure is None else FAILED,
                provider_name,
                outcome.provider_message_id,
                failure.code if failure else None,
                failure.text if failure else None,
                utcnow() if failure is None else None,
                SENDING,
            )

        await asyncio.gather(*(one(message) for message in claimed))
    wait = max(waits)
    async with write_transaction():
        await _count(announcement_id)
    view = await get_announcement(SYSTEM, announcement_id)
    log.info("deliveries.announcement_batch", announcement_id=str(announcement_id), sent=view.sent, failed=view.failed)
    return view, wait


async def _send(announcement, message, variables: dict[str, str]) -> tuple[str, Outcome] | _Paced:
    channel = message["channel"]
    try:
        configured = await provider_for(announcement["programme_id"], channel, PRIMARY)
    except DecryptionFailed as error:
        return "unknown", permanent("PROVIDER_SECRET", f"the provider's secret cannot be opened: {error}")
    if configured is None:
        return "none", permanent("NO_PROVIDER", f"no provider is configured for {channel}")
    provider = configured.provider
    if configured.rate_per_second and (wait := await pacing.reserve(configured.provider_id, configured.rate_per_second)) > 0:
        return _Paced(wait)
    try:
        rendered = templates.render(
            channel, templates.TemplateSet(text=announcement["text"], subject=announcement["subject"]), variables
        )
    except TemplateError as error:
        return provider.name, permanent("TEMPLATE_ERROR", f"the message cannot be rendered: {error}")
    outgoing = Message(
        delivery_id=message["id"],  # the idempotency key
        programme_id=announcement["programme_id"],
        channel=channel,
        to=message["contact"],
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        variables=variables,
    )
    try:
        return provider.name, await provider.send(outgoing)
    except Exception as error:  # a provider bug is this message's outcome, not a stuck claim
        log.exception("deliveries.announcement_provider_error", message_id=str(message["id"]), provider=provider.name)
        return provider.name, permanent("PROVIDER_ERROR", f"{type(error).__name__}: {error}")
