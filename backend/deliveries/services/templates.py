"""A programme's own templates, per channel and language; checked before they are stored
(``backend.deliveries.templates.check``), and audited. Sending uses the programme's template in
the recipient's language, else its English one, else the shipped default."""

from __future__ import annotations

import re
import uuid

from backend.core import audit, sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import utcnow
from backend.core.db import write_transaction
from backend.core.errors import DomainError, FieldError
from backend.core.ids import new_id
from backend.deliveries.templates import DEFAULTS, TemplateSet, check
from backend.recipients import services as recipients
from backend.recipients.services.validation import CHANNELS

_LANGUAGE = re.compile(r"^[a-z]{2}$")
FALLBACK_LANGUAGE = "en"


async def set_template(actor: Actor, programme_id: uuid.UUID, channel: str, language: str, templates: TemplateSet) -> TemplateSet:
    """Store the programme's template for a channel and language (replacing any). Requires
    deliveries:write; a template that does not compile or uses an unknown variable is refused."""
    actor.require(Permission.DELIVERIES_WRITE)
    language = (language or "").strip().lower()
    errors = []
    if channel not in CHANNELS:
        errors.append(FieldError("channel", "INVALID_CHANNEL", f"the channel is one of {', '.join(CHANNELS)}"))
    if not _LANGUAGE.match(language):
        errors.append(FieldError("language", "INVALID_LANGUAGE", "the language is a two-letter ISO 639-1 code, e.g. en, hi"))
    if errors:
        raise DomainError(errors)
    templates = check(channel, templates)
    await recipients.get_programme(SYSTEM, programme_id)  # NotFound for an unknown programme
    now = utcnow()
    async with write_transaction():
        before = await sql.fetchrow(
            "SELECT * FROM delivery_templates WHERE programme_id = $1 AND channel = $2 AND language = $3",
            programme_id,
            channel,
            language,
        )
        template_id = before["id"] if before else new_id()
        if before is None:
            await sql.fetch(
                """INSERT INTO delivery_templates (id, programme_id, channel, language, subject, html, text, created_at, updated_at,
                updated_by_label) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)""",
                template_id,
                programme_id,
                channel,
                language,
                templates.subject,
                templates.html,
                templates.text,
                now,
                actor.label[:255],
            )
        else:
            await sql.fetch(
                "UPDATE delivery_templates SET subject = $2, html = $3, text = $4, updated_at = $5, updated_by_label = $6 WHERE id = $1",
                template_id,
                templates.subject,
                templates.html,
                templates.text,
                now,
                actor.label[:255],
            )
        await audit.record(
            actor,
            "delivery_template.set",
            "delivery_template",
            template_id,
            before={key: before[key] for key in ("subject", "html", "text")} if before else None,
            after={
                "channel": channel,
                "language": language,
                "subject": templates.subject,
                "html": templates.html,
                "text": templates.text,
            },
        )
    return templates


async def template_for(programme_id: uuid.UUID, channel: str, language: str) -> TemplateSet:
    rows = await sql.fetch(
        "SELECT language, subject, html, text FROM delivery_templates WHERE programme_id = $1 AND channel = $2 AND language IN ($3, $4)",
        programme_id,
        channel,
        language,
        FALLBACK_LANGUAGE,
    )
    by_language = {row["language"]: row for row in rows}
    row = by_language.get(language) or by_language.get(FALLBACK_LANGUAGE)
    if row is None:
        return DEFAULTS[channel]
    return TemplateSet(subject=row["subject"], html=row["html"], text=row["text"])


async def stored_template(actor: Actor, programme_id: uuid.UUID, channel: str, language: str) -> TemplateSet | None:
    """The programme's own template for exactly this channel and language; None when it has none
    (sending then falls back to English, then to the shipped default)."""
    actor.require(Permission.DELIVERIES_READ)
    row = await sql.fetchrow(
        "SELECT subject, html, text FROM delivery_templates WHERE programme_id = $1 AND channel = $2 AND language = $3",
        programme_id,
        channel,
        language,
    )
    return TemplateSet(subject=row["subject"], html=row["html"], text=row["text"]) if row else None


async def template_languages(actor: Actor, programme_id: uuid.UUID) -> dict[str, list[str]]:
    """The languages the programme has its own template in, per channel."""
    actor.require(Permission.DELIVERIES_READ)
    rows = await sql.fetch(
        "SELECT channel, language FROM delivery_templates WHERE programme_id = $1 ORDER BY channel, language", programme_id
    )
    languages: dict[str, list[str]] = {channel: [] for channel in CHANNELS}
    for row in rows:
        languages.setdefault(row["channel"], []).append(row["language"])
    return languages


async def reset_template(actor: Actor, programme_id: uuid.UUID, channel: str, language: str) -> bool:
    """Back to the shipped default: the programme's own template for this channel and language goes
    (audited with what it said). False when there was none."""
    actor.require(Permission.DELIVERIES_WRITE)
    async with write_transaction():
        before = await sql.fetchrow(
            "SELECT * FROM delivery_templates WHERE programme_id = $1 AND channel = $2 AND language = $3",
            programme_id,
            channel,
            language,
        )
        if before is None:
            return False
        await sql.fetch("DELETE FROM delivery_templates WHERE id = $1", before["id"])
        await audit.record(
            actor,
            "delivery_template.reset",
            "delivery_template",
            before["id"],
            before={key: before[key] for key in ("channel", "language", "subject", "html", "text")},
            after={"channel": channel, "language": language, "template": "shipped default"},
        )
    return True
