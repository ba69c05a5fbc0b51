"""What the catalogue services hand to adapters: frozen views, never table rows. Codes and pins
appear only masked here; the one way to read a code in clear is ``allocation.reveal_code``."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backend.core.clock import as_utc, maybe_utc  # noqa: F401 (re-exported)
from backend.core.money import format_money
from backend.core.views import Page, json_value  # noqa: F401 (re-exported)

DRAFT, LIVE, PAUSED, RETIRED = "draft", "live", "paused", "retired"
OFFER_STATUSES = (DRAFT, LIVE, PAUSED, RETIRED)
FIXED, RANGE = "fixed", "range"
DAYS_AFTER_ISSUE, FIXED_DATE = "days_after_issue", "fixed_date"
AVAILABLE, ALLOCATED, CONFIRMED, VOIDED = "available", "allocated", "confirmed", "voided"


def as_date(value) -> date | None:
    """SQLite may hand a DATE back as text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Denominations:
    """Amounts in minor units: a fixed list (``amounts``), or ``minimum``..``maximum`` in ``step``s."""

    kind: str  # fixed | range
    amounts: tuple[int, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    step: int | None = None

    def allows(self, amount: int) -> bool:
        if isinstance(amount, bool) or not isinstance(amount, int):
            return False
        if self.kind == FIXED:
            return amount in self.amounts
        return self.minimum <= amount <= self.maximum and (amount - self.minimum) % self.step == 0

    def describe(self, currency: str) -> str:
        """ "₹500.00, ₹1,000.00" or "₹100.00 to ₹5,000.00 in steps of ₹50.00": as people read money."""
        if self.kind == FIXED:
            return ", ".join(format_money(amount, currency) for amount in self.amounts)
        show = functools.partial(format_money, currency=currency)
        return f"{show(self.minimum)} to {show(self.maximum)} in steps of {show(self.step)}"

    def values(self, limit: int = 200) -> tuple[int, ...]:
        """Every amount the offer takes (a range's steps, the first ``limit``): for choice lists."""
        if self.kind == FIXED:
            return self.amounts
        return tuple(range(self.minimum, self.maximum + 1, self.step))[:limit]


@dataclass(frozen=True)
class ExpiryRule:
    kind: str  # days_after_issue | fixed_date
    days: int | None = None
    on: date | None = None

    def expires_on(self, issued_at: datetime) -> date:
        """The last day a reward issued at ``issued_at`` can be redeemed (UTC dates)."""
        if self.kind == DAYS_AFTER_ISSUE:
            return as_utc(issued_at).date() + timedelta(days=self.days)
        return self.on


@dataclass(frozen=True)
class OfferView:
    id: uuid.UUID
    partner_id: uuid.UUID
    partner_name: str
    partner_status: str
    title: str
    code: str  # unique, e.g. SHOP-IN-500
    description: str
    image_url: str
    country: str
    currency: str
    category: str
    category_restrictions: tuple[str, ...]
    denominations: Denominations
    expiry: ExpiryRule
    eligibility_rule: str  # canonical text; "" = everyone
    current_terms_version_id: uuid.UUID | None  # what an issuance records
    rank: int
    status: str
    low_stock_threshold: int
    created_at: datetime
    updated_at: datetime

    @property
    def is_available(self) -> bool:
        """Issuable now: the offer is live and so is its partner (a paused partner pauses its offers)."""
        return self.status == LIVE and self.partner_status == LIVE


def valid_denomination(offer: OfferView, amount: int) -> bool:
    """Whether ``amount`` (minor units) is one of the offer's denominations."""
    return offer.denominations.allows(amount)


@dataclass(frozen=True)
class TermsVersionView:
    id: uuid.UUID
    offer_id: uuid.UUID
    version: int
    body: str
    created_by_label: str
    created_at: datetime


@dataclass(frozen=True)
class EligibilityPreview:
    rule: str  # canonical
    eligible: int
    total: int  # active recipients


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass(frozen=True)
class VoucherImportReport:
    id: uuid.UUID | None  # None for a dry run
    offer_id: uuid.UUID
    file_name: str
    sha256: str
    size_bytes: int
    rows_read: int
    rows_imported: int
    rejected: tuple[RejectedRow, ...]
    dry_run: bool
    imported_by_label: str
    imported_at: datetime


@dataclass(frozen=True)
class VoucherCodeView:
    id: uuid.UUID
    offer_id: uuid.UUID
    code_masked: str
    pin_masked: str | None
    denomination: int
    expires_on: date | None
    status: str  # available | allocated | confirmed
    allocated_to: uuid.UUID | None
    sandbox: bool
    allocated_at: datetime | None
    confirmed_at: datetime | None


@dataclass(frozen=True)
class RevealedCode:
    """A code in clear, for the delivery of one issuance. Never logged, never audited in clear."""

    issuance_id: uuid.UUID
    code: str
    pin: str | None
    denomination: int
    expires_on: date | None


@dataclass(frozen=True)
class StockLevel:
    denomination: int
    available: int
    allocated: int
    confirmed: int
    expired: int  # available but past expiry


@dataclass(frozen=True)
class LowStockOffer:
    offer_id: uuid.UUID
    title: str
    partner_id: uuid.UUID
    available: int
    threshold: int


@dataclass(frozen=True)
class UatStep:
    name: str
    detail: str


@dataclass(frozen=True)
class UatRun:
    partner_id: uuid.UUID
    offer_id: uuid.UUID
    sandbox_issuance_id: uuid.UUID
    code_masked: str
    denomination: int
    steps: tuple[UatStep, ...]
    evidence_note: str
