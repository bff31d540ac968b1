"""Starting, moving and ending an officer's digest workflow (docs/architecture.md, "Reminders
people can live with"): a new time starts the workflow afresh, `off` ends it."""

from __future__ import annotations

import contextlib

from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from domain.digest import DigestStart
from starter.context import Context
from workflows.digest import DigestWorkflow


def digest_workflow_id(officer_id: int) -> str:
    return f"digest-{officer_id}"


async def schedule_digest(ctx: Context, officer_id: int, at: str | None) -> None:
    client = await ctx.temporal()
    workflow_id = digest_workflow_id(officer_id)
    if at is None:
        with contextlib.suppress(RPCError):
            await client.get_workflow_handle(workflow_id).terminate(reason="digest turned off")
        return
    await client.start_workflow(
        DigestWorkflow.run,
        DigestStart(officer_id=officer_id, at=at),
        id=workflow_id,
        task_queue=ctx.settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.TERMINATE_EXISTING,
    )
