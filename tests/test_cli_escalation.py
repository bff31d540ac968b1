"""The drill of the escalation issue on the real dev server: every duration PT8S (level 2 at
PT16S), a dropout case in 梅子垭镇 left alone climbs the whole chain within a minute."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from domain.id_number import make_id_number
from tests.support.stack import running_stack, wait_until
from tests.support.webhook import webhook

pytestmark = pytest.mark.stack

DRILL = """\
name: drill
reference_date: 2026-09-01
clearance_deadline: 2027-06-05T00:00:00+08:00
calendar: workdays
drill: true
stages: {home_visit: PT8S, return_plan: PT8S, return_confirmation: PT8S, closure: PT8S}
kinds: {funding: {return_confirmation: PT8S}}
escalation: {level1_after: PT8S, level2_after: PT16S, repeat_every: PT8S}
"""


COUNTY = "县教委督查员"


def test_a_case_left_alone_climbs_the_chain(tmp_path: Path) -> None:
    campaign = tmp_path / "drill.yaml"
    campaign.write_text(DRILL, encoding="utf-8")
    child = make_id_number("500243", dt.date(2014, 3, 3), 77)
    with running_stack(tmp_path / "data") as stack, webhook() as (port, received):
        assert stack.baoxue("campaign", "add", str(campaign)).code == 0
        stack.add_here(
            "梅子垭王老师", "case_officer", "--township", "梅子垭镇", "--notify", f"json://127.0.0.1:{port}/reminders"
        )
        stack.add_here(COUNTY, "county")
        opened = stack.baoxue(
            "case",
            "open",
            "--kind",
            "dropout",
            "--id-number",
            child,
            "--name",
            "赵小虎",
            "--township",
            "梅子垭镇",
            "--campaign",
            "drill",
            "--json",
            actor="梅子垭王老师",
        )
        assert opened.code == 0, opened.stderr
        case_no = opened.json()["case_no"]

        def levels() -> list[int]:
            return [row["level"] for row in stack.baoxue("escalations", "--json", actor=COUNTY).json()]

        assert wait_until(lambda: {0, 1, 2} <= set(levels()), 60, step=2)
        rows = stack.baoxue("escalations", "--json", actor=COUNTY).json()
        by_level = {row["level"]: row for row in reversed(rows)}
        assert by_level[0]["recipients"] == ["梅子垭王老师"]
        assert by_level[1]["recipients"] == ["汪贤梁", "陈明凡"]
        assert by_level[2]["recipients"] == ["朱洪斌"]
        for row in rows:
            assert {"case_no", "township", "stage", "level", "recipients", "at", "delivered"} <= set(row)
            assert row["case_no"] == case_no and row["township"] == "梅子垭镇" and row["stage"] == "home_visit"
        assert wait_until(
            lambda: stack.baoxue("escalations", "--level", "0", "--json", actor=COUNTY).json()[0]["delivered"], 20
        )
        assert received and received[0]["path"] == "/reminders"
        assert case_no in received[0]["message"] and "梅子垭镇" in received[0]["message"]
        assert "赵小虎" not in received[0]["message"] and child not in received[0]["message"]

        shown = stack.baoxue("case", "show", case_no, "--json", actor="梅子垭王老师").json()
        assert shown["escalation_level"] == 2 and shown["overdue"] is True and shown["next_escalation_at"]
        overdue = stack.baoxue("cases", "--overdue", "--json", actor="梅子垭王老师").json()
        assert [c["case_no"] for c in overdue] == [case_no]
        outbox = stack.baoxue("notifications", "--json", actor=COUNTY).json()
        assert {"汪贤梁", "陈明凡", "朱洪斌", "梅子垭王老师"} <= {n["recipient"] for n in outbox}
        assert [
            n["recipient"] for n in stack.baoxue("notifications", "--status", "sent", "--json", actor=COUNTY).json()
        ] and all(
            n["recipient"] == "梅子垭王老师"
            for n in stack.baoxue("notifications", "--status", "sent", "--json", actor=COUNTY).json()
        )
        assert stack.baoxue(
            "escalations", "--level", "1", "--township", "梅子垭", "--group", "1", "--json", actor=COUNTY
        ).json()
        assert stack.baoxue("escalations", "--group", "2", "--json", actor=COUNTY).json() == []
        assert stack.baoxue("escalations", "--json", "--as", "周勇").json() == []  # another group's leader
        assert stack.baoxue("notifications", "--json", "--as", "周勇").json() == []
        assert stack.baoxue("escalations", "--json", "--as", "朱洪斌").json()
