"""The review's report (PDF and CSV attached) emailed to the programme's admins — the console's
administrators and programme managers — through the programme's email provider (the sandbox when
none is set, whose inbox then shows it). Run by the worker for the ``partner_review.started`` event;
an address already sent to is skipped, so a second run of the event sends nothing twice (and the
sandbox also takes the mailing's id as its idempotency key)."""

from __future__ import annotations

import uuid
from html import escape

import structlog

from backend.access.roles import Role
from backend.access.services import list_users
from backend.core import sql
from backend.core.authz import SYSTEM, Actor, Permission
from backend.core.clock import as_utc, utcnow
from backend.core.db import write_transaction
from backend.core.encryption import DecryptionFailed
from backend.core.ids import new_id
from backend.deliveries.providers import EMAIL, Attachment, Message, Outcome, permanent
from backend.deliveries.services.providers import provider_for
from backend.deliveries.views import PRIMARY
from backend.insights.reviews.decisions import list_decisions
from backend.insights.reviews.report import ReviewReport, report_csv, report_pdf
from backend.insights.reviews.reviews import get_review, review_lines
from backend.insights.reviews.views import FAILED, SENT, MailingView
from backend.recipients import services as recipients

log = structlog.get_logger(__name__)

REPORT_ROLES = (Role.ADMIN.value, Role.PROGRAMME_MANAGER.value)


async def review_report(actor: Actor, review_id: uuid.UUID) -> ReviewReport:
    """Everything the report shows, read once."""
    review = await get_review(actor, review_id)
    programme = await recipients.get_programme(SYSTEM, review.programme_id)
    return ReviewReport(review, programme.name, await review_lines(actor, review_id), await list_decisions(actor, review_id))


async def report_addresses() -> list[str]:
    """Active administrators' and programme managers' addresses."""
    addresses, offset = [], 0
    while True:
        page = await list_users(SYSTEM, offset=offset, limit=200)
        addresses += [user.email for user in page.rows if user.is_active and set(user.roles) & set(REPORT_ROLES)]
        offset += len(page.rows)
        if not page.rows or offset >= page.total:
            return sorted(set(addresses))


def report_message(report: ReviewReport, mailing_id: uuid.UUID, to: str) -> Message:
    review = report.review
    flagged = [line for line in report.lines if line.flagged]
    listed = "\n".join(f"- {line.partner_name}: " + "; ".join(flag["words"] for flag in line.flags) for line in flagged)
    text = (
        f"The partner performance review of {review.month} for {report.programme_name} is ready: "
        f"{review.partner_count} partners, {review.flagged_count} flagged.\n\n"
        + (f"Flagged partners:\n{listed}\n\n" if flagged else "No partner is past a threshold.\n\n")
        + f"Attached: {report.file_stem}.pdf and {report.file_stem}.csv. Open the review in the console "
        "(Partner performance) to record decisions and close it."
    )
    html = "".join(f"<p>{escape(paragraph).replace(chr(10), '<br>')}</p>" for paragraph in text.split("\n\n"))
    return Message(
        delivery_id=mailing_id,
        programme_id=review.programme_id,
        channel=EMAIL,
        to=to,
        subject=f"Partner performance review {review.month}: {report.programme_name}",
        html=html,
        text=text,
        attachments=(
            Attachment(f"{report.file_stem}.pdf", "application/pdf", report_pdf(report)),
            Attachment(f"{report.file_stem}.csv", "text/csv", report_csv(report).encode()),
        ),
    )


async def _send(programme_id: uuid.UUID, message: Message) -> tuple[str, Outcome]:
    try:
        configured = await provider_for(programme_id, EMAIL, PRIMARY)
    except DecryptionFailed as error:
        return "unknown", permanent("PROVIDER_SECRET", f"the email provider's secret cannot be opened: {error}")
    try:
        return configured.provider.name, await configured.provider.send(message)
    except Exception as error:  # a provider bug is this mailing's outcome
        log.exception("insights.review_mail_error", provider=configured.provider.name)
        return configured.provider.name, permanent("PROVIDER_ERROR", f"{type(error).__name__}: {error}")


async def mail_review_report(review_id: uuid.UUID) -> int:
    """Send the report to every admin not yet sent to; returns how many were sent now."""
    report = await review_report(SYSTEM, review_id)
    done = {
        row["email"]
        for row in await sql.fetch("SELECT email FROM partner_review_mailings WHERE review = $1 AND status = $2", review_id, SENT)
    }
    sent = 0
    for address in await report_addresses():
        if address in done:
            continue
        mailing_id = uuid.uuid5(review_id, address)  # the same on a second run: providers' idempotency key
        provider, outcome = await _send(report.review.programme_id, report_message(report, mailing_id, address))
        failure = outcome.failure
        async with write_transaction():
            await sql.fetch(
                """INSERT INTO partner_review_mailings (id, review, email, status, provider, provider_message_id, error_text,
                sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (review, email) DO UPDATE SET
                status = EXCLUDED.status, provider = EXCLUDED.provider, provider_message_id = EXCLUDED.provider_message_id,
                error_text = EXCLUDED.error_text, sent_at = EXCLUDED.sent_at""",
                new_id(),
                review_id,
                address,
                SENT if failure is None else FAILED,
                provider,
                outcome.provider_message_id,
                failure.text if failure else None,
                utcnow(),
            )
        sent += failure is None
    log.info("insights.review_report_mailed", review_id=str(review_id), sent=sent)
    return sent


async def list_mailings(actor: Actor, review_id: uuid.UUID) -> list[MailingView]:
    actor.require(Permission.REPORTS_READ)
    rows = await sql.fetch("SELECT * FROM partner_review_mailings WHERE review = $1 ORDER BY email", review_id)
    return [MailingView(row["email"], row["status"], row["provider"], row["error_text"], as_utc(row["sent_at"])) for row in rows]
