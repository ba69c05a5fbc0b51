"""Counts for charts and for an upload's page: how deliveries went, per channel, per provider, per upload.

Statuses past ``sent`` (``delivered``, from the providers' callbacks) are counted when present;
any status not named here is counted in ``total`` only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from backend.core import sql
from backend.core.authz import Actor, Permission
from backend.core.errors import DomainError

DELIVERED = "delivered"  # a provider's callback confirmed it reached the person

# ``{where}`` is the period (and programme) as sql.Conditions renders it, every value bound.
_BY_CHANNEL = "SELECT channel, status, COUNT(*) AS n FROM deliveries{where} GROUP BY channel, status"
_BY_PROVIDER = (
    "SELECT a.provider AS provider, CASE WHEN a.status <> 'sent' THEN 'failed' WHEN d.status = 'delivered' "
    "THEN 'delivered' ELSE 'sent' END AS outcome, COUNT(*) AS n "
    "FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery{where} GROUP BY 1, 2"
)


@dataclass(frozen=True)
class DeliveryCounts:
    total: int = 0
    pending: int = 0  # waiting for an attempt (or a retry)
    sending: int = 0
    sent: int = 0  # accepted by the provider
    delivered: int = 0  # confirmed by the provider's callback
    failed: int = 0  # flagged for an admin

    @property
    def success_rate(self) -> float | None:
        """(sent + delivered) / (sent + delivered + failed), or None before any outcome. A ratio for
        charts, not an amount: a float is fine here."""
        done = self.sent + self.delivered + self.failed
        return (self.sent + self.delivered) / done if done else None


@dataclass(frozen=True)
class RateRow:
    key: str  # the channel, or the provider's name
    counts: DeliveryCounts


@dataclass(frozen=True)
class SuccessRates:
    since: datetime
    until: datetime
    by_channel: list[RateRow]
    by_provider: list[RateRow]


def _counts(by_status: dict[str, int]) -> DeliveryCounts:
    return DeliveryCounts(
        total=sum(by_status.values()),
        pending=by_status.get("pending", 0),
        sending=by_status.get("sending", 0),
        sent=by_status.get("sent", 0),
        delivered=by_status.get(DELIVERED, 0),
        failed=by_status.get("failed", 0),
    )


def _grouped(rows, key: str, status: str) -> list[RateRow]:
    groups: dict[str, dict[str, int]] = {}
    for row in rows:
        groups.setdefault(row[key], {})
        groups[row[key]][row[status]] = groups[row[key]].get(row[status], 0) + int(row["n"])
    return [RateRow(name, _counts(statuses)) for name, statuses in sorted(groups.items())]


async def success_rates(actor: Actor, since: datetime, until: datetime, *, programme_id: uuid.UUID | None = None) -> SuccessRates:
    """Per channel: the deliveries made in [since, until) by their status now. Per provider: the
    attempts made in [since, until), each counted as the status its delivery has now when the
    attempt was accepted (sent or delivered), else failed (a refused or timed-out attempt)."""
    actor.require(Permission.DELIVERIES_READ)
    if since >= until:
        raise DomainError.single("INVALID_RANGE", "until must be later than since", field="until")
    made = sql.Conditions()
    made.add("created_at >= ?", since)
    made.add("created_at < ?", until)
    made.when("programme_id = ?", programme_id)
    channels = await sql.fetch(_BY_CHANNEL.format(where=made.where()), *made.args)
    attempted = sql.Conditions()
    attempted.add("a.started_at >= ?", since)
    attempted.add("a.started_at < ?", until)
    attempted.when("d.programme_id = ?", programme_id)
    providers = await sql.fetch(_BY_PROVIDER.format(where=attempted.where()), *attempted.args)
    return SuccessRates(
        since=since,
        until=until,
        by_channel=_grouped(channels, "channel", "status"),
        by_provider=_grouped(providers, "provider", "outcome"),
    )


async def upload_delivery_counts(actor: Actor, upload_id: uuid.UUID) -> DeliveryCounts:
    """How the deliveries of a bulk upload's rewards stand: delivered, sent, pending, failed."""
    actor.require(Permission.DELIVERIES_READ)
    rows = await sql.fetch("SELECT status, COUNT(*) AS n FROM deliveries WHERE upload_id = $1 GROUP BY status", upload_id)
    return _counts({row["status"]: int(row["n"]) for row in rows})
