"""The Chinese public-holiday calendar for a campaign, from the `chinese-calendar` package."""

from __future__ import annotations

import datetime as dt
import functools
import warnings

import structlog

from domain.work_calendar import WorkCalendar

log = structlog.get_logger("baoxue.calendar")


@functools.lru_cache(maxsize=16)
def work_calendar(first: dt.date, last: dt.date) -> WorkCalendar:
    """Holidays and make-up workdays for the years first..last that the package knows; a warning
    when the range reaches past them (there only weekends are off). Built once per range: every
    opening and every report asks for it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from chinese_calendar import constants

    known_years = {d.year for d in constants.holidays} | {d.year for d in constants.workdays}
    years = [y for y in range(first.year, last.year + 1) if y in known_years]
    if len(years) < last.year - first.year + 1:
        log.warning(
            "holiday_calendar_incomplete",
            first=first.isoformat(),
            last=last.isoformat(),
            known_until=max(known_years),
            rule="weekends only beyond it",
        )
    if not years:
        return WorkCalendar()
    wanted = set(years)
    return WorkCalendar(
        holidays=frozenset(d for d in constants.holidays if d.year in wanted and d.weekday() < 5),
        makeup_workdays=frozenset(d for d in constants.workdays if d.year in wanted and d.weekday() >= 5),
        known_from=dt.date(min(years), 1, 1),
        known_until=dt.date(max(years), 12, 31),
    )
