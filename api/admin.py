"""Administration on the server: campaigns, the roster, registers, discovery, retention."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.auth import Ctx, signed_in
from config.campaign_files import CampaignFileError, load_campaign_file
from domain.actors import Actor
from domain.beijing import beijing_json
from domain.campaign import CampaignSpec
from domain.enums import Role
from domain.messages import t
from domain.parsing import parse_choice
from domain.register_scopes import FileScope
from domain.registers import RegisterKind
from ledger.campaigns import add_missing_campaigns, current_campaign, list_campaigns, upsert_campaign
from ledger.retention import anonymise
from starter.access import audit, require_role, require_township_access, scope_of
from starter.case_service import calendar_note, reload_roster, resolve_campaign
from starter.contained_import import contained_import
from starter.context import Context
from starter.discovery_service import (
    DISCOVERY_ACTOR,
    Progress,
    apply_discovery,
    discover,
    write_suspect_list,
)
from starter.errors import BadInput, NotFound
from starter.import_scope import import_scope
from starter.rechecks import start_rechecks
from starter.register_files import RegisterFileError

router = APIRouter(prefix="/api")
SignedIn = Annotated[Actor, Depends(signed_in)]


class CampaignBody(BaseModel):
    file_name: str
    text: str


class DiscoverBody(BaseModel):
    campaign: str | None = None
    township: str | None = None
    apply: bool = False
    concurrency: int = Field(default=8, ge=1, le=64)
    follow: bool = False
    """Answer at once with a job the client follows (GET /api/jobs/{id}) instead of the result."""


class VerifyBody(BaseModel):
    repair: bool = False
    cases: list[str] = []


class RetentionBody(BaseModel):
    older_than: int | None = Field(default=None, ge=0, le=36_500)
    dry_run: bool = False


@router.get("/campaigns")
def campaigns(ctx: Ctx, actor: SignedIn) -> list[dict[str, Any]]:
    with ctx.sessions.begin() as session:
        add_missing_campaigns(session, specs=ctx.shipped_campaigns.current().specs)
        specs = list_campaigns(session)
        current = current_campaign(session, now=dt.datetime.now(dt.UTC))
    return [
        {**beijing_json(spec.model_dump()), "current": current is not None and spec.name == current.name}
        for spec in specs
    ]


@router.post("/campaigns")
async def add_campaign(body: CampaignBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    await run_in_threadpool(require_role, ctx, actor, "campaign_add", Role.admin)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(body.file_name).name
        path.write_text(body.text, encoding="utf-8")
        try:
            spec = load_campaign_file(path)
        except CampaignFileError as error:
            raise BadInput(t("campaign_file_bad", detail=error)) from None

    def stored() -> None:
        with ctx.sessions.begin() as session:
            upsert_campaign(session, spec=spec)

    await run_in_threadpool(stored)
    rechecks = await start_rechecks(ctx, spec, replace=True)
    await run_in_threadpool(audit, ctx, actor, "campaign_add", "ok", detail=spec.name)
    return {
        "name": spec.name,
        "rechecks": rechecks,
        "aid_rule": spec.aid_rule is not None,
        "calendar_note": calendar_note(spec),
    }


@router.get("/roster")
def roster(ctx: Ctx, actor: SignedIn, township: str | None = None) -> Any:
    if township is not None:
        return ctx.chain(township).model_dump()
    return {"version": ctx.roster.version, "chains": [c.model_dump() for c in ctx.roster.chains()]}


@router.post("/roster/reload")
async def roster_reload(ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    await run_in_threadpool(require_role, ctx, actor, "roster_reload", Role.admin)
    ctx.reload_roster()
    signalled, unchanged = await reload_roster(ctx)
    detail = f"version={ctx.roster.version} signalled={signalled}"
    await run_in_threadpool(audit, ctx, actor, "roster_reload", "ok", detail=detail)
    return {"version": ctx.roster.version, "signalled": signalled, "unchanged": unchanged}


@router.post("/registers/{register}")
async def import_(
    register: str,
    request: Request,
    ctx: Ctx,
    actor: SignedIn,
    file_name: str,
    campaign: str | None = None,
    sheet: str | None = None,
    replace: bool = False,
    school: str | None = None,
    township: str | None = None,
    follow: bool = False,
) -> dict[str, Any]:
    """The register file is the request body; every bad row is kept with its row number and reason.
    `replace`: take it even with no valid rows, or far fewer than the version in use. `school`,
    `township`: the unit the file speaks for (starter.import_scope says who may import what).
    `follow`: answer at once with a job the client follows (GET /api/jobs/{id})."""
    kind = parse_choice(RegisterKind, register, "REGISTER")
    assert kind is not None
    scope = await run_in_threadpool(import_scope, ctx, actor, kind, school=school, township=township)
    spec = await run_in_threadpool(resolve_campaign, ctx, campaign)
    body = await request.body()
    asked = ImportAsked(kind, spec, file_name, sheet, replace, scope)
    if follow:
        key = ("import", kind.value, spec.name, hashlib.sha256(body).hexdigest(), actor.id)
        job = ctx.jobs.start(key, actor.id or 0, lambda job: _import(ctx, actor, asked, body, job.reading))
        return job.shown()
    return await _import(ctx, actor, asked, body, None)


@dataclass(frozen=True)
class ImportAsked:
    kind: RegisterKind
    spec: CampaignSpec
    file_name: str
    sheet: str | None
    replace: bool
    scope: FileScope


async def _import(
    ctx: Context, actor: Actor, asked: ImportAsked, body: bytes, progress: Progress | None
) -> dict[str, Any]:
    kind, spec, file_name, scope = asked.kind, asked.spec, asked.file_name, asked.scope
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(file_name).name
        path.write_bytes(body)
        try:
            summary = await run_in_threadpool(
                contained_import,
                ctx.settings,
                progress,
                kind=kind,
                path=path,
                campaign=spec,
                sheet=asked.sheet,
                imported_by=actor.name,
                replace=asked.replace,
                scope=scope,
            )
        except RegisterFileError as error:
            key = "register_missing_columns" if error.code == "missing_columns" else "register_unreadable"
            raise BadInput(t(key, file=path.name, detail=error.detail)) from None
    unit = f" {scope.scope.value}={scope.unit}" if scope.unit else ""
    detail = f"{kind.value} {spec.name}{unit} rows={summary.rows}"
    await run_in_threadpool(audit, ctx, actor, "import", "ok", detail=detail)
    result = dict(summary.__dict__)
    result["file"] = Path(file_name).name
    if summary.rejects_file and summary.rejected_rows:
        result["rejects_csv"] = Path(summary.rejects_file).read_text(encoding="utf-8-sig")
    return result


@router.post("/discover")
async def discover_(body: DiscoverBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """Reconcile the campaign's registers into suspects (anyone, within their scope; an admin sees
    the county); `apply` opens them (admin; twice opens nothing new)."""

    def scoped() -> tuple[CampaignSpec, str | None]:
        if body.apply:
            require_role(ctx, actor, "discover_apply", Role.admin)
        spec = resolve_campaign(ctx, body.campaign)
        canonical = ctx.chain(body.township).township if body.township else None
        if canonical and actor.role != Role.admin:
            require_township_access(ctx, actor, canonical, "discover")
        return spec, canonical

    spec, canonical = await run_in_threadpool(scoped)
    if body.follow:
        key = ("discover", spec.name, canonical, body.apply, actor.id)
        job = ctx.jobs.start(
            key, actor.id or 0, lambda job: _discovery(ctx, actor, body, spec, canonical, job.progress)
        )
        return job.shown()
    return await _discovery(ctx, actor, body, spec, canonical, None)


async def _discovery(
    ctx: Context, actor: Actor, body: DiscoverBody, spec: CampaignSpec, canonical: str | None, progress: Progress | None
) -> dict[str, Any]:
    result = await run_in_threadpool(discover, ctx, campaign=spec, township=canonical)
    scope = None if actor.role == Role.admin else scope_of(ctx, actor)
    if scope is not None:
        result.suspects = {kind: [s for s in found if s.township in scope] for kind, found in result.suspects.items()}
    report = await run_in_threadpool(write_suspect_list, ctx, result)
    result.report_file = str(report)
    if body.apply:
        concurrency = min(max(body.concurrency, 1), 64)
        await apply_discovery(ctx, result, actor=DISCOVERY_ACTOR, concurrency=concurrency, progress=progress)
        detail = f"{spec.name} opened={result.opened}"
        await run_in_threadpool(audit, ctx, actor, "discover_apply", "ok", detail=detail)
    return {
        "suspected": result.counts(),
        "reasons": result.reasons(),
        "rejected_rows": result.rejected_rows,
        "review": len(result.review),
        "attendance_missing": result.attendance_missing,
        "opened": result.opened,
        "already_open": result.already_open,
        "reopened": result.reopened,
        "campaign": result.campaign,
        "aid_rule": spec.aid_rule is not None,
        "by_township": result.by_township(),
        "report_file": result.report_file,
        "report_csv": report.read_text(encoding="utf-8-sig"),
    }


@router.get("/jobs/{job_id}")
async def job_state(job_id: str, ctx: Ctx, actor: SignedIn, wait: float = 0) -> dict[str, Any]:
    """Where a job stands (its result once done), for the officer who started it or an
    administrator; `wait` (seconds, at most 5): answer as soon as it ends, or after that long."""
    job = ctx.jobs.get(job_id)
    if job is None or (job.owner != actor.id and actor.role != Role.admin):
        raise NotFound(t("job_unknown", job=job_id[:16]))
    if job.task is not None and job.state == "running" and wait > 0:
        await asyncio.wait({job.task}, timeout=min(wait, 5.0))
    return job.shown()


@router.post("/verify")
async def verify(body: VerifyBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """Every case's workflow against its ledger (docs/cli.md, `verify`); `repair` fixes what it
    can, each fix recorded."""
    from ledger.audit import broken_links
    from ledger.cases import CaseFilter, list_cases
    from ledger.event_seals import Unsealed, unsealed_events
    from ledger.officers import altered_officers
    from ledger.step_signatures import Unaccounted, unaccounted_steps
    from starter.verify import Difference, as_json, verify_cases

    await run_in_threadpool(require_role, ctx, actor, "verify", Role.admin)
    checked, differences = await verify_cases(ctx, repair=body.repair, actor=actor, only=body.cases or None)

    def chain_breaks() -> list[int]:
        with ctx.sessions() as session:
            return broken_links(session, ctx.cipher)

    def events_unaccounted() -> list[Difference]:
        """Ledger events neither a signed step (steps) nor the worker's seal (every event) accounts
        for, and open cases assigned by a name that is no one officer (recorded before ids were kept
        and not resolved by the migration: their level-0 reminders reach no one)."""
        with ctx.sessions() as session:
            cases = {c.id: c for c in list_cases(session, where=CaseFilter())}
            if body.cases:
                cases = {i: c for i, c in cases.items() if c.case_no in body.cases or c.workflow_id in body.cases}
            found: list[tuple[str, Unaccounted | Unsealed]] = [
                *(("step_unaccounted", u) for u in unaccounted_steps(session, ctx.cipher, list(cases))),
                *(("event_unaccounted", u) for u in unsealed_events(session, ctx.cipher, list(cases))),
            ]
        listed = [
            Difference(
                cases[u.case_id].case_no, cases[u.case_id].workflow_id, problem, f"seq {u.seq} {u.type}: {u.why}"
            )
            for problem, u in found
        ]
        unresolved = [
            c
            for c in cases.values()
            if (c.stage != "closed" or c.next_check_at) and c.assigned_officer and not c.assigned_officer_id
        ]
        listed += [
            Difference(c.case_no, c.workflow_id, "assignee_unresolved", c.assigned_officer or "") for c in unresolved
        ]
        return listed

    def officers_altered() -> list[tuple[str, str]]:
        """A row whose seal does not match (changed in the database), or that has none (written
        before seals were kept, or its seal removed): an administrator's `officer add` seals it."""
        with ctx.sessions() as session:
            altered = altered_officers(session, ctx.cipher.seal)
        return [("officer_unsealed" if o.seal is None else "officer_altered", f"#{o.id} {o.ref}") for o in altered]

    broken = await run_in_threadpool(chain_breaks)
    if broken:
        shown_ids = ", ".join(str(i) for i in broken[:20])
        differences.append(Difference("", "", "audit_chain_broken", f"audit_log id {shown_ids}"))
    differences.extend(await run_in_threadpool(events_unaccounted))
    for problem, officer in await run_in_threadpool(officers_altered):
        differences.append(Difference("", "", problem, officer))
    repaired = sum(1 for d in differences if d.repaired)
    detail = f"cases={checked} differences={len(differences)} repaired={repaired}"
    await run_in_threadpool(audit, ctx, actor, "verify", "ok", detail=detail)
    return {"cases": checked, "differences": [as_json(d) for d in differences], "repaired": repaired}


@router.post("/retention")
def retention(body: RetentionBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    require_role(ctx, actor, "retention", Role.admin)
    default = max(ctx.settings.retention_days, ctx.settings.evidence_retention_days)
    days = default if body.older_than is None else body.older_than
    if days < 0:
        raise BadInput(t("bad_value", option="--older-than", value=str(days)))
    now = dt.datetime.now(dt.UTC)
    with ctx.sessions.begin() as session:
        cutoff = now - dt.timedelta(days=days)
        result = anonymise(session, cipher=ctx.cipher, cutoff=cutoff, now=now, dry_run=body.dry_run)
    if not body.dry_run:
        detail = f"older_than={days} cases={result.cases} students={result.students}"
        audit(ctx, actor, "retention", "ok", detail=detail)
    return {"older_than_days": days, "dry_run": body.dry_run, "cases": result.cases, "students": result.students}
