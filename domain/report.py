"""清零 figures as they stood at any moment, rebuilt from a case's events alone (docs/architecture.md,
"Reports and any past day"). Pure: the ledger hands in the events, the campaign its budgets.

A case's stage after each event follows from the event (the stage machine is small and fixed);
its due time is recomputed the way the workflow computed it when the stage began — the stage's
budget on the campaign's calendar, cut at the clearance deadline — so a past day's overdue cases
are the ones that were overdue then."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.campaign import CampaignSpec
from domain.enums import OUTCOME_OF_KIND, CaseKind, Outcome, Stage
from domain.work_calendar import WorkCalendar, add_working_time

NEXT_STAGE = {
    "planned": Stage.return_confirmation,
    "confirmed": Stage.closure,
    "closed": Stage.closed,
    "reopened": Stage.home_visit,
    "opened": Stage.home_visit,
}


class EventLike(Protocol):
    seq: int
    type: str
    stage: str
    at: dt.datetime
    payload: dict[str, Any]


@dataclass
class CaseFacts:
    """One case as it stood at `as_of`."""

    case_no: str
    kind: CaseKind
    township: str
    group: int
    stage: Stage
    outcome: Outcome | None = None
    verified: bool = False
    """A home visit confirmed the problem (已核实), in any episode."""
    due_at: dt.datetime | None = None
    overdue: bool = False
    level: int | None = None
    """The highest reminder of the current stage."""
    escalated: bool = False
    """Reported above the case officer (level 1 or 2) at least once."""
    stalled: bool = False
    missed_deadline: bool = False
    episode: int = 1
    opened_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None

    @property
    def open(self) -> bool:
        return self.stage != Stage.closed


@dataclass(frozen=True)
class CaseHead:
    """What the ledger row gives that events do not: who and where the case is."""

    case_no: str
    kind: CaseKind
    township: str
    group: int


def replay(
    head: CaseHead,
    events: Iterable[EventLike],
    *,
    as_of: dt.datetime,
    campaign: CampaignSpec,
    calendar: WorkCalendar | None,
) -> CaseFacts | None:
    """The case at `as_of` from its events up to then; None if it was not opened yet."""
    facts: CaseFacts | None = None
    entered: dt.datetime | None = None
    top_repeats = 0
    for event in sorted(events, key=lambda e: e.seq):
        if event.at > as_of:
            break
        if facts is None:
            facts = CaseFacts(head.case_no, head.kind, head.township, head.group, Stage.home_visit)
            facts.opened_at = event.at
        kind = event.type
        payload = event.payload or {}
        stage_before = facts.stage
        if kind == "visited":
            excluded = payload.get("finding") == "excluded"
            facts.stage = Stage.closure if excluded else Stage.return_plan
            facts.outcome = Outcome.excluded if excluded else facts.outcome
            facts.verified = facts.verified or not excluded
        elif kind == "confirmed":
            facts.stage = Stage.closure
            facts.outcome = OUTCOME_OF_KIND[head.kind]
        elif kind == "restored":
            facts.stage = Stage(event.stage) if event.stage != Stage.discovery.value else Stage.home_visit
        elif kind in NEXT_STAGE:
            facts.stage = NEXT_STAGE[kind]
        if kind == "closed":
            facts.closed_at = event.at
        if kind == "reopened":
            facts.outcome, facts.closed_at = None, None
            facts.episode = int(payload.get("episode", facts.episode + 1))
        if kind == "escalated":
            level = int(payload.get("level", 0))
            facts.level = max(level, facts.level or 0)
            facts.escalated = facts.escalated or level >= 1
            if payload.get("reason") == "clearance_deadline":
                facts.missed_deadline = True
            elif level == 2:
                top_repeats += 1
                facts.stalled = top_repeats > campaign.escalation.repeat_max
        if facts.stage != stage_before or kind in ("opened", "reopened", "restored"):
            entered = event.at
            facts.level, facts.stalled, top_repeats = None, False, 0
    if facts is None:
        return None
    if facts.open and entered is not None:
        facts.due_at = stage_due(entered, facts.stage, head.kind, campaign=campaign, calendar=calendar)
        facts.overdue = facts.due_at is not None and facts.due_at < as_of
    return facts


def stage_due(
    entered: dt.datetime, stage: Stage, kind: CaseKind, *, campaign: CampaignSpec, calendar: WorkCalendar | None
) -> dt.datetime | None:
    """When a stage begun at `entered` was due: as the workflow computed it (cut at the deadline)."""
    duration = campaign.stage_duration(kind, stage)
    if duration is None:
        return None
    due = add_working_time(entered, duration, calendar)
    deadline = campaign.clearance_deadline
    return deadline if entered < deadline < due else due


TALLY_KEYS = (
    "suspected",
    "verified",
    "returned",
    "arranged",
    "aid_delivered",
    "excluded",
    "open",
    "overdue",
    "escalated",
    "missed_deadline",
    "relapsed",
    "stalled",
)
"""The notice's table, in its order: 疑似, 已核实, 已返校/已安置/已资助, 已排除, 未清零, 逾期,
已上报升级, 错过期限 — and the case's own: relapsed (opened again), stalled."""


@dataclass
class TownshipTally:
    group: int
    township: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TALLY_KEYS, 0))

    def add(self, facts: CaseFacts) -> None:
        counts = self.counts
        counts["suspected"] += 1
        counts["verified"] += facts.verified
        if not facts.open and facts.outcome is not None:
            counts[facts.outcome.value] += 1
        counts["open"] += facts.open
        counts["overdue"] += facts.overdue
        counts["escalated"] += facts.escalated
        counts["missed_deadline"] += facts.missed_deadline
        counts["relapsed"] += facts.episode > 1
        counts["stalled"] += facts.open and facts.stalled


def tally(facts: Iterable[CaseFacts], townships: Sequence[tuple[int, str]]) -> list[TownshipTally]:
    """One row a township, in the roster's order (the notice's table), every township listed."""
    rows = {township: TownshipTally(group, township) for group, township in townships}
    for case in facts:
        row = rows.setdefault(case.township, TownshipTally(case.group, case.township))
        row.add(case)
    return list(rows.values())


def summed(rows: Iterable[TownshipTally]) -> dict[str, int]:
    total = dict.fromkeys(TALLY_KEYS, 0)
    for row in rows:
        for key, value in row.counts.items():
            total[key] += value
    return total
