"""What reports read from the ledger: the cases of a campaign in a scope, how far each one's
events go by a moment, and the events themselves — only the columns and payload fields the report
folds (docs/architecture.md, "Reports and any past day").

The payload fields are taken out by PostgreSQL, so no event's JSON is parsed in Python; the
report asks for the events only of cases it has not folded at that sequence number before."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import Integer, String, Uuid, any_, bindparam, case, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from domain.enums import CaseKind
from domain.report import CaseHead, ReportEvent
from ledger.models import Case, CaseEventRow, Student

KINDS = {kind.value: kind for kind in CaseKind}


@dataclass(frozen=True, slots=True)
class ReportCase:
    """A case in the report's scope: who and where it is, and its last event by the moment asked."""

    id: uuid.UUID
    head: CaseHead
    id_masked: str
    assigned_officer: str | None
    last_seq: int
    poverty_risk: bool = False
    reason: str | None = None


def report_cases(
    session: Session,
    *,
    campaign: str,
    townships: frozenset[str] | None,
    cutoff: dt.datetime | None,
    township: str | None = None,
    group: int | None = None,
) -> list[ReportCase]:
    """Every case of the campaign in scope with an event by `cutoff` (None: now), in case-number
    order. Now, a case's last event is the one its row records (written in the same transaction)."""
    last_seq = (
        select(func.max(CaseEventRow.seq))
        .where(CaseEventRow.case_id == Case.id, CaseEventRow.at <= cutoff)
        .scalar_subquery()
        if cutoff is not None
        else Case.last_seq
    )
    query = (
        select(
            Case.id,
            Case.case_no,
            Case.kind,
            Case.township,
            Case.group_no,
            Case.assigned_officer,
            Student.id_masked,
            last_seq,
            Case.priority,
            Case.poverty_risk,
            Case.reason,
        )
        .join(Student, Student.id == Case.student_id)
        .where(Case.campaign == campaign)
        .order_by(Case.case_no)
    )
    if cutoff is not None:
        query = query.where(Case.opened_at <= cutoff)
    if townships is not None:
        query = query.where(Case.township.in_(sorted(townships)))
    if township:
        query = query.where(Case.township == township)
    if group is not None:
        query = query.where(Case.group_no == group)
    rows = session.connection().execute(query).all()
    return [
        ReportCase(
            case_id, CaseHead(case_no, KINDS[kind], town, group_no, bool(priority)), masked, officer, seq, risk, why
        )
        for case_id, case_no, kind, town, group_no, officer, masked, seq, priority, risk, why in rows
        if seq
    ]


def report_events(session: Session, last_seqs: dict[uuid.UUID, int]) -> dict[uuid.UUID, list[ReportEvent]]:
    """The events of these cases up to each one's sequence number, in order; events a repair
    withdrew (steps the case never committed, listed by its `restored` event) left out."""
    payload = CaseEventRow.payload
    recipients = func.array(
        select(func.jsonb_array_elements_text(payload["recipients"])).correlate(CaseEventRow).scalar_subquery()
    )  # correlated by hand: inside array() SQLAlchemy does not, and it read every event's recipients
    query = (
        select(
            CaseEventRow.case_id,
            CaseEventRow.seq,
            CaseEventRow.type,
            CaseEventRow.stage,
            CaseEventRow.at,
            payload["finding"].as_string(),
            cast(payload["level"].as_string(), Integer),
            payload["reason"].as_string(),
            cast(payload["episode"].as_string(), Integer),
            case((CaseEventRow.type == "escalated", cast(recipients, ARRAY(String)))),
            payload["placement"].as_string(),
            payload["on"].as_string(),
            payload["exclude_reason"].as_string(),
            payload["from_township"].as_string(),
            cast(payload["from_group"].as_string(), Integer),
            case(
                (CaseEventRow.type == "transfer_requested", payload["to"].as_string()),
                (CaseEventRow.type == "moved_out_county", payload["to_county"].as_string()),
                else_=payload["to_township"].as_string(),
            ),
            cast(payload["to_group"].as_string(), Integer),
            case((CaseEventRow.type == "opened", payload["provisional"].as_boolean())),
            payload["arrangement"].as_string(),
            payload["village"].as_string(),
            case((CaseEventRow.type == "restored", payload["withdrawn"])),
        )
        .where(CaseEventRow.case_id == any_(bindparam("case_ids", list(last_seqs), type_=ARRAY(Uuid))))
        .order_by(CaseEventRow.case_id, CaseEventRow.seq)
    )
    events: dict[uuid.UUID, list[ReportEvent]] = {case_id: [] for case_id in last_seqs}
    withdrawn: dict[uuid.UUID, set[int]] = {}
    for case_id, seq, *fields, withdrew in session.connection().execute(query).all():
        if seq <= last_seqs[case_id]:
            events[case_id].append(ReportEvent(seq, *fields))
            if withdrew:
                withdrawn.setdefault(case_id, set()).update(withdrew)
    for case_id, seqs in withdrawn.items():
        events[case_id] = [event for event in events[case_id] if event.seq not in seqs]
    return events
