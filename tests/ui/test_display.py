"""Stored values as they read on screen: a stored moment (ISO 8601) as a local time, never raw."""

from __future__ import annotations

from ui.components.display import plain


def test_a_stored_moment_reads_as_a_time_not_iso() -> None:
    assert plain("2026-12-07T10:49:03.752489+00:00") == "2026-12-07 10:49 UTC"
    assert plain("2026-12-07 10:49:03+00:00") == "2026-12-07 10:49 UTC"
    assert plain("2026-12-07") == "2026-12-07"  # a date stays a date
    assert plain("T-1042 at 10:49") == "T-1042 at 10:49"


def test_a_moments_day_is_the_persons_day(monkeypatch) -> None:
    """A reward issued at 20:00 UTC was issued on the 8th for a person in Kolkata (a ticket's links say so)."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from ui.components import display

    monkeypatch.setattr(display, "time_zone", lambda: ZoneInfo("Asia/Kolkata"))
    assert display.day_of(datetime(2026, 12, 7, 20, 0, tzinfo=UTC)) == "2026-12-08"
    assert display.day_of(None) == display.EMPTY
