"""Beijing time: officers live in it, so every time shown to a person is in it, with its offset.

China keeps one zone, UTC+8, without daylight saving: a fixed offset is exact. Standard library
only (the officer's client formats times with it too).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")


def beijing_iso(value: dt.datetime | None) -> str | None:
    """ISO 8601 in Beijing time, `…+08:00`: the one form of a time in every JSON answer."""
    return value.astimezone(BEIJING).isoformat() if value is not None else None


def beijing_json(value: Any) -> Any:
    """A JSON-ready structure with every datetime in it as `beijing_iso` (dates stay dates)."""
    if isinstance(value, dt.datetime):
        return beijing_iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: beijing_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [beijing_json(v) for v in value]
    return value


def shown(iso: str | None, *, seconds: bool = False) -> str:
    """A time for a table: `2026-12-02 16:37+08:00`."""
    if not iso:
        return ""
    try:
        moment = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        return iso
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S+08:00" if seconds else "%Y-%m-%d %H:%M+08:00")


def china_today(now: dt.datetime) -> dt.date:
    return now.astimezone(BEIJING).date()


def china_midnight(day: dt.date) -> dt.datetime:
    """A day a person types means their own midnight."""
    return dt.datetime.combine(day, dt.time(), BEIJING)


def next_month_start(moment: dt.datetime) -> dt.date:
    """The first day of the month after `moment`'s, Beijing time."""
    local = moment.astimezone(BEIJING).date()
    return dt.date(local.year + (local.month == 12), local.month % 12 + 1, 1)


def month_end(first: dt.date, months: int) -> dt.datetime:
    """The end of the month `months` after the month starting `first`: the next month's first
    midnight, Beijing time."""
    index = first.year * 12 + first.month - 1 + months + 1
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=BEIJING)
