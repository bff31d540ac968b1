"""学籍 follow-through (domain/xueji.py, api/xueji.py, `ledger xueji`): the change each outcome
needs, pending until recorded with who made it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from domain.campaign import CampaignSpec
from domain.id_number import make_id_number
from domain.xueji import XuejiAction, needed_action
from ledger.campaigns import upsert_campaign
from tests.support.api import ADMIN, InProcessApi
from tests.support.cases import CHIEF, COUNTY, OFFICER


@pytest.mark.parametrize(
    ("outcome", "placement", "arrangement", "reason", "needed"),
    [
        ("returned", "original_school", None, None, XuejiAction.resume),
        ("returned", "vocational", None, None, XuejiAction.transfer_in),
        ("arranged", None, "home_delivery", None, XuejiAction.home_delivery),
        ("arranged", None, "deferral", None, XuejiAction.suspend),
        ("arranged", None, "special_school", None, XuejiAction.transfer_in),
        ("excluded", None, None, "moved_out", XuejiAction.transfer_out),
        ("excluded", None, None, "deceased", XuejiAction.close_record),
        ("excluded", None, None, "duplicate", None),
        ("aid_delivered", None, None, None, None),
    ],
)
def test_each_outcome_needs_its_register_change(
    outcome: str, placement: str | None, arrangement: str | None, reason: str | None, needed: XuejiAction | None
) -> None:
    assert needed_action(outcome=outcome, placement=placement, arrangement=arrangement, exclude_reason=reason) == needed


async def test_a_returned_childs_transfer_in_is_pending_until_recorded(api: InProcessApi) -> None:
    """Closed as returned to another school: 转入 pending in `ledger xueji` until recorded with who
    made it; an attendance list that still shows the child as 辍学 flags the case at its import."""
    campaign = CampaignSpec(
        name=f"closing-xueji-{uuid.uuid4().hex[:8]}",  # sorts before the current campaign: never current
        reference_date=dt.date(2026, 9, 1),
        clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC),
    )
    with api.ctx.sessions.begin() as session:
        upsert_campaign(session, spec=campaign)
    id_number = make_id_number("500243", dt.date(2014, 2, 2), 777)
    body = {
        "kind": "dropout",
        "id_number": id_number,
        "name": "学籍儿童",
        "township": "梅子垭镇",
        "campaign": campaign.name,
    }
    case_no = (await api.call(OFFICER, "POST", "/api/cases", body=body)).json()["case_no"]
    early = await api.call(
        OFFICER, "POST", f"/api/cases/{case_no}/xueji", body={"action": "transfer_in", "done_by": "某"}
    )
    assert early.status_code == 400 and early.json()["exit"] == 2  # not closed yet
    target = (dt.date.today() + dt.timedelta(days=20)).isoformat()
    for actor, step, fields in (
        (OFFICER, "visit", {"finding": "confirmed", "dropout_cause": "厌学"}),
        (
            OFFICER,
            "plan",
            {
                "target_date": target,
                "placement": "transfer",
                "measures": ["转学"],
                "responsible": [{"name": "李老师", "role": "班主任"}],
            },
        ),
        (OFFICER, "confirm", {"evidence": ["入学通知"], "school": "鞍子镇中心校"}),
        (CHIEF, "close", {}),
    ):
        taken = await api.step(actor, case_no, step, fields)
        assert taken.status_code == 200, taken.text

    def line(book: dict) -> dict:
        return next(row for row in book["rows"] if row["case_no"] == case_no)

    book = {"campaign": campaign.name}
    pending = line((await api.call(COUNTY, "GET", "/api/ledgers/xueji", params=book)).json())
    assert (pending["xueji_needed"], pending["status"], pending["done_by"]) == ("transfer_in", "pending", None)
    recorded = await api.call(
        OFFICER, "POST", f"/api/cases/{case_no}/xueji", body={"action": "transfer_in", "done_by": "鞍子镇中心校学籍员"}
    )
    assert recorded.status_code == 200, recorded.text
    done = line((await api.call(COUNTY, "GET", "/api/ledgers/xueji", params=book)).json())
    assert (done["status"], done["done_by"], done["xueji_action"]) == ("done", "鞍子镇中心校学籍员", "transfer_in")

    attendance = f"姓名,身份证号,学校,学籍状态\n学籍儿童,{id_number},梅子垭镇中心校,辍学\n".encode()
    params = {"file_name": "在校生名单.csv", "campaign": campaign.name}
    imported = await api.call(ADMIN, "POST", "/api/registers/attendance", raw=attendance, params=params)
    assert imported.status_code == 200, imported.text
    assert imported.json()["xueji_flags"] == [{"case_no": case_no, "township": "梅子垭镇", "status": "left"}]


def test_actions_and_grounds_are_typed_by_code_or_by_their_words() -> None:
    from domain.labels import choices_of, code_of

    assert code_of("xueji", "转入") == "transfer_in" and code_of("xueji", " close_record ") == "close_record"
    assert code_of("ground", "工作走过场") == "perfunctory" and code_of("ground", "随便") is None
    assert "resume（恢复在读）" in choices_of("xueji")
