"""The rules of one upload row (the columns are described in ``columns.py``).

A row is checked against the campaign (its reward type, allowed offers, fixed points value), the
offer (known, live, currency, denomination through the catalogue's own ``valid_denomination``),
eligibility (the catalogue's ``eligible``, on the recipient as stored or, for a recipient not known
yet, as the row describes them), the recipient (``recipients.services.validation.validate_recipient`` for a new
one: name, email, phone, country, channel, HR attributes) and duplicates within the file. Every
problem of a row is collected, each as (field, code, message); duplicates of earlier uploads are
found by staging, in one query over the whole file.

A cell with a control character (C0: U+0000–U+001F except tab, line feed and carriage return, and
U+007F) is refused as INVALID_CHARACTERS, naming the line and column: a NUL cannot be stored in
PostgreSQL's text, and none of them belongs in a name, an address or an id. The rest of the row is
checked without them, so nothing that cannot be stored reaches a query.

A country is ISO 3166 alpha-2, alpha-3 or an English short name (``core.iso_codes``), stored as
alpha-2. When the offer's eligibility rule reads ``country``, a recipient without one is refused
with REQUIRED on ``country``, naming the rule, rather than found "not eligible".

Two valid rows for the same recipient and offer with different amounts are possible duplicates:
not an error here; ``possible_duplicates.py`` warns on each row once the whole file is staged.

Offers are loaded once per upload (the campaign's allowed offers); known recipients once per batch
of rows (one query by external id). The rows' contact points (country, email, phone: ``people``)
may be normalised beforehand, by ``contact_points_batch`` in a process pool (``contact_checks``),
and handed to ``prepare``: a row gets the same values and errors either way.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from backend.campaigns.views import POINTS, CampaignView
from backend.catalog.services.eligibility import eligible, refusal, rule_attributes
from backend.catalog.services.offer_rows import load_offers
from backend.catalog.views import OfferView, valid_denomination
from backend.core import amount_columns, sql
from backend.core.clock import utcnow
from backend.core.contact_points import ContactPoints, contact_points
from backend.core.errors import DomainError, FieldError
from backend.core.money import format_money
from backend.core.sql import Row
from backend.recipients import services as recipients
from backend.recipients.services import CHANNELS, RecipientInput, RecipientView
from backend.rewards.uploads.services.columns import (
    AMOUNT,
    AMOUNTS,
    ATTRIBUTE_PREFIX,
    CHANNEL,
    COUNTRY,
    EMAIL,
    EXTERNAL_ID,
    FULL_NAME,
    OFFER,
    PHONE,
)
from backend.rewards.uploads.services.columns import (
    POINTS as POINTS_COLUMN,
)
from backend.rewards.uploads.services.contact_checks import Person
from backend.rewards.uploads.services.parsing import ParsedRow

MAX_EXTERNAL_ID = 100
MAX_VALUE = 10**12
SOURCE_SYSTEM = "upload"
_WHOLE_NUMBER = re.compile(r"^[0-9]{1,13}$")
_INTEGER = re.compile(r"^-?[0-9]{1,15}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NO_ONE = uuid.UUID(int=0)
_NO_CONTACT: Person = ("", "", "")
_NO_CONTACT_POINTS = ContactPoints()
# What a recipient field is called in an upload.
_FIELD_NAMES = {"preferred_channel": CHANNEL, "whatsapp": PHONE, "hr_attributes": "attr"}


@dataclass
class StagedRow:
    """A row as it is staged: what it means, and every problem found."""

    line: int
    cells: dict[str, str]
    external_id: str = ""
    recipient_id: uuid.UUID | None = None
    new_recipient: dict | None = None  # RecipientInput fields, normalised, for a recipient to create at approval
    offer_id: uuid.UUID | None = None
    denomination: int | None = None
    points: int | None = None
    channel: str | None = None
    dedupe_key: str | None = None
    errors: list[FieldError] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def value(self) -> int | None:
        return self.points if self.points is not None else self.denomination


def error_dicts(errors: list[FieldError]) -> list[dict]:
    return [{"field": error.field, "code": error.code, "message": error.message} for error in errors]


def dedupe_key(external_id: str, offer_id: uuid.UUID | None, denomination: int | None, points: int | None) -> str:
    """What makes two rows the same reward: recipient, offer and denomination (or points)."""
    return f"{external_id}\x1f{_reward_key(offer_id, denomination, points)}"


# A pure function (nothing to expire): a file gives a few rewards many times; a UUID's text costs more than the lookup.
@functools.lru_cache(maxsize=1024)
def _reward_key(offer_id: uuid.UUID | None, denomination: int | None, points: int | None) -> str:
    return f"points\x1f{points}" if offer_id is None else f"{offer_id}\x1f{denomination}"


def hr_value(text: str) -> str | int | bool:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return int(text) if _INTEGER.match(text) else text


async def known_recipients(external_ids: list[str], fetch=sql.fetch) -> dict[str, Row]:
    """The recipients among ``external_ids`` that exist (their rows), by external id: one query (a
    hot path of staging), read by the recipients domain. ``fetch`` runs it: the current
    transaction's by default (staging passes a reading connection of its own)."""
    return await recipients.recipient_rows_by_external_id(external_ids, fetch)


async def campaign_offers(campaign: CampaignView) -> dict[uuid.UUID, OfferView]:
    """The campaign's allowed offers, loaded once per upload."""
    return await load_offers(list(campaign.allowed_offer_ids))


class RowValidator:
    """Validates the rows of one upload, in file order (the first of two duplicate rows stands)."""

    def __init__(
        self, campaign: CampaignView, offers: dict[uuid.UUID, OfferView], *, seen: dict[str, int] | None = None, fetch=sql.fetch
    ):
        self.campaign = campaign
        self.offers = offers
        self.recipients: dict[str, Row] = {}
        self.seen: dict[str, int] = {} if seen is None else seen  # dedupe key → the line that has it
        self.fetch = fetch
        # offer cell → id: a file names a few offers many times, by code (any case) or by id
        self._offer_ids: dict[str, uuid.UUID] = {offer.code.upper(): offer_id for offer_id, offer in offers.items() if offer.code}
        self.contacts: Mapping[Person, ContactPoints] = {}
        self.now = utcnow()

    @staticmethod
    def people(rows: list[ParsedRow]) -> set[Person]:
        """The contact points the rows give (country, email, phone), to be normalised beforehand
        (``contact_checks``); a row without any gives none."""
        wanted = set()
        for row in rows:
            cells = row.cells
            person = (cells.get(COUNTRY, "").strip(), cells.get(EMAIL, "").strip(), cells.get(PHONE, "").strip())
            if person != _NO_CONTACT:
                wanted.add(person)
        return wanted

    async def prepare(self, rows: list[ParsedRow], contacts: Mapping[Person, ContactPoints] | None = None) -> None:
        """Load the recipients the next rows name (one query) and take the rows' contact points,
        normalised beforehand (``people``); a person missing from ``contacts`` is normalised inline."""
        wanted = {row.cells.get(EXTERNAL_ID, "").strip() for row in rows} - set(self.recipients) - {""}
        wanted = {external_id for external_id in wanted if not _CONTROL.search(external_id)}
        self.recipients = await known_recipients(sorted(wanted), self.fetch)
        self.contacts = contacts or {}

    def validate(self, row: ParsedRow) -> StagedRow:
        staged = StagedRow(line=row.line, cells=row.cells, errors=list(row.problems))
        cells = {name: value.strip() for name, value in row.cells.items()}
        if _CONTROL.search("".join(cells.values())):  # one search a row: the usual row has none
            cells = self._without_control_characters(staged, cells)
        staged.external_id = cells.get(EXTERNAL_ID, "")[:MAX_EXTERNAL_ID]
        errors = staged.errors
        external_id = cells.get(EXTERNAL_ID, "")
        if not external_id:
            errors.append(FieldError(EXTERNAL_ID, "REQUIRED", "external_id is required"))
        elif len(external_id) > MAX_EXTERNAL_ID:
            errors.append(FieldError(EXTERNAL_ID, "TOO_LONG", f"external_id is at most {MAX_EXTERNAL_ID} characters"))
        channel = cells.get(CHANNEL, "").lower() or None
        if channel is not None and channel not in CHANNELS:
            errors.append(
                FieldError(CHANNEL, "INVALID_CHANNEL", f"channel '{cells[CHANNEL][:20]}' is not one of {', '.join(CHANNELS)}")
            )
            channel = None
        staged.channel = channel
        recipient = self._recipient(staged, cells, external_id) if external_id and len(external_id) <= MAX_EXTERNAL_ID else None
        offer = self._reward(staged, cells)
        if offer is not None and recipient is not None and offer.eligibility_rule:
            view = self._view(recipient)
            if not view.country and "country" in rule_attributes(offer.eligibility_rule):
                errors.append(self._country_required(offer, recipient, refusal(offer, view)))
            elif not eligible(offer, view):
                errors.append(
                    FieldError(OFFER, "NOT_ELIGIBLE", f"{external_id} cannot have '{offer.title}': {refusal(offer, view)}")
                )
        if staged.external_id and (staged.offer_id is not None or staged.points is not None) and staged.value is not None:
            staged.dedupe_key = dedupe_key(external_id, staged.offer_id, staged.denomination, staged.points)
            if not errors:
                first = self.seen.setdefault(staged.dedupe_key, row.line)
                if first != row.line:
                    what = "points" if staged.points is not None else "offer and amount"
                    errors.append(FieldError(None, "DUPLICATE_IN_FILE", f"same recipient, {what} as line {first}"))
        return staged

    def _without_control_characters(self, staged: StagedRow, cells: dict[str, str]) -> dict[str, str]:
        """INVALID_CHARACTERS for each cell with a control character; the cells without them."""
        clean = {}
        for name, value in cells.items():
            found = _CONTROL.search(value)
            if found is not None:
                code = ord(found.group())
                staged.errors.append(
                    FieldError(
                        name,
                        "INVALID_CHARACTERS",
                        f"line {staged.line}, column {name}: the control character U+{code:04X}"
                        f"{' (NUL)' if code == 0 else ''} cannot be stored or sent; remove it and upload the row again",
                    )
                )
                value = _CONTROL.sub("", value).strip()
            clean[name] = value
        return clean

    @staticmethod
    def _country_required(offer: OfferView, recipient: Row | RecipientInput, why: str) -> FieldError:
        """REQUIRED on ``country``, in plain words: "country is missing; the offer is for IN, DE"."""
        why = why or "country is missing"
        if isinstance(recipient, RecipientInput):
            return FieldError(COUNTRY, "REQUIRED", f"{why} ('{offer.title}'): fill the country column")
        return FieldError(
            COUNTRY,
            "REQUIRED",
            f"{why} ('{offer.title}'): {recipient['external_id']} has no country on record, and an upload "
            "does not change a known recipient (set it on the recipient)",
        )

    # ------------------------------------------------------------ recipient

    def _recipient(self, staged: StagedRow, cells: dict[str, str], external_id: str) -> Row | RecipientInput | None:
        """The recipient the row names: the stored row, or the record that would be created; None when
        it cannot be. (Views are built only for an offer with an eligibility rule: ``_view``.)"""
        known = self.recipients.get(external_id)
        if known is not None:
            staged.recipient_id = known["id"]
            if known["status"] != "active":
                staged.errors.append(
                    FieldError(EXTERNAL_ID, "RECIPIENT_INACTIVE", f"{external_id} is {known['status']}: no rewards can be issued")
                )
            self._check_contact(staged, cells)
            return known
        hr_attributes = {
            name[len(ATTRIBUTE_PREFIX) :]: hr_value(value)
            for name, value in cells.items()
            if name.startswith(ATTRIBUTE_PREFIX) and value
        }
        channel = staged.channel or (EMAIL if cells.get(EMAIL) else "sms" if cells.get(PHONE) else self.campaign.default_channel)
        if not cells.get(FULL_NAME):
            staged.errors.append(
                FieldError(FULL_NAME, "REQUIRED", f"{external_id} is not a known recipient: full_name is required to create them")
            )
            return None
        try:
            clean = recipients.validate_recipient(
                RecipientInput(
                    external_id=external_id,
                    full_name=cells[FULL_NAME],
                    email=cells.get(EMAIL) or None,
                    phone=cells.get(PHONE) or None,
                    country=cells.get(COUNTRY) or None,
                    preferred_channel=channel,
                    hr_attributes=hr_attributes,
                    source_system=SOURCE_SYSTEM,
                ),
                contacts=self._contact_points(cells),
            )
        except DomainError as error:
            staged.errors.extend(
                FieldError(_FIELD_NAMES.get(problem.field, problem.field), problem.code, problem.message)
                for problem in error.errors
            )
            return None
        staged.new_recipient = dict(vars(clean))  # RecipientInput's fields (asdict's deep copy costs more than the check)
        return clean

    def _view(self, recipient: Row | RecipientInput) -> RecipientView:
        """The recipient as eligibility sees them: as stored, or as the row would create them."""
        if not isinstance(recipient, RecipientInput):
            return recipients.recipient_view(recipient)
        return RecipientView(
            id=_NO_ONE,
            external_id=recipient.external_id,
            full_name=recipient.full_name,
            email=recipient.email,
            phone=recipient.phone,
            whatsapp=recipient.whatsapp,
            country=recipient.country,
            preferred_channel=recipient.preferred_channel,
            hr_attributes=recipient.hr_attributes,
            source_system=recipient.source_system,
            status="active",
            created_at=self.now,
            updated_at=self.now,
        )

    def _check_contact(self, staged: StagedRow, cells: dict[str, str]) -> None:
        """A known recipient's contact columns are not applied, but a bad value is still reported
        (the errors' fields, country, email and phone, are the columns' names)."""
        staged.errors.extend(self._contact_points(cells).errors)

    def _contact_points(self, cells: dict[str, str]) -> ContactPoints:
        person = (cells.get(COUNTRY, ""), cells.get(EMAIL, ""), cells.get(PHONE, ""))
        if person == _NO_CONTACT:
            return _NO_CONTACT_POINTS
        found = self.contacts.get(person)
        return found if found is not None else contact_points(*person)

    # ------------------------------------------------------------ reward

    def _reward(self, staged: StagedRow, cells: dict[str, str]) -> OfferView | None:
        """Sets offer and denomination, or points; returns the offer when the row may be checked for eligibility."""
        if self.campaign.reward_type == POINTS:
            self._points(staged, cells)
            return None
        return self._offer(staged, cells)

    def _points(self, staged: StagedRow, cells: dict[str, str]) -> None:
        errors = staged.errors
        if cells.get(OFFER) or any(cells.get(name) for name in AMOUNTS):
            errors.append(
                FieldError(OFFER, "OFFER_NOT_ALLOWED", "this is a points campaign: give points, and leave offer and amount empty")
            )
        text = cells.get(POINTS_COLUMN, "")
        if not text:
            errors.append(FieldError(POINTS_COLUMN, "REQUIRED", "points are required in a points campaign"))
            return
        if not _WHOLE_NUMBER.match(text) or not 0 < int(text) <= MAX_VALUE:
            errors.append(FieldError(POINTS_COLUMN, "INVALID_POINTS", f"points '{text[:20]}' is not a positive whole number"))
            return
        points = int(text)
        if self.campaign.points_value is not None and points != self.campaign.points_value:
            errors.append(
                FieldError(
                    POINTS_COLUMN, "INVALID_POINTS", f"this campaign gives exactly {self.campaign.points_value} points a reward"
                )
            )
            return
        staged.points = points

    def _offer(self, staged: StagedRow, cells: dict[str, str]) -> OfferView | None:
        errors = staged.errors
        if cells.get(POINTS_COLUMN):
            errors.append(
                FieldError(
                    POINTS_COLUMN,
                    "POINTS_NOT_ALLOWED",
                    "this campaign rewards with offers: give offer and amount, not points",
                )
            )
        text = cells.get(OFFER, "")
        offer = None
        if not text:
            errors.append(FieldError(OFFER, "REQUIRED", "offer (the offer's code, e.g. SHOP-IN-500) is required"))
        else:
            offer_id = self._offer_ids.get(text) or self._offer_ids.get(text.upper())
            if offer_id is None:
                try:
                    offer_id = self._offer_ids[text] = uuid.UUID(text)
                except ValueError:
                    codes = ", ".join(sorted(offer.code for offer in self.offers.values() if offer.code)[:10])
                    errors.append(
                        FieldError(
                            OFFER,
                            "INVALID_OFFER",
                            f"offer '{text[:40]}' is not one of this campaign's offer codes ({codes or 'it has no offers'})",
                        )
                    )
            if offer_id is not None:
                offer = self.offers.get(offer_id)
                if offer is None:
                    errors.append(
                        FieldError(OFFER, "OFFER_NOT_ALLOWED", f"offer {text[:40]} is not one of this campaign's offers")
                    )
                elif not offer.is_available:
                    errors.append(
                        FieldError(
                            OFFER,
                            "OFFER_NOT_LIVE",
                            f"'{offer.title}' is {offer.status}"
                            + ("" if offer.partner_status == "live" else f" (its partner is {offer.partner_status})"),
                        )
                    )
                elif self.campaign.currency and offer.currency != self.campaign.currency:
                    errors.append(
                        FieldError(
                            OFFER,
                            "CURRENCY_MISMATCH",
                            f"'{offer.title}' is in {offer.currency}, the campaign in {self.campaign.currency}",
                        )
                    )
                staged.offer_id = offer_id
        column = next((name for name in AMOUNTS if name in cells), AMOUNT)
        amount = cells.get(column, "")
        if not amount:
            errors.append(FieldError(column, "REQUIRED", f"{column} is required (in the offer's currency, e.g. 500.00)"))
            return None
        currency = offer.currency if offer is not None else self.campaign.currency
        try:
            staged.denomination = amount_columns.read_amount(amount, currency, column) if currency else None
        except DomainError as error:
            errors.extend(error.errors)
            return None
        if offer is not None and not valid_denomination(offer, staged.denomination):
            errors.append(
                FieldError(
                    column,
                    "INVALID_DENOMINATION",
                    f"{format_money(staged.denomination, currency)} is not a denomination of '{offer.title}' "
                    f"({offer.denominations.describe(currency)})",
                )
            )
        return offer if offer is not None and offer.is_available else None
