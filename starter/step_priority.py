"""An officer's step ahead of the county's reminders in Temporal's task queue.

Through a deadline storm the case workflows' wakes can outrun the workers, and a queue backs up
(bench `mixed`: a step's workflow task waited up to seconds behind them). Temporal's task queues
dispatch by priority (1 first, 3 by default); a workflow task takes its workflow's priority. So
the server raises the case to 1 for the step's update: the step's task goes ahead of the wakes
queued before it. Each change is recorded in the case's history (`WorkflowExecutionOptionsUpdated`)
and costs a write to a history service the storm keeps busy, so the API server keeps a case
raised through its officer's working session — one raise for the steps taken on it back to back —
and its sweep puts the case back once no step has come for `idle_seconds`, and every raised case
when the server stops. A process without the sweep puts each case back after each step. A failure
to change the priority never holds the step up: it is sent at the priority the case has."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
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
LOWERING_AT_ONCE = 16
"""Cases the sweep puts back concurrently."""


class RaisedCases:
    """The cases this process has raised for its officers' steps and when each one's last step ended."""

    def __init__(self, *, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds
        self.sweeping = False
        """True while `sweep` runs: a case stays raised between steps; otherwise each step puts it back."""
        self._last_step: dict[str, float] = {}
        self._stepping: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._last_step)

    @contextlib.asynccontextmanager
    async def ahead(self, client: Client, workflow_id: str) -> AsyncIterator[None]:
        """Raise the case for the step unless it is raised already, and keep it raised while the
        sweep runs (else put it back)."""
        self._stepping[workflow_id] += 1
        try:
            if workflow_id not in self._last_step and await _prioritise(client, workflow_id, STEP_PRIORITY):
                self._last_step[workflow_id] = time.monotonic()
            yield
        finally:
            self._stepping[workflow_id] -= 1
            if not self._stepping[workflow_id]:
                del self._stepping[workflow_id]
            if workflow_id in self._last_step:
                self._last_step[workflow_id] = time.monotonic()
                if not self.sweeping and workflow_id not in self._stepping:
                    await self._lower([workflow_id], client)

    def idle(self, now: float | None = None) -> list[str]:
        """The raised cases with no step under way and none for `idle_seconds`."""
        cutoff = (time.monotonic() if now is None else now) - self.idle_seconds
        return [wid for wid, at in self._last_step.items() if at <= cutoff and wid not in self._stepping]

    async def lower_idle(self, client: Client) -> int:
        idle = self.idle()
        await self._lower(idle, client)
        return len(idle)

    async def lower_all(self, client: Client) -> int:
        raised = [wid for wid in self._last_step if wid not in self._stepping]
        await self._lower(raised, client)
        return len(raised)

    async def _lower(self, workflow_ids: list[str], client: Client) -> None:
        for wid in workflow_ids:
            self._last_step.pop(wid, None)
        for start in range(0, len(workflow_ids), LOWERING_AT_ONCE):
            part = workflow_ids[start : start + LOWERING_AT_ONCE]
            await asyncio.gather(*(_prioritise(client, wid, DEFAULT_PRIORITY) for wid in part))

    async def sweep(self, client: Client) -> None:
        """Put idle cases back, every half of `idle_seconds` (at most a minute) until cancelled;
        then every raised case."""
        self.sweeping = True
        try:
            while True:
                await asyncio.sleep(min(60.0, self.idle_seconds / 2))
                await self.lower_idle(client)
        finally:
            self.sweeping = False
            await asyncio.shield(self.lower_all(client))


async def _prioritise(client: Client, workflow_id: str, key: int) -> bool:
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
        return False
    return True
