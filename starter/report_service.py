"""The 清零 report: figures per township, group and county, the accountability of each person
reminded, and the ledger of cases — for any past day, rebuilt from the events (docs/cli.md,
`report`)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any

from domain.actors import Actor
from domain.beijing import beijing_iso, china_midnight, china_today
from domain.campaign import CampaignSpec
from domain.report import CaseFacts, replay, summed, tally
from domain.work_calendar import working_days
from ledger.reports import ReportCase, report_cases
from starter.access import scope_of
from starter.case_service import calendar_for
from starter.context import Context

STAGE_CHANGES = frozenset({"visited", "planned", "confirmed", "closed", "reopened", "followed_up", "session"})
"""Events that answer a reminder: the step it was about was done."""


def cutoff_of(as_of: dt.date | None, now: dt.datetime) -> dt.datetime:
    """The end of that day in Beijing (the day's last moment is what it showed); now for today."""
    if as_of is None or as_of >= china_today(now):
        return now
    return china_midnight(as_of + dt.timedelta(days=1)) - dt.timedelta(microseconds=1)


def build_report(
    ctx: Context,
    actor: Actor,
    campaign: CampaignSpec,
    *,
    group: int | None = None,
    township: str | None = None,
    as_of: dt.date | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """`now` is the clock's (a time-skipping test passes the server's)."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = cutoff_of(as_of, now)
    scope = scope_of(ctx, actor)
    with ctx.sessions() as session:
        cases = report_cases(
            session, campaign=campaign.name, townships=scope, township=township, group=group, opened_by=cutoff
        )
    calendar = calendar_for(campaign, now)
    facts: list[tuple[ReportCase, CaseFacts]] = []
    for case in cases:
        replayed = replay(case.head, case.events, as_of=cutoff, campaign=campaign, calendar=calendar)
        if replayed is not None:
            facts.append((case, replayed))
    townships = [
        (chain.group, chain.township)
        for chain in ctx.roster.chains()
        if (scope is None or chain.township in scope)
        and (group is None or chain.group == group)
        and (township is None or chain.township == township)
    ]
    rows = tally((f for _c, f in facts), townships)
    groups = sorted({row.group for row in rows})
    days_left = max(0, int((campaign.clearance_deadline - cutoff).total_seconds() / 86400))
    today = china_today(cutoff)
    pace = closing_pace(
        cases,
        cutoff=cutoff,
        workdays_left=working_days(today + dt.timedelta(days=1), china_today(campaign.clearance_deadline), calendar),
        workdays_past=working_days(today - dt.timedelta(days=PACE_DAYS - 1), today, calendar),
    )
    return {
        "campaign": campaign.name,
        "as_of": beijing_iso(cutoff),
        "clearance_deadline": beijing_iso(campaign.clearance_deadline),
        "days_left": days_left,
        "townships": [
            {"group": r.group, "township": r.township, **r.counts, **pace(r.township, r.counts)} for r in rows
        ],
        "groups": [{"group": g, **summed(r for r in rows if r.group == g)} for g in groups],
        "total": summed(rows),
        "accountability": accountability(c for c, _f in facts),
        "cases": [ledger_row(case, fact) for case, fact in facts],
        "burndown": burndown(cases, cutoff=cutoff, start=campaign.reference_date),
    }


PACE_DAYS = 7


def closing_pace(cases: list[ReportCase], *, cutoff: dt.datetime, workdays_left: int, workdays_past: int) -> Any:
    """Per township: cases closed in the last 7 days, the closings per working day needed to reach
    zero by the deadline, and whether the last 7 days' rate per working day gets there."""
    since = cutoff - dt.timedelta(days=PACE_DAYS)
    recent: dict[str, int] = defaultdict(int)
    for case in cases:
        recent[case.head.township] += sum(1 for e in case.events if e.type == "closed" and since < e.at <= cutoff)

    def pace(township: str, counts: dict[str, int]) -> dict[str, Any]:
        rate = recent[township] / max(1, workdays_past)
        needed = counts["open"] / workdays_left if workdays_left else float(counts["open"])
        return {
            "closed_last_7_days": recent[township],
            "needed_per_day": round(needed, 2),
            "on_track": counts["open"] == 0 or (workdays_left > 0 and rate >= needed),
        }

    return pace


def burndown(cases: list[ReportCase], *, cutoff: dt.datetime, start: dt.date) -> list[dict[str, Any]]:
    """Open cases at the end of each day (Beijing time) from the campaign's reference date (or
    an earlier first opening) to the cutoff."""
    changes: dict[dt.date, int] = defaultdict(int)
    for case in cases:
        for event in case.events:
            if event.type in ("opened", "reopened"):
                changes[china_today(event.at)] += 1
            elif event.type == "closed":
                changes[china_today(event.at)] -= 1
    if not changes:
        return []
    day, last = min(start, min(changes)), china_today(cutoff)
    points, open_now = [], 0
    while day <= last:
        open_now += changes.get(day, 0)
        points.append({"day": day.isoformat(), "open": open_now})
        day += dt.timedelta(days=1)
    return points


def ledger_row(case: ReportCase, facts: CaseFacts) -> dict[str, Any]:
    """One line of the updated enrolment ledger the notice asks townships to keep (ID masked)."""
    return {
        "case_no": facts.case_no,
        "group": facts.group,
        "township": facts.township,
        "kind": facts.kind.value,
        "id_masked": case.id_masked,
        "stage": facts.stage.value,
        "outcome": facts.outcome.value if facts.outcome else None,
        "opened_at": beijing_iso(facts.opened_at),
        "due_at": beijing_iso(facts.due_at),
        "closed_at": beijing_iso(facts.closed_at),
        "overdue": facts.overdue,
        "escalation_level": facts.level,
        "missed_deadline": facts.missed_deadline,
        "episode": facts.episode,
        "assigned_officer": case.assigned_officer,
    }


def accountability(cases: Any) -> list[dict[str, Any]]:
    """Per person reminded: reminders by level, how long until the step was done (hours), and
    how many are still waiting."""
    levels: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    waits: dict[str, list[float]] = defaultdict(list)
    waiting: dict[str, int] = defaultdict(int)
    for case in cases:
        events = case.events
        for i, event in enumerate(events):
            if event.type != "escalated":
                continue
            done = next((later.at for later in events[i + 1 :] if later.type in STAGE_CHANGES), None)
            for person in event.payload.get("recipients") or []:
                levels[person][min(2, int(event.payload.get("level", 0)))] += 1
                if done is None:
                    waiting[person] += 1
                else:
                    waits[person].append((done - event.at).total_seconds() / 3600)
    return [
        {
            "person": person,
            "level0": counts[0],
            "level1": counts[1],
            "level2": counts[2],
            "answered": len(waits[person]),
            "median_hours": round(statistics.median(waits[person]), 1) if waits[person] else None,
            "waiting": waiting[person],
        }
        for person, counts in sorted(levels.items(), key=lambda item: (-sum(item[1]), item[0]))
    ]
