"""What the access use cases share: the user's view, e-mail normalising, password and token hashing."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from backend.access.roles import permissions_for
from backend.core.authz import Actor, ActorKind
from backend.core.clock import as_utc, utcnow
from backend.core.errors import DomainError

hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@dataclass(frozen=True)
class UserView:
    id: uuid.UUID
    email: str
    display_name: str
    roles: tuple[str, ...]
    is_active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > utcnow()


def opt_utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def user_view(row: dict) -> UserView:
    return UserView(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        roles=tuple(row["roles"] or ()),
        is_active=bool(row["is_active"]),
        locked_until=opt_utc(row["locked_until"]),
        last_login_at=opt_utc(row["last_login_at"]),
        created_at=as_utc(row["created_at"]),
    )


def actor_for_user(user: UserView) -> Actor:
    return Actor(kind=ActorKind.USER, id=user.id, label=user.email, permissions=permissions_for(user.roles))


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise DomainError.single("INVALID_EMAIL", str(error), field="email") from None


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hasher.hash, password)


async def verify_password(password_hash: str, password: str) -> bool:
    try:
        return await asyncio.to_thread(hasher.verify, password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
