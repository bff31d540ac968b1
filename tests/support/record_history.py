"""Record the histories the replay test replays (tests/histories/), one a path through a case:

- `dropout-full-v5`: every step, a refusal, a note and a reassignment, then the four follow-up
  checks after closure, on the dev server (`dropout-full-v2`, kept, is the same path recorded
  before monitoring: it must still end at closure; `-v3` before local activities; `-v4` of
  generation 1);
- `after-closure-v5`: on the time-skipping server, a 送教上门 case closed and watched — a missed
  session escalates, a session, a check, a relapse (episode 2); a deferral that ends and reopens
  the case (episode 3); closed again and reopened by discovery's signed signal (episode 4);
  excluded and closed;
- `disability-excluded-v3`: excluded at the home visit, closed by a reviewer;
- `funding-ladder-v4`: left alone on the time-skipping server — every rung fires, reminders are
  delivered, the ladder ends (stalled); signed registry and chain changes arrive by signal; then
  the steps to closure;
- `restored-v3`: a terminated case restarted from its ledger by `verify --repair`, then closed;
- `continued-v4`: the first run of a case whose history grew long: it ends continuing as new;
- `moved-merged-v2`: a case opened without an ID number, transferred to another township (declined,
  then accepted) and identified into the same child's case there (closed as merged) — generation
  3, whose request tells the receiving township at once (`-v1`, kept, is generation 2: no notice);
- `merged-in-v1`: the kept case of a merge taking on the other's plan, then to closure and its
  follow-ups (a second case, moved out of the county, closes on the receiving school's 学籍).

`dropout-full-v6`, `funding-ladder-v5`, `moved-merged-v3` and `merged-in-v2` are cases of generation 5
(domain/case.py, `CASE_GENERATION`): local activities, no patch markers, not even the seal
check's, a run that continues as new as soon as its history is long, an opening that upserts no
search attribute. The exclusion paths (after-closure, disability-excluded, restored, continued)
do not record at present: their scenarios exclude without the evidence an exclusion now needs.
`deadline-wake-v1` is of generation 6: a stage due at the clearance deadline escalates in the
deadline's wake, the rung and the deadline together. `funding-ladder-v6` and `deadline-wake-v2` are
of generation 7: each wake's notices go out from the local activity that projects it.
Older recordings are kept and replay as the generation they were recorded under.

Run: python -m tests.support.record_history [NAME ...]   (default: all of them)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from config.payload_codec import encrypted_converter
from config.settings import Settings
from domain.actors import Actor, Chain
from domain.campaign import CampaignSpec, EscalationPolicy
from domain.enums import (
    AidChannel,
    Arrangement,
    CaseKind,
    EducationLevel,
    ExcludeReason,
    Finding,
    Placement,
    Role,
    Stage,
)
from domain.signing import ChainUpdate, OfficerKey, RegistryUpdate, ReopenRequest, public_key_of
from domain.steps import (
    AidItem,
    CloseInput,
    ConfirmInput,
    EvidenceRef,
    FollowUpInput,
    IdentifyInput,
    NoteInput,
    PlanInput,
    ReassignInput,
    ReceiptInput,
    SessionInput,
    TransferAcceptInput,
    TransferDeclineInput,
    TransferInput,
    TransferOutInput,
    VisitInput,
)
from ledger.campaigns import upsert_campaign
from ledger.cases import provisional_key_text
from starter.case_service import OpenRequest, OpenResult, open_case
from starter.context import Context
from starter.identify_service import send_merge_target, tell_kept_case
from starter.transfer_service import send_transfer_target
from tests.conftest import TEST_KEYRING, TEST_SERVICE_KEY
from tests.support.cases import (
    ANZI_LEAD,
    ANZI_OFFICER,
    CHIEF,
    OFFICER,
    OTHER_OFFICER,
    act,
    actor_key,
    context_for,
    ledger_row,
    open_for,
    register_officer,
    register_test_officers,
    with_id,
)
from tests.support.database import fresh_database, postgres_server
from worker import activities_for
from workflows.case import CaseWorkflow
from workflows.registry import ALL_WORKFLOWS, workflow_runner
from workflows.search_attributes import ALL_SEARCH_ATTRIBUTES

HISTORY_DIR = Path(__file__).resolve().parent.parent / "histories"
DAY = dt.timedelta(days=1)
Scenario = Callable[[Context, Client, "WorkflowEnvironment"], Awaitable[str]]


async def dropout_full(ctx: Context, client: Client, env: WorkflowEnvironment) -> str:
    opened = await open_for(ctx, CaseKind.dropout)
    handle = client.get_workflow_handle(opened.workflow_id)
    await act(handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed))
    await act(handle, CaseWorkflow.reassign, ReassignInput(actor=CHIEF, to=OTHER_OFFICER))
    await act(handle, CaseWorkflow.note, NoteInput(actor=OTHER_OFFICER, text="记录"))
    target = dt.date.today() + dt.timedelta(days=30)
    await act(
        handle, CaseWorkflow.plan, PlanInput(actor=OTHER_OFFICER, target_date=target, placement=Placement.transfer)
    )
    await act(handle, CaseWorkflow.confirm, ConfirmInput(actor=OTHER_OFFICER, school="某校", evidence=("证明",)))
    with contextlib.suppress(WorkflowUpdateFailedError):  # four eyes: the refusal is worth replaying
        await act(handle, CaseWorkflow.close, CloseInput(actor=OTHER_OFFICER))
    await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
    for _ in range(4):
        await act(handle, CaseWorkflow.follow_up, FollowUpInput(actor=OTHER_OFFICER, attending=True))
    return opened.workflow_id


async def after_closure(ctx: Context, client: Client, env: WorkflowEnvironment) -> str:
    add_ladder_campaign(ctx)
    opened = await open_for(ctx, CaseKind.disability, campaign="record-ladder")
    handle = client.get_workflow_handle(opened.workflow_id)

    async def now() -> dt.datetime:
        return await env.get_current_time()

    async def to_closure(**plan: object) -> None:
        visit = VisitInput(actor=OFFICER, finding=Finding.confirmed, disability_category="肢体")
        await act(handle, CaseWorkflow.visit, visit, at=await now())
        target = (await now()).date() + dt.timedelta(days=20)
        await act(handle, CaseWorkflow.plan, PlanInput(actor=OFFICER, target_date=target, **plan), at=await now())
        await act(handle, CaseWorkflow.confirm, ConfirmInput(actor=OFFICER, evidence=("记录",)), at=await now())
        await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF), at=await now())

    await to_closure(arrangement=Arrangement.home_delivery, sessions_per_month=2)
    await env.sleep(17 * DAY)  # a session missed: escalates
    await act(handle, CaseWorkflow.session, SessionInput(actor=OFFICER, on=(await now()).date()), at=await now())
    await act(handle, CaseWorkflow.follow_up, FollowUpInput(actor=OFFICER, attending=True), at=await now())
    await act(handle, CaseWorkflow.follow_up, FollowUpInput(actor=OFFICER, attending=False), at=await now())
    until = (await now()).date() + dt.timedelta(days=10)
    await to_closure(arrangement=Arrangement.deferral, until=until, approval="记录〔2026〕1号")
    await env.sleep(11 * DAY)  # the deferral ends: episode 3
    await to_closure(arrangement=Arrangement.inclusive_class)
    request = ReopenRequest(case_id=opened.case_id, issued_at=await now())
    await handle.signal(CaseWorkflow.reopen, request.signed_with(ctx.service_key))  # episode 4
    for _ in range(100):
        if (await handle.query(CaseWorkflow.current)).stage == Stage.home_visit:
            break
        await asyncio.sleep(0.1)
    excluded = VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason=ExcludeReason.moved_out)
    await act(handle, CaseWorkflow.visit, excluded, at=await now())
    await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF), at=await now())
    return opened.workflow_id


async def disability_excluded(ctx: Context, client: Client, env: WorkflowEnvironment) -> str:
    opened = await open_for(ctx, CaseKind.disability)
    handle = client.get_workflow_handle(opened.workflow_id)
    excluded = VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason=ExcludeReason.moved_out)
    await act(handle, CaseWorkflow.visit, excluded)
    await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF, note="已迁出"))
    return opened.workflow_id


def add_ladder_campaign(ctx: Context) -> None:
    with ctx.sessions.begin() as session:
        far = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
        ladder = EscalationPolicy(level1_after=2 * DAY, level2_after=5 * DAY, repeat_every=DAY, repeat_max=2)
        stages = {Stage.home_visit: 3 * DAY, Stage.return_plan: 5 * DAY, Stage.return_confirmation: 15 * DAY}
        spec = CampaignSpec(
            name="record-ladder",
            reference_date=dt.date(2026, 9, 1),
            clearance_deadline=far,
            calendar="calendar",
            stages={**stages, Stage.closure: 3 * DAY},
            escalation=ladder,
        )
        upsert_campaign(session, spec=spec)


async def funding_ladder(ctx: Context, client: Client, env: WorkflowEnvironment) -> str:
    add_ladder_campaign(ctx)
    opened = await open_for(ctx, CaseKind.funding, campaign="record-ladder")
    handle = client.get_workflow_handle(opened.workflow_id)
    await env.sleep(20 * DAY)  # every rung, reminders delivered, then stalled
    newcomer = register_officer(ctx, Actor(name="记录新科长", role=Role.section_chief))
    now = await env.get_current_time()
    entry = OfficerKey(
        id=newcomer.id, name=newcomer.name, role=newcomer.role, public_key=public_key_of(actor_key(newcomer.name))
    )
    registry = RegistryUpdate(case_id=opened.case_id, issued_at=now, officers={f"#{newcomer.id}": entry})
    await handle.signal(CaseWorkflow.update_officers, registry.signed_with(ctx.service_key))
    chain = Chain(section_chief=newcomer.name, office_head="陈明凡", group_leader="朱洪斌", roster_version="record")
    change = ChainUpdate(case_id=opened.case_id, issued_at=now + dt.timedelta(seconds=1), chain=chain)
    await handle.signal(CaseWorkflow.update_chain, change.signed_with(ctx.service_key))
    await aid_to_closure(handle, env, closed_by=newcomer)
    return opened.workflow_id


async def aid_to_closure(handle: WorkflowHandle[Any, Any], env: WorkflowEnvironment, *, closed_by: Actor) -> None:
    """A funding case from its home visit to closure: aid planned, delivered through the school."""
    visit = VisitInput(
        actor=OFFICER,
        finding=Finding.confirmed,
        household_verified=True,
        education_level=EducationLevel.compulsory,
    )
    await act(handle, CaseWorkflow.visit, visit, at=await env.get_current_time())
    target = (await env.get_current_time()).date() + dt.timedelta(days=10)
    plan = PlanInput(
        actor=OFFICER, target_date=target, aid_items=(AidItem(item="营养餐", amount=200),), channel=AidChannel.school
    )
    await act(handle, CaseWorkflow.plan, plan, at=await env.get_current_time())
    confirm = ConfirmInput(actor=OFFICER, evidence=("回执",), delivered_to=AidChannel.school)
    await act(handle, CaseWorkflow.confirm, confirm, at=await env.get_current_time())
    await act(handle, CaseWorkflow.close, CloseInput(actor=closed_by), at=await env.get_current_time())


async def deadline_wake(ctx: Context, client: Client, env: WorkflowEnvironment) -> str:
    """Opened two days before the clearance deadline, its 30-day stage capped at it: the rung and
    the deadline escalate in one wake (generation 6), the ladder climbs after it, then closure."""
    deadline = (await env.get_current_time()).replace(microsecond=0) + 2 * DAY
    with ctx.sessions.begin() as session:
        upsert_campaign(
            session,
            spec=CampaignSpec(
                name="record-deadline",
                reference_date=dt.date(2026, 9, 1),
                clearance_deadline=deadline,
                calendar="calendar",
                stages={stage: 30 * DAY for stage in STAGE_ORDER},
                escalation=EscalationPolicy(level1_after=2 * DAY, level2_after=5 * DAY, repeat_every=DAY, repeat_max=1),
            ),
        )
    opened = await open_for(ctx, CaseKind.funding, campaign="record-deadline")
    handle = client.get_workflow_handle(opened.workflow_id)
    await env.sleep(8 * DAY)
    await aid_to_closure(handle, env, closed_by=CHIEF)
    return opened.workflow_id


STAGE_ORDER = (Stage.home_visit, Stage.return_plan, Stage.return_confirmation, Stage.closure)


async def restored(ctx: Context, client: Client, env: WorkflowEnvironment) -> str:
    from starter.verify import verify_cases

    opened = await open_for(ctx, CaseKind.dropout)
    handle = client.get_workflow_handle(opened.workflow_id)
    await act(handle, CaseWorkflow.note, NoteInput(actor=OFFICER, text="中止前"))
    await handle.terminate("记录：模拟误操作")
    ctx._client = client  # the recorder's own client, with the test codec
    ctx._client_loop = asyncio.get_running_loop()
    await verify_cases(ctx, repair=True, actor=CHIEF, only=[opened.case_no])
    handle = client.get_workflow_handle(opened.workflow_id)
    for _ in range(100):
        if (await handle.query(CaseWorkflow.current)).last_seq >= 3:
            break
        await asyncio.sleep(0.1)
    await act(
        handle,
        CaseWorkflow.visit,
        VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason=ExcludeReason.duplicate),
    )
    await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
    return opened.workflow_id


async def continued(ctx: Context, client: Client, env: WorkflowEnvironment) -> str:
    """The first run of a case that continues as new (its history ends in ContinueAsNew)."""
    add_ladder_campaign(ctx)
    short = context_for(ctx.settings.model_copy(update={"continue_after_events": 40}))
    opened = await open_for(short, CaseKind.dropout, campaign="record-ladder")
    first_run = (await client.get_workflow_handle(opened.workflow_id).describe()).run_id
    await env.sleep(20 * DAY)
    handle = client.get_workflow_handle(opened.workflow_id)
    await act(
        handle,
        CaseWorkflow.visit,
        VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason=ExcludeReason.other),
        at=await env.get_current_time(),
    )
    await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF), at=await env.get_current_time())
    short.close()
    return f"{opened.workflow_id}@{first_run}"


async def _provisional(ctx: Context, township: str, name: str) -> OpenResult:
    """A case opened without an ID number (`case open --no-id-number`)."""
    born = dt.date(2014, 5, 6)
    key = provisional_key_text(name=name, born=born, guardian="记录监护人", village="某村")
    intake = {"village": "某村", "birth_date": born.isoformat(), "guardian": "记录监护人"}
    request = OpenRequest(CaseKind.dropout, key, name, township, "pengshui-2026", intake, provisional=True)
    return await open_case(ctx, with_id(OFFICER), request)


async def moved_merged(ctx: Context, client: Client, env: WorkflowEnvironment) -> str:
    """A provisional case handed to 鞍子镇 (a transfer, declined once, then accepted), then
    identified into the same child's case there: closed as merged."""
    opened = await _provisional(ctx, "梅子垭镇", "记录无证儿童")
    handle = client.get_workflow_handle(opened.workflow_id)
    row = ledger_row(ctx, opened.case_no)
    for answer in (TransferDeclineInput(actor=ANZI_LEAD, reason="核实中"), TransferAcceptInput(actor=ANZI_LEAD)):
        await send_transfer_target(ctx, row, "鞍子镇")
        await act(handle, CaseWorkflow.transfer, TransferInput(actor=OFFICER, to="鞍子镇", reason="全家迁居"))
        await act(handle, getattr(CaseWorkflow, answer.step), answer)
    kept = await open_for(ctx, CaseKind.dropout, township="鞍子镇", actor=ANZI_OFFICER)
    into = ledger_row(ctx, kept.case_no)
    await send_merge_target(ctx, ledger_row(ctx, opened.case_no), into)
    await act(handle, CaseWorkflow.identify, IdentifyInput(actor=ANZI_OFFICER))
    return opened.workflow_id


async def merged_in(ctx: Context, client: Client, env: WorkflowEnvironment) -> str:
    """The kept case of a merge takes on the provisional case's plan, then runs to closure; the
    child moves out of the county on a second case, whose receiving school's 学籍 closes it."""
    kept = await open_for(ctx, CaseKind.dropout)
    handle = client.get_workflow_handle(kept.workflow_id)
    other = await _provisional(ctx, "梅子垭镇", "记录临时身份儿童")
    other_handle = client.get_workflow_handle(other.workflow_id)
    await act(other_handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed))
    target = dt.date.today() + dt.timedelta(days=30)
    plan = PlanInput(actor=OFFICER, target_date=target, placement=Placement.original_school)
    await act(other_handle, CaseWorkflow.plan, plan)
    before = await other_handle.query(CaseWorkflow.current)
    assert await tell_kept_case(ctx, ledger_row(ctx, kept.case_no), before)
    for _ in range(100):
        if (await handle.query(CaseWorkflow.current)).stage == Stage.return_confirmation:
            break
        await asyncio.sleep(0.1)
    await act(handle, CaseWorkflow.confirm, ConfirmInput(actor=OFFICER, school="某校", evidence=("证明",)))
    await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
    for _ in range(4):
        await act(handle, CaseWorkflow.follow_up, FollowUpInput(actor=OFFICER, attending=True))
    gone = await open_for(ctx, CaseKind.dropout)
    gone_handle = client.get_workflow_handle(gone.workflow_id)
    await act(gone_handle, CaseWorkflow.transfer_out, TransferOutInput(actor=OFFICER, to_county="酉阳县"))
    proof = EvidenceRef(id=1, sha256="ab" * 32)
    receipt = ReceiptInput(actor=OFFICER, school="外县中学", student_no="G1", evidence_files=(proof,))
    await act(gone_handle, CaseWorkflow.receipt, receipt)
    await act(gone_handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
    await other_handle.terminate("recorded: the kept case is the history kept")
    await gone_handle.result()
    return kept.workflow_id


SCENARIOS: dict[str, tuple[Scenario, bool]] = {
    "moved-merged-v3": (moved_merged, False),
    "merged-in-v2": (merged_in, False),
    "dropout-full-v6": (dropout_full, False),
    "after-closure-v5": (after_closure, True),
    "disability-excluded-v3": (disability_excluded, False),
    "funding-ladder-v6": (funding_ladder, True),
    "restored-v3": (restored, False),
    "continued-v4": (continued, True),
    "deadline-wake-v2": (deadline_wake, True),
}
"""name → (scenario, runs on the time-skipping server)"""


async def record(name: str, database_url: str, data_dir: Path) -> Path:
    scenario, skipping = SCENARIOS[name]
    if skipping:
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=shutil.which("temporal-test-server"),
            data_converter=encrypted_converter(TEST_KEYRING),
        )
        from tests.conftest import register_search_attributes

        await register_search_attributes(env.client)
    else:
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=shutil.which("temporal"),
            data_converter=encrypted_converter(TEST_KEYRING),
            search_attributes=ALL_SEARCH_ATTRIBUTES,
            dev_server_extra_args=["--headless"],
        )
    async with env:
        settings = Settings(
            temporal_address=env.client.service_client.config.target_host,
            database_url=database_url,
            task_queue="record",
            secret_key="22" * 32,
            codec_keys=TEST_KEYRING.dumps(),
            service_key=TEST_SERVICE_KEY,
            data_dir=data_dir,
        )
        built = activities_for(settings)
        async with Worker(
            env.client,
            task_queue="record",
            workflows=ALL_WORKFLOWS,
            workflow_runner=workflow_runner(),
            activities=built.activities,
            activity_executor=built.executor,
        ):
            ctx = context_for(settings)
            register_test_officers(ctx)
            recorded = await scenario(ctx, env.client, env)
            workflow_id, _, run_id = recorded.partition("@")
            await env.client.get_workflow_handle(workflow_id).result()
            history = await env.client.get_workflow_handle(workflow_id, run_id=run_id or None).fetch_history()
            ctx.close()
        built.close()
    path = HISTORY_DIR / f"{name}.json"
    path.write_text(history.to_json(), encoding="utf-8")
    return path


def main() -> None:
    names = sys.argv[1:] or list(SCENARIOS)
    with tempfile.TemporaryDirectory() as work, postgres_server(Path(work)) as server, fresh_database(server) as url:
        for name in names:
            print(asyncio.run(record(name, url, Path(work))))


if __name__ == "__main__":
    main()
