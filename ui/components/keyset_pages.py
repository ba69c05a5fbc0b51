"""Page N of a keyset-paged service, for a PagedTable.

A PagedTable asks for rows by offset (page 3 of 25 rows); a keyset-paged service (the ledger's)
continues after the key of the last row it returned, so its cost never grows with the page
number. This remembers the key each page it has read ends with: the next page, the previous
one and a return to the first cost one query; a jump ahead walks from the nearest page it knows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

Key = TypeVar("Key")

# (after, limit) → (rows, the key to continue after, or None at the end)
FetchAfter = Callable[[Key | None, int], Awaitable[tuple[list[Any], Key | None]]]


class KeysetPages(Generic[Key]):
    def __init__(self) -> None:
        self._query: Hashable = None
        self._starts: dict[int, Key | None] = {0: None}  # offset → the key its page starts after

    async def page(self, query: Hashable, offset: int, limit: int, fetch: FetchAfter) -> list[Any]:
        """The rows at ``offset``. ``query`` names what is listed (filters and page size): when it
        changes, the remembered keys belong to another list and are forgotten."""
        if (query, limit) != self._query:
            self._query, self._starts = (query, limit), {0: None}
        # This list's keys: a call for another list meanwhile (the person changed a filter while
        # this page loads) replaces the map, and what this call learns no longer lands in it.
        starts = self._starts
        known = max(start for start in starts if start <= offset)
        while True:
            rows, next_key = await fetch(starts[known], limit)
            if next_key is not None:
                starts[known + limit] = next_key
            if known == offset:
                return rows
            if next_key is None:  # the list ends before the page asked for (rows went meanwhile)
                return []
            known += limit
