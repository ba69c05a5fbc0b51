"""The atomic counters that keep a campaign inside its maximum count, its budget and its
per-recipient caps, under any concurrency (DESIGN.md rule 3). Every function here runs in the
caller's write transaction (the rewards domain's issuance or approval), so a refusal rolls back
with everything else the use case wrote.

**Campaign caps and budget** are held in the campaign's counter shards (``counters``: escrow, what
is left split over a few rows): an issuance takes one from a shard with a conditional UPDATE
whose WHERE is the rule, and only near exhaustion decides under a lock on the sum. The check and
the change are one statement, identical on PostgreSQL and SQLite. Rewards waiting for approval
hold count and budget as ``pending_*`` on their shard, so approving them can never overrun.

**Per-recipient caps** (count and/or value, over the whole campaign or a rolling window such as "3
in 30 days"). Without a window the tally row of (campaign, recipient) carries the recipient's
totals, and the cap is the WHERE of its upsert (``INSERT … ON CONFLICT DO UPDATE … WHERE``): one
statement again. A rolling window cannot live in a counter (what leaves the window changes with
time), so it is counted over the campaign's grants since ``now - window``; a count is a
read-then-write, and two concurrent issuances to one recipient would both count the same past.
So the upsert of the tally row comes first, unconditionally: it takes that row's lock (PostgreSQL)
or the write lock (SQLite) for the rest of the transaction, which serialises issuances per
(campaign, recipient) — and only per recipient, so other recipients do not wait. The count is a
guard of the issuance's last statement (an UPDATE of the tally row whose WHERE is the cap over
the window): a later statement, so at READ COMMITTED its snapshot is taken after the lock and sees
the grants the previous holder committed — with no round trip of its own.
We chose a locked row over SERIALIZABLE (retries, and no SQLite equivalent) and over advisory locks
(PostgreSQL only).

An issuance takes its locks in one order — the tally row (:func:`hold_recipient`), then whatever
it fulfils with (the ledger's wallet and accounts, a voucher code: their deferred writes go out
first), then one counter shard (:func:`count`) — so concurrent issuances cannot deadlock. The
shard is taken last, so it is held only for the issuance's last statement and its commit; and
with the campaign's counters spread over ``counters.SHARDS`` rows, issuances of one campaign
rarely wait for each other at all.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from backend.campaigns.services import counters
from backend.campaigns.services.campaigns import find_campaign
from backend.campaigns.views import ACTIVE, GRANT_ISSUED, GRANT_PENDING, GRANT_RELEASED, CampaignView
from backend.core import sql
from backend.core.authz import Actor
from backend.core.ids import new_id
from backend.core.money import format_value


class GovernanceRefusal(str, enum.Enum):
    """Why a campaign's governance refused a reward (the rewards domain's rejection codes reuse these values)."""

    CAMPAIGN_NOT_FOUND = "CAMPAIGN_NOT_FOUND"
    CAMPAIGN_NOT_ACTIVE = "CAMPAIGN_NOT_ACTIVE"
    OUTSIDE_CAMPAIGN_DATES = "OUTSIDE_CAMPAIGN_DATES"
    CAP_REACHED = "CAP_REACHED"
    RECIPIENT_CAP_REACHED = "RECIPIENT_CAP_REACHED"
    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"


@dataclass(frozen=True)
class Refusal:
    code: GovernanceRefusal
    message: str


@dataclass(frozen=True)
class NewGrant:
    """A reward to count against a campaign; ``id`` is the issuance's id."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    offer_id: uuid.UUID | None
    value: int
    pending: bool  # waits for approval: held as pending instead of issued
    source_event: str = ""


_INSERT_GRANT = """INSERT INTO campaign_grants (id, campaign, recipient_id, offer_id, value, state, source_event, requested_by_kind,
    requested_by_id, requested_by_label, granted_at, decided_by_label, decided_at, decision_note, counter_shard)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, NULL, '', $12)"""

_DECIDE_GRANT = """UPDATE campaign_grants SET state = $2, decided_by_label = $3, decided_at = $4, decision_note = $5
WHERE id = $1 AND state = 'pending' RETURNING id, campaign, recipient_id, value, counter_shard"""

# What recipients have used of their caps: within the rolling window, or over the whole campaign.
_WINDOW_USAGE = "SELECT recipient_id, COUNT(*) AS n, COALESCE(SUM(value), 0) AS total FROM campaign_grants"
_TALLY_USAGE = "SELECT recipient_id, granted_count AS n, granted_value AS total FROM campaign_recipient_tallies"
_UNTALLY = """UPDATE campaign_recipient_tallies SET granted_count = granted_count - 1, granted_value = granted_value - $3, updated_at = $4
WHERE campaign = $1 AND recipient_id = $2"""


@lru_cache(maxsize=4)
def _window_sql(count_cap: bool, value_cap: bool) -> str:
    """The guard of a rolling window's caps: touches the (locked) tally row only if the grants
    inside the window, plus this one, stay within them. Arguments: campaign, recipient, now, the
    window's start, then the count cap, then this grant's value and the value cap (those that apply)."""
    conditions = []
    if count_cap:
        conditions.append("COUNT(*) + 1 <= $5")
    if value_cap:
        first = 5 + count_cap
        conditions.append(f"COALESCE(SUM(value), 0) + ${first} <= ${first + 1}")
    return f"""UPDATE campaign_recipient_tallies SET updated_at = $3
WHERE campaign = $1 AND recipient_id = $2 AND (SELECT {" AND ".join(conditions)} FROM campaign_grants
    WHERE campaign = $1 AND recipient_id = $2 AND state <> 'released' AND granted_at > $4)
RETURNING granted_count"""


@lru_cache(maxsize=8)
def _tally_sql(count_cap: bool, value_cap: bool) -> str:
    """The upsert of a (campaign, recipient) tally, with the caps that apply as its WHERE (none for
    a rolling window: then the upsert is the lock, and the window count decides). The caps are
    its arguments from $6 on, count first."""
    conditions = []
    if count_cap:
        conditions.append(f"campaign_recipient_tallies.granted_count + 1 <= ${6 + len(conditions)}")
    if value_cap:
        conditions.append(f"campaign_recipient_tallies.granted_value + excluded.granted_value <= ${6 + len(conditions)}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"""INSERT INTO campaign_recipient_tallies (id, campaign, recipient_id, granted_count, granted_value, updated_at)
VALUES ($1, $2, $3, 1, $4, $5)
ON CONFLICT (campaign, recipient_id) DO UPDATE SET granted_count = campaign_recipient_tallies.granted_count + 1,
    granted_value = campaign_recipient_tallies.granted_value + excluded.granted_value, updated_at = excluded.updated_at{where}
RETURNING granted_count"""


def _recipient_cap_text(campaign: CampaignView) -> str:
    parts = []
    if campaign.recipient_max_count is not None:
        parts.append(f"{campaign.recipient_max_count:,} reward{'s' if campaign.recipient_max_count != 1 else ''}")
    if campaign.recipient_max_value is not None:
        parts.append(f"{format_value(campaign.recipient_max_value, campaign.currency)} in value")
    window = f" in {campaign.recipient_window_days} days" if campaign.recipient_window_days else ""
    return f"at most {' and '.join(parts)} per recipient{window}"


def _recipient_refused(campaign: CampaignView) -> Refusal:
    return Refusal(
        GovernanceRefusal.RECIPIENT_CAP_REACHED,
        f"the recipient has reached the cap of '{campaign.name}': {_recipient_cap_text(campaign)}",
    )


async def _claim_recipient_allowance(campaign: CampaignView, grant: NewGrant, now: datetime) -> Refusal | None:
    if campaign.recipient_max_value is not None and grant.value > campaign.recipient_max_value:
        return _recipient_refused(campaign)
    window = campaign.recipient_window
    count_cap = campaign.recipient_max_count is not None and window is None
    value_cap = campaign.recipient_max_value is not None and window is None
    args = [new_id(), campaign.id, grant.recipient_id, grant.value, now]
    if count_cap:
        args.append(campaign.recipient_max_count)
    if value_cap:
        args.append(campaign.recipient_max_value)
    rows = await sql.fetch(_tally_sql(count_cap, value_cap), *args)
    return None if rows else _recipient_refused(campaign)  # with a window, :func:`count` defers its guard


def _defer_window_guard(campaign: CampaignView, grant: NewGrant, now: datetime, refused: Callable[[Refusal], Exception]) -> None:
    count_cap, value_cap = campaign.recipient_max_count is not None, campaign.recipient_max_value is not None
    caps = ([campaign.recipient_max_count] if count_cap else []) + (
        [grant.value, campaign.recipient_max_value] if value_cap else []
    )

    async def over_cap() -> Exception:
        return refused(_recipient_refused(campaign))

    sql.defer(
        sql.Statement(
            _window_sql(count_cap, value_cap),
            (campaign.id, grant.recipient_id, now, now - campaign.recipient_window, *caps),
            row=("campaign_recipient_tallies", campaign.id, grant.recipient_id),
            refusal=over_cap,
        )
    )


class RulesChanged(Exception):
    """The campaign's rules changed after the issuance read them (its ``updated_at`` moved): what
    was decided on them may no longer hold, so nothing was counted and the caller decides again."""


async def explain(campaign_id: uuid.UUID, value: int, now: datetime, read: CampaignView | None = None) -> Refusal:
    """Why the campaign took nothing (``counters.Closed``), read after the fact (the UPDATE decided).
    Raises RulesChanged when the campaign is not the one ``read`` (as the issuance saw it)."""
    campaign = await find_campaign(campaign_id)
    if campaign is not None and read is not None and campaign.updated_at != read.updated_at:
        raise RulesChanged(campaign_id)
    if campaign is None:
        return Refusal(GovernanceRefusal.CAMPAIGN_NOT_FOUND, f"campaign {campaign_id} does not exist")
    return (
        check_open(campaign, now)
        or _capacity_refusal(campaign, value)
        or Refusal(GovernanceRefusal.CAMPAIGN_NOT_ACTIVE, f"'{campaign.name}' changed meanwhile; retry")
    )


def check_open(campaign: CampaignView, now: datetime) -> Refusal | None:
    """Whether the campaign issues now: active and within its dates."""
    if campaign.status != ACTIVE:
        return Refusal(GovernanceRefusal.CAMPAIGN_NOT_ACTIVE, f"'{campaign.name}' is {campaign.status}: it issues nothing")
    if not campaign.within_dates(now):
        return Refusal(
            GovernanceRefusal.OUTSIDE_CAMPAIGN_DATES,
            f"'{campaign.name}' runs from {campaign.starts_at:%Y-%m-%d %H:%M} to {campaign.ends_at:%Y-%m-%d %H:%M} UTC",
        )
    return None


def _capacity_refusal(
    campaign: CampaignView, value: int, used_count: int | None = None, used_value: int | None = None
) -> Refusal | None:
    used_count = campaign.issued_count + campaign.pending_count if used_count is None else used_count
    used_value = campaign.issued_value + campaign.pending_value if used_value is None else used_value
    if campaign.max_rewards is not None and used_count + 1 > campaign.max_rewards:
        return Refusal(GovernanceRefusal.CAP_REACHED, f"'{campaign.name}' has issued its {campaign.max_rewards:,} rewards")
    if campaign.budget is not None and used_value + value > campaign.budget:
        left = campaign.budget - used_value
        return Refusal(GovernanceRefusal.BUDGET_EXHAUSTED, _budget_left(campaign, left, value))
    return None


async def hold_recipient(campaign: CampaignView, grant: NewGrant, now: datetime) -> Refusal | None:
    """Count ``grant`` against the recipient's caps of the campaign (when it has any), or say why
    not. Takes the (campaign, recipient) tally row's lock; on a refusal the caller must roll back
    (the tally may have moved). Call :func:`count` once the issuance's own effect is written."""
    if campaign.has_recipient_caps:
        return await _claim_recipient_allowance(campaign, grant, now)
    return None


Crowded = counters.Crowded  # the shard tried was short: the caller rolls back and counts again ``under_lock``


async def count(
    actor: Actor,
    campaign: CampaignView,
    grant: NewGrant,
    now: datetime,
    refused: Callable[[Refusal], Exception],
    under_lock: bool = False,
) -> None:
    """Count ``grant`` against the campaign's maximum count and budget — issued, or held for
    approval: the last lock of an issuance (see the module docstring).

    A counter shard of the campaign is taken (``counters.take``), after the writes deferred so
    far; it requires the campaign's rules to be those ``campaign``
    holds (its ``updated_at``): a campaign read from a cache, or edited meanwhile, decides nothing
    wrongly — this raises RulesChanged then. When the shard tried is short this raises Crowded,
    and the caller rolls back and calls again ``under_lock``: then, when the campaign has no room
    or does not issue now, this raises ``refused(why)`` and the use case rolls back. The grant row is deferred after it,
    and before it a rolling window's caps (see the module docstring)."""
    if campaign.has_recipient_caps and campaign.recipient_window is not None:
        _defer_window_guard(campaign, grant, now, refused)
    try:
        shard = await counters.take(campaign.id, campaign.updated_at, grant.value, grant.pending, now, under_lock)
    except counters.Short as short:
        raise refused(_short_refusal(campaign, grant.value, short)) from None
    except counters.Closed:
        raise refused(await explain(campaign.id, grant.value, now, read=campaign)) from None
    sql.defer(
        sql.Statement(
            _INSERT_GRANT,
            (
                grant.id,
                campaign.id,
                grant.recipient_id,
                grant.offer_id,
                grant.value,
                GRANT_PENDING if grant.pending else GRANT_ISSUED,
                grant.source_event,
                actor.kind.value,
                actor.id,
                actor.label,
                now,
                shard,
            ),
        )
    )


def _budget_left(campaign: CampaignView, left: int, value: int) -> str:
    shown = functools.partial(format_value, currency=campaign.currency)
    return f"'{campaign.name}' has {shown(left)} of its budget left; this reward is {shown(value)}"


def _short_refusal(campaign: CampaignView, value: int, short: counters.Short) -> Refusal:
    if short.count:
        return Refusal(GovernanceRefusal.CAP_REACHED, f"'{campaign.name}' has issued its {campaign.max_rewards:,} rewards")
    return Refusal(
        GovernanceRefusal.BUDGET_EXHAUSTED,
        _budget_left(campaign, short.budget_left, value),
    )


@dataclass(frozen=True)
class Decided:
    campaign_id: uuid.UUID
    recipient_id: uuid.UUID
    value: int


async def settle(actor: Actor, grant_id: uuid.UUID, now: datetime, note: str = "") -> Decided | Refusal | None:
    """Approval: the held grant becomes issued. None when the grant is not pending (decided
    meanwhile, or unknown); a Refusal when the campaign no longer issues (paused, ended, outside
    its dates); the caller rolls back then."""
    row = await sql.fetchrow(_DECIDE_GRANT, grant_id, GRANT_ISSUED, actor.label, now, note)
    if row is None:
        return None
    campaign_id = _as_uuid(row["campaign"])
    if not await counters.settle(campaign_id, row["counter_shard"], row["value"], now):
        campaign = await find_campaign(campaign_id)
        return check_open(campaign, now) or Refusal(
            GovernanceRefusal.BUDGET_EXHAUSTED, f"'{campaign.name}' has no budget left for this reward"
        )
    return Decided(campaign_id, _as_uuid(row["recipient_id"]), row["value"])


async def release(actor: Actor, grant_id: uuid.UUID, now: datetime, note: str = "") -> Decided | None:
    """Rejection at approval: the held grant is released, and with it its count and value (the
    campaign's and the recipient's). None when the grant is not pending."""
    row = await sql.fetchrow(_DECIDE_GRANT, grant_id, GRANT_RELEASED, actor.label, now, note)
    if row is None:
        return None
    campaign_id, recipient_id = _as_uuid(row["campaign"]), _as_uuid(row["recipient_id"])
    # The tally, then the shard: an issuance's lock order.
    await sql.fetch(_UNTALLY, campaign_id, recipient_id, row["value"], now)
    await counters.release(campaign_id, row["counter_shard"], row["value"])
    return Decided(campaign_id, recipient_id, row["value"])


def _as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# ---------------------------------------------------------------- reads for a dry run


async def recipient_usage(
    campaign: CampaignView, recipient_ids: Iterable[uuid.UUID], now: datetime
) -> dict[uuid.UUID, tuple[int, int]]:
    """(count, value) each recipient has used of the campaign's per-recipient caps now: over the
    window when there is one, else over the whole campaign. Recipients with nothing are left out."""
    ids = list(dict.fromkeys(recipient_ids))
    if not ids or not campaign.has_recipient_caps:
        return {}
    usage: dict[uuid.UUID, tuple[int, int]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        if campaign.recipient_window is not None:
            used = sql.Conditions(campaign.id, now - campaign.recipient_window)
            used.add_clause("campaign = $1 AND state <> 'released' AND granted_at > $2")
            statement = used.in_list("recipient_id", chunk).statement(_WINDOW_USAGE, tail="GROUP BY recipient_id")
        else:
            used = sql.Conditions(campaign.id)
            used.add_clause("campaign = $1")
            statement = used.in_list("recipient_id", chunk).statement(_TALLY_USAGE)
        rows = await sql.fetch(statement, *used.args)
        for row in rows:
            usage[_as_uuid(row["recipient_id"])] = (int(row["n"]), int(row["total"]))
    return usage


def capacity_refusal(campaign: CampaignView, value: int, used_count: int, used_value: int) -> Refusal | None:
    """Whether one more reward of ``value`` fits the campaign after ``used_*`` (a dry run's arithmetic)."""
    return _capacity_refusal(campaign, value, used_count, used_value)


def recipient_refusal(campaign: CampaignView, value: int, used_count: int, used_value: int) -> Refusal | None:
    """Whether one more reward of ``value`` fits the recipient's caps after ``used_*``."""
    if (campaign.recipient_max_count is not None and used_count + 1 > campaign.recipient_max_count) or (
        campaign.recipient_max_value is not None and used_value + value > campaign.recipient_max_value
    ):
        return Refusal(
            GovernanceRefusal.RECIPIENT_CAP_REACHED,
            f"the recipient has reached the cap of '{campaign.name}': {_recipient_cap_text(campaign)}",
        )
    return None
