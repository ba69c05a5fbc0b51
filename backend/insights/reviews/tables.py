"""Partner-performance review tables: thresholds per programme and category, the flags they raise,
the monthly reviews (a snapshot of every partner's figures, the decisions taken, the report's
mailings).

What Piccolo's columns cannot say is in the raw migration: one threshold per (programme, category,
metric), one *open* flag per (threshold, partner) (a partial unique index: a flag is raised once),
one review per (programme, month) (exactly once, whatever the number of workers), one line per
(review, partner), one mailing per (review, address)."""

from piccolo.columns import JSON, UUID, BigInt, Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class PerformanceThreshold(Table, tablename="performance_thresholds"):
    """A partner under (or, for days without a redemption, over) ``limit_value`` over the last
    ``window_days`` is flagged. Rates and shares are in basis points (20 % is 2000), days in days.
    ``category`` None: every partner of the programme; else the partners of that category."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(index=True)
    category = Varchar(length=60, null=True, default=None)
    metric = Varchar(length=32)  # activation_rate | redemption_rate | spend_share | days_without_redemption
    limit_value = Integer()
    window_days = Integer()
    min_views = Integer(default=0)  # fewer views than this in the window: too little to judge
    created_at = Timestamptz()
    updated_at = Timestamptz()
    updated_by_label = Varchar(length=255, default="")


class PartnerFlag(Table, tablename="partner_flags"):
    """A partner past a threshold: raised once, when an evaluation first finds it there, cleared
    when one finds the figure recovered (the row stays, for the history)."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(index=True)
    partner_id = UUID(index=True)
    partner_name = Varchar(length=200)  # as it was when raised: the attention list reads no other domain's rows
    threshold_id = UUID()
    metric = Varchar(length=32)
    category = Varchar(length=60, null=True, default=None)
    figure = BigInt()  # the figure that crossed, in the threshold's unit
    limit_value = Integer()
    window_days = Integer()
    raised_at = Timestamptz()
    last_figure = BigInt()  # the latest evaluation's figure while open
    evaluated_at = Timestamptz()
    cleared_at = Timestamptz(null=True, default=None)


class PartnerReview(Table, tablename="partner_reviews"):
    """A programme's monthly review: open while admins work through it, then closed for good."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(index=True)
    month = Varchar(length=7)  # YYYY-MM, the month reviewed
    currency = Varchar(length=3)
    status = Varchar(length=8)  # open | closed
    partner_count = Integer(default=0)
    flagged_count = Integer(default=0)
    decision_count = Integer(default=0)
    started_at = Timestamptz()
    started_by_id = UUID(null=True, default=None)
    started_by_label = Varchar(length=255)
    closed_at = Timestamptz(null=True, default=None)
    closed_by_id = UUID(null=True, default=None)
    closed_by_label = Varchar(length=255, null=True, default=None)
    closing_note = Text(default="")


class PartnerReviewLine(Table, tablename="partner_review_lines"):
    """One partner's figures for the reviewed month and the month before, as they stood when the
    review started, with the flags open then (``flags``: [{metric, figure, limit_value, window_days,
    raised_at}])."""

    id = UUID(primary_key=True, default=UUID7Default())
    review = ForeignKey(references=PartnerReview, index=True, on_delete=OnDelete.restrict)
    partner_id = UUID()
    partner_name = Varchar(length=200)
    category = Varchar(length=60, default="")
    views = BigInt(default=0)
    activations = BigInt(default=0)
    redemptions = BigInt(default=0)
    spend_minor = BigInt(default=0)
    activation_bp = Integer(null=True, default=None)
    redemption_bp = Integer(null=True, default=None)
    spend_share_bp = Integer(null=True, default=None)
    last_redemption_on = Date(null=True, default=None)
    previous_views = BigInt(default=0)
    previous_activations = BigInt(default=0)
    previous_redemptions = BigInt(default=0)
    previous_spend_minor = BigInt(default=0)
    previous_activation_bp = Integer(null=True, default=None)
    previous_redemption_bp = Integer(null=True, default=None)
    previous_spend_share_bp = Integer(null=True, default=None)
    flags = JSON(default=[])


class PartnerReviewDecision(Table, tablename="partner_review_decisions"):
    """What was decided during a review (keep, watch, an action taken, …), by whom, when."""

    id = UUID(primary_key=True, default=UUID7Default())
    review = ForeignKey(references=PartnerReview, index=True, on_delete=OnDelete.restrict)
    partner_id = UUID(null=True, default=None)
    kind = Varchar(length=32)
    note = Text(default="")
    action_id = UUID(null=True, default=None)  # a corrective action taken for it, if one was
    decided_by_id = UUID(null=True, default=None)
    decided_by_label = Varchar(length=255)
    decided_at = Timestamptz()


class PartnerReviewMailing(Table, tablename="partner_review_mailings"):
    """The report emailed to one admin: sent once per (review, address), through the programme's
    email provider (the sandbox by default)."""

    id = UUID(primary_key=True, default=UUID7Default())
    review = ForeignKey(references=PartnerReview, index=True, on_delete=OnDelete.restrict)
    email = Varchar(length=254)
    status = Varchar(length=8)  # sent | failed
    provider = Varchar(length=32, default="")
    provider_message_id = Varchar(length=200, null=True, default=None)
    error_text = Text(null=True, default=None)
    sent_at = Timestamptz()
