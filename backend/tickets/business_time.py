"""Business time: how many working seconds lie between two instants, and which instant lies a number
of working seconds after another, on a calendar of working days, hours, holidays and a time zone.

Pure (no clock, no database): the SLA clocks (backend.tickets.services.sla) call it with the
instants they hold. Working hours are wall-clock hours of the calendar's zone, resolved day by day
through zoneinfo, so a day on which the clocks change still opens and closes at its local hours
(and a calendar open round the clock has a 23- or 25-hour day then).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holiday_tables

MINUTES_PER_DAY = 24 * 60
MAX_DAYS = 3 * 366  # no target runs longer; a calendar with no working day at all must not loop forever


class NoWorkingTime(ValueError):
    """The calendar has no working time within MAX_DAYS of the start (no working day, say)."""


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "UTC"
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday is 0
    opens_minute: int = 9 * 60  # minutes after local midnight
    closes_minute: int = 17 * 60  # 1440: open until midnight
    holidays: frozenset[date] = frozenset()

    def __post_init__(self):
        ZoneInfo(self.timezone)  # an unknown zone fails here, not in the middle of a sweep
        if not 0 <= self.opens_minute < self.closes_minute <= MINUTES_PER_DAY:
            raise ValueError("a working day opens before it closes, within the day")
        if not self.working_days <= frozenset(range(7)):
            raise ValueError("working days are 0 (Monday) to 6 (Sunday)")


def public_holidays(country: str | None, years: Iterable[int], custom: Iterable[date] = ()) -> frozenset[date]:
    """The public holidays of ``country`` (ISO 3166 alpha-2, through the ``holidays`` package) in
    ``years``, plus the programme's own dates."""
    found = set(custom)
    if country:
        found |= set(holiday_tables.country_holidays(country, years=list(years)).keys())
    return frozenset(found)


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of ``minute`` after local midnight of ``day`` (1440: the next midnight)."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)  # wall-clock arithmetic, then the zone
    return wall.replace(tzinfo=zone).astimezone(UTC)


def _windows(calendar: BusinessCalendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The working windows (UTC open, UTC close) from the local day of ``start`` on, in order."""
    zone = ZoneInfo(calendar.timezone)
    day = start.astimezone(zone).date()
    for _ in range(MAX_DAYS):
        if day.weekday() in calendar.working_days and day not in calendar.holidays:
            yield _local(day, calendar.opens_minute, zone), _local(day, calendar.closes_minute, zone)
        day += timedelta(days=1)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("business time needs timezone-aware instants")
    return value.astimezone(UTC)


def seconds_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Working seconds in [start, end) (0 when end is not after start)."""
    start, end = _aware(start), _aware(end)
    total = 0.0
    if end <= start:
        return 0
    for opens, closes in _windows(calendar, start):
        if opens >= end:
            break
        total += max(0.0, (min(closes, end) - max(opens, start)).total_seconds())
    return int(total)


def add_seconds(calendar: BusinessCalendar, start: datetime, seconds: int) -> datetime:
    """The instant ``seconds`` working seconds after ``start``. Zero seconds from outside working
    hours is ``start`` itself: a clock that has nothing left is due at once."""
    start = _aware(start)
    if seconds <= 0:
        return start
    left = float(seconds)
    for opens, closes in _windows(calendar, start):
        begin = max(opens, start)
        if begin >= closes:
            continue
        available = (closes - begin).total_seconds()
        if left <= available:
            return begin + timedelta(seconds=left)
        left -= available
    raise NoWorkingTime(f"no {seconds} working seconds within {MAX_DAYS} days of {start.isoformat()}")
