"""Migrations that change what a row means, run on rows written before them."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.orm import Session

from activities.notify import deliver
from domain.actors import Chain
from domain.campaign import CampaignSpec
from domain.case import CaseEvent, CaseState, Delivery, Projection
from domain.enums import CaseKind, Stage
from ledger.campaigns import upsert_campaign
from ledger.db import make_engine, make_sessionmaker
from ledger.migrate import alembic_config
from ledger.personal import PersonalDataCipher
from ledger.projection import write_projection
from tests.support.database import fresh_database

ADD_OFFICER = text(
    "INSERT INTO officers (name, role, township, notify_urls) VALUES (:n, 'case_officer', :t, '[]') RETURNING id"
)
ADD_STUDENT = text(
    "INSERT INTO students (id, child_key, name_enc, id_number_enc, id_masked)"
    " VALUES (:i, :k, '\\x00', '\\x00', '500243********0000')"
)
ADD_CASE = text(
    "INSERT INTO cases (id, case_no, workflow_id, campaign, kind, student_id, township, group_no, stage,"
    " assigned_officer, confirmed_by, opened_at, roster_version, chain)"
    " VALUES (:i, :n, :w, 'm-2026', 'dropout', :s, :t, 1, 'home_visit', :a, :c, now(), 'v', CAST(:chain AS jsonb))"
)


def old_case(
    session: Session, serial: int, township: str, *, assigned: str | None = None, confirmed: str | None = None,
    chain: dict[str, str] | None = None,
) -> tuple[uuid.UUID, str]:  # fmt: skip
    """A case row as an earlier revision wrote it (the models describe the newest)."""
    case_id, student_id, case_no = uuid.uuid4(), uuid.uuid4(), f"M2026{serial:05d}"
    session.execute(ADD_STUDENT, {"i": student_id, "k": f"child-{serial}"})
    values = {"i": case_id, "n": case_no, "w": f"case-{case_id}", "s": student_id, "t": township}
    session.execute(ADD_CASE, {**values, "a": assigned, "c": confirmed, "chain": json.dumps(chain or {})})
    return case_id, case_no


ADD_REMINDER = text(
    "INSERT INTO notifications (business_key, case_id, event_seq, level, stage, recipient, message, status, attempts)"
    " VALUES (:k, :c, 1, 0, 'home_visit', :r, 'm', 'pending', 0)"
)


def test_reminders_written_by_name_go_to_the_same_officers_after_0019(pg_server: str) -> None:
    """Before 0019 an outbox row named its recipient; after it, the row is for an officer: the one
    of the case's township, else the only one of that name. A name that stands for two officers
    elsewhere is left unresolved (reported, never guessed)."""
    with fresh_database(pg_server, revision="0018") as url:
        engine = make_engine(url)
        with make_sessionmaker(engine).begin() as session:
            officers = {}
            people = [
                ("同名老师", "梅子垭镇"),
                ("同名老师", "鞍子镇"),
                ("汪贤梁", None),
                ("重名", "鞍子镇"),
                ("重名", "桑柘镇"),
            ]
            for name, township in people:
                officers[(name, township)] = session.scalar(ADD_OFFICER, {"n": name, "t": township})
            spec = CampaignSpec(
                name="m-2026",
                reference_date=dt.date(2026, 9, 1),
                clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC),
            )
            upsert_campaign(session, spec=spec)
            case_id, _case_no = old_case(session, 901, "梅子垭镇")
            for key, (reminded, recipient) in enumerate(
                [(case_id, "同名老师"), (case_id, "汪贤梁"), (case_id, "重名"), (None, "同名老师")]
            ):
                session.execute(ADD_REMINDER, {"k": f"m{key}", "c": reminded, "r": recipient})
        command.upgrade(alembic_config(url), "head")
        with engine.connect() as connection:
            resolved = connection.execute(
                text("SELECT business_key, recipient_id FROM notifications ORDER BY business_key")
            ).all()
        engine.dispose()
    assert resolved == [
        ("m0", officers[("同名老师", "梅子垭镇")]),  # the case's township's 同名老师, not 鞍子镇's
        ("m1", officers[("汪贤梁", None)]),  # the only one of that name
        ("m2", None),  # two 重名, neither in the case's township: not guessed
        ("m3", None),  # no case, two 同名老师: not guessed
    ]


ADD_PERSON = text(
    "INSERT INTO officers (name, role, township, notify_urls) VALUES (:n, :r, :t, CAST(:u AS jsonb)) RETURNING id"
)


def test_cases_kept_by_name_become_id_keyed_after_0021(pg_server: str, caplog: pytest.LogCaptureFixture) -> None:
    """Before 0021 a case named its assignee, confirmer and chain; after it, they are officers by
    id, resolved in the case's township (two 同名老师 in two townships each keep their own cases),
    and the reminders a run started before ids still records by name reach the same people. A name
    that is two officers of the case's township is reported and left unresolved, never guessed."""
    with fresh_database(pg_server, revision="0020") as url:
        engine = make_engine(url)
        sessions = make_sessionmaker(engine)
        cipher = PersonalDataCipher(bytes(range(32)))
        with sessions.begin() as session:
            people = [
                ("同名老师", "case_officer", "梅子垭镇"),
                ("同名老师", "case_officer", "鞍子镇"),
                ("重名", "case_officer", "鞍子镇"),
                ("重名", "case_officer", "桑柘镇"),
                ("汪贤梁", "section_chief", None),
                ("陈明凡", "office_head", None),
                ("朱洪斌", "group_leader", None),
                ("朱洪斌", "case_officer", "鞍子镇"),
            ]
            ids = {}
            for number, (name, role, township) in enumerate(people):
                urls = json.dumps([f"json://127.0.0.1:1/{number}"])
                ids[(name, township)] = session.scalar(ADD_PERSON, {"n": name, "r": role, "t": township, "u": urls})
            upsert_campaign(
                session,
                spec=CampaignSpec(
                    name="m-2026",
                    reference_date=dt.date(2026, 9, 1),
                    clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC),
                ),
            )
            chain = {"section_chief": "汪贤梁", "office_head": "陈明凡", "group_leader": "朱洪斌"}
            cases = {}
            for serial, (township, assigned, confirmer) in enumerate(
                [("梅子垭镇", "同名老师", None), ("鞍子镇", "同名老师", "同名老师"), ("梅子垭镇", "旧名老师", "重名")]
            ):
                made = old_case(session, 910 + serial, township, assigned=assigned, confirmed=confirmer, chain=chain)
                cases[township if serial < 2 else "ambiguous"] = made
        with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
            command.upgrade(alembic_config(url), "head")
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT id, assigned_officer_id, confirmed_by_id, chain FROM cases")).all()
        by_case = {case_id: (assigned, confirmed, chain) for case_id, assigned, confirmed, chain in rows}
        meiziya, anzi, ambiguous = (by_case[cases[key][0]] for key in ("梅子垭镇", "鞍子镇", "ambiguous"))
        assert meiziya[0] == ids[("同名老师", "梅子垭镇")]
        assert anzi[:2] == (ids[("同名老师", "鞍子镇")], ids[("同名老师", "鞍子镇")])
        assert ambiguous[:2] == (None, None)  # no officer of that name; two 重名, neither of 梅子垭镇
        assert cases["ambiguous"][1] in caplog.text and "旧名老师" in caplog.text and "重名" in caplog.text
        assert meiziya[2]["section_chief_id"] == ids[("汪贤梁", None)]
        assert meiziya[2]["group_leader_id"] == ids[("朱洪斌", None)]  # the group leader, not the namesake officer

        sent: list[tuple[str, str]] = []

        def send(urls: list[str], title: str, body: str) -> tuple[bool, str | None]:
            sent.extend((url, body) for url in urls)
            return True, None

        old_chain = Chain(**chain, roster_version="v")
        for key, level, told in (
            ("梅子垭镇", 0, ["同名老师"]),
            ("鞍子镇", 0, ["同名老师"]),
            ("ambiguous", 0, ["旧名老师"]),
            ("梅子垭镇", 1, ["汪贤梁", "陈明凡"]),
            ("鞍子镇", 2, ["朱洪斌"]),
        ):
            case_id, case_no = cases[key]
            township = "梅子垭镇" if key != "鞍子镇" else "鞍子镇"
            state = CaseState(
                case_id=str(case_id), case_no=case_no, workflow_id=f"case-{case_id}", campaign="m-2026",
                kind=CaseKind.dropout, township=township, group=1, chain=old_chain, stage=Stage.home_visit,
                assigned_officer=told[0] if level == 0 else None, opened_at=dt.datetime.now(dt.UTC),
                last_seq=level + 1,
            )  # fmt: skip
            event = CaseEvent(
                seq=level + 1, type="escalated", stage=Stage.home_visit, actor="system", at=dt.datetime.now(dt.UTC),
                details={"level": level, "reason": "overdue", "recipients": told, "overdue_seconds": 60},
            )  # fmt: skip
            projection = Projection(business_key=f"{case_id}:escalated:{level + 1}", event=event, state=state)
            write_projection(sessions, projection, cipher)
            deliver(sessions, Delivery(case_id=str(case_id), case_no=case_no, event_seq=level + 1), send)
        engine.dispose()

    def reached(case_key: str) -> set[str]:
        return {url for url, body in sent if cases[case_key][1] in body}

    url_of = {person: f"json://127.0.0.1:1/{number}" for number, person in enumerate((n, t) for n, _r, t in people)}
    assert reached("梅子垭镇") == {url_of[("同名老师", "梅子垭镇")], url_of[("汪贤梁", None)], url_of[("陈明凡", None)]}
    assert reached("鞍子镇") == {url_of[("同名老师", "鞍子镇")], url_of[("朱洪斌", None)]}
    assert reached("ambiguous") == set()
