"""The engine floor for intake (issue 15): a workflow that runs one activity inserting one row into
PostgreSQL and answers one update once it has — what opening a case costs the engine, nothing of
baoxue's. Kept apart from its activity: the workflow sandbox imports this module again."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

INSERT_ACTIVITY = "bench_floor_insert"


@workflow.defn(name="BenchFloor")
class FloorWorkflow:
    def __init__(self) -> None:
        self._inserted = False
        self._answered = False

    @workflow.run
    async def run(self, n: int) -> None:
        await workflow.execute_activity(INSERT_ACTIVITY, n, start_to_close_timeout=timedelta(seconds=30))
        self._inserted = True
        await workflow.wait_condition(lambda: self._answered)

    @workflow.update
    async def synced(self) -> bool:
        await workflow.wait_condition(lambda: self._inserted)
        self._answered = True
        return True
