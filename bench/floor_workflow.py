"""The engine floors (issue 29), workflows of the same shape as baoxue's own and nothing of its
rules. Kept apart from their activities: the workflow sandbox imports this module again.

- `FloorWorkflow` (intake): started by update-with-start, one local activity writes one row into
  the same PostgreSQL, the update answers once it has — what opening a case asks of the engine.
- `StormFloorWorkflow` (storm): asleep until one moment, then one local activity writes one row
  and hands one message to the same `json://` sink — what a reminder at a deadline asks of it."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

INSERT_ACTIVITY = "bench_floor_insert"
REMIND_ACTIVITY = "bench_floor_remind"


@workflow.defn(name="BenchFloor")
class FloorWorkflow:
    def __init__(self) -> None:
        self._inserted = False
        self._answered = False

    @workflow.run
    async def run(self, n: int) -> None:
        await workflow.execute_local_activity(INSERT_ACTIVITY, n, start_to_close_timeout=timedelta(seconds=30))
        self._inserted = True
        await workflow.wait_condition(lambda: self._answered)

    @workflow.update
    async def synced(self) -> bool:
        await workflow.wait_condition(lambda: self._inserted)
        self._answered = True
        return True


@workflow.defn(name="BenchStormFloor")
class StormFloorWorkflow:
    @workflow.run
    async def run(self, n: int, wake_at: datetime) -> None:
        wait = wake_at - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait)
        await workflow.execute_local_activity(REMIND_ACTIVITY, n, start_to_close_timeout=timedelta(minutes=2))
