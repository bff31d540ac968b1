"""The digest workflow's activity: the day's message for one officer — every open case due by the
end of that day in their reach — written to the outbox once (keyed by officer and day) and sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.notify import Sender, apprise_send, deliver_rows
from domain.beijing import china_midnight
from domain.digest import DigestDay, DueCase, digest_text
from domain.enums import Role
from domain.labels import label
from ledger.models import Case, Notification, Officer

CHAIN_ROLES = (Role.section_chief, Role.office_head, Role.group_leader)


def reach(officer: Officer) -> ColumnElement[bool]:
    """The cases a digest lists for this officer: a case officer's own, a township lead's
    township, a chain person's townships (as each case's chain names them), county all."""
    role = officer.role
    if role == Role.case_officer.value:
        by_name = and_(Case.assigned_officer == officer.name, Case.township == officer.township)
        return or_(Case.assigned_officer_id == officer.id, and_(Case.assigned_officer_id.is_(None), by_name))
    if role == Role.township_lead.value:
        return Case.township == officer.township
    if role in {r.value for r in CHAIN_ROLES}:
        return Case.chain[role].as_string() == officer.name
    return true() if role == Role.county.value else false()


def due_cases(session: Session, officer: Officer, day: dt.date) -> list[DueCase]:
    end = china_midnight(day + dt.timedelta(days=1))
    rows = session.execute(
        select(Case.case_no, Case.township, Case.stage, Case.due_at).where(
            Case.closed_at.is_(None), Case.due_at.is_not(None), Case.due_at < end, reach(officer)
        )
    ).all()
    return [DueCase(no, township, label("stage", stage), due or end) for no, township, stage, due in rows]


class DigestActivities:
    def __init__(self, sessions: sessionmaker, send: Sender = apprise_send) -> None:
        self._sessions = sessions
        self._send = send

    @activity.defn(name="send_digest")
    def send_digest(self, digest: DigestDay) -> int:
        """The number of cases listed (0: nothing due, nothing sent; a revoked officer or one who
        turned the digest off gets none)."""
        key = f"digest:{digest.officer_id}:{digest.day.isoformat()}"
        with self._sessions.begin() as session:
            officer = session.get(Officer, digest.officer_id)
            if officer is None or officer.revoked_at is not None or officer.digest_at is None:
                return 0
            cases = due_cases(session, officer, digest.day)
            if not cases:
                return 0
            text = digest_text(officer.name, digest.day, cases, now=digest.at)
            session.execute(
                insert(Notification)
                .values(
                    business_key=key, case_id=None, event_seq=0, level=0, stage="digest", recipient=officer.name,
                    recipient_id=officer.id, message=text, topic="digest",
                )
                .on_conflict_do_nothing(index_elements=["business_key"])
            )  # fmt: skip
        deliver_rows(self._sessions, Notification.business_key == key, self._send, log_fields={"汇总": key})
        return len(cases)
