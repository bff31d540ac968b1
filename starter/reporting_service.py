"""`baoxue reporting`: one month's grid of schools — reported or not, when, by whom, rows, the
cases of its pupils opened that month — and each school's recheck in the quarter, within the
reader's scope (docs/cli.md, `reporting`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.actors import Actor
from domain.beijing import BEIJING, beijing_iso
from domain.enums import Role
from domain.messages import t
from domain.rechecks import recheck_dues
from domain.reporting import CheckKind, month_of, month_window, parse_month, quarter_of, quarter_window, term_of
from domain.text import visible
from ledger.models import School
from ledger.school_reports import school_cases_opened, school_checks, school_reports
from ledger.schools import list_schools
from starter.access import require_township_access, scope_of
from starter.case_service import calendar_for, resolve_campaign
from starter.context import Context
from starter.errors import BadInput


def schools_in_scope(ctx: Context, actor: Actor, township: str | None) -> list[School]:
    """The schools the reader may see (a school officer: their own), of one township if named."""
    canonical = ctx.chain(township).township if township else None
    if canonical is not None and actor.role != Role.admin:
        require_township_access(ctx, actor, canonical, "reporting")
    scope = None if actor.role in (Role.admin, Role.school) else scope_of(ctx, actor)
    with ctx.sessions() as session:
        schools = list_schools(session, townships=scope)
    if actor.role == Role.school:
        schools = [s for s in schools if s.name == actor.school]
    return [s for s in schools if canonical is None or s.township == canonical]


TERM_REACH = dt.timedelta(days=200)
"""How far back a term-start visit of the month's term may lie (a term is at most six months)."""


def month_asked(month: str | None, now: dt.datetime) -> tuple[int, int]:
    """The month of `--month YYYY-MM`, this month (Beijing time) when not given; exit 2 otherwise."""
    chosen = parse_month(month) if month else parse_month(month_of(now))
    if chosen is None:
        raise BadInput(t("bad_value", option="--month", value=f"{visible(month or '')[:16]} (YYYY-MM)"))
    return chosen


def reporting(
    ctx: Context, actor: Actor, *, month: str | None, township: str | None, campaign: str | None
) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    chosen = month_asked(month, now)
    spec = resolve_campaign(ctx, campaign)
    since, until = month_window(*chosen)
    quarter = quarter_of(since)
    q_since, q_until = quarter_window(int(quarter[:4]), int(quarter[-1]))
    schools = schools_in_scope(ctx, actor, township)
    with ctx.sessions() as session:
        reports = school_reports(session, campaign=spec.name, schools=schools, since=since, until=until)
        opened = school_cases_opened(session, campaign=spec.name, since=since, until=until)
        checks = school_checks(session, campaign=spec.name, since=min(q_since, since - TERM_REACH), until=q_until)
    dues = recheck_dues(spec, calendar_for(spec, now))
    due = next((d.due for d in dues if d.of == "attendance" and since <= d.at < until), None)
    check_due = next((d.due for d in dues if d.of == "schools" and q_since <= d.at < q_until), None)
    rechecked = {
        c.school: c
        for c in checks
        if c.kind == CheckKind.quarterly.value and q_since <= c.checked_at.astimezone(BEIJING) < q_until
    }
    term = term_of(since)
    visited = {
        c.school: c
        for c in checks
        if c.kind == CheckKind.term_start.value and c.period == term and c.checked_at < until
    }
    rows = []
    for school in schools:
        seen = reports.get(school.name)
        check = rechecked.get(school.name)
        rows.append(
            {
                "school": school.name,
                "township": school.township,
                "reported": seen is not None,
                "at": beijing_iso(seen.at) if seen else None,
                "by": seen.by if seen else None,
                "rows": seen.rows if seen else None,
                "suspects": opened.get(school.name, 0),
                "scope": seen.scope if seen else None,
                "late": seen is None and due is not None and now > due,
                "rechecked": beijing_iso(check.checked_at) if check else None,
                "discrepancies": check.discrepancies if check else None,
                "recheck_late": check is None and check_due is not None and now > check_due,
                "term_visit": beijing_iso(visited[school.name].checked_at) if school.name in visited else None,
            }
        )
    return {
        "month": f"{chosen[0]:04d}-{chosen[1]:02d}",
        "campaign": spec.name,
        "due": beijing_iso(due),
        "quarter": quarter,
        "recheck_due": beijing_iso(check_due),
        "term": term,
        "schools": rows,
    }
