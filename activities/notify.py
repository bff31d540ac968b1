"""Delivering the outbox through apprise: WeCom, DingTalk, Feishu, e-mail, a JSON webhook…

Each recipient's row is sent to every notify URL of that person and marked sent or failed with
the error. Rows already sent are skipped, so a retried activity never sends twice nor adds rows.
A person without a URL keeps a pending row: outbox only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable
from typing import cast

import structlog
from sqlalchemy import Interval, Table, and_, bindparam, func, or_, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.beijing import beijing_iso, shown
from domain.campaign import EscalationPolicy
from domain.case import Delivery
from domain.enums import Role
from domain.rechecks import recheck_title
from domain.reminders import DIGEST_TITLE, FAILURE_TITLE, failure_text, reminder_title
from ledger.models import Campaign, Case, Notification, Officer

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
DEFAULT_REPEAT = EscalationPolicy().repeat_every
_SENT = _OUTBOX.alias("sent")
_REPEAT_EVERY = func.coalesce(cast_(Campaign.spec["escalation"]["repeat_every"].as_string(), Interval), DEFAULT_REPEAT)
_RECEIVED = (
    select(func.max(_SENT.c.sent_at))
    .join(Case, Case.id == _SENT.c.case_id)
    .outerjoin(Campaign, Campaign.name == Case.campaign)
    .where(
        _SENT.c.case_id == _OUTBOX.c.case_id,
        _SENT.c.recipient_id == _OUTBOX.c.recipient_id,
        _SENT.c.level == _OUTBOX.c.level,
        _SENT.c.stage == _OUTBOX.c.stage,
        _SENT.c.status == "sent",
        _SENT.c.sent_at > bindparam("now") - _REPEAT_EVERY,
    )
    .correlate(_OUTBOX)
    .scalar_subquery()
)
"""When the row's recipient last received the same rung (case, stage, level) within the case
campaign's repeat interval (an ISO 8601 duration PostgreSQL reads as an interval); NULL when they
did not. One indexed lookup a row (ix_notifications_rung), correlated explicitly to the row it is
selected with (SQLAlchemy infers that in a select list, but not inside a function: ledger/reports.py)."""
_UNSENT = (
    select(
        _OUTBOX.c.id,
        _OUTBOX.c.level,
        _OUTBOX.c.case_id,
        _OUTBOX.c.message,
        _URLS,
        _OUTBOX.c.topic,
        _OUTBOX.c.stage,
        _OUTBOX.c.recipient_id,
        _RECEIVED,
    )
    .where(_OUTBOX.c.status.not_in(("sent", "duplicate")))
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
    .returning(_OUTBOX.c.attempts)
)
TELL_AFTER_ATTEMPTS = 3
"""A reminder that failed this many times (over some seconds of backoff, so not a blip) is told to
the recipient's township lead and the administrators, once; delivery goes on being retried."""
LADDER_TOPICS = ("escalated", None)
"""Rows that are a rung of a case's ladder (None: written before rows had a topic)."""


def deliver(sessions: sessionmaker, delivery: Delivery, send: Sender = apprise_send) -> dict[str, int]:
    which = and_(_OUTBOX.c.case_id == uuid.UUID(delivery.case_id), _OUTBOX.c.event_seq.in_(delivery.event_seqs))
    return deliver_rows(sessions, which, send, log_fields={"案件": delivery.case_no})


def deliver_rows(
    sessions: sessionmaker, which: ColumnElement[bool], send: Sender, *, log_fields: dict[str, object]
) -> dict[str, int]:
    """Send the outbox rows `which` selects (none already sent), each recorded as sent or failed
    as soon as it is tried; raise if any failed, so the activity is retried (with backoff) and
    sends only what is still unsent. A rung of a case its recipient already received within the
    campaign's repeat interval (or earlier in this delivery) is not sent again (`duplicate`). A
    row failing for the TELL_AFTER_ATTEMPTS-th time is told to the people who can mend the
    address. Each statement commits by itself: a deadline storm delivers thousands of these at
    once, and a round trip less a row is worth having (each record is one statement anyway)."""
    counts = {"sent": 0, "failed": 0, "outbox_only": 0, "duplicate": 0}
    with sessions() as session:
        connection = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        started = dt.datetime.now(dt.UTC)
        rows = connection.execute(_UNSENT.where(which), {"now": started}).all()
        sent_now: dict[tuple[uuid.UUID, int, int, str], dt.datetime] = {}
        for row_id, level, case_id, message, urls, topic, stage, recipient_id, received in rows:
            if not urls:
                counts["outbox_only"] += 1
                continue
            now = dt.datetime.now(dt.UTC)
            rung = (case_id, recipient_id, level, stage)
            if topic in LADDER_TOPICS and case_id is not None and recipient_id is not None:
                earlier = sent_now.get(rung, received)
                if earlier is not None:
                    values = {"row_id": row_id, "new_status": "duplicate", "new_sent_at": None}
                    connection.execute(
                        _RECORD, {**values, "new_error": f"同一级别已于 {shown(beijing_iso(earlier))} 送达"}
                    )
                    counts["duplicate"] += 1
                    log.info("同一催办已送达，不再重复发送", 级别=level, 接收人=recipient_id, **log_fields)
                    continue
            title = {"digest": DIGEST_TITLE, "delivery_failed": FAILURE_TITLE}.get(
                topic or "", recheck_title(level) if case_id is None else reminder_title(level)
            )
            ok, error = send(urls, title, message)
            status = "sent" if ok else "failed"
            told = None if ok else short_error(error)
            values = {"row_id": row_id, "new_status": status, "new_error": told, "new_sent_at": now if ok else None}
            attempts = connection.execute(_RECORD, values).scalar_one()
            counts[status] += 1
            if ok:
                sent_now[rung] = now
                log.info("通知已送达", 级别=level, 接收人=recipient_id, **log_fields)
                continue
            detail = " ".join((error or "").split())[-300:]
            log.warning(
                "通知发送失败", 级别=level, 接收人=recipient_id, 第几次=attempts, 原因=told, 详情=detail, **log_fields
            )
            if attempts >= TELL_AFTER_ATTEMPTS and topic != "delivery_failed":
                tell_of_failure(sessions, session, row_id, send)
    if counts["failed"]:
        raise ApplicationError(f"{counts['failed']} notification(s) failed; retrying", counts)
    return counts


_HTTP_STATUS = re.compile(r"\b([45]\d\d)\b")


def short_error(error: str | None) -> str:
    """What went wrong, in Chinese, for the people told (apprise's own log lines are English and
    in UTC: they stay in the server log, never in a message)."""
    text = " ".join((error or "").split()).lower()
    if "invalid notify url" in text:
        return "通知地址无效"
    if "timed out" in text or "timeout" in text:
        return "连接超时"
    if "connection" in text or "refused" in text or "name or service not known" in text:
        return "无法连接对方服务器"
    status = _HTTP_STATUS.search(text)
    if status:
        return f"对方服务器拒收（HTTP {status[1]}）"
    return "发送失败"


def tell_of_failure(sessions: sessionmaker, session: Session, row_id: int, send: Sender) -> None:
    """The recipient's township lead (the case's, for a chain person without a township) and every
    administrator are told, once per row, that a reminder could not be delivered; their notices
    are sent once each, and a failure of theirs is only recorded."""
    claimed = session.execute(
        update(_OUTBOX)
        .where(_OUTBOX.c.id == row_id, _OUTBOX.c.failure_told.is_(False))
        .values(failure_told=True)
        .returning(_OUTBOX.c.case_id, _OUTBOX.c.recipient, _OUTBOX.c.recipient_id, _OUTBOX.c.level, _OUTBOX.c.stage,
                   _OUTBOX.c.last_error, _OUTBOX.c.attempts)
    ).one_or_none()  # fmt: skip
    session.commit()
    if claimed is None:
        return
    case_id, recipient, recipient_id, level, stage, error, attempts = claimed
    case = session.get(Case, case_id) if case_id is not None else None
    home = session.execute(select(Officer.township).where(Officer.id == recipient_id)).scalar_one_or_none()
    township = home or (case.township if case else None)
    told = session.execute(
        select(Officer.id, Officer.name).where(
            Officer.revoked_at.is_(None),
            Officer.id != (recipient_id or 0),
            or_(
                Officer.role == Role.admin.value,
                and_(Officer.role == Role.township_lead.value, Officer.township == township),
            ),
        )
    ).all()
    text = failure_text(
        recipient=recipient, case_no=case.case_no if case else None, township=township, attempts=attempts,
        error=error or "发送失败",
    )  # fmt: skip
    for officer_id, name in told:
        session.execute(
            insert(Notification)
            .values(
                business_key=f"failed:{row_id}:#{officer_id}", case_id=case_id, event_seq=row_id, level=level,
                stage=stage, recipient=name, recipient_id=officer_id, message=text, topic="delivery_failed",
            )
            .on_conflict_do_nothing(index_elements=["business_key"])
        )  # fmt: skip
    session.commit()
    with contextlib.suppress(ApplicationError):
        deliver_rows(sessions, _OUTBOX.c.business_key.like(f"failed:{row_id}:#%"), send, log_fields={"原通知": row_id})


class NotifyActivities:
    def __init__(self, sessions: sessionmaker, send: Sender = apprise_send) -> None:
        self._sessions = sessions
        self._send = send

    @activity.defn(name="deliver_escalation")
    def deliver_escalation(self, delivery: Delivery) -> dict[str, int]:
        return deliver(self._sessions, delivery, self._send)
