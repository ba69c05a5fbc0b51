"""The recipient's side of the complaint desk on the claim page: ``GET /claim/{token}/ticket`` shows
the reward's ticket (its thread, a reply form, the one-click rating once resolved) or the form to
report a problem; ``POST /claim/{token}/ticket`` reports one, ``…/ticket/reply`` answers and
``…/ticket/rating`` rates. The link's token names the reward, so it names the recipient too. The
report and the answer may carry files (``attachments``: pictures or PDFs, checked by the desk).

Each form is guarded like the reveal button (``pages.posted_form``: same origin, the page's own form
token, the guessing limit). A step that works answers 303 to the ticket page with a notice (a reload
never sends it twice); a refusal re-renders the page with the sentence next to its field and what
was typed, and changed nothing. A report carries a key made for each rendering of its form, so a
double click opens one ticket (the desk's idempotency)."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import ClassVar

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader, UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST

from backend.api.claims import forms, guessing, pages, ticket_words
from backend.api.claims.words import base_path
from backend.core.errors import DomainError, NotFound
from backend.deliveries.services import claims
from backend.deliveries.services.claims import ClaimView
from backend.tickets.services import claim_page
from backend.tickets.services.attachments import MAX_BYTES, MAX_FILES, AttachmentUpload

_REPORT_KEY = re.compile(r"[0-9a-f]{32}")  # what each rendering of the report form carries
# A 10,000-character message with room to spare, and the files a form may carry.
MAX_BODY_BYTES = 128 * 1024 + MAX_FILES * (MAX_BYTES + 4096)


async def _thread(claim: ClaimView):
    try:
        return await claim_page.recipient_thread(claim.issuance_id)
    except NotFound:
        return None


async def _files(request: Request) -> list[AttachmentUpload]:
    """The files of the form (its ``attachments`` field); the desk checks what they are."""
    form = await request.form()
    return [
        AttachmentUpload(value.filename or "", await value.read())
        for name, value in form.multi_items()
        if name == "attachments" and isinstance(value, UploadFile)
    ]


async def _file_names(claim: ClaimView, thread) -> list[str]:
    return await claim_page.recipient_files(claim.issuance_id, thread.ticket.id) if thread is not None else []


async def _page(
    claim: ClaimView,
    token: str,
    notice: str | None = None,
    error: dict | None = None,
    typed: dict[str, str] | None = None,
) -> Template:
    thread = await _thread(claim)
    context = ticket_words.ticket_context(
        token,
        forms.form_token(token),
        secrets.token_hex(16),
        claim.offer_title or f"Points from {claim.campaign_name}",
        thread,
        notice=notice,
        error=error,
        typed=typed,
        files=await _file_names(claim, thread),
    )
    return Template("claims/ticket.html", context=context, status_code=HTTP_400_BAD_REQUEST if error else 200)


def _done(token: str, notice: str) -> Redirect:
    return Redirect(path=f"{base_path()}/claim/{token}/ticket?notice={notice}", status_code=HTTP_303_SEE_OTHER)


def _ticket_id(fields: dict[str, str]) -> uuid.UUID | None:
    try:
        return uuid.UUID(fields.get("ticket_id", ""))
    except ValueError:
        return None


class ClaimTicketPages(Controller):
    path = "/claim"
    include_in_schema = False
    response_headers: ClassVar = pages.SECURITY_HEADERS
    cache_control = CacheControlHeader(no_store=True)
    request_max_body_size = MAX_BODY_BYTES

    async def _claim_of_post(self, request: Request, token: str) -> tuple[dict[str, str], ClaimView | None, Template | None]:
        fields, refused = await pages.posted_form(request, token)
        if refused is not None:
            return fields, None, refused
        claim = await claims.find_claim(token)
        if claim is None:
            return fields, None, await pages.unknown(request)
        return fields, claim, None

    @get("/{token:str}/ticket")
    async def show(self, request: Request, token: FromPath[str], notice: FromQuery[str | None] = None) -> Template:
        if retry_after := await guessing.blocked_for(request):
            return pages.too_many(retry_after)
        claim = await claims.find_claim(token)
        if claim is None:
            return await pages.unknown(request)
        return await _page(claim, token, notice=notice)

    @post("/{token:str}/ticket", status_code=HTTP_303_SEE_OTHER)
    async def report(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        fields, claim, refused = await self._claim_of_post(request, token)
        if refused is not None:
            return refused
        key = fields.get("report_key", "")
        try:
            opened = await claim_page.report_problem(
                claim.issuance_id,
                fields.get("category", ""),
                fields.get("message", ""),
                idempotency_key=key if _REPORT_KEY.fullmatch(key) else None,
                files=await _files(request),
            )
        except DomainError as error:
            return await _page(claim, token, error=ticket_words.page_error("report", error), typed=fields)
        return _done(token, "joined" if opened.joined else "reported")

    @post("/{token:str}/ticket/reply", status_code=HTTP_303_SEE_OTHER)
    async def reply(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        fields, claim, refused = await self._claim_of_post(request, token)
        if refused is not None:
            return refused
        ticket_id = _ticket_id(fields)
        try:
            if ticket_id is None:
                raise NotFound("ticket", fields.get("ticket_id"), field="ticket_id")
            await claim_page.recipient_reply(claim.issuance_id, ticket_id, fields.get("message", ""), await _files(request))
        except NotFound:  # a ticket of another reward: not something this page sends
            return await pages.forged(request)
        except DomainError as error:
            return await _page(claim, token, error=ticket_words.page_error("reply", error), typed=fields)
        return _done(token, "replied")

    @post("/{token:str}/ticket/rating", status_code=HTTP_303_SEE_OTHER)
    async def rate(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        fields, claim, refused = await self._claim_of_post(request, token)
        if refused is not None:
            return refused
        ticket_id = _ticket_id(fields)
        score = fields.get("score", "")
        try:
            if ticket_id is None:
                raise NotFound("ticket", fields.get("ticket_id"), field="ticket_id")
            await claim_page.rate_resolution(claim.issuance_id, ticket_id, int(score) if score.isdigit() else 0)
        except NotFound:
            return await pages.forged(request)
        except DomainError as error:
            return await _page(claim, token, error=ticket_words.page_error("rating", error))
        return _done(token, "rated")
