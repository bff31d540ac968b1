"""An officer's step goes ahead of queued workflow tasks (starter/step_priority.py): on the dev
server, with a backlog of other workflows' tasks and no worker polling, a step's update raised to
priority 1 is the first task the next worker takes; a step through the API records the raise and
the return to the default around its update in the case's history; and where the server's sweep
runs, a case stays raised through an officer's steps and is put back once idle."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from starter.step_priority import RaisedCases
from tests.support.api import InProcessApi, open_case
from tests.support.cases import OFFICER, context_for, register_test_officers

BACKLOG = 40
STEPPED = 5
TAKEN: list[str] = []
"""The workflows whose tasks the worker took, in its order (the workflow runs unsandboxed)."""


@workflow.defn(sandboxed=False)
class Queued:
    def __init__(self) -> None:
        self.poked = 0

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: self.poked > 1)

    @workflow.signal
    def poke(self) -> None:
        TAKEN.append(workflow.info().workflow_id)
        self.poked += 1

    @workflow.update
    def step(self) -> int:
        TAKEN.append(workflow.info().workflow_id)
        self.poked += 1
        return self.poked


def _worker(env: WorkflowEnvironment, queue: str) -> Worker:
    return Worker(
        env.client,
        task_queue=queue,
        workflows=[Queued],
        workflow_runner=UnsandboxedWorkflowRunner(),
        max_cached_workflows=0,  # no sticky queue: every task waits in the one shared queue
        max_concurrent_workflow_tasks=1,
    )


async def test_raised_steps_are_the_first_tasks_a_worker_takes_from_a_backlog(dev_env: WorkflowEnvironment) -> None:
    queue = f"priority-{uuid.uuid4().hex[:8]}"
    ids = [f"{queue}-{i}" for i in range(BACKLOG + STEPPED)]
    async with _worker(dev_env, queue):
        handles = [
            await dev_env.client.start_workflow(Queued.run, id=i, task_queue=queue, run_timeout=timedelta(minutes=2))
            for i in ids
        ]
        for handle in handles:  # every start's task taken before the worker goes
            while (await handle.describe()).raw_description.HasField("pending_workflow_task"):
                await asyncio.sleep(0.1)
    backlog, stepped = handles[:BACKLOG], handles[BACKLOG:]
    for handle in backlog:
        await handle.signal(Queued.poke)  # the backlog: tasks queued, nobody polling
    TAKEN.clear()

    async def step(handle: Any) -> Any:
        async with RaisedCases(idle_seconds=300).ahead(dev_env.client, handle.id):
            accepted = await handle.start_update(Queued.step, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            return await accepted.result()

    stepping = [asyncio.create_task(step(handle)) for handle in stepped]
    await asyncio.sleep(1.0)  # the updates' tasks queued behind the backlog
    async with _worker(dev_env, queue):
        assert await asyncio.wait_for(asyncio.gather(*stepping), 30) == [1] * STEPPED
        while len(TAKEN) < BACKLOG + STEPPED:
            await asyncio.sleep(0.1)
    # "Close to priority order" (Temporal's word): now and then one comes a dozen tasks late. At the
    # default priority the steps' tasks came anywhere in the backlog (on average ~20th of 45).
    places = [TAKEN.index(handle.id) for handle in stepped]
    assert sum(places) / STEPPED < 10, places


OPTIONS = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_OPTIONS_UPDATED
ACCEPTED = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED


async def _raises_and_steps(ctx: Any, workflow_id: str) -> list[tuple[int, int]]:
    """The case's accepted updates and priority changes, in order, with each change's priority."""
    history = await (await ctx.temporal()).get_workflow_handle(workflow_id).fetch_history()
    return [
        (event.event_type, event.workflow_execution_options_updated_event_attributes.priority.priority_key)
        for event in history.events
        if event.event_type in (OPTIONS, ACCEPTED)
    ]


async def test_a_step_through_the_api_raises_its_case_and_puts_it_back(case_settings: Any, case_worker: None) -> None:
    ctx = context_for(case_settings.model_copy(update={"step_priority": True}))
    register_test_officers(ctx)
    api = InProcessApi(ctx)
    try:
        case_no, _ = await open_case(api)
        answer = await api.step(OFFICER, case_no, "note", {"text": "电话联系家长"})
        assert answer.status_code == 200, answer.text
        workflow_id = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()["workflow_id"]
        around = await _raises_and_steps(ctx, workflow_id)
    finally:
        await api.close()
        ctx.close()
    assert around == [(ACCEPTED, 0), (OPTIONS, 1), (ACCEPTED, 0), (OPTIONS, 0)]  # the opening, then the step


async def test_with_the_sweep_a_case_stays_raised_through_its_steps_and_is_put_back_when_idle(
    case_settings: Any, case_worker: None
) -> None:
    ctx = context_for(case_settings.model_copy(update={"step_priority": True, "step_priority_idle_seconds": 1.0}))
    register_test_officers(ctx)
    api = InProcessApi(ctx)
    sweep = asyncio.create_task(ctx.raised_cases.sweep(await ctx.temporal()))
    try:
        case_no, _ = await open_case(api)
        for text in ("电话联系家长", "家长同意面谈", "约定周三家访"):
            answer = await api.step(OFFICER, case_no, "note", {"text": text})
            assert answer.status_code == 200, answer.text
        workflow_id = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()["workflow_id"]
        assert await _raises_and_steps(ctx, workflow_id) == [(ACCEPTED, 0), (OPTIONS, 1), *[(ACCEPTED, 0)] * 3]
        assert len(ctx.raised_cases) == 1
        for _ in range(50):  # idle for 1 s, then the next sweep (every 0.5 s) puts it back
            if not len(ctx.raised_cases):
                break
            await asyncio.sleep(0.1)
        assert await _raises_and_steps(ctx, workflow_id) == [
            (ACCEPTED, 0), (OPTIONS, 1), *[(ACCEPTED, 0)] * 3, (OPTIONS, 0)
        ]  # fmt: skip
        answer = await api.step(OFFICER, case_no, "note", {"text": "家访完成"})
        assert answer.status_code == 200, answer.text
        sweep.cancel()  # the server stopping: every case still raised is put back
        with contextlib.suppress(asyncio.CancelledError):
            await sweep
        after = await _raises_and_steps(ctx, workflow_id)
    finally:
        sweep.cancel()
        await api.close()
        ctx.close()
    assert after[-3:] == [(OPTIONS, 1), (ACCEPTED, 0), (OPTIONS, 0)]
    assert not len(ctx.raised_cases)
