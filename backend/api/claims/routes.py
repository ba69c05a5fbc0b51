"""The claim page's routes: ``GET /claim/{token}`` shows the reward, ``POST /claim/{token}/reveal``
reveals its code or points (the activation), ``GET /claim-assets/claim.css`` is its one stylesheet.

Every page is private and uncached, out of search engines, never leaks its URL in a Referer, and
loads nothing but its own stylesheet (a strict CSP: no script at all). Failed lookups count against
the client's guessing budget (``guessing``)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.status_codes import HTTP_403_FORBIDDEN, HTTP_404_NOT_FOUND, HTTP_429_TOO_MANY_REQUESTS
from litestar.template.config import TemplateConfig

from backend.api.claims import forms, guessing, words
from backend.deliveries.services import claims

HERE = Path(__file__).resolve().parent
STYLESHEET = (HERE / "static" / "claim.css").read_bytes()

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


def template_config() -> TemplateConfig:
    """Jinja with autoescape on every template of the api (HTML, and anything else it renders)."""
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def _refusal(heading_and_text: tuple[str, str], status_code: int, headers: dict | None = None) -> Template:
    return Template(
        "claims/refusal.html", context=words.refusal_context(*heading_and_text), status_code=status_code, headers=headers
    )


def _too_many(retry_after: int) -> Template:
    return _refusal(words.too_many(retry_after), HTTP_429_TOO_MANY_REQUESTS, {"Retry-After": str(retry_after)})


async def _unknown(request: Request) -> Template:
    retry_after = await guessing.count_failure(request)
    return _too_many(retry_after) if retry_after else _refusal(words.UNKNOWN, HTTP_404_NOT_FOUND)


class ClaimPages(Controller):
    path = "/claim"
    include_in_schema = False
    response_headers: ClassVar = SECURITY_HEADERS
    cache_control = CacheControlHeader(no_store=True)
    request_max_body_size = 4096  # the reveal form is one field

    @get("/{token:str}")
    async def show(self, request: Request, token: FromPath[str]) -> Template:
        if retry_after := await guessing.blocked_for(request):
            return _too_many(retry_after)
        claim = await claims.open_claim(token)
        if claim is None:
            return await _unknown(request)
        return Template("claims/claim.html", context=words.claim_context(claim, token, forms.form_token(token)))

    @post("/{token:str}/reveal", status_code=200)
    async def reveal(self, request: Request, token: FromPath[str]) -> Template:
        if retry_after := await guessing.blocked_for(request):
            return _too_many(retry_after)
        submitted = (await request.form()).get(forms.FIELD)
        if not forms.genuine(request, token, submitted if isinstance(submitted, str) else None):
            retry_after = await guessing.count_failure(request)
            return _too_many(retry_after) if retry_after else _refusal(words.FORGED, HTTP_403_FORBIDDEN)
        activation = await claims.activate_claim(token)
        if activation is None:
            return await _unknown(request)
        context = words.claim_context(activation.claim, token, forms.form_token(token), revealed=activation.revealed)
        return Template("claims/claim.html", context=context)


@get("/claim-assets/claim.css", include_in_schema=False, response_headers=SECURITY_HEADERS)
async def claim_stylesheet() -> Response[bytes]:
    return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


ROUTES = [ClaimPages, claim_stylesheet]
