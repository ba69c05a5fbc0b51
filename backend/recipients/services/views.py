"""What recipient and programme reads return: frozen views built from stored rows."""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal

from backend.core.clock import as_utc


@dataclass(frozen=True)
class ProgrammeView:
    id: uuid.UUID
    name: str
    description: str
    currency: str
    point_value_micros: int
    status: str
    created_at: datetime

    @property
    def point_value(self) -> Decimal:
        """Value of one point in the currency's major unit, exact."""
        return (Decimal(self.point_value_micros) / Decimal(1_000_000)).normalize()


@dataclass(frozen=True)
class RecipientView:
    id: uuid.UUID
    external_id: str
    full_name: str
    email: str | None
    phone: str | None
    whatsapp: str | None
    country: str | None
    preferred_channel: str
    hr_attributes: dict
    source_system: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass
class RecipientInput:
    external_id: str
    full_name: str
    email: str | None = None
    phone: str | None = None
    whatsapp: str | None = None
    country: str | None = None
    preferred_channel: str = "email"
    hr_attributes: dict = field(default_factory=dict)
    source_system: str = "manual"


@dataclass(frozen=True)
class UpsertResult:
    recipient: RecipientView
    created: bool


def programme_view(row: dict) -> ProgrammeView:
    return ProgrammeView(
        id=row["id"],
        name=row["name"],
        description=row["description"],
        currency=row["currency"],
        point_value_micros=row["point_value_micros"],
        status=row["status"],
        created_at=as_utc(row["created_at"]),
    )


def recipient_view(row: dict) -> RecipientView:
    hr = row["hr_attributes"]
    return RecipientView(
        id=row["id"],
        external_id=row["external_id"],
        full_name=row["full_name"],
        email=row["email"],
        phone=row["phone"],
        whatsapp=row["whatsapp"],
        country=row["country"],
        preferred_channel=row["preferred_channel"],
        hr_attributes=json.loads(hr) if isinstance(hr, str) else (hr or {}),
        source_system=row["source_system"],
        status=row["status"],
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
    )


def audit_recipient(recipient: RecipientView) -> dict:
    data = asdict(recipient)
    for key in ("id", "created_at", "updated_at"):
        data.pop(key)
    return data
