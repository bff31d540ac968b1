"""Every case event the worker writes carries its seal: an HMAC, under a key the database does not
hold, of the event's case, sequence number, type, stage, actor, time and plain fields.

The worker seals what it projects, and it projects only what a case recorded: a run whose start
the server sealed (a workflow refuses any other) or an officer's signed step. So an event the
database's owner inserted, or one whose plain fields they rewrote, is not sealed by that key and
`verify` lists it. Events written before seals were kept (`ledger_epochs`) are not held to one;
the encrypted free text (`payload_enc`, which retention clears) is bound to its row by its own
associated data instead.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.wire import canonical_json
from ledger.models import CaseEventRow, LedgerEpoch
from ledger.personal import PersonalDataCipher

EPOCH = "event_seals"


def sealed_text(
    case_id: uuid.UUID, seq: int, type_: str, stage: str, actor: str, actor_id: int | None, at: dt.datetime,
    payload: dict[str, Any],
) -> str:  # fmt: skip
    when = at.astimezone(dt.UTC).isoformat()
    return "\x1f".join(
        ("event", str(case_id), str(seq), type_, stage, actor, str(actor_id or ""), when, canonical_json(payload))
    )


@dataclass(frozen=True)
class Unsealed:
    case_id: uuid.UUID
    seq: int
    type: str
    why: str
    """unsealed (no seal: not written by a worker), altered (the seal does not match the row)"""


def unsealed_events(session: Session, cipher: PersonalDataCipher, case_ids: list[uuid.UUID]) -> list[Unsealed]:
    """The events of these cases, written since seals were kept, whose seal is missing or wrong."""
    epoch = session.scalar(select(LedgerEpoch.last_event_id).where(LedgerEpoch.name == EPOCH)) or 0
    events = session.scalars(
        select(CaseEventRow)
        .where(CaseEventRow.case_id.in_(case_ids), CaseEventRow.id > epoch)
        .order_by(CaseEventRow.case_id, CaseEventRow.seq)
    )
    found = []
    for e in events:
        if e.seal is None:
            found.append(Unsealed(e.case_id, e.seq, e.type, "unsealed"))
            continue
        text = sealed_text(e.case_id, e.seq, e.type, e.stage, e.actor, e.actor_id, e.at, e.payload or {})
        if cipher.seal(text) != e.seal:
            found.append(Unsealed(e.case_id, e.seq, e.type, "altered"))
    return found
