"""The ladder on the time-skipping server: days of escalation in seconds, with the real ledger."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.notify import deliver
from config.holidays import work_calendar
from config.settings import Settings
from domain.campaign import CampaignSpec, EscalationPolicy
from domain.case import Delivery, Projection
from domain.enums import CaseKind, Finding, Stage
from domain.registers import RegisterKind
from domain.steps import VisitInput
from domain.work_calendar import CHINA, add_working_time
from ledger.campaigns import upsert_campaign
from ledger.models import Case, Notification
from ledger.officers import save_officer
from ledger.projection import write_projection
from starter.context import Context
from tests.conftest import TEST_KEYRING, TEST_SERVICE_KEY
from tests.support.cases import (
    ANZI_LEAD,
    CHIEF,
    LEAD,
    OFFICE_HEAD,
    OFFICER,
    OTHER_LEADER,
    act,
    context_for,
    ledger_events,
    ledger_row,
    open_for,
    register_test_officers,
    row_matches_state,
)
from tests.support.webhook import webhook
from workflows.case import CaseWorkflow

DAY = dt.timedelta(days=1)
LADDER = EscalationPolicy(level1_after=2 * DAY, level2_after=5 * DAY, repeat_every=DAY)


@pytest.fixture(scope="module")
async def ladder_ctx(skipping_env: WorkflowEnvironment, database_url: str, tmp_path_factory) -> AsyncIterator[Context]:
    from worker import activities_for
    from workflows.registry import ALL_WORKFLOWS, workflow_runner

    settings = Settings(
        temporal_address=skipping_env.client.service_client.config.target_host,
        database_url=database_url,
        task_queue="baoxue-test-ladder",
        secret_key="33" * 32,
        codec_keys=TEST_KEYRING.dumps(),
        service_key=TEST_SERVICE_KEY,
        data_dir=tmp_path_factory.mktemp("ladder"),
    )
    ctx = context_for(settings)
    register_test_officers(ctx)
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    with ctx.sessions.begin() as session:
        upsert_campaign(
            session,
            spec=CampaignSpec(
                name="ladder",
                reference_date=dt.date(2026, 9, 1),
                clearance_deadline=far,
                calendar="calendar",
                stages={
                    Stage.home_visit: 3 * DAY,
                    Stage.return_plan: 5 * DAY,
                    Stage.return_confirmation: 15 * DAY,
                    Stage.closure: 3 * DAY,
                },
                escalation=LADDER,
                priority={Stage.home_visit: DAY},
            ),
        )
        save_officer(session, name=OFFICER.name, role="case_officer", township="梅子垭镇", notify_urls=[])
    built = activities_for(settings)
    async with Worker(
        skipping_env.client,
        task_queue=settings.task_queue,
        workflows=ALL_WORKFLOWS,
        workflow_runner=workflow_runner(),
        activities=built.activities,
        activity_executor=built.executor,
    ):
        yield ctx
        # Left running, their timers would stall time skipping for every later test on this server.
        with ctx.sessions() as session:
            workflow_ids = list(
                session.scalars(
                    select(Case.workflow_id).where(
                        Case.campaign.in_(("ladder", "deadline", "ladder-home", "ladder-sample"))
                    )
                )
            )
        for workflow_id in workflow_ids:
            with contextlib.suppress(Exception):
                await skipping_env.client.get_workflow_handle(workflow_id).terminate("test over")
    built.close()
    ctx.close()


def escalations(ctx: Context, case_no: str) -> list[tuple[int, str, list[str]]]:
    return [
        (e.payload["level"], e.stage, e.payload["recipients"])
        for e in ledger_events(ctx, case_no)
        if e.type == "escalated"
    ]


async def test_full_ladder_at_home_visit(skipping_env: WorkflowEnvironment, ladder_ctx: Context) -> None:
    opened = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    await skipping_env.sleep(3 * DAY - dt.timedelta(minutes=1))
    assert escalations(ladder_ctx, opened.case_no) == []
    await skipping_env.sleep(dt.timedelta(minutes=2))
    assert escalations(ladder_ctx, opened.case_no) == [(0, "home_visit", [OFFICER.name, LEAD.name])]
    await skipping_env.sleep(2 * DAY)
    await skipping_env.sleep(3 * DAY)
    await skipping_env.sleep(2 * DAY)
    assert escalations(ladder_ctx, opened.case_no) == [
        (0, "home_visit", [OFFICER.name, LEAD.name]),  # the township's lead copied at level 0
        (1, "home_visit", ["汪贤梁", "陈明凡"]),
        (2, "home_visit", ["朱洪斌"]),
        (2, "home_visit", ["朱洪斌"]),
        (2, "home_visit", ["朱洪斌"]),
    ]
    row = ledger_row(ladder_ctx, opened.case_no)
    assert row.escalation_level == 2 and row.next_escalation_at > row.due_at
    with ladder_ctx.sessions() as session:
        recipients = sorted(session.scalars(select(Notification.recipient).where(Notification.case_id == row.id)))
    assert recipients == sorted([OFFICER.name, LEAD.name, "汪贤梁", "陈明凡", "朱洪斌", "朱洪斌", "朱洪斌"])


async def test_a_priority_child_is_due_sooner_than_an_ordinary_one(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context, tmp_path: Path
) -> None:
    """The orphan (on the priority register) is reminded after the campaign's priority budget of
    one day; the ordinary child of the same campaign only after three."""
    from domain.id_number import make_id_number
    from starter.case_service import resolve_campaign
    from starter.discovery_service import import_register

    orphan = make_id_number("500243", dt.date(2014, 5, 6), 731)
    register = tmp_path / "priority.csv"
    register.write_text(f"姓名,身份证号,类别\n孤小明,{orphan},孤儿\n", encoding="utf-8")
    spec = resolve_campaign(ladder_ctx, "ladder")
    import_register(ladder_ctx, kind=RegisterKind.priority, path=register, campaign=spec, sheet=None, imported_by="t")
    priority = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder", child=(orphan, "孤小明"))
    ordinary = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    assert ledger_row(ladder_ctx, priority.case_no).priority == "orphan"
    await skipping_env.sleep(DAY + dt.timedelta(minutes=2))
    assert [level for level, *_ in escalations(ladder_ctx, priority.case_no)] == [0]
    assert escalations(ladder_ctx, ordinary.case_no) == []
    await skipping_env.sleep(2 * DAY)
    assert [level for level, *_ in escalations(ladder_ctx, ordinary.case_no)] == [0]


async def test_the_ladder_ends_after_repeat_max_and_the_case_is_stalled(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """repeat_max 5: level 0, level 1, level 2 and five repeats, then quiet and stalled; the step
    clears it. (The calendar campaign counts plain days.)"""
    opened = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
    await skipping_env.sleep(40 * DAY)
    levels = [level for level, _stage, _who in escalations(ladder_ctx, opened.case_no)]
    assert levels == [0, 1, 2, 2, 2, 2, 2, 2]
    row = ledger_row(ladder_ctx, opened.case_no)
    assert row.stalled is True and row.next_escalation_at - row.due_at > 300 * DAY  # only the deadline left
    await skipping_env.sleep(40 * DAY)
    assert len(escalations(ladder_ctx, opened.case_no)) == 8
    history = await handle.fetch_history()
    assert len(history.events) < 300
    await act(
        handle,
        CaseWorkflow.visit,
        VisitInput(actor=OFFICER, finding=Finding.confirmed),
        at=await skipping_env.get_current_time(),
    )
    assert ledger_row(ladder_ctx, opened.case_no).stalled is False


async def test_a_long_case_continues_as_new_and_loses_nothing(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """A run continues as new when its history grows long: the case keeps its state, its ladder
    position and its registry; the ledger's events stay one a seq, none lost, none twice."""
    short = context_for(ladder_ctx.settings.model_copy(update={"continue_after_events": 40}))
    opened = await open_for(short, CaseKind.dropout, campaign="ladder")
    handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
    await skipping_env.sleep(40 * DAY)
    latest = await handle.fetch_history()
    started = latest.events[0].workflow_execution_started_event_attributes
    assert started.continued_execution_run_id, "the run did not continue as new"
    assert len(latest.events) < 120
    assert [level for level, _stage, _who in escalations(ladder_ctx, opened.case_no)] == [0, 1, 2, 2, 2, 2, 2, 2]
    state = await handle.query(CaseWorkflow.current)
    row_matches_state(ledger_row(ladder_ctx, opened.case_no), state)
    visited = await act(
        handle,
        CaseWorkflow.visit,
        VisitInput(actor=OFFICER, finding=Finding.confirmed),
        at=await skipping_env.get_current_time(),
    )
    assert visited.stage == Stage.return_plan
    seqs = [e.seq for e in ledger_events(ladder_ctx, opened.case_no)]
    assert seqs == list(range(1, len(seqs) + 1))
    short.close()


async def test_each_stage_has_its_ladder_and_doing_the_step_ends_it(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    opened = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
    await skipping_env.sleep(2 * DAY)
    await act(
        handle,
        CaseWorkflow.visit,
        VisitInput(actor=OFFICER, finding=Finding.confirmed),
        at=await skipping_env.get_current_time(),
    )
    await skipping_env.sleep(4 * DAY)
    assert escalations(ladder_ctx, opened.case_no) == []
    await skipping_env.sleep(2 * DAY)
    assert escalations(ladder_ctx, opened.case_no) == [(0, "return_plan", [OFFICER.name, LEAD.name])]
    await skipping_env.sleep(2 * DAY)
    await skipping_env.sleep(dt.timedelta(days=2, hours=12))
    assert [level for level, stage, _ in escalations(ladder_ctx, opened.case_no)] == [0, 1, 2]
    state = await handle.query(CaseWorkflow.current)
    assert state.escalation_level == 2 and state.stage == Stage.return_plan


async def test_clearance_deadline_escalates_every_open_case(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    now = await skipping_env.get_current_time()
    deadline = now.replace(microsecond=0) + dt.timedelta(days=2)
    with ladder_ctx.sessions.begin() as session:
        upsert_campaign(
            session,
            spec=CampaignSpec(
                name="deadline",
                reference_date=dt.date(2026, 9, 1),
                clearance_deadline=deadline,
                calendar="calendar",
                stages={
                    stage: 30 * DAY
                    for stage in (Stage.home_visit, Stage.return_plan, Stage.return_confirmation, Stage.closure)
                },
                escalation=LADDER,
            ),
        )
    first = await open_for(ladder_ctx, CaseKind.dropout, campaign="deadline")
    second = await open_for(ladder_ctx, CaseKind.funding, campaign="deadline", actor=OFFICER)
    for opened in (first, second):
        # A 30-day stage two days before the deadline is due at the deadline, and says so.
        row = ledger_row(ladder_ctx, opened.case_no)
        assert row.due_at == deadline and row.due_capped
    await skipping_env.sleep(3 * DAY)
    for opened in (first, second):
        climbed = escalations(ladder_ctx, opened.case_no)
        assert (2, "home_visit", ["朱洪斌"]) in climbed and climbed[0][0] == 0, climbed
        row = ledger_row(ladder_ctx, opened.case_no)
        assert row.missed_deadline and row.escalation_level == 2
    escalated = [e for e in ledger_events(ladder_ctx, first.case_no) if e.type == "escalated"]
    rung, event = escalated[:2]
    assert (rung.payload["reason"], event.payload["reason"]) == ("overdue", "clearance_deadline")
    assert deadline <= event.at <= deadline + dt.timedelta(minutes=3)  # spread, not all at once
    # The stage was due at the deadline: its rung waits for the case's moment in the spread and
    # goes out in the same wake (generation 6), one projection, one delivery of both.
    assert rung.at == event.at and event.seq == rung.seq + 1 and "late" not in rung.payload
    with ladder_ctx.sessions() as session:
        told = session.execute(
            select(Notification.event_seq, Notification.status).where(Notification.case_id == rung.case_id)
        ).all()
    assert {seq for seq, _status in told} >= {rung.seq, event.seq}, told
    history = await skipping_env.client.get_workflow_handle(first.workflow_id).fetch_history()
    fired = [e for e in history.events if e.HasField("timer_fired_event_attributes")]
    assert len(fired) == len({e.at for e in escalated}), (len(fired), [(e.seq, e.at) for e in escalated])
    # Each wake's notices go out from the local activity that projects it (generation 7): one
    # local activity a wake, no delivery activity after it when nothing failed.
    ran = local_activities(history)
    assert ran.count("project_and_deliver") == len(fired) and "deliver_escalation" not in ran, ran


async def test_a_notice_that_fails_from_the_projection_is_retried_by_the_delivery_activity(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """A rung whose notice the projecting local activity could not send (the officer's server
    answers 500 once): the row is recorded failed and the case starts its delivery activity, which
    sends it; the projection is not undone nor the notice sent twice."""
    import http.server
    import threading

    from tests.support.cases import COUNTY

    received: list[int] = []

    class OnceDown(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(500 if not received else 200)
            self.send_response(received[-1])
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OnceDown)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with ladder_ctx.sessions.begin() as session:
            save_officer(
                session, name="桑柘投递测试员", role="case_officer", township="桑柘镇",
                notify_urls=[f"json://127.0.0.1:{server.server_address[1]}/once"],
            )  # fmt: skip
        opened = await open_for(ladder_ctx, CaseKind.dropout, actor=COUNTY, township="桑柘镇", campaign="ladder")
        handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
        await skipping_env.sleep(4 * DAY)
    finally:
        server.shutdown()
    row = ledger_row(ladder_ctx, opened.case_no)
    with ladder_ctx.sessions() as session:
        tried = session.execute(
            select(Notification.status, Notification.attempts).where(
                Notification.case_id == row.id, Notification.recipient == "桑柘投递测试员"
            )
        ).all()
    assert tried == [("sent", 2)] and received == [500, 200], (tried, received)
    ran = local_activities(await handle.fetch_history())
    assert ran.index("deliver_escalation") == ran.index("project_and_deliver") + 1, ran


def local_activities(history: Any) -> list[str]:
    """The activity type of each local activity a history's markers record, in order."""
    import json

    ran = []
    for event in history.events:
        if event.HasField("marker_recorded_event_attributes"):
            data = event.marker_recorded_event_attributes.details.get("data")
            if data is not None and data.payloads:
                ran.append(json.loads(data.payloads[0].data).get("activity_type"))
    return ran


def test_the_deadline_wakes_cases_spread_over_three_minutes() -> None:
    import uuid

    from workflows.escalation import deadline_spread

    spreads = [deadline_spread(str(uuid.uuid4())) for _ in range(500)]
    assert all(dt.timedelta(0) <= s < dt.timedelta(minutes=3) for s in spreads)
    assert max(spreads) - min(spreads) > dt.timedelta(minutes=2, seconds=50)
    assert deadline_spread("case-x") == deadline_spread("case-x")


def test_due_across_national_day_and_a_makeup_saturday() -> None:
    calendar = work_calendar(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    tuesday = dt.datetime(2025, 9, 30, 10, tzinfo=CHINA)
    # 10月1日–8日 off; Thu 9th, Fri 10th, then Sat 11th is a make-up workday.
    assert add_working_time(tuesday, 3 * DAY, calendar) == dt.datetime(2025, 10, 11, 10, tzinfo=CHINA)
    friday = dt.datetime(2025, 9, 26, 16, tzinfo=CHINA)
    assert add_working_time(friday, DAY, calendar) == dt.datetime(2025, 9, 28, 16, tzinfo=CHINA)
    assert add_working_time(friday, dt.timedelta(hours=8), calendar) == friday + dt.timedelta(hours=8)
    assert add_working_time(tuesday, 3 * DAY, None) == tuesday + 3 * DAY


def test_beyond_the_known_years_weekends_only() -> None:
    calendar = work_calendar(dt.date(2099, 1, 1), dt.date(2099, 12, 31))
    friday = dt.datetime(2099, 10, 2, 9, tzinfo=CHINA)
    assert add_working_time(friday, DAY, calendar) == dt.datetime(2099, 10, 5, 9, tzinfo=CHINA)


async def test_retried_activities_leave_one_outbox_row_and_send_once(case_ctx: Context) -> None:
    opened = await open_for(case_ctx, CaseKind.dropout)
    row = ledger_row(case_ctx, opened.case_no)
    with case_ctx.sessions.begin() as session:
        save_officer(
            session,
            name="通知测试员",
            role="case_officer",
            township="梅子垭镇",
            notify_urls=["json://127.0.0.1:9/never"],
        )
    from domain.case import CaseEvent, CaseState
    from domain.enums import EventType

    state = CaseState.model_validate({**(await _state(case_ctx, opened.workflow_id)), "last_seq": 99})
    event = CaseEvent(
        seq=99,
        type=EventType.escalated,
        stage=Stage.home_visit,
        actor="system",
        at=dt.datetime.now(dt.UTC),
        details={"level": 1, "reason": "overdue", "recipients": ["通知测试员"], "overdue_seconds": 90},
    )
    projection = Projection(business_key=f"{state.case_id}:escalated:99", event=event, state=state)
    write_projection(case_ctx.sessions, projection, case_ctx.cipher)
    write_projection(case_ctx.sessions, projection, case_ctx.cipher)
    attempts: list[str] = []

    def flaky(urls: list[str], title: str, body: str) -> tuple[bool, str | None]:
        attempts.append(body)
        return (len(attempts) > 1, None if len(attempts) > 1 else "connection refused")

    delivery = Delivery(case_id=str(row.id), case_no=row.case_no, event_seq=99)
    with pytest.raises(Exception, match="failed"):
        deliver(case_ctx.sessions, delivery, flaky)
    deliver(case_ctx.sessions, delivery, flaky)
    deliver(case_ctx.sessions, delivery, flaky)
    with case_ctx.sessions() as session:
        rows = list(
            session.scalars(select(Notification).where(Notification.case_id == row.id, Notification.event_seq == 99))
        )
        total = session.scalar(select(func.count()).select_from(Notification).where(Notification.case_id == row.id))
    assert total == 1 and len(rows) == 1
    assert rows[0].status == "sent" and rows[0].attempts == 2 and len(attempts) == 2
    assert opened.case_no in attempts[0] and "梅子垭镇" in attempts[0] and "1分钟" in attempts[0]


async def _state(ctx: Context, workflow_id: str) -> dict:
    from config.temporal_client import connect_temporal

    client = await connect_temporal(ctx.settings)
    state = await client.get_workflow_handle(workflow_id).query(CaseWorkflow.current)
    return state.model_dump()


async def test_reminder_reaches_a_local_webhook(case_ctx: Context) -> None:
    from activities.notify import apprise_send

    with webhook() as (port, received):
        ok, error = apprise_send(
            [f"json://127.0.0.1:{port}/baoxue/{uuid.uuid4().hex}"], "控辍保学催办", "案件 X 已逾期"
        )
    assert ok, error
    assert len(received) == 1
    assert received[0]["message"] == "案件 X 已逾期" and received[0]["title"] == "控辍保学催办"


async def _close(skipping_env: WorkflowEnvironment, handle, kind: CaseKind, **plan: object) -> None:
    from domain.enums import Placement
    from domain.steps import CloseInput, ConfirmInput, PlanInput
    from tests.support.cases import CHIEF

    now = await skipping_env.get_current_time()
    target = now.date() + dt.timedelta(days=20)
    visit = {"disability_category": "肢体"} if kind == CaseKind.disability else {}
    await act(handle, CaseWorkflow.visit, VisitInput(actor=OFFICER, finding=Finding.confirmed, **visit), at=now)
    fields = plan or {"placement": Placement.original_school}
    await act(handle, CaseWorkflow.plan, PlanInput(actor=OFFICER, target_date=target, **fields), at=now)
    school = {"school": "梅子垭镇中心校"} if kind == CaseKind.dropout else {}
    await act(handle, CaseWorkflow.confirm, ConfirmInput(actor=OFFICER, evidence=("证明",), **school), at=now)
    await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF), at=now)


async def test_a_missed_follow_up_check_escalates(skipping_env: WorkflowEnvironment, ladder_ctx: Context) -> None:
    opened = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
    await _close(skipping_env, handle, CaseKind.dropout)
    await skipping_env.sleep(34 * DAY)  # the first check (30 days) is due 5 days later
    assert escalations(ladder_ctx, opened.case_no) == []
    await skipping_env.sleep(2 * DAY)
    assert escalations(ladder_ctx, opened.case_no) == [(0, "closed", [OFFICER.name, LEAD.name])]
    event = [e for e in ledger_events(ladder_ctx, opened.case_no) if e.type == "escalated"][-1]
    assert event.payload["step"] == "follow_up"
    row = ledger_row(ladder_ctx, opened.case_no)
    assert row.stage == "closed" and row.escalation_level == 0 and row.checks_left == 4


async def test_a_deferral_reopens_the_case_at_its_end(skipping_env: WorkflowEnvironment, ladder_ctx: Context) -> None:
    from domain.enums import Arrangement

    opened = await open_for(ladder_ctx, CaseKind.disability, campaign="ladder")
    handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
    until = (await skipping_env.get_current_time()).astimezone(CHINA).date() + dt.timedelta(days=10)
    await _close(
        skipping_env,
        handle,
        CaseKind.disability,
        arrangement=Arrangement.deferral,
        until=until,
        approval="彭教发〔2026〕9号",
    )
    state = await handle.query(CaseWorkflow.current)
    assert state.stage == Stage.closed and state.monitoring is not None and state.monitoring.until == until
    await skipping_env.sleep(9 * DAY)
    assert (await handle.query(CaseWorkflow.current)).stage == Stage.closed
    await skipping_env.sleep(2 * DAY)
    state = await handle.query(CaseWorkflow.current)
    assert state.stage == Stage.home_visit and state.episode == 2
    reopened = ledger_events(ladder_ctx, opened.case_no)[-1]
    assert reopened.type == "reopened" and reopened.payload == {"reason": "arrangement_expired", "episode": 2}
    assert ledger_row(ladder_ctx, opened.case_no).stage == "home_visit"


async def test_a_missed_home_delivery_session_escalates(skipping_env: WorkflowEnvironment, ladder_ctx: Context) -> None:
    from domain.enums import Arrangement
    from domain.steps import SessionInput

    opened = await open_for(ladder_ctx, CaseKind.disability, campaign="ladder")
    handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
    await _close(skipping_env, handle, CaseKind.disability, arrangement=Arrangement.home_delivery, sessions_per_month=2)
    closed = await handle.query(CaseWorkflow.current)
    assert closed.due_at == closed.closed_at + 15 * DAY  # a session every 15 days comes before the first check
    await skipping_env.sleep(14 * DAY)
    now = await skipping_env.get_current_time()
    await act(handle, CaseWorkflow.session, SessionInput(actor=OFFICER, on=now.astimezone(CHINA).date()), at=now)
    assert escalations(ladder_ctx, opened.case_no) == []
    await skipping_env.sleep(16 * DAY)  # the next session (15 days after the last) was missed
    assert escalations(ladder_ctx, opened.case_no) == [(0, "closed", [OFFICER.name, LEAD.name])]
    event = [e for e in ledger_events(ladder_ctx, opened.case_no) if e.type == "escalated"][-1]
    assert event.payload["step"] == "session"


async def test_home_delivery_is_watched_month_by_month_for_as_long_as_it_lasts(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """送教上门 under the campaign's rule (two sessions a month): once the follow-up checks are
    done the case is still watched; a month with its two sessions escalates nothing, a month with
    one escalates at its end like a late step (`step: session`), and the session made up ends it."""
    from domain.beijing import month_end
    from domain.campaign import HomeDelivery
    from domain.enums import Arrangement
    from domain.steps import FollowUpInput, SessionInput

    with ladder_ctx.sessions.begin() as session:
        upsert_campaign(
            session,
            spec=CampaignSpec(
                name="ladder-home",
                reference_date=dt.date(2026, 9, 1),
                clearance_deadline=dt.datetime.now(dt.UTC) + dt.timedelta(days=400),
                calendar="calendar",
                escalation=LADDER,
                monitoring=(10 * DAY,),
                home_delivery=HomeDelivery(sessions_per_month=2, hours_per_session=2, source="测试用规定（两次）"),
            ),
        )
    opened = await open_for(ladder_ctx, CaseKind.disability, campaign="ladder-home")
    handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
    await _close(skipping_env, handle, CaseKind.disability, arrangement=Arrangement.home_delivery)
    closed = await handle.query(CaseWorkflow.current)
    watch = closed.monitoring
    assert watch is not None and watch.sessions_per_month == 2 and watch.months_from is not None
    first_end = month_end(watch.months_from, 0)
    assert closed.due_at == min(first_end, closed.closed_at + 15 * DAY)

    async def session_on(day: dt.date) -> None:
        now = await skipping_env.get_current_time()
        await act(handle, CaseWorkflow.session, SessionInput(actor=OFFICER, on=day, hours=2), at=now)

    await skipping_env.sleep(10 * DAY)
    now = await skipping_env.get_current_time()
    await act(handle, CaseWorkflow.follow_up, FollowUpInput(actor=OFFICER, attending=True), at=now)
    state = await handle.query(CaseWorkflow.current)
    assert state.monitoring is not None and state.monitoring.checks_left == 0  # the checks are done …
    assert state.due_at == first_end  # … the sessions are still owed
    first_day = watch.months_from
    await skipping_env.sleep(dt.datetime.combine(first_day, dt.time(12), CHINA) + 16 * DAY - now)
    await session_on(first_day + dt.timedelta(days=1))
    await session_on(first_day + dt.timedelta(days=15))
    state = await handle.query(CaseWorkflow.current)
    second_end = month_end(first_day, 1)
    assert state.due_at == second_end and state.monitoring.sessions_held == 2
    await skipping_env.sleep(first_end - await skipping_env.get_current_time() + DAY)
    assert [e for e in escalations(ladder_ctx, opened.case_no) if e[1] == "closed"] == []  # the first month was kept
    await session_on((first_end + DAY).astimezone(CHINA).date())  # one session in the second month
    await skipping_env.sleep(second_end - await skipping_env.get_current_time() + dt.timedelta(hours=1))
    assert escalations(ladder_ctx, opened.case_no) == [(0, "closed", [OFFICER.name, LEAD.name])]
    event = [e for e in ledger_events(ladder_ctx, opened.case_no) if e.type == "escalated"][-1]
    assert event.payload["step"] == "session"
    await session_on((second_end - DAY).astimezone(CHINA).date())  # made up
    state = await handle.query(CaseWorkflow.current)
    assert state.due_at == month_end(first_day, 2) and state.escalation_level is None
    hours = [e.payload.get("hours") for e in ledger_events(ladder_ctx, opened.case_no) if e.type == "session"]
    assert hours == [2, 2, 2, 2]
    from starter.case_service import ledger_state

    restored = ledger_state(ledger_row(ladder_ctx, opened.case_no)).monitoring  # what a repair starts from
    assert restored is not None and (restored.sessions_per_month, restored.sessions_held) == (2, 4)
    assert restored.months_from == first_day and restored.until is None
    from starter.session_report_service import sessions_report
    from tests.support.cases import COUNTY

    for month, owed, held in ((first_day, 2, 2), (second_end - DAY, 2, 2), (closed.closed_at - DAY, 0, 0)):
        report = sessions_report(ladder_ctx, COUNTY, month=f"{month:%Y-%m}", township=None, campaign="ladder-home")
        mine = next(c for c in report["cases"] if c["case_no"] == opened.case_no)
        assert (mine["required"], mine["held"], mine["hours"]) == (owed, held, 2.0 * held)
    assert report["rule"]["source"] == "测试用规定（两次）"


async def test_a_past_day_is_rebuilt_as_it_was_shown_that_day(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """The report of a day, taken that day, equals the report of that day rebuilt later, after
    steps were taken and reminders went out."""
    from domain.beijing import china_today
    from starter.case_service import resolve_campaign
    from starter.report_service import build_report
    from tests.support.cases import COUNTY

    campaign = resolve_campaign(ladder_ctx, "ladder")
    first = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    await skipping_env.sleep(DAY)
    second = await open_for(ladder_ctx, CaseKind.funding, campaign="ladder")
    then = await skipping_env.get_current_time()
    shown_then = build_report(ladder_ctx, COUNTY, campaign, now=then)
    await skipping_env.sleep(3 * DAY)  # the first case's home visit falls overdue and escalates
    handle = skipping_env.client.get_workflow_handle(first.workflow_id)
    visit = VisitInput(actor=OFFICER, finding=Finding.confirmed)
    await act(handle, CaseWorkflow.visit, visit, at=await skipping_env.get_current_time())
    later = await skipping_env.get_current_time()
    rebuilt = build_report(ladder_ctx, COUNTY, campaign, as_of=china_today(then), now=later)
    today = build_report(ladder_ctx, COUNTY, campaign, now=later)

    def mine(report: dict) -> dict[str, dict]:
        return {c["case_no"]: c for c in report["cases"] if c["case_no"] in (first.case_no, second.case_no)}

    keys = ("stage", "outcome", "overdue", "escalation_level", "due_at")
    assert {n: [c[k] for k in keys] for n, c in mine(rebuilt).items()} == {
        n: [c[k] for k in keys] for n, c in mine(shown_then).items()
    }
    assert (
        mine(today)[first.case_no]["stage"] == "return_plan" and mine(rebuilt)[first.case_no]["stage"] == "home_visit"
    )
    assert mine(today)[second.case_no]["escalation_level"] == 0  # its own reminder came after that day


def recheck_rows(ctx: Context, campaign: str) -> list[tuple[str, int, str]]:
    """(re-check date, level, recipient) of the outbox's re-check rows for the campaign."""
    with ctx.sessions() as session:
        rows = session.execute(
            select(Notification.business_key, Notification.level, Notification.recipient).where(
                Notification.case_id.is_(None), Notification.business_key.startswith(f"recheck:{campaign}:")
            )
        )
        return sorted((key.split(":")[2][:10], level, who) for key, level, who in rows)


async def test_a_recheck_reminds_then_climbs_until_the_attendance_register_comes(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context, tmp_path: Path
) -> None:
    """A re-check date in a county that lists no schools: the townships are reminded at 09:00; the
    first re-check's register comes after its level-0 reminder and the ladder stops; the second
    never comes and climbs to the group leaders."""
    from domain.campaign import Recheck
    from domain.id_number import make_id_number
    from ledger.models import RegisterFile, School
    from starter.discovery_service import import_register
    from starter.rechecks import recheck_workflow_id, start_rechecks

    with ladder_ctx.sessions.begin() as session:
        session.query(School).delete()  # earlier modules' schools: this county has none

    now = await skipping_env.get_current_time()
    first = (now + DAY).astimezone(CHINA).date()
    second = first + 10 * DAY
    spec = CampaignSpec(
        name="recheck-ladder",
        reference_date=dt.date(2026, 9, 1),
        clearance_deadline=now + 400 * DAY,
        calendar="calendar",
        escalation=LADDER,
        rechecks=(Recheck(name="学校月报", dates=(first, second), within=DAY),),
    )
    with ladder_ctx.sessions.begin() as session:
        upsert_campaign(session, spec=spec)
    nine = dt.datetime.combine(first, dt.time(9), tzinfo=CHINA)
    try:
        assert await start_rechecks(ladder_ctx, spec)
        await skipping_env.sleep(nine - now + dt.timedelta(minutes=1))
        told = recheck_rows(ladder_ctx, spec.name)
        assert {level for _d, level, _w in told} == {-1}
        assert {LEAD.name, ANZI_LEAD.name} <= {who for *_x, who in told} and CHIEF.name not in {w for *_x, w in told}
        assert OFFICER.name not in {who for *_x, who in told}  # 梅子垭 has a lead: the lead is told

        await skipping_env.sleep(DAY)  # due: nothing imported
        assert {level for _d, level, _w in recheck_rows(ladder_ctx, spec.name)} == {-1, 0}
        register = tmp_path / "attendance.csv"
        child = make_id_number("500243", dt.date(2014, 7, 8), 903)
        register.write_text(f"姓名,身份证号,学校\n在小明,{child},梅子垭中学\n", encoding="utf-8")
        import_register(
            ladder_ctx, kind=RegisterKind.attendance, path=register, campaign=spec, sheet=None, imported_by="t"
        )
        imported_at = await skipping_env.get_current_time()  # the skipped clock, not the wall clock
        with ladder_ctx.sessions.begin() as session:
            session.query(RegisterFile).filter(RegisterFile.campaign == spec.name).update({"imported_at": imported_at})
        await skipping_env.sleep(3 * DAY)
        assert {level for day, level, _w in recheck_rows(ladder_ctx, spec.name) if day == str(first)} == {-1, 0}

        await skipping_env.sleep(second - first + 6 * DAY)
        later = {(level, who) for day, level, who in recheck_rows(ladder_ctx, spec.name) if day == str(second)}
        assert {level for level, _w in later} == {-1, 0, 1, 2}
        assert (1, CHIEF.name) in later and (1, OFFICE_HEAD.name) in later and (2, OTHER_LEADER.name) in later
    finally:
        with contextlib.suppress(Exception):
            await skipping_env.client.get_workflow_handle(recheck_workflow_id(spec.name)).terminate("test over")


async def test_a_late_school_is_reminded_then_its_township_then_the_section_chief(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context, tmp_path: Path
) -> None:
    """一月一报告, watched: with schools listed, the re-check waits for each school. The school that
    reported this month hears nothing after the day's notice; the late one's officer is reminded
    at the due time, then its township's lead, then the township's section chief — and the
    ladder stops when it reports."""
    from domain.campaign import Recheck
    from domain.id_number import make_id_number
    from domain.register_scopes import FileScope, Scope
    from ledger.models import RegisterFile, School
    from ledger.schools import SchoolEntry, save_schools
    from starter.discovery_service import import_register
    from starter.rechecks import recheck_workflow_id, start_rechecks

    tag = uuid.uuid4().hex[:4]
    prompt, late = f"按时小学{tag}", f"迟报小学{tag}"
    prompt_officer, late_officer = f"按时专干{tag}", f"迟报专干{tag}"
    with ladder_ctx.sessions.begin() as session:
        session.query(School).delete()
        save_schools(
            session, [SchoolEntry(prompt, "梅子垭镇", None), SchoolEntry(late, "梅子垭镇", None)], added_by="t"
        )
        for name, school in ((prompt_officer, prompt), (late_officer, late)):
            save_officer(session, name=name, role="school", township="梅子垭镇", notify_urls=[], school=school)
    now = await skipping_env.get_current_time()
    day = (now + DAY).astimezone(CHINA).date()
    spec = CampaignSpec(
        name=f"school-ladder-{tag}",
        reference_date=dt.date(2026, 9, 1),
        clearance_deadline=now + 400 * DAY,
        calendar="calendar",
        escalation=LADDER,
        rechecks=(Recheck(name="学校月报", dates=(day,), within=DAY),),
    )
    with ladder_ctx.sessions.begin() as session:
        upsert_campaign(session, spec=spec)

    def import_for(school: str) -> None:
        register = tmp_path / f"{school}.csv"
        child = make_id_number("500243", dt.date(2014, 7, 8), 100 + len(school) + (school == late))
        register.write_text(f"姓名,身份证号,学校\n{school}生,{child},{school}\n", encoding="utf-8")
        import_register(
            ladder_ctx, kind=RegisterKind.attendance, path=register, campaign=spec, sheet=None, imported_by=school,
            scope=FileScope(Scope.school, school, "梅子垭镇"),
        )  # fmt: skip

    async def on_skipped_clock() -> None:
        at = await skipping_env.get_current_time()
        with ladder_ctx.sessions.begin() as session:
            session.query(RegisterFile).filter(RegisterFile.campaign == spec.name).update({"imported_at": at})

    nine = dt.datetime.combine(day, dt.time(9), tzinfo=CHINA)
    try:
        assert await start_rechecks(ladder_ctx, spec)
        await skipping_env.sleep(nine - now + dt.timedelta(minutes=1))
        notice = {who for _d, level, who in recheck_rows(ladder_ctx, spec.name) if level == -1}
        assert {prompt_officer, late_officer, LEAD.name} <= notice  # the day's notice: every school
        import_for(prompt)
        await on_skipped_clock()
        await skipping_env.sleep(DAY)  # due: the late school's officer, no one else
        told = {(level, who) for _d, level, who in recheck_rows(ladder_ctx, spec.name) if level >= 0}
        assert told == {(0, late_officer)}
        await skipping_env.sleep(LADDER.level1_after)
        told = {(level, who) for _d, level, who in recheck_rows(ladder_ctx, spec.name) if level >= 0}
        assert told == {(0, late_officer), (1, LEAD.name)}
        with ladder_ctx.sessions() as session:
            message = session.scalar(
                select(Notification.message).where(
                    Notification.business_key.startswith(f"recheck:{spec.name}:"), Notification.level == 1
                )
            )
        assert message is not None and late in message and prompt not in message
        await skipping_env.sleep(LADDER.level2_after - LADDER.level1_after)
        told = {(level, who) for _d, level, who in recheck_rows(ladder_ctx, spec.name) if level >= 0}
        assert told == {(0, late_officer), (1, LEAD.name), (2, CHIEF.name)}  # 梅子垭镇's section chief only
    finally:
        with contextlib.suppress(Exception):
            await skipping_env.client.get_workflow_handle(recheck_workflow_id(spec.name)).terminate("test over")
        with ladder_ctx.sessions.begin() as session:
            session.query(School).filter(School.name.in_([prompt, late])).delete()


async def test_a_school_not_rechecked_in_its_quarter_climbs_to_the_group_leader(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """一季度一复核, watched: on the re-check's day the township's section chief is asked to
    recheck the schools not yet rechecked this quarter; at the due time, then the ladder's times,
    the school still not rechecked climbs to the office head and the group leader of its
    township's chain — the school already rechecked is named in no message."""
    from domain.campaign import Recheck
    from ledger.models import Officer, School, SchoolCheck
    from ledger.schools import SchoolEntry, save_schools
    from starter.rechecks import recheck_workflow_id, start_rechecks

    tag = uuid.uuid4().hex[:4]
    done, undone, leader = f"已复核小学{tag}", f"未复核小学{tag}", "朱洪斌"  # 梅子垭镇's group leader
    with ladder_ctx.sessions.begin() as session:
        session.query(School).delete()
        save_schools(
            session, [SchoolEntry(done, "梅子垭镇", None), SchoolEntry(undone, "梅子垭镇", None)], added_by="t"
        )
        leaders = list(session.scalars(select(Officer.name).where(Officer.role == "group_leader")))
    # The chain's group leader where enrolled; where not, every group leader (nobody left untold).
    top = {leader} if leader in leaders else set(leaders)
    now = await skipping_env.get_current_time()
    day = (now + DAY).astimezone(CHINA).date()
    spec = CampaignSpec(
        name=f"check-ladder-{tag}",
        reference_date=dt.date(2026, 9, 1),
        clearance_deadline=now + 400 * DAY,
        calendar="calendar",
        escalation=LADDER,
        rechecks=(Recheck(name="季度复核", of="schools", dates=(day,), within=DAY),),
    )
    with ladder_ctx.sessions.begin() as session:
        upsert_campaign(session, spec=spec)
        session.add(
            SchoolCheck(
                campaign=spec.name, school=done, township="梅子垭镇", kind="quarterly", period="q",
                checked_at=now, checked_by=CHIEF.name, sampled=10, discrepancies=0, cases=[],
            )
        )  # fmt: skip
    nine = dt.datetime.combine(day, dt.time(9), tzinfo=CHINA)
    try:
        assert await start_rechecks(ladder_ctx, spec)
        await skipping_env.sleep(nine - now + dt.timedelta(minutes=1))
        assert {(lv, who) for _d, lv, who in recheck_rows(ladder_ctx, spec.name)} == {(-1, CHIEF.name)}
        await skipping_env.sleep(DAY + LADDER.level2_after)
        told = {(level, who) for _d, level, who in recheck_rows(ladder_ctx, spec.name)}
        assert told == {(-1, CHIEF.name), (0, CHIEF.name), (1, OFFICE_HEAD.name)} | {(2, who) for who in top}
        with ladder_ctx.sessions() as session:
            messages = list(
                session.scalars(
                    select(Notification.message).where(Notification.business_key.startswith(f"recheck:{spec.name}:"))
                )
            )
        assert all(undone in m and done not in m for m in messages)
    finally:
        with contextlib.suppress(Exception):
            await skipping_env.client.get_workflow_handle(recheck_workflow_id(spec.name)).terminate("test over")
        with ladder_ctx.sessions.begin() as session:
            session.query(School).filter(School.name.in_([done, undone])).delete()


async def test_an_unanswered_transfer_escalates_on_both_chains(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """梅子垭镇 asks 郁山镇 (another group, another chain) to take a case over and hears nothing:
    after the campaign's `transfer` time both sides are told — the case's officer and 郁山镇's
    lead, then both section chiefs and office heads, then both group leaders."""
    from domain.actors import Actor
    from domain.enums import Role
    from domain.steps import TransferInput
    from starter.transfer_service import send_transfer_target
    from tests.support.cases import register_officer

    yushan_lead = register_officer(ladder_ctx, Actor(name="郁山镇教管主任", role=Role.township_lead, township="郁山镇"))
    opened = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
    await send_transfer_target(ladder_ctx, ledger_row(ladder_ctx, opened.case_no), "郁山镇")
    now = await skipping_env.get_current_time()
    asked = TransferInput(actor=OFFICER, to="郁山镇", reason="全家迁往郁山镇")
    state = await act(handle, CaseWorkflow.transfer, asked, at=now)
    assert state.transfer is not None and state.transfer.chain.section_chief == "王世斌"

    def told(level: int) -> set[str]:
        events = [e for e in ledger_events(ladder_ctx, opened.case_no) if e.type == "escalated"]
        return {
            who
            for e in events
            if e.payload["reason"] == "transfer_pending" and e.payload["level"] == level
            for who in e.payload["recipients"]
        }

    await skipping_env.sleep(5 * DAY - dt.timedelta(hours=1))
    assert told(0) == set()
    await skipping_env.sleep(dt.timedelta(hours=2))
    assert {OFFICER.name, yushan_lead.name} <= told(0)
    await skipping_env.sleep(LADDER.level1_after)
    assert told(1) == {CHIEF.name, OFFICE_HEAD.name, "王世斌", "谢德良"}
    await skipping_env.sleep(LADDER.level2_after - LADDER.level1_after)
    assert told(2) == {"朱洪斌", OTHER_LEADER.name}
    assert ledger_row(ladder_ctx, opened.case_no).township == "梅子垭镇"  # still the sending side's


async def test_a_child_moved_out_of_the_county_stays_uncleared_until_received(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """转出县外: the case waits for the receiving school's 学籍 — the home visit's own ladder is
    paused, it is not cleared — and when none comes within the campaign's `receipt` (30 days) it
    escalates; `receipt` with the school, the 学籍号 and proof sends it to closure as excluded
    (moved out), for a section chief to close."""
    from domain.enums import Outcome
    from domain.steps import CloseInput, ReceiptInput, TransferOutInput
    from tests.support.cases import PROOF

    opened = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
    now = await skipping_env.get_current_time()
    gone = TransferOutInput(actor=OFFICER, to_county="酉阳县", school="酉阳县第二中学", reason="随父母务工迁居")
    state = await act(handle, CaseWorkflow.transfer_out, gone, at=now)
    assert state.transfer is not None and state.transfer.county == "酉阳县" and state.stage == Stage.home_visit
    await skipping_env.sleep(29 * DAY)  # the home visit was due on day 3: paused while the receipt is awaited
    assert escalations(ladder_ctx, opened.case_no) == []
    await skipping_env.sleep(2 * DAY)
    pending = [e for e in ledger_events(ladder_ctx, opened.case_no) if e.type == "escalated"]
    assert [(e.payload["reason"], e.payload["level"]) for e in pending] == [("transfer_pending", 0)]
    assert OFFICER.name in pending[0].payload["recipients"]
    assert ledger_row(ladder_ctx, opened.case_no).stage == "home_visit"  # not cleared
    now = await skipping_env.get_current_time()
    received = ReceiptInput(actor=OFFICER, school="酉阳县第二中学", student_no="G500242201401010011", **PROOF)
    state = await act(handle, CaseWorkflow.receipt, received, at=now)
    assert (state.stage, state.outcome, state.transfer) == (Stage.closure, Outcome.excluded, None)
    state = await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF), at=now)
    assert state.stage == Stage.closed


async def test_the_group_checks_a_sample_of_exclusions(skipping_env: WorkflowEnvironment, ladder_ctx: Context) -> None:
    """A campaign whose group checks every exclusion (`exclusion_sample: {percent: 100}`): a case
    closed as excluded by a section chief waits for the group leader's check; a section chief may
    not check it; unchecked past `within`, the group leader is reminded; a disagreement opens the
    case again at the home visit (episode 2), an agreement lets it end."""
    from temporalio.client import WorkflowUpdateFailedError

    from domain.campaign import ExclusionSample
    from domain.enums import ExcludeReason, Finding
    from domain.steps import INPUTS, CloseInput, VisitInput
    from starter.case_service import resolve_campaign
    from tests.support.cases import COUNTY, PROOF

    leader = "朱洪斌"  # 梅子垭镇's group leader (a group leader's own check: tests/test_rules.py)
    sample = resolve_campaign(ladder_ctx, "ladder").model_copy(
        update={"name": "ladder-sample", "exclusion_sample": ExclusionSample(percent=100, within=2 * DAY)}
    )
    with ladder_ctx.sessions.begin() as session:
        upsert_campaign(session, spec=sample)
    check = INPUTS["check_exclusion"]
    for agreed in (False, True):
        opened = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder-sample")
        handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
        now = await skipping_env.get_current_time()
        dead = VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason=ExcludeReason.deceased, **PROOF)
        await act(handle, CaseWorkflow.visit, dead, at=now)
        state = await act(handle, CaseWorkflow.close, CloseInput(actor=CHIEF), at=now)
        assert state.stage == Stage.closed and state.exclusion_check is not None
        assert state.chain.group_leader == leader
        with pytest.raises(WorkflowUpdateFailedError):
            await act(handle, CaseWorkflow.check_exclusion, check(actor=CHIEF, agreed=True), at=now)
        if not agreed:
            await skipping_env.sleep(2 * DAY + dt.timedelta(hours=1))
            reminded = [e for e in ledger_events(ladder_ctx, opened.case_no) if e.type == "escalated"]
            assert [(e.payload["reason"], e.payload["level"]) for e in reminded] == [("exclusion_check", 2)]
            assert reminded[0].payload["recipients"] == [leader]
            now = await skipping_env.get_current_time()
            verdict = check(actor=COUNTY, agreed=False, note="死亡证明与户籍不符")
            state = await act(handle, CaseWorkflow.check_exclusion, verdict, at=now)
            assert (state.stage, state.episode, state.outcome, state.exclusion_check) == (
                Stage.home_visit,
                2,
                None,
                None,
            )
        else:
            state = await act(handle, CaseWorkflow.check_exclusion, check(actor=COUNTY, agreed=True), at=now)
            assert state.exclusion_check is None
            ended = await handle.result()
            assert (ended["stage"], ended["outcome"]) == ("closed", "excluded")
            row = ledger_row(ladder_ctx, opened.case_no)
            assert row.exclusion_check_due is None and row.outcome == "excluded"


async def test_an_unanswered_rectification_order_climbs_the_ladder(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """督查 → 整改: the section chief orders 梅子垭镇 to rectify by today; unanswered at the day's
    end the township's lead is reminded, after `level1_after` its section chief and office head;
    the answer ends the ladder (no group leader); the county's 问责 decision links the order and
    its reminders as evidence."""
    from domain.beijing import china_today
    from domain.supervision import AccountabilityInput, Ground, OrderInput, order_workflow_id
    from starter.supervision_service import answer, issue_order, record_decision
    from tests.support.cases import COUNTY, LEAD, with_id

    today = china_today(await skipping_env.get_current_time())
    issued = await issue_order(
        ladder_ctx, with_id(CHIEF), OrderInput(township="梅子垭镇", due=today, text="补齐入户走访记录"), "ladder"
    )
    order_id = issued["id"]
    try:

        def told(level: int) -> set[str]:
            with ladder_ctx.sessions() as session:
                rows = session.scalars(
                    select(Notification.recipient).where(
                        Notification.business_key.startswith(f"order:{order_id}:{level}:")
                    )
                )
                return set(rows)

        await skipping_env.sleep(DAY + dt.timedelta(hours=1))
        assert told(0) == {LEAD.name}
        assert told(1) == set()
        await skipping_env.sleep(LADDER.level1_after)
        assert told(1) == {CHIEF.name, OFFICE_HEAD.name}
        await answer(ladder_ctx, with_id(LEAD), order_id, "已补齐，附走访记录")
        reached = await skipping_env.client.get_workflow_handle(order_workflow_id(order_id)).result()
        assert reached == 1 and told(2) == set()

        decided = record_decision(
            ladder_ctx,
            with_id(COUNTY),
            AccountabilityInput(unit="梅子垭镇", ground=Ground.rectification_lagging, decision="通报批评"),
            "ladder",
        )
        assert order_id in decided["orders"]
        with ladder_ctx.sessions() as session:
            order_reminders = set(
                session.scalars(
                    select(Notification.id).where(Notification.business_key.startswith(f"order:{order_id}:"))
                )
            )
        assert order_reminders and order_reminders <= set(decided["reminders"])
    finally:
        with contextlib.suppress(Exception):
            await skipping_env.client.get_workflow_handle(order_workflow_id(order_id)).terminate("test over")


async def test_the_government_line_is_copied_on_the_townships_level_one_reminders(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """双线责任: 郁山镇's 分管领导, enrolled for the township, hears of its late cases with the
    section chief at level 1 — not at level 0 — and is named on its report line; the government
    line reads and acts on no case."""
    from domain.actors import Actor
    from domain.enums import Role
    from domain.rules import may_act
    from domain.scope import townships_in_scope
    from starter.case_service import resolve_campaign
    from starter.report_service import build_report
    from tests.support.cases import COUNTY, register_officer

    lead = register_officer(ladder_ctx, Actor(name="郁山镇分管副镇长", role=Role.township_gov, township="郁山镇"))
    opened = await open_for(ladder_ctx, CaseKind.dropout, actor=COUNTY, township="郁山镇", campaign="ladder")
    await skipping_env.sleep(3 * DAY + dt.timedelta(hours=1))
    told = {e[0]: e[2] for e in escalations(ladder_ctx, opened.case_no)}
    assert lead.name not in told[0]
    await skipping_env.sleep(LADDER.level1_after)
    told = {e[0]: e[2] for e in escalations(ladder_ctx, opened.case_no)}
    assert lead.name in told[1] and "王世斌" in told[1]
    assert townships_in_scope(lead, ladder_ctx.roster) == frozenset()
    assert not may_act(lead, township="郁山镇", chain_names={lead.name})
    report = build_report(ladder_ctx, COUNTY, resolve_campaign(ladder_ctx, "ladder"))
    line = next(row for row in report["townships"] if row["township"] == "郁山镇")
    assert line["government_line"] == ["郁山镇分管副镇长（乡镇政府分管领导）"]


def _escalated_row(ctx: Context, state: object, seq: int, level: int, recipient: str) -> None:
    from domain.case import CaseEvent
    from domain.enums import EventType

    event = CaseEvent(
        seq=seq,
        type=EventType.escalated,
        stage=Stage.home_visit,
        actor="system",
        at=dt.datetime.now(dt.UTC),
        details={"level": level, "reason": "overdue", "recipients": [recipient], "overdue_seconds": 60},
    )
    projection = Projection(business_key=f"{state.case_id}:escalated:{seq}", event=event, state=state)  # type: ignore[attr-defined]
    write_projection(ctx.sessions, projection, ctx.cipher)


def _outbox(ctx: Context, case_id: uuid.UUID) -> list[Notification]:
    with ctx.sessions() as session:
        return list(
            session.scalars(select(Notification).where(Notification.case_id == case_id).order_by(Notification.id))
        )


async def test_the_same_rung_reaches_a_person_once_within_its_repeat_interval(case_ctx: Context) -> None:
    """Two escalations of one case at the same level for the same person (a deadline rung beside
    a ladder rung, a ladder rebuilt after a repair): the second is not sent within the campaign's
    repeat interval (a day), and says when the first arrived."""
    from domain.case import CaseState

    opened = await open_for(case_ctx, CaseKind.dropout)
    row = ledger_row(case_ctx, opened.case_no)
    with case_ctx.sessions.begin() as session:
        save_officer(session, name="重复测试员", role="case_officer", township="梅子垭镇", notify_urls=["json://h/dup"])
    state = CaseState.model_validate({**(await _state(case_ctx, opened.workflow_id)), "last_seq": 99})
    sent: list[str] = []

    def ok(urls: list[str], title: str, body: str) -> tuple[bool, str | None]:
        sent.append(body)
        return True, None

    for seq in (97, 98):
        _escalated_row(case_ctx, state, seq, 1, "重复测试员")
        counts = deliver(case_ctx.sessions, Delivery(case_id=str(row.id), case_no=row.case_no, event_seq=seq), ok)
    assert len(sent) == 1 and counts["duplicate"] == 1
    rows = {r.event_seq: r for r in _outbox(case_ctx, row.id) if r.recipient == "重复测试员"}
    assert (rows[97].status, rows[98].status) == ("sent", "duplicate")
    assert rows[98].last_error and "已于" in rows[98].last_error and "+08:00" in rows[98].last_error
    _escalated_row(case_ctx, state, 96, 2, "重复测试员")  # another rung: sent
    deliver(case_ctx.sessions, Delivery(case_id=str(row.id), case_no=row.case_no, event_seq=96), ok)
    assert len(sent) == 2
    for seq in (94, 95):  # the same new rung twice in one delivery (one wake): sent once
        _escalated_row(case_ctx, state, seq, 3, "重复测试员")
    both = Delivery(case_id=str(row.id), case_no=row.case_no, event_seq=94, more_seqs=(95,))
    assert deliver(case_ctx.sessions, both, ok)["duplicate"] == 1 and len(sent) == 3
    other = await open_for(case_ctx, CaseKind.dropout)  # another case's rung of that level is its own
    other_row = ledger_row(case_ctx, other.case_no)
    other_state = CaseState.model_validate({**(await _state(case_ctx, other.workflow_id)), "last_seq": 99})
    _escalated_row(case_ctx, other_state, 97, 1, "重复测试员")
    counts = deliver(
        case_ctx.sessions, Delivery(case_id=str(other_row.id), case_no=other_row.case_no, event_seq=97), ok
    )
    assert counts["sent"] == 1 and len(sent) == 4


async def test_a_failing_address_is_retried_and_told_to_the_township_lead_and_the_administrator(
    case_ctx: Context,
) -> None:
    """A reminder whose address keeps failing: recorded failed with each attempt, and at the third
    the recipient's township lead and every administrator get one notice of it (sent to their own
    addresses), however often delivery is retried after."""
    from domain.case import CaseState
    from tests.support.cases import LEAD

    opened = await open_for(case_ctx, CaseKind.dropout)
    row = ledger_row(case_ctx, opened.case_no)
    with case_ctx.sessions.begin() as session:
        save_officer(
            session, name="失败测试员", role="case_officer", township="梅子垭镇", notify_urls=["json://h/down"]
        )
        lead, _new = save_officer(
            session, name=LEAD.name, role="township_lead", township="梅子垭镇", notify_urls=["json://h/lead"]
        )
        admin, _new = save_officer(session, name="失败测试管理员", role="admin", township=None, notify_urls=[])
        told_ids = {lead.id, admin.id}
    state = CaseState.model_validate({**(await _state(case_ctx, opened.workflow_id)), "last_seq": 99})
    _escalated_row(case_ctx, state, 95, 1, "失败测试员")
    sent: list[tuple[str, str]] = []

    def down(urls: list[str], title: str, body: str) -> tuple[bool, str | None]:
        sent.append((urls[0], body))
        return (False, "Connection refused") if urls == ["json://h/down"] else (True, None)

    delivery = Delivery(case_id=str(row.id), case_no=row.case_no, event_seq=95)
    for _attempt in range(4):
        with pytest.raises(Exception, match="failed"):
            deliver(case_ctx.sessions, delivery, down)
    rows = _outbox(case_ctx, row.id)
    failing = next(r for r in rows if r.event_seq == 95 and r.recipient == "失败测试员")
    assert (failing.status, failing.attempts, failing.failure_told) == ("failed", 4, True)
    notices = [r for r in rows if r.topic == "delivery_failed"]
    assert told_ids <= {r.recipient_id for r in notices}
    assert len([r for r in notices if r.recipient_id == lead.id]) == 1
    to_lead = [body for url, body in sent if url == "json://h/lead"]
    assert len(to_lead) == 1 and "失败测试员" in to_lead[0] and opened.case_no in to_lead[0]
    assert "baoxue notify" in to_lead[0] and "无法连接对方服务器" in to_lead[0]  # in Chinese, not apprise's line
    assert failing.last_error == "无法连接对方服务器"
    with case_ctx.sessions.begin() as session:
        save_officer(session, name=LEAD.name, role="township_lead", township="梅子垭镇", notify_urls=[])


async def test_a_daily_digest_lists_every_case_due_for_the_officer(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """The officer's digest at a time they chose, every day: nothing while no case is due; on the
    day two cases fall due (unless midnight falls between), one message listing both under their
    township; the next day again, overdue."""
    from domain.beijing import BEIJING
    from ledger.models import Officer
    from starter.digest_service import schedule_digest

    first = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    second = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    with webhook() as (port, received):
        with ladder_ctx.sessions.begin() as session:
            officer, _new = save_officer(
                session, name=OFFICER.name, role="case_officer", township="梅子垭镇",
                notify_urls=[f"json://127.0.0.1:{port}/digest"],
            )  # fmt: skip
            at = (await skipping_env.get_current_time() - dt.timedelta(hours=1)).astimezone(BEIJING).strftime("%H:%M")
            officer.digest_at = at
            officer_id = officer.id
        await schedule_digest(ladder_ctx, officer_id, at)
        try:
            await skipping_env.sleep(2 * DAY)
            mine = [m for m in received if m["title"] == "控辍保学每日汇总" and first.case_no in m["message"]]
            assert mine == []  # due in three days: nothing yet
            await skipping_env.sleep(2 * DAY)
            mine = [m for m in received if m["title"] == "控辍保学每日汇总" and first.case_no in m["message"]]
        finally:
            with ladder_ctx.sessions.begin() as session:
                stored = session.get(Officer, officer_id)
                assert stored is not None
                stored.digest_at = None
                stored.notify_urls = []
            await schedule_digest(ladder_ctx, officer_id, None)
    assert 1 <= len(mine) <= 2, [m["message"] for m in received]
    for message in mine:
        assert message["title"] == "控辍保学每日汇总"
        assert second.case_no in message["message"] and "梅子垭镇（" in message["message"]
        assert message["message"].count("梅子垭镇（") == 1
    assert "今日到期" in mine[0]["message"] or "已逾期" in mine[0]["message"]
    assert "已逾期" in mine[-1]["message"]


def overdue_rungs(ctx: Context, case_no: str) -> list[Any]:
    """The stage ladder's escalations (not the clearance deadline's, which the module's earlier
    tests may have brought within reach of the skipped clock)."""
    return [e for e in ledger_events(ctx, case_no) if e.type == "escalated" and e.payload["reason"] == "overdue"]


async def test_a_case_restored_from_its_ledger_keeps_its_due_time_and_its_place_on_the_ladder(
    skipping_env: WorkflowEnvironment, ladder_ctx: Context
) -> None:
    """Temporal loses a case mid-ladder (its run terminated, as a lost database leaves it): `verify
    --repair` restores it from the ledger with the due time the stage had, the level it reached and
    the rungs already sent not sent again; the rung that fell due while it was down goes out at
    once, marked late; the next one comes on time."""
    from domain.actors import Actor
    from domain.enums import Role
    from starter.verify import verify_cases

    opened = await open_for(ladder_ctx, CaseKind.dropout, campaign="ladder")
    await skipping_env.sleep(3 * DAY + 2 * DAY + dt.timedelta(hours=1))  # level 0 and level 1 sent
    before = ledger_row(ladder_ctx, opened.case_no)
    assert [e.payload["level"] for e in overdue_rungs(ladder_ctx, opened.case_no)] == [0, 1]
    handle = skipping_env.client.get_workflow_handle(opened.workflow_id)
    await handle.terminate("the engine's state was lost")
    await skipping_env.sleep(3 * DAY)  # level 2 (due + 5 days) falls due while the case is down
    admin = Actor(name="恢复测试管理员", role=Role.admin)
    checked, differences = await verify_cases(ladder_ctx, repair=True, actor=admin, only=[opened.case_no])
    assert checked == 1 and [d.problem for d in differences] == ["workflow_ended"] and differences[0].repaired
    after = ledger_row(ladder_ctx, opened.case_no)
    assert after.due_at == before.due_at and after.stage == before.stage
    events = overdue_rungs(ladder_ctx, opened.case_no)
    assert [e.payload["level"] for e in events] == [0, 1, 2]  # 0 and 1 not again; 2 at once
    assert events[-1].payload.get("late") is True and not events[0].payload.get("late")
    assert after.escalation_level == 2
    await skipping_env.sleep(DAY)  # the next repeat, due + 6 days, on time
    events = overdue_rungs(ladder_ctx, opened.case_no)
    assert [e.payload["level"] for e in events] == [0, 1, 2, 2] and not events[-1].payload.get("late")
    assert (events[-1].at - before.due_at) < 6 * DAY + dt.timedelta(minutes=5)
