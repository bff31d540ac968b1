"""The projection activity: every accepted step, escalation and notification written to the
ledger (ledger/projection.py), idempotently on the workflow's business key."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker
from temporalio import activity

from domain.case import Projection
from ledger.personal import PersonalDataCipher
from ledger.projection import write_projection


class LedgerActivities:
    def __init__(self, sessions: sessionmaker, cipher: PersonalDataCipher) -> None:
        self._sessions = sessions
        self._cipher = cipher

    @activity.defn(name="project_case")
    def project_case(self, projection: Projection) -> bool:
        return write_projection(self._sessions, projection, self._cipher)
