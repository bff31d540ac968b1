"""The county's schools: the administrator adds them; every officer reads those of their scope."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Ctx, signed_in
from domain.actors import Actor
from domain.enums import Role
from domain.messages import t
from domain.parsing import parse_choice
from domain.reporting import CheckKind
from ledger.models import School
from ledger.schools import list_schools, save_schools
from starter.absence_service import AbsenceReport, report_absence
from starter.access import audit, require_role, scope_of
from starter.errors import BadInput
from starter.register_files import SPREADSHEET_SUFFIXES
from starter.reporting_service import reporting
from starter.school_check_service import MAX_DISCREPANCIES, CheckReport, Discrepancy, record_school_check
from starter.school_service import read_school_list, school_entry
from starter.session_report_service import sessions_report

router = APIRouter(prefix="/api")
SignedIn = Annotated[Actor, Depends(signed_in)]


class AbsenceBody(BaseModel):
    id_number: str = Field(max_length=64)
    name: str = Field(max_length=200)
    days: int
    reason: str | None = Field(default=None, max_length=4000)
    campaign: str | None = Field(default=None, max_length=64)


class SchoolBody(BaseModel):
    name: str = Field(max_length=200)
    township: str = Field(max_length=64)
    stage: str | None = Field(default=None, max_length=32)


def _shown(school: School) -> dict[str, Any]:
    return {"name": school.name, "township": school.township, "stage": school.stage}


@router.post("/schools")
def add_school(body: SchoolBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    require_role(ctx, actor, "school_add", Role.admin)
    entry = school_entry(ctx.roster, name=body.name, township=body.township, stage=body.stage)
    with ctx.sessions.begin() as session:
        added, _updated = save_schools(session, [entry], added_by=actor.name)
    audit(ctx, actor, "school_add", "ok", detail=f"{entry.name}@{entry.township}")
    return {"name": entry.name, "township": entry.township, "stage": entry.stage, "added": bool(added)}


@router.post("/schools/import")
async def import_schools(request: Request, ctx: Ctx, actor: SignedIn, file_name: str) -> dict[str, Any]:
    """A list of schools (学校名称, 乡镇（街道）, 学段) as the request body, xlsx or csv."""
    await run_in_threadpool(require_role, ctx, actor, "school_import", Role.admin)
    body = await request.body()

    suffix = Path(file_name).suffix.lower()
    if suffix not in {*SPREADSHEET_SUFFIXES, ".csv", ".txt"}:
        raise BadInput(t("register_unreadable", file=repr(file_name)[:80], detail="xlsx / csv"))

    def imported() -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"schools{suffix}"
            path.write_bytes(body)
            found = read_school_list(path, ctx.roster)
        with ctx.sessions.begin() as session:
            added, updated = save_schools(session, found.entries, added_by=actor.name) if found.entries else (0, 0)
        audit(ctx, actor, "school_import", "ok", detail=f"added={added} updated={updated}")
        return {"file": Path(file_name).name[:255], "added": added, "updated": updated, "rejected": found.rejected}

    return await run_in_threadpool(imported)


@router.get("/schools")
def schools(ctx: Ctx, actor: SignedIn) -> list[dict[str, Any]]:
    """The schools of the reader's scope (the administrator and county: all of them)."""
    scope = None if actor.role == Role.admin else scope_of(ctx, actor)
    with ctx.sessions() as session:
        found = list_schools(session, townships=scope if actor.role != Role.school else None)
    if actor.role == Role.school:
        found = [school for school in found if school.name == actor.school]
    return [_shown(school) for school in found]


@router.post("/absences")
async def absence(body: AbsenceBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """A school officer reports one pupil absent `days` days: past the campaign's threshold a
    suspected dropout case opens in this request (docs/cli.md, `absence`)."""
    report = AbsenceReport(body.id_number, body.name, body.days, body.reason, body.campaign)
    return await report_absence(ctx, actor, report)


class RecheckPupil(BaseModel):
    id_number: str = Field(max_length=64)
    name: str = Field(max_length=200)
    note: str | None = Field(default=None, max_length=4000)


class RecheckBody(BaseModel):
    school: str = Field(max_length=200)
    kind: str = Field(default="quarterly", max_length=16)
    sampled: int
    discrepancies: list[RecheckPupil] = Field(default_factory=list, max_length=MAX_DISCREPANCIES)
    note: str | None = Field(default=None, max_length=4000)
    campaign: str | None = Field(default=None, max_length=64)


@router.get("/reporting")
def reporting_(
    ctx: Ctx, actor: SignedIn, month: str | None = None, township: str | None = None, campaign: str | None = None
) -> dict[str, Any]:
    """一月一报告: each school of the reader's scope, reported that month or not (docs/cli.md, `reporting`)."""
    return reporting(ctx, actor, month=month, township=township, campaign=campaign)


@router.post("/rechecks")
async def recheck(body: RecheckBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """一季度一复核 (or a term-start visit) recorded; each discrepancy opens a case with reason `recheck`."""
    kind = parse_choice(CheckKind, body.kind, "--kind")
    assert kind is not None
    pupils = tuple(Discrepancy(p.id_number, p.name, p.note) for p in body.discrepancies)
    report = CheckReport(body.school, kind, body.sampled, pupils, body.note, body.campaign)
    return await record_school_check(ctx, actor, report)


@router.get("/sessions")
def sessions_(
    ctx: Ctx, actor: SignedIn, month: str | None = None, township: str | None = None, campaign: str | None = None
) -> dict[str, Any]:
    """送教上门 month by month: each watched case's sessions owed and held (docs/cli.md, `sessions`)."""
    return sessions_report(ctx, actor, month=month, township=township, campaign=campaign)
