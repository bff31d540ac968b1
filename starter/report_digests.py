"""Cases folded for the report, kept between requests (docs/architecture.md, "Reports and any
past day").

The ledger's events are append-only and numbered per case, so what a case's events say up to a
sequence number never changes: a digest keyed by (campaign, case, last sequence number) is exact
for as long as it is kept. Each report asks the ledger only how far every case's events go by its
moment — one row a case — and folds again only the cases that moved since. What depends on the
moment itself (overdue, the last seven days) is worked out per request from the digest."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from domain.beijing import beijing_iso, china_today
from domain.campaign import CampaignSpec
from domain.enums import Outcome
from domain.report import CaseFacts, ReportEvent, fold
from domain.step_specs import STEPS
from domain.work_calendar import WorkCalendar
from domain.xueji import needed_action
from ledger.reports import ReportCase, report_events
from starter.bounded_map import BoundedMap

STAGE_CHANGES = frozenset({"reopened", *(spec.event for spec in STEPS.values() if spec.answers_reminder)})
"""Events that answer a reminder: the step it was about was done (declared with each step), or
the case began again."""
OPEN_CHANGE = {"opened": 1, "reopened": 1, "closed": -1}


@dataclass(frozen=True, slots=True)
class Reminder:
    at: dt.datetime
    level: int
    recipients: tuple[str, ...]
    answered_at: dt.datetime | None
    """When the step it was about was done, if it was by the digest's last event."""


@dataclass(frozen=True, slots=True)
class CaseDigest:
    facts: CaseFacts
    reminders: tuple[Reminder, ...]
    open_changes: tuple[tuple[dt.date, int], ...]
    """+1 on each day (Beijing) it was opened or reopened, -1 on each day it was closed."""
    closings: tuple[dt.datetime, ...]
    row: dict[str, Any]
    """The case's line of the enrolment ledger, but for what the head and the moment say."""


def digest(
    case: ReportCase, events: Sequence[ReportEvent], *, campaign: CampaignSpec, calendar: WorkCalendar | None
) -> CaseDigest | None:
    facts = fold(case.head, events, campaign=campaign, calendar=calendar)
    if facts is None:
        return None
    reminders = []
    for i, event in enumerate(events):
        if event.type == "escalated":
            answered = next((later.at for later in events[i + 1 :] if later.type in STAGE_CHANGES), None)
            reminders.append(Reminder(event.at, min(2, event.level or 0), tuple(event.recipients or ()), answered))
    changes = tuple(
        (china_today(e.at), -1 if e.type in ("closed", "merged") else 1)
        for e in events
        if e.type in ("opened", "reopened", "closed", "merged")
    )
    closings = tuple(e.at for e in events if e.type == "closed")
    return CaseDigest(facts, tuple(reminders), changes, closings, ledger_row(facts))


def ledger_row(facts: CaseFacts) -> dict[str, Any]:
    """One line of the updated enrolment ledger the notice asks townships to keep (ID masked);
    `id_masked`, `overdue` and `assigned_officer` are filled in per request."""
    return {
        "case_no": facts.case_no,
        "group": facts.group,
        "township": facts.township,
        "kind": facts.kind.value,
        "id_masked": None,
        "verified": facts.verified,
        "stage": facts.stage.value,
        "outcome": facts.outcome.value if facts.outcome else None,
        "opened_at": beijing_iso(facts.opened_at),
        "due_at": beijing_iso(facts.due_at),
        "closed_at": beijing_iso(facts.closed_at),
        "overdue": False,
        "escalation_level": facts.level,
        "missed_deadline": facts.missed_deadline,
        "episode": facts.episode,
        "priority": facts.priority,
        "reason": None,
        "placement": facts.placement,
        "attempts": facts.attempts,
        "last_attempt_on": facts.last_attempt_on,
        "assigned_officer": None,
        "provisional": facts.provisional,
        "exclude_reason": facts.exclude_reason if facts.outcome == Outcome.excluded else None,
        "transfers": [f"{sending}→{receiving}" for sending, receiving in facts.transfers],
        "transfer_pending_to": facts.transfer_to if facts.open else None,
        "arrangement": facts.arrangement,
        "xueji_needed": _xueji(facts),
    }


def _xueji(facts: CaseFacts) -> str | None:
    """The 学籍 change a closed case needs (domain/xueji.py)."""
    if facts.open:
        return None
    action = needed_action(
        outcome=facts.outcome.value if facts.outcome else None,
        placement=facts.placement,
        arrangement=facts.arrangement,
        exclude_reason=facts.exclude_reason,
    )
    return action.value if action else None


Key = tuple[str, uuid.UUID, int]


class DigestCache:
    """Digests by (campaign and calendar, case, last sequence number), the oldest dropped past
    `limit` — enough for every case of a county at a few moments. A case's digest at a newer
    sequence number replaces the one it had at its newest before: through a deadline storm every
    case moves, and a dashboard read once a second would otherwise keep a digest of every case at
    every moment it was read, up to the limit."""

    def __init__(self, limit: int = 400_000) -> None:
        self._kept: BoundedMap[Key, CaseDigest | None] = BoundedMap(limit)
        self._newest: BoundedMap[tuple[str, uuid.UUID], int] = BoundedMap(limit)
        """Each case's newest sequence number folded, as many as digests are kept: a case forgotten
        here only keeps its older digest until that one too is dropped by age."""
        self.folded = 0
        """Digests folded since the process began (a test's witness that kept ones are reused)."""

    def __len__(self) -> int:
        return len(self._kept)

    def digests(
        self, session: Session, cases: Sequence[ReportCase], *, campaign: CampaignSpec, calendar: WorkCalendar | None
    ) -> list[tuple[ReportCase, CaseDigest]]:
        """Each case with its digest (in the order given), folding only those not kept."""
        version = f"{campaign.model_dump_json()}|{hash(calendar)}"
        keys = [(version, case.id, case.last_seq) for case in cases]
        found = [self._kept.get(key, _MISSING) for key in keys]
        missing = {case.id: case.last_seq for case, seen in zip(cases, found, strict=True) if seen is _MISSING}
        if missing:
            events = report_events(session, missing)
            folded = {}
            for i, case in enumerate(cases):
                if found[i] is _MISSING:
                    found[i] = folded[keys[i]] = digest(case, events[case.id], campaign=campaign, calendar=calendar)
            self.folded += len(folded)
            self._kept.add(folded)
            self._kept.discard(self._superseded(folded))
        return [(case, seen) for case, seen in zip(cases, found, strict=True) if seen is not None]

    def _superseded(self, folded: dict[Key, CaseDigest | None]) -> list[Key]:
        """The kept keys these new digests make old: each case's newest before, when newer now."""
        old: list[Key] = []
        newer: dict[tuple[str, uuid.UUID], int] = {}
        for version, case_id, seq in folded:
            newest = self._newest.get((version, case_id))
            if newest is None or seq > newest:
                newer[(version, case_id)] = seq
                if newest is not None:
                    old.append((version, case_id, newest))
        self._newest.add(newer)
        return old


_MISSING: Any = object()
