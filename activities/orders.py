"""The rectification order workflow's activity: telling the people of a rung while the order is
unanswered (docs/architecture.md, "督查 and 问责"). Idempotent: outbox rows are keyed by (order,
level, recipient), and only unsent rows are sent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, sessionmaker
from temporalio import activity

from activities.notify import Sender, apprise_send, deliver_rows
from domain.beijing import beijing_iso, shown
from domain.enums import Role
from domain.supervision import ORDER_STAGE, OrderReminder
from ledger.models import Notification, Officer, RectificationOrder

LEVEL_ROLES = {1: (Role.section_chief, Role.office_head), 2: (Role.group_leader,)}


def order_recipients(session: Session, order: RectificationOrder, reminder: OrderReminder) -> list[tuple[str, int]]:
    """Level 0 the township's lead (its case officers where it has none); level 1 its section chief
    and office head; level 2 its group leader — each the officer the chain names (by id; by name
    and role where the chain has no id)."""
    level = reminder.level
    officers = list(
        session.execute(
            select(Officer.name, Officer.role, Officer.township, Officer.id).where(Officer.revoked_at.is_(None))
        )
    )
    if level == 0:
        leads = [(n, i) for n, r, t, i in officers if r == Role.township_lead.value and t == order.township]
        return leads or [(n, i) for n, r, t, i in officers if r == Role.case_officer.value and t == order.township]
    told = set()
    for role in LEVEL_ROLES[level]:
        name, known = reminder.chain.person(role)
        matching = [(n, i) for n, r, _t, i in officers if n == name and r == role.value]
        told.update([(n, i) for n, i in matching if i == known] or matching)
    return sorted(told)


def order_text(order: RectificationOrder, level: int) -> str:
    due = shown(beijing_iso(order.due_at))
    return (
        f"【控辍保学督办】{order.township}的整改通知（第 {order.id} 号，{order.issued_by}下达，限 {due} 前答复）"
        f"尚未答复，请督促乡镇用 baoxue inspection answer {order.id} 答复整改情况。"
        if level
        else f"【控辍保学督办】整改通知第 {order.id} 号已到期未答复，"
        f"请用 baoxue inspection answer {order.id} 答复整改情况。"
    )


class OrderActivities:
    def __init__(self, sessions: sessionmaker, send: Sender = apprise_send) -> None:
        self._sessions = sessions
        self._send = send

    @activity.defn(name="order_remind")
    def order_remind(self, reminder: OrderReminder) -> bool:
        """False once the order is answered (the ladder ends); else the rung's people told."""
        prefix = f"order:{reminder.order_id}:{reminder.level}:"
        with self._sessions.begin() as session:
            order = session.get(RectificationOrder, reminder.order_id)
            if order is None or order.answered_at is not None:
                return False
            order.escalation_level = max(reminder.level, order.escalation_level or 0)
            for recipient, officer_id in order_recipients(session, order, reminder):
                session.execute(
                    insert(Notification)
                    .values(
                        business_key=f"{prefix}#{officer_id}",
                        topic="order",
                        case_id=None,
                        event_seq=order.id,
                        level=reminder.level,
                        stage=ORDER_STAGE,
                        recipient=recipient,
                        recipient_id=officer_id,
                        message=order_text(order, reminder.level),
                    )
                    .on_conflict_do_nothing(index_elements=["business_key"])
                )
        which = Notification.business_key.startswith(prefix, autoescape=True)
        deliver_rows(self._sessions, which, self._send, log_fields={"order": reminder.order_id, "rung": reminder.level})
        return True
