"""What the ledger says of each school's reports: the attendance list that speaks for it in a
window (its own, else its township's, else the county's naming it), the cases of its pupils opened
then, and the county's rechecks of it (docs/architecture.md, "Schools and their reports")."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.register_scopes import Scope
from domain.registers import RegisterKind
from ledger.models import Case, RegisterFile, RegisterRow, School, SchoolCheck


@dataclass(frozen=True)
class ReportSeen:
    file_id: int
    scope: str
    at: dt.datetime
    by: str | None
    rows: int | None
    """The list's rows for the school (None: a replaced county list, its rows gone)."""


_PRECEDENCE = {Scope.school.value: 0, Scope.township.value: 1, Scope.county.value: 2}


def school_reports(
    session: Session, *, campaign: str, schools: list[School], since: dt.datetime, until: dt.datetime
) -> dict[str, ReportSeen]:
    """Per school, the attendance list imported in [since, until) that speaks for it: its own
    (latest), else its township's, else a county list with rows of it. A school not here did not report."""
    files = list(
        session.execute(
            select(
                RegisterFile.id,
                RegisterFile.scope,
                RegisterFile.scope_unit,
                RegisterFile.imported_at,
                RegisterFile.imported_by,
                RegisterFile.valid_rows,
            )
            .where(
                RegisterFile.campaign == campaign,
                RegisterFile.register == RegisterKind.attendance.value,
                RegisterFile.imported_at >= since,
                RegisterFile.imported_at < until,
            )
            .order_by(RegisterFile.imported_at.desc())
        )
    )
    broader = [f[0] for f in files if f[1] != Scope.school.value]
    per_school: dict[tuple[int, str | None], int] = {}
    if broader:
        counted = session.execute(
            select(RegisterRow.file_id, RegisterRow.school, func.count())
            .where(RegisterRow.file_id.in_(broader))
            .group_by(RegisterRow.file_id, RegisterRow.school)
        )
        per_school = {(file_id, school): n for file_id, school, n in counted}
    found: dict[str, ReportSeen] = {}
    for school in schools:
        best: tuple[int, ReportSeen] | None = None
        for file_id, scope, unit, at, by, valid in files:
            if scope == Scope.school.value and unit == school.name:
                rows: int | None = valid
            elif scope == Scope.township.value and unit == school.township:
                rows = per_school.get((file_id, school.name), 0)
            elif scope == Scope.county.value and per_school.get((file_id, school.name)):
                rows = per_school[(file_id, school.name)]
            else:
                continue
            rank = _PRECEDENCE[scope]
            if best is None or rank < best[0]:
                best = (rank, ReportSeen(file_id, scope, at, by, rows))
        if best is not None:
            found[school.name] = best[1]
    return found


def school_cases_opened(session: Session, *, campaign: str, since: dt.datetime, until: dt.datetime) -> Counter[str]:
    """Cases of each school's pupils opened in [since, until): absences reported, suspects raised."""
    rows = session.execute(
        select(Case.school, func.count())
        .where(Case.campaign == campaign, Case.school.is_not(None), Case.opened_at >= since, Case.opened_at < until)
        .group_by(Case.school)
    )
    return Counter({school: n for school, n in rows if school})


def school_checks(
    session: Session, *, campaign: str, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[SchoolCheck]:
    query = select(SchoolCheck).where(SchoolCheck.campaign == campaign).order_by(SchoolCheck.checked_at)
    if since is not None:
        query = query.where(SchoolCheck.checked_at >= since)
    if until is not None:
        query = query.where(SchoolCheck.checked_at < until)
    return list(session.scalars(query))


def find_school(session: Session, name: str) -> School | None:
    return session.scalars(select(School).where(School.name == name)).first()
