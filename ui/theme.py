"""The one layout of the console: a header with the product, the signed-in person and sign-out; a
left navigation by domain showing only what the person may open; the page's title and content."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from nicegui import context, ui

from backend.access import services as access
from backend.access.roles import ROLE_LABELS, Role
from ui import inbox
from ui.components.editing import BEFOREUNLOAD, leave
from ui.components.flash import show_kept
from ui.navigation import HOME, sections_for
from ui.session import current_actor, forget, login_url, session_token, signed_in

PRODUCT = "Mirabelle"
BRAND_COLOURS = {"primary": "#5b3f8f", "secondary": "#e0a526", "accent": "#e0a526", "positive": "#2e7d32", "negative": "#c62828"}

_STYLE = """
body { background: #f6f5f9; }
.mb-nav .q-item { border-radius: 8px; margin: 1px 8px; min-height: 40px; }
.mb-nav .q-item--active { background: #ece6f6; font-weight: 600; }
.mb-nav-section { font-size: 11px; letter-spacing: .08em; text-transform: uppercase; color: #6b6880; padding: 16px 24px 4px; }
.mb-card { background: white; border: 1px solid #e4e1ec; border-radius: 10px; box-shadow: none; }
.mb-table { border: 1px solid #e4e1ec; border-radius: 10px; box-shadow: none; }
.mb-table thead tr th { font-weight: 600; color: #4a4660; background: #faf9fc; }
.mb-muted { color: #6b6880; }
.mb-tallies { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 16px; width: 100%; }
/* Responsive: the page never scrolls sideways; what is too wide scrolls inside its own card. */
.mb-content { padding: 24px; min-width: 0; }
.mb-content > * { max-width: 100%; }
.mb-content .q-card, .mb-content .q-table__container { max-width: 100%; min-width: 0; }
.mb-table .q-table__middle { overflow-x: auto; }
/* A main column and a side column, stacked on narrow screens (the partner page, any detail page). */
.mb-split { display: grid; grid-template-columns: minmax(0, 1fr) 380px; gap: 16px; width: 100%; align-items: start; }
.mb-split > * { min-width: 0; }
@media (max-width: 1023px) {
  .mb-split { grid-template-columns: minmax(0, 1fr); }
  /* The header (with the menu button) stays above the overlay drawer, so the button also closes it. */
  .q-header { z-index: 3001; }
  .q-drawer--mobile .q-drawer__content { padding-top: 64px; }
}
@media (max-width: 599px) {
  .mb-content { padding: 12px; }
  .mb-tallies { grid-template-columns: minmax(0, 1fr); }
}
/* On a wide screen long cell text wraps instead of widening the table; on a narrow one it stays on
   one line and the table scrolls inside its card. Headers never wrap, so columns keep a readable width. */
@media (min-width: 1024px) {
  .mb-table tbody td { white-space: normal; overflow-wrap: anywhere; }
}
/* A status is a label, not a control: an outlined pill with a dot, no pointer (ui/components/status_badge.py). */
.mb-status { cursor: default; font-weight: 500; padding: 2px 10px 2px 8px; white-space: nowrap; }
.mb-status::before { content: ""; display: inline-block; width: 7px; height: 7px; border-radius: 50%;
  background: currentColor; margin-right: 6px; }
"""


def apply_brand() -> None:
    ui.colors(**BRAND_COLOURS)
    ui.add_css(_STYLE)
    ui.add_head_html(BEFOREUNLOAD)


def role_names(roles: tuple[str, ...] | list[str]) -> str:
    return ", ".join(ROLE_LABELS.get(Role(role), role) for role in roles)


async def _sign_out() -> None:
    # Forgotten first: a page timer (a badge, a watch) that runs while the logout is awaited then sees
    # no session at all, instead of an ended one it would report as "expired".
    token = session_token()
    forget("signed_out")
    await access.logout(token)
    ui.navigate.to(login_url(reason="signed_out"))


def _header(drawer: ui.left_drawer) -> None:
    user = signed_in().user
    with (
        ui.header()
        .classes("items-center justify-between no-wrap px-2 sm:px-4 py-2 bg-white text-grey-9")
        .style("border-bottom: 1px solid #e4e1ec")
    ):
        with ui.row().classes("items-center gap-2 no-wrap"):
            # Below Quasar's drawer breakpoint (1024 px) the navigation is an overlay: this opens and closes it.
            ui.button(icon="menu", on_click=drawer.toggle).props('flat round color=primary aria-label="Menu"').classes(
                "lt-md"
            ).mark("menu")
            ui.icon("redeem", size="28px", color="secondary")
            ui.label(PRODUCT).classes("text-h6 text-weight-bold text-primary").mark("product")
            ui.label("back office").classes("mb-muted text-body2 q-mt-xs gt-xs")
        with ui.row().classes("items-center gap-3 no-wrap"):
            with ui.column().classes("gap-0 items-end gt-xs"):
                ui.label(user.display_name).classes("text-body2 text-weight-medium").mark("signed-in-user")
                ui.label(role_names(user.roles)).classes("text-caption mb-muted")
            with (
                ui.button(icon="logout", on_click=_sign_out)
                .props('flat no-caps color=primary aria-label="Sign out"')
                .mark("sign-out")
            ):
                ui.label("Sign out").classes("q-ml-sm gt-xs")


def _navigation() -> tuple[ui.left_drawer, dict[str, ui.badge]]:
    actor = signed_in().actor
    path = context.client.request.url.path
    # value=None: open beside the page from 1024 px up, closed (an overlay the menu button opens) below.
    drawer = ui.left_drawer(value=None, fixed=True).props("width=232 bordered").classes("bg-white q-pa-none")
    badges: dict[str, ui.badge] = {}
    with drawer, ui.list().classes("mb-nav w-full q-pt-sm").mark("navigation"):
        for section, destinations in sections_for(actor):
            ui.label(section).classes("mb-nav-section")
            for destination in destinations:
                active = path == destination.path or (destination.path != "/" and path.startswith(destination.path + "/"))
                with (
                    ui.item(on_click=lambda d=destination: leave(d.path))  # asks first if a form is unsaved
                    .props(f"clickable {'active' if active else ''} active-class=text-primary")
                    .mark(f"nav-{destination.path.strip('/') or 'home'}")
                ):
                    with ui.item_section().props("avatar").classes("min-w-0"):
                        ui.icon(destination.icon, size="20px")
                    with ui.item_section():
                        ui.item_label(destination.label)
                    with ui.item_section().props("side"):
                        badge = (
                            ui.badge("", color="negative").props("rounded").mark(f"badge-{destination.path.strip('/') or 'home'}")
                        )
                        badge.set_visibility(False)
                        badges[destination.path] = badge
    return drawer, badges


async def _count_into(badges: dict[str, ui.badge]) -> None:
    """Each menu entry's badge: how many things wait behind it (the home's: all of them)."""
    if session_token() is None:  # signed out on this page, on its way to the login page
        return
    actor = await current_actor()  # re-checked: a session ended elsewhere stops counting
    if actor is None:
        return
    items = await inbox.inbox(actor)
    counts = inbox.badge_counts(items) | {HOME.path: sum(item.count for item in items)}
    for path, badge in badges.items():
        count = counts.get(path, 0)
        badge.set_text(f"{count:,}")
        badge.set_visibility(count > 0)


@dataclass
class Frame:
    """What a page gets inside ``frame()``: a place for its title-bar buttons."""

    actions: ui.row


@contextmanager
def frame(title: str, subtitle: str | None = None) -> Iterator[Frame]:
    """Every signed-in page: ``with frame("Users") as page: ...`` builds inside the layout."""
    apply_brand()
    drawer, badges = _navigation()
    _header(drawer)
    with ui.column().classes("mb-content w-full max-w-[1280px] mx-auto gap-4"):
        with ui.row().classes("w-full items-end justify-between gap-2"):
            with ui.column().classes("gap-0"):
                ui.label(title).classes("text-h5 text-weight-medium").mark("page-title")
                if subtitle:
                    ui.label(subtitle).classes("mb-muted text-body2")
            actions = ui.row().classes("items-center gap-2")
        yield Frame(actions=actions)
    show_kept()  # what the previous page confirmed just before it brought the person here
    # The badges' counts arrive after the page, and again on a timer. Made once the page is built: a
    # timer waits for the browser's connection, and NiceGUI answers the page request as soon as anything
    # waits for it, which would send a page whose tables are still loading.
    with drawer:
        ui.timer(0.05, lambda: _count_into(badges), once=True)
        ui.timer(inbox.REFRESH_SECONDS, lambda: _count_into(badges), immediate=False)
