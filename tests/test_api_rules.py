"""The server's rules, fast: the API in this process (FastAPI over an ASGI transport) against the
tests' real PostgreSQL and Temporal dev server, no whole stack. Each test names the rule it
guards; removing that rule makes it fail (docs/architecture.md, "Testing the server's rules")."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import subprocess
import sys
import threading
from typing import Any

from sqlalchemy import event, select, text

from domain.actors import Actor
from domain.id_number import make_id_number
from ledger.audit import entries
from ledger.models import AuditEntry, Case, CaseEventRow
from starter.context import Context
from tests.support.api import ADMIN, InProcessApi, open_case
from tests.support.cases import (
    ANZI_OFFICER,
    CHIEF,
    COUNTY,
    OFFICER,
    OTHER_LEADER,
    actor_key,
)


def denied_for(ctx: Context, actor: Actor, case_no: str | None = None) -> list[str]:
    """The actions refused to `actor` (on `case_no`), as the audit log has them."""
    with ctx.sessions() as session:
        rows = entries(session, cipher=ctx.cipher, case_no=case_no, actor=actor.name)
    return [row["action"] for row in rows if row["outcome"] == "denied"]


# signed requests (api/auth.py)


async def test_a_request_is_taken_only_with_its_officers_signature(api: InProcessApi) -> None:
    """Guards the signature check: signed by another officer's key, or over another body, refused."""
    assert (await api.call(OFFICER, "GET", "/api/whoami")).json()["name"] == OFFICER.name
    forged = await api.call(OFFICER, "GET", "/api/whoami", key=actor_key(ANZI_OFFICER.name))
    assert forged.status_code == 401 and forged.json()["exit"] == 5
    unsigned = await api.http.get("/api/whoami")
    assert unsigned.status_code == 401


async def test_a_nonce_is_taken_once(api: InProcessApi) -> None:
    """Guards the nonce check: the same signed request sent again is refused."""
    nonce = secrets.token_hex(16)
    at = dt.datetime.now(dt.UTC)
    first = await api.call(OFFICER, "GET", "/api/whoami", nonce=nonce, at=at)
    again = await api.call(OFFICER, "GET", "/api/whoami", nonce=nonce, at=at)
    assert first.status_code == 200
    assert again.status_code == 401 and "重放" in again.json()["message"]


async def test_a_request_signed_too_long_ago_or_ahead_is_refused(api: InProcessApi) -> None:
    """Guards the five-minute window of the request time."""
    now = dt.datetime.now(dt.UTC)
    for at in (now - dt.timedelta(minutes=6), now + dt.timedelta(minutes=6)):
        late = await api.call(OFFICER, "GET", "/api/whoami", at=at)
        assert late.status_code == 401, at
    assert (await api.call(OFFICER, "GET", "/api/whoami", at=now - dt.timedelta(minutes=4))).status_code == 200


# scope (starter/access.py, domain/scope.py)


async def test_every_case_route_refuses_a_reader_outside_its_township(api: InProcessApi) -> None:
    """Guards scope on every route of one case, read or write: each refusal is exit 3 and audited."""
    case_no, _id = await open_case(api)
    note = {"fields": {"text": "外乡镇的人不能写"}, "expected_seq": 1, "signed_at": "x", "signature": "x"}
    routes = [
        ("GET", f"/api/cases/{case_no}", None),
        ("GET", f"/api/cases/{case_no}/history", None),
        ("GET", f"/api/cases/{case_no}/step", None),
        ("GET", f"/api/cases/{case_no}/evidence", None),
        ("GET", f"/api/cases/{case_no}/evidence/1", None),
        ("POST", f"/api/cases/{case_no}/reveal", {"purpose": "核对身份信息"}),
        (
            "POST",
            f"/api/cases/{case_no}/steps/note",
            note,
        ),
    ]
    for outsider in (ANZI_OFFICER, OTHER_LEADER):
        for method, path, body in routes:
            answer = await api.call(outsider, method, path, body=body)
            assert answer.status_code == 403, (outsider.name, method, path, answer.text)
            assert answer.json()["exit"] == 3
        upload = await api.call(outsider, "POST", f"/api/cases/{case_no}/evidence", raw=b"%PDF-1.4 test")
        assert upload.status_code == 403
        assert len(denied_for(api.ctx, outsider, case_no)) >= len(routes) + 1
    for insider in (OFFICER, CHIEF, COUNTY):
        assert (await api.call(insider, "GET", f"/api/cases/{case_no}")).status_code == 200, insider.name


async def test_lists_reports_and_ledgers_keep_to_the_readers_scope(api: InProcessApi) -> None:
    """Guards scope on the lists: another township's cases are not listed, asking for them is refused."""
    mine, _ = await open_case(api)
    listed = await api.call(ANZI_OFFICER, "GET", "/api/cases")
    assert mine not in {c["case_no"] for c in listed.json()}
    assert mine in {c["case_no"] for c in (await api.call(OFFICER, "GET", "/api/cases")).json()}
    asked = {"township": "梅子垭"}
    for path in ("/api/cases", "/api/escalations", "/api/report"):
        refused = await api.call(ANZI_OFFICER, "GET", path, params=asked)
        assert refused.status_code == 403, (path, refused.text)
    assert (await api.call(ANZI_OFFICER, "GET", "/api/cases", params={"group": 2})).status_code == 403
    report = (await api.call(ANZI_OFFICER, "GET", "/api/report")).json()
    assert mine not in {line["case_no"] for line in report["cases"]}
    suspected = (await api.call(ANZI_OFFICER, "GET", "/api/ledgers/suspected")).json()
    assert mine not in json.dumps(suspected, ensure_ascii=False)
    assert (await api.call(OFFICER, "GET", "/api/audit")).status_code == 403


async def test_dashboard_pages_keep_to_the_readers_scope(api: InProcessApi) -> None:
    """Guards scope behind the dashboard's browser session."""
    case_no, _ = await open_case(api)
    outsider = await api.dashboard(ANZI_OFFICER)
    insider = await api.dashboard(OFFICER)
    try:
        assert (await outsider.get(f"/dashboard/case/{case_no}")).status_code == 403
        assert case_no not in (await outsider.get("/dashboard/cases")).text
        assert (await insider.get(f"/dashboard/case/{case_no}")).status_code == 200
        assert case_no in (await insider.get("/dashboard/cases")).text
    finally:
        await outsider.aclose()
        await insider.aclose()


# reveal and the audit log


async def test_reveal_is_for_the_cases_chain_with_a_purpose_and_every_reveal_is_audited(api: InProcessApi) -> None:
    case_no, id_number = await open_case(api)
    shown = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}")).json()
    assert shown["child"]["id_number"] != id_number and "*" in shown["child"]["name"]
    assert (
        await api.call(ADMIN, "POST", f"/api/cases/{case_no}/reveal", body={"purpose": "核对身份"})
    ).status_code == 403
    no_purpose = await api.call(CHIEF, "POST", f"/api/cases/{case_no}/reveal", body={"purpose": ""})
    assert no_purpose.status_code == 400
    revealed = await api.call(CHIEF, "POST", f"/api/cases/{case_no}/reveal", body={"purpose": "核对学籍信息"})
    assert revealed.status_code == 200 and revealed.json()["child"]["id_number"] == id_number
    with api.ctx.sessions() as session:
        rows = entries(session, cipher=api.ctx.cipher, case_no=case_no, actor=CHIEF.name)
    assert [(r["action"], r["outcome"], r["purpose"]) for r in rows if r["action"] == "reveal"] == [
        ("reveal", "ok", "核对学籍信息")
    ]
    assert "reveal" in denied_for(api.ctx, ADMIN, case_no)


async def test_verify_shows_an_altered_audit_row(api: InProcessApi) -> None:
    """Guards the audit chain: a row altered below the API breaks it, and verify says so."""
    case_no, _ = await open_case(api)
    await api.call(OFFICER, "GET", f"/api/cases/{case_no}")

    async def problems() -> list[str]:
        answer = await api.call(ADMIN, "POST", "/api/verify", body={"repair": False, "cases": [case_no]})
        assert answer.status_code == 200, answer.text
        return [d["problem"] for d in answer.json()["differences"]]

    assert await problems() == []
    with api.ctx.sessions.begin() as session:
        row = session.scalars(select(AuditEntry).where(AuditEntry.case_no == case_no)).first()
        assert row is not None
        row_id, detail = row.id, row.detail
    try:
        _tamper(api.ctx, row_id, "改过了")
        assert await problems() == ["audit_chain_broken"]
    finally:
        _tamper(api.ctx, row_id, detail)
    assert await problems() == []


def _tamper(ctx: Context, row_id: int, detail: str | None) -> None:
    """As the tables' owner would: the append-only trigger off, one row changed, the trigger on."""
    with ctx.sessions.begin() as session:
        session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
        session.execute(text("UPDATE audit_log SET detail = :detail WHERE id = :id"), {"detail": detail, "id": row_id})
        session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


# privacy


async def test_what_an_officer_writes_is_never_in_the_plain_event_columns(api: InProcessApi) -> None:
    """Guards domain/privacy.py: a note's text goes to the encrypted column only."""
    case_no, _ = await open_case(api)
    words = "家长说孩子在外地打工-" + secrets.token_hex(4)
    noted = await api.step(OFFICER, case_no, "note", {"text": words})
    assert noted.status_code == 200, noted.text
    with api.ctx.sessions() as session:
        case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
        events = list(session.scalars(select(CaseEventRow).where(CaseEventRow.case_id == case.id)))
    note = next(e for e in events if e.type == "noted")
    assert words not in json.dumps(note.payload, ensure_ascii=False)
    assert words.encode() not in (note.payload_enc or b"")
    history = (await api.call(OFFICER, "GET", f"/api/cases/{case_no}/history")).json()
    assert any(e["details"].get("text") == words for e in history)


def test_id_numbers_and_names_are_masked_in_the_servers_logs() -> None:
    """Guards the log processors (config/logging.py): what a configured logger writes is masked."""
    id_number = make_id_number("500243", dt.date(2013, 4, 5), 12)
    code = (
        "import structlog; from config.logging import configure_logging; configure_logging('json');"
        f"structlog.get_logger('t').warning('failed for {id_number}', name='王小明', other='{id_number}')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    line = done.stderr.strip().splitlines()[-1]
    assert id_number not in line and id_number[:6] + "*" * 10 in line
    assert "王小明" not in line and "王**" in line


async def test_failure_messages_cross_temporal_encrypted() -> None:
    """Guards the codec's failure converter: an error's message and stack are sealed, not plain."""
    from temporalio.api.failure.v1 import Failure
    from temporalio.exceptions import ApplicationError

    from config.payload_codec import Keyring, encrypted_converter

    converter = encrypted_converter(Keyring("t-1", {"t-1": bytes(range(32))}))
    secret = "儿童王小明 500243201304050120"
    failure = Failure()
    await converter.encode_failure(ApplicationError(secret, type="X"), failure)
    wire = failure.SerializeToString()
    assert secret.encode() not in wire and base64.b64encode(secret.encode()) not in wire
    assert failure.message == "Encoded failure"
    assert secret in str(await converter.decode_failure(failure))


# discovery's campaign settings


def test_discovery_reads_the_campaigns_own_list_of_no_arrangement_words() -> None:
    """Guards ledger/registers.py: a campaign's `arrangement_none` decides, not the built-in list."""
    from config import DEFAULT_ROSTER_FILE
    from config.roster_file import load_roster
    from domain.campaign import CampaignSpec
    from domain.registers import RegisterKind
    from ledger.registers import RuleCells
    from starter.register_files import parse_register

    header = ["姓名", "身份证号", "乡镇（街道）", "安置方式"]
    words = ["另行安排", "待安置", "随班就读", ""]
    table: list[list[Any]] = [header] + [
        [f"残疾儿童{i}", make_id_number("500243", dt.date(2014, 1, 1 + i), i), "梅子垭镇", word]
        for i, word in enumerate(words)
    ]
    parsed = parse_register(table, RegisterKind.disability, load_roster(DEFAULT_ROSTER_FILE))
    campaign = CampaignSpec(
        name="own-words",
        reference_date=dt.date(2026, 9, 1),
        clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC),
        arrangement_none=("另行安排",),
    )
    assert RuleCells(parsed, campaign).columns()["has_arrangement"] == [False, False, True, False]


async def test_verify_accounts_for_every_step_event_by_its_signature(api: InProcessApi) -> None:
    """Guards ledger/step_signatures.py: a step's event rewritten, or one inserted, by the tables'
    owner is listed; the officer's own signed steps are not."""
    case_no, _ = await open_case(api)
    visited = await api.step(OFFICER, case_no, "visit", {"finding": "confirmed", "dropout_cause": "厌学"})
    assert visited.status_code == 200, visited.text

    async def unaccounted() -> list[str]:
        answer = await api.call(ADMIN, "POST", "/api/verify", body={"repair": False, "cases": [case_no]})
        assert answer.status_code == 200, answer.text
        return [d["detail"] for d in answer.json()["differences"] if d["problem"] == "step_unaccounted"]

    assert await unaccounted() == []
    with api.ctx.sessions.begin() as session:
        case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
        session.execute(text("ALTER TABLE case_events DISABLE TRIGGER case_events_append_only"))
        session.execute(
            text(
                "UPDATE case_events SET payload = jsonb_set(payload, '{finding}', to_jsonb('excluded'::text))"
                " WHERE case_id = :case AND type = 'visited'"
            ),
            {"case": case.id},
        )
        session.execute(text("ALTER TABLE case_events ENABLE TRIGGER case_events_append_only"))
        session.execute(
            text(
                "INSERT INTO case_events (case_id, business_key, seq, type, stage, actor, at, payload)"
                " VALUES (:case, :key, 99, 'noted', 'return_plan', :actor, now(), '{}')"
            ),
            {"case": case.id, "key": f"{case.id}:noted:99", "actor": OFFICER.name},
        )
    found = await unaccounted()
    assert found == ["seq 2 visited: altered", "seq 99 noted: unsigned"], found


async def test_verify_lists_a_system_event_the_worker_did_not_seal(api: InProcessApi) -> None:
    """Guards ledger/event_seals.py: the case's own events (opened, escalated, reopened…) carry the
    worker's seal; one the tables' owner inserted or rewrote is listed, the worker's are not."""
    case_no, _ = await open_case(api)

    async def unaccounted() -> list[str]:
        answer = await api.call(ADMIN, "POST", "/api/verify", body={"repair": False, "cases": [case_no]})
        assert answer.status_code == 200, answer.text
        return [d["detail"] for d in answer.json()["differences"] if d["problem"] == "event_unaccounted"]

    assert await unaccounted() == []
    with api.ctx.sessions.begin() as session:
        case = session.scalars(select(Case).where(Case.case_no == case_no)).one()
        session.execute(text("ALTER TABLE case_events DISABLE TRIGGER case_events_append_only"))
        session.execute(
            text("UPDATE case_events SET actor = '冒充者' WHERE case_id = :case AND type = 'opened'"), {"case": case.id}
        )
        session.execute(text("ALTER TABLE case_events ENABLE TRIGGER case_events_append_only"))
        session.execute(
            text(
                "INSERT INTO case_events (case_id, business_key, seq, type, stage, actor, at, payload)"
                " VALUES (:case, :key, 98, 'reopened', 'home_visit', 'system', now(), '{\"reason\": \"relapse\"}')"
            ),
            {"case": case.id, "key": f"{case.id}:reopened:98"},
        )
    found = await unaccounted()
    assert found == ["seq 1 opened: altered", "seq 98 reopened: unsealed"], found


# schools (api/schools.py)


async def test_schools_are_added_by_the_administrator_and_read_within_scope(api: InProcessApi, tmp_path: Any) -> None:
    """Guards api/schools.py: only the administrator adds schools (one, or a list whose bad rows
    come back with their row numbers); a township's officer reads its own township's schools, county
    all; a school added again under its name is updated, not doubled."""
    added = await api.call(ADMIN, "POST", "/api/schools", body={"name": "梅子垭 实验小学", "township": "梅子垭"})
    assert added.status_code == 200, added.text
    assert added.json() == {"name": "梅子垭实验小学", "township": "梅子垭镇", "stage": "primary", "added": True}
    refused = await api.call(OFFICER, "POST", "/api/schools", body={"name": "冒充小学", "township": "梅子垭镇"})
    assert refused.status_code == 403 and refused.json()["exit"] == 3
    unknown = await api.call(ADMIN, "POST", "/api/schools", body={"name": "某校", "township": "不存在乡"})
    assert unknown.status_code == 400 and unknown.json()["exit"] == 2
    rows = [
        "学校名称,乡镇（街道）,学段",
        "鞍子实验中学,鞍子镇,初中",
        "梅子垭实验小学,梅子垭镇,九年一贯制",
        ",鞍子镇,小学",
        "某校,火星乡,小学",
    ]
    listed = "\n".join(rows) + "\n"
    imported = await api.call(
        ADMIN, "POST", "/api/schools/import", raw=listed.encode(), params={"file_name": "schools.csv"}
    )
    assert imported.status_code == 200, imported.text
    summary = imported.json()
    assert (summary["added"], summary["updated"], [r["row"] for r in summary["rejected"]]) == (1, 1, [4, 5])

    async def names(actor: Actor) -> list[tuple[str, str, str | None]]:
        answer = await api.call(actor, "GET", "/api/schools")
        assert answer.status_code == 200, answer.text
        return [(s["township"], s["name"], s["stage"]) for s in answer.json()]

    meiziya, anzi = await names(OFFICER), await names(ANZI_OFFICER)
    assert ("梅子垭镇", "梅子垭实验小学", "nine_year") in meiziya and {t for t, _n, _s in meiziya} == {"梅子垭镇"}
    assert ("鞍子镇", "鞍子实验中学", "junior") in anzi and {t for t, _n, _s in anzi} == {"鞍子镇"}
    assert set(meiziya + anzi) <= set(await names(COUNTY)) and await names(ADMIN) == await names(COUNTY)


async def test_a_school_officer_is_enrolled_for_a_known_school_and_reads_only_it(api: InProcessApi) -> None:
    """Guards the school role (api/officers.py, domain/scope.py): a school officer is registered
    for a school the county added (their township is the school's), reads only their own school,
    no case list, no case; their row's seal covers the school (verify stays clean)."""
    from domain.enums import Role
    from domain.signing import public_key_of
    from tests.support.cases import actor_key

    for name, township in (("鞍子小学", "鞍子镇"), ("梅子垭中学", "梅子垭镇")):
        done = await api.call(ADMIN, "POST", "/api/schools", body={"name": name, "township": township})
        assert done.status_code == 200, done.text
    no_school = await api.call(ADMIN, "POST", "/api/officers", body={"name": "专干甲", "role": "school"})
    assert no_school.status_code == 400 and no_school.json()["exit"] == 2
    unknown = await api.call(
        ADMIN, "POST", "/api/officers", body={"name": "专干甲", "role": "school", "school": "无此校"}
    )
    assert unknown.status_code == 400 and "无此校" in unknown.json()["message"]
    stray = {"name": "办案员乙", "role": "case_officer", "township": "鞍子镇", "school": "鞍子小学"}
    assert (await api.call(ADMIN, "POST", "/api/officers", body=stray)).status_code == 400
    added = await api.call(
        ADMIN, "POST", "/api/officers", body={"name": "专干甲", "role": "school", "school": "鞍子 小学"}
    )
    assert added.status_code == 200, added.text
    assert (added.json()["township"], added.json()["school"]) == ("鞍子镇", "鞍子小学")
    key = public_key_of(actor_key("专干甲"))
    enrolled = await api.http.post("/api/enrol", json={"code": added.json()["code"], "public_key": key})
    assert enrolled.status_code == 200, enrolled.text
    reporter = Actor(id=added.json()["id"], name="专干甲", role=Role.school, township="鞍子镇")
    who = (await api.call(reporter, "GET", "/api/whoami")).json()
    assert (who["role"], who["township"], who["school"]) == ("school", "鞍子镇", "鞍子小学")
    schools = (await api.call(reporter, "GET", "/api/schools")).json()
    assert [s["name"] for s in schools] == ["鞍子小学"]
    case_no, _ = await open_case(api)
    assert (await api.call(reporter, "GET", "/api/cases")).json() == []
    shown = await api.call(reporter, "GET", f"/api/cases/{case_no}")
    assert shown.status_code in (403, 404), shown.text
    verified = await api.call(ADMIN, "POST", "/api/verify", body={"repair": False, "cases": [case_no]})
    assert [d for d in verified.json()["differences"] if d["problem"].startswith("officer")] == []


async def test_a_step_never_holds_two_pooled_connections_at_once(api: InProcessApi) -> None:
    """Guards the pool (api/cases.py, `_checked_step`): a step's checks share its one session,
    and a refusal is audited after the case's session is closed. A thread holding one connection
    while it waits for another would, with as many steps at once as the pool has connections,
    wait the pool's timeout out."""
    case_no, _ = await open_case(api)
    engine = api.ctx.sessions.kw["bind"]
    held: dict[int, int] = {}
    most: list[int] = [0]

    def checked_out(*_connection: object) -> None:
        thread = threading.get_ident()
        held[thread] = held.get(thread, 0) + 1
        most[0] = max(most[0], held[thread])

    def checked_in(*_connection: object) -> None:
        held[threading.get_ident()] -= 1

    await api.step(OFFICER, case_no, "note", {"text": "预热"})  # the campaign and the officer read once before
    event.listen(engine, "checkout", checked_out)
    event.listen(engine, "checkin", checked_in)
    try:
        visited = await api.step(OFFICER, case_no, "visit", {"finding": "confirmed", "dropout_cause": "厌学"})
        assert visited.status_code == 200, visited.text
        refused = await api.step(ANZI_OFFICER, case_no, "note", {"text": "别的乡镇"})
        assert refused.status_code == 403, refused.text
    finally:
        event.remove(engine, "checkout", checked_out)
        event.remove(engine, "checkin", checked_in)
    assert most[0] == 1, most[0]
