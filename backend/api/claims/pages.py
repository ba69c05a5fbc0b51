"""What every claim page shares: the headers that keep it private, the pages that say no (unknown
link, too many tries, a forged form), and the guard in front of each of its forms."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import ResponseHeader
from litestar.response import Template
from litestar.status_codes import HTTP_403_FORBIDDEN, HTTP_404_NOT_FOUND, HTTP_429_TOO_MANY_REQUESTS

from backend.api.claims import forms, guessing, words

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    ResponseHeader(name="Referrer-Policy", value="no-referrer"),
    ResponseHeader(name="X-Robots-Tag", value="noindex, nofollow"),
    ResponseHeader(name="Content-Security-Policy", value=CONTENT_SECURITY_POLICY),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Cross-Origin-Opener-Policy", value="same-origin"),
]


def refusal(heading_and_text: tuple[str, str], status_code: int, headers: dict | None = None) -> Template:
    return Template(
        "claims/refusal.html", context=words.refusal_context(*heading_and_text), status_code=status_code, headers=headers
    )


def too_many(retry_after: int) -> Template:
    return refusal(words.too_many(retry_after), HTTP_429_TOO_MANY_REQUESTS, {"Retry-After": str(retry_after)})


async def unknown(request: Request) -> Template:
    """An unknown link: counted against the client's guessing budget."""
    retry_after = await guessing.count_failure(request)
    return too_many(retry_after) if retry_after else refusal(words.UNKNOWN, HTTP_404_NOT_FOUND)


async def forged(request: Request) -> Template:
    """A form that did not come from the page: counted like an unknown link."""
    retry_after = await guessing.count_failure(request)
    return too_many(retry_after) if retry_after else refusal(words.FORGED, HTTP_403_FORBIDDEN)


async def posted_form(request: Request, token: str) -> tuple[dict[str, str], Template | None]:
    """The fields of a POST from this claim page, or the refusal to answer instead (the client is
    blocked, or the form is forged). Only text fields are kept: a file or a repeated field is not
    something the page sends."""
    if retry_after := await guessing.blocked_for(request):
        return {}, too_many(retry_after)
    form = await request.form()
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    if not forms.genuine(request, token, fields.get(forms.FIELD)):
        return fields, await forged(request)
    return fields, None
