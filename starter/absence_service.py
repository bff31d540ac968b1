"""A school officer reports one pupil absent: past the campaign's threshold a suspected dropout
case opens in the same request, assigned to the township's case officer, the home visit due the
same working day (docs/cli.md, `absence`)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from domain.absence import home_visit_due
from domain.actors import Actor
from domain.beijing import china_today
from domain.enums import CaseKind, Role
from domain.messages import t
from domain.parsing import check_age, check_fields, parse_id_number
from starter.access import audit
from starter.case_service import OpenRequest, open_case, prepare_opener
from starter.context import Context
from starter.errors import BadInput, Refused

ABSENCE_REASON = "absence"


@dataclass(frozen=True)
class AbsenceReport:
    id_number: str
    name: str
    days: int
    reason: str | None
    campaign: str | None


async def report_absence(ctx: Context, actor: Actor, report: AbsenceReport) -> dict[str, Any]:
    if actor.role != Role.school or not actor.school or not actor.township:
        raise Refused(t("absence_school_only", actor=actor.name))
    id_number = parse_id_number(report.id_number)
    name = report.name.strip()
    if not name:
        raise BadInput(t("bad_value", option="--name", value="''"))
    check_fields({"name": name, "reason": report.reason})
    if not 1 <= report.days <= 366:
        raise BadInput(t("bad_value", option="--days", value=str(report.days)))
    opener = await prepare_opener(ctx, report.campaign)
    campaign = opener.campaign
    now = dt.datetime.now(dt.UTC)
    check_age(CaseKind.dropout.value, id_number, reference=campaign.reference_date, today=china_today(now))
    threshold = campaign.absence_days
    detail = f"{actor.school} days={report.days}"
    if report.days < threshold:
        await asyncio.to_thread(audit, ctx, actor, "absence", "ok", detail=f"{detail} below={threshold}")
        return {"opened": False, "case_no": None, "threshold": threshold}
    intake = {"school": actor.school, "reason": report.reason or t("absence_intake", days=report.days)}
    request = OpenRequest(
        CaseKind.dropout, id_number, name, actor.township, campaign.name, intake, reason=ABSENCE_REASON,
        first_due_at=home_visit_due(now, opener.calendar, campaign.absence), school=actor.school,
    )  # fmt: skip
    result = await open_case(ctx, actor, request, opener, reported=True)
    await asyncio.to_thread(audit, ctx, actor, "absence", "ok", detail=f"{detail} case={result.case_no}")
    return {"opened": result.created, "case_no": result.case_no, "threshold": threshold}
