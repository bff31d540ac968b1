"""Reconciling the registers into suspects (docs/architecture.md, "Registers and discovery").
Pure: columns in, suspects out.

- dropout, never enrolled (户籍 against 学籍): a household row of a child aged 6–16 on the
  reference date whose key is in no enrollment row (any school, in the county or not) and in no
  disability row (for a disabled child the disability rule decides: the notice's dropout is a
  child "身体正常");
- dropout, enrolled but not attending (学籍 against who is in school), once any attendance list
  is imported: an enrollment row of a child aged 6–16 (not on the disability register) who is in
  school on no attendance list — absent from all of them, or listed only as 其他离校, or as 休学
  without an approved arrangement;
- funding: an alleviated row whose key has no aid row — or, when the campaign has an aid rule,
  no aid row paid in its period with an item for the student's education stage;
- disability: a disability row of a child with no arrangement recorded in any of their rows
  (`无`, `待定` and the like record none; decided when the row is imported).
A child listed twice is one suspect, with every row that raised it.

Registers are held column-wise: a county's run to 100,000s of rows, and one object per row
would cost more than the reconciliation itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from domain.aid_rules import IN_SCHOOL, AidRule
from domain.enums import CaseKind, EducationLevel
from domain.register_scopes import COUNTY, FileScope, Scope
from domain.registers import Attendance

MIN_AGE, MAX_AGE = 6, 16


class RowRef(NamedTuple):
    register: str
    file_id: int
    row_no: int


@dataclass
class RegisterColumns:
    """The valid rows of one register: child key, where the row is, and what discovery needs."""

    register: str
    keys: list[str] = field(default_factory=list)
    file_ids: list[int] = field(default_factory=list)
    row_nos: list[int] = field(default_factory=list)
    townships: list[str | None] = field(default_factory=list)
    ages: list[int | None] = field(default_factory=list)
    arranged: list[bool] = field(default_factory=list)
    stages: list[str | None] = field(default_factory=list)
    aid_items: list[str | None] = field(default_factory=list)
    paid_on: list[dt.date | None] = field(default_factory=list)
    statuses: list[str | None] = field(default_factory=list)
    categories: list[str | None] = field(default_factory=list)
    schools: list[str | None] = field(default_factory=list)
    scopes: dict[int, FileScope] = field(default_factory=dict)
    """What each file speaks for (a file not named here: the county)."""

    def append(
        self,
        key: str,
        file_id: int,
        row_no: int,
        township: str | None = None,
        age: int | None = None,
        arranged: bool = False,
        stage: str | None = None,
        aid_item: str | None = None,
        paid_on: dt.date | None = None,
        status: str | None = None,
        category: str | None = None,
        school: str | None = None,
    ) -> None:
        self.keys.append(key)
        self.file_ids.append(file_id)
        self.row_nos.append(row_no)
        self.townships.append(township)
        self.ages.append(age)
        self.arranged.append(arranged)
        self.stages.append(stage)
        self.aid_items.append(aid_item)
        self.paid_on.append(paid_on)
        self.statuses.append(status)
        self.categories.append(category)
        self.schools.append(school)

    def ref(self, index: int) -> RowRef:
        return RowRef(self.register, self.file_ids[index], self.row_nos[index])

    def __len__(self) -> int:
        return len(self.keys)


class Reason(StrEnum):
    """Why a child is a suspect: the comparison that raised them."""

    never_enrolled = "never_enrolled"
    enrolled_not_attending = "enrolled_not_attending"
    transferred_not_received = "transferred_not_received"
    """Enrolled, listed only as 转出, and no list anywhere shows the child present: the transfer
    was never received."""
    aid_not_received = "aid_not_received"
    not_arranged = "not_arranged"
    arranged_not_attending = "arranged_not_attending"


class Review(StrEnum):
    """Why a child is on the review list instead (not raised, not counted as in school)."""

    status_unknown = "status_unknown"


@dataclass
class Suspect:
    kind: CaseKind
    key: str
    township: str
    refs: list[RowRef] = field(default_factory=list)
    reason: Reason | Review = Reason.never_enrolled
    school: str | None = None


def _group(kind: CaseKind, reason: Reason | Review, rows: RegisterColumns, indexes: Iterable[int]) -> list[Suspect]:
    suspects: dict[str, Suspect] = {}
    keys, townships = rows.keys, rows.townships
    schools = rows.schools if len(rows.schools) == len(keys) else [None] * len(keys)
    for i in indexes:
        key = keys[i]
        suspect = suspects.get(key)
        if suspect is None:
            suspects[key] = Suspect(kind, key, townships[i] or "", [rows.ref(i)], reason, schools[i])
        else:
            suspect.refs.append(rows.ref(i))
            suspect.school = suspect.school or schools[i]
    return list(suspects.values())


def _school_age(age: int | None) -> bool:
    return age is not None and MIN_AGE <= age <= MAX_AGE


def dropout_suspects(
    household: RegisterColumns,
    enrollment: RegisterColumns,
    disability: RegisterColumns | None = None,
    attendance: RegisterColumns | None = None,
) -> list[Suspect]:
    disabled = set(disability.keys if disability else ())
    unenrolled = set(household.keys) - set(enrollment.keys) - disabled
    in_age = [
        i
        for i, (key, age) in enumerate(zip(household.keys, household.ages, strict=True))
        if key in unenrolled and _school_age(age)
    ]
    found = _group(CaseKind.dropout, Reason.never_enrolled, household, in_age)
    if attendance is not None and len(attendance):
        found.extend(not_attending(household, enrollment, attendance, disabled))
    return found


def not_attending(
    household: RegisterColumns, enrollment: RegisterColumns, attendance: RegisterColumns, disabled: set[str]
) -> list[Suspect]:
    """Enrolled children in school on no attendance list (those whose lists say only words the
    rules do not know are left to `status_review`). The suspect's township is the household
    register's, else the enrollment row's, else an attendance row's; the attendance rows that
    speak of the child are among its sources."""
    settled = in_school(attendance) | set(_unknown_only(attendance))
    judged = attendance_coverage(attendance).judges
    indexes = [
        i
        for i, (key, age, township, school) in enumerate(
            zip(enrollment.keys, enrollment.ages, enrollment.townships, _schools(enrollment), strict=True)
        )
        if key not in settled and key not in disabled and _school_age(age) and judged(township, school)
    ]
    suspects = _group(CaseKind.dropout, Reason.enrolled_not_attending, enrollment, indexes)
    wanted = {s.key for s in suspects}
    home: dict[str, str] = {}
    for key, township in zip(household.keys, household.townships, strict=True):
        if key in wanted and township and key not in home:
            home[key] = township
    listed: dict[str, list[int]] = {}
    for i, key in enumerate(attendance.keys):
        if key in wanted:
            listed.setdefault(key, []).append(i)
    for suspect in suspects:
        rows = listed.get(suspect.key, [])
        elsewhere = next((attendance.townships[i] for i in rows if attendance.townships[i]), "")
        suspect.township = home.get(suspect.key) or suspect.township or elsewhere or ""
        suspect.refs.extend(attendance.ref(i) for i in rows)
        if rows and all(attendance.statuses[i] == Attendance.transferred for i in rows):
            suspect.reason = Reason.transferred_not_received
    return suspects


def _schools(rows: RegisterColumns) -> list[str | None]:
    return rows.schools if len(rows.schools) == len(rows.keys) else [None] * len(rows.keys)


@dataclass(frozen=True)
class Coverage:
    """Whom the current attendance lists speak for: a child is judged by the 学籍 × 在校
    comparison only where a list is current for their school or township."""

    everywhere: bool = False
    townships: frozenset[str] = frozenset()
    schools: frozenset[str] = frozenset()

    def judges(self, township: str | None, school: str | None) -> bool:
        return self.everywhere or township in self.townships or (school is not None and school in self.schools)


def attendance_coverage(attendance: RegisterColumns) -> Coverage:
    """A township's or a school's own list speaks for it; a county list for every township its rows
    name — for all of them when a row names none (the county's own list). A child enrolled where no
    list speaks is judged by none: not raised, and shown as a gap (`attendance_gaps`)."""
    townships: set[str] = set()
    schools: set[str] = set()
    everywhere = False
    county_files: set[int] = set()
    for file_id in set(attendance.file_ids):
        scope = attendance.scopes.get(file_id, COUNTY)
        if scope.scope == Scope.school and scope.unit:
            schools.add(scope.unit)
        elif scope.scope == Scope.township and scope.unit:
            townships.add(scope.unit)
        else:
            county_files.add(file_id)
    for file_id, township in zip(attendance.file_ids, attendance.townships, strict=True):
        if file_id in county_files:
            if township:
                townships.add(township)
            else:
                everywhere = True
    return Coverage(everywhere, frozenset(townships), frozenset(schools))


def attendance_gaps(enrollment: RegisterColumns, attendance: RegisterColumns, township: str | None = None) -> list[str]:
    """Where enrolled children of school age have no current attendance list: a township no list
    speaks for at all, or — in a township some of whose schools have reported — each school that
    has not. `township`: only that township's."""
    if not len(attendance):
        return []
    coverage = attendance_coverage(attendance)
    if coverage.everywhere:
        return []
    partly = _reporting_townships(enrollment, coverage)
    gaps: set[str] = set()
    rows = zip(enrollment.townships, _schools(enrollment), enrollment.ages, strict=True)
    for home, school, age in rows:
        if not _school_age(age) or coverage.judges(home, school) or (township is not None and home != township):
            continue
        if home in partly and school:
            gaps.add(school)
        elif home:
            gaps.add(home)
    return sorted(gaps)


def _reporting_townships(enrollment: RegisterColumns, coverage: Coverage) -> set[str]:
    return {t for t, s in zip(enrollment.townships, _schools(enrollment), strict=True) if t and s in coverage.schools}


def in_school(attendance: RegisterColumns) -> set[str]:
    """Children some list shows present, or suspended with an approved arrangement: nothing else
    counts (a transfer out only where another list shows them present; an unknown word never)."""
    return {
        key
        for key, status, arranged in zip(attendance.keys, attendance.statuses, attendance.arranged, strict=True)
        if status == Attendance.present or (status == Attendance.suspended and arranged)
    }


def _unknown_only(attendance: RegisterColumns) -> dict[str, list[int]]:
    """Children every list of whom says a word the rules do not know (their rows, by child)."""
    known: set[str] = set()
    unknown: dict[str, list[int]] = {}
    for i, (key, status) in enumerate(zip(attendance.keys, attendance.statuses, strict=True)):
        if status == Attendance.other:
            unknown.setdefault(key, []).append(i)
        else:
            known.add(key)
    return {key: rows for key, rows in unknown.items() if key not in known}


def status_review(enrollment: RegisterColumns, attendance: RegisterColumns, disabled: set[str]) -> list[Suspect]:
    """Enrolled children of school age whose lists say only words the rules do not know: not
    raised, not counted in school — listed for their township to answer."""
    unknown = _unknown_only(attendance)
    indexes = [
        i
        for i, (key, age) in enumerate(zip(enrollment.keys, enrollment.ages, strict=True))
        if key in unknown and key not in disabled and _school_age(age)
    ]
    review = _group(CaseKind.dropout, Review.status_unknown, enrollment, indexes)
    for item in review:
        item.refs.extend(attendance.ref(i) for i in unknown[item.key])
    return review


def funding_suspects(alleviated: RegisterColumns, aid: RegisterColumns, rule: AidRule | None = None) -> list[Suspect]:
    if rule is None:
        aided = set(aid.keys)
        unaided = (i for i, key in enumerate(alleviated.keys) if key not in aided)
        return _group(CaseKind.funding, Reason.aid_not_received, alleviated, unaided)
    payments: dict[str, list[int]] = {}
    for i, key in enumerate(aid.keys):
        payments.setdefault(key, []).append(i)

    def cleared(i: int) -> bool:
        level = alleviated.stages[i]
        stage = EducationLevel(level) if level else None
        return any(rule.clears(stage, aid.aid_items[j], aid.paid_on[j]) for j in payments.get(alleviated.keys[i], ()))

    uncleared = (i for i in range(len(alleviated)) if not cleared(i))
    return _group(CaseKind.funding, Reason.aid_not_received, alleviated, uncleared)


def disability_suspects(disability: RegisterColumns) -> list[Suspect]:
    """Disabled children of school age (6–16 on the reference date) with no arrangement in any row."""
    arranged = {key for key, done in zip(disability.keys, disability.arranged, strict=True) if done}
    unarranged = (
        i
        for i, (key, age) in enumerate(zip(disability.keys, disability.ages, strict=True))
        if key not in arranged and _school_age(age)
    )
    return _group(CaseKind.disability, Reason.not_arranged, disability, unarranged)


def arranged_not_attending(disability: RegisterColumns, attendance: RegisterColumns) -> list[Suspect]:
    """Disabled children of school age placed in a school (随班就读, a special school: the row's
    status is `in_school`) whom no attendance list shows in school (a list saying only words the
    rules do not know leaves them to the review list; a township no list speaks for, to its gap)."""
    settled = in_school(attendance) | set(_unknown_only(attendance))
    judged = attendance_coverage(attendance).judges
    rows = zip(disability.keys, disability.statuses, disability.ages, disability.townships, strict=True)
    placed = (
        i
        for i, (key, placement, age, township) in enumerate(rows)
        if placement == IN_SCHOOL and key not in settled and _school_age(age) and judged(township, None)
    )
    found = _group(CaseKind.disability, Reason.arranged_not_attending, disability, placed)
    unarranged = {s.key for s in disability_suspects(disability)}
    return [s for s in found if s.key not in unarranged]


def find_suspects(
    household: RegisterColumns,
    enrollment: RegisterColumns,
    alleviated: RegisterColumns,
    aid: RegisterColumns,
    disability: RegisterColumns,
    township: str | None = None,
    aid_rule: AidRule | None = None,
    attendance: RegisterColumns | None = None,
) -> dict[CaseKind, list[Suspect]]:
    found = {
        CaseKind.dropout: dropout_suspects(household, enrollment, disability, attendance),
        CaseKind.funding: funding_suspects(alleviated, aid, aid_rule),
        CaseKind.disability: disability_suspects(disability),
    }
    if attendance is not None and len(attendance):
        found[CaseKind.disability] += arranged_not_attending(disability, attendance)
    if township is not None:
        found = {kind: [s for s in suspects if s.township == township] for kind, suspects in found.items()}
    return found


def find_review(enrollment: RegisterColumns, attendance: RegisterColumns, disability: RegisterColumns) -> list[Suspect]:
    """The review list (`status_review`), where any attendance list is imported."""
    if not len(attendance):
        return []
    return status_review(enrollment, attendance, set(disability.keys))
