"""Migrations that change what a row means, run on rows written before them."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import text

from domain.campaign import CampaignSpec
from domain.id_number import make_id_number
from ledger.campaigns import upsert_campaign
from ledger.cases import reserve_case
from ledger.db import make_engine, make_sessionmaker
from ledger.migrate import alembic_config
from ledger.personal import PersonalDataCipher
from tests.support.database import fresh_database

ADD_OFFICER = text(
    "INSERT INTO officers (name, role, township, notify_urls) VALUES (:n, 'case_officer', :t, '[]') RETURNING id"
)
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
        cipher = PersonalDataCipher(bytes(range(32)))
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
            case = reserve_case(
                session, cipher=cipher, campaign="m-2026", kind="dropout",
                id_number=make_id_number("500243", dt.date(2013, 5, 5), 901), name="某某", township="梅子垭镇",
                group=1, chain={}, roster_version="v", intake={}, now=dt.datetime.now(dt.UTC),
            ).case  # fmt: skip
            for key, (case_id, recipient) in enumerate(
                [(case.id, "同名老师"), (case.id, "汪贤梁"), (case.id, "重名"), (None, "同名老师")]
            ):
                session.execute(ADD_REMINDER, {"k": f"m{key}", "c": case_id, "r": recipient})
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
