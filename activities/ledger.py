"""The projection activity: every accepted step, escalation and notification written to the
ledger (ledger/projection.py), idempotently on the workflow's business key."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.case import LEDGER_AHEAD, Projection
from ledger.personal import PersonalDataCipher
from ledger.projection import LedgerAheadError, ledger_last_seq, write_projection


class LedgerActivities:
    def __init__(self, sessions: sessionmaker, cipher: PersonalDataCipher) -> None:
        self._sessions = sessions
        self._cipher = cipher

    @activity.defn(name="project_case")
    def project_case(self, projection: Projection) -> bool:
        """Refused, not retried, when the ledger holds another event at the number: the case
        numbers on after the ledger's last (its details)."""
        try:
            return write_projection(self._sessions, projection, self._cipher)
        except LedgerAheadError as error:
            raise ApplicationError(str(error), error.ledger_last, type=LEDGER_AHEAD, non_retryable=True) from None

    @activity.defn(name="ledger_last_seq")
    def ledger_last_seq(self, case_id: str) -> int:
        """The number of the case's last event in the ledger (0: none)."""
        return ledger_last_seq(self._sessions, uuid.UUID(case_id))
