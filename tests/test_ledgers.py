"""The ledgers in the county's shape (starter/ledger_books.py): the children's ledger with where
each child lives, who they are (masked), school and grade, priority groups, and — kept up to date
by the cases — their case's stage, outcome and 包保责任人; the dropouts' ledger with the 1+N, each
persuasion attempt, the return and the 学籍 change; the campaign's own column set."""

from __future__ import annotations

import base64
import datetime as dt
import io
import uuid

from openpyxl import load_workbook

from domain.campaign import CampaignSpec
from domain.id_number import make_id_number
from ledger.campaigns import upsert_campaign
from tests.support.api import ADMIN, InProcessApi
from tests.support.cases import CHIEF, COUNTY, OFFICER


async def test_the_ledgers_carry_the_countys_columns_and_follow_the_cases(api: InProcessApi) -> None:
    campaign = CampaignSpec(
        name=f"ledgers-{uuid.uuid4().hex[:8]}",
        reference_date=dt.date(2026, 9, 1),
        clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC),
        ledger_columns={"suspected": ["case_no", "township", "responsible"]},
    )
    with api.ctx.sessions.begin() as session:
        upsert_campaign(session, spec=campaign)
    kid = make_id_number("500243", dt.date(2014, 3, 4), 811)  # the 17th digit odd: a boy
    other = make_id_number("500243", dt.date(2013, 5, 6), 822)
    registers = {
        "household": f"姓名,身份证号,乡镇,村,监护人,联系电话\n台账儿童,{kid},梅子垭镇,青龙村,台账家长,13812345678\n"
        f"另一儿童,{other},梅子垭镇,白云村,另一家长,13900001111\n",
        "enrollment": f"姓名,身份证号,学校,年级\n另一儿童,{other},梅子垭镇中心校,六年级\n",
        "priority": f"姓名,身份证号,重点群体类别\n台账儿童,{kid},留守儿童\n",
    }
    for register, text in registers.items():
        params = {"file_name": f"{register}.csv", "campaign": campaign.name}
        imported = await api.call(ADMIN, "POST", f"/api/registers/{register}", raw=text.encode(), params=params)
        assert imported.status_code == 200, imported.text
    body = {"kind": "dropout", "id_number": kid, "name": "台账儿童", "township": "梅子垭镇", "campaign": campaign.name}
    case_no = (await api.call(OFFICER, "POST", "/api/cases", body=body)).json()["case_no"]
    target = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    today = dt.date.today().isoformat()
    responsible = ["李老师:班主任", "王支书:村支书"]
    plan = {"target_date": target, "placement": "original_school", "measures": ["家访"], "responsible": responsible}
    plan["responsible"] = [{"name": n, "role": r} for n, r in (p.split(":") for p in responsible)]
    attempt = {
        "on": today,
        "method": "visit",
        "persuader_name": "李老师",
        "persuader_role": "班主任",
        "result": "同意返校",
    }
    for actor, step, fields in (
        (
            OFFICER,
            "visit",
            {"finding": "confirmed", "dropout_cause": "厌学", "dropout_reason": "厌学", "village": "青龙村"},
        ),
        (OFFICER, "plan", plan),
        (OFFICER, "attempt", attempt),
        (OFFICER, "confirm", {"evidence": ["返校照片"], "school": "梅子垭镇中心校", "on": today}),
        (CHIEF, "close", {}),
    ):
        taken = await api.step(actor, case_no, step, fields)
        assert taken.status_code == 200, (step, taken.text)

    book = {"campaign": campaign.name}
    children = {
        row["name_masked"]: row
        for row in (await api.call(COUNTY, "GET", "/api/ledgers/children", params=book)).json()["rows"]
    }
    mine, theirs = children["台***"], children["另***"]
    assert (mine["village"], mine["sex"], mine["birth_date"]) == ("青龙村", "男", "2014-03-04")
    assert (mine["guardian_masked"], mine["phone_masked"]) == ("台***", "138****5678")
    assert "guardian" not in mine and "phone" not in mine  # masked unless revealed
    assert mine["priority_groups"] == ["left_behind"]
    assert (mine["case_no"], mine["case_stage"], mine["case_outcome"], mine["responsible"]) == (
        case_no, "closed", "returned", "李老师",
    )  # fmt: skip
    assert (theirs["school"], theirs["grade"], theirs["case_no"]) == ("梅子垭镇中心校", "六年级", None)

    dropouts = (await api.call(COUNTY, "GET", "/api/ledgers/dropouts", params=book)).json()["rows"]
    line = next(row for row in dropouts if row["case_no"] == case_no)
    assert (line["causes"], line["responsible"], line["helpers"]) == ("厌学", "李老师（班主任）", "王支书（村支书）")
    assert len(line["attempt_log"]) == 1 and "入户劝返" in line["attempt_log"][0]
    assert (line["returned_on"], line["return_school"], line["xueji_status"]) == (today, "梅子垭镇中心校", "pending")

    report = (await api.call(COUNTY, "GET", "/api/report", params=book)).json()
    coverage = next(row for row in report["village_coverage"] if row["township"] == "梅子垭镇")
    assert (coverage["villages"], coverage["villages_visited"], coverage["households_visited"]) == (["青龙村"], 1, 1)

    suspected = (await api.call(COUNTY, "GET", "/api/ledgers/suspected", params={**book, "xlsx": "true"})).json()
    assert suspected["columns"] == ["case_no", "township", "responsible"]  # the campaign's template
    sheet = load_workbook(io.BytesIO(base64.b64decode(suspected["xlsx_base64"]))).active
    assert [c.value for c in sheet[3]] == ["序号", "案件编号", "乡镇（街道）", "包保责任人（1）"]
