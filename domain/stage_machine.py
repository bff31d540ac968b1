"""The one stage machine: which stage a case is at after each event, and when a stage is due.

The workflow moves a case by it as each event is recorded, and the report folds a case's events
through it to see the case as it stood on any past day (docs/architecture.md, "The case" and
"Reports and any past day"), so the two cannot disagree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from domain.enums import OUTCOME_OF_KIND, CaseKind, Finding, Outcome, Stage
from domain.work_calendar import WorkCalendar, add_working_time


@dataclass(frozen=True, slots=True)
class Move:
    """What an event does to the case's stage and outcome."""

    to: Stage
    outcome: Outcome | None = None
    sets_outcome: bool = False
    """`outcome` replaces the case's (a reopening clears it); otherwise the outcome is kept."""
    by_actor: bool = False
    """The actor confirmed or excluded: the closure needs another person (four eyes)."""


def move_after(kind: CaseKind, event: str, *, finding: str | None = None) -> Move | None:
    """The move an event makes; None for an event that leaves the stage as it is. (A `restored`
    case takes the stage its ledger held, which the event does not say.)"""
    if event in ("opened", "reopened"):
        return Move(Stage.home_visit, None, sets_outcome=event == "reopened")
    if event == "visited":
        if finding == Finding.excluded:
            return Move(Stage.closure, Outcome.excluded, sets_outcome=True, by_actor=True)
        if finding == Finding.whereabouts_unknown:  # 下落不明: still to be found, the stage's clock running
            return None
        return Move(Stage.return_plan)
    if event == "planned":
        return Move(Stage.return_confirmation)
    if event == "confirmed":
        return Move(Stage.closure, OUTCOME_OF_KIND[kind], sets_outcome=True, by_actor=True)
    if event == "closed":
        return Move(Stage.closed)
    if event == "receipt_recorded":  # moved out of the county, its 学籍 there on record: an exclusion
        return Move(Stage.closure, Outcome.excluded, sets_outcome=True, by_actor=True)
    if event == "merged":  # the same child's other case carries on: this one is neither open nor cleared
        return Move(Stage.closed, Outcome.merged, sets_outcome=True)
    if event == "back_in_school":  # the school's word closes what its own report opened
        return Move(Stage.closed, Outcome.excluded, sets_outcome=True)
    return None


@dataclass(frozen=True, slots=True)
class Due:
    at: dt.datetime | None
    capped: bool = False
    """The budget ran past the clearance deadline: due at the deadline instead."""


def stage_due(
    entered: dt.datetime,
    budget: dt.timedelta | None,
    calendar: WorkCalendar | None,
    deadline: dt.datetime | None,
) -> Due:
    """When a stage begun at `entered` is due: its budget (working days on a `workdays` campaign),
    cut at the clearance deadline when it would run past it — so a case that keeps to its budgets
    cannot miss the deadline. No budget, no due time."""
    if budget is None:
        return Due(None)
    due = add_working_time(entered, budget, calendar)
    if deadline is not None and entered < deadline < due:
        return Due(deadline, capped=True)
    return Due(due)
