"""Delivery tables: one delivery per issued reward, one row per attempt, each programme's provider
settings and template overrides, and the sandbox provider's inbox.

Composite uniques and the due-delivery index are in the raw migration (Piccolo columns cannot
declare them): UNIQUE (delivery, number) of attempts, UNIQUE (programme_id, channel, role) of
providers, UNIQUE (programme_id, channel, language) of templates."""

from piccolo.columns import JSON, UUID, Boolean, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from backend.core.ids import UUID7Default


class Delivery(Table, tablename="deliveries"):
    """How one issued reward reaches its recipient. ``status``: pending (due at ``next_attempt_at``),
    sending (claimed by a worker until ``claimed_until``), sent, or failed (``failure_reason`` in words)."""

    id = UUID(primary_key=True, default=UUID7Default())
    # Unique: an outbox event delivered twice, or a backfill beside the handler, never makes two.
    issuance_id = UUID(unique=True)
    recipient_id = UUID(index=True)
    programme_id = UUID(index=True)
    campaign_id = UUID(index=True)
    upload_id = UUID(null=True, default=None)  # the bulk upload that issued the reward, if one did
    issued_at = Timestamptz(null=True, default=None)  # the reward's, copied: the listing filters on it
    channel = Varchar(length=16)
    contact = Varchar(length=254, null=True, default=None)
    language = Varchar(length=8, default="en")
    status = Varchar(length=16, index=True)
    attempts = Integer(default=0)
    provider_role = Varchar(length=16, default="primary")  # whose turn: primary, then failover
    role_attempts = Integer(default=0)  # attempts made with the current role's provider
    next_attempt_at = Timestamptz(null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
    provider = Varchar(length=32, null=True, default=None)  # the provider that sent it
    provider_message_id = Varchar(length=200, null=True, default=None)
    failure_code = Varchar(length=40, null=True, default=None)
    failure_reason = Text(null=True, default=None)
    # sha256 of the claim link's token: the token itself is never stored.
    claim_token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)
    # What the provider's status callbacks said last (queued, sent, delivered, read, bounced,
    # failed, undeliverable): only ever moves forward.
    provider_status = Varchar(length=16, null=True, default=None)
    provider_status_at = Timestamptz(null=True, default=None)


class DeliveryAttempt(Table, tablename="delivery_attempts"):
    id = UUID(primary_key=True, default=UUID7Default())
    delivery = ForeignKey(references=Delivery, index=True, on_delete=OnDelete.restrict)
    number = Integer()
    channel = Varchar(length=16)
    provider = Varchar(length=32)
    provider_role = Varchar(length=16)
    provider_message_id = Varchar(length=200, null=True, default=None)
    status = Varchar(length=16)  # sent | transient | permanent
    error_code = Varchar(length=40, null=True, default=None)
    error_text = Text(null=True, default=None)
    latency_ms = Integer()
    started_at = Timestamptz()
    retry_at = Timestamptz(null=True, default=None)  # the retry this failure scheduled, if any


class DeliveryProvider(Table, tablename="delivery_providers"):
    """A programme's provider for one channel, as primary or failover. ``settings`` holds what is
    not secret (host, port, sender, base URL, account id); the password or token is sealed."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(index=True)
    channel = Varchar(length=16)
    role = Varchar(length=16)  # primary | failover
    kind = Varchar(length=32)  # sandbox | smtp | http_messaging
    settings = JSON(default={})
    secret_sealed = Text(default="")  # sealed by backend.core.encryption, with the row's id as context
    # The secret that signs the provider's status callbacks when it is not ``secret`` itself
    # (Meta's app secret); sealed the same way, with "callback:" + the row's id as context.
    callback_secret_sealed = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    updated_by_label = Varchar(length=255, default="")


class DeliveryTemplate(Table, tablename="delivery_templates"):
    """A programme's own wording for one channel and language (else the shipped default)."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(index=True)
    channel = Varchar(length=16)
    language = Varchar(length=8)
    subject = Text(default="")  # email only
    html = Text(default="")  # email only
    text = Text()
    created_at = Timestamptz()
    updated_at = Timestamptz()
    updated_by_label = Varchar(length=255, default="")


class SandboxMessage(Table, tablename="sandbox_messages"):
    """What the sandbox provider "sent": the rendered message, kept for the console's inbox.
    Unique per delivery: the sandbox honours the delivery id as an idempotency key."""

    id = UUID(primary_key=True, default=UUID7Default())
    delivery_id = UUID(unique=True)
    programme_id = UUID(null=True, default=None, index=True)
    channel = Varchar(length=16)
    recipient = Varchar(length=254)
    subject = Text(default="")
    html = Text(default="")
    text = Text()
    created_at = Timestamptz(index=True)


class DeliverySettings(Table, tablename="delivery_settings"):
    """A programme's delivery rules: quiet hours for SMS and WhatsApp (in the recipient's time zone,
    else ``time_zone``) and channel fallback (when a channel's providers are exhausted or refuse for
    good, try the recipient's next channel in ``fallback_order`` that has a usable contact)."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(unique=True)
    quiet_hours = Boolean(default=False)
    quiet_start = Varchar(length=5, default="21:00")  # local time, HH:MM: no SMS/WhatsApp from here…
    quiet_end = Varchar(length=5, default="08:00")  # …until here (the window may cross midnight)
    time_zone = Varchar(length=64, default="UTC")  # IANA name, for recipients without one
    fallback = Boolean(default=False)
    fallback_order = Varchar(length=64, default="email,sms,whatsapp")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    updated_by_label = Varchar(length=255, default="")


class DeliveryStatusEvent(Table, tablename="delivery_status_events"):
    """A status a provider's signed callback reported for a delivery, kept whether or not it moved
    the delivery forward (``applied``), with the provider's time and ours."""

    id = UUID(primary_key=True, default=UUID7Default())
    delivery = ForeignKey(references=Delivery, index=True, on_delete=OnDelete.restrict)
    provider_id = UUID(null=True, default=None)
    status = Varchar(length=16)
    applied = Boolean(default=False)
    error_code = Varchar(length=40, null=True, default=None)
    reason = Text(null=True, default=None)
    occurred_at = Timestamptz()
    received_at = Timestamptz()


class DeliveryCallbackReceipt(Table, tablename="delivery_callback_receipts"):
    """A callback already handled: its provider row and id, unique, so a replay changes nothing."""

    id = UUID(primary_key=True, default=UUID7Default())
    receipt_key = Varchar(length=300, unique=True)  # provider id + ":" + the callback's own id
    received_at = Timestamptz(index=True)


class ClaimEvent(Table, tablename="claim_events"):
    """What a recipient did on a reward's claim page: its first view (``viewed``) and its activation
    (``activated``: the code or points revealed). Append-only, one of each kind per delivery: a unique
    index and triggers that refuse UPDATE and DELETE are in the raw migration."""

    id = UUID(primary_key=True, default=UUID7Default())
    delivery = ForeignKey(references=Delivery, on_delete=OnDelete.restrict)
    kind = Varchar(length=16)  # viewed | activated
    at = Timestamptz()


class DeliveryTestSend(Table, tablename="delivery_test_sends"):
    """A test message an admin asked for from the console: sent by the worker through the
    programme's provider (never by the console), with sample values, its outcome kept here for the
    console to show. ``status``: pending, sending (claimed until ``claimed_until``), sent or failed."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(index=True)
    channel = Varchar(length=16)
    role = Varchar(length=16)  # primary | failover
    contact = Varchar(length=254)
    language = Varchar(length=8, default="en")
    status = Varchar(length=16, index=True)
    claimed_until = Timestamptz(null=True, default=None)
    provider = Varchar(length=32, null=True, default=None)
    provider_message_id = Varchar(length=200, null=True, default=None)
    error_code = Varchar(length=40, null=True, default=None)
    error_text = Text(null=True, default=None)
    latency_ms = Integer(null=True, default=None)
    requested_by_label = Varchar(length=255, default="")
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class DeliveryNotice(Table, tablename="delivery_notices"):
    """A message to a person that is not a reward's delivery (a support agent's reply, a replacement
    code, an SLA breach for the agents), sent by the worker through the programme's provider for the
    channel. ``reveal_issuance_id``: the reward whose code the message carries, revealed only when
    it is sent (a code is never stored in clear). ``status``: pending (due at ``next_attempt_at``),
    sending (claimed until ``claimed_until``), sent or failed."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(index=True)
    about_kind = Varchar(length=24)  # ticket | …: what the notice is about, for the sender's thread
    about_id = UUID(null=True, default=None, index=True)
    channel = Varchar(length=16)
    contact = Varchar(length=254)
    subject = Text(default="")
    text = Text()
    reveal_issuance_id = UUID(null=True, default=None)
    status = Varchar(length=16, index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    claimed_until = Timestamptz(null=True, default=None)
    provider = Varchar(length=32, null=True, default=None)
    provider_message_id = Varchar(length=200, null=True, default=None)
    error_code = Varchar(length=40, null=True, default=None)
    error_text = Text(null=True, default=None)
    created_at = Timestamptz()
    sent_at = Timestamptz(null=True, default=None)


class Announcement(Table, tablename="delivery_announcements"):
    """A message to many recipients that is not a reward (a promotional push): sent by the worker in
    batches through the programme's providers, its progress counted here. ``source`` names what
    asked for it (e.g. ``insight_action:<id>``)."""

    id = UUID(primary_key=True, default=UUID7Default())
    programme_id = UUID(index=True)
    subject = Text(default="")  # email only
    text = Text()
    variables = JSON(default={})  # fixed values the text may use beside recipient_name (offer_name, partner_name)
    source = Varchar(length=100, default="")
    status = Varchar(length=16, index=True)  # sending | sent
    total = Integer(default=0)
    sent = Integer(default=0)
    failed = Integer(default=0)
    requested_by_label = Varchar(length=255, default="")
    created_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)


class AnnouncementMessage(Table, tablename="delivery_announcement_messages"):
    """One recipient's copy of an announcement. ``status``: pending, sending (claimed until
    ``claimed_until``), sent or failed (no contact, or the provider refused)."""

    id = UUID(primary_key=True, default=UUID7Default())
    announcement = ForeignKey(references=Announcement, index=True, on_delete=OnDelete.restrict)
    recipient_id = UUID()
    channel = Varchar(length=16)
    contact = Varchar(length=254, null=True, default=None)
    status = Varchar(length=16)
    claimed_until = Timestamptz(null=True, default=None)
    provider = Varchar(length=32, null=True, default=None)
    provider_message_id = Varchar(length=200, null=True, default=None)
    error_code = Varchar(length=40, null=True, default=None)
    error_text = Text(null=True, default=None)
    sent_at = Timestamptz(null=True, default=None)
