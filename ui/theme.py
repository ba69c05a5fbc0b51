"""The one layout of the console: a header with the product, the signed-in person and sign-out; a
left navigation by domain showing only what the person may open; the page's title and content."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from nicegui import context, ui

from backend.access import service as access
from backend.access.roles import ROLE_LABELS, Role
from ui.navigation import sections_for
from ui.session import forget, login_url, session_token, signed_in

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
"""


def apply_brand() -> None:
    ui.colors(**BRAND_COLOURS)
    ui.add_css(_STYLE)


def role_names(roles: tuple[str, ...] | list[str]) -> str:
    return ", ".join(ROLE_LABELS.get(Role(role), role) for role in roles)


async def _sign_out() -> None:
    await access.logout(session_token())
    forget()
    ui.navigate.to(login_url(reason="signed_out"))


def _header(drawer: ui.left_drawer) -> None:
    user = signed_in().user
    with (
        ui.header()
        .classes("items-center justify-between px-4 py-2 bg-white text-grey-9")
        .style("border-bottom: 1px solid #e4e1ec")
    ):
        with ui.row().classes("items-center gap-2 no-wrap"):
            # On a narrow screen the navigation hides behind this button (Quasar's breakpoint decides).
            ui.button(icon="menu", on_click=drawer.toggle).props("flat round dense color=primary aria-label=Menu").classes(
                "lt-md"
            ).mark("navigation-toggle")
            ui.icon("redeem", size="28px", color="secondary")
            ui.label(PRODUCT).classes("text-h6 text-weight-bold text-primary").mark("product")
            ui.label("back office").classes("mb-muted text-body2 q-mt-xs gt-xs")
        with ui.row().classes("items-center gap-3 no-wrap"):
            with ui.column().classes("gap-0 items-end gt-xs"):
                ui.label(user.display_name).classes("text-body2 text-weight-medium").mark("signed-in-user")
                ui.label(role_names(user.roles)).classes("text-caption mb-muted")
            ui.button("Sign out", icon="logout", on_click=_sign_out).props("flat no-caps color=primary").mark("sign-out")


def _navigation() -> ui.left_drawer:
    actor = signed_in().actor
    path = context.client.request.url.path
    # Open beside the page on a wide screen, closed (behind the header's menu button) on a phone.
    drawer = ui.left_drawer(value=None, fixed=True).props("width=232 bordered").classes("bg-white q-pa-none")
    with drawer, ui.list().classes("mb-nav w-full q-pt-sm").mark("navigation"):
        for section, destinations in sections_for(actor):
            ui.label(section).classes("mb-nav-section")
            for destination in destinations:
                active = path == destination.path or (destination.path != "/" and path.startswith(destination.path + "/"))
                with (
                    ui.item(on_click=lambda d=destination: ui.navigate.to(d.path))
                    .props(f"clickable {'active' if active else ''} active-class=text-primary")
                    .mark(f"nav-{destination.path.strip('/') or 'home'}")
                ):
                    with ui.item_section().props("avatar").classes("min-w-0"):
                        ui.icon(destination.icon, size="20px")
                    with ui.item_section():
                        ui.item_label(destination.label)
    return drawer


@dataclass
class Frame:
    """What a page gets inside ``frame()``: a place for its title-bar buttons."""

    actions: ui.row


@contextmanager
def frame(title: str, subtitle: str | None = None) -> Iterator[Frame]:
    """Every signed-in page: ``with frame("Users") as page: ...`` builds inside the layout."""
    apply_brand()
    _header(_navigation())
    with ui.column().classes("w-full max-w-[1280px] mx-auto p-4 md:p-6 gap-4"):
        with ui.row().classes("w-full items-end justify-between"):
            with ui.column().classes("gap-0"):
                ui.label(title).classes("text-h5 text-weight-medium").mark("page-title")
                if subtitle:
                    ui.label(subtitle).classes("mb-muted text-body2")
            actions = ui.row().classes("items-center gap-2")
        yield Frame(actions=actions)
