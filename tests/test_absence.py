"""A pupil a school reports absent: the same working day's home visit (domain/absence.py), and a
case opened in the request that reports it (api/schools.py, starter/absence_service.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from domain.absence import home_visit_due
from domain.actors import Actor
from domain.beijing import BEIJING
from domain.id_number import make_id_number
from domain.work_calendar import WorkCalendar
from ledger.models import Case
from tests.support.api import InProcessApi
from tests.support.cases import OFFICER

NATIONAL_DAY = WorkCalendar(holidays=frozenset({dt.date(2026, 10, 1), dt.date(2026, 10, 2)}))


def at(day: int, hour: int, month: int = 12) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=BEIJING)


def test_the_home_visit_is_due_the_same_working_day() -> None:
    assert home_visit_due(at(7, 9), NATIONAL_DAY) == at(7, 18)  # a Monday morning: that evening
    assert home_visit_due(at(7, 17), NATIONAL_DAY) == at(8, 18)  # too late in the day: the next one's
    assert home_visit_due(at(5, 10), NATIONAL_DAY) == at(7, 18)  # a Saturday: Monday's
    assert home_visit_due(at(30, 10, month=9), NATIONAL_DAY) == at(30, 18, month=9)
    assert home_visit_due(at(30, 17, month=9), NATIONAL_DAY) == at(5, 18, month=10)  # past the holiday and weekend
    assert home_visit_due(at(5, 10), None) == at(5, 18)  # no calendar: every day is a working day
    assert home_visit_due(at(7, 9), NATIONAL_DAY, dt.timedelta(hours=4)) == at(7, 13)  # the campaign's own


async def _school_officer(api: InProcessApi) -> Actor:
    return await api.school_officer("梅子垭二小专干", school="梅子垭第二小学", township="梅子垭镇")


async def test_an_absence_past_the_threshold_opens_a_case_in_the_same_request(api: InProcessApi) -> None:
    """Guards starter/absence_service.py: 2 days is recorded only; 3 days opens a suspected dropout
    case at once, assigned to the township's case officer, reason `absence`, the school in its
    intake, the home visit due the same working day; reported again, the case is the same; only a
    school officer reports."""
    reporter = await _school_officer(api)
    pupil = {"id_number": make_id_number("500243", dt.date(2014, 3, 9), 321), "name": "缺勤生"}
    below = await api.call(reporter, "POST", "/api/absences", body={**pupil, "days": 2})
    assert below.status_code == 200, below.text
    assert (below.json()["opened"], below.json()["case_no"]) == (False, None)
    before = dt.datetime.now(dt.UTC)
    reported = await api.call(reporter, "POST", "/api/absences", body={**pupil, "days": 3, "reason": "家长外出务工"})
    assert reported.status_code == 200, reported.text
    assert reported.json()["opened"] is True
    case_no = reported.json()["case_no"]
    with api.ctx.sessions() as session:
        case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    assert (case.kind, case.reason, case.township, case.stage) == ("dropout", "absence", "梅子垭镇", "home_visit")
    assert case.assigned_officer == OFFICER.name
    assert case.due_at is not None
    assert before < case.due_at <= before + dt.timedelta(days=5)  # today's, or after a weekend or holiday
    assert case.due_at.astimezone(BEIJING).time() == dt.time(18, 0)  # the end of a working day
    shown = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()
    assert shown["intake"]["school"] == "梅子垭第二小学"
    listed = (await api.call(reporter, "GET", "/api/cases")).json()
    assert case_no in {c["case_no"] for c in listed} and {c["township"] for c in listed} == {"梅子垭镇"}
    again = await api.call(reporter, "POST", "/api/absences", body={**pupil, "days": 5})
    assert (again.json()["opened"], again.json()["case_no"]) == (False, case_no)
    refused = await api.call(OFFICER, "POST", "/api/absences", body={**pupil, "days": 5})
    assert refused.status_code == 403 and refused.json()["exit"] == 3


async def test_the_reporting_school_says_the_pupil_is_back_and_the_case_closes_excluded(api: InProcessApi) -> None:
    """Guards the `back` step (domain/rules.py, starter/access.py): only an officer of the school
    that reported the absence reports the pupil back — not the township's officer, not another
    school's — and the case closes as 排除 with the school's word."""
    reporter = await _school_officer(api)
    stranger = await api.school_officer("鞍子二小专干", school="鞍子第二小学", township="鞍子镇")
    pupil = {"id_number": make_id_number("500243", dt.date(2013, 11, 2), 654), "name": "返校生", "days": 4}
    case_no = (await api.call(reporter, "POST", "/api/absences", body=pupil)).json()["case_no"]
    today = dt.datetime.now(BEIJING).date().isoformat()
    word = {"note": "已返校上课，缺勤系病假", "on": today}
    township_officer = await api.step(OFFICER, case_no, "back", word)
    assert township_officer.status_code == 403 and "学校专干" in township_officer.json()["message"]
    elsewhere = await api.step(stranger, case_no, "back", word)
    assert elsewhere.status_code in (403, 404), elsewhere.text
    back = await api.step(reporter, case_no, "back", word)
    assert back.status_code == 200, back.text
    with api.ctx.sessions() as session:
        case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
    assert (case.stage, case.outcome) == ("closed", "excluded")
    history = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}/history")).json()
    assert history[-1]["type"] == "back_in_school" and history[-1]["actor"] == "梅子垭二小专干"
