"""Campaign tables.

* ``campaigns``: the rules of a campaign (its maximum count and budget among them).
* ``campaign_counter_shards``: a campaign's live counters, split over a few rows so that no one
  row serialises its issuances (``services/counters.py``): what is left of its maximum count and
  budget, and what each shard has counted — ``issued_*`` rewards issued, ``pending_*`` rewards
  waiting for approval (they hold count and budget, so approvals can never overrun them). The
  campaign's totals are the sums; a CHECK (trigger on SQLite) keeps each row at or above zero.
* ``campaign_recipient_tallies``: one row per (campaign, recipient), upserted and so locked by every
  issuance to that recipient: it serialises the per-recipient cap check (see governance.py).
* ``campaign_grants``: one row per issuance counted against a campaign (same id as the issuance):
  its value, recipient and state, which is what rolling-window caps count and the approval queue
  lists. The rewards domain owns the issuance itself; this is the campaign's side of it.

Unique and partial indexes are created in the raw migration.
"""

from piccolo.columns import JSON, UUID, BigInt, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default
from backend.recipients.tables import Programme


class Campaign(Table, tablename="campaigns"):
    id = UUID(primary_key=True, default=UUID7Default())
    programme = ForeignKey(references=Programme, index=True, on_delete=OnDelete.restrict)
    name = Varchar(length=200)
    description = Text(default="")
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    approval_mode = Varchar(length=16, default="auto")  # auto | admin_approval
    reward_type = Varchar(length=8)  # offers | points
    allowed_offers = JSON(default=[])  # offer ids (offers campaigns)
    points_value = BigInt(null=True, default=None)  # points campaigns: the fixed points of each reward, or any
    currency = Varchar(length=3, null=True, default=None)  # offers campaigns; a points campaign counts points
    max_rewards = BigInt(null=True, default=None)
    budget = BigInt(null=True, default=None)  # minor units of ``currency`` (points for a points campaign)
    recipient_max_count = Integer(null=True, default=None)
    recipient_max_value = BigInt(null=True, default=None)
    recipient_window_days = Integer(null=True, default=None)  # None: the caps hold for the whole campaign
    default_channel = Varchar(length=16, default="email")
    status = Varchar(length=16, default="draft", index=True)  # draft | active | paused | ended
    created_by_label = Varchar(length=255, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()


class CampaignCounterShard(Table, tablename="campaign_counter_shards"):
    id = UUID(primary_key=True, default=UUID7Default())
    campaign = ForeignKey(references=Campaign, on_delete=OnDelete.cascade)  # part of the campaign itself
    shard = Integer()  # 0 … SHARDS - 1
    remaining_count = BigInt(null=True, default=None)  # None: the campaign has no maximum count
    remaining_budget = BigInt(null=True, default=None)  # None: no budget
    issued_count = BigInt(default=0)
    issued_value = BigInt(default=0)
    pending_count = BigInt(default=0)
    pending_value = BigInt(default=0)


class CampaignRecipientTally(Table, tablename="campaign_recipient_tallies"):
    id = UUID(primary_key=True, default=UUID7Default())
    campaign = ForeignKey(references=Campaign, on_delete=OnDelete.restrict)
    recipient_id = UUID()
    granted_count = BigInt(default=0)  # pending or issued, over the whole campaign
    granted_value = BigInt(default=0)
    updated_at = Timestamptz()


class CampaignGrant(Table, tablename="campaign_grants"):
    id = UUID(primary_key=True)  # the issuance's id
    campaign = ForeignKey(references=Campaign, on_delete=OnDelete.restrict)
    recipient_id = UUID()
    offer_id = UUID(null=True, default=None)
    value = BigInt()
    state = Varchar(length=16)  # pending | issued | released
    source_event = Varchar(length=300, default="")
    requested_by_kind = Varchar(length=16)
    requested_by_id = UUID(null=True, default=None)
    requested_by_label = Varchar(length=255)
    granted_at = Timestamptz()
    decided_by_label = Varchar(length=255, null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")
    counter_shard = Integer(default=0)  # the counter shard that holds its count and value
