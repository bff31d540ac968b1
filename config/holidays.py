"""The Chinese public-holiday calendar for a campaign, from the `chinese-calendar` package."""

from __future__ import annotations

import datetime as dt
import functools
import warnings

import structlog

from domain.work_calendar import WorkCalendar

log = structlog.get_logger("baoxue.calendar")


Arrangement = tuple[int, tuple[dt.date, ...], tuple[dt.date, ...]]
"""A year a campaign file carries: (year, days off, weekend workdays)."""


@functools.cache
def _package() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from chinese_calendar import constants
    return frozenset(constants.holidays), frozenset(constants.workdays)


def known_years(carried: tuple[int, ...] = ()) -> frozenset[int]:
    """The years whose holidays are known: the package's and those a campaign carries."""
    holidays, workdays = _package()
    return frozenset({d.year for d in holidays} | {d.year for d in workdays} | set(carried))


def unknown_years(first: dt.date, last: dt.date, carried: tuple[int, ...] = ()) -> list[int]:
    """The years first..last whose arrangement nobody knows: only weekends are off there."""
    known = known_years(carried)
    return [year for year in range(first.year, last.year + 1) if year not in known]


@functools.lru_cache(maxsize=16)
def work_calendar(first: dt.date, last: dt.date, carried: tuple[Arrangement, ...] = ()) -> WorkCalendar:
    """Holidays and make-up workdays for the years first..last that the package knows or the
    campaign carries (its years first); a warning when the range reaches past them (there only
    weekends are off). Built once per range: every opening and every report asks for it."""
    package_holidays, package_workdays = _package()
    own = {year for year, _off, _work in carried}
    missing = unknown_years(first, last, tuple(own))
    years = [y for y in range(first.year, last.year + 1) if y not in missing]
    if missing:
        log.warning(
            "holiday_calendar_incomplete",
            first=first.isoformat(),
            last=last.isoformat(),
            unknown_years=missing,
            rule="weekends only there",
        )
    if not years:
        return WorkCalendar()
    wanted = set(years) - own
    off = {d for d in package_holidays if d.year in wanted} | {d for _y, days, _w in carried for d in days}
    on = {d for d in package_workdays if d.year in wanted} | {d for _y, _o, days in carried for d in days}
    return WorkCalendar(
        holidays=frozenset(d for d in off if d.weekday() < 5),
        makeup_workdays=frozenset(d for d in on if d.weekday() >= 5),
        known_from=dt.date(min(years), 1, 1),
        known_until=dt.date(max(years), 12, 31),
    )
