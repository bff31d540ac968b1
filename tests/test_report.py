"""The 清零 report: rebuilt from events for any moment, equal to the ledger today, scoped, and the
workbook the line receives."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from domain.campaign import CampaignSpec
from domain.enums import CaseKind, Finding, Outcome, Placement, Stage
from domain.report import CaseHead, replay, tally
from domain.report import ReportEvent as Event
from domain.steps import CloseInput, ConfirmInput, PlanInput, VisitInput
from ledger.cases import CaseFilter, list_cases
from starter.context import Context
from starter.report_service import build_report, cutoff_of
from starter.report_xlsx import report_workbook
from tests.support.cases import ANZI_OFFICER, CHIEF, COUNTY, ELSEWHERE, OFFICER, act, open_for

T0 = dt.datetime(2026, 9, 7, 1, 0, tzinfo=dt.UTC)  # a Monday, 09:00 in Beijing
CAMPAIGN = CampaignSpec(
    name="report-unit",
    reference_date=dt.date(2026, 9, 1),
    clearance_deadline=dt.datetime(2026, 9, 30, tzinfo=dt.UTC),
    calendar="calendar",
    stages={
        Stage.home_visit: dt.timedelta(days=3),
        Stage.return_plan: dt.timedelta(days=5),
        Stage.return_confirmation: dt.timedelta(days=15),
        Stage.closure: dt.timedelta(days=3),
    },
)
HEAD = CaseHead("2026-000001", CaseKind.dropout, "梅子垭镇", 1)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


EVENTS = [
    Event(1, "opened", "discovery", day(0)),
    Event(2, "escalated", "home_visit", day(3), level=0, reason="overdue"),
    Event(3, "escalated", "home_visit", day(5), level=1, reason="overdue"),
    Event(4, "visited", "home_visit", day(6), finding="confirmed"),
    Event(5, "planned", "return_plan", day(7)),
    Event(6, "confirmed", "return_confirmation", day(10)),
    Event(7, "closed", "closure", day(11)),
    Event(8, "followed_up", "closed", day(20)),
    Event(9, "reopened", "closed", day(20), reason="relapse", episode=2),
]


def facts_at(n: float) -> Any:
    return replay(HEAD, EVENTS, as_of=day(n), campaign=CAMPAIGN, calendar=None)


def test_a_case_replayed_day_by_day() -> None:
    assert facts_at(-1) is None  # not opened yet
    opened = facts_at(1)
    assert (opened.stage, opened.overdue, opened.due_at) == (Stage.home_visit, False, day(3))
    late = facts_at(5.5)
    assert late.overdue and late.level == 1 and late.escalated and not late.verified
    planning = facts_at(6.5)
    assert (planning.stage, planning.level, planning.verified, planning.overdue) == (
        Stage.return_plan,
        None,
        True,
        False,
    )
    closed = facts_at(12)
    assert (closed.stage, closed.outcome, closed.closed_at, closed.open) == (
        Stage.closed,
        Outcome.returned,
        day(11),
        False,
    )
    relapsed = facts_at(21)
    assert (relapsed.stage, relapsed.episode, relapsed.outcome, relapsed.open) == (Stage.home_visit, 2, None, True)
    assert relapsed.due_at == CAMPAIGN.clearance_deadline  # 3 days from day 20 runs past the deadline: cut


def test_a_stage_due_after_the_deadline_is_due_at_it_and_the_tally_counts_it() -> None:
    late_open = [Event(1, "opened", "discovery", CAMPAIGN.clearance_deadline - dt.timedelta(days=1))]
    facts = replay(
        HEAD, late_open, as_of=CAMPAIGN.clearance_deadline + dt.timedelta(hours=1), campaign=CAMPAIGN, calendar=None
    )
    assert facts is not None and facts.due_at == CAMPAIGN.clearance_deadline and facts.overdue
    rows = tally([(facts, facts.overdue), (facts_at(12), False)], [(1, "梅子垭镇"), (1, "鞍子镇")])
    assert [r.township for r in rows] == ["梅子垭镇", "鞍子镇"]
    assert rows[0].counts["suspected"] == 2 and rows[0].counts["open"] == 1 and rows[0].counts["returned"] == 1
    assert rows[1].counts["suspected"] == 0


def test_a_transferred_case_counts_where_it_was_on_each_day() -> None:
    """The sending township until the receiving one accepts, the receiving one after; both rows
    show the hand-over (out and in), and a request waiting shows on both sides."""
    moved_head = CaseHead("2026-000002", CaseKind.dropout, "郁山镇", 2)  # the ledger's row: where it is now
    events = [
        Event(1, "opened", "discovery", day(0)),
        Event(2, "transfer_requested", "home_visit", day(1), to_township="郁山镇"),
        Event(3, "transfer_accepted", "home_visit", day(2), from_township="梅子垭镇", from_group=1,
              to_township="郁山镇", to_group=2),
    ]  # fmt: skip
    rows = [(1, "梅子垭镇"), (2, "郁山镇")]

    def at(n: float) -> Any:
        facts = replay(moved_head, events, as_of=day(n), campaign=CAMPAIGN, calendar=None)
        return facts, {r.township: r.counts for r in tally([(facts, False)], rows)}

    waiting, counts = at(1.5)
    assert (waiting.township, waiting.group, waiting.transfer_to) == ("梅子垭镇", 1, "郁山镇")
    assert (counts["梅子垭镇"]["open"], counts["梅子垭镇"]["transfer_pending_out"]) == (1, 1)
    assert (counts["郁山镇"]["open"], counts["郁山镇"]["transfer_pending_in"]) == (0, 1)
    moved, counts = at(3)
    assert (moved.township, moved.group, moved.transfer_to) == ("郁山镇", 2, None)
    assert (counts["梅子垭镇"]["open"], counts["梅子垭镇"]["transferred_out"]) == (0, 1)
    assert (counts["郁山镇"]["open"], counts["郁山镇"]["transferred_in"]) == (1, 1)


def test_the_end_of_a_past_day_is_beijing_midnight() -> None:
    now = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)
    assert cutoff_of(None, now) == now and cutoff_of(dt.date(2026, 11, 29), now) == now
    end = cutoff_of(dt.date(2026, 11, 1), now)
    assert end.isoformat() == "2026-11-01T23:59:59.999999+08:00"


async def test_the_report_today_equals_the_ledger_and_a_past_day_is_rebuilt(case_ctx: Context) -> None:
    from python_calamine import CalamineWorkbook

    from config.temporal_client import connect_temporal
    from starter.case_service import resolve_campaign

    client = await connect_temporal(case_ctx.settings)
    opened = [await open_for(case_ctx, CaseKind.dropout) for _ in range(3)]
    anzi = await open_for(case_ctx, CaseKind.funding, actor=ANZI_OFFICER, township="鞍子镇")
    first = client.get_workflow_handle(opened[0].workflow_id)
    await act(first, client_update("visit"), VisitInput(actor=OFFICER, finding=Finding.confirmed))
    target = dt.date.today() + dt.timedelta(days=30)
    await act(first, client_update("plan"), PlanInput(actor=OFFICER, target_date=target, placement=Placement.transfer))
    await act(first, client_update("confirm"), ConfirmInput(actor=OFFICER, school="某校", evidence=("证明",)))
    await act(first, client_update("close"), CloseInput(actor=CHIEF))
    excluded = client.get_workflow_handle(opened[1].workflow_id)
    moved = VisitInput(actor=OFFICER, finding=Finding.excluded, exclude_reason="moved_out", **ELSEWHERE)
    await act(excluded, client_update("visit"), moved)

    campaign = resolve_campaign(case_ctx, "pengshui-2026")
    report = build_report(case_ctx, COUNTY, campaign)
    with case_ctx.sessions() as session:
        ledger = list_cases(session, where=CaseFilter(campaign=campaign.name))
    assert report["total"]["suspected"] == len(ledger)
    assert report["total"]["open"] == sum(1 for c in ledger if c.stage != "closed")
    for outcome in ("returned", "excluded"):
        closed = sum(1 for c in ledger if c.stage == "closed" and c.outcome == outcome)
        assert report["total"][outcome] == closed
    mine = {c["case_no"]: c for c in report["cases"]}
    assert mine[opened[0].case_no]["stage"] == "closed" and mine[opened[0].case_no]["outcome"] == "returned"
    assert mine[opened[1].case_no]["stage"] == "closure" and mine[anzi.case_no]["township"] == "鞍子镇"
    townships = [row["township"] for row in report["townships"]]
    assert len(townships) == 39 and townships.index("梅子垭镇") < len(townships)

    yesterday = build_report(case_ctx, COUNTY, campaign, as_of=dt.date.today() - dt.timedelta(days=1))
    assert opened[0].case_no not in {c["case_no"] for c in yesterday["cases"]}  # opened today

    officer = build_report(case_ctx, OFFICER, campaign)
    assert {row["township"] for row in officer["townships"]} == {"梅子垭镇"}
    assert anzi.case_no not in {c["case_no"] for c in officer["cases"]}

    book = CalamineWorkbook.from_filelike(io.BytesIO(report_workbook(report)))
    assert book.sheet_names[0] == "汇总" and {"问责", "台账"} <= set(book.sheet_names)
    assert any(name.startswith("第") and name.endswith("组") for name in book.sheet_names)
    ledger_sheet = book.get_sheet_by_name("台账").to_python()  # a title, the head line, then the table
    assert ledger_sheet[2][:2] == ["序号", "案件编号"] and len(ledger_sheet) == len(report["cases"]) + 3


async def test_kept_digests_are_folded_again_exactly_when_a_case_moves(case_ctx: Context) -> None:
    from config.temporal_client import connect_temporal
    from starter.case_service import resolve_campaign

    client = await connect_temporal(case_ctx.settings)
    opened = await open_for(case_ctx, CaseKind.dropout)
    campaign = resolve_campaign(case_ctx, "pengshui-2026")
    before = {c["case_no"]: c for c in build_report(case_ctx, COUNTY, campaign)["cases"]}
    assert before[opened.case_no]["stage"] == "home_visit"
    folded = case_ctx.report_digests.folded
    build_report(case_ctx, COUNTY, campaign)
    assert case_ctx.report_digests.folded == folded  # nothing moved: every case from what was kept
    kept = len(case_ctx.report_digests)

    handle = client.get_workflow_handle(opened.workflow_id)
    await act(handle, client_update("visit"), VisitInput(actor=OFFICER, finding=Finding.confirmed))
    after = {c["case_no"]: c for c in build_report(case_ctx, COUNTY, campaign)["cases"]}
    assert after[opened.case_no]["stage"] == "return_plan"
    assert case_ctx.report_digests.folded == folded + 1  # the one case that moved, and only it
    assert len(case_ctx.report_digests) == kept  # its newer digest took the older one's place
    assert {k: v for k, v in after.items() if k != opened.case_no} == {
        k: v for k, v in before.items() if k != opened.case_no
    }


async def test_a_reminder_names_only_the_people_its_own_event_reminded(case_ctx: Context) -> None:
    """Each escalated event's recipients, and no other's: the query once took every reminder's
    recipients in the ledger for each one (an uncorrelated subquery), wrong in the 问责 figures and
    quadratic in memory through a deadline storm."""
    import uuid

    from sqlalchemy import text

    from ledger.reports import report_events

    first, second = [await open_for(case_ctx, CaseKind.dropout) for _ in range(2)]
    reminded = {uuid.UUID(first.case_id): ["甲办案员", "乙股长"], uuid.UUID(second.case_id): ["丙办案员"]}
    with case_ctx.sessions() as session:  # rolled back: the ledger keeps no unsigned event
        for case_id, people in reminded.items():
            session.execute(
                text(
                    "INSERT INTO case_events (case_id, business_key, seq, type, stage, actor, at, payload)"
                    " VALUES (:case, :key, 90, 'escalated', 'home_visit', 'system', now(), :payload)"
                ),
                {
                    "case": case_id,
                    "key": f"{case_id}:escalated:90",
                    "payload": json.dumps({"level": 0, "recipients": people}),
                },
            )
        events = report_events(session, dict.fromkeys(reminded, 90))
        session.rollback()
    assert {case_id: [e.recipients for e in found if e.type == "escalated"] for case_id, found in events.items()} == {
        case_id: [people] for case_id, people in reminded.items()
    }


def client_update(name: str) -> Any:
    from workflows.case import CaseWorkflow

    return getattr(CaseWorkflow, name)


def test_the_kept_map_forgets_the_oldest_past_its_limit() -> None:
    from starter.bounded_map import BoundedMap

    kept: BoundedMap[str, int] = BoundedMap(2)
    kept.add({"a": 1, "b": 2})
    kept.add({"c": 3})
    assert (kept.get("a"), kept.get("b"), kept.get("c"), len(kept)) == (None, 2, 3, 2)


def test_the_digest_cache_remembers_no_more_cases_than_it_keeps_digests() -> None:
    """Each case's newest folded number is what lets a newer digest replace its older one; it is
    held for as many cases as digests are kept, not for every case the server ever folded."""
    import uuid

    from starter.report_digests import DigestCache

    cache = DigestCache(limit=3)
    cases = [uuid.uuid4() for _ in range(10)]
    assert cache._superseded({("v", case_id, 1): None for case_id in cases}) == []
    assert len(cache._newest) == 3
    assert cache._superseded({("v", cases[-1], 2): None}) == [("v", cases[-1], 1)]  # still replaced
