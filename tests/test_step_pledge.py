"""监护人承诺: a guardian's signed pledge, a step declared with its fields alone (its model, update,
API route, privacy and CLI verb derived from the declaration)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select

from domain.beijing import china_today
from ledger.models import Case, CaseEventRow
from tests.support.api import InProcessApi, open_case
from tests.support.cases import ANZI_OFFICER, OFFICER

PLEDGE = {"guardian": "王某某（父亲）", "content": "保证送孩子按时返校，不再外出打工"}


async def test_a_pledge_is_recorded_at_any_open_stage_and_its_words_are_sealed(api: InProcessApi) -> None:
    case_no, _ = await open_case(api)
    today = china_today(dt.datetime.now(dt.UTC)).isoformat()
    taken = await api.step(OFFICER, case_no, "pledge", {**PLEDGE, "on": today, "evidence_files": []})
    assert taken.status_code == 200, taken.text
    assert taken.json()["stage"] == "home_visit"
    history = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}/history")).json()
    pledged = [e for e in history if e["type"] == "pledged"]
    assert [e["details"] for e in pledged] == [{**PLEDGE, "on": today}]
    with api.ctx.sessions() as session:
        case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
        row = session.scalars(
            select(CaseEventRow).where(CaseEventRow.case_id == case.id, CaseEventRow.type == "pledged")
        ).one()
    assert row.payload == {"on": today}
    assert "王某某" not in json.dumps(row.payload, ensure_ascii=False)


async def test_a_pledge_is_refused_when_dated_ahead_out_of_scope_or_without_its_guardian(api: InProcessApi) -> None:
    case_no, _ = await open_case(api)
    tomorrow = (china_today(dt.datetime.now(dt.UTC)) + dt.timedelta(days=1)).isoformat()
    ahead = await api.step(OFFICER, case_no, "pledge", {**PLEDGE, "on": tomorrow})
    assert ahead.status_code == 403 and ahead.json()["code"] == "future_date"
    outsider = await api.step(ANZI_OFFICER, case_no, "pledge", PLEDGE)
    assert outsider.status_code == 403
    nameless = await api.step(OFFICER, case_no, "pledge", {"content": PLEDGE["content"]})
    assert nameless.status_code == 400 and "guardian" in nameless.json()["message"]


async def test_the_same_pledge_sent_twice_is_answered_as_already_recorded(api: InProcessApi) -> None:
    case_no, _ = await open_case(api)
    first = await api.step(OFFICER, case_no, "pledge", PLEDGE)
    again = await api.step(OFFICER, case_no, "pledge", PLEDGE)
    assert first.status_code == 200 and again.status_code == 200
    assert again.json().get("already_recorded") is True
    assert again.json()["last_seq"] == first.json()["last_seq"]  # where the case is, as a step answers
    history = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}/history")).json()
    assert sum(e["type"] == "pledged" for e in history) == 1
