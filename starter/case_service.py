"""Opening cases and sending officer steps: the CLI's bridge to the ledger and the workflows."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
    WorkflowUpdateStage,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from config.holidays import unknown_years, work_calendar
from domain.actors import Actor, Chain
from domain.beijing import BEIJING
from domain.campaign import CampaignSpec
from domain.case import CASE_GENERATION, SESSION_MONTH, CaseStart, CaseState, ExclusionCheck, PendingTransfer, Watch
from domain.discovery import RowRef
from domain.enums import CHAIN_ROLES, CaseKind, Outcome, Role, Stage
from domain.errors import render
from domain.labels import label
from domain.messages import current_lang, t
from domain.registers import PriorityCategory
from domain.roster import TownshipChain
from domain.rules import may_act
from domain.signing import ChainUpdate, OfficerKey, RegistryUpdate, registry_key
from domain.steps import StepInput
from domain.work_calendar import WorkCalendar
from ledger.campaigns import add_missing_campaigns, current_campaign, get_campaign
from ledger.cases import CaseFilter, Reservation, find_case, list_cases, reserve_case
from ledger.models import Case, Officer
from ledger.officers import chain_officer_ids, default_case_officer, officers_for_case
from ledger.registers import link_sources, priority_groups
from starter.context import Context
from starter.errors import BadInput, CliError, NotFound, Refused
from starter.shipped_campaigns import Shipped
from workflows.case import RULE_ERROR_TYPE, CaseWorkflow
from workflows.search_attributes import (
    CASE_CAMPAIGN,
    CASE_GROUP,
    CASE_KIND,
    CASE_STAGE,
    CASE_TOWNSHIP,
    STAGE_DUE_AT,
)


def resolve_campaign(ctx: Context, name: str | None) -> CampaignSpec:
    """The named campaign, or the current one; the shipped campaign files are added on first use
    (starter/shipped_campaigns.py). A name the ledger does not know is looked up once more with
    them added whatever was done before: a ledger restored under a running server may lack them."""
    shipped = ctx.shipped_campaigns
    spec = _campaign_now(ctx, name, shipped.pending())
    if spec is None and name:
        spec = _campaign_now(ctx, name, shipped.current())
    if spec is None:
        raise BadInput(t("unknown_campaign", name=name) if name else t("no_campaign"))
    return spec


def _campaign_now(ctx: Context, name: str | None, adding: Shipped | None) -> CampaignSpec | None:
    with ctx.sessions.begin() as session:
        if adding is not None:
            add_missing_campaigns(session, specs=adding.specs)
        spec = get_campaign(session, name=name) if name else current_campaign(session, now=dt.datetime.now(dt.UTC))
    if adding is not None:
        ctx.shipped_campaigns.added(adding)
    return spec


def campaign_of(ctx: Context, case: Case) -> CampaignSpec:
    """A case's own campaign, from the ledger alone (it exists: the case was opened in it): one
    query, without `resolve_campaign`'s reading of the shipped files, for per-request checks."""
    with ctx.sessions() as session:
        return campaign_in(session, case)


def campaign_in(session: Session, case: Case) -> CampaignSpec:
    spec = get_campaign(session, name=case.campaign)
    if spec is None:
        raise BadInput(t("unknown_campaign", name=case.campaign))
    return spec


def calendar_for(campaign: CampaignSpec, now: dt.datetime) -> WorkCalendar | None:
    """The holidays a case of this campaign may meet: from the reference date (or today) to
    well past the clearance deadline."""
    if campaign.calendar != "workdays":
        return None
    first = min(campaign.reference_date, now.date())
    last = max(campaign.clearance_deadline.date(), now.date()) + dt.timedelta(days=120)
    return work_calendar(first, last, carried_years(campaign))


def carried_years(campaign: CampaignSpec) -> tuple[tuple[int, tuple[dt.date, ...], tuple[dt.date, ...]], ...]:
    return tuple(sorted((year, a.off, a.work) for year, a in campaign.holidays.items()))


def calendar_note(campaign: CampaignSpec) -> str | None:
    """One line when a working-days campaign spans a year whose holidays nobody knows (the
    package's or its own `holidays:`): the dates counted as weekdays only."""
    if campaign.calendar != "workdays":
        return None
    first, last = campaign.reference_date, campaign.clearance_deadline.astimezone(BEIJING).date()
    missing = unknown_years(first, last, tuple(campaign.holidays))
    if not missing:
        return None
    start, end = max(first, dt.date(missing[0], 1, 1)), min(last, dt.date(missing[-1], 12, 31))
    years = "、".join(str(year) for year in missing)
    return t("calendar_unknown", years=years, first=start.isoformat(), last=end.isoformat(), campaign=campaign.name)


@dataclass(frozen=True)
class OpenRequest:
    kind: CaseKind
    id_number: str
    name: str
    township: str
    campaign: str | None
    intake: dict[str, Any]
    reason: str | None = None
    """Why discovery raised the child (domain.discovery.Reason), or `absence` (a school's report);
    None when opened by hand."""
    first_due_at: dt.datetime | None = None
    """The opening stage's due time when it is not the campaign's (an absence: the same working day)."""
    school: str | None = None
    """The pupil's school — the one that reported them absent, or their 学籍 row's: its officers
    see the case and may report the pupil back."""
    provisional: bool = False
    """No ID number yet: `id_number` is the provisional key's text (ledger.cases.provisional_key_text)."""
    sources: tuple[RowRef, ...] = ()
    """The register rows discovery raised the child from: linked to the case as it is reserved."""


@dataclass(frozen=True)
class OpenResult:
    case_id: str
    case_no: str
    workflow_id: str
    created: bool


@dataclass(frozen=True)
class Opener:
    """What every case of one campaign is opened with: resolved once for a batch (discovery)."""

    campaign: CampaignSpec
    calendar: WorkCalendar | None
    client: Client


async def prepare_opener(ctx: Context, campaign: str | None) -> Opener:
    spec = await asyncio.to_thread(resolve_campaign, ctx, campaign)
    return Opener(spec, calendar_for(spec, dt.datetime.now(dt.UTC)), await ctx.temporal())


async def open_case(
    ctx: Context,
    actor: Actor,
    request: OpenRequest,
    opener: Opener | None = None,
    *,
    reported: bool = False,
    reserved: Reserved | None = None,
) -> OpenResult:
    """Open the child's case (or find it). `reported`: a school officer's absence report, whose
    own rule (their school's township) the caller has checked; the case goes to the township.
    `reserved`: its ledger side, taken already (`reserve_many`)."""
    chain = _permitted_chain(ctx, actor, request, reported=reported)
    opener = opener or await prepare_opener(ctx, request.campaign)
    if reserved is None:
        reserved = await asyncio.to_thread(_reserve, ctx, actor, request, opener.campaign.name, chain)
    case = reserved.reservation.case
    start = case_start(
        ctx,
        case,
        opener.campaign,
        chain=reserved.chain,
        opened_by=actor,
        assigned_officer=reserved.assigned,
        officers=reserved.officers,
        work_calendar=opener.calendar,
        **({"first_due_at": request.first_due_at} if request.first_due_at else {}),
    )
    if case.stage == Stage.discovery.value:
        await _start_and_sync(ctx, opener.client, start)
    else:
        await _start_workflow(ctx, opener.client, start)
    return OpenResult(str(case.id), case.case_no, case.workflow_id, reserved.reservation.created)


def _permitted_chain(ctx: Context, actor: Actor, request: OpenRequest, *, reported: bool = False) -> TownshipChain:
    """The township's chain, once the actor may open a case there (`reported`: checked by the caller)."""
    chain = ctx.chain(request.township)
    names = {chain.section_chief, chain.office_head, chain.group_leader}
    if not reported and not may_act(actor, township=chain.township, chain_names=names):
        raise Refused(
            t("open_not_permitted", actor=actor.name, role=label("role", actor.role.value), township=chain.township)
        )
    return chain


@dataclass(frozen=True)
class Reserved:
    """The ledger's side of opening a case: the child's case (existing or new), its chain, the
    officers its workflow checks signatures against, and who it is assigned to."""

    reservation: Reservation
    chain: Chain
    officers: dict[str, OfficerKey]
    assigned: tuple[str, int] | None


def _reserve(ctx: Context, actor: Actor, request: OpenRequest, campaign: str, chain: TownshipChain) -> Reserved:
    """One opening's ledger side in a transaction of its own. Run in a thread: the API's event
    loop must not wait on the database meanwhile."""
    with ctx.sessions.begin() as session:
        return _reserve_in(session, ctx, actor, request, campaign, chain, dt.datetime.now(dt.UTC))


def reserve_many(ctx: Context, actor: Actor, requests: list[OpenRequest], campaign: str) -> list[Reserved]:
    """Many openings' ledger side in one transaction (discovery reserves a few dozen cases at a
    time ahead of starting their workflows): one commit instead of one a case. Refused as a whole,
    before anything is written, when the actor may not open one of them."""
    chains = [_permitted_chain(ctx, actor, request) for request in requests]
    now = dt.datetime.now(dt.UTC)
    with ctx.sessions.begin() as session:
        return [
            _reserve_in(session, ctx, actor, request, campaign, chain, now)
            for request, chain in zip(requests, chains, strict=True)
        ]


def _reserve_in(
    session: Session,
    ctx: Context,
    actor: Actor,
    request: OpenRequest,
    campaign: str,
    chain: TownshipChain,
    now: dt.datetime,
) -> Reserved:
    case_chain = chain_from_roster(ctx, session, chain.township)
    groups = (
        ()
        if request.provisional
        else priority_groups(session, campaign=campaign, child_key=ctx.cipher.child_key(request.id_number))
    )
    reservation = reserve_case(
        session,
        cipher=ctx.cipher,
        campaign=campaign,
        kind=request.kind.value,
        id_number=request.id_number,
        name=request.name,
        township=chain.township,
        group=chain.group,
        chain=case_chain.model_dump(mode="json", exclude_none=True),
        roster_version=ctx.roster.version,
        intake=request.intake,
        now=now,
        reason=request.reason,
        priority=",".join(groups),
        poverty_risk=request.kind == CaseKind.dropout and PriorityCategory.alleviated in groups,
        school=request.school,
        provisional=request.provisional,
    )
    case_school = reservation.case.school
    if request.sources:
        link_sources(session, case_id=reservation.case.id, refs=list(request.sources))
    officers = officer_snapshot(session, township=chain.township, chain=case_chain, school=case_school)
    assigned = (
        (actor.name, actor.id)
        if actor.role == Role.case_officer and actor.id is not None
        else default_case_officer(session, township=chain.township)
    )
    return Reserved(reservation, case_chain, officers, assigned)


def case_start(
    ctx: Context,
    case: Case,
    campaign: CampaignSpec,
    *,
    chain: Chain,
    opened_by: Actor,
    assigned_officer: tuple[str, int | None] | None,
    officers: dict[str, OfficerKey],
    work_calendar: WorkCalendar | None,
    **extra: Any,
) -> CaseStart:
    """The workflow's input for a case of a campaign: what every run of it starts from (opening,
    `verify --repair`, a closed case opened again); `extra` sets resume and its reason."""
    kind = CaseKind(case.kind)
    return CaseStart(
        case_id=str(case.id),
        case_no=case.case_no,
        campaign=campaign.name,
        kind=kind,
        township=case.township,
        group=case.group_no,
        chain=chain,
        opened_by=opened_by,
        assigned_officer=assigned_officer[0] if assigned_officer else None,
        assigned_officer_id=assigned_officer[1] if assigned_officer else None,
        opened_at=case.opened_at,
        officers=officers,
        stage_durations=campaign.durations_for(kind, priority=bool(case.priority)),
        calendar=campaign.calendar,
        work_calendar=work_calendar,
        clearance_deadline=campaign.clearance_deadline,
        escalation=campaign.escalation,
        monitoring=campaign.monitoring,
        follow_up_within=campaign.follow_up_within,
        home_delivery=campaign.home_delivery,
        exclusion_sample=campaign.exclusion_sample,
        transfer_within=campaign.transfer,
        receipt_within=campaign.receipt,
        service_key=ctx.service_public_key,
        school=case.school,
        provisional=case.provisional,
        continue_after_events=ctx.settings.continue_after_events,
        generation=CASE_GENERATION,
        **extra,
    ).sealed_with(ctx.service_key)


INPUT_RULES = frozenset({"exclusion_evidence"})
"""Rule refusals that say what the step lacks (exit 2, as bad input), not that it may not be taken."""


def ledger_state(case: Case) -> CaseState:
    """The case as its ledger row holds it: what a new run carries on from."""
    chain = Chain.model_validate({**(case.chain or {}), "roster_version": case.roster_version})
    return CaseState(
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
        assigned_officer_id=case.assigned_officer_id,
        school=case.school,
        opened_at=case.opened_at,
        closed_at=case.closed_at,
        outcome=Outcome(case.outcome) if case.outcome else None,
        confirmed_by=case.confirmed_by,
        confirmed_by_id=case.confirmed_by_id,
        missed_deadline=case.missed_deadline,
        episode=case.episode,
        whereabouts_unknown=case.whereabouts_unknown,
        provisional=case.provisional,
        exclusion_check=ExclusionCheck(due_at=case.exclusion_check_due) if case.exclusion_check_due else None,
        monitoring=_ledger_watch(case),
        last_seq=case.last_seq,
        due_at=case.due_at,
        due_capped=case.due_capped,
        transfer=_ledger_transfer(case),
        escalation_level=case.escalation_level,
        next_escalation_at=case.next_escalation_at,
        stalled=case.stalled,
    )


def _ledger_transfer(case: Case) -> PendingTransfer | None:
    """A pending transfer as the ledger keeps it whole (with the receiving chain); rows written
    before it was kept whole (to, time and requester only) restore without it."""
    if not case.transfer or "chain" not in case.transfer:
        return None
    return PendingTransfer.model_validate(case.transfer)


def _ledger_watch(case: Case) -> Watch | None:
    """A watched closed case's watch; a suspension's (no checks, only its end) from its end day."""
    if case.next_check_at is None or case.stage != Stage.closed.value:
        return None
    sessions = case.sessions_watch
    if sessions:
        per_month = int(sessions["per_month"])
        return Watch(
            next_check_at=case.next_check_at, checks_done=case.checks_done, checks_left=case.checks_left,
            session_every=SESSION_MONTH / per_month, sessions_per_month=per_month, sessions_held=int(sessions["held"]),
            months_from=dt.date.fromisoformat(sessions["from"]),
        )  # fmt: skip
    if case.checks_left == 0:
        until = case.next_check_at.astimezone(BEIJING).date()
        return Watch(next_check_at=case.next_check_at, until=until)
    return Watch(next_check_at=case.next_check_at, checks_done=case.checks_done, checks_left=case.checks_left)


async def restart_from_ledger(
    ctx: Context,
    case: Case,
    *,
    actor: Actor,
    reuse: WorkflowIDReusePolicy,
    committed: CaseState | None = None,
    **extra: Any,
) -> None:
    """Start a new run of the case's workflow (same id) from its ledger state: `verify --repair`
    after a run that did not complete, or a closed case opened again after one that did. What it
    reads of the ledger is read off the event loop. `committed`: the state the earlier run had
    committed when the ledger holds more (steps it never committed), carried on from instead, its
    numbering after the ledger's last event."""

    def restarted() -> CaseStart:
        campaign = resolve_campaign(ctx, case.campaign)
        resume = ledger_state(case)
        withdrawn: list[int] = []
        if committed is not None and committed.last_seq < case.last_seq:
            resume = committed.model_copy(update={"last_seq": case.last_seq})
            withdrawn = list(range(committed.last_seq + 1, case.last_seq + 1))
        with ctx.sessions() as session:
            officers = officer_snapshot(session, township=case.township, chain=resume.chain, school=case.school)
            pending = resume.transfer
            if pending is not None and pending.county is None:  # the receiving side answers it
                officers |= officer_snapshot(session, township=pending.to, chain=pending.chain)
        return case_start(
            ctx,
            case,
            campaign,
            chain=resume.chain,
            opened_by=actor,
            assigned_officer=(resume.assigned_officer, resume.assigned_officer_id) if resume.assigned_officer else None,
            officers=officers,
            work_calendar=calendar_for(campaign, dt.datetime.now(dt.UTC)),
            resume=resume,
            withdrawn=withdrawn,
            **extra,
        )

    start = await asyncio.to_thread(restarted)
    client = await ctx.temporal()
    await client.start_workflow(
        CaseWorkflow.run,
        start,
        id=case.workflow_id,
        task_queue=ctx.settings.task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
        id_reuse_policy=reuse,
    )


def _search_attributes(start: CaseStart) -> TypedSearchAttributes:
    """What visibility knows of a case from its start: a new case's opening stage and when it is
    due too (the workflow enters it with the same due time and upserts nothing)."""
    pairs: list[SearchAttributePair[Any]] = [
        SearchAttributePair(CASE_KIND, start.kind.value),
        SearchAttributePair(CASE_TOWNSHIP, start.township),
        SearchAttributePair(CASE_CAMPAIGN, start.campaign),
        SearchAttributePair(CASE_GROUP, start.group),
        SearchAttributePair(CASE_STAGE, start.opening_stage().value),
    ]
    due = start.opening_due().at if start.resume is None and start.carry is None else None
    if due is not None:
        pairs.append(SearchAttributePair(STAGE_DUE_AT, due))
    return TypedSearchAttributes(pairs)


def _new_case_options(ctx: Context, start: CaseStart) -> dict[str, Any]:
    """How a case's workflow is started, found running, or refused after it completed."""
    return {
        "id": f"case-{start.case_id}",
        "task_queue": ctx.settings.task_queue,
        "id_conflict_policy": WorkflowIDConflictPolicy.USE_EXISTING,
        "id_reuse_policy": WorkflowIDReusePolicy.REJECT_DUPLICATE,
        "search_attributes": _search_attributes(start),
    }


async def _start_workflow(ctx: Context, client: Client, start: CaseStart) -> None:
    """Start the case's workflow, or find it running: explicit policies, never a second one.
    A closed case's workflow refuses a new start (REJECT_DUPLICATE): the case keeps its history."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(CaseWorkflow.run, start, **_new_case_options(ctx, start))


async def _start_and_sync(ctx: Context, client: Client, start: CaseStart) -> None:
    """A new case: start its workflow and wait for its opening to reach the ledger in one call to
    Temporal (update-with-start) rather than a start and then an update; a workflow an earlier
    attempt started is found (USE_EXISTING) and just answers."""
    operation = WithStartWorkflowOperation(CaseWorkflow.run, start, **_new_case_options(ctx, start))
    await client.execute_update_with_start_workflow(CaseWorkflow.synced, start_workflow_operation=operation)


def find_case_or_exit(ctx: Context, ref: str) -> Case:
    with ctx.sessions() as session:
        case = find_case(session, ref=ref.strip())
    if case is None:
        raise NotFound(t("case_not_found", ref=ref))
    return case


def officer_snapshot(
    session: Session, *, township: str, chain: Chain, school: str | None = None
) -> dict[str, OfficerKey]:
    """The registry entries a case holds to check signatures, keyed by officer id (a case a school
    reported: that school's officers too)."""
    names = {chain.section_chief, chain.office_head, chain.group_leader}
    return {
        registry_key(o.id, o.name): officer_key(o)
        for o in officers_for_case(session, township=township, chain_names=names, school=school)
    }


def officer_key(officer: Officer) -> OfficerKey:
    return OfficerKey(
        id=officer.id,
        name=officer.name,
        role=Role(officer.role),
        township=officer.township,
        public_key=officer.public_key or "",
        school=officer.school,
    )


STEP_ANSWER_SECONDS = 15.0


@dataclass(frozen=True)
class StepOutcome:
    """A step's answer: the case's state after it, or — when the ledger is still catching up —
    the state the case reports, with `ledger_pending` set."""

    state: CaseState
    ledger_pending: bool = False


async def send_step(
    ctx: Context, case: Case, update: Any, step: StepInput, *, within: float = STEP_ANSWER_SECONDS
) -> StepOutcome:
    """Run one officer update, signed by the officer, and answer within `within` seconds: done;
    accepted with the ledger still catching up; refused (exit 3, the case's reason in the reader's
    language); or not accepted in time (exit 1). Never silence. (The update gets a fresh id: a
    signed step sent again must be refused by the case, not answered from Temporal's memory of
    the first.)"""
    client = await ctx.temporal()
    if not ctx.settings.step_priority:
        return await _sent_step(client, case, update, step, within)
    async with ctx.raised_cases.ahead(client, case.workflow_id):
        return await _sent_step(client, case, update, step, within)


async def _sent_step(client: Any, case: Case, update: Any, step: StepInput, within: float) -> StepOutcome:
    handle = client.get_workflow_handle(case.workflow_id)
    deadline = asyncio.get_running_loop().time() + within
    try:
        try:
            accepted = await asyncio.wait_for(
                handle.start_update(update, step, wait_for_stage=WorkflowUpdateStage.ACCEPTED),
                timeout=within,
            )
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            raise CliError(t("step_not_accepted", seconds=int(within))) from None
        try:
            remaining = max(0.1, deadline - asyncio.get_running_loop().time())
            return StepOutcome(await asyncio.wait_for(accepted.result(), timeout=remaining))
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
            current = await asyncio.wait_for(handle.query(CaseWorkflow.current), timeout=5)
            return StepOutcome(current, ledger_pending=True)
    except WorkflowUpdateFailedError as failed:
        cause = failed.cause
        if isinstance(cause, ApplicationError) and cause.type == RULE_ERROR_TYPE and cause.details:
            detail = cause.details[0]
            message = render(detail["code"], detail["params"], current_lang())
            refusal = BadInput if detail["code"] in INPUT_RULES else Refused
            raise refusal(message, code=detail["code"], params=detail["params"]) from None
        raise CliError(str(cause or failed)) from None
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:  # the workflow has completed: the case is closed
            raise Refused(render("case_closed", {"step": update.__name__}, current_lang())) from None
        raise


async def ledger_caught_up(ctx: Context, case: Case, *, within: float = 10.0) -> None:
    """Wait (bounded) until the ledger holds every event the case has recorded: a refused retry
    may have raced the projection of the step it repeats. A closed case's ledger is complete."""
    client = await ctx.temporal()
    handle = client.get_workflow_handle(case.workflow_id)
    with contextlib.suppress(
        TimeoutError, RPCError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
    ):
        await asyncio.wait_for(handle.execute_update(CaseWorkflow.synced), timeout=within)


async def withdraw_uncommitted(
    ctx: Context, case: Case, step: StepInput, refused: Refused, *, within: float = 10.0
) -> None:
    """A step refused as signed for an earlier state of the case, though signed for a number the
    case has not reached: its client read the number from the ledger, which then holds events the
    case never committed (a workflow task that failed after projecting them, docs/architecture.md).
    The case withdraws them and numbers on past them (`catch_up_with_ledger`), and the officer is
    told so — as a `stale_step`, which a client signs again against the new number. Otherwise, or
    when the case does not answer in time, the refusal stands as it was. The refusal carries the
    case's number (`now`), so the usual stale step (the case moved on) costs no further call."""
    case_seq = refused.params.get("now")
    if step.expected_seq is None or not isinstance(case_seq, int) or step.expected_seq <= case_seq:
        return
    handle = (await ctx.temporal()).get_workflow_handle(case.workflow_id)
    with contextlib.suppress(
        TimeoutError, RPCError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
    ):
        now = await asyncio.wait_for(handle.execute_update(CaseWorkflow.catch_up_with_ledger), timeout=within)
        if now.last_seq > case_seq:
            params = {"seq": case_seq + 1, "now": now.last_seq}
            raise Refused(render("ledger_withdrawn", params, current_lang()), code="stale_step")


def chain_from_roster(ctx: Context, session: Session, township: str) -> Chain:
    """The township's chain as the roster names it, each person with their officer id."""
    row = ctx.roster.resolve(township)
    names = {role: getattr(row, role.value) for role in CHAIN_ROLES}
    ids = chain_officer_ids(session, names)
    return Chain(
        **{role.value: name for role, name in names.items()},
        **{f"{role.value}_id": officer_id for role, officer_id in ids.items()},
        roster_version=ctx.roster.version,
    )


async def reload_roster(ctx: Context) -> tuple[int, int]:
    """Signal every open case whose chain differs from the roster file's; (signalled, unchanged).
    Both signals are signed by the server's service key: the case accepts nothing else."""
    open_cases = await asyncio.to_thread(_open_cases, ctx, CaseFilter(open_only=True))
    chains = await asyncio.to_thread(_roster_chains, ctx, {case.township for case in open_cases})
    client = await ctx.temporal()
    signalled = 0
    for case in open_cases:
        chain = chains[case.township]
        if chain.model_dump(mode="json", exclude_none=True) == case.chain:
            continue
        officers = await asyncio.to_thread(_snapshot, ctx, case.township, chain, case.school)
        now = dt.datetime.now(dt.UTC)
        try:
            handle = client.get_workflow_handle(case.workflow_id)
            registry = RegistryUpdate(case_id=str(case.id), issued_at=now, officers=officers)
            await handle.signal(CaseWorkflow.update_officers, registry.signed_with(ctx.service_key))
            chain_update = ChainUpdate(case_id=str(case.id), issued_at=now + dt.timedelta(microseconds=1), chain=chain)
            await handle.signal(CaseWorkflow.update_chain, chain_update.signed_with(ctx.service_key))
            signalled += 1
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
    return signalled, len(open_cases) - signalled


def _open_cases(ctx: Context, where: CaseFilter) -> list[Case]:
    """The database's part of telling open cases, run off the event loop."""
    with ctx.sessions() as session:
        return list_cases(session, where=where)


def _roster_chains(ctx: Context, townships: set[str]) -> dict[str, Chain]:
    with ctx.sessions() as session:
        return {township: chain_from_roster(ctx, session, township) for township in townships}


def _snapshot(ctx: Context, township: str, chain: Chain, school: str | None) -> dict[str, OfficerKey]:
    with ctx.sessions() as session:
        return officer_snapshot(session, township=township, chain=chain, school=school)


async def tell_open_cases(ctx: Context, officer: Officer, *, revoked: bool = False) -> int:
    """Open cases this officer may act on learn their new key, or that it was revoked: a
    registry change signed by the service key for each case."""
    from domain.actors import Actor
    from domain.scope import townships_in_scope

    entry = officer_key(officer)
    if revoked:
        entry = entry.model_copy(update={"public_key": ""})
    actor = Actor(name=entry.name, role=entry.role, township=entry.township)
    scope = townships_in_scope(actor, ctx.roster)
    if scope is not None and not scope:
        return 0
    cases = await asyncio.to_thread(_open_cases, ctx, CaseFilter(open_only=True, townships=scope))
    if not cases:
        return 0
    client = await ctx.temporal()
    now = dt.datetime.now(dt.UTC)
    told = 0
    officers = {registry_key(officer.id, officer.name): entry}
    for case in cases:
        update = RegistryUpdate(case_id=str(case.id), issued_at=now, officers=officers)
        with contextlib.suppress(RPCError):
            await client.get_workflow_handle(case.workflow_id).signal(
                CaseWorkflow.update_officers, update.signed_with(ctx.service_key)
            )
            told += 1
    return told
