"""The supervisors' dashboard, served by `baoxue serve`: server-rendered Chinese pages, no script,
every asset in the package. Each page is the reader's scope exactly as the CLI's, and takes
`as_of=DATE` to show that day as it stood (docs/architecture.md, "Reports and any past day")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from api.auth import Ctx
from api.cases import case_for, history_rows, shown_case
from api.charts import burndown_svg
from api.dashboard_auth import DashboardActor, same_origin
from api.evidence import listed
from api.report import report_scope
from domain.actors import Actor
from domain.beijing import shown
from domain.details import shown_details
from domain.enums import CaseKind, Role, Stage
from domain.labels import label
from domain.messages import t
from domain.parsing import check_purpose
from domain.scope import may_reveal
from ledger.campaigns import list_campaigns
from ledger.escalations import case_deliveries, list_failed
from ledger.evidence import evidence_bytes, evidence_of
from starter.access import audit, refuse, scope_of
from starter.case_service import resolve_campaign
from starter.context import Context
from starter.errors import BadInput, NotFound
from starter.report_service import build_report
from starter.report_xlsx import book_workbook, report_workbook
from starter.reporting_service import reporting
from starter.supervision_service import supervision_record

router = APIRouter(prefix="/dashboard")
HERE = Path(__file__).parent
PAGES = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))
PAGES.globals.update(shown=shown, label=label, details=shown_details)


def _page(template: str, request: Request, actor: Actor, **values: Any) -> HTMLResponse:
    """Every page names the campaign it shows and offers the others (drills included): read from
    the ledger, so an async route calls this in the thread pool, never on the event loop."""
    keep = {k: v for k, v in request.query_params.items() if k in ("as_of", "campaign") and v}
    ctx: Context = request.app.state.ctx
    shown_campaign = resolve_campaign(ctx, request.query_params.get("campaign") or None)
    with ctx.sessions() as session:
        campaigns = [(spec.name, spec.description or spec.name) for spec in list_campaigns(session)]
    html = PAGES.get_template(template).render(
        actor=actor,
        role=label("role", actor.role.value),
        keep=urlencode(keep),
        campaign=shown_campaign.name,
        campaign_description=shown_campaign.description or "",
        campaigns=campaigns,
        **values,
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


async def _report(
    ctx: Context,
    actor: Actor,
    *,
    as_of: str | None,
    campaign: str | None = None,
    group: int | None = None,
    township: str | None = None,
    summary_only: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    def built() -> tuple[dict[str, Any], str | None, dt.date | None]:
        canonical, day = report_scope(
            ctx, actor, township=township, group=group, as_of=as_of, asked="dashboard", day_name="as_of"
        )
        spec = resolve_campaign(ctx, campaign or None)
        figures = build_report(ctx, actor, spec, group=group, township=canonical, as_of=day, summary_only=summary_only)
        return figures, canonical, day

    report, township, day = await run_in_threadpool(built)
    shown_filters = {"as_of": day.isoformat() if day else None, "group": group, "township": township}
    return report, shown_filters


@router.get("/", response_class=HTMLResponse)
async def overview(
    request: Request,
    ctx: Ctx,
    actor: DashboardActor,
    as_of: str | None = None,
    group: int | None = None,
    campaign: str | None = None,
):
    report, filters = await _report(ctx, actor, as_of=as_of, group=group, campaign=campaign, summary_only=True)
    rows = sorted(report["townships"], key=lambda r: (r["on_track"], r["group"]))
    await run_in_threadpool(audit, ctx, actor, "dashboard", "ok", detail="overview")
    return await run_in_threadpool(
        _page, "overview.html", request, actor, title="清零总览", report=report, rows=rows, **filters
    )


@router.get("/burndown", response_class=HTMLResponse)
async def burndown(
    request: Request,
    ctx: Ctx,
    actor: DashboardActor,
    as_of: str | None = None,
    group: int | None = None,
    township: str | None = None,
    campaign: str | None = None,
):
    report, filters = await _report(ctx, actor, as_of=as_of, group=group, township=township, campaign=campaign)
    deadline = dt.date.fromisoformat(report["clearance_deadline"][:10])
    chart = burndown_svg(report["burndown"], deadline)
    return await run_in_threadpool(_page, "burndown.html", request, actor, title="燃尽图", chart=chart, **filters)


@router.get("/accountability", response_class=HTMLResponse)
async def accountability(
    request: Request, ctx: Ctx, actor: DashboardActor, as_of: str | None = None, campaign: str | None = None
):
    report, filters = await _report(ctx, actor, as_of=as_of, campaign=campaign)
    failed = await run_in_threadpool(_failed_deliveries, ctx, actor)
    return await run_in_threadpool(
        _page, "accountability.html", request, actor, title="问责", report=report, failed=failed, **filters
    )


def _failed_deliveries(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """Reminders not delivered, as `escalations --failed` lists them for the reader."""
    townships = None if actor.role in (Role.admin, Role.county) else scope_of(ctx, actor)
    with ctx.sessions() as session:
        return list_failed(session, townships=townships, officer_id=actor.id or 0)


@router.get("/inspections", response_class=HTMLResponse)
async def inspections(request: Request, ctx: Ctx, actor: DashboardActor, campaign: str | None = None):
    """督查: the inspections and rectification orders of the reader's townships."""
    record = await run_in_threadpool(supervision_record, ctx, actor, campaign or None)
    await run_in_threadpool(audit, ctx, actor, "dashboard", "ok", detail="inspections")
    return await run_in_threadpool(_page, "inspections.html", request, actor, title="督查", record=record)


@router.get("/reporting", response_class=HTMLResponse)
async def reporting_page(
    request: Request, ctx: Ctx, actor: DashboardActor, month: str | None = None, campaign: str | None = None
):
    """一月一报告: the month's grid of schools, as `baoxue reporting` shows it."""
    grid = await run_in_threadpool(reporting, ctx, actor, month=month or None, township=None, campaign=campaign or None)
    reported = sum(1 for school in grid["schools"] if school["reported"])
    return await run_in_threadpool(
        _page, "reporting.html", request, actor, title="学校月报", grid=grid, reported=reported
    )


@router.get("/cases", response_class=HTMLResponse)
async def cases(
    request: Request,
    ctx: Ctx,
    actor: DashboardActor,
    as_of: str | None = None,
    group: int | None = None,
    township: str | None = None,
    kind: str | None = None,
    stage: str | None = None,
    overdue: str | None = None,
    campaign: str | None = None,
):
    report, filters = await _report(ctx, actor, as_of=as_of, group=group, township=township, campaign=campaign)
    listed_cases = [
        c
        for c in report["cases"]
        if (not kind or c["kind"] == kind) and (not stage or c["stage"] == stage) and (not overdue or c["overdue"])
    ]
    return await run_in_threadpool(
        _page,
        "cases.html",
        request,
        actor,
        title="案件",
        cases=listed_cases,
        kinds=[(k.value, label("kind", k.value)) for k in CaseKind],
        stages=[(s.value, label("stage", s.value)) for s in Stage if s != Stage.discovery],
        kind=kind,
        stage=stage,
        overdue=bool(overdue),
        **filters,
    )


def _case_page(request: Request, ctx: Context, actor: Actor, case_no: str, *, purpose: str | None) -> HTMLResponse:
    case = case_for(ctx, actor, case_no, "reveal" if purpose else "show")
    summary = shown_case(ctx, actor, case, reveal=purpose is not None, purpose=purpose)
    with ctx.sessions() as session:
        files = [listed(row, n) for n, row in enumerate(evidence_of(session, case_id=case.id), start=1)]
        deliveries = case_deliveries(session, case_id=case.id)
    return _page(
        "case.html",
        request,
        actor,
        title=f"案件 {case.case_no}",
        case=summary,
        events=history_rows(ctx, case),
        evidence=files,
        deliveries=deliveries,
        may_reveal=purpose is None and may_reveal(actor, township=case.township, chain=case.chain or {}),
        as_of=None,
    )


@router.get("/case/{case_no}/evidence/{n}", response_class=Response)
def evidence_file(ctx: Ctx, actor: DashboardActor, case_no: str, n: int):
    """An evidence file shown in the browser (inline), scoped like the case and audited."""
    case = case_for(ctx, actor, case_no, "evidence_get")
    with ctx.sessions() as session:
        rows = evidence_of(session, case_id=case.id)
    if not 1 <= n <= len(rows) or (data := evidence_bytes(ctx.cipher, rows[n - 1])) is None:
        raise NotFound(t("evidence_not_found", n=n, case_no=case.case_no))
    row = rows[n - 1]
    audit(ctx, actor, "evidence_get", "ok", case, detail=f"{row.sha256} dashboard")
    return Response(
        data,
        media_type=row.media_type,
        headers={
            "Content-Disposition": "inline",
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; object-src 'self'; sandbox",
        },
    )


@router.get("/case/{case_no}", response_class=HTMLResponse)
def case_page(request: Request, ctx: Ctx, actor: DashboardActor, case_no: str):
    return _case_page(request, ctx, actor, case_no, purpose=None)


@router.post("/case/{case_no}/reveal", response_class=HTMLResponse, dependencies=[Depends(same_origin)])
async def reveal(request: Request, ctx: Ctx, actor: DashboardActor, case_no: str):
    """The form's purpose, posted (never in a URL); refused to those who may not reveal."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    purpose = check_purpose((form.get("purpose") or [""])[0])

    def page() -> HTMLResponse:
        case = case_for(ctx, actor, case_no, "reveal")
        if not may_reveal(actor, township=case.township, chain=case.chain or {}):
            role = label("role", actor.role.value)
            raise refuse(
                ctx, actor, "reveal", case, t("reveal_not_permitted", actor=actor.name, role=role, case_no=case_no)
            )
        return _case_page(request, ctx, actor, case_no, purpose=purpose)

    return await run_in_threadpool(page)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK: dict[int | str, dict[str, Any]] = {200: {"content": {XLSX: {}}, "description": "the workbook"}}


@router.get("/report.xlsx", response_class=Response, responses=WORKBOOK)
async def report_xlsx(
    ctx: Ctx, actor: DashboardActor, as_of: str | None = None, group: int | None = None, campaign: str | None = None
):
    report, _filters_shown = await _report(ctx, actor, as_of=as_of, group=group, campaign=campaign)
    workbook = await run_in_threadpool(report_workbook, report)
    await run_in_threadpool(audit, ctx, actor, "report", "ok", detail=f"xlsx as_of={as_of or 'now'}")
    name = f"qingling-{report['campaign']}-{report['as_of'][:10]}.xlsx"
    return Response(
        workbook,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get("/ledger/{book}.xlsx", response_class=Response, responses=WORKBOOK)
async def ledger_xlsx(
    ctx: Ctx, actor: DashboardActor, book: str, as_of: str | None = None, campaign: str | None = None
):
    """The three ledgers (适龄儿童, 疑似辍学学生, 辍学学生台账) as `baoxue ledger` writes them."""
    from starter.ledger_books import BOOKS, ledger_book

    if book not in BOOKS:
        raise BadInput(t("bad_value", option="book", value=book))
    _township, day = report_scope(ctx, actor, township=None, group=None, as_of=as_of, asked="ledger", day_name="as_of")
    spec = await run_in_threadpool(resolve_campaign, ctx, campaign or None)
    built = await run_in_threadpool(ledger_book, ctx, actor, spec, book, as_of=day)
    workbook = await run_in_threadpool(book_workbook, built)
    detail = f"{book} xlsx as_of={as_of or 'now'} rows={len(built['rows'])}"
    await run_in_threadpool(audit, ctx, actor, "ledger", "ok", detail=detail)
    return Response(
        workbook,
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{book}.xlsx"', "Cache-Control": "no-store"},
    )


@router.get("/static/dashboard.css", include_in_schema=False)
async def stylesheet() -> FileResponse:
    return FileResponse(HERE / "static" / "dashboard.css", media_type="text/css")
