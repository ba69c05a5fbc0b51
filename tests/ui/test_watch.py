"""The watch a page keeps on what it shows (ui/components/watch.py): another admin's change redraws the
page and says so; the page's own action, which commits before the page redraws, does not; a change
committed while the page draws is not taken for what it shows."""

from __future__ import annotations

from nicegui.testing import User

from ui.components import watch


async def test_only_a_change_the_page_did_not_make_redraws_it(console: User) -> None:
    state = {"value": 1}
    redraws: list[int] = []

    async def fingerprint(_actor) -> int:
        return state["value"]

    async def redraw() -> None:
        redraws.append(state["value"])

    with console.client, console.client.layout:
        followed = watch.Watch(fingerprint, redraw, seconds=3600)  # checked by hand below
        async with followed.drawing():
            pass

        state["value"] = 2  # the page's own action has committed; its redraw is on the way
        await followed.check()
        async with followed.drawing():
            pass
        await followed.check()
        assert redraws == []

        state["value"] = 3  # another admin's change: news once it is still there a poll later
        await followed.check()
        await followed.check()
        assert redraws == [3]
        await followed.check()
        assert redraws == [3]


async def test_a_change_committed_while_the_page_draws_is_still_news(console: User) -> None:
    state = {"value": 1}
    redraws: list[int] = []

    async def fingerprint(_actor) -> int:
        return state["value"]

    async def redraw() -> None:
        redraws.append(state["value"])

    with console.client, console.client.layout:
        followed = watch.Watch(fingerprint, redraw, seconds=3600)
        async with followed.drawing():
            state["value"] = 2  # another admin commits after the page read what it shows
        await followed.check()
        await followed.check()
        assert redraws == [2]
