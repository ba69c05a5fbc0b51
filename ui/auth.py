"""Who may open which page: the session check runs once, as middleware, for every page request;
a page a person lacks the permission for shows what is missing instead of failing."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from nicegui import ui
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse

from backend.access import services as access
from backend.core.request_context import begin_request, current_request_id
from ui.navigation import Destination
from ui.session import LOGIN_PATH, SignedIn, ended_reason, forget, login_url, session_token, signed_in
from ui.theme import frame, role_names

# NiceGUI's own assets and websocket, and the sign-in page itself, are open to everyone.
PUBLIC_PREFIXES = ("/_nicegui", "/favicon")
PUBLIC_PATHS = {LOGIN_PATH}


class SignedInMiddleware(BaseHTTPMiddleware):
    """Every other request needs a live console session; the person is left on ``request.state``."""

    async def dispatch(self, request: Request, call_next):
        path = request.url.path
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            return await call_next(request)
        begin_request(current_request_id())  # the id ui.request_log began, when it runs
        token = session_token()
        user = await access.user_for_session(token)
        if user is None:
            if token:
                forget("expired")
            # No token: a page's own check may have found the session ended a moment before and
            # forgotten it; the login page still says why.
            reason = "expired" if token else ended_reason()
            asked_for = path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(login_url(redirect_to=asked_for, reason=reason), status_code=303)
        request.state.signed_in = SignedIn(user=user, actor=access.actor_for_user(user))
        return await call_next(request)


def forbidden(destination: Destination) -> None:
    person = signed_in().user
    with ui.card().classes("mb-card q-pa-lg max-w-[640px]").mark("permission-needed"):
        with ui.row().classes("items-center gap-3 no-wrap"):
            ui.icon("lock", size="32px", color="negative")
            ui.label(f"You need the permission “{destination.needs.value}” to open {destination.label}.").classes("text-h6")
        ui.label(
            f"You are signed in as {person.email} with the role(s) {role_names(person.roles)}, which do not include it. "
            "Ask an administrator to add a role that grants it."
        ).classes("mb-muted")
        ui.button("Back to home", icon="home", on_click=lambda: ui.navigate.to("/")).props("flat no-caps")


def console_page(destination: Destination, path: str | None = None) -> Callable:
    """Register ``build`` as a signed-in page of ``destination`` (at ``path`` when it is a sub-page),
    guarded by the destination's permission."""

    def register(build: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        @ui.page(path or destination.path, title=f"{destination.label} · Mirabelle")
        @functools.wraps(build)
        async def guarded(**params) -> None:
            if not destination.open_to(signed_in().actor):
                with frame(destination.label):
                    forbidden(destination)
                return
            await build(**params)

        return build

    return register
