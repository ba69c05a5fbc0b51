"""Reward tables.

``reward_issuances``: one row per reward issued to a recipient under a campaign, with what it was
issued under (offer, terms version, value, source event) and its status: ``issued`` (queued for
delivery through the ``reward.issued`` outbox event), ``pending_approval``, ``rejected`` (turned
down at approval) or ``cancelled``. Rejected *requests* (CAP_REACHED, …) leave no row: a refusal
changes nothing. Indexes that are not plain column indexes are created in the raw migration.
"""

from piccolo.columns import UUID, BigInt, ForeignKey, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.campaigns.tables import Campaign
from backend.core.ids import UUID7Default


class RewardIssuance(Table, tablename="reward_issuances"):
    id = UUID(primary_key=True, default=UUID7Default())
    campaign = ForeignKey(references=Campaign, on_delete=OnDelete.restrict)
    recipient_id = UUID()
    offer_id = UUID(null=True, default=None)  # None: a points reward
    terms_version_id = UUID(null=True, default=None)
    value = BigInt()  # minor units of ``currency``, or points
    currency = Varchar(length=3, null=True, default=None)  # None: points
    points_transfer_id = UUID(null=True, default=None)  # the ledger's earn transfer of a points reward
    source_event = Varchar(length=300, default="")
    channel = Varchar(length=16)
    status = Varchar(length=20)  # issued | pending_approval | rejected | cancelled
    requested_by_kind = Varchar(length=16)
    requested_by_id = UUID(null=True, default=None)
    requested_by_label = Varchar(length=255)
    idempotency_key = Varchar(length=200, null=True, default=None)
    created_at = Timestamptz()
    issued_at = Timestamptz(null=True, default=None)
    decided_by_label = Varchar(length=255, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")
