"""An escalation's reminders go to the officers its case recorded, by id, whoever else bears the name."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from sqlalchemy import text

from activities.notify import deliver
from domain.actors import Chain
from domain.case import CaseEvent, CaseState, Delivery, Projection
from domain.enums import CaseKind, Stage
from ledger.db import make_engine, make_sessionmaker
from ledger.personal import PersonalDataCipher
from ledger.projection import write_projection

ADD_PERSON = text(
    "INSERT INTO officers (name, role, township, notify_urls) VALUES (:n, :r, :t, CAST(:u AS jsonb)) RETURNING id"
)
ADD_STUDENT = text(
    "INSERT INTO students (id, child_key, name_enc, id_number_enc, id_masked) VALUES (:i, :i, '\\x00', '\\x00', 'x')"
)
ADD_CASE = text(
    "INSERT INTO cases (id, case_no, workflow_id, campaign, kind, student_id, township, group_no, stage, opened_at,"
    " roster_version, chain) VALUES (:i, :n, :w, 'r', 'dropout', :s, '鞍子镇', 1, 'home_visit', now(),"
    " 'v', '{}')"
)


def test_each_reminder_goes_to_the_recorded_officer_not_a_namesake(database_url: str) -> None:
    """The group leader 朱洪斌 and a 鞍子镇 case officer 朱洪斌; two 同名老师, the assignee being
    鞍子镇's second one. Resolving names (the case's township first) would send the level-2
    reminder to the case officer and could not tell the 同名老师 apart; the ids send each to the
    person the case recorded."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    cipher = PersonalDataCipher(bytes(range(32)))
    people = [
        ("朱洪斌", "case_officer", "鞍子镇"),
        ("朱洪斌", "group_leader", None),
        ("同名老师", "case_officer", "梅子垭镇"),
        ("同名老师", "case_officer", "鞍子镇"),
    ]
    with sessions.begin() as session:
        ids = [
            session.scalar(ADD_PERSON, {"n": n, "r": r, "t": t, "u": json.dumps([f"json://h/{i}"])})
            for i, (n, r, t) in enumerate(people)
        ]
        case_id, student_id = uuid.uuid4(), uuid.uuid4()
        case_no = f"R{case_id.hex[:9]}"
        session.execute(ADD_STUDENT, {"i": student_id})
        session.execute(ADD_CASE, {"i": case_id, "n": case_no, "w": f"case-{case_id}", "s": student_id})
    chain = Chain(section_chief="汪贤梁", office_head="陈明凡", group_leader="朱洪斌", roster_version="v",
                  group_leader_id=ids[1])  # fmt: skip
    state = CaseState(
        case_id=str(case_id), case_no=case_no, workflow_id=f"case-{case_id}", campaign="r",
        kind=CaseKind.dropout, township="鞍子镇", group=1, chain=chain, stage=Stage.home_visit,
        assigned_officer="同名老师", assigned_officer_id=ids[3], opened_at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    sent: list[str] = []

    def send(urls: list[str], title: str, body: str) -> tuple[bool, str | None]:
        sent.extend(urls)
        return True, None

    for seq, (level, told) in enumerate(((2, [("朱洪斌", ids[1])]), (0, [("同名老师", ids[3])])), start=1):
        details = {"level": level, "reason": "overdue", "overdue_seconds": 60,
                   "recipients": [n for n, _ in told], "recipient_ids": [i for _, i in told]}  # fmt: skip
        event = CaseEvent(seq=seq, type="escalated", stage=Stage.home_visit, actor="system",
                          at=dt.datetime.now(dt.UTC), details=details)  # fmt: skip
        state = state.model_copy(update={"last_seq": seq})
        write_projection(
            sessions, Projection(business_key=f"{case_id}:escalated:{seq}", event=event, state=state), cipher
        )
        deliver(sessions, Delivery(case_id=str(case_id), case_no=case_no, event_seq=seq), send)
        assert sent == ["json://h/1"] if level == 2 else ["json://h/1", "json://h/3"], (level, sent)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT assigned_officer_id FROM cases WHERE id = :i"), {"i": case_id}).one()
    engine.dispose()
    assert row[0] == ids[3]


def test_the_reporting_school_is_copied_on_the_first_reminder(database_url: str) -> None:
    """A case a school reported (`baoxue absence`): its level-0 reminder goes to the assignee and
    to that school's officers, not to another school's."""
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    cipher = PersonalDataCipher(bytes(range(32)))
    with sessions.begin() as session:
        officer = session.scalar(
            ADD_PERSON, {"n": "办案员丙", "r": "case_officer", "t": "鞍子镇", "u": '["json://h/o"]'}
        )
        ids = {}
        for school in ("鞍子小学", "鞍子中学"):
            ids[school] = session.scalar(
                text(
                    "INSERT INTO officers (name, role, township, school, notify_urls)"
                    " VALUES (:n, 'school', '鞍子镇', :s, CAST(:u AS jsonb)) RETURNING id"
                ),
                {"n": f"{school}专干", "s": school, "u": json.dumps([f"json://h/{school}"])},
            )
        case_id, student_id = uuid.uuid4(), uuid.uuid4()
        case_no = f"R{case_id.hex[:9]}"
        session.execute(ADD_STUDENT, {"i": student_id})
        session.execute(ADD_CASE, {"i": case_id, "n": case_no, "w": f"case-{case_id}", "s": student_id})
    chain = Chain(section_chief="汪贤梁", office_head="陈明凡", group_leader="朱洪斌", roster_version="v")
    state = CaseState(
        case_id=str(case_id), case_no=case_no, workflow_id=f"case-{case_id}", campaign="r",
        kind=CaseKind.dropout, township="鞍子镇", group=1, chain=chain, stage=Stage.home_visit,
        assigned_officer="办案员丙", assigned_officer_id=officer, school="鞍子小学",
        opened_at=dt.datetime.now(dt.UTC), last_seq=1,
    )  # fmt: skip
    details = {"level": 0, "reason": "overdue", "recipients": ["办案员丙"], "recipient_ids": [officer]}
    event = CaseEvent(seq=1, type="escalated", stage=Stage.home_visit, actor="system", at=dt.datetime.now(dt.UTC),
                      details=details)  # fmt: skip
    write_projection(sessions, Projection(business_key=f"{case_id}:escalated:1", event=event, state=state), cipher)
    sent: list[str] = []

    def send(urls: list[str], title: str, body: str) -> tuple[bool, str | None]:
        sent.extend(urls)
        return True, None

    deliver(sessions, Delivery(case_id=str(case_id), case_no=case_no, event_seq=1), send)
    engine.dispose()
    assert sorted(sent) == ["json://h/o", "json://h/鞍子小学"]
