"""`baoxue verify [--repair]`: every case's workflow against its ledger row and events.

Temporal decides what happens next, the ledger records what happened; they must agree. A
difference is listed, never fixed silently: `--repair` re-projects the events a lagging ledger
missed (from the workflow's own timeline) and restarts a case whose workflow was terminated,
failed or lost, from the ledger's state (same workflow id; never after a completed run), which
the case records as an event.

The ledger is written while the workflow takes a step, before Temporal has committed it; a step
whose workflow task then failed stands in the ledger although the case never took it
(`ledger_ahead`, or `workflow_task_failing`). Repair ends that run and starts one from the state
the workflow had committed (its history replayed without the failed task), its `restored` event
listing the ledger events it withdraws; the ledger keeps them (it is append-only) and numbers on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.client import WorkflowQueryFailedError, WorkflowQueryRejectedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from domain.actors import Actor
from domain.case import CaseState, Projection
from domain.enums import Stage
from ledger.cases import CaseFilter, list_cases
from ledger.models import Case
from ledger.projection import write_projection
from starter.case_service import ledger_caught_up, restart_from_ledger
from starter.context import Context
from workflows.case import CaseWorkflow

QUERY_TIMEOUT = dt.timedelta(seconds=10)
"""How long a case's workflow has to answer `verify` before it is listed as not answering."""
ENDED: dict[int, str] = {
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED: "terminated",
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED: "failed",
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT: "timed_out",
    WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED: "canceled",
}


@dataclass
class Difference:
    case_no: str
    workflow_id: str
    problem: str
    """ledger_behind, ledger_ahead, workflow_ended, workflow_missing, completed_but_open,
    workflow_task_failing"""
    detail: str
    repaired: bool = False


async def verify_cases(
    ctx: Context, *, repair: bool, actor: Actor, only: list[str] | None = None
) -> tuple[int, list[Difference]]:
    """(cases checked, differences); `only` limits the check to these case numbers."""

    def every_case() -> list[Case]:
        with ctx.sessions() as session:
            return list_cases(session, where=CaseFilter())

    cases = await asyncio.to_thread(every_case)
    if only:
        cases = [case for case in cases if case.case_no in only or case.workflow_id in only]
    found: list[Difference] = []
    for case in cases:
        try:
            found.extend(await _verify_one(ctx, case, repair=repair, actor=actor))
        except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError, TimeoutError) as error:
            found.append(await _unanswered(ctx, case, error, repair=repair, actor=actor))
    return len(cases), found


async def _unanswered(ctx: Context, case: Case, error: Exception, *, repair: bool, actor: Actor) -> Difference:
    """A case whose workflow cannot answer (its workflow task keeps failing, or Temporal refuses
    the query): listed with Temporal's cause, and the rest of the county still checked. Repaired by
    a new run from the ledger's state (its last good state), recorded as `restored`."""
    cause = " ".join(str(getattr(error, "message", "") or error or type(error).__name__).split())[:300]
    difference = Difference(case.case_no, case.workflow_id, "workflow_task_failing", cause)
    if repair:
        client = await ctx.temporal()
        handle = client.get_workflow_handle(case.workflow_id)
        try:
            await handle.terminate(reason="verify --repair: workflow task failing")
        except RPCError as refused:
            difference.detail += f" (repair: {refused.message})"
            return difference
        committed = await _committed_state(handle)
        difference.repaired = await _restart(ctx, case, reason="task_failing", actor=actor, committed=committed)
    return difference


async def _committed_state(handle: Any) -> CaseState | None:
    """What an ended run had committed: its history replayed by a worker (a failed workflow task
    is not in it); None when even that cannot be answered (the ledger's state is used)."""
    try:
        return await handle.query(CaseWorkflow.current, rpc_timeout=QUERY_TIMEOUT)
    except (RPCError, WorkflowQueryFailedError, WorkflowQueryRejectedError, TimeoutError):
        return None


async def _verify_one(ctx: Context, case: Case, *, repair: bool, actor: Actor) -> list[Difference]:
    client = await ctx.temporal()
    handle = client.get_workflow_handle(case.workflow_id)
    is_open = case.stage != Stage.closed.value or case.next_check_at is not None  # open, or watched
    try:
        status = (await handle.describe()).status
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND:
            raise
        if not is_open:
            return []  # a closed case past Temporal's retention: the ledger is the record
        difference = Difference(case.case_no, case.workflow_id, "workflow_missing", "")
        if repair:
            difference.repaired = await _restart(ctx, case, reason="missing", actor=actor)
        return [difference]
    if status in ENDED:
        if not is_open:
            return []
        difference = Difference(case.case_no, case.workflow_id, "workflow_ended", ENDED[status])
        if repair:
            difference.repaired = await _restart(ctx, case, reason=ENDED[status], actor=actor)
        return [difference]
    state = await handle.query(CaseWorkflow.current, rpc_timeout=QUERY_TIMEOUT)
    differences = []
    if state.last_seq > case.last_seq:
        difference = Difference(
            case.case_no, case.workflow_id, "ledger_behind", f"ledger {case.last_seq}, case {state.last_seq}"
        )
        if repair:
            difference.repaired = await _reproject(ctx, handle, case, state)
        differences.append(difference)
    elif state.last_seq < case.last_seq:
        difference = Difference(
            case.case_no, case.workflow_id, "ledger_ahead", f"ledger {case.last_seq}, case {state.last_seq}"
        )
        if repair:
            await handle.terminate(reason="verify --repair: the ledger holds steps the case never committed")
            difference.repaired = await _restart(ctx, case, reason="ledger_ahead", actor=actor, committed=state)
        differences.append(difference)
    elif state.stage == Stage.closed and case.stage != Stage.closed.value:
        differences.append(Difference(case.case_no, case.workflow_id, "completed_but_open", state.stage.value))
    return differences


async def _reproject(ctx: Context, handle: Any, case: Case, state: CaseState) -> bool:
    """The events the ledger missed, from the case's own timeline, in order (idempotent)."""
    for event in await handle.query(CaseWorkflow.timeline):
        if event.seq > case.last_seq:
            key = f"{state.case_id}:{event.type}:{event.seq}"
            projection = Projection(business_key=key, event=event, state=state)
            await asyncio.to_thread(write_projection, ctx.sessions, projection, ctx.cipher)
    return True


async def _restart(ctx: Context, case: Case, *, reason: str, actor: Actor, committed: CaseState | None = None) -> bool:
    """A new run of the same workflow id, from the ledger's state (or what the ended run had
    committed, when the ledger holds more); allowed only after a run that did not complete
    (terminated, failed, timed out, cancelled) or none at all. Answered once the new run's
    `restored` event is in the ledger (bounded), so a `verify` right after a repair finds it."""
    await restart_from_ledger(
        ctx,
        case,
        actor=actor,
        reuse=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        committed=committed,
        resume_reason=reason,
    )
    await ledger_caught_up(ctx, case)
    return True


def as_json(difference: Difference) -> dict[str, Any]:
    return asdict(difference)
