"""When a stage is due. Pure: the workflow calls it once when a stage begins and keeps the answer."""

from __future__ import annotations

import datetime as dt

from domain.beijing import china_today
from domain.work_calendar import WorkCalendar, add_working_time

__all__ = ["china_today", "due_after"]


def due_after(start: dt.datetime, duration: dt.timedelta | None, calendar: WorkCalendar | None) -> dt.datetime | None:
    """Working days when the campaign counts them (calendar given), plain time otherwise."""
    if duration is None:
        return None
    return add_working_time(start, duration, calendar)
