"""The escalation ladder (docs/architecture.md, "Escalation"), as pure functions of the stage's
due time and the policy."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from domain.campaign import EscalationPolicy
from domain.case import CaseState
from domain.enums import Role
from domain.signing import OfficerKey
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


Recipient = tuple[str, int | None]
"""A person told: the name the reminder shows and the officer id it is delivered to."""


def recipients(level: int, state: CaseState, officers: Iterable[OfficerKey]) -> list[Recipient]:
    """Who is told at a level, by officer id. An unassigned case's level 0 goes to every case
    officer of the township, which only the ledger knows: the projection expands the empty list.
    A case recorded before ids were kept finds each person's id in its signed registry snapshot:
    the one officer of that name in that role (and township, for the assignee), else none."""
    chain = state.chain
    if level == 0:
        if not state.assigned_officer:
            return []
        known = state.assigned_officer_id
        return [
            (
                state.assigned_officer,
                known or _only(officers, state.assigned_officer, Role.case_officer, state.township),
            )
        ]
    roles = (Role.section_chief, Role.office_head) if level == 1 else (Role.group_leader,)
    told = []
    for role in roles:
        name, known = chain.person(role)
        told.append((name, known or _only(officers, name, role, None)))
    return told


def receiving_leads(township: str, officers: Iterable[OfficerKey]) -> list[Recipient]:
    """A township's lead (its case officers where it has none) from the case's registry snapshot:
    who is told at level 0 that a transfer to that township waits for its answer."""
    present = [o for o in officers if o.public_key and o.township == township and o.id is not None]
    leads = [(o.name, o.id) for o in present if o.role == Role.township_lead]
    return leads or [(o.name, o.id) for o in present if o.role == Role.case_officer]


def _only(officers: Iterable[OfficerKey], name: str, role: Role, township: str | None) -> int | None:
    ids = {
        o.id
        for o in officers
        if o.name == name and o.role == role and o.public_key and (township is None or o.township == township)
    }
    return ids.pop() if len(ids) == 1 else None
