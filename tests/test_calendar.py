"""A calendar that covers the campaign (config/holidays.py, domain/campaign.py `holidays:`): a year
the shipped calendar does not know is said so, with the dates counted as weekdays only; a campaign
file may carry the year's arrangement, and due times then skip its holidays and count its 调休."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from domain.beijing import BEIJING
from domain.campaign import CampaignSpec
from domain.work_calendar import add_working_time
from starter.case_service import calendar_for, calendar_note
from tests.support.api import ADMIN, InProcessApi

SPRING_2027 = {
    2027: {
        "off": ["2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"],
        "work": ["2027-02-06"],
        "source": "测试用的放假安排（不是国务院办公厅的通知）",
    }
}
"""A made-up arrangement for the test only: the real 2027 notice is the county's to enter."""


def _campaign(**extra: object) -> CampaignSpec:
    return CampaignSpec.model_validate(
        {
            "name": "calendar-test",
            "reference_date": "2026-09-01",
            "clearance_deadline": "2027-06-05T00:00:00+08:00",
            "calendar": "workdays",
            **extra,
        }
    )


def test_a_year_nobody_knows_is_said_so_with_its_dates() -> None:
    far = _campaign(reference_date="2098-09-01", clearance_deadline="2099-06-05T00:00:00+08:00")
    note = calendar_note(far)
    assert note is not None and "2098、2099" in note and "2098-09-01 至 2099-06-05" in note and "holidays:" in note
    carried = {
        2098: {**SPRING_2027[2027], "off": ["2098-10-01"], "work": []},
        2099: {**SPRING_2027[2027], "off": ["2099-01-01"], "work": []},
    }
    assert calendar_note(far.model_copy(update={"holidays": _campaign(holidays=carried).holidays})) is None
    assert calendar_note(_campaign(calendar="calendar")) is None  # calendar days: nothing to know


def test_a_carried_arrangement_moves_due_times_across_the_spring_festival() -> None:
    campaign = _campaign(holidays=SPRING_2027)
    calendar = calendar_for(campaign, dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
    assert calendar is not None and calendar.knows(dt.date(2027, 2, 8))
    friday = dt.datetime(2027, 2, 5, 10, 0, tzinfo=BEIJING)
    due = add_working_time(friday, dt.timedelta(days=3), calendar)
    # Sat 6th a 调休 workday (1), Mon 8th–Fri 12th off, weekend off, Mon 15th (2), Tue 16th (3)
    assert due == dt.datetime(2027, 2, 16, 10, 0, tzinfo=BEIJING)
    far = _campaign(reference_date="2098-09-01", clearance_deadline="2099-06-05T00:00:00+08:00")
    unknown = calendar_for(far, dt.datetime(2098, 9, 1, tzinfo=dt.UTC))
    friday_2099 = dt.datetime(2099, 1, 2, 10, 0, tzinfo=BEIJING)  # New Year's holiday unknown: weekends only
    monday = dt.datetime(2099, 1, 5, 10, 0, tzinfo=BEIJING)
    assert add_working_time(friday_2099, dt.timedelta(days=1), unknown) == monday


def test_an_arrangement_with_a_day_of_another_year_is_refused() -> None:
    wrong = {2027: {**SPRING_2027[2027], "off": ["2026-02-08"]}}
    with pytest.raises(ValidationError):
        _campaign(holidays=wrong)


async def test_campaign_add_says_which_year_it_does_not_know(api: InProcessApi) -> None:
    """A campaign of years before the package's (so that, over, it never becomes the current one
    other tests open their cases in)."""
    text = (
        "name: calendar-add-test\nreference_date: 2002-09-01\n"
        "clearance_deadline: 2003-06-05T00:00:00+08:00\ncalendar: workdays\n"
    )
    saved = await api.call(ADMIN, "POST", "/api/campaigns", body={"file_name": "c.yaml", "text": text})
    assert saved.status_code == 200, saved.text
    assert "2002、2003" in saved.json()["calendar_note"]
