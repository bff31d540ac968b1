"""Children with no papers: a case opened without an ID number, identified later — merged into the
same child's case where there is one (api/cases.py, starter/identify_service.py, the workflow's
`identify` step and `merge_in` signal)."""

from __future__ import annotations

import datetime as dt
import itertools

from sqlalchemy import select

from domain.id_number import make_id_number
from ledger.models import Case, Notification
from tests.support.api import InProcessApi
from tests.support.cases import ANZI_LEAD, ANZI_OFFICER, COUNTY, OFFICER

_children = itertools.count(1)


def _unpapered(township: str = "梅子垭镇") -> dict[str, object]:
    n = next(_children)
    return {
        "kind": "dropout",
        "township": township,
        "no_id_number": True,
        "name": f"无证儿童{n}",
        "birth_date": f"2014-0{1 + n % 9}-1{n % 10}",
        "guardian": f"无证监护人{n}",
        "village": "青龙村",
    }


def _id_for(child: dict[str, object], serial: int) -> str:
    return make_id_number("500243", dt.date.fromisoformat(str(child["birth_date"])), serial)


async def test_a_child_with_no_id_number_has_a_provisional_case(api: InProcessApi) -> None:
    """All four facts are needed (exit 2 naming what is missing); the same four find the same case;
    the case says everywhere it is shown that the identity is provisional."""
    child = _unpapered()
    missing = await api.call(OFFICER, "POST", "/api/cases", body={**child, "guardian": ""})
    assert missing.status_code == 400 and missing.json()["exit"] == 2 and "监护人" in missing.json()["message"]
    both = await api.call(OFFICER, "POST", "/api/cases", body={**child, "id_number": _id_for(child, 11)})
    assert both.status_code == 400 and both.json()["exit"] == 2
    opened = await api.call(OFFICER, "POST", "/api/cases", body=child)
    assert opened.status_code == 200 and opened.json()["created"], opened.text
    case_no = opened.json()["case_no"]
    again = await api.call(OFFICER, "POST", "/api/cases", body=child)
    assert (again.json()["case_no"], again.json()["created"]) == (case_no, False)
    shown = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()
    assert shown["provisional"] and shown["child"]["provisional"] and shown["child"]["id_number"] == "临时身份"
    assert (shown["intake"]["birth_date"], shown["intake"]["guardian"]) == (child["birth_date"], child["guardian"])
    listed = {c["case_no"]: c for c in (await api.call(OFFICER, "GET", "/api/cases")).json()}
    assert listed[case_no]["provisional"] is True
    history = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}/history")).json()
    assert history[0]["details"]["provisional"] is True
    sideways = await api.step(OFFICER, case_no, "identify", {})
    assert sideways.status_code == 400 and sideways.json()["exit"] == 2  # only through `case identify`


async def test_identified_with_no_other_case_it_becomes_the_childs_case(api: InProcessApi) -> None:
    child = _unpapered()
    case_no = (await api.call(OFFICER, "POST", "/api/cases", body=child)).json()["case_no"]
    id_number = _id_for(child, 12)
    identified = await api.identify(OFFICER, case_no, id_number)
    assert identified.status_code == 200, identified.text
    answer = identified.json()
    assert (answer["merged_into"], answer["kept_case_no"], answer["provisional"]) == (None, case_no, False)
    assert answer["warnings"] == []
    shown = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()
    assert not shown["provisional"] and shown["child"]["id_number"].startswith("500243")
    by_id = {"kind": "dropout", "id_number": id_number, "name": child["name"], "township": "梅子垭镇"}
    same = await api.call(OFFICER, "POST", "/api/cases", body=by_id)
    assert (same.json()["case_no"], same.json()["created"]) == (case_no, False)  # never a second case
    twice = await api.identify(OFFICER, case_no, id_number)
    assert twice.status_code == 400 and twice.json()["exit"] == 2
    history = [e["type"] for e in (await api.call(OFFICER, "GET", f"/api/cases/{case_no}/history")).json()]
    assert history[-1] == "identified"


async def test_identified_into_the_childs_existing_case_the_two_merge(api: InProcessApi) -> None:
    """Opened without an ID in 梅子垭镇, visited and planned; the same child's case (by ID) is in
    鞍子镇 at the home visit. Identified: the provisional case closes as merged, the 鞍子镇 case is
    kept — at the plan's stage, with both histories — and both townships' officers are told."""
    child = _unpapered()
    provisional = (await api.call(OFFICER, "POST", "/api/cases", body=child)).json()["case_no"]
    visited = await api.step(
        OFFICER, provisional, "visit", {"finding": "confirmed", "dropout_cause": "厌学", "note": "入户见到儿童"}
    )
    assert visited.status_code == 200, visited.text
    target = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    plan = {
        "target_date": target,
        "placement": "original_school",
        "measures": ["每周家访"],
        "responsible": [{"name": "李老师", "role": "班主任"}],
    }
    assert (await api.step(OFFICER, provisional, "plan", plan)).status_code == 200
    id_number = _id_for(child, 13)
    registered = {"kind": "dropout", "id_number": id_number, "name": child["name"], "township": "鞍子镇"}
    kept = (await api.call(ANZI_OFFICER, "POST", "/api/cases", body=registered)).json()["case_no"]

    merged = await api.identify(OFFICER, provisional, id_number)
    assert merged.status_code == 200, merged.text
    answer = merged.json()
    assert (answer["merged_into"], answer["kept_case_no"], answer["kept_case_told"]) == (kept, kept, True)
    assert (answer["stage"], answer["outcome"]) == ("closed", "merged")

    gone = (await api.call(OFFICER, "GET", f"/api/cases/{provisional}")).json()
    assert (gone["outcome"], gone["merged_into"]) == ("merged", kept)
    carried = (await api.call(ANZI_OFFICER, "GET", f"/api/cases/{kept}")).json()
    assert (carried["stage"], carried["merged_from"], carried["provisional"]) == (
        "return_confirmation",
        [provisional],
        False,
    )
    assert carried["plan"]["case_no"] == provisional and carried["plan"]["placement"] == "original_school"
    history = (await api.call(ANZI_OFFICER, "GET", f"/api/cases/{kept}/history")).json()
    steps = [(e["case_no"], e["type"]) for e in history]
    for step in ((provisional, "visited"), (provisional, "planned"), (provisional, "merged"), (kept, "opened")):
        assert step in steps, steps
    assert steps[-1] == (kept, "merged_in") and history[-1]["details"]["adopted_stage"] == "return_confirmation"

    again = await api.call(ANZI_OFFICER, "POST", "/api/cases", body=registered)
    assert (again.json()["case_no"], again.json()["created"]) == (kept, False)
    confirm = await api.step(ANZI_OFFICER, kept, "confirm", {"evidence": ["返校照片"], "school": "鞍子镇中心校"})
    assert confirm.status_code == 200, confirm.text  # the kept case runs on from the merged one's plan

    with api.ctx.sessions() as session:
        told = {
            (case_no, recipient)
            for case_no, recipient in session.execute(
                select(Case.case_no, Notification.recipient)
                .join(Case, Case.id == Notification.case_id)
                .where(Case.case_no.in_([provisional, kept]), Notification.message.contains("合并"))
            )
        }
    assert (provisional, OFFICER.name) in told and (kept, ANZI_OFFICER.name) in told, told


async def test_reports_and_ledgers_count_provisional_identities_merges_and_transfers(api: InProcessApi) -> None:
    """The report counts a provisional identity where the case is and a merged case only as merged
    (the kept case stands for the child); the suspected ledger shows each line's provisional flag,
    its hand-overs and its exclusion reason, and never the merged-away line."""
    county = COUNTY
    before = (await api.call(county, "GET", "/api/report")).json()["total"]
    child = _unpapered()
    waiting = (await api.call(OFFICER, "POST", "/api/cases", body=child)).json()["case_no"]
    other = _unpapered()
    merged_away = (await api.call(OFFICER, "POST", "/api/cases", body=other)).json()["case_no"]
    id_number = _id_for(other, 14)
    by_id = {"kind": "dropout", "id_number": id_number, "name": other["name"], "township": "梅子垭镇"}
    kept = (await api.call(OFFICER, "POST", "/api/cases", body=by_id)).json()["case_no"]
    assert (await api.identify(OFFICER, merged_away, id_number)).status_code == 200
    assert (await api.step(OFFICER, waiting, "transfer", {"to": "鞍子镇", "reason": "迁居"})).status_code == 200
    assert (await api.step(ANZI_LEAD, waiting, "transfer_accept", {})).status_code == 200

    report = (await api.call(county, "GET", "/api/report")).json()
    after = report["total"]
    assert after["provisional"] - before["provisional"] == 1  # `waiting`; the merged one no longer
    assert after["merged"] - before["merged"] == 1
    assert after["suspected"] - before["suspected"] == 2  # `waiting` and `kept`, not the merged one
    assert after["transferred_in"] - before["transferred_in"] == 1
    lines = {row["case_no"]: row for row in (await api.call(county, "GET", "/api/ledgers/suspected")).json()["rows"]}
    assert merged_away not in lines and not lines[kept]["provisional"]
    assert lines[waiting]["provisional"] and lines[waiting]["transfers"] == ["梅子垭镇→鞍子镇"]
    assert lines[waiting]["id_masked"] == "临时身份"
