"""督查 and 问责 through the API as the CLI sends them (api/supervision.py,
starter/supervision_service.py): who may record what, answers, evidence, scope."""

from __future__ import annotations

import base64
import datetime as dt
import io

from openpyxl import load_workbook

from domain.beijing import china_today
from tests.support.api import InProcessApi, open_case
from tests.support.cases import ANZI_LEAD, ANZI_OFFICER, CHIEF, COUNTY, LEAD, OFFICER


async def test_an_inspection_an_order_its_answer_and_a_decision_on_record(api: InProcessApi) -> None:
    today = china_today(dt.datetime.now(dt.UTC)).isoformat()
    case_no, _ = await open_case(api)
    inspection = {
        "township": "梅子垭",
        "inspected_on": today,
        "villages": ["青龙村", "白云村"],
        "schools": ["梅子垭镇中心校"],
        "sampled": [case_no],
        "finding": "入户走访记录不全",
    }
    refused = await api.call(OFFICER, "POST", "/api/inspections", body=inspection)
    assert refused.status_code == 403 and refused.json()["exit"] == 3  # a case officer does not inspect
    elsewhere = await api.call(CHIEF, "POST", "/api/inspections", body={**inspection, "township": "郁山镇"})
    assert elsewhere.status_code == 403  # not this section chief's township
    unknown = await api.call(CHIEF, "POST", "/api/inspections", body={**inspection, "sampled": ["2099-999999"]})
    assert unknown.status_code == 400 and unknown.json()["exit"] == 2
    recorded = await api.call(CHIEF, "POST", "/api/inspections", body=inspection)
    assert recorded.status_code == 200, recorded.text
    inspection_id = recorded.json()["id"]
    assert recorded.json()["township"] == "梅子垭镇"
    upload = await api.call(CHIEF, "POST", f"/api/records/inspection:{inspection_id}/files", raw=b"%PDF-1.4 notes")
    assert upload.status_code == 200, upload.text

    order = {"township": "梅子垭镇", "due": today, "text": "一周内补齐走访记录", "inspection": inspection_id}
    past = await api.call(CHIEF, "POST", "/api/inspections/orders", body={**order, "due": "2020-01-01"})
    assert past.status_code == 400
    issued = await api.call(CHIEF, "POST", "/api/inspections/orders", body=order)
    assert issued.status_code == 200, issued.text
    order_id = issued.json()["id"]
    assert issued.json()["due_at"].endswith("+08:00")
    stranger = await api.call(ANZI_OFFICER, "POST", f"/api/inspections/orders/{order_id}/answer", body={"text": "x"})
    assert stranger.status_code == 403
    answered = await api.call(LEAD, "POST", f"/api/inspections/orders/{order_id}/answer", body={"text": "已补齐"})
    assert answered.status_code == 200, answered.text
    again = await api.call(LEAD, "POST", f"/api/inspections/orders/{order_id}/answer", body={"text": "再答"})
    assert again.status_code == 400 and again.json()["exit"] == 2

    decision = {
        "unit": "梅子垭镇",
        "person": "某负责人",
        "ground": "perfunctory",
        "cases": [case_no],
        "decision": "约谈乡镇教管中心负责人",
    }
    assert (await api.call(CHIEF, "POST", "/api/accountability", body=decision)).status_code == 403
    decided = await api.call(COUNTY, "POST", "/api/accountability", body=decision)
    assert decided.status_code == 200, decided.text

    record = (await api.call(COUNTY, "GET", "/api/inspections")).json()
    mine = next(i for i in record["inspections"] if i["id"] == inspection_id)
    assert mine["finding"] == "入户走访记录不全" and mine["sampled"] == [case_no] and len(mine["files"]) == 1
    done = next(o for o in record["orders"] if o["id"] == order_id)
    assert (done["answer"], done["answered_by"], done["overdue"]) == ("已补齐", LEAD.name, False)
    assert any(
        d["decision"] == "约谈乡镇教管中心负责人" and d["ground"] == "perfunctory" for d in record["accountability"]
    )
    workbook = (await api.call(COUNTY, "GET", "/api/report/xlsx")).json()["xlsx_base64"]
    sheets = load_workbook(io.BytesIO(base64.b64decode(workbook)))
    texts = {
        name: {str(c.value) for row in sheets[name].iter_rows() for c in row}
        for name in ("督查", "整改通知", "问责记录")
    }
    assert "入户走访记录不全" in texts["督查"] and "已补齐" in texts["整改通知"]
    assert "约谈乡镇教管中心负责人" in texts["问责记录"] and "工作走过场" in texts["问责记录"]
    theirs = (await api.call(ANZI_LEAD, "GET", "/api/inspections")).json()
    assert all(i["township"] != "梅子垭镇" for i in theirs["inspections"])
    assert all(d["unit"] != "梅子垭镇" for d in theirs["accountability"])
