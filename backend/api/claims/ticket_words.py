"""What the claim page's ticket page says: the categories a recipient picks from, their ticket's
status and thread in words (agent replies and their own messages, never internal notes), the
notices after a step, and each refusal of the desk turned into a sentence."""

from __future__ import annotations

from backend.api.claims.words import base_path, moment
from backend.core.errors import DomainError
from backend.tickets.services.attachments import ACCEPTED, MAX_BYTES, MAX_FILES
from backend.tickets.services.reading import TicketThread
from backend.tickets.services.records import MAX_BODY
from backend.tickets.views import (
    AGENT,
    CLOSED,
    CODE_ALREADY_USED,
    CODE_INVALID,
    EXPIRED,
    NEW,
    NOT_RECEIVED,
    OPEN,
    OTHER,
    RECIPIENT,
    RESOLVED,
    WAITING,
    WRONG_VALUE,
)

CATEGORY_WORDS = {
    CODE_INVALID: "My code doesn't work",
    CODE_ALREADY_USED: "My code says it was already used",
    NOT_RECEIVED: "I didn't get my reward",
    EXPIRED: "My reward has expired",
    WRONG_VALUE: "The value is wrong",
    OTHER: "Something else",
}
STATUS_WORDS = {
    NEW: ("Received", "We have your report and will answer here soon."),
    OPEN: ("Being looked at", "Our support team is working on it."),
    WAITING: ("We answered", "Read our reply below, and answer us if you need to."),
    RESOLVED: ("Resolved", "We think this is sorted. If it isn't, reply below and we'll look again."),
    CLOSED: ("Closed", "This report is closed. If something is still wrong, report it again below."),
}
RATINGS = ((1, "Very poor"), (2, "Poor"), (3, "OK"), (4, "Good"), (5, "Excellent"))

# After a step, the page says what happened (a fixed set of notices named in the redirect).
NOTICES = {
    "reported": "Thank you: your report is in. We'll answer on this page.",
    "joined": "You had already reported a problem with this reward, so we added your message to that report.",
    "replied": "Your answer is sent.",
    "rated": "Thank you for rating our help.",
}

# Each refusal of the desk, in words, with the form field it is about.
REFUSALS = {
    "EMPTY_MESSAGE": ("message", "Write a message: tell us what went wrong."),
    "MESSAGE_TOO_LONG": ("message", f"Your message is too long: keep it under {MAX_BODY:,} characters."),
    "INVALID_CATEGORY": ("category", "Choose what went wrong from the list."),
    "TICKET_CLOSED": ("ticket", "This report is closed and can no longer be reopened: report the problem again below."),
    "CSAT_NOT_OPEN": ("score", "This report can't be rated now: a report is rated once, after it is resolved."),
    "INVALID_SCORE": ("score", "Choose one of the five ratings."),
    "IDEMPOTENCY_CONFLICT": ("message", "This form was already sent with other words: open the page again and resend."),
}


def page_error(form: str, error: DomainError) -> dict:
    """A refusal of the desk for the page: the form it answers, the field and a sentence (one the
    page does not know keeps the desk's own words)."""
    first = error.errors[0]
    if first.field == "attachments":  # the desk's words start with the file's own name: kept as typed
        return {"form": form, "field": "attachments", "text": first.message + "."}
    field, text = REFUSALS.get(first.code, (first.field or "message", first.message[:1].upper() + first.message[1:] + "."))
    return {"form": form, "field": field, "text": text}


def _thread(thread: TicketThread) -> dict:
    ticket = thread.ticket
    heading, text = STATUS_WORDS[ticket.status]
    return {
        "id": str(ticket.id),
        "category": CATEGORY_WORDS.get(ticket.category, ticket.category),
        "status": ticket.status,
        "status_heading": heading,
        "status_text": text,
        "opened_at": moment(ticket.created_at),
        "messages": [
            {"from_support": message.kind == AGENT, "body": message.body, "at": moment(message.created_at)}
            for message in thread.messages
            if message.kind in (AGENT, RECIPIENT)
        ],
        "can_reply": ticket.status != CLOSED,
        "can_rate": ticket.status in (RESOLVED, CLOSED) and ticket.csat_score is None,
        "rating": dict(RATINGS).get(ticket.csat_score) if ticket.csat_score else None,
    }


def ticket_context(
    token: str,
    form_token: str,
    report_key: str,
    claim_title: str,
    thread: TicketThread | None,
    notice: str | None = None,
    error: dict | None = None,
    typed: dict[str, str] | None = None,
    files: list[str] = (),
) -> dict:
    """The page: the ticket's thread (and the names of its files) when the reward has one, the
    report form when it has none open (or a new report after a closed one), the notice of the last
    step, and any refusal."""
    action = f"{base_path()}/claim/{token}/ticket"
    shown = _thread(thread) if thread is not None else None
    typed = typed or {}
    return {
        "base": base_path(),
        "claim_url": f"{base_path()}/claim/{token}",
        "claim_title": claim_title,
        "report_action": action,
        "reply_action": f"{action}/reply",
        "rating_action": f"{action}/rating",
        "form_token": form_token,
        "report_key": report_key,
        "categories": list(CATEGORY_WORDS.items()),
        "ratings": RATINGS,
        "max_message": MAX_BODY,
        "ticket": shown,
        # a closed report (or one too old to reopen) makes way for a new one
        "show_report_form": shown is None or shown["status"] == CLOSED or (error or {}).get("field") == "ticket",
        "notice": NOTICES.get(notice or ""),
        "error": error,
        "typed_category": typed.get("category", ""),
        "typed_message": typed.get("message", ""),
        "files": list(files),
        "accept": ACCEPTED.replace(" ", ""),
        "attach_hint": f"Up to {MAX_FILES} pictures or PDFs ({ACCEPTED}), {MAX_BYTES // (1024 * 1024)} MB each.",
    }
