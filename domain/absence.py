"""A pupil a school reports absent (辍学学生快速发现与响应): past the campaign's threshold a
suspected dropout case opens at once, its home visit due the same working day."""

from __future__ import annotations

import datetime as dt

from domain.beijing import BEIJING
from domain.work_calendar import WorkCalendar

END_OF_WORKING_DAY = dt.time(18, 0)
"""When "the same working day" ends for a home visit (a school rule: absence found at morning roll
call, reported within the hour, the home visit the same day)."""
LATEST_REPORT = dt.time(16, 0)
"""A report after this leaves too little of the day: the visit is due at the end of the next one."""


def home_visit_due(now: dt.datetime, calendar: WorkCalendar | None, within: dt.timedelta | None = None) -> dt.datetime:
    """The home visit's due time for an absence reported `now`: `within` after it when the campaign
    sets one, else the end of this working day — or of the next, when today is not one (a weekend,
    a holiday; every day is one without a calendar) or the report came after 16:00."""
    if within is not None:
        return now + within
    local = now.astimezone(BEIJING)
    day = local.date()

    def working(day: dt.date) -> bool:
        return calendar is None or calendar.is_workday(day)

    if not working(day) or local.time() >= LATEST_REPORT:
        day += dt.timedelta(days=1)
        while not working(day):
            day += dt.timedelta(days=1)
    return dt.datetime.combine(day, END_OF_WORKING_DAY, tzinfo=BEIJING)
