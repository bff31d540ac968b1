"""When a stage is due. Pure: the workflow calls it once when a stage begins and keeps the answer."""

from __future__ import annotations

import datetime as dt

CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def china_today(now: dt.datetime) -> dt.date:
    return now.astimezone(CHINA).date()


def due_after(start: dt.datetime, duration: dt.timedelta | None) -> dt.datetime | None:
    if duration is None:
        return None
    return start + duration
