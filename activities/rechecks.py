"""The re-check workflow's activities: was a fresh attendance register imported, and telling the
people of a rung (docs/architecture.md, "Re-checks"). Idempotent: outbox rows are keyed by
(campaign, re-check, level, recipient), and only unsent rows are sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.notify import Sender, apprise_send, deliver_rows
from domain.enums import Role
from domain.rechecks import NOTICE, RecheckNotice, recheck_text
from domain.registers import RegisterKind
from ledger.models import Notification, Officer, RegisterFile

STAGE = "recheck"


def attendance_imported_since(session: Session, *, campaign: str, since: dt.datetime) -> bool:
    newest = session.scalar(
        select(func.max(RegisterFile.imported_at)).where(
            RegisterFile.campaign == campaign, RegisterFile.register == RegisterKind.attendance.value
        )
    )
    return newest is not None and newest >= since


def recheck_recipients(session: Session, level: int) -> list[tuple[str, int]]:
    """The day's reminder and level 0: every township's lead (its case officers where it has no
    lead) and the administrators who import; level 1 the section chiefs and office heads; level 2
    the group leaders. Revoked officers are not told. (name, officer id), by officer."""
    officers = list(
        session.execute(
            select(Officer.name, Officer.role, Officer.township, Officer.id).where(Officer.revoked_at.is_(None))
        )
    )
    if level <= 0:
        led = {township for _n, role, township, _i in officers if role == Role.township_lead.value}
        told = [
            (name, officer_id)
            for name, role, township, officer_id in officers
            if role in (Role.township_lead.value, Role.admin.value)
            or (role == Role.case_officer.value and township not in led)
        ]
    elif level == 1:
        chiefs = (Role.section_chief.value, Role.office_head.value)
        told = [(name, officer_id) for name, role, _t, officer_id in officers if role in chiefs]
    else:
        told = [(name, officer_id) for name, role, _t, officer_id in officers if role == Role.group_leader.value]
    return sorted(set(told))


class RecheckActivities:
    def __init__(self, sessions: sessionmaker, send: Sender = apprise_send) -> None:
        self._sessions = sessions
        self._send = send

    @activity.defn(name="attendance_imported_since")
    def attendance_imported_since(self, campaign: str, since: dt.datetime) -> bool:
        with self._sessions() as session:
            return attendance_imported_since(session, campaign=campaign, since=since)

    @activity.defn(name="recheck_remind")
    def recheck_remind(self, notice: RecheckNotice) -> dict[str, int]:
        prefix = f"recheck:{notice.campaign}:{notice.at.isoformat()}:{notice.name}:{notice.level}:"
        with self._sessions.begin() as session:
            for recipient, officer_id in recheck_recipients(session, notice.level):
                session.execute(
                    insert(Notification)
                    .values(
                        business_key=(prefix + f"{recipient}#{officer_id}")[:160],
                        case_id=None,
                        event_seq=0,
                        level=notice.level,
                        stage=STAGE,
                        recipient=recipient,
                        recipient_id=officer_id,
                        message=recheck_text(notice),
                    )
                    .on_conflict_do_nothing(index_elements=["business_key"])
                )
        which = Notification.business_key.startswith(prefix, autoescape=True)
        level = "notice" if notice.level == NOTICE else notice.level
        return deliver_rows(self._sessions, which, self._send, log_fields={"recheck": notice.name, "rung": level})
