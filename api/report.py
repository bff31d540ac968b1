"""The 清零 report over HTTP: JSON, or the Excel workbook (base64) for the CLI to write."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic_core import to_json
from starlette.concurrency import run_in_threadpool

from api.auth import Ctx, signed_in
from api.cases import require_group_access
from domain.actors import Actor
from domain.messages import t
from domain.parsing import check_purpose, parse_date
from domain.scope import scope_notice
from starter.access import audit, require_township_access
from starter.case_service import resolve_campaign
from starter.context import Context
from starter.errors import BadInput
from starter.report_service import build_report
from starter.report_xlsx import book_workbook, report_workbook

router = APIRouter(prefix="/api")
SignedIn = Annotated[Actor, Depends(signed_in)]


@dataclass(frozen=True)
class ReportQuery:
    """The query every report request takes (`report`, `report/xlsx`)."""

    campaign: str | None = None
    group: int | None = None
    township: str | None = None
    as_of: str | None = None


Query = Annotated[ReportQuery, Depends()]


def report_scope(
    ctx: Context, actor: Actor, *, township: str | None, group: int | None, as_of: str | None, asked: str, day_name: str
) -> tuple[str | None, dt.date | None]:
    """The report's filters checked against the reader's scope (refusals audited as `asked`): the
    township's canonical name and the day, for the JSON report, the workbook and every page."""
    canonical = ctx.chain(township).township if township else None
    if canonical:
        require_township_access(ctx, actor, canonical, asked)
    if group is not None:
        require_group_access(ctx, actor, group)
    return canonical, parse_date(as_of, day_name) if as_of else None


async def _report(ctx: Context, actor: Actor, query: ReportQuery) -> dict[str, Any]:
    return await run_in_threadpool(_built_report, ctx, actor, query)


def _built_report(ctx: Context, actor: Actor, query: ReportQuery) -> dict[str, Any]:
    """Scope, the campaign, the figures and the audit entry: all database work, off the event loop."""
    canonical, day = report_scope(
        ctx, actor, township=query.township, group=query.group, as_of=query.as_of, asked="report", day_name="--as-of"
    )
    spec = resolve_campaign(ctx, query.campaign)
    report = build_report(ctx, actor, spec, group=query.group, township=canonical, as_of=day)
    audit(ctx, actor, "report", "ok", detail=f"{spec.name} as_of={query.as_of or 'now'}")
    return report


@router.get("/report")
async def report(ctx: Ctx, actor: SignedIn, query: Query) -> Response:
    """Serialised at once (pydantic-core): the ten thousand ledger lines of a county are most of
    the answer, and FastAPI's generic encoder would walk them twice."""
    built = await _report(ctx, actor, query)
    return Response(to_json(built), media_type="application/json", headers=scope_notice(actor))


@router.get("/report/xlsx")
async def report_xlsx(ctx: Ctx, actor: SignedIn, query: Query) -> dict[str, Any]:
    built = await _report(ctx, actor, query)
    workbook = await run_in_threadpool(report_workbook, built)
    return {"campaign": built["campaign"], "as_of": built["as_of"], "xlsx_base64": base64.b64encode(workbook).decode()}


@router.get("/ledgers/{book}")
async def ledger(
    book: str,
    ctx: Ctx,
    actor: SignedIn,
    campaign: str | None = None,
    township: str | None = None,
    school: str | None = None,
    as_of: str | None = None,
    xlsx: bool = False,
    reveal: bool = False,
    purpose: str | None = None,
) -> Response:
    """One of the three ledgers (docs/cli.md, `ledger`): JSON rows, or the workbook (base64);
    `reveal` with a purpose shows names and ID numbers where the reader may (audited)."""
    from starter.ledger_books import BOOKS, ledger_book

    if book not in BOOKS:
        raise BadInput(t("bad_value", option="BOOK", value=f"{book} ({'|'.join(BOOKS)})"))
    why = check_purpose(purpose) if reveal else None

    def read() -> dict[str, Any]:
        canonical, day = report_scope(
            ctx, actor, township=township, group=None, as_of=as_of, asked="ledger", day_name="--as-of"
        )
        spec = resolve_campaign(ctx, campaign)
        rows = ledger_book(ctx, actor, spec, book, township=canonical, school=school, as_of=day, reveal=reveal)
        shown = sum(1 for row in rows["rows"] if "id_number" in row)
        detail = f"{book} {spec.name} as_of={as_of or 'now'} rows={len(rows['rows'])} revealed={shown}"
        audit(ctx, actor, "reveal" if reveal else "ledger", "ok", detail=detail, purpose=why)
        return rows

    built = await run_in_threadpool(read)
    if xlsx:
        workbook = await run_in_threadpool(book_workbook, built)
        built = {**built, "xlsx_base64": base64.b64encode(workbook).decode()}
    return Response(to_json(built), media_type="application/json", headers=scope_notice(actor))
