"""A child recorded without an ID number is identified (docs/cli.md, "Children with no papers").

The ID number reaches the server beside the officer's signed `identify` step and never goes into
the case's history. Where the same child already has a case of this kind in the campaign, the
server names it to the provisional case (a service-signed `MergeTarget`) before the step is sent:
the step then closes the provisional case as merged into it. Afterwards the ledger moves the case
to the ID's own student row, and the kept case hears of the merge (`MergeIn`: the number, the
township and how far the other had come), so both townships are told and one case carries on."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError

from domain.beijing import beijing_json
from domain.case import CaseState
from domain.id_number import birth_date_of
from domain.messages import t
from domain.parsing import parse_id_number
from domain.signing import MergeIn, MergeTarget
from domain.steps import StepInput
from ledger.cases import existing_case, identify_case, student_of
from ledger.models import Case
from starter.case_service import STEP_ANSWER_SECONDS, send_step
from starter.context import Context
from starter.errors import BadInput
from workflows.case import CaseWorkflow


async def identify_provisional(ctx: Context, case: Case, step: StepInput, id_text: str) -> dict[str, Any]:
    """The whole identification, the officer's signed step checked by the caller: the answer is
    the case's state after the step and what became of it (docs/cli.md, `case identify`)."""
    found = await asyncio.to_thread(identification, ctx, case, id_text)
    before = await state_before(ctx, case) if found.into is not None else None
    if found.into is not None:
        await send_merge_target(ctx, case, found.into)
    outcome = await send_step(ctx, case, getattr(CaseWorkflow, step.step), step)
    await asyncio.to_thread(record_identity, ctx, case, found)
    told = False
    if found.into is not None and before is not None:
        told = await tell_kept_case(ctx, found.into, before)
    answer = beijing_json(outcome.state.model_dump())
    answer.update(
        identified=case.case_no,
        merged_into=found.into.case_no if found.into else None,
        kept_case_no=found.into.case_no if found.into else case.case_no,
        kept_case_told=told,
        warnings=list(found.warnings),
    )
    if outcome.ledger_pending:
        answer["ledger_pending"] = True
    return answer


@dataclass(frozen=True)
class Identification:
    """What identifying a provisional case will do: the ID, the case it merges into (if any) and
    what the officer should hear about (a birth date that disagrees with the one recorded)."""

    id_number: str
    into: Case | None
    warnings: tuple[str, ...] = ()


def identification(ctx: Context, case: Case, id_text: str) -> Identification:
    """The ID checked against the case: it must be provisional, not merged away already."""
    id_number = parse_id_number(id_text)
    if not case.provisional or case.merged_into is not None:
        raise BadInput(t("not_provisional_case", case_no=case.case_no))
    cipher = ctx.cipher
    with ctx.sessions() as session:
        found = existing_case(session, cipher=cipher, campaign=case.campaign, kind=case.kind, id_number=id_number)
        student = student_of(session, case=case)
    if not student.provisional:
        raise BadInput(t("not_provisional_case", case_no=case.case_no))
    intake = cipher.decrypt_json(case.intake_enc, context=f"case:{case.id}:intake") if case.intake_enc else {}
    warnings = []
    recorded_birth = intake.get("birth_date")
    if recorded_birth and birth_date_of(id_number).isoformat() != recorded_birth:
        warnings.append(t("identify_birth_differs", recorded=recorded_birth, id_birth=birth_date_of(id_number)))
    into = found[0] if found is not None and found[0].id != case.id else None
    return Identification(id_number, into, tuple(warnings))


async def send_merge_target(ctx: Context, case: Case, into: Case) -> None:
    target = MergeTarget(
        case_id=str(case.id),
        issued_at=dt.datetime.now(dt.UTC),
        into_case_id=str(into.id),
        into_case_no=into.case_no,
        into_township=into.township,
    )
    client = await ctx.temporal()
    await client.get_workflow_handle(case.workflow_id).signal(
        CaseWorkflow.merge_target, target.signed_with(ctx.service_key)
    )


def record_identity(ctx: Context, case: Case, found: Identification) -> None:
    with ctx.sessions.begin() as session:
        identify_case(session, cipher=ctx.cipher, case=case, id_number=found.id_number, into=found.into)


async def state_before(ctx: Context, case: Case) -> CaseState:
    """The provisional case as it stands before the step (which the step's sequence number pins:
    had it moved, the step would be refused): the progress a merge hands on."""
    client = await ctx.temporal()
    return await asyncio.wait_for(client.get_workflow_handle(case.workflow_id).query(CaseWorkflow.current), timeout=10)


async def tell_kept_case(ctx: Context, into: Case, merged: CaseState) -> bool:
    """The kept case records the merge and takes on the other's progress (`merged`: the other case
    just before it closed); False when its run has ended (a closed, unwatched case): the ledger's
    link alone then shows both histories."""
    notice = MergeIn(
        case_id=str(into.id),
        issued_at=dt.datetime.now(dt.UTC),
        from_case_no=merged.case_no,
        from_township=merged.township,
        stage=merged.stage.value,
        arrangement=merged.arrangement.value if merged.arrangement else None,
        arrangement_until=merged.arrangement_until,
        sessions_per_month=merged.sessions_per_month,
        whereabouts_unknown=merged.whereabouts_unknown,
    )
    client = await ctx.temporal()
    try:
        await asyncio.wait_for(
            client.get_workflow_handle(into.workflow_id).execute_update(
                CaseWorkflow.merge_in, notice.signed_with(ctx.service_key)
            ),
            timeout=STEP_ANSWER_SECONDS,
        )
    except (RPCError, WorkflowUpdateFailedError, TimeoutError):
        return False
    return True
