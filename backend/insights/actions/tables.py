"""The corrective actions' record. Ids of other domains' rows (partner, review, announcement) are
plain UUIDs: no foreign key crosses apps. One pending replacement per partner: a partial unique
index in the raw migration."""

from piccolo.columns import JSON, UUID, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class CorrectiveAction(Table, tablename="insight_actions"):
    id = UUID(primary_key=True, default=UUID7Default())
    kind = Varchar(length=32, index=True)  # rerank | refresh_listing | promotion | partner_replacement | segment_routing
    status = Varchar(length=16, index=True)  # done | pending | approved | rejected
    partner_id = UUID(null=True, default=None, index=True)
    review_id = UUID(null=True, default=None, index=True)
    summary = Text(default="")  # in words, for the review's list of decisions
    request = JSON(default={})  # what was asked (a replacement's partner and offer map, a push's segment…)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    announcement_id = UUID(null=True, default=None)  # a promotional push's announcement (deliveries)
    requested_by = UUID(null=True, default=None)
    requested_by_kind = Varchar(length=16, default="user")
    requested_by_label = Varchar(length=255, default="")
    requested_at = Timestamptz()
    decided_by = UUID(null=True, default=None)
    decided_by_label = Varchar(length=255, default="")
    decided_at = Timestamptz(null=True, default=None)
    decision_note = Text(default="")
