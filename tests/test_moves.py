"""Children who move and exclusions that need proof, through the API as the CLI sends them
(api/cases.py, domain/rules.py's signed rules, starter/case_service.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from domain.id_number import make_id_number
from ledger.models import Case, Notification
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
    browser = await api.dashboard(CHIEF)
    overview = (await browser.get("/dashboard/")).text
    assert 'id="exclusions"' in overview and "已死亡 " in overview and "下落不明" in overview
    await browser.aclose()


async def test_a_case_moves_to_another_township_when_that_township_accepts(api: InProcessApi) -> None:
    """转出 → 转入: the case's officer asks; another township's lead cannot answer (exit 3), nor can
    the receiving township's case officer; the receiving lead sees the request and accepts it with
    one of its officers. The case keeps its number and history; its township, chain and assignee
    are the receiving side's; the sending officer may no longer act, the receiving one may. A
    declined request leaves a case where it was."""
    from domain.actors import Actor
    from domain.enums import Role
    from tests.support.cases import ANZI_LEAD, ANZI_OFFICER, register_officer

    yushan_lead = register_officer(api.ctx, Actor(name="郁山转接主任", role=Role.township_lead, township="郁山镇"))
    case_no, _ = await open_case(api)
    asked = await api.step(OFFICER, case_no, "transfer", {"to": "鞍子镇", "reason": "全家迁往鞍子镇居住"})
    assert asked.status_code == 200, asked.text
    assert asked.json()["transfer"]["to"] == "鞍子镇" and asked.json()["township"] == "梅子垭镇"
    with api.ctx.sessions() as session:  # the receiving lead hears of it now, not only when it is late
        told = session.execute(
            select(Notification.recipient, Notification.message)
            .join(Case, Case.id == Notification.case_id)
            .where(Case.case_no == case_no)
        ).all()
    assert [(who, "转给鞍子镇" in message) for who, message in told] == [(ANZI_LEAD.name, True)]
    listed = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()
    assert listed["transfer"]["requested_at"].endswith("+08:00")
    again = await api.step(OFFICER, case_no, "transfer", {"to": "郁山镇", "reason": "再转"})
    assert again.status_code == 403 and again.json()["exit"] == 3  # one request at a time
    for stranger in (yushan_lead, ANZI_OFFICER):
        refused = await api.step(stranger, case_no, "transfer_accept", {})
        assert refused.status_code == 403 and refused.json()["exit"] == 3, refused.text
    waiting = (await api.call(ANZI_LEAD, "GET", "/api/cases")).json()
    assert case_no in {c["case_no"] for c in waiting}  # the receiving lead sees what waits for it
    officer = (await api.call(ANZI_LEAD, "GET", "/api/officers/resolve", params={"ref": ANZI_OFFICER.name})).json()
    accepted = await api.step(ANZI_LEAD, case_no, "transfer_accept", {"officer": officer})
    assert accepted.status_code == 200, accepted.text
    moved = accepted.json()
    assert (moved["township"], moved["assigned_officer"], moved["transfer"]) == ("鞍子镇", ANZI_OFFICER.name, None)
    shown = (await api.call(ANZI_OFFICER, "GET", f"/api/cases/{case_no}")).json()
    assert (shown["case_no"], shown["township"]) == (case_no, "鞍子镇")
    history = [e["type"] for e in (await api.call(ANZI_LEAD, "GET", f"/api/cases/{case_no}/history")).json()]
    assert history[:1] == ["opened"] and history[-2:] == ["transfer_requested", "transfer_accepted"]
    assert (await api.step(OFFICER, case_no, "note", {"text": "还能办吗"})).status_code == 403
    assert (await api.step(ANZI_OFFICER, case_no, "note", {"text": "已接收，入户走访"})).status_code == 200

    other, _ = await open_case(api)
    assert (await api.step(OFFICER, other, "transfer", {"to": "鞍子镇", "reason": "听说搬家"})).status_code == 200
    declined = await api.step(ANZI_LEAD, other, "transfer_decline", {"reason": "经核实不在本镇居住"})
    assert declined.status_code == 200, declined.text
    assert (declined.json()["township"], declined.json()["transfer"]) == ("梅子垭镇", None)
    same = await api.step(OFFICER, other, "transfer", {"to": "梅子垭镇", "reason": "x"})
    assert same.status_code == 400 and same.json()["exit"] == 2


async def test_a_pending_transfer_survives_the_loss_of_the_cases_run(api: InProcessApi) -> None:
    """Temporal loses the case's run while a transfer waits: `verify --repair` restores it from the
    ledger still waiting for the receiving township, which can then accept it."""
    from domain.actors import Actor
    from domain.enums import Role
    from starter.verify import verify_cases
    from tests.support.cases import ANZI_LEAD, ANZI_OFFICER

    case_no, _ = await open_case(api)
    asked = await api.step(OFFICER, case_no, "transfer", {"to": "鞍子镇", "reason": "全家迁往鞍子镇居住"})
    assert asked.status_code == 200, asked.text
    with api.ctx.sessions() as session:
        workflow_id = session.scalars(select(Case.workflow_id).where(Case.case_no == case_no)).one()
    client = await api.ctx.temporal()
    await client.get_workflow_handle(workflow_id).terminate("the engine's state was lost")
    admin = Actor(name="转接恢复管理员", role=Role.admin)
    _checked, differences = await verify_cases(api.ctx, repair=True, actor=admin, only=[case_no])
    assert [d.problem for d in differences] == ["workflow_ended"] and differences[0].repaired
    shown = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()
    assert shown["transfer"]["to"] == "鞍子镇" and shown["township"] == "梅子垭镇"
    officer = (await api.call(ANZI_LEAD, "GET", "/api/officers/resolve", params={"ref": ANZI_OFFICER.name})).json()
    accepted = await api.step(ANZI_LEAD, case_no, "transfer_accept", {"officer": officer})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["township"] == "鞍子镇"
