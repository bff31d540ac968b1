"""A campaign's re-checks as one durable workflow (`recheck-<campaign>`): on each date the
townships are asked for a fresh attendance register; if none is imported by the due time, the
ladder climbs as for a late step — level 0 the townships and the administrators, level 1 the
section chiefs, level 2 the group leaders — until one is (docs/architecture.md, "Re-checks")."""

from __future__ import annotations

from datetime import timedelta
from typing import TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from domain.rechecks import NOTICE, LateSchools, RecheckDue, RecheckNotice, RecheckStart

T = TypeVar("T")
REMIND_ACTIVITY = "recheck_remind"
IMPORTED_ACTIVITY = "attendance_imported_since"
LATE_SCHOOLS_ACTIVITY = "late_schools"
UNCHECKED_SCHOOLS_ACTIVITY = "unchecked_schools"
SCHOOL_LADDERS = "school-reports-1"
"""Runs from before schools were listed asked only whether any attendance list came."""
STALE = timedelta(days=1)
"""A rung more than a day past when the workflow reaches it (it started late) is skipped: a
server started mid-campaign must not send every earlier month's reminders at once."""
RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10))
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
    maximum_attempts=8,
)
"""As a case's reminders: a webhook down for good leaves the rows failed in the outbox, the ladder goes on."""


@workflow.defn(name="RecheckWorkflow")
class RecheckWorkflow:
    @workflow.run
    async def run(self, start: RecheckStart) -> int:
        """The number of re-checks that escalated (no register by their due time)."""
        escalated = 0
        for due in start.dues:
            escalated += await self._recheck(start, due)
        return escalated

    async def _recheck(self, start: RecheckStart, due: RecheckDue) -> int:
        policy = start.escalation
        rungs = (
            (NOTICE, due.at),
            (0, due.due),
            (1, due.due + policy.level1_after),
            (2, due.due + policy.level2_after),
        )
        climbed = 0
        for level, when in rungs:
            wait = when - workflow.now()
            if wait > timedelta(0):
                await workflow.sleep(wait)
            elif -wait > STALE:
                continue
            schools: tuple[str, ...] = ()
            if due.of == "schools":
                unchecked = await self._schools(UNCHECKED_SCHOOLS_ACTIVITY, start, due)
                if not unchecked.listed or not unchecked.late:
                    break
                schools = unchecked.late
            elif level != NOTICE:
                found = await self._late_schools(start, due)
                if found is not None and not found.late:
                    break
                if found is None and await self._imported(start, due):
                    break
                schools = found.late if found is not None else ()
            notice = RecheckNotice(
                campaign=start.campaign,
                name=due.name,
                at=due.at,
                due=due.due,
                level=level,
                schools=schools,
                ladders=start.ladders if schools else (),
                of=due.of,
            )
            try:
                await workflow.execute_activity(
                    REMIND_ACTIVITY, notice, start_to_close_timeout=timedelta(minutes=2), retry_policy=DELIVERY_RETRY
                )
            except ActivityError:
                workflow.logger.warning("recheck reminder not delivered: %s level %s", due.name, level)
            climbed = max(climbed, 1 if level != NOTICE else 0)
        return climbed

    async def _late_schools(self, start: RecheckStart, due: RecheckDue) -> LateSchools | None:
        """The listed schools not reported this month; None where no school is listed (or the run
        predates school ladders): then any attendance list ends the re-check."""
        if not workflow.patched(SCHOOL_LADDERS):
            return None
        found = await self._schools(LATE_SCHOOLS_ACTIVITY, start, due)
        return found if found.listed else None

    async def _schools(self, activity: str, start: RecheckStart, due: RecheckDue) -> LateSchools:
        return await self._ask(activity, start, due, LateSchools)

    async def _ask(self, activity: str, start: RecheckStart, due: RecheckDue, answer: type[T]) -> T:
        """One of the ledger's answers about a re-check (the campaign and the re-check's date)."""
        return await workflow.execute_activity(
            activity,
            args=[start.campaign, due.at],
            result_type=answer,
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RETRY,
        )

    async def _imported(self, start: RecheckStart, due: RecheckDue) -> bool:
        return await self._ask(IMPORTED_ACTIVITY, start, due, bool)
