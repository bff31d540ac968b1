"""送教上门 month by month: the cases watched by the campaign's rule and the sessions each held in
a month, read from the ledger's session events (their `on` day and class hours are plain)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.models import Case, CaseEventRow


@dataclass(frozen=True)
class MonthSessions:
    case_no: str
    township: str
    school: str | None
    per_month: int
    """Sessions the month owes: 0 for a month before the watch's first."""
    held: int
    hours: float


def month_sessions(
    session: Session, *, campaign: str, first: dt.date, last: dt.date, townships: frozenset[str] | None
) -> list[MonthSessions]:
    """Each case watched month by month (with its sessions a month), and its sessions dated from
    `first` to `last` (inclusive). `townships`: the reader's (None: all)."""
    query = select(Case.id, Case.case_no, Case.township, Case.school, Case.sessions_watch).where(
        Case.campaign == campaign, Case.sessions_watch.is_not(None)
    )
    if townships is not None:
        query = query.where(Case.township.in_(sorted(townships)))
    cases = {case_id: row for case_id, *row in session.execute(query.order_by(Case.township, Case.case_no))}
    held: dict[uuid.UUID, list[float]] = {case_id: [] for case_id in cases}
    if cases:
        events = session.execute(
            select(CaseEventRow.case_id, CaseEventRow.payload).where(
                CaseEventRow.case_id.in_(list(cases)), CaseEventRow.type == "session"
            )
        )
        for case_id, payload in events:
            on = dt.date.fromisoformat(str(payload.get("on", "")))
            if first <= on <= last:
                held[case_id].append(float(payload.get("hours") or 0))
    return [
        MonthSessions(
            case_no,
            township,
            school,
            int(watch["per_month"]) if first >= dt.date.fromisoformat(watch["from"]) else 0,
            len(held[case_id]),
            sum(held[case_id]),
        )
        for case_id, (case_no, township, school, watch) in cases.items()
    ]
