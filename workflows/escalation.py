"""The escalation ladder (docs/architecture.md, "Escalation"), as pure functions of the stage's
due time and the policy."""

from __future__ import annotations

import datetime as dt
import hashlib

from domain.actors import Chain
from domain.campaign import EscalationPolicy
from domain.work_calendar import WorkCalendar, add_working_time

TOP_LEVEL = 2


def rung(
    due: dt.datetime, policy: EscalationPolicy, n: int, calendar: WorkCalendar | None, *, bounded: bool = False
) -> tuple[dt.datetime, int] | None:
    """The n-th reminder of a stage: at due (level 0), level1_after past due (1), level2_after past
    due (2), then level 2 again every repeat_every. `bounded` (cases started since the ladder got
    an end): repeats count working time and stop after repeat_max — None, the ladder is done."""
    if n == 0:
        return due, 0
    if n == 1:
        return add_working_time(due, policy.level1_after, calendar), 1
    top = add_working_time(due, policy.level2_after, calendar)
    if not bounded:
        return top + policy.repeat_every * (n - 2), TOP_LEVEL
    if n - 2 > policy.repeat_max:
        return None
    return add_working_time(top, policy.repeat_every * (n - 2), calendar), TOP_LEVEL


DEADLINE_SPREAD = dt.timedelta(minutes=3)


def deadline_spread(case_id: str) -> dt.timedelta:
    """Every open case escalates at the clearance deadline; spread over three minutes (fixed per case,
    so replays agree) they do not all wake, project and deliver in the same second; all are done
    well within five minutes."""
    offset = int(hashlib.sha256(case_id.encode()).hexdigest()[:8], 16)
    return dt.timedelta(seconds=offset % int(DEADLINE_SPREAD.total_seconds()))


def recipients(level: int, chain: Chain, assigned_officer: str | None) -> list[str]:
    """Who is told at a level. An unassigned case's level 0 goes to every case officer of the
    township, which only the ledger knows: the projection expands the empty list."""
    if level == 0:
        return [assigned_officer] if assigned_officer else []
    if level == 1:
        return [chain.section_chief, chain.office_head]
    return [chain.group_leader]
