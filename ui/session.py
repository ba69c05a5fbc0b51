"""The console session: the token from ``access.login`` kept in the browser's server-side storage.

The middleware (ui/auth.py) checks the token on every page request and leaves the signed-in person
on the request; pages and their event handlers read it from there.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, tzinfo
from urllib.parse import urlencode
from zoneinfo import ZoneInfo, available_timezones

from nicegui import app, context, ui

from backend.access import services as access
from backend.access.services.shared import UserView
from backend.core.authz import Actor

TOKEN_KEY = "session_token"
ENDED_KEY = "session_ended"  # why the token was forgotten: a LOGIN_REASONS key
TIME_ZONE_KEY = "time_zone"


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())  # read from disk once


LOGIN_PATH = "/login"

# Why the login page is shown: the reason code travels in the URL, the words live here.
LOGIN_REASONS = {
    "expired": "Your session has expired or was ended. Please sign in again.",
    "signed_out": "You are signed out.",
}


@dataclass(frozen=True)
class SignedIn:
    user: UserView
    actor: Actor


def login_url(redirect_to: str | None = None, reason: str | None = None) -> str:
    query = {key: value for key, value in (("redirect_to", redirect_to), ("reason", reason)) if value}
    return f"{LOGIN_PATH}?{urlencode(query)}" if query else LOGIN_PATH


def safe_redirect(target: str | None) -> str:
    """Only paths of this console: a crafted ``redirect_to`` must not send people to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def session_token() -> str | None:
    return app.storage.user.get(TOKEN_KEY)


def remember(token: str) -> None:
    app.storage.user[TOKEN_KEY] = token
    app.storage.user.pop(ENDED_KEY, None)


def remember_time_zone(name: str | None) -> None:
    """Keep the person's time zone (an IANA name) with their session; an unknown name is ignored."""
    if isinstance(name, str) and name in _zones():
        app.storage.user[TIME_ZONE_KEY] = name


def time_zone() -> tzinfo:
    """The signed-in person's time zone; UTC when unknown or outside a page (exports, jobs)."""
    try:
        name = app.storage.user.get(TIME_ZONE_KEY)
    except RuntimeError:  # no page context: no person to ask
        return UTC
    return ZoneInfo(name) if name in _zones() else UTC


def forget(reason: str) -> None:
    """Forget the token and keep why (``reason``, a LOGIN_REASONS key), so that a check of the page
    that finds it already gone (a badge's timer, a watch) says the same."""
    app.storage.user.pop(TOKEN_KEY, None)
    app.storage.user[ENDED_KEY] = reason


def ended_reason() -> str | None:
    """Why this browser's last session ended (a LOGIN_REASONS key), until it signs in again."""
    return app.storage.user.get(ENDED_KEY)


def signed_in() -> SignedIn:
    """The person the middleware let in for this page (also valid in the page's event handlers)."""
    return context.client.request.state.signed_in


async def current_actor() -> Actor | None:
    """Re-checks the session before an action on an open page: a session ended elsewhere
    (sign-out, deactivation, expiry) acts no more and is sent to the login page."""
    token = session_token()
    user = await access.user_for_session(token)
    if user is None:
        # A token still held whose session is gone has expired (or was ended elsewhere). One forgotten
        # before or while it was checked was forgotten by this browser, which said why: its sign-out,
        # or another check of this page that found the session ended — whichever timer gets here first.
        still_held = token is not None and session_token() is not None
        reason = "expired" if still_held else app.storage.user.get(ENDED_KEY, "signed_out")
        forget(reason)
        ui.navigate.to(login_url(reason=reason))
        return None
    return access.actor_for_user(user)
