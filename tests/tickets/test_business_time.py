"""Business-time arithmetic: working days and hours, holidays, time zones and their changes."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from backend.tickets.business_time import BusinessCalendar, NoWorkingTime, add_seconds, public_holidays, seconds_between

HOUR = 3600
OFFICE = BusinessCalendar()  # Monday to Friday, 09:00 to 17:00 UTC
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_within_one_day():
    assert seconds_between(OFFICE, utc(2026, 12, 7, 10), utc(2026, 12, 7, 12, 30)) == 2.5 * HOUR
    assert add_seconds(OFFICE, utc(2026, 12, 7, 10), 2 * HOUR) == utc(2026, 12, 7, 12)


def test_outside_hours_starts_at_the_next_opening():
    assert add_seconds(OFFICE, utc(2026, 12, 7, 6), HOUR) == utc(2026, 12, 7, 10)
    assert add_seconds(OFFICE, utc(2026, 12, 7, 20), HOUR) == utc(2026, 12, 8, 10)
    assert seconds_between(OFFICE, utc(2026, 12, 7, 17), utc(2026, 12, 8, 9)) == 0


def test_across_a_weekend():
    friday_4pm, monday_10am = utc(2026, 12, 11, 16), utc(2026, 12, 14, 10)
    assert add_seconds(OFFICE, friday_4pm, 2 * HOUR) == monday_10am
    assert seconds_between(OFFICE, friday_4pm, monday_10am) == 2 * HOUR
    # A ticket opened on Saturday starts its clock on Monday morning.
    assert add_seconds(OFFICE, utc(2026, 12, 12, 11), 4 * HOUR) == utc(2026, 12, 14, 13)


def test_across_a_holiday_and_custom_dates():
    german = public_holidays("DE", [2026])
    assert date(2026, 12, 25) in german and date(2026, 12, 24) not in german
    calendar = BusinessCalendar(holidays=public_holidays("DE", [2026], custom=[date(2026, 12, 24)]))
    # Wed 23 Dec 16:00 + 2 h: Thu 24 (custom), Fri 25 (Christmas) and the weekend are skipped.
    assert add_seconds(calendar, utc(2026, 12, 23, 16), 2 * HOUR) == utc(2026, 12, 28, 10)
    assert seconds_between(calendar, utc(2026, 12, 23, 16), utc(2026, 12, 28, 10)) == 2 * HOUR
    assert add_seconds(OFFICE, utc(2026, 12, 23, 16), 2 * HOUR) == utc(2026, 12, 24, 10)  # no holidays: Thursday


def test_local_hours_in_a_time_zone():
    kolkata = BusinessCalendar(timezone="Asia/Kolkata")  # UTC+05:30: opens 03:30 UTC
    assert add_seconds(kolkata, utc(2026, 12, 7, 0), HOUR) == utc(2026, 12, 7, 4, 30)
    assert seconds_between(kolkata, utc(2026, 12, 7, 0), utc(2026, 12, 8, 0)) == 8 * HOUR


def test_a_daylight_saving_change_keeps_local_hours():
    # Europe/Berlin moves from UTC+1 to UTC+2 on Sunday 29 March 2026.
    every_day = BusinessCalendar(timezone="Europe/Berlin", working_days=frozenset(range(7)))
    saturday_9 = datetime(2026, 3, 28, 9, tzinfo=BERLIN)
    due = add_seconds(every_day, saturday_9, 16 * HOUR)  # Saturday's 8 hours and Sunday's 8
    assert due.astimezone(BERLIN) == datetime(2026, 3, 29, 17, tzinfo=BERLIN)
    assert due == utc(2026, 3, 29, 15)  # 17:00 CEST, not 16:00 as a fixed offset would say
    assert seconds_between(every_day, saturday_9, due) == 16 * HOUR


def test_a_round_the_clock_calendar_has_a_23_hour_day_when_the_clocks_go_forward():
    always = BusinessCalendar(timezone="Europe/Berlin", working_days=frozenset(range(7)), opens_minute=0, closes_minute=1440)
    sunday = datetime(2026, 3, 29, tzinfo=BERLIN)
    assert seconds_between(always, sunday, sunday + timedelta(days=1)) == 23 * HOUR  # aware + 1 day is wall-clock
    autumn = datetime(2026, 10, 25, tzinfo=BERLIN)
    assert seconds_between(always, autumn, autumn + timedelta(days=1)) == 25 * HOUR
    assert add_seconds(always, sunday, 23 * HOUR) == datetime(2026, 3, 30, tzinfo=BERLIN)


def test_paused_time_is_not_counted():
    # A clock that ran 1 h, paused over the night and the weekend, and resumed: what is left is the same.
    started, paused, resumed = utc(2026, 12, 11, 10), utc(2026, 12, 11, 11), utc(2026, 12, 14, 15)
    used = seconds_between(OFFICE, started, paused)
    assert used == HOUR
    assert add_seconds(OFFICE, resumed, 4 * HOUR - used) == utc(2026, 12, 15, 10)


def test_zero_and_negative():
    assert add_seconds(OFFICE, utc(2026, 12, 12, 11), 0) == utc(2026, 12, 12, 11)
    assert seconds_between(OFFICE, utc(2026, 12, 8), utc(2026, 12, 7)) == 0


def test_bad_calendars_are_refused():
    with pytest.raises(ValueError):
        BusinessCalendar(opens_minute=600, closes_minute=540)
    with pytest.raises(ValueError):
        BusinessCalendar(working_days=frozenset({7}))
    with pytest.raises(ZoneInfoNotFoundError):
        BusinessCalendar(timezone="Mars/Olympus")
    with pytest.raises(NoWorkingTime):
        add_seconds(BusinessCalendar(working_days=frozenset()), utc(2026, 12, 7), HOUR)
    with pytest.raises(ValueError):
        add_seconds(OFFICE, datetime(2026, 12, 7), HOUR)
