"""Working days in China: weekends and public holidays off, make-up workdays (调休) on.

The calendar is data carried into the workflow (CaseStart), so due times are computed there
deterministically; it is built outside from the `chinese-calendar` package (config.holidays).
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from domain.beijing import BEIJING as CHINA


class WorkCalendar(BaseModel):
    model_config = ConfigDict(frozen=True)

    holidays: frozenset[dt.date] = Field(default_factory=frozenset)
    """Weekdays that are public holidays."""
    makeup_workdays: frozenset[dt.date] = Field(default_factory=frozenset)
    """Weekend days that are workdays (调休)."""
    known_from: dt.date | None = None
    known_until: dt.date | None = None
    """Outside [known_from, known_until] only weekends are off."""

    def is_workday(self, day: dt.date) -> bool:
        if day in self.makeup_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def knows(self, day: dt.date) -> bool:
        return (
            self.known_from is not None and self.known_until is not None and self.known_from <= day <= self.known_until
        )


def add_working_time(start: dt.datetime, duration: dt.timedelta, calendar: WorkCalendar | None) -> dt.datetime:
    """`start + duration`, where whole days count only workdays (at the same time of day, China time)
    when a calendar is given; the part under a day, and everything without a calendar, is plain time."""
    if calendar is None or duration.days <= 0:
        return start + duration
    local = start.astimezone(CHINA)
    day = local.date()
    remaining = duration.days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if calendar.is_workday(day):
            remaining -= 1
    moved = dt.datetime.combine(day, local.timetz())
    return moved.astimezone(start.tzinfo) + dt.timedelta(seconds=duration.seconds, microseconds=duration.microseconds)


def working_days(first: dt.date, last: dt.date, calendar: WorkCalendar | None) -> int:
    """Days from `first` to `last` inclusive that are workdays (every day without a calendar)."""
    days = max(0, (last - first).days + 1)
    if calendar is None:
        return days
    return sum(calendar.is_workday(first + dt.timedelta(days=n)) for n in range(days))
