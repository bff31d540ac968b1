"""Escalations and the notification outbox, as supervisors ask for them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from domain.beijing import beijing_iso
from ledger.models import Case, CaseEventRow, Notification, Officer


@dataclass(frozen=True)
class EscalationFilter:
    level: int | None = None
    townships: frozenset[str] | None = None
    township: str | None = None
    group: int | None = None
    since: dt.datetime | None = None


def list_escalations(session: Session, *, where: EscalationFilter) -> list[dict[str, Any]]:
    sent = (
        select(
            Notification.case_id,
            Notification.event_seq,
            func.count().label("total"),
            func.count().filter(Notification.status == "sent").label("sent"),
        )
        .group_by(Notification.case_id, Notification.event_seq)
        .subquery()
    )
    query = (
        select(CaseEventRow, Case.case_no, Case.township, Case.group_no, sent.c.total, sent.c.sent)
        .join(Case, Case.id == CaseEventRow.case_id)
        .outerjoin(sent, and_(sent.c.case_id == CaseEventRow.case_id, sent.c.event_seq == CaseEventRow.seq))
        .where(CaseEventRow.type == "escalated")
        .order_by(CaseEventRow.at, Case.case_no, CaseEventRow.seq)
    )
    if where.townships is not None:
        query = query.where(Case.township.in_(sorted(where.townships)))
    if where.level is not None:
        query = query.where(CaseEventRow.payload["level"].as_integer() == where.level)
    if where.township:
        query = query.where(Case.township == where.township)
    if where.group is not None:
        query = query.where(Case.group_no == where.group)
    if where.since is not None:
        query = query.where(CaseEventRow.at >= where.since)
    rows = []
    for event, case_no, township, group, total, sent_count in session.execute(query):
        payload = event.payload
        rows.append(
            {
                "case_no": case_no,
                "township": township,
                "group": group,
                "stage": event.stage,
                "level": payload.get("level"),
                "reason": payload.get("reason"),
                "recipients": payload.get("recipients", []),
                "roster_version": payload.get("roster_version"),
                "at": beijing_iso(event.at),
                "delivered": bool(total) and total == sent_count,
            }
        )
    return rows


def list_notifications(
    session: Session, *, status: str | None, townships: frozenset[str] | None = None
) -> list[dict[str, Any]]:
    query = (
        select(Notification, Case.case_no, Case.township)
        .join(Case, Case.id == Notification.case_id)
        .order_by(Notification.id)
    )
    if status:
        query = query.where(Notification.status == status)
    if townships is not None:
        query = query.where(Case.township.in_(sorted(townships)))
    return [
        {
            "case_no": case_no,
            "township": township,
            "level": row.level,
            "stage": row.stage,
            "recipient": row.recipient,
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "message": row.message,
            "created_at": beijing_iso(row.created_at),
            "sent_at": beijing_iso(row.sent_at),
        }
        for row, case_no, township in session.execute(query)
    ]


def case_deliveries(session: Session, *, case_id: object) -> list[Notification]:
    """Every reminder of one case, one row a recipient, oldest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(Notification.case_id == case_id)
            .order_by(Notification.event_seq, Notification.id)
        )
    )


def list_failed(session: Session, *, townships: frozenset[str] | None, officer_id: int) -> list[dict[str, Any]]:
    """Reminders not delivered (still failing): those of cases in `townships` (None: all, with the
    ones of no case — digests, re-checks, orders), and the reader's own."""
    query = (
        select(Notification, Case.case_no, Case.township, Officer.township)
        .outerjoin(Case, Case.id == Notification.case_id)
        .outerjoin(Officer, Officer.id == Notification.recipient_id)
        .where(Notification.status == "failed")
        .order_by(Notification.id)
    )
    if townships is not None:
        query = query.where(or_(Case.township.in_(sorted(townships)), Notification.recipient_id == officer_id))
    return [
        {
            "case_no": case_no,
            "township": township or home,
            "topic": row.topic,
            "level": row.level,
            "recipient": row.recipient,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "failure_told": row.failure_told,
            "created_at": beijing_iso(row.created_at),
        }
        for row, case_no, township, home in session.execute(query)
    ]
