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
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from backend.api.claims import forms, guessing, pages, words
from backend.api.claims.ticket_pages import ClaimTicketPages
from backend.deliveries.services import claims

HERE = Path(__file__).resolve().parent
STYLESHEET = (HERE / "static" / "claim.css").read_bytes()


def template_config() -> TemplateConfig:
    """Jinja with autoescape on every template of the api (HTML, and anything else it renders)."""
    environment = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def report_problem_url(token: str) -> str:
    return f"{words.base_path()}/claim/{token}/ticket"


class ClaimPages(Controller):
    path = "/claim"
    include_in_schema = False
    response_headers: ClassVar = pages.SECURITY_HEADERS
    cache_control = CacheControlHeader(no_store=True)
    request_max_body_size = 4096  # the reveal form is one field

    @get("/{token:str}")
    async def show(self, request: Request, token: FromPath[str]) -> Template:
        if retry_after := await guessing.blocked_for(request):
            return pages.too_many(retry_after)
        claim = await claims.open_claim(token)
        if claim is None:
            return await pages.unknown(request)
        context = words.claim_context(claim, token, forms.form_token(token), report_problem_url=report_problem_url(token))
        return Template("claims/claim.html", context=context)

    @post("/{token:str}/reveal", status_code=200)
    async def reveal(self, request: Request, token: FromPath[str]) -> Template:
        _fields, refused = await pages.posted_form(request, token)
        if refused is not None:
            return refused
        activation = await claims.activate_claim(token)
        if activation is None:
            return await pages.unknown(request)
        context = words.claim_context(
            activation.claim,
            token,
            forms.form_token(token),
            revealed=activation.revealed,
            report_problem_url=report_problem_url(token),
        )
        return Template("claims/claim.html", context=context)


@get("/claim-assets/claim.css", include_in_schema=False, response_headers=pages.SECURITY_HEADERS)
async def claim_stylesheet() -> Response[bytes]:
    return Response(STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


ROUTES = [ClaimPages, ClaimTicketPages, claim_stylesheet]
