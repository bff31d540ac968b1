"""Monthly and termly re-checks (月报、学期复查): when each falls, who is told, what they are told.
Pure: the starter computes the dates once (it has the holiday calendar), the workflow waits for
them (docs/architecture.md, "Re-checks")."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

from domain.beijing import BEIJING, beijing_iso, shown
from domain.campaign import CampaignSpec, EscalationPolicy, Recheck
from domain.work_calendar import WorkCalendar, add_working_time

REMIND_AT = dt.time(9, 0)
"""Re-check reminders go out at 09:00 Beijing time on the day."""
NOTICE = -1
"""The level of the first reminder, on the day itself (before anything is late)."""


class RecheckDue(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    at: dt.datetime
    due: dt.datetime
    of: Literal["attendance", "schools"] = "attendance"


class TownshipLadder(BaseModel):
    """A township's chain as the roster names them, with the officer each is enrolled as (None:
    not enrolled, or enrolled twice): the top of a late school's ladder."""

    model_config = ConfigDict(frozen=True)

    township: str
    section_chief: str
    section_chief_id: int | None = None
    office_head: str = ""
    office_head_id: int | None = None
    group_leader: str = ""
    group_leader_id: int | None = None


class RecheckStart(BaseModel):
    """The re-check workflow's input: every date of the campaign's re-checks, worked out once, and
    each township's section chief (the top of a late school's ladder)."""

    model_config = ConfigDict(frozen=True)

    campaign: str
    dues: tuple[RecheckDue, ...]
    escalation: EscalationPolicy
    ladders: tuple[TownshipLadder, ...] = ()


class LateSchools(BaseModel):
    """Which schools have not reported since a re-check's month began; `listed` False: the county
    has no schools on its list, and the re-check waits for any attendance list, as before."""

    model_config = ConfigDict(frozen=True)

    listed: bool
    late: tuple[str, ...] = ()


class RecheckNotice(BaseModel):
    """One rung of a re-check: the day's reminder (level -1) or an escalation (0, 1, 2). With
    `schools`, the rung is those schools' own ladder (`ladders` their townships' chains): for a
    late attendance list level 0 the schools, 1 their townships, 2 the section chiefs; for a
    recheck not done, the day and level 0 the section chiefs, 1 the office heads, 2 the group
    leaders."""

    model_config = ConfigDict(frozen=True)

    campaign: str
    name: str
    at: dt.datetime
    due: dt.datetime
    level: int
    schools: tuple[str, ...] = ()
    ladders: tuple[TownshipLadder, ...] = ()
    of: Literal["attendance", "schools"] = "attendance"


def first_workdays(first: dt.date, last: dt.date, calendar: WorkCalendar | None) -> list[dt.date]:
    days = []
    month = first.replace(day=1)
    while month <= last:
        day = month
        while calendar is not None and not calendar.is_workday(day):
            day += dt.timedelta(days=1)
        if first <= day <= last:
            days.append(day)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return days


def recheck_dues(campaign: CampaignSpec, calendar: WorkCalendar | None) -> tuple[RecheckDue, ...]:
    """Every re-check of the campaign, from its reference date to its clearance deadline, in order."""
    last = campaign.clearance_deadline.astimezone(BEIJING).date()
    dues = []
    for recheck in campaign.rechecks:
        days = list(recheck.dates)
        if recheck.monthly == "first_workday":
            days += first_workdays(campaign.reference_date, last, calendar)
        if recheck.quarterly == "last_month":
            days += [d for d in first_workdays(campaign.reference_date, last, calendar) if d.month % 3 == 0]
        for day in sorted(set(days)):
            at = dt.datetime.combine(day, REMIND_AT, tzinfo=BEIJING)
            dues.append(RecheckDue(name=recheck.name, at=at, due=_due(at, recheck, calendar), of=recheck.of))
    return tuple(sorted(dues, key=lambda d: (d.at, d.name)))


def _due(at: dt.datetime, recheck: Recheck, calendar: WorkCalendar | None) -> dt.datetime:
    return add_working_time(at, recheck.within, calendar)


def recheck_title(level: int) -> str:
    return "控辍保学复查" if level == NOTICE else f"控辍保学复查催办（{level}级）"


def recheck_text(notice: RecheckNotice, schools: list[str] | None = None) -> str:
    """The message; `schools`: the late schools this recipient answers for."""
    when = shown(beijing_iso(notice.due))
    if schools and notice.of == "schools":
        names = "、".join(schools)
        if notice.level == NOTICE:
            return f"【控辍保学季度复核】{notice.name}：请于 {when} 前复核 {names} 报送的数据（baoxue recheck）。"
        return (
            f"【控辍保学季度复核催办（{notice.level}级）】{notice.name}：{names} 本季度应于 {when} 前复核，"
            f"至今未复核，请督办。"
        )
    if schools:
        names = "、".join(schools)
        if notice.level == 0:
            return (
                f"【控辍保学月报催办】{notice.name}：{names} 的在校生名单应于 {when} 前报送"
                f"（baoxue import attendance），至今未报送，请立即报送。"
            )
        return (
            f"【控辍保学月报催办（{notice.level}级）】{notice.name}：{names} 的在校生名单"
            f"逾期未报送（应于 {when} 前），请督促。"
        )
    if notice.level == NOTICE:
        return (
            f"【控辍保学复查】{notice.name}：请各乡镇（街道）组织学校报送最新在校生名单（学籍状态），"
            f"于 {when} 前由县教委导入（baoxue import attendance）。"
        )
    return (
        f"【控辍保学复查催办（{notice.level}级）】{notice.name}：在校生名单应于 {when} 前导入，至今未导入，请立即督办。"
    )
