"""`baoxue sessions`: one month's 送教上门 per case — sessions owed, held, class hours — against the
campaign's rule and its source (docs/cli.md, `sessions`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from domain.actors import Actor
from domain.beijing import BEIJING
from domain.enums import Role
from domain.reporting import month_window
from ledger.session_reports import month_sessions
from starter.access import require_township_access, scope_of
from starter.case_service import resolve_campaign
from starter.context import Context
from starter.reporting_service import month_asked


def sessions_report(
    ctx: Context, actor: Actor, *, month: str | None, township: str | None, campaign: str | None
) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    chosen = month_asked(month, now)
    spec = resolve_campaign(ctx, campaign)
    canonical = ctx.chain(township).township if township else None
    if canonical is not None and actor.role != Role.admin:
        require_township_access(ctx, actor, canonical, "sessions")
    scope = None if actor.role == Role.admin else scope_of(ctx, actor)
    if canonical is not None:
        scope = frozenset({canonical})
    since, until = month_window(*chosen)
    first, last = since.date(), (until - dt.timedelta(days=1)).astimezone(BEIJING).date()
    with ctx.sessions() as session:
        found = month_sessions(session, campaign=spec.name, first=first, last=last, townships=scope)
    if actor.role == Role.school:
        found = [row for row in found if row.school == actor.school]
    rule = spec.home_delivery
    over = now >= until
    return {
        "month": f"{chosen[0]:04d}-{chosen[1]:02d}",
        "campaign": spec.name,
        "rule": rule.model_dump() if rule else None,
        "cases": [
            {
                "case_no": row.case_no,
                "township": row.township,
                "school": row.school,
                "required": row.per_month,
                "held": row.held,
                "hours": row.hours,
                "short": over and row.held < row.per_month,
            }
            for row in found
        ],
    }
