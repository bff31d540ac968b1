"""督查 and 问责 through the server: inspections, rectification orders and their answers,
accountability decisions, their evidence files (starter/supervision_service.py)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from api.auth import Ctx, signed_in
from api.evidence import uploaded_file
from domain.actors import Actor
from domain.messages import t
from domain.parsing import check_fields
from domain.supervision import AccountabilityInput, AnswerInput, InspectionInput, OrderInput
from ledger.models import AccountabilityDecision, Inspection, RectificationOrder
from ledger.supervision import store_record_file
from starter.access import audit, scope_of
from starter.context import Context
from starter.errors import BadInput, Refused
from starter.supervision_service import (
    answer,
    issue_order,
    record_decision,
    record_inspection,
    suggested_evidence,
    supervision_record,
)

router = APIRouter(prefix="/api")
SignedIn = Annotated[Actor, Depends(signed_in)]
RECORD = re.compile(r"^(inspection|order|accountability):([1-9][0-9]{0,9})$")


class InspectionBody(InspectionInput):
    campaign: str | None = None


class OrderBody(OrderInput):
    campaign: str | None = None


class AccountabilityBody(AccountabilityInput):
    campaign: str | None = None


def _checked(body: Any) -> None:
    check_fields(body.model_dump(mode="json", exclude={"campaign"}))


@router.post("/inspections")
def add_inspection(body: InspectionBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    _checked(body)
    given = InspectionInput.model_validate(body.model_dump(exclude={"campaign"}))
    return record_inspection(ctx, actor, given, body.campaign)


@router.get("/inspections")
def inspections(ctx: Ctx, actor: SignedIn, campaign: str | None = None) -> dict[str, Any]:
    audit(ctx, actor, "inspection_list", "ok")
    return supervision_record(ctx, actor, campaign)


@router.post("/inspections/orders")
async def add_order(body: OrderBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    _checked(body)
    given = OrderInput.model_validate(body.model_dump(exclude={"campaign"}))
    return await issue_order(ctx, actor, given, body.campaign)


@router.post("/inspections/orders/{order_id}/answer")
async def answer_order(order_id: int, body: AnswerInput, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    check_fields({"text": body.text})
    return await answer(ctx, actor, order_id, body.text)


@router.post("/accountability")
def add_decision(body: AccountabilityBody, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    _checked(body)
    given = AccountabilityInput.model_validate(body.model_dump(exclude={"campaign"}))
    return record_decision(ctx, actor, given, body.campaign)


@router.get("/accountability/evidence")
def evidence(
    ctx: Ctx,
    actor: SignedIn,
    unit: Annotated[str, Query(min_length=1, max_length=64)],
    cases: Annotated[list[str] | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """What the record holds against a unit (county roles): reminders, missed deadlines, orders."""
    if actor.role.value != "county":
        raise Refused(t("accountability_not_permitted", actor=actor.name, role=actor.role.value))
    with ctx.sessions() as session:
        return suggested_evidence(session, unit=unit, cases=tuple(cases or ()))


@router.post("/records/{record}/files")
async def upload(record: str, request: Request, ctx: Ctx, actor: SignedIn) -> dict[str, Any]:
    """An evidence file of an inspection, an order or a decision, by those who may write it."""
    await run_in_threadpool(_may_add_file, ctx, actor, record)
    data, media_type = await uploaded_file(request)

    def stored() -> dict[str, Any]:
        with ctx.sessions.begin() as session:
            row = store_record_file(
                session, cipher=ctx.cipher, record=record, data=data, media_type=media_type, uploaded_by=actor.name
            )
            return {
                "id": row.id,
                "record": record,
                "sha256": row.sha256,
                "media_type": row.media_type,
                "size": row.size,
            }

    answer_ = await run_in_threadpool(stored)
    await run_in_threadpool(audit, ctx, actor, "evidence_upload", "ok", None, None, record)
    return answer_


def _may_add_file(ctx: Context, actor: Actor, record: str) -> None:
    matched = RECORD.match(record)
    if matched is None:
        raise BadInput(t("bad_value", option="RECORD", value=record[:60]))
    kind, number = matched.group(1), int(matched.group(2))
    model = {"inspection": Inspection, "order": RectificationOrder, "accountability": AccountabilityDecision}[kind]
    with ctx.sessions() as session:
        row = session.get(model, number)
    if row is None:
        raise BadInput(t("bad_value", option="RECORD", value=record))
    township = getattr(row, "township", None) or getattr(row, "unit", "")
    scope = scope_of(ctx, actor)
    allowed = actor.role.value == "county" if kind == "accountability" else scope is None or township in scope
    if not allowed:
        raise Refused(t("record_file_not_permitted", actor=actor.name, record=record))
