"""Anonymising cases closed longer than the retention period: personal columns cleared, evidence
files erased (their digests kept), the register rows and case sources that could name the child
again deleted, the child's cells taken out of the register blocks that held them; the case, its
events (without their free text) and the audit log kept. A closed case still watched is not due.
Idempotent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.orm import Session, aliased

from ledger.models import Case, CaseEventRow, CaseSource, EvidenceFile, RegisterRow, Student
from ledger.personal import PersonalDataCipher
from ledger.register_blocks import forget_rows

ANONYMISED = "已匿名"


@dataclass(frozen=True)
class RetentionResult:
    cases: int
    students: int


def _due(cutoff: dt.datetime):
    return and_(
        Case.stage == "closed", Case.closed_at < cutoff, Case.anonymised_at.is_(None), Case.next_check_at.is_(None)
    )


def anonymise(
    session: Session, *, cipher: PersonalDataCipher, cutoff: dt.datetime, now: dt.datetime, dry_run: bool
) -> RetentionResult:
    case_ids = list(session.scalars(select(Case.id).where(_due(cutoff))))
    other = aliased(Case)
    still_needed = exists().where(
        other.student_id == Student.id, ~and_(other.stage == "closed", other.closed_at < cutoff)
    )
    student_ids = list(
        session.scalars(
            select(Student.id)
            .join(Case, Case.student_id == Student.id)
            .where(Case.id.in_(case_ids), Student.anonymised_at.is_(None), ~still_needed)
            .distinct()
        )
    )
    if not dry_run and case_ids:
        session.execute(update(CaseEventRow).where(CaseEventRow.case_id.in_(case_ids)).values(payload_enc=None))
        session.execute(update(Case).where(Case.id.in_(case_ids)).values(intake_enc=None, anonymised_at=now))
        session.execute(
            update(EvidenceFile)
            .where(EvidenceFile.case_id.in_(case_ids), EvidenceFile.blob_enc.is_not(None))
            .values(blob_enc=None, erased_at=now)
        )
        session.execute(delete(CaseSource).where(CaseSource.case_id.in_(case_ids)))
    if not dry_run and student_ids:
        child_keys = select(Student.child_key).where(Student.id.in_(student_ids)).scalar_subquery()
        gone = session.execute(
            delete(RegisterRow)
            .where(RegisterRow.child_key.in_(child_keys))
            .returning(RegisterRow.file_id, RegisterRow.block_no, RegisterRow.row_no)
        )
        forget_rows(session, cipher, [(f, b, r) for f, b, r in gone if b is not None])
        session.execute(
            update(Student)
            .where(Student.id.in_(student_ids))
            .values(
                name_enc=b"",
                id_number_enc=b"",
                id_masked=ANONYMISED,
                child_key=func.concat("anonymised:", Student.id),
                anonymised_at=now,
            )
        )
    return RetentionResult(len(case_ids), len(student_ids))
