"""Evidence files in the ledger: stored once per case and content, listed, fetched."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain.evidence import evidence_context, sha256_of
from domain.steps import EvidenceRef
from ledger.models import EvidenceFile
from ledger.personal import PersonalDataCipher


def store_evidence(
    session: Session,
    *,
    cipher: PersonalDataCipher,
    case_id: uuid.UUID,
    data: bytes,
    media_type: str,
    uploaded_by: str,
) -> EvidenceFile:
    """The file's row; the same bytes uploaded twice to one case are one file."""
    digest = sha256_of(data)
    session.execute(
        insert(EvidenceFile)
        .values(
            case_id=case_id,
            sha256=digest,
            media_type=media_type,
            size=len(data),
            blob_enc=cipher.encrypt_bytes(data, context=evidence_context(case_id, digest)),
            uploaded_by=uploaded_by,
        )
        .on_conflict_do_nothing(constraint="uq_evidence_once_per_case")
    )
    return session.scalars(
        select(EvidenceFile).where(EvidenceFile.case_id == case_id, EvidenceFile.sha256 == digest)
    ).one()


def evidence_of(session: Session, *, case_id: uuid.UUID) -> list[EvidenceFile]:
    return list(session.scalars(select(EvidenceFile).where(EvidenceFile.case_id == case_id).order_by(EvidenceFile.id)))


def unknown_ref(session: Session, *, case_id: uuid.UUID, refs: list[EvidenceRef]) -> EvidenceRef | None:
    """The first file a step names that was not uploaded to this case with that content."""
    held = {(row.id, row.sha256) for row in evidence_of(session, case_id=case_id)}
    return next((ref for ref in refs if (ref.id, ref.sha256) not in held), None)


def evidence_bytes(cipher: PersonalDataCipher, row: EvidenceFile) -> bytes | None:
    if row.blob_enc is None:
        return None
    return cipher.decrypt_bytes(row.blob_enc, context=evidence_context(row.case_id, row.sha256))
