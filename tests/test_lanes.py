"""An officer's step runs on threads of its own (activities/lanes.py): with every activity thread
busy on a storm's deliveries, a step's projection still runs at once; and on the dev server the
SDK's submissions of a case's projections reach that lane."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import wait
from typing import Any

from temporalio import activity
from temporalio.worker import Worker

from activities.lanes import STEP_ACTIVITIES, LanedExecutor, activity_type
from domain.enums import CaseKind, Finding, Stage
from domain.steps import VisitInput
from tests.support.cases import OFFICER, act, context_for, open_for, register_test_officers
from workflows.case import CaseWorkflow
from workflows.registry import ALL_WORKFLOWS, workflow_runner

QUEUE = "baoxue-test-lanes"


def info(kind: str) -> activity.Info:
    """An activity's Info as the SDK passes it; only its type matters here."""
    fields = {field.name: None for field in dataclasses.fields(activity.Info)}
    return activity.Info(**{**fields, "activity_type": kind, "is_local": True})


def run_as_sdk(_wrapper: object, _info: activity.Info, work: Any) -> Any:
    """Called as the SDK calls the executor: (context.run,) its wrapper, the Info, … the activity."""
    return work()


def test_a_step_runs_while_every_thread_delivers() -> None:
    lanes = LanedExecutor(2, fast=STEP_ACTIVITIES, fast_workers=1, thread_name_prefix="test-lanes")
    release = threading.Event()
    try:
        storm = [lanes.submit(run_as_sdk, None, info("project_and_deliver"), release.wait) for _ in range(5)]
        queued = lanes.submit(run_as_sdk, None, info("deliver_escalation"), threading.current_thread)
        step = lanes.submit(run_as_sdk, None, info("project_case"), threading.current_thread)
        assert step.result(timeout=5).name.startswith("test-lanes-step")
        assert not queued.done() and not any(f.done() for f in storm)
        assert lanes.fast_taken == 1
    finally:
        release.set()
        wait(storm, timeout=5)
        lanes.shutdown()
    assert queued.result().name.startswith("test-lanes_")


def test_a_submission_without_an_activity_takes_the_common_lane() -> None:
    assert activity_type((print, "project_case")) is None
    assert activity_type((print, run_as_sdk, info("project_case"))) == "project_case"


async def test_the_sdk_hands_a_case_s_projections_to_the_step_lane(dev_env: Any, case_settings: Any) -> None:
    from worker import activities_for

    settings = case_settings.model_copy(update={"task_queue": QUEUE})
    built = activities_for(settings)
    assert isinstance(built.executor, LanedExecutor)
    worker = Worker(
        dev_env.client,
        task_queue=QUEUE,
        workflows=ALL_WORKFLOWS,
        workflow_runner=workflow_runner(),
        activities=built.activities,
        activity_executor=built.executor,
    )
    ctx = context_for(settings)
    register_test_officers(ctx)
    try:
        async with worker:
            opened = await open_for(ctx, CaseKind.dropout)
            taken = built.executor.fast_taken
            assert taken >= 1, "the opening's projection did not reach the step lane"
            visit = VisitInput(actor=OFFICER, finding=Finding.confirmed, dropout_reason="厌学", note="入户")
            state = await act(dev_env.client.get_workflow_handle(opened.workflow_id), CaseWorkflow.visit, visit)
            assert state.stage == Stage.return_plan
            assert built.executor.fast_taken > taken, "the step's projection did not reach the step lane"
    finally:
        ctx.close()
        built.close()
