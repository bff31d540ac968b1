"""CaseWorkflow on the real dev server with the real ledger: every path, every refusal, the race."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy.exc
from sqlalchemy import func, select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.actors import Actor
from domain.case import CaseEvent, CaseState, Projection
from domain.enums import (
    AidChannel,
    Arrangement,
    CaseKind,
    EducationLevel,
    ExcludeReason,
    Finding,
    Outcome,
    Placement,
    Stage,
)
from domain.steps import (
    AidItem,
    CloseInput,
    ConfirmInput,
    FollowUpInput,
    NoteInput,
    PlanInput,
    ReassignInput,
    ResponsiblePerson,
    VisitInput,
)
from ledger.models import Case, CaseEventRow, Student
from ledger.projection import LedgerAheadError, write_projection
from starter.context import Context
from tests.support.cases import (
    ANZI_LEAD,
    ANZI_OFFICER,
    CHIEF,
    COUNTY,
    ELSEWHERE,
    LEAD,
    OFFICE_HEAD,
    OFFICER,
    OTHER_LEADER,
    OTHER_OFFICER,
    PROOF,
    act,
    actor_key,
    ledger_events,
    ledger_row,
    open_for,
    register_officer,
    row_matches_state,
    signed_for,
    synthetic_child,
)
from workflows.case import RULE_ERROR_TYPE, CaseWorkflow

TOMORROW = dt.date.today() + dt.timedelta(days=30)


@pytest.fixture(params=["cached", "no-cache"])
def case_ctx(request: pytest.FixtureRequest, case_settings: Any, case_worker: None) -> Any:
    """Every workflow test runs twice: on the usual worker, and on one with no workflow cache."""
    from tests.conftest import NO_CACHE_QUEUE
    from tests.support.cases import context_for, register_test_officers

    settings = case_settings
    if request.param == "no-cache":
        request.getfixturevalue("no_cache_worker")
        settings = case_settings.model_copy(update={"task_queue": NO_CACHE_QUEUE})
    ctx = context_for(settings)
    register_test_officers(ctx)
    yield ctx
    ctx.close()


async def handle_of(ctx: Context, workflow_id: str) -> WorkflowHandle[Any, Any]:
    from config.temporal_client import connect_temporal

    client = await connect_temporal(ctx.settings)
    return client.get_workflow_handle(workflow_id)


async def step(ctx: Context, handle: WorkflowHandle[Any, Any], update: Any, payload: Any) -> CaseState:
    state = await act(handle, update, payload)
    row_matches_state(ledger_row(ctx, state.case_no), state)
    return state


async def refused(handle: WorkflowHandle[Any, Any], update: Any, payload: Any, *, signed: bool = True) -> str:
    """The refusal code; and the case unchanged by it."""
    before = await handle.query(CaseWorkflow.current)
    with pytest.raises(WorkflowUpdateFailedError) as raised:
        sent = payload if signed is False else signed_for(handle.id, update, payload, seq=before.last_seq)
        await handle.execute_update(update, sent)
    cause = raised.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == RULE_ERROR_TYPE
    assert cause.non_retryable
    after = await handle.query(CaseWorkflow.current)
    assert after == before
    return cause.details[0]["code"]


async def test_dropout_from_open_to_closed(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    assert opened.created and opened.workflow_id.startswith("case-")
    handle = await handle_of(case_ctx, opened.workflow_id)
    state = await handle.query(CaseWorkflow.current)
    assert state.stage == Stage.home_visit and state.due_at is not None
    row_matches_state(ledger_row(case_ctx, opened.case_no), state)

    await step(
        case_ctx,
        handle,
        CaseWorkflow.visit,
        VisitInput(actor=OFFICER, finding=Finding.confirmed, dropout_reason="厌学", note="入户"),
    )
    await step(
        case_ctx,
        handle,
        CaseWorkflow.plan,
        PlanInput(
            actor=OFFICER,
            target_date=TOMORROW,
            placement=Placement.original_school,
            measures=("每周家访",),
            responsible=(ResponsiblePerson(name="驻村干部甲", role="驻村干部"),),
        ),
    )
    state = await step(
        case_ctx,
        handle,
        CaseWorkflow.confirm,
        ConfirmInput(actor=OFFICER, school="梅子垭镇中心校", evidence=("返校照片",)),
    )
    assert state.stage == Stage.closure and state.confirmed_by == OFFICER.name
    state = await step(case_ctx, handle, CaseWorkflow.close, CloseInput(actor=CHIEF, note="同意销号"))
    assert state.stage == Stage.closed and state.outcome == Outcome.returned and state.closed_at

    events = ledger_events(case_ctx, opened.case_no)
    assert [(e.type, e.stage, e.actor) for e in events] == [
        ("opened", "discovery", OFFICER.name),
        ("visited", "home_visit", OFFICER.name),
        ("planned", "return_plan", OFFICER.name),
        ("confirmed", "return_confirmation", OFFICER.name),
        ("closed", "closure", CHIEF.name),
    ]
    assert events[2].payload["placement"] == "original_school"

    # Watched after closure (动态监测): four checks at the campaign's offsets, then the case ends.
    watch = state.monitoring
    assert watch is not None and (watch.checks_done, watch.checks_left) == (0, 4)
    assert watch.next_check_at == state.closed_at + dt.timedelta(days=30)
    assert state.due_at == watch.next_check_at + dt.timedelta(days=5)
    row = ledger_row(case_ctx, opened.case_no)
    assert row.stage == "closed" and row.next_check_at == watch.next_check_at and row.checks_left == 4
    for done in range(1, 5):
        state = await step(case_ctx, handle, CaseWorkflow.follow_up, FollowUpInput(actor=OFFICER, attending=True))
        assert state.stage == Stage.closed and state.outcome == Outcome.returned
        if done < 4:
            assert state.monitoring is not None and state.monitoring.checks_done == done
    assert state.monitoring is None and state.due_at is None
    assert CaseState.model_validate(await handle.result()) == state
    assert [e.type for e in ledger_events(case_ctx, opened.case_no)][-4:] == ["followed_up"] * 4


async def test_a_relapse_reopens_the_case_as_its_next_episode(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    assert await refused(handle, CaseWorkflow.follow_up, FollowUpInput(actor=OFFICER, attending=True)) == "wrong_stage"
    await step(case_ctx, handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed))
    plan = PlanInput(actor=OFFICER, target_date=TOMORROW, placement=Placement.original_school)
    await step(case_ctx, handle, CaseWorkflow.plan, plan)
    await step(case_ctx, handle, CaseWorkflow.confirm, ConfirmInput(actor=OFFICER, school="某校", evidence=("证明",)))
    await step(case_ctx, handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
    relapse = FollowUpInput(actor=OFFICER, attending=False, note="又去打工了")
    assert await refused(handle, CaseWorkflow.follow_up, relapse.model_copy(update={"actor": ANZI_OFFICER})) == (
        "not_permitted"
    )
    state = await step(case_ctx, handle, CaseWorkflow.follow_up, relapse)
    assert state.stage == Stage.home_visit and state.episode == 2 and state.monitoring is None
    assert state.outcome is None and state.closed_at is None and state.due_at is not None
    events = ledger_events(case_ctx, opened.case_no)
    assert [e.type for e in events][-2:] == ["followed_up", "reopened"]
    assert events[-1].payload == {"reason": "relapse", "episode": 2}
    row = ledger_row(case_ctx, opened.case_no)
    assert row.episode == 2 and row.stage == "home_visit" and row.next_check_at is None
    # The second episode runs the same path again.
    await step(case_ctx, handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed))


async def test_disability_path(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.disability, actor=CHIEF)
    handle = await handle_of(case_ctx, opened.workflow_id)
    await step(
        case_ctx,
        handle,
        CaseWorkflow.visit,
        VisitInput(actor=OFFICER, finding=Finding.confirmed, disability_category="智力", can_attend=False),
    )
    await step(
        case_ctx,
        handle,
        CaseWorkflow.plan,
        PlanInput(actor=OFFICER, target_date=TOMORROW, arrangement=Arrangement.home_delivery, procedure="送教上门申请"),
    )
    await step(case_ctx, handle, CaseWorkflow.confirm, ConfirmInput(actor=OFFICER, evidence=("首次送教记录",)))
    state = await step(case_ctx, handle, CaseWorkflow.close, CloseInput(actor=COUNTY))
    assert state.outcome == Outcome.arranged


async def test_funding_path(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.funding)
    handle = await handle_of(case_ctx, opened.workflow_id)
    await step(
        case_ctx,
        handle,
        CaseWorkflow.visit,
        VisitInput(
            actor=OFFICER,
            finding=Finding.confirmed,
            household_verified=True,
            education_level=EducationLevel.senior_high,
            aid_due=True,
        ),
    )
    await step(
        case_ctx,
        handle,
        CaseWorkflow.plan,
        PlanInput(
            actor=OFFICER,
            target_date=TOMORROW,
            aid_items=(AidItem(item="国家助学金", amount=Decimal("1000")),),
            channel=AidChannel.person,
        ),
    )
    await step(
        case_ctx,
        handle,
        CaseWorkflow.confirm,
        ConfirmInput(actor=OFFICER, evidence=("回执-001",), delivered_to=AidChannel.person),
    )
    state = await step(case_ctx, handle, CaseWorkflow.close, CloseInput(actor=OFFICE_HEAD))
    assert state.outcome == Outcome.aid_delivered


async def test_excluded_goes_straight_to_closure(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    state = await step(
        case_ctx,
        handle,
        CaseWorkflow.visit,
        VisitInput(actor=CHIEF, finding=Finding.excluded, exclude_reason=ExcludeReason.enrolled_elsewhere, **ELSEWHERE),
    )
    assert state.stage == Stage.closure and state.outcome == Outcome.excluded
    assert await refused(handle, CaseWorkflow.close, CloseInput(actor=CHIEF)) == "four_eyes"
    state = await step(case_ctx, handle, CaseWorkflow.close, CloseInput(actor=OFFICE_HEAD))
    assert state.stage == Stage.closed and state.outcome == Outcome.excluded


async def test_the_township_lead_closes_its_own_townships_cases(case_ctx: Context) -> None:
    """乡镇教育管理中心负责人: acts in its township, closes what its case officer confirmed, is
    refused elsewhere, and never closes what it confirmed itself."""
    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    await step(case_ctx, handle, CaseWorkflow.visit, VisitInput(actor=LEAD, finding=Finding.confirmed))
    plan = PlanInput(actor=OFFICER, target_date=TOMORROW, placement=Placement.original_school)
    await step(case_ctx, handle, CaseWorkflow.plan, plan)
    await step(case_ctx, handle, CaseWorkflow.confirm, ConfirmInput(actor=OFFICER, school="某校", evidence=("证明",)))
    assert await refused(handle, CaseWorkflow.close, CloseInput(actor=ANZI_LEAD)) == "not_permitted"
    state = await step(case_ctx, handle, CaseWorkflow.close, CloseInput(actor=LEAD, note="同意销号"))
    assert state.stage == Stage.closed

    other = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, other.workflow_id)
    excluded = VisitInput(actor=LEAD, finding=Finding.excluded, exclude_reason=ExcludeReason.moved_out, **ELSEWHERE)
    await step(case_ctx, handle, CaseWorkflow.visit, excluded)
    assert await refused(handle, CaseWorkflow.close, CloseInput(actor=LEAD)) == "four_eyes"


async def test_a_child_not_found_stays_open_and_flagged_and_an_exclusion_needs_proof(case_ctx: Context) -> None:
    """下落不明 is not an exclusion: the case stays at the home visit, flagged in the ledger, its
    stage's due time unchanged, until a visit finds the child. Excluding as 死亡 without an
    evidence file is refused; with one it waits for a section chief (the township lead may not
    close it), and the report counts it by its reason."""
    from starter.case_service import resolve_campaign
    from starter.report_service import build_report

    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    before = await handle.query(CaseWorkflow.current)
    lost = VisitInput(actor=OFFICER, finding=Finding.whereabouts_unknown, note="全家外出，邻居不知去向")
    state = await step(case_ctx, handle, CaseWorkflow.visit, lost)
    assert (state.stage, state.whereabouts_unknown, state.due_at) == (Stage.home_visit, True, before.due_at)
    assert ledger_row(case_ctx, opened.case_no).whereabouts_unknown is True
    dead = VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason=ExcludeReason.deceased)
    assert await refused(handle, CaseWorkflow.visit, dead) == "exclusion_evidence"
    proven = VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason=ExcludeReason.deceased, **PROOF)
    state = await step(case_ctx, handle, CaseWorkflow.visit, proven)
    assert (state.stage, state.outcome, state.whereabouts_unknown) == (Stage.closure, Outcome.excluded, False)
    assert await refused(handle, CaseWorkflow.close, CloseInput(actor=LEAD)) == "exclusion_closer"
    campaign = resolve_campaign(case_ctx, "pengshui-2026")  # the case's (another module may add a newer one)
    before = build_report(case_ctx, COUNTY, campaign, summary_only=True)["exclusions"]
    state = await step(case_ctx, handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
    assert (state.stage, state.outcome) == (Stage.closed, Outcome.excluded)
    assert ledger_row(case_ctx, opened.case_no).whereabouts_unknown is False
    after = build_report(case_ctx, COUNTY, campaign, summary_only=True)["exclusions"]
    assert {r: after[r] - before[r] for r in after if after[r] != before[r]} == {"deceased": 1}  # by reason


async def test_every_refusal_changes_nothing(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    plan = PlanInput(actor=OFFICER, target_date=TOMORROW, placement=Placement.transfer)
    assert await refused(handle, CaseWorkflow.plan, plan) == "wrong_stage"
    assert (
        await refused(
            handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed, household_verified=True)
        )
        == "wrong_kind"
    )
    assert (
        await refused(handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.excluded))
        == "missing_field"
    )
    assert (
        await refused(handle, CaseWorkflow.visit, VisitInput(actor=ANZI_OFFICER, finding=Finding.confirmed))
        == "not_permitted"
    )
    assert (
        await refused(handle, CaseWorkflow.visit, VisitInput(actor=OTHER_LEADER, finding=Finding.confirmed))
        == "not_permitted"
    )
    await step(case_ctx, handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed))
    past = PlanInput(actor=OFFICER, target_date=dt.date.today() - dt.timedelta(days=2), placement=Placement.transfer)
    assert await refused(handle, CaseWorkflow.plan, past) == "past_date"
    assert (
        await refused(
            handle,
            CaseWorkflow.plan,
            PlanInput(actor=OFFICER, target_date=TOMORROW, arrangement=Arrangement.special_school),
        )
        == "wrong_kind"
    )
    await step(case_ctx, handle, CaseWorkflow.plan, plan)
    assert await refused(handle, CaseWorkflow.confirm, ConfirmInput(actor=OFFICER, school="某校")) == "missing_field"
    await step(case_ctx, handle, CaseWorkflow.confirm, ConfirmInput(actor=CHIEF, school="某校", evidence=("证明",)))
    assert await refused(handle, CaseWorkflow.close, CloseInput(actor=OFFICER)) == "reviewer_role"
    assert await refused(handle, CaseWorkflow.close, CloseInput(actor=CHIEF)) == "four_eyes"
    assert len(ledger_events(case_ctx, opened.case_no)) == 4


async def test_reassign_and_note_at_any_open_stage(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    state = await step(case_ctx, handle, CaseWorkflow.reassign, ReassignInput(actor=CHIEF, to=OTHER_OFFICER))
    assert state.assigned_officer == OTHER_OFFICER.name
    assert (
        await refused(handle, CaseWorkflow.reassign, ReassignInput(actor=CHIEF, to=ANZI_OFFICER)) == "reassign_target"
    )
    state = await step(case_ctx, handle, CaseWorkflow.note, NoteInput(actor=OTHER_OFFICER, text="家长外出务工"))
    assert state.stage == Stage.home_visit
    events = ledger_events(case_ctx, opened.case_no)
    assert [e.type for e in events] == ["opened", "reassigned", "noted"]


async def test_same_child_opens_one_case(case_ctx: Context) -> None:
    child = synthetic_child()
    first = await open_for(case_ctx, CaseKind.dropout, child=child)
    again = await open_for(case_ctx, CaseKind.dropout, child=child, actor=CHIEF)
    other_kind = await open_for(case_ctx, CaseKind.funding, child=child)
    assert first.created and not again.created and other_kind.created
    assert (again.case_no, again.workflow_id) == (first.case_no, first.workflow_id)
    assert other_kind.case_no != first.case_no
    row = ledger_row(case_ctx, first.case_no)
    with case_ctx.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case).where(Case.student_id == row.student_id)) == 2
        student = session.get_one(Student, row.student_id)
        assert child[0] not in student.child_key and len(student.child_key) == 64
        assert child[0].encode() not in student.id_number_enc and child[1].encode() not in student.name_enc
    with pytest.raises(sqlalchemy.exc.IntegrityError), case_ctx.sessions.begin() as session:
        session.add(
            Case(
                id=uuid.uuid4(),
                case_no="dup-1",
                workflow_id=f"case-{uuid.uuid4()}",
                campaign=row.campaign,
                kind=row.kind,
                student_id=row.student_id,
                township=row.township,
                group_no=1,
                stage="home_visit",
                opened_at=row.opened_at,
                roster_version="x",
                chain={},
                last_seq=0,
            )
        )


async def test_two_officers_racing_the_same_step(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    results = await asyncio.gather(
        act(handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed)),
        act(handle, CaseWorkflow.visit, VisitInput(actor=OTHER_OFFICER, finding=Finding.confirmed)),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, CaseState)]
    losers = [r for r in results if isinstance(r, WorkflowUpdateFailedError)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0].cause, ApplicationError)
    assert losers[0].cause.details[0]["code"] == "wrong_stage"
    assert [e.type for e in ledger_events(case_ctx, opened.case_no)] == ["opened", "visited"]


async def test_projection_is_idempotent(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    state = await handle.query(CaseWorkflow.current)
    event = CaseEvent(
        seq=state.last_seq + 1,
        type="noted",
        stage=state.stage,
        actor="x",
        at=dt.datetime.now(dt.UTC),
        details={"text": "t"},
    )
    projection = Projection(
        business_key=f"{state.case_id}:noted:{event.seq}",
        event=event,
        state=state.model_copy(update={"last_seq": event.seq}),
    )
    assert write_projection(case_ctx.sessions, projection, case_ctx.cipher) is True
    assert write_projection(case_ctx.sessions, projection, case_ctx.cipher) is False
    with case_ctx.sessions() as session:
        count = session.scalar(
            select(func.count()).select_from(CaseEventRow).where(CaseEventRow.business_key == projection.business_key)
        )
    assert count == 1
    stale = projection.model_copy(update={"business_key": "other", "event": event.model_copy(update={"seq": 1})})
    with pytest.raises(LedgerAheadError) as refused:  # another event at a number taken: never taken for it
        write_projection(case_ctx.sessions, stale, case_ctx.cipher)
    assert (refused.value.seq, refused.value.ledger_last) == (1, event.seq)
    assert ledger_row(case_ctx, opened.case_no).last_seq == event.seq


async def test_roster_reload_moves_open_cases_to_the_new_chain(case_ctx: Context, tmp_path) -> None:
    import time

    import yaml

    from config import DEFAULT_ROSTER_FILE
    from starter.case_service import reload_roster
    from tests.support.cases import context_for

    opened = await open_for(case_ctx, CaseKind.dropout)
    data = yaml.safe_load(DEFAULT_ROSTER_FILE.read_text(encoding="utf-8"))
    data["version"] = "2026-12-01"
    data["groups"][0]["sections"][2]["section_chief"] = "新科长"
    changed = tmp_path / "roster.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    register_officer(case_ctx, Actor(name="新科长", role=CHIEF.role))
    reloaded = context_for(case_ctx.settings.model_copy(update={"roster_file": changed}))
    signalled, _unchanged = await reload_roster(reloaded)
    assert signalled >= 1
    deadline = time.monotonic() + 15
    while ledger_row(case_ctx, opened.case_no).roster_version != "2026-12-01" and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    row = ledger_row(case_ctx, opened.case_no)
    assert row.roster_version == "2026-12-01" and row.chain["section_chief"] == "新科长"
    assert ledger_events(case_ctx, opened.case_no)[-1].type == "roster_changed"
    handle = await handle_of(case_ctx, opened.workflow_id)
    await step(
        case_ctx,
        handle,
        CaseWorkflow.visit,
        VisitInput(actor=Actor(name="新科长", role=CHIEF.role), finding=Finding.confirmed),
    )
    reloaded.close()


async def test_unsigned_forged_stale_and_unknown_steps_are_rejected(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    visit = VisitInput(actor=OFFICER, finding=Finding.confirmed)
    assert await refused(handle, CaseWorkflow.visit, visit, signed=False) == "unsigned"
    forged = signed_for(handle.id, CaseWorkflow.visit, visit, seq=1, key=actor_key("someone else"))
    assert await refused(handle, CaseWorkflow.visit, forged, signed=False) == "bad_signature"
    stale = signed_for(handle.id, CaseWorkflow.visit, visit, seq=1, at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert await refused(handle, CaseWorkflow.visit, stale, signed=False) == "stale_signature"
    tampered = signed_for(handle.id, CaseWorkflow.visit, visit, seq=1).model_copy(update={"note": "改过"})
    assert await refused(handle, CaseWorkflow.visit, tampered, signed=False) == "bad_signature"
    other_case = signed_for("case-00000000-0000-0000-0000-000000000000", CaseWorkflow.visit, visit, seq=1)
    assert await refused(handle, CaseWorkflow.visit, other_case, signed=False) == "bad_signature"
    stranger = VisitInput(actor=Actor(name="陌生人", role=CHIEF.role), finding=Finding.confirmed)
    assert await refused(handle, CaseWorkflow.visit, stranger) == "not_permitted"
    promoted = VisitInput(actor=Actor(name=OFFICER.name, role=COUNTY.role), finding=Finding.confirmed)
    assert await refused(handle, CaseWorkflow.visit, promoted) == "not_permitted"
    await step(case_ctx, handle, CaseWorkflow.visit, visit)


async def test_retention_anonymises_old_closed_cases_once(case_ctx: Context) -> None:
    from sqlalchemy import update

    from ledger.evidence import store_evidence
    from ledger.models import Case as CaseRow
    from ledger.models import EvidenceFile
    from ledger.retention import ANONYMISED, anonymise

    child = synthetic_child()
    closed = await open_for(case_ctx, CaseKind.dropout, child=child)
    handle = await handle_of(case_ctx, closed.workflow_id)
    await step(
        case_ctx,
        handle,
        CaseWorkflow.visit,
        VisitInput(
            actor=OFFICER,
            finding=Finding.excluded,
            exclude_reason=ExcludeReason.moved_out,
            note="搬去外省",
            **ELSEWHERE,
        ),
    )
    await step(case_ctx, handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=4000)
    with case_ctx.sessions.begin() as session:
        session.execute(update(CaseRow).where(CaseRow.case_no == closed.case_no).values(closed_at=long_ago))
        closed_row = session.scalars(select(CaseRow).where(CaseRow.case_no == closed.case_no)).one()
        photo = store_evidence(
            session,
            cipher=case_ctx.cipher,
            case_id=closed_row.id,
            data=b"%PDF-1.4 retention",
            media_type="application/pdf",
            uploaded_by=OFFICER.name,
        )
        evidence_id = photo.id
    lone = synthetic_child()
    lone_case = await open_for(case_ctx, CaseKind.funding, child=lone)
    lone_handle = await handle_of(case_ctx, lone_case.workflow_id)
    await step(
        case_ctx,
        lone_handle,
        CaseWorkflow.visit,
        VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason=ExcludeReason.duplicate, **PROOF),
    )
    await step(case_ctx, lone_handle, CaseWorkflow.close, CloseInput(actor=CHIEF))
    with case_ctx.sessions.begin() as session:
        session.execute(update(CaseRow).where(CaseRow.case_no == lone_case.case_no).values(closed_at=long_ago))
    still_open = await open_for(case_ctx, CaseKind.funding, child=child)

    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=3000)
    now = dt.datetime.now(dt.UTC)
    with case_ctx.sessions.begin() as session:
        dry = anonymise(session, cipher=case_ctx.cipher, cutoff=cutoff, now=now, dry_run=True)
    with case_ctx.sessions.begin() as session:
        done = anonymise(session, cipher=case_ctx.cipher, cutoff=cutoff, now=now, dry_run=False)
    assert dry == done and done.cases >= 2
    with case_ctx.sessions.begin() as session:
        assert anonymise(session, cipher=case_ctx.cipher, cutoff=cutoff, now=now, dry_run=False).cases == 0
    with case_ctx.sessions() as session:
        lone_row = session.scalars(select(Case).where(Case.case_no == lone_case.case_no)).one()
        lone_student = session.get_one(Student, lone_row.student_id)
        kept = session.get_one(
            Student, session.scalars(select(Case.student_id).where(Case.case_no == still_open.case_no)).one()
        )
        events = session.scalars(
            select(CaseEventRow)
            .where(CaseEventRow.case_id == ledger_row(case_ctx, closed.case_no).id)
            .order_by(CaseEventRow.seq)
        ).all()
    assert lone_student.id_masked == ANONYMISED and lone_student.name_enc == b"" and lone_row.anonymised_at
    with case_ctx.sessions() as session:
        erased = session.get_one(EvidenceFile, evidence_id)
    assert erased.blob_enc is None and erased.erased_at is not None and len(erased.sha256) == 64
    assert kept.id_masked != ANONYMISED  # the same child has an open case: kept
    assert all(e.payload_enc is None for e in events) and [e.type for e in events][:2] == ["opened", "visited"]


async def test_a_step_signed_for_an_earlier_state_of_the_case_is_refused(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    captured = signed_for(handle.id, CaseWorkflow.note, NoteInput(actor=OFFICER, text="第一条"), seq=1)
    await handle.execute_update(CaseWorkflow.note, captured)
    assert await refused(handle, CaseWorkflow.note, captured, signed=False) == "stale_step"
    ahead = signed_for(handle.id, CaseWorkflow.note, NoteInput(actor=OFFICER, text="超前"), seq=9)
    assert await refused(handle, CaseWorkflow.note, ahead, signed=False) == "stale_step"


async def test_only_the_service_key_changes_who_may_act(case_ctx: Context) -> None:
    """A client with raw Temporal access (here even with the codec keyring) cannot add a key or
    change the chain; the same change signed by the server's service key is accepted."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from domain.actors import Chain
    from domain.enums import Role
    from domain.signing import ChainUpdate, OfficerKey, RegistryUpdate, public_key_of

    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    before = await handle.query(CaseWorkflow.current)
    intruder = Ed25519PrivateKey.generate()
    fake = Actor(id=990001, name="朱洪斌", role=Role.group_leader)
    entry = OfficerKey(id=fake.id, name=fake.name, role=fake.role, public_key=public_key_of(intruder))
    now = dt.datetime.now(dt.UTC)
    forged = RegistryUpdate(case_id=opened.case_id, issued_at=now, officers={f"#{fake.id}": entry})
    await handle.signal(CaseWorkflow.update_officers, forged)
    await handle.signal(CaseWorkflow.update_officers, forged.signed_with(intruder))
    await handle.signal("update_officers", {f"#{fake.id}": entry.model_dump(mode="json")})
    new_chain = Chain(section_chief="冒充", office_head="冒充", group_leader="冒充", roster_version="x")
    chain_change = ChainUpdate(case_id=opened.case_id, issued_at=now, chain=new_chain)
    await handle.signal(CaseWorkflow.update_chain, chain_change.signed_with(intruder))

    note = NoteInput(actor=fake, text="冒充者的备注")
    sent = signed_for(handle.id, CaseWorkflow.note, note, seq=before.last_seq, key=intruder)
    assert await refused(handle, CaseWorkflow.note, sent, signed=False) == "not_permitted"
    assert (await handle.query(CaseWorkflow.current)).chain == before.chain

    await handle.signal(CaseWorkflow.update_officers, forged.signed_with(case_ctx.service_key))
    state = await handle.execute_update(CaseWorkflow.note, sent)
    assert state.last_seq == before.last_seq + 1


async def test_a_step_the_case_cannot_take_in_time_is_answered_not_left_hanging(
    case_ctx: Context, dev_env: WorkflowEnvironment
) -> None:
    """No worker polls this case's task queue: the step is answered within its bound (exit 1)."""
    import time

    from domain.case import CaseStart
    from ledger.models import Case as CaseRow
    from starter.case_service import send_step
    from starter.errors import CliError

    opened = await open_for(case_ctx, CaseKind.dropout)
    start = (await handle_of(case_ctx, opened.workflow_id)).query
    state = await start(CaseWorkflow.current)
    stranded = f"case-stranded-{uuid.uuid4()}"
    await dev_env.client.start_workflow(
        CaseWorkflow.run,
        CaseStart(
            case_id=stranded.removeprefix("case-"),
            case_no="2099-999999",
            campaign=state.campaign,
            kind=state.kind,
            township=state.township,
            group=state.group,
            chain=state.chain,
            opened_by=OFFICER,
            opened_at=state.opened_at,
        ),
        id=stranded,
        task_queue="nobody-polls-this",
    )
    note = signed_for(stranded, CaseWorkflow.note, NoteInput(actor=OFFICER, text="无人接收"), seq=0)
    began = time.monotonic()
    with pytest.raises(CliError) as raised:
        await send_step(case_ctx, CaseRow(workflow_id=stranded), CaseWorkflow.note, note, within=2)
    assert time.monotonic() - began < 10 and raised.value.exit_code == 1


async def test_verify_finds_and_repairs_a_lagging_ledger_and_a_terminated_case(case_ctx: Context) -> None:
    from sqlalchemy import delete, text, update

    from ledger.models import Case as CaseRow
    from starter.verify import verify_cases

    lagging = await open_for(case_ctx, CaseKind.dropout)
    lag_handle = await handle_of(case_ctx, lagging.workflow_id)
    await step(case_ctx, lag_handle, CaseWorkflow.note, NoteInput(actor=OFFICER, text="第一条"))
    with case_ctx.sessions.begin() as session:
        row = session.scalars(select(CaseRow).where(CaseRow.case_no == lagging.case_no)).one()
        # A write the ledger lost: only the owner, with the append-only trigger off, can do this.
        session.execute(text("ALTER TABLE case_events DISABLE TRIGGER case_events_append_only"))
        session.execute(delete(CaseEventRow).where(CaseEventRow.case_id == row.id, CaseEventRow.seq == 2))
        session.execute(text("ALTER TABLE case_events ENABLE TRIGGER case_events_append_only"))
        session.execute(update(CaseRow).where(CaseRow.id == row.id).values(last_seq=1))
    ended = await open_for(case_ctx, CaseKind.dropout)
    await (await handle_of(case_ctx, ended.workflow_id)).terminate("测试：模拟误操作")
    only = [lagging.case_no, ended.case_no]

    checked, found = await verify_cases(case_ctx, repair=False, actor=COUNTY, only=only)
    assert checked == 2
    assert {(d.case_no, d.problem) for d in found} == {
        (lagging.case_no, "ledger_behind"),
        (ended.case_no, "workflow_ended"),
    }
    assert not any(d.repaired for d in found)

    _checked, repaired = await verify_cases(case_ctx, repair=True, actor=COUNTY, only=only)
    assert all(d.repaired for d in repaired) and len(repaired) == 2
    assert [e.type for e in ledger_events(case_ctx, lagging.case_no)] == ["opened", "noted"]
    restored = await handle_of(case_ctx, ended.workflow_id)
    deadline = time.monotonic() + 15
    while [e.type for e in ledger_events(case_ctx, ended.case_no)][-1:] != ["restored"]:
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)
    state = await step(case_ctx, restored, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed))
    assert state.stage == Stage.return_plan and state.last_seq == 3
    _checked, clean = await verify_cases(case_ctx, repair=False, actor=COUNTY, only=only)
    assert clean == []


async def test_the_kept_list_says_what_case_summary_says_and_follows_every_step(case_ctx: Context) -> None:
    """`/api/cases` keeps each case's JSON by (case, last_seq) (starter/case_list.py); a case shown
    alone is `case_summary`. Both must say the same of every case — times to the microsecond and
    in whole seconds, none, priorities, a watched closed case, overdue or not — and a case that
    takes a step is listed anew, never from what was kept."""
    import json

    from sqlalchemy import update

    from ledger.cases import CaseFilter, list_cases
    from starter.case_list import CaseListCache, case_summary

    campaign = f"list-json-{uuid.uuid4().hex[:8]}"
    opened = [await open_for(case_ctx, CaseKind.dropout) for _ in range(4)]
    now = dt.datetime.now(dt.UTC)
    variants: list[dict[str, Any]] = [
        {"due_at": now - dt.timedelta(days=2, microseconds=-123), "priority": "orphan,left_behind"},
        {"due_at": now.replace(microsecond=0) + dt.timedelta(days=3), "escalation_level": 1},
        {
            "stage": "closed",
            "due_at": now - dt.timedelta(days=1),
            "closed_at": now.replace(microsecond=0),
            "outcome": "returned",
            "next_check_at": now.replace(microsecond=0) + dt.timedelta(days=30),
            "checks_done": 1,
            "checks_left": 3,
            "chain": {"section_chief": "张科长", "group_leader": "组长甲"},
        },
        {"due_at": None, "next_escalation_at": None, "poverty_risk": True, "reason": "never_enrolled"},
    ]
    with case_ctx.sessions.begin() as session:
        for case, values in zip(opened, variants, strict=True):
            session.execute(update(Case).where(Case.case_no == case.case_no).values(campaign=campaign, **values))
    kept = CaseListCache()

    def listed_and_expected(where: CaseFilter) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        with case_ctx.sessions() as session:
            built = json.loads(kept.json(session, where=where, now=now))
            return built, [case_summary(case, now=now) for case in list_cases(session, where=where)]

    for where in (CaseFilter(campaign=campaign), CaseFilter(campaign=campaign, overdue_at=now)):
        built, expected = listed_and_expected(where)
        assert built == expected and len(built) == (4 if where.overdue_at is None else 2)
    assert kept.built == 4, "the overdue list is made of the summaries kept for the first"

    handle = await handle_of(case_ctx, opened[1].workflow_id)
    await step(case_ctx, handle, CaseWorkflow.note, NoteInput(actor=OFFICER, text="列表要跟上"))
    built, expected = listed_and_expected(CaseFilter(campaign=campaign))
    assert built == expected and kept.built == 5
    assert next(c for c in built if c["case_no"] == opened[1].case_no)["escalation_level"] is None


async def test_a_new_case_opens_without_telling_temporal_what_it_knows(case_ctx: Context) -> None:
    """Generation 5: the opening stage is due from the ledger's opened_at, the start names that
    stage and due time as search attributes, and the first task records neither a patch marker
    (the seal vouches for the generation) nor an upsert."""
    from domain.stage_machine import stage_due
    from starter.case_service import calendar_for, resolve_campaign
    from workflows.search_attributes import CASE_STAGE, STAGE_DUE_AT

    opened = await open_for(case_ctx, CaseKind.dropout)
    handle = await handle_of(case_ctx, opened.workflow_id)
    state = await handle.query(CaseWorkflow.current)
    row = ledger_row(case_ctx, opened.case_no)
    campaign = resolve_campaign(case_ctx, row.campaign)
    budget = campaign.durations_for(CaseKind.dropout, priority=False)[Stage.home_visit]
    due = stage_due(row.opened_at, budget, calendar_for(campaign, row.opened_at), campaign.clearance_deadline)
    assert state.stage == Stage.home_visit and state.due_at == due.at
    described = await handle.describe()
    assert described.typed_search_attributes.get(CASE_STAGE) == Stage.home_visit.value
    assert described.typed_search_attributes.get(STAGE_DUE_AT) == state.due_at
    events = [event.WhichOneof("attributes") for event in (await handle.fetch_history()).events]
    assert "upsert_workflow_search_attributes_event_attributes" not in events
    markers = [e for e in (await handle.fetch_history()).events if e.HasField("marker_recorded_event_attributes")]
    assert [m.marker_recorded_event_attributes.marker_name for m in markers] == ["core_local_activity"]
