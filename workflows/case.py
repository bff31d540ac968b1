"""CaseWorkflow: one case, from the home visit to closure (一人一案).

Officer steps are updates with validators, so a wrong step is refused before anything is
written. Each declared step (domain/step_specs.py) gets its update and validator from its
declaration: one generic handler records the step's event, applies what the step sets, moves
the case by the stage machine (domain/stage_machine.py) and projects. Every accepted step changes
the state synchronously, before the first await, so two officers racing the same step cannot both
win: the second finds the stage moved on. The ledger projection is awaited before the update
returns, so the ledger equals the state the caller gets back.

The case's memory is one model (`CaseCarry`: state, trusted registry, the last trust change, the
ladder's rung, recent events), carried to the next run in one line at continue-as-new; the run's
own bookkeeping (`RunProgress`) is not carried.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.actors import Actor
    from domain.beijing import china_midnight, china_today, month_end, next_month_start
    from domain.case import (
        CASE_GENERATION,
        LEDGER_AHEAD,
        SESSION_MONTH,
        CaseCarry,
        CaseEvent,
        CaseStart,
        CaseState,
        Delivery,
        ExclusionCheck,
        PendingTransfer,
        Projection,
        Watch,
        drawn_for_check,
        event_business_key,
        workflow_id_for,
    )
    from domain.enums import (
        TIME_LIMITED_ARRANGEMENTS,
        WATCHED_ARRANGEMENTS,
        Arrangement,
        EventType,
        Outcome,
        Role,
        Stage,
    )
    from domain.errors import CaseRuleViolation
    from domain.rules import (
        SIGNED_RULES,
        STEP_RULES,
        check_not_repeated,
        check_permitted,
        check_place,
        check_sequence,
        check_signature,
        check_step_dates,
    )
    from domain.signing import ChainUpdate, MergeIn, MergeTarget, RegistryUpdate, ReopenRequest, TransferTarget
    from domain.stage_machine import Due, Move, move_after, stage_due
    from domain.step_specs import STEPS, Retry, StepSpec
    from domain.steps import (
        INPUTS,
        FollowUpInput,
        IdentifyInput,
        ReceiptInput,
        SessionInput,
        StepInput,
        TransferAcceptInput,
        TransferDeclineInput,
        TransferInput,
        TransferOutInput,
    )
    from workflows.escalation import TOP_LEVEL, deadline_spread, receiving_leads, recipients, rung
    from workflows.search_attributes import CASE_STAGE, ESCALATION_LEVEL, STAGE_DUE_AT

PROJECT_CASE_ACTIVITY = "project_case"
PROJECT_AND_DELIVER_ACTIVITY = "project_and_deliver"
LEDGER_LAST_SEQ_ACTIVITY = "ledger_last_seq"
DELIVER_ACTIVITY = "deliver_escalation"
SYSTEM_ACTOR = "system"
RULE_ERROR_TYPE = "CaseRuleViolation"
BOUNDED_LADDER_PATCH = "bounded-ladder-1"
DEADLINE_SPREAD_PATCH = "deadline-spread-1"
DEADLINE_CAP_PATCH = "deadline-cap-1"
MONITORING_PATCH = "monitoring-1"
LOCAL_ACTIVITIES_PATCH = "local-activities-1"
"""Projection and delivery run as local activities: in the workflow task that decided them, with
no task of their own on the server (docs/architecture.md, "The worker")."""
WAKE_WHEN_LONG_PATCH = "wake-when-long-1"
"""A run whose history grows long continues as new at once, whatever woke it: a flood of notes
wakes no timer, and Temporal refuses updates past 2,000 a run (each step adds some six events to
a history that continues as new after `continue_after_events`, 2,000 by default)."""
SIGNED_START_PATCH = "signed-start-1"
"""A run's input must carry the service key's seal (a start, restore or reopening the server made),
checked before anything else. Asked of `workflow.patched` in every new run, never taken from the
input's generation: a forged input could claim an old one."""
TRANSFER_NOTICE_PATCH = "transfer-notice-1"
"""A transfer request tells the receiving township's lead at once (its event carries them as
recipients and is delivered), not only when it goes unanswered."""
QUIET_OPEN_PATCH = "quiet-open-1"
"""A case opens without telling Temporal what it knows already: a sealed start of this generation
skips the seal check's patch marker, and a search attribute is upserted only when it changes (the
start names the opening stage and its due time)."""
RESTORE_KEEPS_DUE_PATCH = "restore-keeps-due-1"
"""A case restored from its ledger keeps the due time its stage had and its ladder's place: the
rungs sent before the loss are not sent again, one that fell due meanwhile goes out at once and
says it is late (docs/architecture.md, "What survives what")."""
DEADLINE_WAKE_PATCH = "deadline-wake-1"
"""A stage due at the clearance deadline (capped) escalates in the same wake as the deadline, at
the case's moment in the deadline's spread: one workflow task, one projection and one delivery
for both, where there were two of each a few minutes apart (docs/architecture.md, "Escalation")."""
DELIVER_WITH_PROJECTION_PATCH = "deliver-with-projection-1"
"""An escalation's notices are handed to apprise by the local activity that projects it, once its
transaction is committed: one local activity and one workflow activation less a wake. Only a
failure (recorded on its row) starts the delivery activity, whose retries take it from there."""
ONE_WAKE = ("overdue", "clearance_deadline")
"""What one wake may escalate together, in the order recorded: the rung, then the deadline."""
OPENED_JUST_NOW = timedelta(minutes=1)
"""A run that starts this close to its ledger's `opened_at` enters the opening stage with the due
time its start names (QUIET_OPEN_PATCH); one that starts later (an opening retried after a
failure, a test's skipped clock) counts the stage from its own start, as before."""
LATE_AFTER = timedelta(minutes=1)
"""A rung sent this long after its time says so (`late`): the case was down when it fell due."""
UNSIGNED_START_ERROR = "UnsignedCaseStart"
_trusted_service_keys: frozenset[str] = frozenset()


def trust_service_keys(public_keys: list[str]) -> None:
    """The service keys (public halves) whose seals this worker's cases accept: set once, by the
    worker, before it runs (worker.py); the same on every worker, so replays agree."""
    global _trusted_service_keys
    _trusted_service_keys = frozenset(public_keys)


PATCH_GENERATIONS = {
    BOUNDED_LADDER_PATCH: 1,
    DEADLINE_SPREAD_PATCH: 1,
    DEADLINE_CAP_PATCH: 1,
    MONITORING_PATCH: 1,
    LOCAL_ACTIVITIES_PATCH: 1,
    WAKE_WHEN_LONG_PATCH: 2,
    TRANSFER_NOTICE_PATCH: 3,
    RESTORE_KEEPS_DUE_PATCH: 4,
    QUIET_OPEN_PATCH: 5,
    DEADLINE_WAKE_PATCH: 6,
    DELIVER_WITH_PROJECTION_PATCH: 7,
}
"""The generation from which a run has each patched behaviour without asking (domain/case.py)."""
PROJECTION_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(seconds=30),
    "retry_policy": RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)),
}
PROJECT_AND_DELIVER_OPTIONS: dict[str, Any] = {
    **PROJECTION_OPTIONS,
    "start_to_close_timeout": timedelta(minutes=2),  # the projection's 30 s and apprise's sends
}
DELIVERY_OPTIONS: dict[str, Any] = {
    "start_to_close_timeout": timedelta(minutes=2),
    "retry_policy": RetryPolicy(
        initial_interval=timedelta(seconds=2),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(minutes=5),
        maximum_attempts=8,
    ),
}
STAGE_ORDER = ("discovery", "home_visit", "return_plan", "return_confirmation", "closure")
"""The open stages in the order a case goes through them: a merge takes on the further one."""
DEFAULT_SESSIONS = 2
"""送教上门 sessions a month when the plan does not say (the usual twice a month)."""
RECENT_EVENTS = 50
"""Events kept in memory (for `verify --repair` to re-project what the ledger missed); the ledger
holds every event."""


def _refusal(violation: CaseRuleViolation) -> ApplicationError:
    return ApplicationError(
        str(violation),
        {"code": violation.code, "params": violation.params},
        type=RULE_ERROR_TYPE,
        non_retryable=True,
    )


def _guard(check: Callable[[], None]) -> None:
    try:
        check()
    except CaseRuleViolation as violation:
        raise _refusal(violation) from None


@dataclass
class RunProgress:
    """This run's own bookkeeping, not the case's: how far the ledger has been written, which
    version of the stage the escalation loop is waiting on, deliveries in flight."""

    projected_seq: int = 0
    stage_version: int = 0
    deliveries: set[asyncio.Future[Any]] = field(default_factory=set)
    renumbered: dict[int, tuple[CaseEvent, CaseEvent]] = field(default_factory=dict)
    """Events numbered on after the ledger's last (a step the case never committed held their
    numbers), as recorded and as renumbered, by the number they were recorded with: already
    projected under their new one."""

    def now_numbered(self, event: CaseEvent) -> CaseEvent:
        recorded, renumbered = self.renumbered.get(event.seq, (None, event))
        return renumbered if recorded == event else event


class CaseWorkflow:
    """Decorated as a workflow at the end of the module, once every declared step's update is on it."""

    @workflow.init
    def __init__(self, start: CaseStart) -> None:
        self._start = start
        if start.carry is not None:
            self._case = start.carry
            self._run = RunProgress(projected_seq=start.carry.state.last_seq)
        else:
            self._case = CaseCarry(state=_first_state(start), officers=dict(start.officers))
            self._run = RunProgress()

    def _since(self, patch: str) -> bool:
        """Whether this run has the behaviour added behind `patch`: every run of the patch's
        generation or later has it (domain/case.py, CASE_GENERATION); an older run asks Temporal,
        so its recorded history replays as it was written."""
        return self._start.generation >= PATCH_GENERATIONS[patch] or workflow.patched(patch)

    @property
    def state(self) -> CaseState:
        return self._case.state

    @workflow.run
    async def run(self, start: CaseStart) -> CaseState:
        self._refuse_unsealed(start)
        if start.carry is not None:
            return await self._carry_on(start)
        if start.resume is not None and start.reopen_reason is not None:
            # A closed case whose workflow had completed, found again (discovery): a new episode.
            event = self._reopen(start.reopen_reason, start.opened_by.name, start.opened_by.id)
        elif start.resume is not None:
            # Restored by `verify --repair` after its earlier run was terminated, failed or lost:
            # it carries on from the ledger's state at the stage it had reached, due when it was.
            restored: dict[str, Any] = {"from": start.resume_reason}
            if start.withdrawn:
                restored["withdrawn"] = start.withdrawn
            event = self._record(EventType.restored, start.opened_by.name, restored, actor_id=start.opened_by.id)
            kept = start.resume if self._since(RESTORE_KEEPS_DUE_PATCH) else None
            self._enter(start.resume.stage, due_at=kept.due_at if kept is not None else None)
            if kept is not None:
                self._resume_ladder(kept)
            self._resume_watch()
        else:
            opened: dict[str, Any] = {"assigned_officer": start.assigned_officer}
            if start.assigned_officer_id is not None:
                opened["assigned_officer_id"] = start.assigned_officer_id
            if start.provisional:
                opened["provisional"] = True
            event = self._record(EventType.opened, start.opened_by.name, opened, actor_id=start.opened_by.id)
            if self._since(QUIET_OPEN_PATCH) and abs(workflow.now() - start.opened_at) <= OPENED_JUST_NOW:
                self._enter(start.opening_stage(), due=start.opening_due())
            else:
                self._enter(start.opening_stage(), due_at=start.first_due_at)
        await self._project(event)
        return await self._carry_on(start)

    def _refuse_unsealed(self, start: CaseStart) -> None:
        """A run Temporal continued from this case's own run (its `continued_run_id` is the
        server's, not the input's) carries on; any other run must be sealed by a trusted service
        key, or the case fails before it records or projects anything (`verify` lists it)."""
        if start.carry is not None and workflow.info().continued_run_id is not None:
            return
        sealed = start.sealed_by(_trusted_service_keys)
        if sealed and start.generation >= PATCH_GENERATIONS[QUIET_OPEN_PATCH]:
            return  # the seal vouches for the generation: no patch to ask
        if workflow.patched(SIGNED_START_PATCH) and not sealed:
            raise ApplicationError(
                f"case {start.case_id}: its start is not sealed by a trusted service key",
                type=UNSIGNED_START_ERROR,
                non_retryable=True,
            )

    async def _carry_on(self, start: CaseStart) -> CaseState:
        """Wait, escalate, take steps until closed; continue as new when the run's history grows
        long, after every handler and delivery has finished, so nothing in flight is lost."""
        while self._active():
            await self._wait_and_escalate()
            if self._active() and self._history_is_long(start):
                await self._drain()
                workflow.continue_as_new(
                    start.model_copy(update={"carry": self._carry(), "resume": None, "generation": CASE_GENERATION})
                )
        await self._drain()
        return self.state

    def _active(self) -> bool:
        """Open, or closed and still watched (follow-up checks, an arrangement's end, the group's
        check of an exclusion)."""
        state = self.state
        return state.stage != Stage.closed or state.monitoring is not None or state.exclusion_check is not None

    def _history_is_long(self, start: CaseStart) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() > start.continue_after_events

    async def _drain(self) -> None:
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._run.deliveries:
            await asyncio.gather(*self._run.deliveries, return_exceptions=True)

    def _carry(self) -> CaseCarry:
        return self._case.model_copy(update={"recent": self._case.recent[-RECENT_EVENTS:]})

    # escalation

    def _ladder(self, n: int) -> tuple[dt.datetime, int] | None:
        """The stage's n-th rung; None when the ladder has ended (repeat_max). Cases that began
        before the ladder had an end keep the old, endless one, so their histories replay."""
        assert self.state.due_at is not None
        bounded = self._since(BOUNDED_LADDER_PATCH)
        return rung(self.state.due_at, self._start.escalation, n, self._start.work_calendar, bounded=bounded)

    def _next_wake(self) -> tuple[dt.datetime, str] | None:
        """The next moment something escalates: the stage's next rung or the clearance deadline."""
        wakes = self._wakes()
        return min(wakes) if wakes else None

    def _wakes(self) -> list[tuple[dt.datetime, str]]:
        """Every next moment something escalates, with why. A rung that falls due between the
        clearance deadline and this case's moment in the deadline's spread (a stage capped at the
        deadline) waits for that moment, so the two are one wake (DEADLINE_WAKE_PATCH)."""
        candidates: list[tuple[dt.datetime, str]] = []
        awaiting_receipt = self.state.transfer is not None and self.state.transfer.county is not None
        if (
            self.state.due_at is not None
            and not awaiting_receipt
            and (next_rung := self._ladder(self._case.rung)) is not None
        ):
            candidates.append((next_rung[0], "overdue"))
        watch = self.state.monitoring
        if watch is not None and watch.until is not None:
            candidates.append((watch.next_check_at, "arrangement_expired"))
        if (transfer_rung := self._transfer_rung()) is not None:
            candidates.append((transfer_rung[0], "transfer_pending"))
        check = self.state.exclusion_check
        if check is not None and not check.reminded:
            candidates.append((check.due_at, "exclusion_check"))
        deadline = self._start.clearance_deadline
        if deadline is not None and not self.state.missed_deadline and self.state.stage != Stage.closed:
            raw_deadline = deadline
            if self._since(DEADLINE_SPREAD_PATCH):
                deadline += deadline_spread(self.state.case_id)
            candidates.append((deadline, "clearance_deadline"))
            rung_at, why = candidates[0]  # the rung, when there is one, came first
            if why == "overdue" and raw_deadline <= rung_at <= deadline and self._since(DEADLINE_WAKE_PATCH):
                candidates[0] = (deadline, "overdue")
        return candidates

    async def _wait_and_escalate(self) -> None:
        version = self._run.stage_version
        watch_length = self._since(WAKE_WHEN_LONG_PATCH)

        def woken() -> bool:
            return self._run.stage_version != version or (watch_length and self._history_is_long(self._start))

        wake = self._next_wake()
        if wake is None:
            await workflow.wait_condition(woken)
            return
        delay = wake[0] - workflow.now()
        if delay > timedelta(0):
            try:
                await workflow.wait_condition(woken, timeout=delay)
                return
            except TimeoutError:
                pass
        if woken() or not self._active():
            return
        if wake[1] == "arrangement_expired":
            await self._project(self._reopen("arrangement_expired", SYSTEM_ACTOR))
        elif wake[1] == "transfer_pending":
            await self._escalate_transfer()
        elif wake[1] == "clearance_deadline" and self._since(DEADLINE_WAKE_PATCH):
            now_due = self._wakes()
            await self._escalate(*(why for why in ONE_WAKE if (wake[0], why) in now_due), scheduled=wake[0])
        else:
            await self._escalate(wake[1], scheduled=wake[0])

    async def _escalate(self, *reasons: str, scheduled: dt.datetime) -> None:
        """Record an escalation for each reason (one, or the rung and the clearance deadline of
        one wake), then project them together and deliver them together."""
        events = [self._escalation_event(reason, scheduled) for reason in reasons]
        level = ESCALATION_LEVEL.value_set(self.state.escalation_level or 0)  # just set, never None
        if len(events) == 1:
            workflow.upsert_search_attributes([level])
        else:
            self._upsert([level])
        if self._since(DELIVER_WITH_PROJECTION_PATCH):
            if not await self._project(*events, deliver=True):
                self._deliver(*events)
            return
        await self._project(*events)
        self._deliver(*events)

    def _escalation_event(self, reason: str, scheduled: dt.datetime) -> CaseEvent:
        state = self.state
        late = False
        if reason == "clearance_deadline":
            level = TOP_LEVEL
            state.missed_deadline = True
        elif reason == "exclusion_check":
            assert state.exclusion_check is not None
            level = TOP_LEVEL
            state.exclusion_check.reminded = True
        else:
            assert state.due_at is not None
            this_rung = self._ladder(self._case.rung)
            assert this_rung is not None
            level = this_rung[1]
            since = scheduled if self._since(DEADLINE_WAKE_PATCH) else this_rung[0]
            late = self._since(RESTORE_KEEPS_DUE_PATCH) and workflow.now() - since > LATE_AFTER
            self._case.rung += 1
            if self._ladder(self._case.rung) is None:
                state.stalled = True
        state.escalation_level = max(level, state.escalation_level or 0)
        self._refresh_next_escalation()
        overdue = workflow.now() - state.due_at if state.due_at else timedelta(0)
        told = recipients(level, state, self._case.officers.values())
        return self._record(
            EventType.escalated,
            SYSTEM_ACTOR,
            {
                "level": level,
                "reason": reason,
                "recipients": [name for name, _id in told],
                "recipient_ids": [officer_id for _name, officer_id in told],
                "roster_version": state.chain.roster_version,
                "overdue_seconds": max(0, int(overdue.total_seconds())),
                "due_at": state.due_at.isoformat() if state.due_at else None,
                "deadline": self._start.clearance_deadline.isoformat()
                if reason == "clearance_deadline" and self._start.clearance_deadline
                else None,
                **({"step": self._watched_step()} if state.monitoring is not None else {}),
                **({"late": True} if late else {}),
            },
        )

    def _deliver(self, event: CaseEvent, *more: CaseEvent) -> None:
        """The escalation's reminders go out without holding the case up."""
        state = self.state
        event, *more_now = (self._run.now_numbered(e) for e in (event, *more))
        delivery_input = Delivery(
            case_id=state.case_id, case_no=state.case_no, event_seq=event.seq, more_seqs=tuple(e.seq for e in more_now)
        )
        if self._since(LOCAL_ACTIVITIES_PATCH):
            delivery = workflow.start_local_activity(DELIVER_ACTIVITY, delivery_input, **DELIVERY_OPTIONS)
        else:
            delivery = workflow.start_activity(DELIVER_ACTIVITY, delivery_input, **DELIVERY_OPTIONS)
        self._run.deliveries.add(delivery)
        delivery.add_done_callback(self._delivery_done)

    def _delivery_done(self, delivery: asyncio.Future[Any]) -> None:
        """Delivery never blocks the case: its failures are recorded on the outbox rows."""
        self._run.deliveries.discard(delivery)
        if not delivery.cancelled():
            delivery.exception()

    def _refresh_next_escalation(self) -> None:
        wake = self._next_wake()
        self.state.next_escalation_at = wake[0] if wake else None

    def _trusted(
        self, update: RegistryUpdate | ChainUpdate | ReopenRequest | TransferTarget | MergeTarget | MergeIn
    ) -> bool:
        """Signed by the server's service key for this case, and newer than the last change
        accepted (an old signed change replayed cannot bring a revoked key back)."""
        if not update.valid_for(self.state.case_id, self._start.service_key):
            workflow.logger.warning("unsigned trust change ignored", extra={"case_no": self.state.case_no})
            return False
        if self._case.trust_issued_at is not None and update.issued_at <= self._case.trust_issued_at:
            return False
        self._case.trust_issued_at = update.issued_at
        return True

    @workflow.signal
    def update_chain(self, update: ChainUpdate) -> None:
        """A reloaded roster: later escalations go to the new chain (recorded with its version)."""
        chain = update.chain
        if chain == self.state.chain or not self._active() or not self._trusted(update):
            return
        previous = self.state.chain
        self.state.chain = chain
        event = self._record(
            EventType.roster_changed,
            SYSTEM_ACTOR,
            {"from": previous.model_dump(exclude_none=True), "to": chain.model_dump(exclude_none=True)},
        )
        self._pending_projection(event)

    @workflow.signal
    def transfer_target(self, target: TransferTarget) -> None:
        """The receiving township of the transfer about to be asked for, as the server resolved it:
        its chain, group and officers (who may then answer)."""
        if not self._active() or not self._trusted(target):
            return
        self._case.officers.update(target.officers)
        self._case.transfer_target = target

    @workflow.signal
    def reopen(self, request: ReopenRequest) -> None:
        """Discovery found this closed, watched case's child again: its next episode begins."""
        if self.state.stage != Stage.closed or not self._trusted(request):
            return
        self._pending_projection(self._reopen(request.reason, SYSTEM_ACTOR))

    def _pending_projection(self, event: CaseEvent) -> None:
        task = asyncio.ensure_future(self._project(event))
        self._run.deliveries.add(task)
        task.add_done_callback(self._delivery_done)

    # queries

    @workflow.query
    def current(self) -> CaseState:
        return self.state

    @workflow.query
    def timeline(self) -> list[CaseEvent]:
        return list(self._case.recent)

    # the stage machine

    def _today(self) -> dt.date:
        return china_today(workflow.now())

    def _enter(self, stage: Stage, *, due_at: dt.datetime | None = None, due: Due | None = None) -> None:
        """Begin a stage: its due time is computed once, now, and kept (or the one the server set
        for the opening stage, `due_at`; or `due`, the opening stage's as the start computes it);
        its ladder starts afresh. (Cases begun before the deadline cap keep their uncapped due
        times, so their histories replay.)"""
        state = self.state
        state.stage = stage
        self._restart_ladder()
        state.due_capped = False
        if stage == Stage.closed:
            state.due_at = None
        elif due is not None:
            state.due_at, state.due_capped = due.at, due.capped
        else:
            now, budget, calendar = workflow.now(), self._start.stage_durations.get(stage), self._start.work_calendar
            due = stage_due(now, budget, calendar, self._start.clearance_deadline)
            if due.capped and not self._since(DEADLINE_CAP_PATCH):
                due = stage_due(now, budget, calendar, None)
            state.due_at, state.due_capped = due.at, due.capped
            if due_at is not None:
                state.due_at, state.due_capped = (min(due_at, due.at) if due.at else due_at), False
        self._refresh_next_escalation()
        if stage == Stage.closed:
            state.next_escalation_at = None
        self._upsert(
            [
                CASE_STAGE.value_set(stage.value),
                STAGE_DUE_AT.value_set(state.due_at) if state.due_at else STAGE_DUE_AT.value_unset(),
                ESCALATION_LEVEL.value_unset(),
            ]
        )

    def _upsert(self, updates: list[SearchAttributeUpdate[Any]]) -> None:
        """Tell visibility what changed: an update that changes nothing is left out (since
        QUIET_OPEN_PATCH), and with nothing left nothing is sent — each upsert is an event and a
        write to the visibility store."""
        if self._since(QUIET_OPEN_PATCH):
            held = workflow.info().typed_search_attributes
            updates = [update for update in updates if held.get(update.key) != update.value]
            if not updates:
                return
        workflow.upsert_search_attributes(updates)

    def _move_of(self, event: str) -> Move:
        move = move_after(self.state.kind, event)
        assert move is not None, event
        return move

    def _move(self, move: Move, actor: str, actor_id: int | None = None) -> None:
        """The stage machine's move after a step: the outcome, who confirmed or excluded (four eyes),
        the stage; a closure starts the watching."""
        state = self.state
        if move.sets_outcome:
            state.outcome = move.outcome
        if move.by_actor:
            state.confirmed_by = actor
            state.confirmed_by_id = actor_id
        if move.to == Stage.closed:
            state.closed_at = workflow.now()
        self._enter(move.to)
        if move.to == Stage.closed:
            self._watch_after_closure()

    def _resume_ladder(self, kept: CaseState) -> None:
        """The ladder where the ledger left it: every rung due before the next escalation the
        ledger expected was sent before the loss (the stalled case's: all of them)."""
        state = self.state
        if state.due_at is None or kept.due_at is None or state.due_at != kept.due_at:
            return
        n = 0
        while n < 200 and (this_rung := self._ladder(n)) is not None:
            if kept.next_escalation_at is not None and this_rung[0] >= kept.next_escalation_at:
                break
            if kept.next_escalation_at is None and not kept.stalled:
                break
            n += 1
        self._case.rung = n
        state.escalation_level = kept.escalation_level
        state.stalled = kept.stalled
        state.due_capped = kept.due_capped
        self._refresh_next_escalation()

    def _restart_ladder(self) -> None:
        """Something new is due (a stage, a check): its reminders start from the first rung."""
        self._run.stage_version += 1
        self._case.rung = 0
        self.state.escalation_level = None
        self.state.stalled = False

    def _record(self, type_: str, actor: str, details: dict[str, Any], *, actor_id: int | None = None) -> CaseEvent:
        state = self.state
        state.last_seq += 1
        event = CaseEvent(
            seq=state.last_seq,
            type=type_,
            stage=state.stage,
            actor=actor,
            actor_id=actor_id,
            at=workflow.now(),
            details=details,
        )
        self._case.recent.append(event)
        del self._case.recent[: -RECENT_EVENTS * 2]
        return event

    async def _project(self, event: CaseEvent, *more: CaseEvent, deliver: bool = False) -> bool:
        """Write the events and the state to the ledger; `deliver`: and hand their notices to
        apprise in the same local activity (DELIVER_WITH_PROJECTION_PATCH). True when that was
        asked and every notice went out; else the caller starts the delivery activity."""
        if self._run.now_numbered(event) is not event:
            return False  # projected under its new number when the ledger was found ahead
        projection = Projection(
            business_key=event_business_key(self.state.case_id, event),
            event=event,
            state=self.state.model_copy(),
            also=more,
        )
        delivered = False
        try:
            if deliver and self._since(LOCAL_ACTIVITIES_PATCH):
                delivered = await workflow.execute_local_activity(
                    PROJECT_AND_DELIVER_ACTIVITY, projection, result_type=bool, **PROJECT_AND_DELIVER_OPTIONS
                )
            elif self._since(LOCAL_ACTIVITIES_PATCH):
                await workflow.execute_local_activity(PROJECT_CASE_ACTIVITY, projection, **PROJECTION_OPTIONS)
            else:
                await workflow.execute_activity(PROJECT_CASE_ACTIVITY, projection, **PROJECTION_OPTIONS)
        except (ActivityError, ApplicationError) as error:  # a local activity's failure comes as it was raised
            ledger_last = _ledger_ahead(error)
            if ledger_last is None:
                raise
            await self._number_after_ledger(ledger_last, first=event.seq)
            return False
        self._run.projected_seq = max(self._run.projected_seq, event.seq, *(e.seq for e in more))
        return delivered

    async def _number_after_ledger(self, ledger_last: int, *, first: int) -> None:
        """The ledger holds events from `first` on that this case never committed (a workflow task
        that failed after projecting a step, docs/architecture.md): they are withdrawn by a
        `restored` event after the ledger's last, and this run's events from `first` on are
        numbered after it and projected with it, so the ledger tells what the case holds."""
        if ledger_last < first:
            return
        pending = [e for e in self._case.recent if e.seq >= first]
        shift = ledger_last + 2 - first
        told: dict[str, Any] = {"from": "ledger_ahead", "withdrawn": list(range(first, ledger_last + 1))}
        if pending:  # how `verify` finds the signed step of an event numbered on
            told["moved"] = [[e.seq, e.seq + shift] for e in pending]
        withdrawal = CaseEvent(
            seq=ledger_last + 1,
            type=EventType.restored,
            stage=pending[0].stage if pending else self.state.stage,
            actor=SYSTEM_ACTOR,
            at=pending[0].at if pending else workflow.now(),  # told before what it is numbered ahead of
            details=told,
        )
        moved = [e.model_copy(update={"seq": e.seq + shift}) for e in pending]
        self._run.renumbered.update({old.seq: (old, new) for old, new in zip(pending, moved, strict=True)})
        self._case.recent = [e for e in self._case.recent if e.seq < first] + [withdrawal, *moved]
        self.state.last_seq = max(self.state.last_seq + shift, withdrawal.seq)
        await self._project(withdrawal, *moved)
        workflow.logger.warning(f"台账中自第 {first} 步起有案件未确认的事件，已撤回并顺延编号")

    @workflow.update
    async def catch_up_with_ledger(self) -> CaseState:
        """Asked by the server when a step was signed for a number this case has not reached (its
        client read the number from the ledger): events the ledger holds past the case's last,
        which it never committed, are withdrawn and numbered past (`_number_after_ledger`)."""
        ledger_last = await workflow.execute_local_activity(
            LEDGER_LAST_SEQ_ACTIVITY, self.state.case_id, result_type=int, **PROJECTION_OPTIONS
        )
        await self._number_after_ledger(ledger_last, first=self.state.last_seq + 1)
        return self.state

    @workflow.update
    async def synced(self) -> int:
        """Return once the ledger holds every event so far (used right after opening), with the
        last event's number. The opening event is seq 1 and may not be recorded yet when this
        update arrives with the first task."""
        await workflow.wait_condition(lambda: self._run.projected_seq >= max(1, self.state.last_seq))
        return self.state.last_seq

    # steps: one handler and one validator for every declared step

    async def _take(self, spec: StepSpec, step: StepInput) -> CaseState:
        """Record the step's event, apply what it sets, move by the stage machine, project."""
        self._check(spec, step, signed=False)
        if isinstance(step, TransferAcceptInput) and step.officer is None:
            step = step.model_copy(update={"officer": self._receiving_officer()})
        recorded = step.recorded(self.state)
        merge = self._case.merge_target if isinstance(step, IdentifyInput) else None
        if merge is not None:
            recorded.update(merged_into=merge.into_case_no, into_township=merge.into_township)
        notice = isinstance(step, TransferInput) and self._since(TRANSFER_NOTICE_PATCH)
        if notice and (target := self._case.transfer_target) is not None:
            told = receiving_leads(target.township, self._case.officers.values())
            recorded.update(level=0, recipients=[n for n, _i in told], recipient_ids=[i for _n, i in told])
        events = [self._record(spec.event, step.actor.name, recorded, actor_id=step.actor.id)]
        step.apply(self.state)
        move = move_after(self.state.kind, spec.event, finding=events[0].details.get("finding"))
        if move is not None:
            self._move(move, step.actor.name, step.actor.id)
        if isinstance(step, FollowUpInput):
            events += self._followed_up(step)
        elif isinstance(step, SessionInput):
            self._session_held(step)
        elif isinstance(step, TransferInput | TransferAcceptInput | TransferDeclineInput | TransferOutInput):
            self._transferred(step)
        elif isinstance(step, ReceiptInput):
            self._run.stage_version += 1
        elif merge is not None:
            events.append(self._merged_away(merge, step.actor))
        elif spec.name == "close":
            events += self._sample_exclusion()
        elif spec.name == "check_exclusion":
            events += self._exclusion_checked(step)
        for event in events:
            await self._project(event)
        if merge is not None:
            self._deliver(events[-1])
        elif notice:
            self._deliver(events[0])
        return self.state

    def _check(self, spec: StepSpec, step: StepInput, *, signed: bool) -> None:
        """`signed` in validators only: a handler re-checks where the step is taken, the sequence
        (the race) and its rule, but not the signature, so histories recorded before signatures
        still replay. Validators do not run on replay: a check added to them changes no history."""

        def check() -> None:
            if signed:
                check_signature(self.state, spec.name, step, self._case.officers, workflow.now())
            check_place(self.state, spec)
            check_sequence(self.state, step)
            check_permitted(self.state, step.actor, spec.name)
            if isinstance(step, TransferInput):
                self._check_target(step)
            rule = STEP_RULES.get(spec.name)
            if rule is not None:
                rule(self.state, step, self._today())
            if signed:
                check_step_dates(self.state, step)
                signed_rule = SIGNED_RULES.get(spec.name)
                if signed_rule is not None:
                    signed_rule(self.state, step, self._today())
            if signed and spec.retry == Retry.repeatable:
                check_not_repeated(self._last_step(), step, workflow.now())

        _guard(check)

    @workflow.signal
    def update_officers(self, update: RegistryUpdate) -> None:
        """A changed officer registry (a new officer, a new or revoked key, a reloaded roster)."""
        if self._trusted(update):
            self._case.officers.update(update.officers)

    # watching after closure (动态监测)

    def _watch_after_closure(self) -> None:
        """A return to school, or an arrangement, is checked at the campaign's offsets; a
        suspension or deferral is waited out to its end. Cases closed before monitoring existed
        end at closure, as they did (their histories replay)."""
        state = self.state
        watched = state.outcome == Outcome.returned or (
            state.outcome == Outcome.arranged and state.arrangement in WATCHED_ARRANGEMENTS
        )
        limited = state.outcome == Outcome.arranged and state.arrangement in TIME_LIMITED_ARRANGEMENTS
        if limited and state.arrangement_until is not None and self._since(MONITORING_PATCH):
            until = state.arrangement_until
            state.monitoring = Watch(next_check_at=china_midnight(until), checks_left=0, until=until)
            self._refresh_next_escalation()
        elif watched and self._start.monitoring and self._since(MONITORING_PATCH):
            state.monitoring = Watch(next_check_at=workflow.now(), checks_left=len(self._start.monitoring))
            rule = self._start.home_delivery
            if state.arrangement == Arrangement.home_delivery:
                per_month = state.sessions_per_month or (rule.sessions_per_month if rule else DEFAULT_SESSIONS)
                state.monitoring.session_every = SESSION_MONTH / per_month
                if rule is not None:
                    state.monitoring.sessions_per_month = per_month
                    state.monitoring.months_from = next_month_start(workflow.now())
            self._next_check()

    def _resume_watch(self) -> None:
        """A watched closed case restored from its ledger keeps being watched."""
        watch = self.state.monitoring
        if watch is None or self.state.stage != Stage.closed:
            self.state.monitoring = None
        elif watch.until is None:
            self._next_check()
        else:
            self._refresh_next_escalation()

    def _next_check(self) -> None:
        """Schedule what is next due while watched, with a ladder of its own: the next follow-up
        check (at its offset from closure, due `follow_up_within` later) or — for 送教上门, if
        sooner — the next session (by the campaign's rule, the end of the first month short of
        its sessions; without one, `session_every` after the last session or the closure). Once
        the checks are done, a 送教上门 under the campaign's rule is still watched, by its sessions."""
        assert self.state.monitoring is not None and self.state.closed_at is not None
        watch = self.state.monitoring
        dues = [self._session_due()]
        if watch.checks_left > 0:
            watch.next_check_at = self.state.closed_at + self._start.monitoring[watch.checks_done]
            dues.append(watch.next_check_at + self._start.follow_up_within)
        else:
            watch.next_check_at = dues[0] or watch.next_check_at
        self._restart_ladder()
        self.state.due_at = min(filter(None, dues))
        self._refresh_next_escalation()

    def _session_due(self) -> dt.datetime | None:
        watch = self.state.monitoring
        if watch is None or watch.session_every is None:
            return None
        assert self.state.closed_at is not None
        if watch.sessions_per_month and watch.months_from is not None:
            months = watch.sessions_held // watch.sessions_per_month
            return month_end(watch.months_from, months)
        return (watch.last_session_at or self.state.closed_at) + watch.session_every

    def _watched_step(self) -> str:
        """What a reminder while watched is about: a 送教上门 session or a follow-up check."""
        due = self._session_due()
        return "session" if due is not None and due == self.state.due_at else "follow_up"

    def _reopen(self, reason: str, actor: str, actor_id: int | None = None) -> CaseEvent:
        """The closed case becomes open again as its next episode, at the home visit."""
        state = self.state
        state.episode += 1
        state.outcome = None
        state.confirmed_by = None
        state.confirmed_by_id = None
        state.closed_at = None
        state.monitoring = None
        state.arrangement = None
        state.arrangement_until = None
        state.sessions_per_month = None
        event = self._record(EventType.reopened, actor, {"reason": reason, "episode": state.episode}, actor_id=actor_id)
        self._enter(self._move_of(EventType.reopened).to)
        return event

    def _followed_up(self, step: FollowUpInput) -> list[CaseEvent]:
        """A check found the child attending (the next check, or the watch ends) or not (a relapse:
        the case reopens as its next episode)."""
        watch = self.state.monitoring
        assert watch is not None
        if not step.attending:
            return [self._reopen("relapse", step.actor.name, step.actor.id)]
        watch.checks_done += 1
        watch.checks_left -= 1
        if watch.checks_left > 0 or watch.sessions_per_month:
            self._next_check()
        else:
            self.state.monitoring = None
            self.state.due_at = None
            self.state.next_escalation_at = None
            self._run.stage_version += 1
        return []

    def _session_held(self, step: SessionInput) -> None:
        """A 送教上门 session while watched: the next one is due a session's interval after it."""
        watch = self.state.monitoring
        if watch is not None and watch.session_every is not None:
            watch.last_session_at = max(china_midnight(step.on), watch.last_session_at or china_midnight(step.on))
            watch.sessions_held += 1
            self._next_check()

    # transfers between townships (转出、转入)

    def _check_target(self, step: TransferInput) -> None:
        target = self._case.transfer_target
        if target is None or target.township != step.to:
            raise CaseRuleViolation("transfer_target_missing")

    def _transferred(self, step: TransferInput | TransferAcceptInput | TransferDeclineInput | TransferOutInput) -> None:
        """A request waits with the receiving chain and a ladder of its own; an answer ends it (an
        acceptance also starts the stage's reminders afresh, on the new chain). Out of the county,
        the case waits for the receiving school's 学籍 with only that ladder running."""
        if isinstance(step, TransferOutInput):
            state = self.state
            state.transfer = PendingTransfer(
                to=step.to_county, requested_at=workflow.now(), by=step.actor.name, by_id=step.actor.id,
                chain=state.chain, group=state.group, county=step.to_county, school=step.school,
            )  # fmt: skip
            self._run.stage_version += 1
        elif isinstance(step, TransferInput):
            target = self._case.transfer_target
            assert target is not None
            self.state.transfer = PendingTransfer(
                to=target.township, requested_at=workflow.now(), by=step.actor.name, by_id=step.actor.id,
                chain=target.chain, group=target.group,
            )  # fmt: skip
            self._case.transfer_target = None
            self._run.stage_version += 1
        elif isinstance(step, TransferAcceptInput):
            self._restart_ladder()
        else:
            self._run.stage_version += 1
        self._refresh_next_escalation()

    def _receiving_officer(self) -> Actor | None:
        """The receiving township's first case officer (by registry id), as a new case's is."""
        assert self.state.transfer is not None
        township = self.state.transfer.to
        officers = sorted(
            (o for o in self._case.officers.values() if o.role == Role.case_officer and o.township == township),
            key=lambda o: o.id or 0,
        )
        first = next((o for o in officers if o.public_key and o.id is not None), None)
        return Actor(name=first.name, role=first.role, township=township, id=first.id) if first else None

    def _transfer_rung(self) -> tuple[dt.datetime, int] | None:
        """The pending transfer's next rung: at the campaign's `transfer` after the request, then
        the ladder's level 1 and level 2 times; None once all three are past."""
        transfer = self.state.transfer
        within = (
            self._start.transfer_within if transfer is None or transfer.county is None else self._start.receipt_within
        )
        if transfer is None or within is None or transfer.rung > TOP_LEVEL:
            return None
        policy = self._start.escalation
        offsets = (within, within + policy.level1_after, within + policy.level2_after)
        return transfer.requested_at + offsets[transfer.rung], transfer.rung

    async def _escalate_transfer(self) -> None:
        """Unanswered: both townships' people of the rung are told (the sending side as for a late
        step; the receiving side's lead at level 0, its chain above)."""
        state, transfer = self.state, self.state.transfer
        found = self._transfer_rung()
        assert transfer is not None and found is not None
        level = found[1]
        transfer.rung += 1
        officers = list(self._case.officers.values())
        told = recipients(level, state, officers)
        if transfer.county is not None:
            pass  # out of the county: no receiving side here to tell
        elif level == 0:
            told += receiving_leads(transfer.to, officers)
        else:
            told += recipients(level, state.model_copy(update={"chain": transfer.chain}), officers)
        told = list(dict.fromkeys(told))
        self._refresh_next_escalation()
        event = self._record(
            EventType.escalated,
            SYSTEM_ACTOR,
            {
                "level": level,
                "reason": "transfer_pending",
                "recipients": [name for name, _id in told],
                "recipient_ids": [officer_id for _name, officer_id in told],
                "roster_version": state.chain.roster_version,
                "to_township": transfer.to,
                "step": "transfer",
            },
        )
        await self._project(event)
        self._deliver(event)

    # the group's check of a sample of exclusions (组长抽查)

    def _sample_exclusion(self) -> list[CaseEvent]:
        """An exclusion just closed, drawn for the campaign's sample: it waits for the group's check."""
        state, sample = self.state, self._start.exclusion_sample
        if sample is None or state.outcome != Outcome.excluded or not drawn_for_check(state.case_id, sample.percent):
            return []
        state.exclusion_check = ExclusionCheck(due_at=workflow.now() + sample.within)
        self._refresh_next_escalation()
        self._run.stage_version += 1
        return [
            self._record(
                EventType.exclusion_sampled, SYSTEM_ACTOR, {"due_at": state.exclusion_check.due_at.isoformat()}
            )
        ]

    def _exclusion_checked(self, step: StepInput) -> list[CaseEvent]:
        """Agreed: the exclusion stands and the case's run may end; not agreed: opened again."""
        self.state.exclusion_check = None
        self._run.stage_version += 1
        self._refresh_next_escalation()
        if getattr(step, "agreed", True):
            return []
        return [self._reopen("exclusion_rejected", step.actor.name, step.actor.id)]

    # provisional identities merged into the same child's case (合并)

    @workflow.signal
    def merge_target(self, target: MergeTarget) -> None:
        """The case the identification about to be recorded closes this one into, as the server found it."""
        if self._active() and self._trusted(target):
            self._case.merge_target = target

    def _merged_away(self, target: MergeTarget, actor: Actor) -> CaseEvent:
        """Identified as a child who already has a case of this kind: closed as merged into it, its
        assignee and township lead told (the ledger links the two, and shows both histories there)."""
        self._case.merge_target = None
        self.state.monitoring = None
        event = self._record(
            EventType.merged,
            actor.name,
            {"merged_into": target.into_case_no, "into_township": target.into_township, **self._told_now()},
            actor_id=actor.id,
        )
        self._move(self._move_of(EventType.merged), actor.name, actor.id)
        return event

    @workflow.update
    async def merge_in(self, merged: MergeIn) -> CaseState:
        """A provisional case of the same child closed into this one: recorded, its people told, and
        — if it had come further (visited, planned) while this one is open — its stage and plan
        taken on. An update, so the server answers once the ledger shows it; one not signed by the
        service key changes nothing."""
        if not self._active() or not self._trusted(merged):
            return self.state
        state = self.state
        details: dict[str, Any] = {"from_case_no": merged.from_case_no, "from_township": merged.from_township}
        further = (
            state.stage != Stage.closed
            and merged.stage in STAGE_ORDER
            and STAGE_ORDER.index(merged.stage) > STAGE_ORDER.index(state.stage)
        )
        if further:
            details["adopted_stage"] = merged.stage
            if merged.arrangement:
                state.arrangement = Arrangement(merged.arrangement)
                state.arrangement_until, state.sessions_per_month = merged.arrangement_until, merged.sessions_per_month
            state.whereabouts_unknown = merged.whereabouts_unknown
        event = self._record(EventType.merged_in, SYSTEM_ACTOR, {**details, **self._told_now()})
        if further:
            self._enter(Stage(merged.stage))
        await self._project(event)
        self._deliver(event)
        return self.state

    def _told_now(self) -> dict[str, Any]:
        """Who hears of a merge on this case's side: as for a first reminder (the assignee, or
        every case officer of the township; its lead copied — the ledger expands it)."""
        told = recipients(0, self.state, self._case.officers.values())
        return {"level": 0, "recipients": [n for n, _i in told], "recipient_ids": [i for _n, i in told]}

    def _last_step(self) -> CaseEvent | None:
        steps = [e for e in self._case.recent if e.type not in (EventType.escalated, EventType.roster_changed)]
        return steps[-1] if steps else None


def _ledger_ahead(error: ActivityError | ApplicationError) -> int | None:
    """The ledger's last event number when the projection was refused for the ledger holding
    another event at the number (ledger/projection.py), else None."""
    cause = error.cause if isinstance(error, ActivityError) else error
    if isinstance(cause, ApplicationError) and cause.type == LEDGER_AHEAD and cause.details:
        return int(cause.details[0])
    return None


def _first_state(start: CaseStart) -> CaseState:
    """A new case waits at discovery until its run opens it; a restored one carries on from its ledger."""
    if start.resume is not None:
        return start.resume.model_copy(update={"escalation_level": None, "stalled": False})
    return CaseState(
        case_id=start.case_id,
        case_no=start.case_no,
        workflow_id=workflow_id_for(start.case_id),
        campaign=start.campaign,
        kind=start.kind,
        township=start.township,
        group=start.group,
        chain=start.chain,
        stage=Stage.discovery,
        assigned_officer=start.assigned_officer,
        assigned_officer_id=start.assigned_officer_id,
        school=start.school,
        opened_at=start.opened_at,
        provisional=start.provisional,
    )


def _step_update(spec: StepSpec) -> Any:
    """The update and validator of one declared step, typed by its input model (the SDK decodes
    the payload by the handler's annotation)."""
    model = INPUTS[spec.name]

    async def take(self: CaseWorkflow, step: StepInput) -> CaseState:
        return await self._take(spec, step)

    def validate(self: CaseWorkflow, step: StepInput) -> None:
        self._check(spec, step, signed=True)

    for function, returns in ((take, CaseState), (validate, None)):
        function.__name__ = function.__qualname__ = spec.name
        function.__annotations__ = {"step": model, "return": returns}
    update = workflow.update(name=spec.name)(take)
    update.validator(validate)
    return update


for _spec in STEPS.values():
    setattr(CaseWorkflow, _spec.name, _step_update(_spec))
workflow.defn(name="CaseWorkflow")(CaseWorkflow)
