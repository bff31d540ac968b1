"""督查 and 问责 through the server (docs/cli.md, "Inspections and accountability"): who may record
what, within their scope; a rectification order's workflow started and told of its answer; an
accountability decision linked to the record that is its evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from domain.actors import Actor
from domain.beijing import beijing_iso, china_midnight, china_today
from domain.enums import TOWNSHIP_ROLES, Role
from domain.labels import label
from domain.messages import t
from domain.supervision import (
    ACCOUNTABILITY_ROLES,
    INSPECTOR_ROLES,
    ORDER_STAGE,
    AccountabilityInput,
    InspectionInput,
    OrderInput,
    OrderStart,
    order_workflow_id,
)
from ledger.models import AccountabilityDecision, Case, Inspection, Notification, RectificationOrder
from ledger.supervision import Recorder, add_decision, add_inspection, add_order, answer_order, record_files
from starter.access import audit, scope_of
from starter.case_service import chain_from_roster, resolve_campaign
from starter.context import Context
from starter.errors import BadInput, Refused
from workflows.order import OrderWorkflow


def _recorder(actor: Actor) -> Recorder:
    return Recorder(actor.name, actor.id)


def _township_for(ctx: Context, actor: Actor, township: str, action: str) -> str:
    """The township as the roster names it, if the actor may inspect it (their group's, section's or
    any, for the county)."""
    name = ctx.chain(township).township
    scope = scope_of(ctx, actor)
    if actor.role not in INSPECTOR_ROLES or (scope is not None and name not in scope):
        audit(ctx, actor, action, "denied", detail=name)
        raise Refused(
            t("inspection_not_permitted", actor=actor.name, role=label("role", actor.role.value), township=name)
        )
    return name


def _known_cases(session: Session, case_nos: tuple[str, ...], township: str | None = None) -> None:
    if not case_nos:
        return
    found = dict(session.execute(select(Case.case_no, Case.township).where(Case.case_no.in_(case_nos))).all())
    unknown = [no for no in case_nos if no not in found or (township and found[no] != township)]
    if unknown:
        raise BadInput(t("inspection_unknown_cases", cases="、".join(unknown[:5]), township=township or ""))


def record_inspection(ctx: Context, actor: Actor, given: InspectionInput, campaign: str | None) -> dict[str, Any]:
    township = _township_for(ctx, actor, given.township, "inspection")
    if given.inspected_on > china_today(dt.datetime.now(dt.UTC)):
        raise BadInput(t("bad_value", option="--date", value=given.inspected_on.isoformat()))
    spec = resolve_campaign(ctx, campaign)
    with ctx.sessions.begin() as session:
        _known_cases(session, given.sampled, township)
        row = add_inspection(
            session,
            cipher=ctx.cipher,
            campaign=spec.name,
            group=ctx.roster.resolve(township).group,
            given=given.model_copy(update={"township": township}),
            by=_recorder(actor),
        )
        inspection_id = row.id
    audit(ctx, actor, "inspection", "ok", detail=f"inspection:{inspection_id}")
    return {"id": inspection_id, "township": township, "campaign": spec.name}


async def issue_order(ctx: Context, actor: Actor, given: OrderInput, campaign: str | None) -> dict[str, Any]:
    """The order in the ledger and its workflow started: due at the end of its due day (Beijing)."""
    township = _township_for(ctx, actor, given.township, "inspection_order")
    today = china_today(dt.datetime.now(dt.UTC))
    if given.due < today:
        raise BadInput(t("order_due_past", today=today.isoformat()))
    spec = resolve_campaign(ctx, campaign)
    due_at = china_midnight(given.due + dt.timedelta(days=1))
    with ctx.sessions.begin() as session:
        if given.inspection is not None and session.get(Inspection, given.inspection) is None:
            raise BadInput(t("bad_value", option="--inspection", value=str(given.inspection)))
        chain = chain_from_roster(ctx, session, township)
        row = add_order(
            session,
            cipher=ctx.cipher,
            campaign=spec.name,
            township=township,
            group=ctx.roster.resolve(township).group,
            due_at=due_at,
            text=given.text,
            inspection=given.inspection,
            by=_recorder(actor),
        )
        order_id = row.id
    start = OrderStart(
        order_id=order_id,
        township=township,
        chain=chain,
        due_at=due_at,
        level1_after=spec.escalation.level1_after,
        level2_after=spec.escalation.level2_after,
    )
    client = await ctx.temporal()
    await client.start_workflow(
        OrderWorkflow.run, start, id=order_workflow_id(order_id), task_queue=ctx.settings.task_queue
    )
    audit(ctx, actor, "inspection_order", "ok", detail=f"order:{order_id}")
    return {"id": order_id, "township": township, "due_at": beijing_iso(due_at)}


async def answer(ctx: Context, actor: Actor, order_id: int, text: str) -> dict[str, Any]:
    """The township's answer: by its own people (or the county); once."""
    with ctx.sessions.begin() as session:
        order = session.get(RectificationOrder, order_id)
        if order is None:
            raise BadInput(t("bad_value", option="ORDER", value=str(order_id)))
        own = actor.role in TOWNSHIP_ROLES and actor.township == order.township
        if not (own or actor.role == Role.county):
            raise Refused(t("order_answer_not_permitted", actor=actor.name, township=order.township))
        if order.answered_at is not None:
            raise BadInput(t("order_already_answered", id=order_id, at=beijing_iso(order.answered_at)))
        answer_order(session, cipher=ctx.cipher, order=order, text=text, by=_recorder(actor))
        answered_at = order.answered_at
    client = await ctx.temporal()
    await client.get_workflow_handle(order_workflow_id(order_id)).signal(OrderWorkflow.answered)
    audit(ctx, actor, "inspection_answer", "ok", detail=f"order:{order_id}")
    return {"id": order_id, "answered_at": beijing_iso(answered_at)}


def record_decision(ctx: Context, actor: Actor, given: AccountabilityInput, campaign: str | None) -> dict[str, Any]:
    """County roles only. Without reminders named, those of its cases are linked; without orders
    named, the unit's unanswered ones past their due time."""
    if actor.role not in ACCOUNTABILITY_ROLES:
        audit(ctx, actor, "accountability", "denied")
        raise Refused(t("accountability_not_permitted", actor=actor.name, role=label("role", actor.role.value)))
    spec = resolve_campaign(ctx, campaign)
    with ctx.sessions.begin() as session:
        _known_cases(session, given.cases)
        evidence = suggested_evidence(session, unit=given.unit, cases=given.cases)
        linked = given.model_copy(
            update={
                "reminders": given.reminders or tuple(r["id"] for r in evidence["reminders"]),
                "orders": given.orders or tuple(o["id"] for o in evidence["orders"]),
            }
        )
        row = add_decision(session, cipher=ctx.cipher, campaign=spec.name, given=linked, by=_recorder(actor))
        decision_id = row.id
    audit(ctx, actor, "accountability", "ok", detail=f"accountability:{decision_id}")
    return {"id": decision_id, "reminders": list(linked.reminders), "orders": list(linked.orders)}


def suggested_evidence(session: Session, *, unit: str, cases: tuple[str, ...]) -> dict[str, list[dict[str, Any]]]:
    """What the record holds against a unit: the reminders sent about its cases (those named, else
    all of the township's) and about its rectification orders, oldest first; the cases that missed
    the clearance deadline; and its orders that went unanswered past their due time."""
    now = dt.datetime.now(dt.UTC)
    orders = session.execute(
        select(RectificationOrder.id, RectificationOrder.township, RectificationOrder.due_at).where(
            RectificationOrder.township == unit,
            or_(
                RectificationOrder.escalation_level.is_not(None),
                (RectificationOrder.answered_at.is_(None)) & (RectificationOrder.due_at < now),
            ),
        )
    ).all()
    which_cases = Case.case_no.in_(cases) if cases else Case.township == unit
    about_cases = session.execute(
        select(Notification.id, Case.case_no, Notification.level, Notification.recipient, Notification.created_at)
        .join(Case, Case.id == Notification.case_id)
        .where(which_cases)
    ).all()
    about_orders = session.execute(
        select(
            Notification.id, Notification.event_seq, Notification.level, Notification.recipient, Notification.created_at
        ).where(Notification.stage == ORDER_STAGE, Notification.event_seq.in_([o.id for o in orders]))
    ).all()
    reminders: list[dict[str, Any]] = [
        {"id": i, "case_no": no, "order": None, "level": lv, "recipient": who, "at": beijing_iso(at)}
        for i, no, lv, who, at in about_cases
    ] + [
        {"id": i, "case_no": None, "order": o, "level": lv, "recipient": who, "at": beijing_iso(at)}
        for i, o, lv, who, at in about_orders
    ]
    reminders.sort(key=lambda r: int(r["id"]))
    missed = session.scalars(select(Case.case_no).where(Case.missed_deadline.is_(True), which_cases)).all()
    return {
        "reminders": reminders,
        "missed_deadline": [{"case_no": no} for no in missed],
        "orders": [{"id": i, "township": town, "due_at": beijing_iso(due)} for i, town, due in orders],
    }


def supervision_record(ctx: Context, actor: Actor, campaign: str | None) -> dict[str, Any]:
    """Inspections, orders and accountability decisions of the campaign in the reader's scope,
    free text decrypted (the reader may see these townships)."""
    spec = resolve_campaign(ctx, campaign)
    scope = scope_of(ctx, actor)
    cipher = ctx.cipher
    with ctx.sessions() as session:
        inspections = [
            i
            for i in session.scalars(select(Inspection).where(Inspection.campaign == spec.name).order_by(Inspection.id))
            if scope is None or i.township in scope
        ]
        orders = [
            o
            for o in session.scalars(
                select(RectificationOrder)
                .where(RectificationOrder.campaign == spec.name)
                .order_by(RectificationOrder.id)
            )
            if scope is None or o.township in scope
        ]
        decisions = list(
            session.scalars(
                select(AccountabilityDecision)
                .where(AccountabilityDecision.campaign == spec.name)
                .order_by(AccountabilityDecision.id)
            )
        )
        if scope is not None:
            decisions = [d for d in decisions if d.unit in scope]
        files = record_files(
            session,
            [f"inspection:{i.id}" for i in inspections]
            + [f"order:{o.id}" for o in orders]
            + [f"accountability:{d.id}" for d in decisions],
        )
    now = dt.datetime.now(dt.UTC)

    def named(record: str) -> list[dict[str, Any]]:
        return [
            {"id": f.id, "sha256": f.sha256, "media_type": f.media_type, "size": f.size} for f in files.get(record, [])
        ]

    return {
        "campaign": spec.name,
        "inspections": [
            {
                "id": i.id,
                "township": i.township,
                "group": i.group_no,
                "inspected_on": i.inspected_on.isoformat(),
                "villages": i.villages,
                "schools": i.schools,
                "sampled": i.sampled,
                "finding": cipher.decrypt(i.finding_enc, context=f"inspection:{i.id}:finding"),
                "recorded_by": i.recorded_by,
                "recorded_at": beijing_iso(i.recorded_at),
                "files": named(f"inspection:{i.id}"),
            }
            for i in inspections
        ],
        "orders": [
            {
                "id": o.id,
                "township": o.township,
                "group": o.group_no,
                "inspection": o.inspection_id,
                "text": cipher.decrypt(o.text_enc, context=f"order:{o.id}:text"),
                "issued_by": o.issued_by,
                "issued_at": beijing_iso(o.issued_at),
                "due_at": beijing_iso(o.due_at),
                "answered_at": beijing_iso(o.answered_at),
                "answered_by": o.answered_by,
                "answer": cipher.decrypt(o.answer_enc, context=f"order:{o.id}:answer") if o.answer_enc else None,
                "overdue": o.answered_at is None and o.due_at < now,
                "escalation_level": o.escalation_level,
                "files": named(f"order:{o.id}"),
            }
            for o in orders
        ],
        "accountability": [
            {
                "id": d.id,
                "unit": d.unit,
                "person": d.person,
                "ground": d.ground,
                "cases": d.cases,
                "reminders": d.reminders,
                "orders": d.orders,
                "decision": cipher.decrypt(d.decision_enc, context=f"accountability:{d.id}:decision"),
                "decided_by": d.decided_by,
                "decided_at": beijing_iso(d.decided_at),
                "files": named(f"accountability:{d.id}"),
            }
            for d in decisions
        ],
    }
