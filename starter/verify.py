"""`baoxue verify [--repair]`: every case's workflow against its ledger row and events.

Temporal decides what happens next, the ledger records what happened; they must agree. A
difference is listed, never fixed silently: `--repair` re-projects the events a lagging ledger
missed (from the workflow's own timeline) and restarts a case whose workflow was terminated,
failed or lost, from the ledger's state (same workflow id; never after a completed run), which
the case records as an event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from temporalio.api.enums.v1 import WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from activities.ledger import write_projection
from domain.actors import Actor, Chain
from domain.case import CaseStart, CaseState, Projection
from domain.enums import CaseKind, Outcome, Stage
from ledger.cases import CaseFilter, list_cases
from ledger.models import Case
from starter.case_service import calendar_for, officer_snapshot, resolve_campaign
from starter.context import Context
from workflows.case import CaseWorkflow

ENDED = {
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
    """ledger_behind, workflow_ended, workflow_missing, completed_but_open"""
    detail: str
    repaired: bool = False


async def verify_cases(
    ctx: Context, *, repair: bool, actor: Actor, only: list[str] | None = None
) -> tuple[int, list[Difference]]:
    """(cases checked, differences); `only` limits the check to these case numbers."""
    with ctx.sessions() as session:
        cases = list_cases(session, where=CaseFilter())
    if only:
        cases = [case for case in cases if case.case_no in only or case.workflow_id in only]
    found: list[Difference] = []
    for case in cases:
        found.extend(await _verify_one(ctx, case, repair=repair, actor=actor))
    return len(cases), found


async def _verify_one(ctx: Context, case: Case, *, repair: bool, actor: Actor) -> list[Difference]:
    client = await ctx.temporal()
    handle = client.get_workflow_handle(case.workflow_id)
    is_open = case.stage != Stage.closed.value
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
    state = await handle.query(CaseWorkflow.current)
    differences = []
    if state.last_seq > case.last_seq:
        difference = Difference(
            case.case_no, case.workflow_id, "ledger_behind", f"ledger {case.last_seq}, case {state.last_seq}"
        )
        if repair:
            difference.repaired = await _reproject(ctx, handle, case, state)
        differences.append(difference)
    elif state.stage == Stage.closed and is_open:
        differences.append(Difference(case.case_no, case.workflow_id, "completed_but_open", state.stage.value))
    return differences


async def _reproject(ctx: Context, handle: Any, case: Case, state: CaseState) -> bool:
    """The events the ledger missed, from the case's own timeline, in order (idempotent)."""
    for event in await handle.query(CaseWorkflow.timeline):
        if event.seq > case.last_seq:
            key = f"{state.case_id}:{event.type.value}:{event.seq}"
            write_projection(ctx.sessions, Projection(business_key=key, event=event, state=state), ctx.cipher)
    return True


async def _restart(ctx: Context, case: Case, *, reason: str, actor: Actor) -> bool:
    """A new run of the same workflow id, from the ledger's state; allowed only after a run that
    did not complete (terminated, failed, timed out, cancelled) or none at all."""
    campaign = resolve_campaign(ctx, case.campaign)
    chain = Chain.model_validate({**(case.chain or {}), "roster_version": case.roster_version})
    resume = CaseState(
        case_id=str(case.id),
        case_no=case.case_no,
        workflow_id=case.workflow_id,
        campaign=case.campaign,
        kind=CaseKind(case.kind),
        township=case.township,
        group=case.group_no,
        chain=chain,
        stage=Stage(case.stage) if case.stage != Stage.discovery.value else Stage.home_visit,
        assigned_officer=case.assigned_officer,
        opened_at=case.opened_at,
        outcome=Outcome(case.outcome) if case.outcome else None,
        confirmed_by=case.confirmed_by,
        missed_deadline=case.missed_deadline,
        last_seq=case.last_seq,
    )
    with ctx.sessions() as session:
        officers = officer_snapshot(session, township=case.township, chain=chain)
    start = CaseStart(
        case_id=str(case.id),
        case_no=case.case_no,
        campaign=campaign.name,
        kind=CaseKind(case.kind),
        township=case.township,
        group=case.group_no,
        chain=chain,
        opened_by=actor,
        assigned_officer=case.assigned_officer,
        opened_at=case.opened_at,
        officers=officers,
        stage_durations=campaign.durations_for(CaseKind(case.kind)),
        calendar=campaign.calendar,
        work_calendar=calendar_for(campaign, dt.datetime.now(dt.UTC)),
        clearance_deadline=campaign.clearance_deadline,
        escalation=campaign.escalation,
        service_key=ctx.service_public_key,
        resume=resume,
        resume_reason=reason,
    )
    client = await ctx.temporal()
    await client.start_workflow(
        CaseWorkflow.run,
        start,
        id=case.workflow_id,
        task_queue=ctx.settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )
    return True


def as_json(difference: Difference) -> dict[str, Any]:
    return asdict(difference)
