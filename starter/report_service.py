"""The 清零 report: figures per township, group and county, the accountability of each person
reminded, and the ledger of cases — for any past day, rebuilt from the events (docs/cli.md,
`report`)."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.actors import Actor
from domain.beijing import beijing_iso, china_midnight, china_today
from domain.campaign import CampaignSpec
from domain.enums import GOVERNMENT_ROLES, ExcludeReason, Outcome, Stage
from domain.labels import label
from domain.report import CaseFacts, summed, tally
from domain.work_calendar import working_days
from ledger.models import Officer
from ledger.reports import ReportCase, report_cases
from starter.access import scope_of
from starter.case_service import calendar_for
from starter.context import Context
from starter.report_digests import CaseDigest
from starter.supervision_service import supervision_record


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
    summary_only: bool = False,
) -> dict[str, Any]:
    """`now` is the clock's (a time-skipping test passes the server's). `summary_only` leaves out
    the case lines, the accountability and the burn-down (the overview page shows none of them)."""
    now = now or dt.datetime.now(dt.UTC)
    cutoff = cutoff_of(as_of, now)
    past = cutoff != now
    scope = scope_of(ctx, actor)
    calendar = calendar_for(campaign, now)
    with ctx.sessions() as session:
        cases = report_cases(
            session,
            campaign=campaign.name,
            townships=scope,
            township=township,
            group=group,
            cutoff=cutoff if past else None,
        )
        digests = ctx.report_digests.digests(session, cases, campaign=campaign, calendar=calendar)
        government = government_line(session)
    overdue = [d.facts.overdue_at(cutoff) for _c, d in digests]
    townships = [
        (chain.group, chain.township)
        for chain in ctx.roster.chains()
        if (scope is None or chain.township in scope)
        and (group is None or chain.group == group)
        and (township is None or chain.township == township)
    ]
    rows = tally(zip((d.facts for _c, d in digests), overdue, strict=True), townships)
    groups = sorted({row.group for row in rows})
    days_left = max(0, int((campaign.clearance_deadline - cutoff).total_seconds() / 86400))
    today = china_today(cutoff)
    pace = closing_pace(
        digests,
        cutoff=cutoff,
        workdays_left=working_days(today + dt.timedelta(days=1), china_today(campaign.clearance_deadline), calendar),
        workdays_past=working_days(today - dt.timedelta(days=PACE_DAYS - 1), today, calendar),
    )
    summary = {
        "campaign": campaign.name,
        "unit": reporting_unit(ctx, actor, township=township, group=group),
        "as_of": beijing_iso(cutoff),
        "clearance_deadline": beijing_iso(campaign.clearance_deadline),
        "days_left": days_left,
        "townships": [
            {
                "group": r.group,
                "township": r.township,
                **r.counts,
                **pace(r.township, r.counts),
                "government_line": government.get(r.township, []),
            }
            for r in rows
        ],
        "groups": [{"group": g, **summed(r for r in rows if r.group == g)} for g in groups],
        "total": summed(rows),
        "exclusions": exclusions(d.facts for _c, d in digests),
    }
    if summary_only:
        return summary
    return {
        **summary,
        "accountability": accountability(d for _c, d in digests),
        "cases": [
            {**d.row, "id_masked": c.id_masked, "overdue": late, "assigned_officer": c.assigned_officer}
            for (c, d), late in zip(digests, overdue, strict=True)
            if d.facts.outcome != Outcome.merged  # the kept case stands for the child
        ],
        "poverty_risk": [
            {**d.row, "id_masked": c.id_masked, "overdue": late, "assigned_officer": c.assigned_officer}
            for (c, d), late in zip(digests, overdue, strict=True)
            if c.poverty_risk
        ],
        "burndown": burndown((d for _c, d in digests), cutoff=cutoff, start=campaign.reference_date),
        "supervision": supervision_record(ctx, actor, campaign.name),
        "village_coverage": village_coverage(d.facts for _c, d in digests),
    }


def government_line(session: Session) -> dict[str, list[str]]:
    """Each township's government line (双线责任: 乡镇分管领导, 村干部), as its report line names it."""
    found: dict[str, list[str]] = {}
    rows = session.execute(
        select(Officer.township, Officer.name, Officer.role)
        .where(Officer.role.in_([role.value for role in GOVERNMENT_ROLES]), Officer.revoked_at.is_(None))
        .order_by(Officer.township, Officer.role.desc(), Officer.name)
    )
    for township, name, role in rows:
        found.setdefault(township or "", []).append(f"{name}（{label('role', role)}）")
    return found


def reporting_unit(ctx: Context, actor: Actor, *, township: str | None, group: int | None) -> str:
    """填报单位: the township or group the figures are of, else the reader's own township, else the
    county (the roster's name for it)."""
    county = ctx.roster.county
    if township:
        return f"{county}{township}"
    if group is not None:
        return f"{county}第{group}组"
    scope = scope_of(ctx, actor)
    if scope is not None and len(scope) == 1:
        return f"{county}{next(iter(scope))}"
    return county


def village_coverage(cases: Iterable[CaseFacts]) -> list[dict[str, Any]]:
    """Per township, the villages its home visits were made in and the households visited (cases
    with a home visit; a case merged away is the kept case's)."""
    found: dict[str, dict[str, Any]] = {}
    for facts in cases:
        if not facts.visited or facts.outcome == Outcome.merged:
            continue
        row = found.setdefault(
            facts.township, {"group": facts.group, "township": facts.township, "villages": set(), "households": 0}
        )
        row["households"] += 1
        row["villages"] |= facts.visited_villages
    return [
        {
            "group": row["group"],
            "township": row["township"],
            "villages_visited": len(row["villages"]),
            "households_visited": row["households"],
            "villages": sorted(row["villages"]),
        }
        for row in sorted(found.values(), key=lambda r: (r["group"], r["township"]))
    ]


def exclusions(cases: Iterable[CaseFacts]) -> dict[str, int]:
    """Closed exclusions by reason (every reason listed, zeros too): what 清零 counts as excluded."""
    counted = Counter(
        facts.exclude_reason or ExcludeReason.other.value
        for facts in cases
        if facts.stage == Stage.closed and facts.outcome == Outcome.excluded
    )
    return {reason.value: counted.get(reason.value, 0) for reason in ExcludeReason}


PACE_DAYS = 7
Digested = list[tuple[ReportCase, CaseDigest]]


def closing_pace(digests: Digested, *, cutoff: dt.datetime, workdays_left: int, workdays_past: int) -> Any:
    """Per township: cases closed in the last 7 days, the closings per working day needed to reach
    zero by the deadline, and whether the last 7 days' rate per working day gets there."""
    since = cutoff - dt.timedelta(days=PACE_DAYS)
    recent: dict[str, int] = defaultdict(int)
    for case, digested in digests:
        recent[case.head.township] += sum(1 for at in digested.closings if since < at <= cutoff)

    def pace(township: str, counts: dict[str, int]) -> dict[str, Any]:
        rate = recent[township] / max(1, workdays_past)
        needed = counts["open"] / workdays_left if workdays_left else float(counts["open"])
        return {
            "closed_last_7_days": recent[township],
            "needed_per_day": round(needed, 2),
            "on_track": counts["open"] == 0 or (workdays_left > 0 and rate >= needed),
        }

    return pace


def burndown(digests: Iterable[CaseDigest], *, cutoff: dt.datetime, start: dt.date) -> list[dict[str, Any]]:
    """Open cases at the end of each day (Beijing time) from the campaign's reference date (or
    an earlier first opening) to the cutoff."""
    changes: dict[dt.date, int] = defaultdict(int)
    for digested in digests:
        for day, change in digested.open_changes:
            changes[day] += change
    if not changes:
        return []
    day, last = min(start, min(changes)), china_today(cutoff)
    points, open_now = [], 0
    while day <= last:
        open_now += changes.get(day, 0)
        points.append({"day": day.isoformat(), "open": open_now})
        day += dt.timedelta(days=1)
    return points


def accountability(digests: Iterable[CaseDigest]) -> list[dict[str, Any]]:
    """Per person reminded: reminders by level, how long until the step was done (hours), and
    how many are still waiting."""
    levels: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    waits: dict[str, list[float]] = defaultdict(list)
    waiting: dict[str, int] = defaultdict(int)
    for digested in digests:
        for reminder in digested.reminders:
            for person in reminder.recipients:
                levels[person][reminder.level] += 1
                if reminder.answered_at is None:
                    waiting[person] += 1
                else:
                    waits[person].append((reminder.answered_at - reminder.at).total_seconds() / 3600)
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
