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

import structlog
from sqlalchemy import Select, select
from sqlalchemy.orm import sessionmaker
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


def deliver(sessions: sessionmaker, delivery: Delivery, send: Sender = apprise_send) -> dict[str, int]:
    query = select(Notification).where(
        Notification.case_id == uuid.UUID(delivery.case_id),
        Notification.event_seq == delivery.event_seq,
        Notification.status != "sent",
    )
    return deliver_rows(sessions, query, send, log_fields={"case_no": delivery.case_no})


def deliver_rows(
    sessions: sessionmaker, query: Select[tuple[Notification]], send: Sender, *, log_fields: dict[str, object]
) -> dict[str, int]:
    """Send the outbox rows the query selects (none already sent); raise if any failed, so the
    activity is retried and sends only what is still unsent."""
    counts = {"sent": 0, "failed": 0, "outbox_only": 0}
    with sessions() as session:
        for row in list(session.scalars(query)):
            urls = session.scalar(select(Officer.notify_urls).where(Officer.name == row.recipient)) or []
            if not urls:
                counts["outbox_only"] += 1
                continue
            title = recheck_title(row.level) if row.case_id is None else reminder_title(row.level)
            ok, error = send(urls, title, row.message)
            row.attempts += 1
            row.status = "sent" if ok else "failed"
            row.last_error = error
            row.sent_at = dt.datetime.now(dt.UTC) if ok else None
            session.commit()
            counts["sent" if ok else "failed"] += 1
            log.info("notification", level=row.level, status=row.status, **log_fields)
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
