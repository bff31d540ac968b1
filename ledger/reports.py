"""What reports read from the ledger: the cases of a campaign in a scope and their events, only
the plain columns (docs/architecture.md, "Reports and any past day")."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.enums import CaseKind
from domain.report import CaseHead
from ledger.models import Case, CaseEventRow, Student


@dataclass(frozen=True)
class ReportEvent:
    seq: int
    type: str
    stage: str
    at: dt.datetime
    actor: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class ReportCase:
    head: CaseHead
    id_masked: str
    assigned_officer: str | None
    events: list[ReportEvent]


def report_cases(
    session: Session,
    *,
    campaign: str,
    townships: frozenset[str] | None,
    township: str | None = None,
    group: int | None = None,
    opened_by: dt.datetime | None = None,
) -> list[ReportCase]:
    """Every case of the campaign in scope (opened by `opened_by`), with its events in order."""
    query = (
        select(Case.id, Case.case_no, Case.kind, Case.township, Case.group_no, Case.assigned_officer, Student.id_masked)
        .join(Student, Student.id == Case.student_id)
        .where(Case.campaign == campaign)
        .order_by(Case.case_no)
    )
    if townships is not None:
        query = query.where(Case.township.in_(sorted(townships)))
    if township:
        query = query.where(Case.township == township)
    if group is not None:
        query = query.where(Case.group_no == group)
    if opened_by is not None:
        query = query.where(Case.opened_at <= opened_by)
    rows = session.execute(query).all()
    events: dict[uuid.UUID, list[ReportEvent]] = {row.id: [] for row in rows}
    event_query = (
        select(
            CaseEventRow.case_id,
            CaseEventRow.seq,
            CaseEventRow.type,
            CaseEventRow.stage,
            CaseEventRow.at,
            CaseEventRow.actor,
            CaseEventRow.payload,
        )
        .join(Case, Case.id == CaseEventRow.case_id)
        .where(Case.id.in_(query.with_only_columns(Case.id).order_by(None).scalar_subquery()))
        .order_by(CaseEventRow.case_id, CaseEventRow.seq)
    )
    if opened_by is not None:
        event_query = event_query.where(CaseEventRow.at <= opened_by)
    for case_id, seq, type_, stage, at, actor, payload in session.execute(event_query):
        events[case_id].append(ReportEvent(seq, type_, stage, at, actor, payload or {}))
    return [
        ReportCase(
            CaseHead(row.case_no, CaseKind(row.kind), row.township, row.group_no),
            row.id_masked,
            row.assigned_officer,
            events[row.id],
        )
        for row in rows
    ]
