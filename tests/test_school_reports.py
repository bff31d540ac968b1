"""Schools as reporters (一月一报告, 一季度一复核): a school's list replaces only its own rows,
discovery judges a pupil only where a list speaks for their school, the month's grid says who
reported, and the county's recheck turns each discrepancy into a case (starter/import_scope.py,
ledger/registers.py, ledger/school_reports.py, starter/reporting_service.py,
starter/school_check_service.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from typing import Any

import pytest
from sqlalchemy import select, update

from domain.beijing import BEIJING
from domain.campaign import CampaignSpec
from domain.enums import CaseKind
from domain.id_number import make_id_number
from domain.register_scopes import COUNTY, CurrentFile, FileScope, Scope, replaces, superseded
from domain.reporting import quarter_of
from ledger.campaigns import upsert_campaign
from ledger.models import Case, RegisterFile
from starter.discovery_service import discover
from tests.support.api import ADMIN, InProcessApi
from tests.support.cases import COUNTY as COUNTY_ACTOR
from tests.support.cases import LEAD

DECEMBER = dt.datetime(2026, 12, 10, 10, tzinfo=BEIJING)


def pupil(n: int) -> tuple[str, str]:
    return f"报告生{n}", make_id_number("500243", dt.date(2014, 2, 1) + dt.timedelta(days=n), 400 + n)


def table(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode("utf-8")


@pytest.fixture
def campaign(api: InProcessApi) -> CampaignSpec:
    spec = CampaignSpec(
        name=f"reports-{uuid.uuid4().hex[:8]}",
        reference_date=dt.date(2026, 9, 1),
        clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC),
    )
    with api.ctx.sessions.begin() as session:
        upsert_campaign(session, spec=spec)
    return spec


async def send(api: InProcessApi, actor: Any, spec: CampaignSpec, kind: str, body: bytes, **query: str) -> Any:
    params = {"file_name": f"{kind}-{uuid.uuid4().hex[:6]}.csv", "campaign": spec.name, **query}
    return await api.call(actor, "POST", f"/api/registers/{kind}", raw=body, params=params)


def backdate(api: InProcessApi, spec: CampaignSpec, when: dt.datetime) -> None:
    """The files imported so far for the campaign, as if imported at `when`."""
    with api.ctx.sessions.begin() as session:
        session.execute(update(RegisterFile).where(RegisterFile.campaign == spec.name).values(imported_at=when))


def not_attending(api: InProcessApi, spec: CampaignSpec) -> tuple[dict[str | None, int], list[str]]:
    found = discover(api.ctx, campaign=spec, township=None)
    schools: dict[str | None, int] = {}
    for suspect in found.suspects[CaseKind.dropout]:
        if suspect.reason.value == "enrolled_not_attending":
            schools[suspect.school] = schools.get(suspect.school, 0) + 1
    return schools, found.attendance_missing


def test_a_file_replaces_its_own_unit_and_those_within_it() -> None:
    """Guards domain/register_scopes.py with known answers."""
    one = FileScope(Scope.school, "一小", "梅子垭镇")
    two = FileScope(Scope.school, "二小", "梅子垭镇")
    town = FileScope(Scope.township, "梅子垭镇", "梅子垭镇")
    other_town = FileScope(Scope.township, "鞍子镇", "鞍子镇")
    assert replaces(one, one) and not replaces(one, two) and not replaces(one, town) and not replaces(one, COUNTY)
    assert replaces(town, one) and replaces(town, two) and replaces(town, town) and not replaces(town, other_town)
    assert not replaces(town, COUNTY) and replaces(COUNTY, one) and replaces(COUNTY, town) and replaces(COUNTY, COUNTY)
    november, december = dt.datetime(2026, 11, 5, tzinfo=BEIJING), DECEMBER
    files = [CurrentFile(1, COUNTY, november), CurrentFile(2, one, december), CurrentFile(3, other_town, december)]
    hidden = superseded(files)
    assert hidden.hides(1, "梅子垭镇", "一小") and hidden.hides(1, "鞍子镇", "鞍子小学")
    assert not hidden.hides(1, "梅子垭镇", "二小") and not hidden.hides(2, "梅子垭镇", "一小")
    older_school = [CurrentFile(1, COUNTY, december), CurrentFile(2, one, november)]
    assert not superseded(older_school).by_file  # the county list came later: it stands


def test_months_quarters_and_terms_in_beijing_time() -> None:
    """Guards domain/reporting.py and the month helpers of domain/beijing.py with known answers."""
    from domain.beijing import month_end, next_month_start
    from domain.reporting import month_window, parse_month, parse_quarter, quarter_window, term_of

    assert parse_month("2026-12") == (2026, 12) and parse_month("2026-13") is None and parse_month("12") is None
    assert month_window(2026, 12) == (dt.datetime(2026, 12, 1, tzinfo=BEIJING), dt.datetime(2027, 1, 1, tzinfo=BEIJING))
    new_year_eve = dt.datetime(2026, 12, 31, 17, tzinfo=dt.UTC)  # 01:00 on 1 January in Beijing
    assert quarter_of(new_year_eve) == "2027Q1" and term_of(new_year_eve) == "2026秋"
    assert quarter_window(2026, 4) == (
        dt.datetime(2026, 10, 1, tzinfo=BEIJING),
        dt.datetime(2027, 1, 1, tzinfo=BEIJING),
    )
    assert parse_quarter("2027q1") == (2027, 1) and term_of(dt.datetime(2027, 3, 1, tzinfo=BEIJING)) == "2027春"
    assert next_month_start(dt.datetime(2026, 12, 20, tzinfo=BEIJING)) == dt.date(2027, 1, 1)
    assert month_end(dt.date(2026, 11, 1), 0) == dt.datetime(2026, 12, 1, tzinfo=BEIJING)
    assert month_end(dt.date(2026, 11, 1), 2) == dt.datetime(2027, 2, 1, tzinfo=BEIJING)


async def test_schools_report_their_own_rows_and_the_month_shows_who_did(
    api: InProcessApi, campaign: CampaignSpec
) -> None:
    """The issue's test: two schools of one township and one of another; two report in December,
    one does not. `reporting --month 2026-12` shows exactly that; no pupil of the late school is
    raised by the attendance comparison (it is a gap); a second upload by one school replaces
    only its own rows; a school officer imports only its own school's attendance list."""
    tag = uuid.uuid4().hex[:4]
    first, second, third = f"报告一小{tag}", f"报告二小{tag}", f"报告三小{tag}"
    one = await api.school_officer(f"一小专干{tag}", school=first, township="梅子垭镇")
    await api.school_officer(f"二小专干{tag}", school=second, township="梅子垭镇")
    three = await api.school_officer(f"三小专干{tag}", school=third, township="鞍子镇")
    pupils = [pupil(n) for n in range(6)]
    at_school = [first, first, second, second, third, third]
    towns = ["梅子垭镇"] * 4 + ["鞍子镇"] * 2
    enrollment = table(
        ["姓名", "身份证号", "学校", "乡镇（街道）"],
        [[name, id_no, school, town] for (name, id_no), school, town in zip(pupils, at_school, towns, strict=True)],
    )
    assert (await send(api, ADMIN, campaign, "enrollment", enrollment)).status_code == 200
    header = ["姓名", "身份证号", "学校"]
    first_list = table(header, [[*pupils[0], first]])  # pupil 1 is not on it
    answer = await send(api, one, campaign, "attendance", first_list)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["scope"], answer.json()["scope_unit"]) == ("school", first)
    third_list = table(header, [[*pupils[4], third], [*pupils[5], third]])
    assert (await send(api, three, campaign, "attendance", third_list)).status_code == 200
    backdate(api, campaign, DECEMBER)

    grid = await api.call(LEAD, "GET", "/api/reporting", params={"month": "2026-12", "campaign": campaign.name})
    assert grid.status_code == 200, grid.text
    assert grid.json()["month"] == "2026-12"
    mine = {s["school"]: s for s in grid.json()["schools"]}
    assert set(mine) >= {first, second} and third not in mine  # the lead sees their township's schools
    county = await api.call(
        COUNTY_ACTOR, "GET", "/api/reporting", params={"month": "2026-12", "campaign": campaign.name}
    )
    rows = {s["school"]: s for s in county.json()["schools"] if s["school"] in (first, second, third)}
    assert {name: row["reported"] for name, row in rows.items()} == {first: True, second: False, third: True}
    assert (rows[first]["by"], rows[first]["rows"], rows[third]["rows"]) == (one.name, 1, 2)
    assert rows[first]["at"].endswith("+08:00") and rows[first]["at"].startswith("2026-12-10")
    assert set(rows[first]) >= {"school", "township", "reported", "at", "by", "rows", "suspects"}
    november = await api.call(
        COUNTY_ACTOR, "GET", "/api/reporting", params={"month": "2026-11", "campaign": campaign.name}
    )
    assert not any(s["reported"] for s in november.json()["schools"] if s["school"] in rows)
    own = await api.call(one, "GET", "/api/reporting", params={"month": "2026-12", "campaign": campaign.name})
    assert [s["school"] for s in own.json()["schools"]] == [first]

    raised, gaps = not_attending(api, campaign)
    assert raised == {first: 1}  # pupil 1; the late school's pupils are not raised …
    assert gaps == [second]  # … its township is partly reported: the school is the gap

    again = table(header, [[*pupils[0], first], [*pupils[1], first]])
    assert (await send(api, one, campaign, "attendance", again)).status_code == 200
    raised, gaps = not_attending(api, campaign)
    assert raised == {} and gaps == [second]  # the third school's rows stand beside the new list
    with api.ctx.sessions() as session:
        current = session.execute(
            select(RegisterFile.scope_unit).where(
                RegisterFile.campaign == campaign.name, RegisterFile.register == "attendance", RegisterFile.current
            )
        )
        assert sorted(unit for (unit,) in current) == sorted([first, third])

    stranger = table(header, [[*pupils[0], first], [*pupils[4], third]])
    mixed = await send(api, one, campaign, "attendance", stranger, replace="true")
    assert mixed.status_code == 200 and mixed.json()["rejected"][0]["reason"] == "other_school"
    for refused in (
        await send(api, one, campaign, "attendance", third_list, school=third),
        await send(api, one, campaign, "enrollment", enrollment),
        await send(api, LEAD, campaign, "attendance", third_list, school=third),
    ):
        assert refused.status_code == 403 and refused.json()["exit"] == 3, refused.text


async def test_a_township_list_stands_for_its_schools_until_one_reports_again(
    api: InProcessApi, campaign: CampaignSpec
) -> None:
    """A township's list replaces its schools' lists; a school's later list stands for that school
    instead of the township list's rows of it."""
    tag = uuid.uuid4().hex[:4]
    first, second = f"镇报一小{tag}", f"镇报二小{tag}"
    one = await api.school_officer(f"镇报一小专干{tag}", school=first, township="梅子垭镇")
    await api.school_officer(f"镇报二小专干{tag}", school=second, township="梅子垭镇")
    pupils = [pupil(n) for n in range(10, 14)]
    enrollment = table(
        ["姓名", "身份证号", "学校", "乡镇（街道）"],
        [[*p, school, "梅子垭镇"] for p, school in zip(pupils, [first, first, second, second], strict=True)],
    )
    assert (await send(api, ADMIN, campaign, "enrollment", enrollment)).status_code == 200
    header = ["姓名", "身份证号", "学校"]
    assert (await send(api, one, campaign, "attendance", table(header, [[*pupils[0], first]]))).status_code == 200
    town_list = table(header, [[*p, school] for p, school in zip(pupils, [first, first, second, second], strict=True)])
    by_lead = await send(api, LEAD, campaign, "attendance", town_list)
    assert by_lead.status_code == 200 and by_lead.json()["scope_unit"] == "梅子垭镇"
    assert not_attending(api, campaign) == ({}, [])
    backdate(api, campaign, dt.datetime(2026, 11, 2, tzinfo=BEIJING))
    school_list = table(header, [[*pupils[0], first], ["一小新生", pupil(14)[1], first]])
    assert (await send(api, one, campaign, "attendance", school_list)).status_code == 200
    raised, gaps = not_attending(api, campaign)
    assert raised == {first: 1} and gaps == []  # pupil 11: the township list no longer speaks for the school


async def test_a_quarterly_recheck_turns_each_discrepancy_into_a_case(
    api: InProcessApi, campaign: CampaignSpec
) -> None:
    """The issue's test: a recheck with two discrepancies raises two suspects with reason
    `recheck`, of the school; the month's grid shows the recheck; only county roles record one."""
    tag = uuid.uuid4().hex[:4]
    school = f"复核小学{tag}"
    officer = await api.school_officer(f"复核专干{tag}", school=school, township="梅子垭镇")
    found = [pupil(n) for n in (20, 21)]
    body = {
        "school": school,
        "sampled": 30,
        "campaign": campaign.name,
        "discrepancies": [{"name": n, "id_number": i, "note": "名单在读，实已外出"} for n, i in found],
        "note": "抽查三个班",
    }
    recorded = await api.call(COUNTY_ACTOR, "POST", "/api/rechecks", body=body)
    assert recorded.status_code == 200, recorded.text
    result = recorded.json()
    assert (result["discrepancies"], len(result["opened"]), result["already_open"]) == (2, 2, [])
    assert result["period"] == quarter_of(dt.datetime.now(dt.UTC)) and result["kind"] == "quarterly"
    with api.ctx.sessions() as session:
        cases = list(session.scalars(select(Case).where(Case.case_no.in_(result["opened"]))))
    assert {(c.reason, c.school, c.township, c.kind) for c in cases} == {("recheck", school, "梅子垭镇", "dropout")}
    month = dt.datetime.now(BEIJING).strftime("%Y-%m")
    grid = await api.call(LEAD, "GET", "/api/reporting", params={"month": month, "campaign": campaign.name})
    row = next(s for s in grid.json()["schools"] if s["school"] == school)
    assert row["rechecked"] is not None and row["discrepancies"] == 2 and row["suspects"] == 2
    again = await api.call(COUNTY_ACTOR, "POST", "/api/rechecks", body=body)
    assert again.json()["opened"] == [] and sorted(again.json()["already_open"]) == sorted(result["opened"])
    refused = await api.call(officer, "POST", "/api/rechecks", body=body)
    assert refused.status_code == 403 and refused.json()["exit"] == 3
    too_few = await api.call(COUNTY_ACTOR, "POST", "/api/rechecks", body={**body, "sampled": 1})
    assert too_few.status_code == 400 and too_few.json()["exit"] == 2
    bad = {**body, "discrepancies": [{"name": "某生", "id_number": "500243201402011234"}]}
    assert (await api.call(COUNTY_ACTOR, "POST", "/api/rechecks", body=bad)).status_code == 400
