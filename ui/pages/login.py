"""Sign-in: email and password; says plainly why a sign-in was refused; returns to the page asked for."""

from __future__ import annotations

from nicegui import ui
from starlette.responses import RedirectResponse

from backend.access import services as access
from backend.core.errors import DomainError
from ui.components.action import sentence
from ui.session import LOGIN_PATH, LOGIN_REASONS, remember, remember_time_zone, safe_redirect, session_token
from ui.theme import PRODUCT, apply_brand

REFUSALS = {
    "INVALID_CREDENTIALS": (
        "Wrong email or password",
        "Check both and try again. Repeated failures lock the account for a while.",
    ),
    "ACCOUNT_LOCKED": ("Account locked", None),  # the service's message says until when
    "ACCOUNT_DISABLED": ("Account deactivated", "This account has been deactivated. Ask an administrator to reactivate it."),
}


async def login_page(redirect_to: str | None = None, reason: str | None = None) -> RedirectResponse | None:
    target = safe_redirect(redirect_to)
    if await access.user_for_session(session_token()) is not None:
        return RedirectResponse(target, status_code=303)  # already signed in
    apply_brand()
    with ui.column().classes("absolute-center items-center gap-4 w-[400px] max-w-[92vw]"):
        with ui.row().classes("items-center gap-2"):
            ui.icon("redeem", size="36px", color="secondary")
            ui.label(PRODUCT).classes("text-h4 text-weight-bold text-primary")
        with ui.card().classes("mb-card w-full q-pa-lg gap-3"):
            ui.label("Sign in to the back office").classes("text-h6")
            if reason in LOGIN_REASONS:
                ui.label(LOGIN_REASONS[reason]).classes("text-body2 text-primary").mark("login-reason")
            refusal = ui.column().classes("w-full gap-0 q-pa-sm rounded-borders bg-red-1 text-negative").mark("login-error")
            refusal.set_visibility(False)
            email = ui.input("Email").props("outlined autofocus autocomplete=username").classes("w-full").mark("email")
            password = (
                ui.input("Password", password=True, password_toggle_button=True)
                .props("outlined autocomplete=current-password")
                .classes("w-full")
                .mark("password")
            )

            async def sign_in() -> None:
                refusal.set_visibility(False)
                try:
                    signed = await access.login(email.value or "", password.value or "")
                except DomainError as error:
                    title, detail = REFUSALS.get(error.code, ("Sign-in refused", None))
                    refusal.clear()
                    with refusal:
                        ui.label(title).classes("text-weight-bold")
                        ui.label(detail or sentence(error.errors[0].message))
                    refusal.set_visibility(True)
                    password.value = ""
                    return
                remember(signed.token)
                remember_time_zone(await _browser_time_zone())
                ui.navigate.to(target)

            password.on("keydown.enter", sign_in)
            ui.button("Sign in", on_click=sign_in).props("unelevated no-caps size=md").classes("w-full").mark("sign-in")
        ui.label("Mirabelle · open-source back office for reward programmes").classes("mb-muted text-caption")


async def _browser_time_zone() -> str | None:
    """The browser's IANA time zone (e.g. Asia/Kolkata): the console shows times in it."""
    try:
        return await ui.run_javascript("Intl.DateTimeFormat().resolvedOptions().timeZone", timeout=3.0)
    except TimeoutError:  # a browser that does not answer keeps UTC
        return None


def register() -> None:
    ui.page(LOGIN_PATH, title=f"Sign in · {PRODUCT}")(login_page)
