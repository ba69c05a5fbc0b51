"""Relay-style connections over keyset pages, for every list of the API.

A cursor is opaque to clients (base64 of the list's name and the key of the row it points at), so
the key can change shape without breaking them. A page fetches ``first + 1`` rows after the key:
the extra row only answers ``hasNextPage``. Cost does not grow with the page number, and rows
inserted meanwhile never shift a page (no duplicates, no gaps).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Generic, TypeVar

import strawberry

from backend.api.errors import client_error

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

# The two arguments of every list field.
First = Annotated[int, strawberry.argument(description=f"How many items, 1 to {MAX_PAGE_SIZE}.")]
After = Annotated[str | None, strawberry.argument(description="The endCursor of the previous page; omit for the first page.")]

Node = TypeVar("Node")
Row = TypeVar("Row")
Key = TypeVar("Key")


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether a page follows this one.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page; null on an empty page.")


@strawberry.type(description="One item of a page and the cursor that points at it.")
class Edge(Generic[Node]):
    cursor: str
    node: Node


@strawberry.type(description="A page of a list: `first` items after the cursor `after`.")
class Connection(Generic[Node]):
    edges: list[Edge[Node]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items match, across all pages (one count query, only when asked for).")
    async def total_count(self) -> int:
        return await self.count()


def encode_cursor(list_name: str, key: object) -> str:
    return base64.urlsafe_b64encode(f"{list_name}:{key}".encode()).decode()


def decode_cursor(list_name: str, cursor: str, parse_key: Callable[[str], Key]) -> Key:
    try:
        name, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if name != list_name:
            raise ValueError(name)
        return parse_key(key)
    except (ValueError, binascii.Error, UnicodeError):
        raise client_error(
            f"`after` is not a cursor of the {list_name} list: pass the endCursor of a page of that list"
        ) from None


def check_page_size(first: int) -> None:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise client_error(f"`first` must be between 1 and {MAX_PAGE_SIZE} (got {first}); page on with `after`")


async def keyset_connection(
    *,
    list_name: str,
    first: int,
    after: str | None,
    fetch: Callable[[Key | None, int], Awaitable[Sequence[Row]]],
    key: Callable[[Row], object],
    node: Callable[[Row], Node],
    count: Callable[[], Awaitable[int]],
    parse_key: Callable[[str], Key] = uuid.UUID,
) -> Connection[Node]:
    """``fetch(after_key, limit)`` returns up to ``limit`` rows in key order, strictly after ``after_key``."""
    check_page_size(first)
    after_key = decode_cursor(list_name, after, parse_key) if after is not None else None
    rows = list(await fetch(after_key, first + 1))
    edges = [Edge(cursor=encode_cursor(list_name, key(row)), node=node(row)) for row in rows[:first]]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > first, end_cursor=edges[-1].cursor if edges else None),
        count=count,
    )
