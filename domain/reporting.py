"""一月一报告、一季度一复核: the month a school's report belongs to, the quarter a recheck does.
Pure: the starter asks the ledger for what happened inside these windows (docs/architecture.md,
"Schools and their reports")."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from domain.beijing import BEIJING

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def parse_month(text: str) -> tuple[int, int] | None:
    """`2026-12` → (2026, 12); None for anything else."""
    found = _MONTH.match(text.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12:
        return None
    return int(found.group(1)), int(found.group(2))


def month_of(moment: dt.datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m")


def month_window(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    """From the first midnight of the month to the first of the next, Beijing time."""
    start = dt.datetime(year, month, 1, tzinfo=BEIJING)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=BEIJING)
    return start, end


def quarter_of(moment: dt.datetime) -> str:
    """`2026Q4`: the quarter of a moment, Beijing time."""
    local = moment.astimezone(BEIJING)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def parse_quarter(text: str) -> tuple[int, int] | None:
    found = _QUARTER.match(text.strip())
    return (int(found.group(1)), int(found.group(2))) if found else None


def quarter_window(year: int, quarter: int) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime(year, 3 * quarter - 2, 1, tzinfo=BEIJING)
    end = dt.datetime(year + (quarter == 4), (3 * quarter) % 12 + 1, 1, tzinfo=BEIJING)
    return start, end


def term_of(moment: dt.datetime) -> str:
    """`2027春` (February–July) or `2026秋` (August–January, the school year's first term)."""
    local = moment.astimezone(BEIJING)
    if 2 <= local.month <= 7:
        return f"{local.year}春"
    return f"{local.year if local.month >= 8 else local.year - 1}秋"


class CheckKind(StrEnum):
    quarterly = "quarterly"
    """一季度一复核: the county rechecks a school's reported figures."""
    term_start = "term_start"
    """开学初: the county's field visit to schools and homes at each term's start."""


def check_period(kind: CheckKind, moment: dt.datetime) -> str:
    return quarter_of(moment) if kind == CheckKind.quarterly else term_of(moment)
