"""An officer's step ahead of the county's reminders in Temporal's task queue.

Through a deadline storm the case workflows' wakes can outrun the workers, and a queue backs up
(bench `mixed`: a step's workflow task waited up to seconds behind them). Temporal's task queues
dispatch by priority (1 first, 3 by default); a workflow task takes its workflow's priority. So
the server raises the case to 1 for the step's update and puts it back after: the step's task goes
ahead of the wakes queued before it, and the case's own later wakes queue as before. Both changes
are recorded in the case's history (`WorkflowExecutionOptionsUpdated`). A failure to change the
priority never holds the step up: it is sent at the priority the case has."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import structlog
from google.protobuf.field_mask_pb2 import FieldMask
from temporalio.api.common.v1 import Priority, WorkflowExecution
from temporalio.api.workflow.v1 import WorkflowExecutionOptions
from temporalio.api.workflowservice.v1 import UpdateWorkflowExecutionOptionsRequest
from temporalio.client import Client
from temporalio.service import RPCError

log = structlog.get_logger("baoxue.step_priority")

STEP_PRIORITY = 1
DEFAULT_PRIORITY = 0
"""Unset: the task queue's default (3)."""
PRIORITY_SECONDS = 2.0


@contextlib.asynccontextmanager
async def ahead_of_the_queue(client: Client, workflow_id: str, *, enabled: bool) -> AsyncIterator[None]:
    if not enabled:
        yield
        return
    await _prioritise(client, workflow_id, STEP_PRIORITY)
    try:
        yield
    finally:
        await _prioritise(client, workflow_id, DEFAULT_PRIORITY)


async def _prioritise(client: Client, workflow_id: str, key: int) -> None:
    request = UpdateWorkflowExecutionOptionsRequest(
        namespace=client.namespace,
        workflow_execution=WorkflowExecution(workflow_id=workflow_id),
        workflow_execution_options=WorkflowExecutionOptions(priority=Priority(priority_key=key)),
        update_mask=FieldMask(paths=["priority"]),
        identity=client.identity,
    )
    try:
        await asyncio.wait_for(client.workflow_service.update_workflow_execution_options(request), PRIORITY_SECONDS)
    except (RPCError, TimeoutError) as error:
        log.info("step_priority_unchanged", workflow_id=workflow_id, priority=key, error=type(error).__name__)
