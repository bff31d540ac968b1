"""Children who move and exclusions that need proof, through the API as the CLI sends them
(api/cases.py, domain/rules.py's signed rules, starter/case_service.py)."""

from __future__ import annotations

import datetime as dt

from domain.id_number import make_id_number
from tests.support.api import InProcessApi, open_case
from tests.support.cases import CHIEF, LEAD, OFFICER


async def test_a_child_from_another_county_is_opened_with_its_reference(api: InProcessApi) -> None:
    child = {
        "kind": "dropout",
        "id_number": make_id_number("500243", dt.date(2013, 8, 8), 931),
        "name": "转入生",
        "township": "梅子垭镇",
        "from_county": "酉阳县",
    }
    without = await api.call(OFFICER, "POST", "/api/cases", body=child)
    assert without.status_code == 400 and without.json()["exit"] == 2 and "--reference" in without.json()["message"]
    opened = await api.call(OFFICER, "POST", "/api/cases", body={**child, "reference": "酉教函〔2026〕12号"})
    assert opened.status_code == 200, opened.text
    shown = (await api.call(OFFICER, "GET", f"/api/cases/{opened.json()['case_no']}")).json()
    assert (shown["intake"]["from_county"], shown["intake"]["reference"]) == ("酉阳县", "酉教函〔2026〕12号")


async def test_an_exclusion_without_proof_is_bad_input_and_waits_for_a_section_chief(api: InProcessApi) -> None:
    """Through the API: 死亡 without an evidence file is exit 2 naming it, nothing recorded; with
    an uploaded file it goes to closure, where the township lead is refused (exit 3) and the
    section chief closes it."""
    case_no, _ = await open_case(api)
    dead = {"finding": "excluded", "exclude_reason": "deceased"}
    refused = await api.step(OFFICER, case_no, "visit", dead)
    assert refused.status_code == 400 and refused.json()["exit"] == 2, refused.text
    assert "--evidence-file" in refused.json()["message"]
    assert (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()["stage"] == "home_visit"
    upload = await api.call(OFFICER, "POST", f"/api/cases/{case_no}/evidence", raw=b"%PDF-1.4 death record")
    assert upload.status_code == 200, upload.text
    proof = {"id": upload.json()["id"], "sha256": upload.json()["sha256"]}
    taken = await api.step(OFFICER, case_no, "visit", {**dead, "evidence_files": [proof]})
    assert taken.status_code == 200, taken.text
    by_lead = await api.step(LEAD, case_no, "close", {})
    assert by_lead.status_code == 403 and by_lead.json()["exit"] == 3
    closed = await api.step(CHIEF, case_no, "close", {})
    assert closed.status_code == 200, closed.text
    shown = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()
    assert (shown["stage"], shown["outcome"]) == ("closed", "excluded")
