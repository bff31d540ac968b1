"""The trust boundary from outside: officers on machines of their own that hold only their key and
the server's URL; what a captured request, a captured step or a revoked key can do (nothing)."""

from __future__ import annotations

import asyncio
import datetime as dt
import http.client
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError

from cli.case_commands import signed_step
from cli.errors import ClientError
from cli.http import Server
from config.payload_codec import data_converter
from config.settings import load_settings
from domain.actors import Actor
from domain.enums import Role
from domain.id_number import make_id_number
from domain.profile import Profile
from domain.steps import NoteInput
from domain.wire import canonical_json, step_message
from tests.support.stack import BAOXUE, RunningStack, running_stack
from workflows.case import CaseWorkflow

pytestmark = pytest.mark.stack

SERVER_SIDE = {"temporalio", "sqlalchemy", "psycopg", "fastapi", "uvicorn", "pydantic"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("trust") / "data") as running:
        yield running


def open_case(stack: RunningStack, env: dict[str, str], seed: int) -> str:
    child = make_id_number("500243", dt.date(2013, 6, 1), seed)
    opened = stack.baoxue(
        "case", "open", "--kind", "dropout", "--township", "梅子垭镇", "--json", env=env, stdin=f"{child}\n某某\n"
    )
    assert opened.code == 0, opened.stderr
    return opened.json()["case_no"]


def server_of(env: dict[str, str]) -> Server:
    identity = Profile(Path(env["BAOXUE_PROFILE_DIR"])).choose(None, None)
    return Server(identity.server, identity)


def test_officers_on_their_own_machines_drive_a_case(stack: RunningStack, tmp_path: Path) -> None:
    li = stack.enrol_elsewhere(tmp_path / "li", name="李老师", role="case_officer", township="梅子垭")
    wang = stack.enrol_elsewhere(tmp_path / "wang", name="汪贤梁", role="section_chief")
    assert not {"BAOXUE_DATA_DIR", "BAOXUE_DATABASE_URL", "BAOXUE_SECRET_KEY"} & set(li)
    assert oct(os.stat(tmp_path / "li" / "profile.json").st_mode & 0o777) == "0o600"
    who = stack.baoxue("whoami", "--json", env=li).json()
    assert {k: who[k] for k in ("name", "role", "township", "server")} == {
        "name": "李老师",
        "role": "case_officer",
        "township": "梅子垭镇",
        "server": stack.api_url(),
    }

    case_no = open_case(stack, li, 101)
    for args in (
        ("visit", case_no, "--finding", "confirmed", "--cause", "厌学"),
        (
            "plan",
            case_no,
            "--placement",
            "original_school",
            "--target-date",
            "2099-01-01",
            "--responsible",
            "李老师:班主任",
        ),
        ("confirm", case_no, "--school", "梅子垭镇中心校", "--evidence", "返校照片"),
    ):
        done = stack.baoxue("case", *args, env=li)
        assert done.code == 0, done.stderr
    assert stack.baoxue("case", "close", case_no, env=li).code == 3
    impostor = stack.baoxue("--as", "汪贤梁", "case", "close", case_no, env=li)
    assert impostor.code == 5 and len(impostor.stderr.strip().splitlines()) == 1
    assert stack.baoxue("officer", "add", "--name", "冒充县长", "--role", "county", env=li).code == 3
    assert stack.baoxue("audit", "--json", env=li).code == 3
    closed = stack.baoxue("case", "close", case_no, "--json", env=wang)
    assert closed.code == 0, closed.stderr
    assert closed.json()["stage"] == "closed"
    history = stack.baoxue("case", "history", case_no, "--json", env=wang).json()
    assert [(e["type"], e["actor"]) for e in history][-1] == ("closed", "汪贤梁")
    assert all("signature" not in e["details"] for e in history)
    # The demo profile's key for 汪贤梁 was replaced by the new enrolment: refused from that moment.
    assert stack.baoxue("whoami", actor="汪贤梁").code == 5


def test_a_captured_request_or_step_is_refused(stack: RunningStack, tmp_path: Path) -> None:
    zhao = stack.enrol_elsewhere(tmp_path / "zhao", name="赵老师", role="case_officer", township="梅子垭镇")
    case_no = open_case(stack, zhao, 102)
    server = server_of(zhao)
    where = server.request("GET", f"/api/cases/{case_no}/step")
    body = signed_step(server, where["case_id"], "note", where["last_seq"], {"text": "第一条"})
    assert server.request("POST", f"/api/cases/{case_no}/steps/note", body=body)["last_seq"] == where["last_seq"] + 1
    with pytest.raises(ClientError) as replayed_step:
        server.request("POST", f"/api/cases/{case_no}/steps/note", body=body)
    assert replayed_step.value.exit_code == 3 and replayed_step.value.code == "stale_step"

    payload = json.dumps(signed_step(server, where["case_id"], "note", where["last_seq"] + 1, {"text": "二"})).encode()
    target = f"/api/cases/{case_no}/steps/note"
    headers = {"Content-Type": "application/json", **server._signature("POST", target, payload)}
    url = urlsplit(stack.api_url())
    statuses = []
    for _ in range(2):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        conn.request("POST", target, body=payload, headers=headers)
        response = conn.getresponse()
        statuses.append((response.status, json.loads(response.read()).get("exit")))
        conn.close()
    assert statuses[0][0] == 200 and statuses[1] == (401, 5)
    tampered = {**headers, "X-Baoxue-Nonce": "f" * 32}
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    conn.request("POST", target, body=payload.replace("二".encode(), "三".encode()), headers=tampered)
    assert conn.getresponse().status == 401


def test_a_revoked_key_is_refused_by_the_server_and_by_open_cases(stack: RunningStack, tmp_path: Path) -> None:
    qian = stack.enrol_elsewhere(tmp_path / "qian", name="钱老师", role="case_officer", township="梅子垭镇")
    case_no = open_case(stack, qian, 103)
    identity = Profile(Path(qian["BAOXUE_PROFILE_DIR"])).choose(None, None)
    where = server_of(qian).request("GET", f"/api/cases/{case_no}/step")
    revoked = stack.baoxue("officer", "revoke", "钱老师@梅子垭", "--json")
    assert revoked.code == 0, revoked.stderr
    assert revoked.json()["cases_told"] >= 1
    refused = stack.baoxue("case", "note", case_no, "还能写吗", env=qian)
    assert refused.code == 5 and len(refused.stderr.strip().splitlines()) == 1

    async def straight_to_temporal() -> str:
        settings = load_settings(data_dir=stack.data_dir)
        client = await Client.connect(stack.state()["temporal"]["address"], data_converter=data_converter(settings))
        actor = Actor(id=identity.id, name=identity.name, role=Role.case_officer, township=identity.township)
        fields = {"text": "绕过服务器"}
        at = dt.datetime.now(dt.UTC).isoformat()
        message = step_message(where["case_id"], "note", where["last_seq"], at, canonical_json(fields))
        step = NoteInput(
            actor=actor,
            text=fields["text"],
            signed_fields=canonical_json(fields),
            signed_at=at,
            signed_at_text=at,
            expected_seq=where["last_seq"],
            signature=__import__("base64").b64encode(identity.signing_key().sign(message)).decode(),
        )
        workflow_id = stack.baoxue("case", "show", case_no, "--json", actor="陈明凡").json()["workflow_id"]
        with pytest.raises(WorkflowUpdateFailedError) as failed:
            await client.get_workflow_handle(workflow_id).execute_update(CaseWorkflow.note, step)
        return failed.value.cause.details[0]["code"]

    assert asyncio.run(straight_to_temporal()) == "key_revoked"


def test_two_officers_of_the_same_name(stack: RunningStack) -> None:
    stack.add_here("同名老师", "case_officer", "--township", "梅子垭镇")
    stack.add_here("同名老师", "case_officer", "--township", "鞍子镇")
    ambiguous = stack.baoxue("whoami", actor="同名老师")
    assert ambiguous.code == 5 and "同名老师@" in ambiguous.stderr
    anzi = stack.baoxue("whoami", "--json", actor="同名老师@鞍子")
    assert anzi.code == 0 and anzi.json()["township"] == "鞍子镇"
    listed = [o for o in stack.baoxue("officer", "list", "--json").json() if o["name"] == "同名老师"]
    assert sorted(o["township"] for o in listed) == ["梅子垭镇", "鞍子镇"]
    case_no = open_case(stack, {**stack.env, "BAOXUE_ACTOR": "同名老师@梅子垭镇"}, 104)
    assert stack.baoxue("case", "reassign", case_no, "--to", "同名老师", actor="陈明凡").code == 2
    wrong_town = stack.baoxue("case", "reassign", case_no, "--to", "同名老师@鞍子", actor="同名老师@梅子垭")
    assert wrong_town.code == 3


def test_each_namesake_gets_only_their_own_townships_reminders(stack: RunningStack) -> None:
    """Two officers named 重名老师 (鞍子镇 registered first, then 梅子垭镇), each with a reminder
    address, and a case in each township assigned to its own: each case's reminders reach only its
    township's 重名老师 (resolving the name would find the 鞍子镇 one first for both), and neither
    can act on the other's case."""
    from tests.support.stack import wait_until
    from tests.support.webhook import webhook

    paths = {"鞍子镇": "/anzi", "梅子垭镇": "/meiziya"}
    with webhook() as (port, received):
        for township, path in paths.items():
            url = f"json://127.0.0.1:{port}{path}"
            stack.add_here("重名老师", "case_officer", "--township", township, "--notify", url)
        cases = {}
        for serial, township in enumerate(paths):
            child = make_id_number("500243", dt.date(2013, 7, 1), 111 + serial)
            opened = stack.baoxue(
                "case", "open", "--kind", "dropout", "--township", township, "--campaign", "drill", "--json",
                actor="陈明凡", stdin=f"{child}\n某某\n",
            )  # fmt: skip
            assert opened.code == 0, opened.stderr
            case_no = cases[township] = opened.json()["case_no"]
            moved = stack.baoxue("case", "reassign", case_no, "--to", f"重名老师@{township}", actor="陈明凡")
            assert moved.code == 0 or "已由 重名老师 负责" in moved.stderr, moved.stderr  # or theirs already
            shown = stack.baoxue("case", "show", case_no, "--json", actor="陈明凡").json()
            assert shown["assigned_officer"] == "重名老师", shown

        def reached(township: str) -> set[str]:
            return {r["path"] for r in received if cases[township] in r["message"]}

        assert wait_until(lambda: all(reached(township) for township in paths), 90, step=1), received
        for township, path in paths.items():
            assert reached(township) == {path}, (township, [(r["path"], r["message"]) for r in received])
        for township, other_side in (("梅子垭镇", "鞍子"), ("鞍子镇", "梅子垭")):
            other = stack.baoxue("case", "note", cases[township], "不是我的案件", actor=f"重名老师@{other_side}")
            assert other.code in (3, 4), other.stderr
            closing = stack.baoxue("case", "close", cases[township], actor=f"重名老师@{other_side}")
            assert closing.code in (2, 3, 4), closing.stderr


def test_a_renamed_officer_keeps_their_key_and_their_history(stack: RunningStack, tmp_path: Path) -> None:
    sun = stack.enrol_elsewhere(tmp_path / "sun", name="孙老师", role="case_officer", township="梅子垭镇")
    case_no = open_case(stack, sun, 106)
    renamed = stack.baoxue("officer", "rename", "孙老师@梅子垭", "--name", "孙晓梅", "--json")
    assert renamed.code == 0, renamed.stderr
    assert stack.baoxue("whoami", "--json", env=sun).json()["name"] == "孙晓梅"
    assert stack.baoxue("case", "note", case_no, "改名以后", env=sun).code == 0
    history = stack.baoxue("case", "history", case_no, "--json", env=sun).json()
    assert [e["actor"] for e in history] == ["孙老师", "孙晓梅"]
    assert stack.baoxue("officer", "rename", "孙晓梅", "--name", "x", env=sun).code == 3


def test_officer_commands_import_neither_temporalio_nor_sqlalchemy(stack: RunningStack) -> None:
    case_no = open_case(stack, {**stack.env, "BAOXUE_ACTOR": "朱洪斌"}, 105)
    for args in (("case", "note", case_no, "看过"), ("cases", "--json"), ("whoami",)):
        done = stack.baoxue(*args, actor="朱洪斌", extra_env={"PYTHONPROFILEIMPORTTIME": "1"})
        assert done.code == 0, done.stderr
        imported = {line.split("|")[-1].strip().split(".")[0] for line in done.stderr.splitlines() if "|" in line}
        assert "cli" in imported and "typer" in imported
        assert not SERVER_SIDE & imported, (args, SERVER_SIDE & imported)


def test_server_and_worker_refuse_to_start_without_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BAOXUE_")}
    env.update(
        BAOXUE_DATA_DIR=str(tmp_path / "empty"),
        BAOXUE_CONFIG_FILE="/nonexistent/baoxue.toml",
        BAOXUE_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        BAOXUE_TEMPORAL_ADDRESS="127.0.0.1:1",
    )
    for command, setting in (("serve", "BAOXUE_SECRET_KEY"), ("worker", "BAOXUE_SECRET_KEY")):
        done = subprocess.run([BAOXUE, command], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 2 and setting in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    env["BAOXUE_SECRET_KEY"] = "22" * 32
    env["BAOXUE_CODEC_KEYS"] = '{"active": "k1", "keys": {"k1": "' + "33" * 32 + '"}}'
    done = subprocess.run([BAOXUE, "serve"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2 and "BAOXUE_SERVICE_KEY" in done.stderr, done.stderr
    assert not (tmp_path / "empty").exists()


def test_the_app_role_can_only_append_to_audit_log_and_case_events(stack: RunningStack) -> None:
    import psycopg

    chief = {**stack.env, "BAOXUE_ACTOR": "陈明凡"}
    case_no = open_case(stack, chief, 107)
    assert stack.baoxue("case", "show", case_no, env=chief).code == 0  # audited: the log has a row
    app_url = stack.role_url("baoxue_app")
    for statement in (
        "DELETE FROM audit_log",
        "UPDATE audit_log SET actor = 'nobody'",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DELETE FROM case_events",
        "UPDATE case_events SET actor = 'nobody'",
        "ALTER TABLE case_events DISABLE TRIGGER ALL",
        "TRUNCATE case_events",
        "UPDATE accountability_decisions SET unit = 'nobody'",
        "DELETE FROM accountability_decisions",
        "UPDATE inspections SET township = 'nobody'",
        "DELETE FROM inspections",
    ):
        with psycopg.connect(app_url) as conn, pytest.raises(psycopg.Error):
            conn.execute(statement)
    with psycopg.connect(app_url) as conn:
        assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] > 0
        assert conn.execute("SELECT count(*) FROM accountability_decisions").fetchone() is not None
        assert conn.execute("SELECT current_user").fetchone()[0] == "baoxue_app"


def test_the_local_database_asks_every_role_for_its_password(stack: RunningStack) -> None:
    """No local user is admin by default: PostgreSQL refuses `postgres` and `baoxue_app` without
    their passwords, which are in 0600 files; the state file is 0600 and holds no credential;
    `bootstrap-admin` without the owner's credentials is refused (exit 3)."""
    import stat

    import psycopg

    bare = stack.state()["database"]["url"]
    assert "@" in bare and ":" not in bare.removeprefix("postgresql://").split("@")[0]
    for role in ("postgres", "baoxue_app"):
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(bare.replace("postgresql://postgres@", f"postgresql://{role}@"), connect_timeout=5)
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(bare.replace("postgresql://postgres@", f"postgresql://{role}:guess@"), connect_timeout=5)
        with psycopg.connect(stack.role_url(role)) as conn:
            assert conn.execute("SELECT current_user").fetchone()[0] == role
    for secret in ("state.json", "postgres-postgres.password", "postgres-baoxue_app.password"):
        assert stat.S_IMODE((stack.data_dir / secret).stat().st_mode) == 0o600, secret
    assert "password" not in (stack.data_dir / "state.json").read_text(encoding="utf-8").lower()
    assert stack.state()["temporal"]["ui"] is None  # the web UI (terminate, reset) only with `up --ui`
    refused = stack.baoxue("bootstrap-admin", "--name", "不速之客", extra_env={"BAOXUE_DATABASE_URL": bare})
    assert refused.code == 3 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "所有者的凭据" in refused.stderr


def test_a_forged_plaintext_run_is_refused_listed_and_repaired(stack: RunningStack) -> None:
    """Someone with raw Temporal access and no keys terminates a case and starts a run under its
    workflow id whose plain-JSON input claims the case closed: the worker refuses the payload (the
    codec fails closed), the ledger never shows it, `verify` names the case, `--repair` restores
    it from the ledger with an event saying so."""
    from temporalio.api.enums.v1 import EventType

    case_no = open_case(stack, {**stack.env, "BAOXUE_ACTOR": "陈明凡"}, 109)
    shown = stack.baoxue("case", "show", case_no, "--json", actor="陈明凡").json()
    forged = {
        "case_id": shown["workflow_id"].removeprefix("case-"),
        "case_no": case_no,
        "resume": {"stage": "closed", "outcome": "aid_delivered", "last_seq": 9},
        "opened_by": {"name": "汪贤梁", "role": "section_chief"},
    }

    async def forge() -> list[str]:
        raw = await Client.connect(stack.state()["temporal"]["address"])  # default converter, no codec
        handle = raw.get_workflow_handle(shown["workflow_id"])
        await handle.terminate(reason="forged")
        await raw.start_workflow("CaseWorkflow", forged, id=shown["workflow_id"], task_queue="baoxue-cases")
        for _ in range(60):
            failures = [
                event.workflow_task_failed_event_attributes.failure.application_failure_info.type
                async for event in handle.fetch_history_events()
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
            ]
            if failures:
                return failures
            await asyncio.sleep(0.5)
        return []

    assert asyncio.run(forge())[0] == "UnsealedPayloadError"
    after = stack.baoxue("case", "show", case_no, "--json", actor="陈明凡").json()
    assert (after["stage"], after["outcome"]) == (shown["stage"], shown["outcome"])
    found = stack.baoxue("verify", case_no, "--json")
    assert found.code == 1, found.stderr
    assert [(d["case_no"], d["problem"]) for d in found.json()["differences"]] == [(case_no, "workflow_task_failing")]
    assert stack.baoxue("verify", case_no, "--repair").code == 0
    assert stack.baoxue("verify", case_no).code == 0
    history = stack.baoxue("case", "history", case_no, "--json", actor="陈明凡").json()
    assert history[-1]["type"] == "restored" and history[-1]["details"]["from"] == "task_failing"
    restored = stack.baoxue("case", "show", case_no, "--json", actor="陈明凡").json()
    assert restored["stage"] == shown["stage"] and restored["outcome"] is None


def test_verify_checks_the_audit_chain(stack: RunningStack) -> None:
    import psycopg

    case_no = open_case(stack, {**stack.env, "BAOXUE_ACTOR": "陈明凡"}, 108)
    stack.baoxue("case", "show", case_no, actor="陈明凡")
    assert stack.baoxue("verify", case_no).code == 0
    with psycopg.connect(stack.owner_url()) as conn:  # the owner, tampering
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        conn.execute("UPDATE audit_log SET detail = 'altered' WHERE id = (SELECT max(id) - 1 FROM audit_log)")
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    found = stack.baoxue("verify", case_no, "--json")
    assert found.code == 1
    assert [d["problem"] for d in found.json()["differences"]] == ["audit_chain_broken"]


def test_rows_deleted_and_links_recomputed_by_the_owner_are_found(stack: RunningStack) -> None:
    """The database's owner deletes audit rows and recomputes every link as the chain was once
    built (plain SHA-256): the links are keyed now, so `verify` still finds the break. An
    officer's role changed in SQL is found by the row's seal."""
    import hashlib

    import psycopg

    def unkeyed(row: tuple[Any, ...], prev: str | None) -> str:
        at, actor, role, action, outcome, case_id, case_no, purpose, detail = row
        fields = (
            prev or "", at.astimezone(dt.UTC).isoformat(), actor, role, action, outcome,
            str(case_id or ""), case_no or "", (purpose or b"").hex(), detail or "",
        )  # fmt: skip
        return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()

    case_no = open_case(stack, {**stack.env, "BAOXUE_ACTOR": "陈明凡"}, 110)
    for _ in range(3):
        stack.baoxue("case", "show", case_no, actor="陈明凡")
    columns = "at, actor, role, action, outcome, case_id, case_no, purpose_enc, detail"
    with psycopg.connect(stack.owner_url()) as conn:
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        conn.execute("DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log ORDER BY id DESC LIMIT 13 OFFSET 2)")
        previous = None
        for row_id, *row in conn.execute(f"SELECT id, {columns} FROM audit_log ORDER BY id").fetchall():
            link = unkeyed(tuple(row), previous)
            conn.execute("UPDATE audit_log SET prev_hash = %s, row_hash = %s WHERE id = %s", (previous, link, row_id))
            previous = link
        conn.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        conn.execute("UPDATE officers SET role = 'county' WHERE name = '陈明凡'")
        officer_id = conn.execute("SELECT id FROM officers WHERE name = '陈明凡'").fetchone()[0]
    found = stack.baoxue("verify", case_no, "--json")
    assert found.code == 1
    problems = {(d["problem"], d["detail"].split()[0]) for d in found.json()["differences"]}
    assert ("audit_chain_broken", "audit_log") in problems
    assert ("officer_altered", f"#{officer_id}") in problems
