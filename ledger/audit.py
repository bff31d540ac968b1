"""The audit log: appended to on every read of personal fields, every reveal, every refusal."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
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
    """Append one entry; the purpose is free text an officer wrote, so it is encrypted."""
    session.add(
        AuditEntry(
            actor=actor,
            role=role,
            action=action,
            outcome=outcome,
            case_id=case_id,
            case_no=case_no,
            purpose_enc=cipher.encrypt(purpose, context=audit_context("purpose")) if purpose else None,
            detail=(detail or "")[:200] or None,
        )
    )


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
