"""One attempt at a delivery: claim it, render and send it through its provider, record what happened.

The send sits outside any transaction, so a slow provider never holds a database lock. Claiming
(``claiming``) makes a re-run harmless: of two workers given the same delivery one sends and the
other skips, and a delivery already sent or flagged is never sent again. A worker killed mid-send
leaves a claim that expires (the policy's lease); the delivery is then due again, and the provider
gets the same idempotency key (the delivery id), so one that honours it does not send twice.

Failures: transient → retried with exponential backoff and jitter (at least the provider's
Retry-After) up to the policy's attempts per provider, then the failover provider if the channel
has one, then flagged; permanent → flagged at once, with the reason in words (``recording``).

:func:`send_delivery` sends one delivery by id; the worker's sender (``batch_sending``) claims the
due ones in batches and runs :func:`attempt` on each, sharing one :class:`Lookups` per batch.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import structlog
from jinja2 import TemplateError

from backend.core import sql
from backend.core.authz import SYSTEM
from backend.core.clock import as_utc, utcnow
from backend.core.encryption import DecryptionFailed
from backend.core.money import format_money
from backend.deliveries import claim_links, pacing, templates
from backend.deliveries.policy import DEFAULT_POLICY, SendingPolicy
from backend.deliveries.providers import PERMANENT, Failure, Message, Outcome, Provider, permanent
from backend.deliveries.queue import DueSend
from backend.deliveries.services import channel_rules
from backend.deliveries.services.claiming import ABANDONED, Claim, Unclaimed, claim_due, claim_one  # noqa: F401 - ABANDONED, claim_due: this module's names too
from backend.deliveries.services.programme_settings import settings_for
from backend.deliveries.services.providers import Configured, provider_for
from backend.deliveries.services.recording import PACED, SKIPPED, Attempted, PutBack, SendOutcome, record
from backend.deliveries.services.templates import template_for
from backend.deliveries.views import FAILOVER, PENDING, PRIMARY, SENDING
from backend.recipients import services as recipients
from backend.rewards.services import summaries

log = structlog.get_logger(__name__)

MISSING = "missing"  # no such delivery (yet: its outbox transaction may not have committed)
__all__ = ["ABANDONED", "MISSING", "PACED", "SKIPPED", "SendOutcome", "send_delivery", "attempt", "Lookups"]


class Lookups:
    """What a batch of sends reads once rather than per delivery: each programme's providers, failover
    presence, templates and channel settings. One instance lives for one batch (a second or so), so
    a configuration change is seen by the next batch."""

    def __init__(self) -> None:
        self._memo: dict[tuple, object] = {}

    async def _once(self, key: tuple, load):
        if key not in self._memo:
            self._memo[key] = await load()
        return self._memo[key]

    async def provider(self, programme_id, channel: str, role: str) -> Configured | None:
        return await self._once(("provider", programme_id, channel, role), lambda: provider_for(programme_id, channel, role))

    async def has_failover(self, programme_id, channel: str) -> bool:
        async def load() -> bool:
            row = await sql.fetchrow(
                "SELECT id FROM delivery_providers WHERE programme_id = $1 AND channel = $2 AND role = $3",
                programme_id,
                channel,
                FAILOVER,
            )
            return row is not None

        return await self._once(("failover", programme_id, channel), load)

    async def template(self, programme_id, channel: str, language: str):
        return await self._once(
            ("template", programme_id, channel, language), lambda: template_for(programme_id, channel, language)
        )

    async def settings(self, programme_id):
        return await self._once(("settings", programme_id), lambda: settings_for(programme_id))

    async def prefetch(self, claims: list[Claim]) -> None:
        """The claims' rewards and their recipients, two queries for the whole batch."""
        found = await summaries.reward_summaries(SYSTEM, list({claim.issuance_id for claim in claims}))
        self._memo.update({("summary", issuance_id): summary for issuance_id, summary in found.items()})
        people = {summary.issuance.recipient_id for summary in found.values()}
        by_id = await recipients.recipients_by_ids(SYSTEM, list(people)) if people else {}
        self._memo.update({("recipient", recipient_id): view for recipient_id, view in by_id.items()})

    async def summary(self, issuance_id):
        return await self._once(("summary", issuance_id), lambda: summaries.reward_summary(SYSTEM, issuance_id))

    async def recipient(self, recipient_id):
        return await self._once(("recipient", recipient_id), lambda: recipients.get_recipient(SYSTEM, recipient_id=recipient_id))


async def send_delivery(delivery_id: uuid.UUID, policy: SendingPolicy = DEFAULT_POLICY) -> SendOutcome:
    claim = await claim_one(delivery_id, policy)
    if isinstance(claim, Unclaimed):
        return SendOutcome(claim.status)
    [outcome] = await record([await attempt(claim, policy, Lookups())], policy)
    return outcome


async def attempt(claim: Claim, policy: SendingPolicy, lookups: Lookups) -> Attempted | PutBack:
    """Send one claimed delivery; what happened, for ``recording`` (nothing is written here)."""
    settings = await lookups.settings(claim.programme_id)
    if (quiet := await channel_rules.quiet_wait(claim.delivery_id, claim.programme_id, claim.channel, settings)) is not None:
        return PutBack(claim, utcnow() + timedelta(seconds=quiet))  # the recipient's quiet hours: no attempt made or counted
    started_at, clock = utcnow(), time.monotonic()
    sent = await _send(claim, lookups)
    if isinstance(sent, _Paced):
        return PutBack(claim, utcnow() + timedelta(seconds=sent.wait_seconds))
    provider_name, outcome = sent
    latency_ms = round((time.monotonic() - clock) * 1000)
    has_failover = False
    if outcome.failure is not None and outcome.failure.kind != PERMANENT and claim.role == PRIMARY:
        has_failover = await lookups.has_failover(claim.programme_id, claim.channel)
    fallback = None
    if outcome.failure is not None and _gives_up(claim, outcome.failure, has_failover, policy):
        fallback = await channel_rules.next_channel(claim.delivery_id, claim.programme_id, claim.channel, settings)
    return Attempted(claim, provider_name, outcome, started_at, latency_ms, has_failover, fallback)


def _gives_up(claim: Claim, failure: Failure, has_failover: bool, policy: SendingPolicy) -> bool:
    """Whether this failure ends the channel: permanent, or the last provider's last attempt."""
    exhausted = claim.role_attempts >= policy.attempts_per_provider and not (claim.role == PRIMARY and has_failover)
    return failure.kind == PERMANENT or exhausted


async def _claim(delivery_id: uuid.UUID, policy: SendingPolicy) -> Claim | SendOutcome:
    """One delivery's claim, or why there is none (as a SendOutcome)."""
    claim = await claim_one(delivery_id, policy)
    return SendOutcome(claim.status) if isinstance(claim, Unclaimed) else claim


async def message_for(
    delivery_id: uuid.UUID, issuance_id: uuid.UUID, programme_id, channel: str, contact: str, language: str, lookups=None
):
    """The delivery's message, rendered from the programme's template (or the default)."""
    lookups = lookups or Lookups()
    summary = await lookups.summary(issuance_id)
    recipient = await lookups.recipient(summary.issuance.recipient_id)
    issuance = summary.issuance
    value = format_money(issuance.value, issuance.currency) if issuance.currency else f"{issuance.value:,} points"
    variables = {
        "recipient_name": recipient.full_name,
        "offer_name": summary.offer_title or value,
        "partner_name": summary.partner_name or "",
        "value": value,
        "expires_on": summary.expires_on.isoformat() if summary.expires_on else "",
        "claim_url": claim_links.claim_url(claim_links.claim_token(delivery_id)),
        "campaign_name": summary.campaign_name,
    }
    rendered = templates.render(channel, await lookups.template(programme_id, channel, language), variables)
    return Message(
        delivery_id=delivery_id,
        programme_id=programme_id,
        channel=channel,
        to=contact,
        subject=rendered.subject,
        html=rendered.html,
        text=rendered.text,
        variables=variables,
    )


@dataclass(frozen=True)
class _Paced:
    wait_seconds: float  # the provider's rate limit has no slot free before this


async def _send(claim: Claim, lookups: Lookups | None = None) -> tuple[str, Outcome] | _Paced:
    lookups = lookups or Lookups()
    try:
        configured = await lookups.provider(claim.programme_id, claim.channel, claim.role)
    except DecryptionFailed as error:
        return "unknown", permanent("PROVIDER_SECRET", f"the {claim.role} provider's secret cannot be opened: {error}")
    if configured is None:  # a failover removed since: nothing to send through
        return "none", permanent("NO_PROVIDER", f"no {claim.role} provider is configured for {claim.channel}")
    provider: Provider = configured.provider
    if configured.rate_per_second and (wait := await pacing.reserve(configured.provider_id, configured.rate_per_second)) > 0:
        return _Paced(wait)
    try:
        message = await message_for(
            claim.delivery_id, claim.issuance_id, claim.programme_id, claim.channel, claim.contact, claim.language, lookups
        )
    except TemplateError as error:
        return provider.name, permanent("TEMPLATE_ERROR", f"the {claim.channel} template cannot be rendered: {error}")
    try:
        return provider.name, await provider.send(message)
    except Exception as error:  # a provider bug must not leave the delivery claimed until its lease ends
        log.exception("deliveries.provider_error", delivery_id=str(claim.delivery_id), provider=provider.name)
        return provider.name, Outcome(failure=Failure("transient", "PROVIDER_ERROR", f"{type(error).__name__}: {error}"))


# ---------------------------------------------------------------- what is due


async def due_send(delivery_id: uuid.UUID) -> DueSend | None:
    """The send job a ``delivery.due`` event rings, or None when the delivery is not waiting to be sent."""
    row = await sql.fetchrow("SELECT attempts, status, next_attempt_at FROM deliveries WHERE id = $1", delivery_id)
    if row is None or row["status"] != PENDING:
        return None
    return DueSend(delivery_id, row["attempts"] + 1, as_utc(row["next_attempt_at"]) if row["next_attempt_at"] else None)


async def due_sends(limit: int = 1000) -> list[DueSend]:
    """Deliveries whose claim expired (a worker killed mid-send), for the send job that records the
    lost attempt and sends again. Pending deliveries that are due are the senders' (``batch_sending``)."""
    rows = await sql.fetch(
        "SELECT id, attempts FROM deliveries WHERE status = $1 AND claimed_until < $2 ORDER BY claimed_until LIMIT $3",
        SENDING,
        utcnow(),
        limit,
    )
    return [DueSend(row["id"], row["attempts"] + 1) for row in rows]
