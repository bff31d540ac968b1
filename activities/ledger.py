"""Projecting accepted steps into the ledger: `cases` and `case_events` in one transaction.

Idempotent on the business key the workflow builds (<case>:<step>:<n>): a retried activity
inserts nothing the second time, and the case row only ever moves forward (last_seq).
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import sessionmaker
from temporalio import activity

from domain.case import Projection
from ledger.models import Case, CaseEventRow


def write_projection(sessions: sessionmaker, projection: Projection) -> bool:
    """Write one projection; True when it was new, False when it had been written before."""
    event, state = projection.event, projection.state
    case_id = uuid.UUID(state.case_id)
    with sessions.begin() as session:
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
                payload=event.details,
            )
            .on_conflict_do_nothing()
            .returning(CaseEventRow.id)
        ).first()
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
                last_seq=event.seq,
                updated_at=event.at,
            )
        )
    return inserted is not None


class LedgerActivities:
    def __init__(self, sessions: sessionmaker) -> None:
        self._sessions = sessions

    @activity.defn(name="project_case")
    def project_case(self, projection: Projection) -> bool:
        return write_projection(self._sessions, projection)
