"""清零 figures as they stood at any moment, rebuilt from a case's events alone (docs/architecture.md,
"Reports and any past day"). Pure: the ledger hands in the events, the campaign its budgets.

A case's stage after each event follows from the event by the same stage machine the workflow
moves by (domain/stage_machine.py), and its due time is computed by the same rule — the stage's
budget on the campaign's calendar, cut at the clearance deadline — so a past day's overdue cases
are the ones that were overdue then. A step declared `counted` (domain/step_specs.py) is counted
per case with the latest date it carries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from domain.campaign import CampaignSpec
from domain.enums import CaseKind, Finding, Outcome, Stage
from domain.stage_machine import move_after
from domain.stage_machine import stage_due as due_by_budget
from domain.step_specs import step_of_event
from domain.work_calendar import WorkCalendar


@dataclass(frozen=True, slots=True)
class ReportEvent:
    """One event of a case, with the few payload fields the report reads."""

    seq: int
    type: str
    stage: str
    at: dt.datetime
    finding: str | None = None
    """`visited`: confirmed or excluded."""
    level: int | None = None
    """`escalated`: the rung of the ladder."""
    reason: str | None = None
    """`escalated`: overdue, clearance_deadline, …; `reopened`: relapse, …"""
    episode: int | None = None
    """`reopened`: the episode it begins."""
    recipients: list[str] | None = None
    """`escalated`: who was reminded."""
    placement: str | None = None
    """`planned`: where the child returns to."""
    on: str | None = None
    """`attempted`, `session`: the day it happened (ISO date)."""
    exclude_reason: str | None = None
    """`visited` with `excluded`: why (domain.enums.ExcludeReason)."""
    from_township: str | None = None
    """`transfer_accepted`: the township it left (and `from_group`, its group)."""
    from_group: int | None = None
    to_township: str | None = None
    """`transfer_requested`, `transfer_accepted`, `transfer_declined`: the receiving township."""
    to_group: int | None = None
    provisional: bool | None = None
    """`opened`: the child had no ID number (临时身份)."""
    arrangement: str | None = None
    """`planned`: a disabled child's arrangement (随班就读, 送教上门, …)."""
    village: str | None = None
    """`visited`: the village visited."""


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
    """As of the moment `replay` was asked about."""
    level: int | None = None
    """The highest reminder of the current stage."""
    escalated: bool = False
    """Reported above the case officer (level 1 or 2) at least once."""
    stalled: bool = False
    whereabouts_unknown: bool = False
    """The last home visit did not find the child (下落不明)."""
    exclude_reason: str | None = None
    """Why the case was excluded (its last visit's reason), when it was."""
    transfer_to: str | None = None
    """A transfer to this township waiting for its answer."""
    transfers: list[tuple[str, str]] = field(default_factory=list)
    """Hand-overs accepted: (from, to), in order."""
    provisional: bool = False
    """Opened without an ID number and not identified yet (临时身份)."""
    exclusion_check_pending: bool = False
    """Closed as excluded, drawn for the group's check and not checked yet (组长抽查)."""
    missed_deadline: bool = False
    episode: int = 1
    opened_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    priority: bool = False
    placement: str | None = None
    arrangement: str | None = None
    visited_villages: set[str] = field(default_factory=set)
    """The villages its home visits were made in (each visit's village)."""
    visited: bool = False
    """A home visit was made (a household visited), whatever it found."""
    counts: dict[str, int] = field(default_factory=dict)
    """Steps declared `counted`, by step, in every episode."""
    last_on: dict[str, str] = field(default_factory=dict)
    """The latest date (ISO) each counted step carries."""

    @property
    def attempts(self) -> int:
        """Persuasion attempts (劝返) recorded, in every episode."""
        return self.counts.get("attempt", 0)

    @property
    def last_attempt_on(self) -> str | None:
        return self.last_on.get("attempt")

    @property
    def open(self) -> bool:
        return self.stage != Stage.closed

    def overdue_at(self, moment: dt.datetime) -> bool:
        return self.open and self.due_at is not None and self.due_at < moment


@dataclass(frozen=True)
class CaseHead:
    """What the ledger row gives that events do not: who and where the case is."""

    case_no: str
    kind: CaseKind
    township: str
    group: int
    priority: bool = False


def as_opened(head: CaseHead, events: list[ReportEvent]) -> CaseHead:
    """The head with the township (and group) the case was opened in: the ledger's row holds where
    it is now, and a transfer accepted since says where it came from."""
    first_move = next((e for e in events if e.type == "transfer_accepted" and e.from_township), None)
    if first_move is None or not first_move.from_township:
        return head
    return replace(head, township=first_move.from_township, group=first_move.from_group or head.group)


def replay(
    head: CaseHead,
    events: Iterable[ReportEvent],
    *,
    as_of: dt.datetime,
    campaign: CampaignSpec,
    calendar: WorkCalendar | None,
) -> CaseFacts | None:
    """The case at `as_of` from its events up to then; None if it was not opened yet."""
    events = list(events)
    facts = fold(as_opened(head, events), [e for e in events if e.at <= as_of], campaign=campaign, calendar=calendar)
    if facts is not None:
        facts.overdue = facts.overdue_at(as_of)
    return facts


def fold(
    head: CaseHead, events: Iterable[ReportEvent], *, campaign: CampaignSpec, calendar: WorkCalendar | None
) -> CaseFacts | None:
    """The case after these events (in sequence order), with when its current stage is due;
    whether that is past depends on the moment asked about (`CaseFacts.overdue_at`)."""
    facts: CaseFacts | None = None
    entered: dt.datetime | None = None
    top_repeats = 0
    events = list(events)
    head = as_opened(head, events)
    for event in events:
        if facts is None:
            facts = CaseFacts(head.case_no, head.kind, head.township, head.group, Stage.home_visit)
            facts.priority = head.priority
            facts.opened_at = event.at
        kind = event.type
        stage_before = facts.stage
        move = move_after(head.kind, kind, finding=event.finding)
        if move is not None:
            facts.stage = move.to
            if move.sets_outcome:
                facts.outcome = move.outcome
        elif kind == "restored":
            facts.stage = Stage(event.stage) if event.stage != Stage.discovery.value else Stage.home_visit
        if kind == "opened":
            facts.provisional = bool(event.provisional)
        if kind == "identified":
            facts.provisional = False
        if kind in ("exclusion_sampled", "exclusion_checked"):
            facts.exclusion_check_pending = kind == "exclusion_sampled"
        if kind == "visited":
            facts.visited = True
            if event.village:
                facts.visited_villages.add(event.village)
            facts.verified = facts.verified or event.finding == Finding.confirmed
            facts.whereabouts_unknown = event.finding == Finding.whereabouts_unknown
            facts.exclude_reason = event.exclude_reason if event.finding == Finding.excluded else None
        if kind == "planned":
            facts.placement, facts.arrangement = event.placement, event.arrangement
        if kind in ("transfer_requested", "moved_out_county"):
            facts.transfer_to = event.to_township
        if kind in ("transfer_declined", "receipt_recorded"):
            facts.transfer_to = None
        if kind == "receipt_recorded":
            facts.exclude_reason = "moved_out"
        if kind == "transfer_accepted" and event.to_township:
            facts.transfers.append((facts.township, event.to_township))
            facts.township, facts.group = event.to_township, event.to_group or facts.group
            facts.transfer_to = None
        step = step_of_event(kind)
        if step is not None and step.counted:
            facts.counts[step.name] = facts.counts.get(step.name, 0) + 1
            latest = max(event.on or "", facts.last_on.get(step.name, ""))
            if latest:
                facts.last_on[step.name] = latest
        if kind == "closed":
            facts.closed_at = event.at
        if kind == "reopened":
            facts.closed_at = None
            facts.episode = event.episode or facts.episode + 1
        if kind == "escalated":
            level = event.level or 0
            facts.level = max(level, facts.level or 0)
            facts.escalated = facts.escalated or level >= 1
            if event.reason == "clearance_deadline":
                facts.missed_deadline = True
            elif level == 2:
                top_repeats += 1
                facts.stalled = top_repeats > campaign.escalation.repeat_max
        if facts.stage != stage_before or kind in ("opened", "reopened", "restored"):
            entered = event.at
            facts.level, facts.stalled, top_repeats = None, False, 0
    if facts is not None and facts.open and entered is not None:
        facts.due_at = stage_due(
            entered, facts.stage, head.kind, campaign=campaign, calendar=calendar, priority=head.priority
        )
    return facts


def stage_due(
    entered: dt.datetime,
    stage: Stage,
    kind: CaseKind,
    *,
    campaign: CampaignSpec,
    calendar: WorkCalendar | None,
    priority: bool = False,
) -> dt.datetime | None:
    """When a stage begun at `entered` was due: as the workflow computed it (cut at the deadline)."""
    budget = campaign.stage_duration(kind, stage, priority)
    return due_by_budget(entered, budget, calendar, campaign.clearance_deadline).at


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
    "priority",
    "whereabouts_unknown",
    "transferred_out",
    "transferred_in",
    "transfer_pending_out",
    "transfer_pending_in",
    "provisional",
    "merged",
    "exclusion_check_pending",
)
"""The notice's table, in its order: 疑似, 已核实, 已返校/已安置/已资助, 已排除, 未清零, 逾期,
已上报升级, 错过期限 — and the case's own: relapsed (opened again), stalled, priority children,
open cases whose child was not found (下落不明), hand-overs between townships: accepted out of
and into each township, and waiting for an answer on either side; children with no ID number yet
(临时身份), and cases merged into the same child's case once identified (counted nowhere else:
the kept case stands for the child); exclusions drawn for the group's check, not checked yet."""


@dataclass
class TownshipTally:
    group: int
    township: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TALLY_KEYS, 0))

    def add(self, facts: CaseFacts, overdue: bool) -> None:
        counts = self.counts
        if facts.outcome == Outcome.merged:
            counts["merged"] += 1
            return
        counts["provisional"] += facts.provisional
        counts["exclusion_check_pending"] += facts.exclusion_check_pending
        is_open = facts.stage is not Stage.closed
        counts["suspected"] += 1
        counts["verified"] += facts.verified
        if is_open:
            counts["open"] += 1
            counts["stalled"] += facts.stalled
            counts["whereabouts_unknown"] += facts.whereabouts_unknown
        elif facts.outcome is not None:
            counts[facts.outcome.value] += 1
        counts["overdue"] += overdue
        counts["escalated"] += facts.escalated
        counts["missed_deadline"] += facts.missed_deadline
        counts["relapsed"] += facts.episode > 1
        counts["priority"] += facts.priority


def tally(cases: Iterable[tuple[CaseFacts, bool]], townships: Sequence[tuple[int, str]]) -> list[TownshipTally]:
    """One row a township, in the roster's order (the notice's table), every township listed;
    each case with whether it is overdue at the moment counted."""
    rows = {township: TownshipTally(group, township) for group, township in townships}
    for case, overdue in cases:
        row = rows.get(case.township) or rows.setdefault(case.township, TownshipTally(case.group, case.township))
        row.add(case, overdue)
        for sending, receiving in case.transfers:
            for township, key in ((sending, "transferred_out"), (receiving, "transferred_in")):
                if township in rows:
                    rows[township].counts[key] += 1
        if case.transfer_to is not None and case.stage is not Stage.closed:
            row.counts["transfer_pending_out"] += 1
            if case.transfer_to in rows:
                rows[case.transfer_to].counts["transfer_pending_in"] += 1
    return list(rows.values())


def summed(rows: Iterable[TownshipTally]) -> dict[str, int]:
    total = dict.fromkeys(TALLY_KEYS, 0)
    for row in rows:
        for key, value in row.counts.items():
            total[key] += value
    return total
