"""Pages that follow what they show: a light poll of a fingerprint (a status, a version, the ids
still waiting) read through the same service the page uses; when another admin changed it, the
page redraws and says so, so a stale Withdraw or Approve is not left on offer. Polling, not an
event bus: the console may run as several processes, and the database is where the change is."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager

from nicegui import ui

from backend.core.authz import Actor
from backend.core.errors import DomainError
from ui.session import current_actor, session_token

POLL_SECONDS = 5.0
UNSET = object()  # before the page's first drawing: nothing to compare with yet
CHANGED = "Another admin changed this meanwhile: the page shows it as it is now."

Fingerprint = Callable[[Actor], Awaitable[Hashable]]


class Watch:
    """``Watch(fingerprint, redraw)`` in the page, then every drawing of what it follows inside
    ``async with watch.drawing():``, so only someone else's change counts as news. The baseline is
    read before the drawing: a change committed while the page drew is still caught (redrawn once
    more at worst), never taken for what the page shows. The poll starts after the first drawing: a
    timer made while a page is still being built lets NiceGUI answer the request half-drawn."""

    def __init__(
        self,
        fingerprint: Fingerprint,
        redraw: Callable[[], Awaitable[None]],
        *,
        seconds: float | None = None,
        paused: Callable[[], bool] = lambda: False,
    ) -> None:
        self.fingerprint, self.redraw, self.paused = fingerprint, redraw, paused
        self.seconds = seconds or POLL_SECONDS
        self.seen: Hashable | None = UNSET
        self.news: Hashable | None = UNSET  # a change seen once, not yet taken for someone else's
        self.drawings = 0
        self.timer: ui.timer | None = None

    @asynccontextmanager
    async def drawing(self) -> AsyncIterator[None]:
        self.drawings += 1
        actor = await current_actor()
        before = UNSET if actor is None else await self._read(actor)
        yield
        self.drawings += 1
        self.seen, self.news = before, UNSET
        if self.timer is None:
            self.timer = ui.timer(self.seconds, self.check, immediate=False)  # it has just drawn

    async def _read(self, actor: Actor) -> Hashable | None:
        try:
            return await self.fingerprint(actor)
        except DomainError:  # gone or no longer readable: the redraw says so in its own words
            return None

    async def check(self) -> None:
        if self.seen is UNSET or session_token() is None or self.paused():  # not drawn yet, signed out, or
            return  # the page follows a worker itself
        drawings = self.drawings
        actor = await current_actor()
        if actor is None:
            return
        now = await self._read(actor)
        if now == self.seen or self.drawings != drawings:  # unchanged, or the page drew itself meanwhile
            self.news = UNSET
            return
        # The page's own action commits before it redraws: a change seen once may be that. Seen again
        # a poll later with no drawing between, it is someone else's. (Redrawing on first sight drew
        # the page twice, and a click landing on the first drawing was lost.)
        if now != self.news:
            self.news = now
            return
        self.news = UNSET
        async with self.drawing():
            await self.redraw()
        ui.notify(CHANGED, type="info")
