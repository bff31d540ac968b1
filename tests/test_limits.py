"""No sequence of valid requests wedges a case: a step's size and its lists are bounded before
anything reaches Temporal, repeatable steps are rate-limited per officer and case, a run whose
history grows long continues as new whatever woke it, and nothing stored repaints a terminal."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from domain.enums import CaseKind, Finding
from domain.parsing import MAX_ITEMS, InputError, check_fields
from domain.steps import NoteInput, VisitInput
from domain.terminal import echo, print_json
from starter.context import Context
from tests.support.api import InProcessApi, open_case
from tests.support.cases import OFFICER, OTHER_OFFICER, act, context_for, ledger_events, open_for
from workflows.case import CaseWorkflow


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"text": "家访\x1b[2J"}, "控制字符"),
        ({"text": "王\u202e明"}, "控制字符"),
        ({"measures": ["每周家访"] * (MAX_ITEMS + 1)}, "太多"),
        ({"measures": ["很长的措施" * 800] * 20}, "太大"),
    ],
)
def test_what_an_officer_types_is_bounded_and_clean(fields: dict[str, Any], words: str) -> None:
    with pytest.raises(InputError) as refused:
        check_fields(fields)
    assert words in refused.value.message and refused.value.exit_code == 2


def test_tabs_and_newlines_are_text() -> None:
    check_fields({"text": "第一行\n第二行\t备注"})


def test_nothing_stored_is_printed_raw(capsys: pytest.CaptureFixture[str]) -> None:
    echo("王\x1b[2J明\u202e")
    print_json({"name": "王\x07明"})
    shown = capsys.readouterr().out
    assert "\x1b" not in shown and "\u202e" not in shown and "\x07" not in shown
    assert "\\u001b" in shown and "\\u202e" in shown and "\\u0007" in shown


async def test_an_oversized_plan_is_refused_before_temporal_and_the_case_goes_on(api: InProcessApi) -> None:
    case_no, _ = await open_case(api)
    visited = await api.step(OFFICER, case_no, "visit", {"finding": "confirmed", "dropout_cause": "厌学"})
    assert visited.status_code == 200, visited.text
    huge = {
        "target_date": (dt.date.today() + dt.timedelta(days=30)).isoformat(),
        "placement": "original_school",
        "measures": ["每周家访并与家长沟通" * 400] * 150,
        "responsible": [{"name": "李老师", "role": "班主任"}],
    }
    refused = await api.step(OFFICER, case_no, "plan", huge)
    assert refused.status_code == 413 and refused.json()["exit"] == 2  # the body's limit, before it is read
    many = await api.step(OFFICER, case_no, "plan", {**huge, "measures": ["每周家访"] * (MAX_ITEMS + 1)})
    assert many.status_code == 400 and "太多" in many.json()["message"]
    small = {**huge, "measures": ["每周家访"]}
    planned = await api.step(OTHER_OFFICER, case_no, "plan", small)
    assert planned.status_code == 200 and planned.json()["stage"] == "return_confirmation"


async def test_a_flood_of_notes_is_refused_at_the_limit_and_a_colleague_still_acts(api: InProcessApi) -> None:
    limit = api.ctx.settings.repeatable_steps_per_hour
    case_no, _ = await open_case(api)
    for n in range(limit):
        noted = await api.step(OFFICER, case_no, "note", {"text": f"电话联系家长 第{n}次"})
        assert noted.status_code == 200, noted.text
    flooded = await api.step(OFFICER, case_no, "note", {"text": "再一次"})
    assert flooded.status_code == 403 and flooded.json()["code"] == "rate_limited"
    assert (await api.step(OTHER_OFFICER, case_no, "note", {"text": "同事的备注"})).status_code == 200
    visited = await api.step(OTHER_OFFICER, case_no, "visit", {"finding": "confirmed", "dropout_cause": "厌学"})
    assert visited.status_code == 200 and visited.json()["stage"] == "return_plan"


async def test_a_run_long_with_steps_continues_as_new_without_waiting_for_a_timer(case_ctx: Context) -> None:
    """Notes wake no timer: the run continues as new as soon as its history is long, so a flood
    never reaches Temporal's limits on one run."""
    short = context_for(case_ctx.settings.model_copy(update={"continue_after_events": 40}))
    opened = await open_for(short, CaseKind.dropout)
    client = await short.temporal()
    handle = client.get_workflow_handle(opened.workflow_id)
    first_run = (await handle.describe()).run_id
    for n in range(12):
        await act(handle, CaseWorkflow.note, NoteInput(actor=OFFICER, text=f"第{n}次电话"))
    for _ in range(50):
        if (await handle.describe()).run_id != first_run:
            break
        await asyncio.sleep(0.1)
    assert (await handle.describe()).run_id != first_run, "the run did not continue as new"
    visited = await act(handle, CaseWorkflow.visit, VisitInput(actor=OTHER_OFFICER, finding=Finding.confirmed))
    assert visited.stage == "return_plan"
    seqs = [e.seq for e in ledger_events(short, opened.case_no)]
    assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) == 14
    short.close()


def test_a_statement_past_its_timeout_is_cancelled_by_postgresql(database_url: str) -> None:
    """`BAOXUE_DATABASE_STATEMENT_SECONDS` reaches PostgreSQL: a statement stuck longer is
    cancelled there, and the engine's connection is still usable afterwards."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from config.settings import load_settings
    from ledger.db import make_engine

    engine = make_engine(database_url, load_settings(database_statement_seconds=1).database_timeouts)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "1s"
            with pytest.raises(OperationalError, match="statement timeout"):
                connection.execute(text("SELECT pg_sleep(5)"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
