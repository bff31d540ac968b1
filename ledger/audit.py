"""The audit log: appended to on every read of personal fields, every reveal, every refusal."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domain.beijing import beijing_iso
from ledger.models import AuditEntry
from ledger.personal import PersonalDataCipher


def audit_context(entry_key: str) -> str:
    return f"audit:{entry_key}"


def record(
    session: Session,
    *,
    cipher: PersonalDataCipher,
    actor: str,
    role: str,
    action: str,
    outcome: str,
    case_id: uuid.UUID | None = None,
    case_no: str | None = None,
    purpose: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one entry, chained to the one before (one writer at a time: a transaction-scoped
    advisory lock); the purpose is free text an officer wrote, so it is encrypted."""
    session.execute(select(func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK)))
    prev_hash = session.scalar(select(AuditEntry.row_hash).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        at=dt.datetime.now(dt.UTC),
        actor=actor,
        role=role,
        action=action,
        outcome=outcome,
        case_id=case_id,
        case_no=case_no,
        purpose_enc=cipher.encrypt(purpose, context=audit_context("purpose")) if purpose else None,
        detail=(detail or "")[:200] or None,
        prev_hash=prev_hash,
    )
    entry.row_hash = chained_hash(entry, cipher)
    session.add(entry)


AUDIT_CHAIN_LOCK = 0x6261_6F78  # "baox"


def chained_hash(entry: AuditEntry, cipher: PersonalDataCipher) -> str:
    """The row's link: keyed (`PersonalDataCipher.seal`), over the link before it and its fields."""
    fields = (
        entry.prev_hash or "",
        entry.at.astimezone(dt.UTC).isoformat(),
        entry.actor,
        entry.role,
        entry.action,
        entry.outcome,
        str(entry.case_id or ""),
        entry.case_no or "",
        (entry.purpose_enc or b"").hex(),
        entry.detail or "",
    )
    return cipher.seal("\x1f".join(fields))


def broken_links(session: Session, cipher: PersonalDataCipher) -> list[int]:
    """Ids of audit rows whose link does not follow from the row before: a row altered, removed
    or inserted out of the chain, even with every link after it recomputed (without the key they
    cannot be). Rows written before the chain began (no link) are skipped."""
    broken = []
    previous: str | None = None
    started = False
    for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        if entry.row_hash is None and not started:
            continue
        started = True
        if entry.prev_hash != previous or entry.row_hash != chained_hash(entry, cipher):
            broken.append(entry.id)
        previous = entry.row_hash
    return broken


def entries(
    session: Session,
    *,
    cipher: PersonalDataCipher,
    case_no: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    query = select(AuditEntry).order_by(AuditEntry.id)
    if case_no:
        query = query.where(AuditEntry.case_no == case_no)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if since:
        query = query.where(AuditEntry.at >= since)
    rows = []
    for entry in session.scalars(query):
        purpose = None
        if entry.purpose_enc:
            purpose = cipher.decrypt(entry.purpose_enc, context=audit_context("purpose"))
        rows.append(
            {
                "at": beijing_iso(entry.at),
                "actor": entry.actor,
                "role": entry.role,
                "action": entry.action,
                "outcome": entry.outcome,
                "case_no": entry.case_no,
                "purpose": purpose,
                "detail": entry.detail,
            }
        )
    return rows
