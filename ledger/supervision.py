"""督查 and 问责 in the ledger: inspections, rectification orders and accountability decisions,
written and listed; free text sealed (it may name a child), everything else plain."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain.evidence import sha256_of
from domain.supervision import AccountabilityInput, InspectionInput
from ledger.models import AccountabilityDecision, Inspection, Notification, RecordFile, RectificationOrder
from ledger.personal import PersonalDataCipher


@dataclass(frozen=True)
class Recorder:
    name: str
    officer_id: int | None


def add_inspection(
    session: Session, *, cipher: PersonalDataCipher, campaign: str, group: int, given: InspectionInput, by: Recorder
) -> Inspection:
    inspection_id = _next_id(session, "inspections")
    row = Inspection(
        id=inspection_id,
        campaign=campaign,
        township=given.township,
        group_no=group,
        inspected_on=given.inspected_on,
        villages=list(given.villages),
        schools=list(given.schools),
        sampled=list(given.sampled),
        finding_enc=cipher.encrypt(given.finding, context=f"inspection:{inspection_id}:finding"),
        recorded_by=by.name,
        recorded_by_id=by.officer_id,
    )
    session.add(row)
    return row


def _next_id(session: Session, table: str) -> int:
    """The row's id drawn before it is written: its sealed text names it, and the app may not
    update the row afterwards (inspections and decisions are append-only)."""
    return int(session.scalar(text(f"SELECT nextval('{table}_id_seq')")))


def add_order(
    session: Session,
    *,
    cipher: PersonalDataCipher,
    campaign: str,
    township: str,
    group: int,
    due_at: dt.datetime,
    text: str,
    inspection: int | None,
    by: Recorder,
) -> RectificationOrder:
    row = RectificationOrder(
        campaign=campaign,
        township=township,
        group_no=group,
        inspection_id=inspection,
        due_at=due_at,
        text_enc=b"",
        issued_by=by.name,
        issued_by_id=by.officer_id,
    )
    session.add(row)
    session.flush()
    row.text_enc = cipher.encrypt(text, context=f"order:{row.id}:text")
    return row


def answer_order(
    session: Session, *, cipher: PersonalDataCipher, order: RectificationOrder, text: str, by: Recorder
) -> None:
    order.answered_at = dt.datetime.now(dt.UTC)
    order.answered_by = by.name
    order.answer_enc = cipher.encrypt(text, context=f"order:{order.id}:answer")


def add_decision(
    session: Session, *, cipher: PersonalDataCipher, campaign: str, given: AccountabilityInput, by: Recorder
) -> AccountabilityDecision:
    decision_id = _next_id(session, "accountability_decisions")
    row = AccountabilityDecision(
        id=decision_id,
        campaign=campaign,
        unit=given.unit,
        person=given.person,
        ground=given.ground.value,
        cases=list(given.cases),
        reminders=list(given.reminders),
        orders=list(given.orders),
        decision_enc=cipher.encrypt(given.decision, context=f"accountability:{decision_id}:decision"),
        decided_by=by.name,
        decided_by_id=by.officer_id,
    )
    session.add(row)
    return row


def store_record_file(
    session: Session, *, cipher: PersonalDataCipher, record: str, data: bytes, media_type: str, uploaded_by: str
) -> RecordFile:
    digest = sha256_of(data)
    session.execute(
        insert(RecordFile)
        .values(
            record=record,
            sha256=digest,
            media_type=media_type,
            size=len(data),
            blob_enc=cipher.encrypt_bytes(data, context=f"{record}:file:{digest}"),
            uploaded_by=uploaded_by,
        )
        .on_conflict_do_nothing(constraint="uq_record_file_once")
    )
    return session.scalars(select(RecordFile).where(RecordFile.record == record, RecordFile.sha256 == digest)).one()


def record_files(session: Session, records: list[str]) -> dict[str, list[RecordFile]]:
    rows = session.scalars(select(RecordFile).where(RecordFile.record.in_(records)).order_by(RecordFile.id))
    found: dict[str, list[RecordFile]] = {}
    for row in rows:
        found.setdefault(row.record, []).append(row)
    return found


def unanswered_reminders(session: Session, *, case_nos: list[str]) -> list[Notification]:
    """Reminders of these cases (the outbox), oldest first: the evidence an accountability
    decision may link."""
    from ledger.models import Case

    return list(
        session.scalars(
            select(Notification)
            .join(Case, Case.id == Notification.case_id)
            .where(Case.case_no.in_(case_nos))
            .order_by(Notification.id)
        )
    )
