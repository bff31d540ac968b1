"""Projecting accepted steps into the ledger: `cases` and `case_events` in one transaction.

Idempotent on the business key the workflow builds (<case>:<step>:<n>): a retried activity
inserts nothing the second time, and the case row only ever moves forward (last_seq).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from domain.case import CaseEvent, CaseState, Projection
from domain.enums import EventType, Role
from domain.privacy import split_details
from domain.reminders import reminder_text
from ledger.models import Case, CaseEventRow, Notification, Officer
from ledger.personal import PersonalDataCipher, event_context


def _township_people(session: Session, township: str, role: Role) -> list[str]:
    return list(
        session.scalars(
            select(Officer.name)
            .where(Officer.role == role.value, Officer.township == township, Officer.revoked_at.is_(None))
            .order_by(Officer.id)
        )
    )


def _expand_recipients(session: Session, event: CaseEvent, state: CaseState) -> CaseEvent:
    """A level-0 reminder goes to the assigned officer (an unassigned case's to every case officer
    of its township) with the township's lead copied; only the ledger knows who they are."""
    details = event.details
    if event.type != EventType.escalated or details.get("level") != 0:
        return event
    told = list(details.get("recipients") or _township_people(session, state.township, Role.case_officer))
    told += [lead for lead in _township_people(session, state.township, Role.township_lead) if lead not in told]
    if told == details.get("recipients"):
        return event
    return event.model_copy(update={"details": {**details, "recipients": told}})


def _outbox_rows(session: Session, business_key: str, event: CaseEvent, state: CaseState) -> None:
    details = event.details
    deadline = dt.datetime.fromisoformat(details["deadline"]) if details.get("deadline") else None
    message = reminder_text(
        case_no=state.case_no,
        township=state.township,
        stage=event.stage.value,
        level=details["level"],
        reason=details.get("reason", "overdue"),
        overdue_seconds=details.get("overdue_seconds", 0),
        deadline=deadline,
    )
    for recipient in details.get("recipients", []):
        session.execute(
            insert(Notification)
            .values(
                business_key=f"{business_key}:{recipient}",
                case_id=uuid.UUID(state.case_id),
                event_seq=event.seq,
                level=details["level"],
                stage=event.stage.value,
                recipient=recipient,
                message=message,
                status="pending",
            )
            .on_conflict_do_nothing(index_elements=["business_key"])
        )


def write_projection(sessions: sessionmaker, projection: Projection, cipher: PersonalDataCipher) -> bool:
    """Write one projection; True when it was new, False when it had been written before."""
    state = projection.state
    case_id = uuid.UUID(state.case_id)
    with sessions.begin() as session:
        event = _expand_recipients(session, projection.event, state)
        plain, personal = split_details(event.details)
        inserted = session.execute(
            insert(CaseEventRow)
            .values(
                case_id=case_id,
                business_key=projection.business_key,
                seq=event.seq,
                type=event.type.value,
                stage=event.stage.value,
                actor=event.actor,
                at=event.at,
                payload=plain,
                payload_enc=cipher.encrypt_json(personal, context=event_context(case_id, event.seq))
                if personal
                else None,
            )
            .on_conflict_do_nothing()
            .returning(CaseEventRow.id)
        ).first()
        if event.type == EventType.escalated:
            _outbox_rows(session, projection.business_key, event, state)
        session.execute(
            update(Case)
            .where(Case.id == case_id, Case.last_seq < event.seq)
            .values(
                stage=state.stage.value,
                assigned_officer=state.assigned_officer,
                confirmed_by=state.confirmed_by,
                due_at=state.due_at,
                closed_at=state.closed_at,
                outcome=state.outcome.value if state.outcome else None,
                escalation_level=state.escalation_level,
                next_escalation_at=state.next_escalation_at,
                missed_deadline=state.missed_deadline,
                stalled=state.stalled,
                due_capped=state.due_capped,
                episode=state.episode,
                next_check_at=state.monitoring.next_check_at if state.monitoring else None,
                checks_done=state.monitoring.checks_done if state.monitoring else 0,
                checks_left=state.monitoring.checks_left if state.monitoring else 0,
                chain=state.chain.model_dump(mode="json"),
                roster_version=state.chain.roster_version,
                last_seq=event.seq,
                updated_at=event.at,
            )
        )
    return inserted is not None


class LedgerActivities:
    def __init__(self, sessions: sessionmaker, cipher: PersonalDataCipher) -> None:
        self._sessions = sessions
        self._cipher = cipher

    @activity.defn(name="project_case")
    def project_case(self, projection: Projection) -> bool:
        return write_projection(self._sessions, projection, self._cipher)
