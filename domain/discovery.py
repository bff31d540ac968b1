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

from domain.aid_rules import AidRule
from domain.enums import CaseKind, EducationLevel
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

    def ref(self, index: int) -> RowRef:
        return RowRef(self.register, self.file_ids[index], self.row_nos[index])

    def __len__(self) -> int:
        return len(self.keys)


class Reason(StrEnum):
    """Why a child is a suspect: the comparison that raised them."""

    never_enrolled = "never_enrolled"
    enrolled_not_attending = "enrolled_not_attending"
    aid_not_received = "aid_not_received"
    not_arranged = "not_arranged"


@dataclass
class Suspect:
    kind: CaseKind
    key: str
    township: str
    refs: list[RowRef] = field(default_factory=list)
    reason: Reason = Reason.never_enrolled


def _group(kind: CaseKind, reason: Reason, rows: RegisterColumns, indexes: Iterable[int]) -> list[Suspect]:
    suspects: dict[str, Suspect] = {}
    keys, townships = rows.keys, rows.townships
    for i in indexes:
        key = keys[i]
        suspect = suspects.get(key)
        if suspect is None:
            suspects[key] = Suspect(kind, key, townships[i] or "", [rows.ref(i)], reason)
        else:
            suspect.refs.append(rows.ref(i))
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
    """Enrolled children in school on no attendance list. The suspect's township is the household
    register's, else the enrollment row's, else an attendance row's; the attendance rows that
    speak of the child are among its sources."""
    attending = {
        key
        for key, status, arranged in zip(attendance.keys, attendance.statuses, attendance.arranged, strict=True)
        if status != Attendance.left and (status != Attendance.suspended or arranged)
    }
    indexes = [
        i
        for i, (key, age) in enumerate(zip(enrollment.keys, enrollment.ages, strict=True))
        if key not in attending and key not in disabled and _school_age(age)
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
    return suspects


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
    arranged = {key for key, done in zip(disability.keys, disability.arranged, strict=True) if done}
    unarranged = (i for i, key in enumerate(disability.keys) if key not in arranged)
    return _group(CaseKind.disability, Reason.not_arranged, disability, unarranged)


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
    if township is not None:
        found = {kind: [s for s in suspects if s.township == township] for kind, suspects in found.items()}
    return found
