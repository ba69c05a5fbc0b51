"""Terms & conditions, versioned: a revision adds a version and makes it current; no version is
ever edited, so an issuance that recorded a version id can always show what it was issued under."""

from __future__ import annotations

import uuid

from backend.catalog.services.offer_rows import load_offer
from backend.catalog.services.offer_rules import MAX_TERMS
from backend.catalog.tables import Offer, TermsVersion
from backend.catalog.views import RETIRED, TermsVersionView
from backend.core import audit
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.db_errors import is_unique_violation
from backend.core.errors import DomainError, NotFound
from backend.core.ids import new_id
from backend.core.text import check_text


def _view(row: dict) -> TermsVersionView:
    return TermsVersionView(
        id=row["id"],
        offer_id=row["offer"],
        version=row["version"],
        body=row["body"],
        created_by_label=row["created_by_label"],
        created_at=as_utc(row["created_at"]),
    )


async def revise_terms(actor: Actor, offer_id: uuid.UUID, body: str) -> TermsVersionView:
    """Add a version of the offer's terms and make it current. The same text as the current
    version adds nothing and returns the current version."""
    actor.require(Permission.CATALOG_WRITE)
    check_text("terms", body, multiline=True)
    body = (body or "").strip()
    if not body:
        raise DomainError.single("REQUIRED", "terms & conditions cannot be empty", field="terms")
    if len(body) > MAX_TERMS:
        raise DomainError.single("TOO_LONG", f"terms are at most {MAX_TERMS:,} characters", field="terms")
    async with write_transaction():
        offer = await load_offer(offer_id)
        if offer.status == RETIRED:
            raise DomainError.single("OFFER_RETIRED", f"'{offer.title}' is retired; its terms can no longer change")
        latest = (
            await TermsVersion.select()
            .where(TermsVersion.offer == offer_id)
            .order_by(TermsVersion.version, ascending=False)
            .first()
        )
        if latest is not None and latest["body"] == body:
            return _view(latest)
        version_id = new_id()
        try:
            await TermsVersion.insert(
                TermsVersion(
                    id=version_id,
                    offer=offer_id,
                    version=(latest["version"] + 1) if latest else 1,
                    body=body,
                    created_by=actor.id,
                    created_by_label=actor.label,
                    created_at=utcnow(),
                )
            )
        except Exception as error:
            if is_unique_violation(error):  # another revision took this version number first
                raise DomainError.single(
                    "TERMS_CHANGED_MEANWHILE", "the terms were revised by someone else just now; reload and retry", field="terms"
                ) from None
            raise
        await Offer.update({Offer.current_terms_version: version_id, Offer.updated_at: utcnow()}).where(Offer.id == offer_id)
        view = _view(await TermsVersion.select().where(TermsVersion.id == version_id).first())
        await audit.record(
            actor,
            "offer.terms_revised",
            "offer",
            offer_id,
            before={"terms_version": latest["version"] if latest else None},
            after={"terms_version": view.version, "terms_version_id": view.id},
        )
    return view


async def current_terms(actor: Actor, offer_id: uuid.UUID) -> TermsVersionView | None:
    """The version an issuance made now records; None while the offer has no terms."""
    actor.require(Permission.CATALOG_READ)
    offer = await load_offer(offer_id)
    if offer.current_terms_version_id is None:
        return None
    return _view(await TermsVersion.select().where(TermsVersion.id == offer.current_terms_version_id).first())


async def terms_version(actor: Actor, version_id: uuid.UUID) -> TermsVersionView:
    """One version by id: what an issuance was issued under."""
    actor.require(Permission.CATALOG_READ)
    row = await TermsVersion.select().where(TermsVersion.id == version_id).first()
    if row is None:
        raise NotFound("terms version", version_id, field="terms_version_id")
    return _view(row)


async def terms_history(actor: Actor, offer_id: uuid.UUID) -> list[TermsVersionView]:
    """Every version of the offer's terms, oldest first."""
    actor.require(Permission.CATALOG_READ)
    await load_offer(offer_id)
    rows = await TermsVersion.select().where(TermsVersion.offer == offer_id).order_by(TermsVersion.version)
    return [_view(row) for row in rows]


async def terms_versions_by_ids(actor: Actor, version_ids: list[uuid.UUID]) -> dict[uuid.UUID, TermsVersionView]:
    """One query for many versions (GraphQL DataLoaders: each offer's current terms)."""
    actor.require(Permission.CATALOG_READ)
    rows = await TermsVersion.select().where(TermsVersion.id.is_in(list(version_ids))) if version_ids else []
    return {row["id"]: _view(row) for row in rows}
