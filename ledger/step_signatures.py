"""Officer steps as signed, kept so that every step event in the ledger can be accounted for.

The API server writes a row for each step before it sends it to the case: the officer, the key
that signed, the signature, the time and the fields exactly as signed (encrypted), sealed with the
server's MAC. `verify` then holds each step event written since (ledger_epochs) to a row: sealed
by the server, its signature good under the key it names, for the event's case, step and
sequence number, and with the event's plain fields equal to the signed ones. A step event the
database's owner inserted or rewrote is not accounted for. A row whose step was then refused
stands for no event and is never looked at.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from domain.signing import step_message, verify
from domain.step_specs import STEPS
from domain.steps import INPUTS, StepInput
from ledger.models import CaseEventRow, LedgerEpoch, StepSignature
from ledger.personal import PersonalDataCipher

EPOCH = "step_signatures"
_STEP_OF_EVENT = {spec.event: name for name, spec in STEPS.items()}


def _context(case_id: uuid.UUID, seq: int) -> str:
    return f"signed-step:{case_id}:{seq}"


def _sealed_text(case_id: uuid.UUID, seq: int, step: str, officer_id: int, public_key: str, signed_at: str,
                 signature: str, fields_digest: str) -> str:  # fmt: skip
    return "\x1f".join(("step", str(case_id), str(seq), step, str(officer_id), public_key, signed_at, signature,
                        fields_digest))  # fmt: skip


def record_signed_step(
    session: Session, *, cipher: PersonalDataCipher, case_id: uuid.UUID, step: StepInput, public_key: str
) -> None:
    """Keep the step as its officer signed it (idempotent: a retry signs the same)."""
    if step.signature is None or step.signed_fields is None or step.expected_seq is None or step.actor.id is None:
        return
    seq = step.expected_seq + 1
    signed_at = step.signed_at_text or ""
    digest = hashlib.sha256(step.signed_fields.encode()).hexdigest()
    seal = cipher.seal(
        _sealed_text(case_id, seq, step.step, step.actor.id, public_key, signed_at, step.signature, digest)
    )
    session.execute(
        insert(StepSignature)
        .values(
            case_id=case_id,
            seq=seq,
            step=step.step,
            officer_id=step.actor.id,
            public_key=public_key,
            signed_at=signed_at,
            signature=step.signature,
            fields_enc=cipher.encrypt(step.signed_fields, context=_context(case_id, seq)),
            seal=seal,
        )
        .on_conflict_do_nothing(constraint="uq_step_signatures_once")
    )


@dataclass(frozen=True)
class Unaccounted:
    case_id: uuid.UUID
    seq: int
    type: str
    why: str
    """unsigned (no row the server sealed), bad_signature, altered (the event's fields differ)"""


def _numbered_on(session: Session, case_ids: list[uuid.UUID]) -> dict[tuple[uuid.UUID, int], int]:
    """Step events a case numbered on past events the ledger held that it never committed (a
    `restored` event's `moved`: [as signed, as numbered]), by where they stand now."""
    restored = session.execute(
        select(CaseEventRow.case_id, CaseEventRow.payload["moved"]).where(
            CaseEventRow.case_id.in_(case_ids),
            CaseEventRow.type == "restored",
            CaseEventRow.payload["moved"].is_not(None),
        )
    ).all()
    return {(case_id, int(now)): int(signed) for case_id, moved in restored for signed, now in moved or []}


def _accounts_for(row: StepSignature, event: CaseEventRow, cipher: PersonalDataCipher, seq: int) -> str | None:
    """None when the row accounts for the event (signed as the case's `seq`-th event), else why not."""
    fields = cipher.decrypt(row.fields_enc, context=_context(event.case_id, seq))
    digest = hashlib.sha256(fields.encode()).hexdigest()
    text = _sealed_text(event.case_id, seq, row.step, row.officer_id, row.public_key, row.signed_at,
                        row.signature, digest)  # fmt: skip
    if cipher.seal(text) != row.seal:
        return "unsigned"
    message = step_message(str(event.case_id), row.step, seq - 1, row.signed_at, fields)
    if not verify(row.public_key, message, row.signature):
        return "bad_signature"
    if event.actor_id is not None and event.actor_id != row.officer_id:
        return "altered"
    if INPUTS[row.step].recorded is StepInput.recorded:  # the event records the fields as given
        signed: dict[str, Any] = json.loads(fields)
        if any(key in signed and signed[key] != value for key, value in (event.payload or {}).items()):
            return "altered"
    return None


def unaccounted_steps(session: Session, cipher: PersonalDataCipher, case_ids: list[uuid.UUID]) -> list[Unaccounted]:
    """The step events of these cases, written since signatures were kept, that no signed step accounts for."""
    epoch = session.scalar(select(LedgerEpoch.last_event_id).where(LedgerEpoch.name == EPOCH)) or 0
    events = session.scalars(
        select(CaseEventRow)
        .where(CaseEventRow.case_id.in_(case_ids), CaseEventRow.id > epoch, CaseEventRow.type.in_(list(_STEP_OF_EVENT)))
        .order_by(CaseEventRow.case_id, CaseEventRow.seq)
    ).all()
    if not events:
        return []
    rows: dict[tuple[uuid.UUID, int], list[StepSignature]] = {}
    for row in session.scalars(select(StepSignature).where(StepSignature.case_id.in_(case_ids))):
        rows.setdefault((row.case_id, row.seq), []).append(row)
    signed_as = _numbered_on(session, case_ids)
    found = []
    for event in events:
        seq = signed_as.get((event.case_id, event.seq), event.seq)
        candidates = [r for r in rows.get((event.case_id, seq), []) if r.step == _STEP_OF_EVENT[event.type]]
        reasons = [_accounts_for(row, event, cipher, seq) for row in candidates]
        if None not in reasons:
            found.append(Unaccounted(event.case_id, event.seq, event.type, next(iter(reasons), "unsigned") or ""))
    return found
