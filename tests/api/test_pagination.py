"""Cursor pagination: every row exactly once across pages, bounded page sizes, cursors checked."""

import base64

from backend.recipients import services as recipients
from backend.recipients.services.views import RecipientInput

PAGE = """
query Page($first: Int!, $after: String, $filter: RecipientFilterInput) {
  recipients(first: $first, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { externalId } }
  }
}"""


async def seed(admin, count: int) -> None:
    for n in range(count):
        await recipients.upsert_recipient(
            admin,
            RecipientInput(
                external_id=f"E-{n:03}", full_name=f"Person {n:03}", email=f"p{n}@example.com", country="DE" if n % 3 else "IN"
            ),
        )


async def walk(api, key, first: int, recipient_filter: dict | None = None) -> tuple[list[str], list[dict]]:
    seen, pages, after = [], [], None
    while True:
        page = (await api.data(PAGE, {"first": first, "after": after, "filter": recipient_filter}, key=key))["recipients"]
        pages.append(page)
        seen += [edge["node"]["externalId"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen, pages
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]


async def test_pages_cover_every_recipient_once(api, key, admin):
    await seed(admin, 25)
    seen, pages = await walk(api, key, first=10)
    assert seen == [f"E-{n:03}" for n in range(25)]  # creation order, no gaps, no duplicates
    assert [len(page["edges"]) for page in pages] == [10, 10, 5]
    assert {page["totalCount"] for page in pages} == {25}


async def test_a_filtered_list_pages_too(api, key, admin):
    await seed(admin, 25)
    seen, pages = await walk(api, key, first=4, recipient_filter={"country": "IN"})
    assert seen == [f"E-{n:03}" for n in range(0, 25, 3)] and pages[0]["totalCount"] == 9


async def test_an_exact_last_page_says_there_is_no_next(api, key, admin):
    await seed(admin, 6)
    _, pages = await walk(api, key, first=3)
    assert [len(page["edges"]) for page in pages] == [3, 3]


async def test_an_empty_list(api, key):
    page = (await api.data(PAGE, {"first": 5}, key=key))["recipients"]
    assert page == {"totalCount": 0, "pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": []}


async def test_first_is_bounded(api, key):
    for first in (101, 0, -1):
        (error,) = await api.errors(PAGE, {"first": first}, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert f"`first` must be between 1 and 100 (got {first})" in error["message"]
    assert (await api.data(PAGE, {"first": 100}, key=key))["recipients"]["edges"] == []


async def test_a_cursor_must_come_from_the_same_list(api, key, admin):
    await recipients.create_programme(admin, "Sales stars", "INR", "0.25")
    programmes = await api.data("{ programmes { pageInfo { endCursor } } }", key=key)
    programme_cursor = programmes["programmes"]["pageInfo"]["endCursor"]
    forged = base64.urlsafe_b64encode(b"recipients:not-a-uuid").decode()
    for cursor in (programme_cursor, forged, "%%%"):
        (error,) = await api.errors(PAGE, {"first": 5, "after": cursor}, key=key)
        assert error["extensions"]["code"] == "BAD_USER_INPUT" and "not a cursor of the recipients list" in error["message"]
