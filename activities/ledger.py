"""The projection activities: every accepted step, escalation and notification written to the
ledger (ledger/projection.py), idempotently on the workflow's business key; an escalation's
notices handed to apprise in the same activity once written (activities/notify.py)."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.orm import sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notify import Sender, apprise_send, deliver
from domain.case import LEDGER_AHEAD, Delivery, Projection
from ledger.personal import PersonalDataCipher
from ledger.projection import LedgerAheadError, ledger_last_seq, write_projection

log = structlog.get_logger("baoxue.notify")


class LedgerActivities:
    def __init__(self, sessions: sessionmaker, cipher: PersonalDataCipher, send: Sender = apprise_send) -> None:
        self._sessions = sessions
        self._cipher = cipher
        self._send = send

    @activity.defn(name="project_case")
    def project_case(self, projection: Projection) -> bool:
        """Refused, not retried, when the ledger holds another event at the number: the case
        numbers on after the ledger's last (its details)."""
        try:
            return write_projection(self._sessions, projection, self._cipher)
        except LedgerAheadError as error:
            raise ApplicationError(str(error), error.ledger_last, type=LEDGER_AHEAD, non_retryable=True) from None

    @activity.defn(name="project_and_deliver")
    def project_and_deliver(self, projection: Projection) -> bool:
        """The projection of an escalation (`project_case`), then its notices handed to apprise
        once its transaction is committed: True when every one went out. A failed send is
        recorded on its row and answered False, so the case starts the delivery activity, whose
        retries send only what is still unsent; the projection itself is never undone by it."""
        self.project_case(projection)
        state = projection.state
        delivery = Delivery(
            case_id=state.case_id,
            case_no=state.case_no,
            event_seq=projection.event.seq,
            more_seqs=tuple(event.seq for event in projection.also),
        )
        try:
            deliver(self._sessions, delivery, self._send)
        except Exception as error:  # recorded on the rows (a send) or not (the database): retried either way
            log.info("催办交由重试发送", 案件=state.case_no, 原因=str(error)[:200])
            return False
        return True

    @activity.defn(name="ledger_last_seq")
    def ledger_last_seq(self, case_id: str) -> int:
        """The number of the case's last event in the ledger (0: none)."""
        return ledger_last_seq(self._sessions, uuid.UUID(case_id))
