"""Delivering the outbox through apprise: WeCom, DingTalk, Feishu, e-mail, a JSON webhook…

Each recipient's row is sent to every notify URL of that person and marked sent or failed with
the error. Rows already sent are skipped, so a retried activity never sends twice nor adds rows.
A person without a URL keeps a pending row: outbox only.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import cast

import structlog
from sqlalchemy import Table, and_, bindparam, select, update
from sqlalchemy.orm import sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.case import Delivery
from domain.rechecks import recheck_title
from domain.reminders import reminder_title
from ledger.models import Notification, Officer

log = structlog.get_logger("baoxue.notify")

Sender = Callable[[list[str], str, str], tuple[bool, str | None]]


def apprise_send(urls: list[str], title: str, body: str) -> tuple[bool, str | None]:
    import apprise

    notifier = apprise.Apprise()
    for url in urls:
        if not notifier.add(url):
            return False, "invalid notify URL"
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = notifier.notify(title=title, body=body)
        output = captured.getvalue().strip()
    return bool(ok), None if ok else (output[-500:] or "delivery failed")


_OUTBOX = cast(Table, Notification.__table__)
_OFFICERS = Officer.__table__
_URLS = select(_OFFICERS.c.notify_urls).where(_OFFICERS.c.id == _OUTBOX.c.recipient_id).scalar_subquery()
"""The recipient's URLs, by the officer the row was written for: never whoever else bears the
name (a row whose name stood for two officers has none, and stays in the outbox)."""
_UNSENT = (
    select(_OUTBOX.c.id, _OUTBOX.c.level, _OUTBOX.c.case_id, _OUTBOX.c.message, _URLS)
    .where(_OUTBOX.c.status != "sent")
    .order_by(_OUTBOX.c.id)
)
_RECORD = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row_id"))
    .values(
        attempts=_OUTBOX.c.attempts + 1,
        status=bindparam("new_status"),
        last_error=bindparam("new_error"),
        sent_at=bindparam("new_sent_at"),
    )
)


def deliver(sessions: sessionmaker, delivery: Delivery, send: Sender = apprise_send) -> dict[str, int]:
    which = and_(_OUTBOX.c.case_id == uuid.UUID(delivery.case_id), _OUTBOX.c.event_seq == delivery.event_seq)
    return deliver_rows(sessions, which, send, log_fields={"case_no": delivery.case_no})


def deliver_rows(
    sessions: sessionmaker, which: ColumnElement[bool], send: Sender, *, log_fields: dict[str, object]
) -> dict[str, int]:
    """Send the outbox rows `which` selects (none already sent), each recorded as sent or failed
    as soon as it is tried; raise if any failed, so the activity is retried and sends only what
    is still unsent. One query finds the rows with their recipients' URLs."""
    counts = {"sent": 0, "failed": 0, "outbox_only": 0}
    with sessions() as session:
        connection = session.connection()
        rows = connection.execute(_UNSENT.where(which)).all()
        session.commit()
        for row_id, level, case_id, message, urls in rows:
            if not urls:
                counts["outbox_only"] += 1
                continue
            title = recheck_title(level) if case_id is None else reminder_title(level)
            ok, error = send(urls, title, message)
            sent_at = dt.datetime.now(dt.UTC) if ok else None
            status = "sent" if ok else "failed"
            values = {"row_id": row_id, "new_status": status, "new_error": error, "new_sent_at": sent_at}
            session.connection().execute(_RECORD, values)
            session.commit()
            counts[status] += 1
            log.info("notification", level=level, status=status, **log_fields)
    if counts["failed"]:
        raise ApplicationError(f"{counts['failed']} notification(s) failed; retrying", counts)
    return counts


class NotifyActivities:
    def __init__(self, sessions: sessionmaker, send: Sender = apprise_send) -> None:
        self._sessions = sessions
        self._send = send

    @activity.defn(name="deliver_escalation")
    def deliver_escalation(self, delivery: Delivery) -> dict[str, int]:
        return deliver(self._sessions, delivery, self._send)
