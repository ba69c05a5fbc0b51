"""Files attached to a ticket: a photo of the refused code, a screenshot, a receipt — by the recipient
on the claim page's report and reply forms, or by an agent in the console. Kept in the database
beside the ticket, like partners' evidence files (one backup, one transaction, every process sees
them).

A file is taken for what its first bytes say it is, never for its name: PNG, JPEG, GIF, WebP or
PDF, and its name must agree (a ``.pdf`` that begins like an executable is refused). At most
``MAX_BYTES`` each and ``MAX_FILES`` at a time. Its bytes are the recipient's personal content:
only roles holding tickets:read download them, every download is audited, and retention empties
them with the rest of a closed ticket's content."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from backend.core import audit, sql
from backend.core.authz import Actor, Permission
from backend.core.clock import as_utc, maybe_utc, utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError, NotFound
from backend.core.ids import new_id
from backend.core.text import check_text
from backend.tickets.services import records

MAX_BYTES = 2 * 1024 * 1024
MAX_FILES = 3
MAX_NAME = 255
FIELD = "attachments"

# The content types we keep, each with its signatures (at offset 0 unless said) and the names it may carry.
PNG, JPEG, GIF, WEBP, PDF = "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"
EXTENSIONS = {PNG: (".png",), JPEG: (".jpg", ".jpeg"), GIF: (".gif",), WEBP: (".webp",), PDF: (".pdf",)}
ACCEPTED = ", ".join(sorted({ext for exts in EXTENSIONS.values() for ext in exts}))


def sniffed_type(content: bytes) -> str | None:
    """The content type the file's first bytes declare, or None for anything we do not keep."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if content.startswith(b"\xff\xd8\xff"):
        return JPEG
    if content.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return WEBP
    if content.startswith(b"%PDF-"):
        return PDF
    return None


@dataclass(frozen=True)
class AttachmentUpload:
    file_name: str
    content: bytes


@dataclass(frozen=True)
class CheckedAttachment:
    file_name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class AttachmentView:
    id: uuid.UUID
    ticket_id: uuid.UUID
    message_id: uuid.UUID | None
    file_name: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_by_label: str
    uploaded_at: datetime
    purged_at: datetime | None


_COLUMNS = "id, ticket, message_id, file_name, content_type, size_bytes, sha256, uploaded_by_label, uploaded_at, purged_at"
_SELECT = "SELECT " + _COLUMNS + " FROM ticket_attachments"


def _view(row) -> AttachmentView:
    return AttachmentView(
        id=row["id"],
        ticket_id=row["ticket"],
        message_id=row["message_id"],
        file_name=row["file_name"],
        content_type=row["content_type"],
        size_bytes=row["size_bytes"],
        sha256=row["sha256"],
        uploaded_by_label=row["uploaded_by_label"],
        uploaded_at=as_utc(row["uploaded_at"]),
        purged_at=maybe_utc(row["purged_at"]),
    )


def _refusal(code: str, message: str) -> FieldError:
    return FieldError(FIELD, code, message)


def _check_one(upload: AttachmentUpload) -> CheckedAttachment | FieldError:
    name = PurePosixPath((upload.file_name or "").replace("\\", "/")).name.strip()  # no client path
    if not name:
        return _refusal("FILE_NAME_REQUIRED", "an attached file needs a name")
    try:
        check_text(FIELD, name, MAX_NAME)
    except DomainError as error:
        return error.errors[0]
    if not upload.content:
        return _refusal("EMPTY_FILE", f"{name} is empty")
    if len(upload.content) > MAX_BYTES:
        return _refusal(
            "FILE_TOO_LARGE", f"{name} is {len(upload.content):,} bytes; a file is at most {MAX_BYTES // (1024 * 1024)} MB"
        )
    content_type = sniffed_type(upload.content)
    if content_type is None:
        return _refusal("FILE_TYPE_REFUSED", f"{name} is not a picture or a PDF (accepted: {ACCEPTED})")
    if not name.lower().endswith(EXTENSIONS[content_type]):
        return _refusal(
            "FILE_TYPE_MISMATCH", f"{name} is a {content_type.split('/')[1].upper()} file by its content, not what its name says"
        )
    return CheckedAttachment(name, content_type, bytes(upload.content))


def check_attachments(uploads: list[AttachmentUpload]) -> list[CheckedAttachment]:
    """Every file checked; all their refusals at once (nothing is kept when one is refused)."""
    uploads = [upload for upload in uploads if upload.file_name or upload.content]  # an empty file input sends nothing
    if len(uploads) > MAX_FILES:
        raise DomainError([_refusal("TOO_MANY_FILES", f"attach at most {MAX_FILES} files at a time")])
    checked = [_check_one(upload) for upload in uploads]
    refused = [item for item in checked if isinstance(item, FieldError)]
    if refused:
        raise DomainError(refused)
    return checked


async def store(
    ticket_id: uuid.UUID, message_id: uuid.UUID | None, files: list[CheckedAttachment], actor: Actor, now: datetime
) -> list[uuid.UUID]:
    """In the caller's write transaction: the files, each audited. A file the ticket holds already
    (the same bytes: a form sent twice) is not kept twice."""
    known = {row["sha256"] for row in await sql.fetch("SELECT sha256 FROM ticket_attachments WHERE ticket = $1", ticket_id)}
    stored = []
    for file in files:
        attachment_id, digest = new_id(), hashlib.sha256(file.content).hexdigest()
        if digest in known:
            continue
        known.add(digest)
        await sql.fetch(
            """INSERT INTO ticket_attachments (id, ticket, message_id, file_name, content_type, sha256, size_bytes, content,
            uploaded_by_label, uploaded_at, purged_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)""",
            attachment_id,
            ticket_id,
            message_id,
            file.file_name,
            file.content_type,
            digest,
            len(file.content),
            file.content,
            actor.label[:255],
            now,
        )
        await audit.record(
            actor,
            "ticket.attachment_added",
            "ticket",
            ticket_id,
            after={
                "attachment_id": attachment_id,
                "file_name": file.file_name,
                "sha256": digest,
                "size_bytes": len(file.content),
            },
        )
        stored.append(attachment_id)
    return stored


async def attach(
    actor: Actor, ticket_id: uuid.UUID, uploads: list[AttachmentUpload], message_id: uuid.UUID | None = None
) -> list[AttachmentView]:
    """Attach files to a ticket (an agent in the console, an integrator, the claim page's forms)."""
    actor.require(Permission.TICKETS_WRITE)
    files = check_attachments(uploads)
    if not files:
        raise DomainError([_refusal("FILE_REQUIRED", "choose a file to attach")])
    async with write_transaction():
        now = utcnow()
        await records.take(ticket_id, now)
        ids = await store(ticket_id, message_id, files, actor, now)
        if not ids:
            return []
        stored = sql.Conditions().in_list("id", ids)
        rows = await sql.fetch(stored.statement(_SELECT, "id"), *stored.args)
    return [_view(row) for row in rows]


async def ticket_attachments(actor: Actor, ticket_id: uuid.UUID) -> list[AttachmentView]:
    """The ticket's files, without their bytes."""
    actor.require(Permission.TICKETS_READ)
    rows = await sql.fetch(_SELECT + " WHERE ticket = $1 ORDER BY id", ticket_id)
    return [_view(row) for row in rows]


async def attachment_content(actor: Actor, attachment_id: uuid.UUID) -> tuple[AttachmentView, bytes]:
    """A file's bytes, for a role that reads tickets; every read is audited."""
    actor.require(Permission.TICKETS_READ)
    row = await sql.fetchrow("SELECT " + _COLUMNS + ", content FROM ticket_attachments WHERE id = $1", attachment_id)
    if row is None:
        raise NotFound("attachment", attachment_id, field="attachment_id")
    view = _view(row)
    if view.purged_at is not None:
        raise DomainError.single(
            "ATTACHMENT_PURGED", f"{view.file_name} was removed after the retention period", field="attachment_id"
        )
    async with write_transaction():
        await audit.record(
            actor,
            "ticket.attachment_read",
            "ticket",
            view.ticket_id,
            after={"attachment_id": attachment_id, "file_name": view.file_name},
        )
    return view, bytes(row["content"])


async def purge(ticket_ids: list[uuid.UUID], now: datetime) -> None:
    """In the caller's transaction (retention): the files' bytes and names go; their sizes stay."""
    if not ticket_ids:
        return
    purged = sql.Conditions(b"", now).in_list("ticket", ticket_ids)
    await sql.fetch(purged.statement("UPDATE ticket_attachments SET content = $1, file_name = '', purged_at = $2"), *purged.args)
