"""An officer's daily digest (`baoxue notify --digest HH:MM`): one message at a time they pick,
listing every case due or overdue for them, grouped by township (docs/architecture.md,
"Reminders people can live with"). Standard library and pydantic only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from domain.beijing import BEIJING

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
OFF_WORDS = ("off", "关闭", "关")


def parse_digest_time(value: str) -> str | None:
    """`HH:MM` (Beijing time) as given, `off`/关闭 as None; anything else a ValueError."""
    text = value.strip()
    if text.lower() in OFF_WORDS:
        return None
    if len(text) == 4 and text[1] == ":":
        text = "0" + text
    if not _TIME.match(text):
        raise ValueError(value)
    return text


def next_digest_at(now: dt.datetime, at: str) -> dt.datetime:
    """The next moment after `now` that is `at` o'clock in Beijing."""
    hour, minute = (int(part) for part in at.split(":"))
    local = now.astimezone(BEIJING)
    today = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return today if today > local else today + dt.timedelta(days=1)


class DigestStart(BaseModel):
    """The input of an officer's digest workflow (`digest-<officer id>`)."""

    model_config = ConfigDict(frozen=True)

    officer_id: int
    at: str


class DigestDay(BaseModel):
    """One day's digest of one officer: the day (Beijing) it is for."""

    model_config = ConfigDict(frozen=True)

    officer_id: int
    day: dt.date
    at: dt.datetime
    """The digest's moment: how late each case is, is counted to it (not to when it is sent)."""


@dataclass(frozen=True)
class DueCase:
    case_no: str
    township: str
    stage_name: str
    due_at: dt.datetime


def digest_text(name: str, day: dt.date, cases: Iterable[DueCase], *, now: dt.datetime) -> str:
    """The digest: a heading with the count, then one line a township, its cases by due time."""
    from domain.reminders import DIGEST_TITLE, how_late

    listed = sorted(cases, key=lambda c: (c.township, c.due_at, c.case_no))
    towns: dict[str, list[DueCase]] = {}
    for case in listed:
        towns.setdefault(case.township, []).append(case)
    lines = [f"【{DIGEST_TITLE}】{day.isoformat()} {name}：到期或逾期未办的案件 {len(listed)} 件"]
    for township, cases_here in towns.items():
        items = []
        for case in cases_here:
            late = int((now - case.due_at).total_seconds())
            when = how_late(late) if late >= 0 else "今日到期"
            items.append(f"{case.case_no} {case.stage_name} {when}")
        lines.append(f"{township}（{len(cases_here)} 件）：" + "；".join(items))
    lines.append("请用 baoxue cases --overdue 查看，逐案办理。")
    return "\n".join(lines)
