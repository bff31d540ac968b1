"""The worker's runner gives an evicted case's memory back at once (workflows/eviction.py): on the
dev server, with a cache of one case and the collector off, each case the worker drops is freed by
reference counting alone (and quietly: a task freed then reports nothing), and a dropped case
replays and takes its next step as before."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from temporalio.worker import Worker, WorkflowInstance, WorkflowInstanceDetails

from domain.enums import CaseKind, Finding, Stage
from domain.steps import VisitInput
from tests.support.cases import OFFICER, act, context_for, open_for, register_test_officers
from workflows.case import CaseWorkflow
from workflows.eviction import ReleasedOnEviction, ReleasingRunner
from workflows.registry import ALL_WORKFLOWS, workflow_runner

QUEUE = "baoxue-test-eviction"
OPENED = 5


class RecordingRunner(ReleasingRunner):
    """The worker's runner, keeping a weak reference to every instance it makes."""

    def __init__(self) -> None:
        self.made: list[weakref.ref[WorkflowInstance]] = []

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        made = super().create_instance(det)
        assert isinstance(made, ReleasedOnEviction)
        self.made.append(weakref.ref(made.inner))
        return made


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def alive(runner: RecordingRunner) -> int:
    return sum(ref() is not None for ref in runner.made)


async def settled(runner: RecordingRunner, at_most: int) -> int:
    """Evictions finish after the task that caused them: wait for them, up to 5 s."""
    for _ in range(50):
        if alive(runner) <= at_most:
            break
        await asyncio.sleep(0.1)
    return alive(runner)


def test_the_worker_runs_the_releasing_runner_unsandboxed() -> None:
    assert isinstance(workflow_runner(sandboxed=False), ReleasingRunner)
    assert not isinstance(workflow_runner(), ReleasingRunner)


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
async def test_an_evicted_case_is_freed_without_a_collection(
    dev_env: Any, case_settings: Any, collector_off: None
) -> None:
    from worker import activities_for

    settings = case_settings.model_copy(update={"task_queue": QUEUE})
    built = activities_for(settings)
    runner = RecordingRunner()
    worker = Worker(
        dev_env.client,
        task_queue=QUEUE,
        workflows=ALL_WORKFLOWS,
        workflow_runner=runner,
        activities=built.activities,
        activity_executor=built.executor,
        max_cached_workflows=1,
    )
    ctx = context_for(settings)
    register_test_officers(ctx)
    try:
        async with worker:
            opened = [await open_for(ctx, CaseKind.dropout) for _ in range(OPENED)]
            assert len(runner.made) >= OPENED
            assert await settled(runner, 1) == 1, f"{alive(runner)} of {len(runner.made)} instances still held"

            first = dev_env.client.get_workflow_handle(opened[0].workflow_id)
            visit = VisitInput(actor=OFFICER, finding=Finding.confirmed, dropout_reason="厌学", note="入户")
            state = await act(first, CaseWorkflow.visit, visit)
            assert state.stage == Stage.return_plan
            assert len(runner.made) > OPENED, "the dropped case was not replayed"
            assert await settled(runner, 1) == 1
            assert gc.isenabled() is False
    finally:
        ctx.close()
        built.close()
