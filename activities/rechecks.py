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
from domain.beijing import BEIJING
from domain.enums import Role
from domain.rechecks import NOTICE, LateSchools, RecheckNotice, recheck_text
from domain.registers import RegisterKind
from domain.reporting import month_window, quarter_of, quarter_window
from ledger.models import Notification, Officer, RegisterFile, School
from ledger.school_reports import school_checks, school_reports
from ledger.schools import list_schools

STAGE = "recheck"


def attendance_imported_since(session: Session, *, campaign: str, since: dt.datetime) -> bool:
    newest = session.scalar(
        select(func.max(RegisterFile.imported_at)).where(
            RegisterFile.campaign == campaign, RegisterFile.register == RegisterKind.attendance.value
        )
    )
    return newest is not None and newest >= since


def late_schools(session: Session, *, campaign: str, at: dt.datetime) -> LateSchools:
    """The listed schools no attendance list has spoken for since the re-check's month began."""
    schools = list_schools(session)
    if not schools:
        return LateSchools(listed=False)
    local = at.astimezone(BEIJING)
    since, _end = month_window(local.year, local.month)
    far = at + dt.timedelta(days=3660)
    reported = school_reports(session, campaign=campaign, schools=schools, since=since, until=far)
    return LateSchools(listed=True, late=tuple(s.name for s in schools if s.name not in reported))


CHECK_LADDER = (Role.section_chief, Role.office_head, Role.group_leader)
"""Who answers for a school not rechecked, by level: the day's notice and level 0 the township's
section chief, then the office head, then the group leader."""


def unchecked_schools(session: Session, *, campaign: str, at: dt.datetime) -> LateSchools:
    """The listed schools the county has not rechecked (quarterly) in the quarter of `at`."""
    schools = list_schools(session)
    if not schools:
        return LateSchools(listed=False)
    quarter = quarter_of(at)
    since, until = quarter_window(int(quarter[:4]), int(quarter[-1]))
    checked = {
        c.school for c in school_checks(session, campaign=campaign, since=since, until=until) if c.kind == "quarterly"
    }
    return LateSchools(listed=True, late=tuple(s.name for s in schools if s.name not in checked))


def school_recipients(session: Session, notice: RecheckNotice) -> dict[tuple[str, int], list[str]]:
    """Who answers for which late schools at this rung: level 0 each school's officers (its
    township's lead where the school has none enrolled), level 1 the township's lead (its case
    officers where it has none), level 2 the township's section chief by id (every section chief
    where the roster's is not enrolled). Revoked officers are not told."""
    officers = list(
        session.execute(
            select(Officer.name, Officer.role, Officer.township, Officer.id, Officer.school).where(
                Officer.revoked_at.is_(None)
            )
        )
    )
    rows = session.execute(select(School.name, School.township).where(School.name.in_(notice.schools)))
    townships = {name: township for name, township in rows}
    ladders = {ladder.township: ladder for ladder in notice.ladders}
    told: dict[tuple[str, int], list[str]] = {}

    def chain_person(township: str | None, role: Role) -> list[tuple[str, int]]:
        ladder = ladders.get(township or "")
        wanted = getattr(ladder, f"{role.value}_id", None) if ladder else None
        people = [(n, i) for n, r, _t, i, _s in officers if r == role.value and i == wanted]
        return people or [(n, i) for n, r, _t, i, _s in officers if r == role.value]

    def township_people(township: str | None) -> list[tuple[str, int]]:
        leads = [(n, i) for n, r, t, i, _s in officers if r == Role.township_lead.value and t == township]
        return leads or [(n, i) for n, r, t, i, _s in officers if r == Role.case_officer.value and t == township]

    for school in notice.schools:
        township = townships.get(school)
        if notice.of == "schools":
            people = chain_person(township, CHECK_LADDER[max(notice.level, 0)])
        elif notice.level == 0:
            people = [(n, i) for n, r, _t, i, s in officers if r == Role.school.value and s == school]
            people = people or township_people(township)
        elif notice.level == 1:
            people = township_people(township)
        else:
            people = chain_person(township, Role.section_chief)
        for person in people:
            told.setdefault(person, []).append(school)
    return told


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
            or (role == Role.school.value and level == NOTICE)
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

    @activity.defn(name="late_schools")
    def late_schools(self, campaign: str, at: dt.datetime) -> LateSchools:
        with self._sessions() as session:
            return late_schools(session, campaign=campaign, at=at)

    @activity.defn(name="unchecked_schools")
    def unchecked_schools(self, campaign: str, at: dt.datetime) -> LateSchools:
        with self._sessions() as session:
            return unchecked_schools(session, campaign=campaign, at=at)

    @activity.defn(name="recheck_remind")
    def recheck_remind(self, notice: RecheckNotice) -> dict[str, int]:
        prefix = f"recheck:{notice.campaign}:{notice.at.isoformat()}:{notice.name}:{notice.level}:"
        with self._sessions.begin() as session:
            if notice.schools:
                answering = school_recipients(session, notice)
                recipients = sorted(answering)
            else:
                answering, recipients = {}, recheck_recipients(session, notice.level)
            for recipient, officer_id in recipients:
                session.execute(
                    insert(Notification)
                    .values(
                        business_key=(prefix + f"{recipient}#{officer_id}")[:160],
                        topic="recheck",
                        case_id=None,
                        event_seq=0,
                        level=notice.level,
                        stage=STAGE,
                        recipient=recipient,
                        recipient_id=officer_id,
                        message=recheck_text(notice, answering.get((recipient, officer_id))),
                    )
                    .on_conflict_do_nothing(index_elements=["business_key"])
                )
        which = Notification.business_key.startswith(prefix, autoescape=True)
        level = "notice" if notice.level == NOTICE else notice.level
        return deliver_rows(self._sessions, which, self._send, log_fields={"recheck": notice.name, "rung": level})
