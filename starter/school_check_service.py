"""一季度一复核: the county records its recheck of a school's reported figures (or a term-start
field visit) — who, when, pupils sampled — and each discrepancy, a pupil the school's report has
wrong, becomes a suspected dropout case with reason `recheck` (docs/cli.md, `recheck`)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from domain.actors import Actor
from domain.beijing import beijing_iso, china_today
from domain.enums import CaseKind, Role
from domain.messages import t
from domain.parsing import check_age, check_fields, parse_id_number
from domain.reporting import CheckKind, check_period
from domain.schools import school_name
from domain.text import visible
from ledger.models import SchoolCheck
from ledger.school_reports import find_school
from starter.access import audit, refuse, require_township_access
from starter.case_service import OpenRequest, open_case, prepare_opener
from starter.context import Context
from starter.errors import BadInput

RECHECK_REASON = "recheck"
MAX_DISCREPANCIES = 500
COUNTY_ROLES = (Role.county, Role.section_chief, Role.office_head, Role.group_leader)


@dataclass(frozen=True)
class Discrepancy:
    id_number: str
    name: str
    note: str | None = None


@dataclass(frozen=True)
class CheckReport:
    school: str
    kind: CheckKind
    sampled: int
    discrepancies: tuple[Discrepancy, ...]
    note: str | None
    campaign: str | None


async def record_school_check(ctx: Context, actor: Actor, report: CheckReport) -> dict[str, Any]:
    """Every discrepancy is checked before anything is opened or recorded; opening is idempotent
    (a pupil with an open case is found, not opened twice), so a retried recheck records once more
    with the same cases."""
    school = await asyncio.to_thread(_school_in_scope, ctx, actor, report.school)
    if not 0 <= report.sampled <= 100_000 or report.sampled < len(report.discrepancies):
        raise BadInput(t("recheck_sampled", sampled=report.sampled, found=len(report.discrepancies)))
    if len(report.discrepancies) > MAX_DISCREPANCIES:
        raise BadInput(t("recheck_too_many", limit=MAX_DISCREPANCIES))
    check_fields({"note": report.note})
    opener = await prepare_opener(ctx, report.campaign)
    campaign = opener.campaign
    now = dt.datetime.now(dt.UTC)
    pupils = []
    for at, found in enumerate(report.discrepancies, start=1):
        try:
            id_number = parse_id_number(found.id_number)
            name = "".join(found.name.split())
            if not name:
                raise BadInput(t("bad_value", option="姓名", value="''"))
            check_fields({"name": name, "note": found.note})
            check_age(CaseKind.dropout.value, id_number, reference=campaign.reference_date, today=china_today(now))
        except BadInput as error:
            raise BadInput(t("recheck_bad_pupil", row=at, error=str(error))) from None
        pupils.append((id_number, name, found.note))
    period = check_period(report.kind, now)
    opened: list[str] = []
    found_open: list[str] = []
    for id_number, name, note in pupils:
        intake = {"school": school.name, "recheck": period, "reason": note or t("recheck_intake", period=period)}
        request = OpenRequest(
            CaseKind.dropout, id_number, name, school.township, campaign.name, intake, reason=RECHECK_REASON,
            school=school.name,
        )  # fmt: skip
        result = await open_case(ctx, actor, request, opener)
        (opened if result.created else found_open).append(result.case_no)

    def recorded() -> SchoolCheck:
        with ctx.sessions.begin() as session:
            check = SchoolCheck(
                campaign=campaign.name,
                school=school.name,
                township=school.township,
                kind=report.kind.value,
                period=period,
                checked_at=now,
                checked_by=actor.name,
                checked_by_id=actor.id,
                sampled=report.sampled,
                discrepancies=len(pupils),
                cases=[*opened, *found_open],
                note_enc=ctx.cipher.encrypt_json(report.note, context="school-check") if report.note else None,
            )
            session.add(check)
            session.flush()
            session.expunge(check)
        detail = f"{school.name} {report.kind.value} {period} sampled={report.sampled} found={len(pupils)}"
        audit(ctx, actor, "recheck", "ok", detail=detail)
        return check

    check = await asyncio.to_thread(recorded)
    return {
        "recheck": check.id,
        "school": school.name,
        "township": school.township,
        "kind": report.kind.value,
        "period": period,
        "at": beijing_iso(now),
        "by": actor.name,
        "sampled": report.sampled,
        "discrepancies": len(pupils),
        "opened": opened,
        "already_open": found_open,
        "campaign": campaign.name,
    }


def _school_in_scope(ctx: Context, actor: Actor, name: str) -> Any:
    if actor.role not in COUNTY_ROLES:
        raise refuse(ctx, actor, "recheck", None, t("recheck_county_only", actor=actor.name))
    with ctx.sessions() as session:
        school = find_school(session, school_name(name))
        if school is not None:
            session.expunge(school)
    if school is None:
        raise BadInput(t("unknown_school", name=visible(name)[:80]))
    require_township_access(ctx, actor, school.township, "recheck")
    return school
