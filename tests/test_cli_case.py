"""The case CLI from outside, exactly as an officer types it, against `baoxue up`."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.client import Client

from config.payload_codec import data_converter
from config.settings import load_settings
from domain.beijing import BEIJING
from domain.id_number import make_id_number
from tests.support.stack import RunningStack, running_stack
from workflows.case import CaseWorkflow

pytestmark = pytest.mark.stack

CHILD_ID = make_id_number("500243", dt.date(2013, 4, 5), 12)
OFFICER = "梅子垭李老师"
TARGET = (dt.date.today() + dt.timedelta(days=40)).isoformat()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("cli") / "data") as running:
        added = running.baoxue(
            "officer", "add", "--name", OFFICER, "--role", "case_officer", "--township", "梅子垭", "--here"
        )
        assert added.code == 0, added.stderr
        yield running


def workflow_state(stack: RunningStack, workflow_id: str) -> dict:
    async def query() -> dict:
        client = await Client.connect(
            stack.state()["temporal"]["address"], data_converter=data_converter(load_settings(data_dir=stack.data_dir))
        )
        state = await client.get_workflow_handle(workflow_id).query(CaseWorkflow.current)
        return state.model_dump(mode="json")

    return asyncio.run(query())


def assert_ledger_equals_workflow(stack: RunningStack, case_no: str) -> dict:
    shown = stack.baoxue("case", "show", case_no, "--json", actor=OFFICER).json()
    state = workflow_state(stack, shown["workflow_id"])
    for key in (
        "case_no",
        "workflow_id",
        "campaign",
        "kind",
        "township",
        "group",
        "stage",
        "assigned_officer",
        "outcome",
    ):
        assert shown[key] == state[key], key
    for key in ("opened_at", "due_at", "closed_at"):
        left = dt.datetime.fromisoformat(shown[key]) if shown[key] else None
        right = dt.datetime.fromisoformat(state[key]) if state[key] else None
        assert left == right, key
    return shown


def forge_profile(stack: RunningStack, name: str) -> str:
    """A copy of the stack's profile in which `name`'s private key is someone else's."""
    import base64
    import json

    profile = json.loads((Path(stack.env["BAOXUE_PROFILE_DIR"]) / "profile.json").read_text(encoding="utf-8"))
    for identity in profile["identities"]:
        if identity["name"] == name:
            identity["private_key"] = base64.b64encode(b"\x01" * 32).decode()
    folder = stack.data_dir.parent / "forged-profile"
    folder.mkdir(exist_ok=True)
    (folder / "profile.json").write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
    return str(folder)


def refused_without_change(stack: RunningStack, case_no: str, *args: str, actor: str, code: int = 3) -> str:
    before = stack.baoxue("case", "show", case_no, "--json", actor=OFFICER).json()
    result = stack.baoxue(*args, actor=actor)
    assert result.code == code, (args, result.stdout, result.stderr)
    assert result.stderr.strip() and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert stack.baoxue("case", "show", case_no, "--json", actor=OFFICER).json() == before
    return result.stderr


def test_dropout_case_through_the_cli_alone(stack: RunningStack) -> None:
    opened = stack.baoxue(
        "case",
        "open",
        "--kind",
        "dropout",
        "--id-number",
        CHILD_ID,
        "--name",
        "王小明",
        "--township",
        "梅子垭镇",
        "--village",
        "某村",
        "--json",
        actor=OFFICER,
    )
    assert opened.code == 0, opened.stderr
    body = opened.json()
    assert set(body) == {"case_no", "workflow_id", "created"} and body["created"] is True
    case_no = body["case_no"]
    assert case_no.startswith(f"{dt.datetime.now(BEIJING).year}-")  # numbered by the Beijing year
    shown = assert_ledger_equals_workflow(stack, case_no)
    assert shown["stage"] == "home_visit" and shown["assigned_officer"] == OFFICER
    assert shown["chain"] == {"section_chief": "汪贤梁", "office_head": "陈明凡", "group_leader": "朱洪斌"}
    assert CHILD_ID not in stack.baoxue("case", "show", case_no, actor=OFFICER).stdout

    again = stack.baoxue(
        "case",
        "open",
        "--kind",
        "dropout",
        "--id-number",
        CHILD_ID.lower(),
        "--name",
        "王小明",
        "--township",
        "梅子垭",
        "--json",
        actor="汪贤梁",
    )
    assert again.code == 0 and again.json() == {**body, "created": False}

    case = ("case",)
    refused_without_change(
        stack, case_no, *case, "plan", case_no, "--placement", "transfer", "--target-date", TARGET,
        "--responsible", "李老师:班主任", actor=OFFICER,
    )  # fmt: skip
    refused_without_change(stack, case_no, *case, "visit", case_no, "--finding", "confirmed", actor="周勇")
    no_proof = refused_without_change(
        stack, case_no, *case, "visit", case_no, "--finding", "excluded", actor=OFFICER, code=2
    )
    assert "--evidence-file" in no_proof  # an exclusion without its proof is bad input
    refused_without_change(
        stack,
        case_no,
        *case,
        "visit",
        case_no,
        "--finding",
        "confirmed",
        "--disability-category",
        "视力",
        "--cause",
        "厌学",
        actor=OFFICER,
    )
    assert (
        stack.baoxue(
            "case", "visit", case_no, "--finding", "confirmed", "--cause", "厌学", "--note", "入户走访", actor=OFFICER
        ).code
        == 0
    )
    assert_ledger_equals_workflow(stack, case_no)

    refused_without_change(
        stack, case_no, *case, "plan", case_no, "--placement", "transfer", "--target-date", "2020-01-01",
        "--responsible", "李老师:班主任", actor=OFFICER,
    )  # fmt: skip
    refused_without_change(
        stack,
        case_no,
        *case,
        "plan",
        case_no,
        "--arrangement",
        "special_school",
        "--target-date",
        TARGET,
        "--responsible",
        "李老师:班主任",
        actor=OFFICER,
    )
    assert (
        stack.baoxue(
            "case",
            "plan",
            case_no,
            "--placement",
            "original_school",
            "--target-date",
            TARGET,
            "--measure",
            "每周家访",
            "--responsible",
            "驻村干部甲:驻村干部",
            actor=OFFICER,
        ).code
        == 0
    )
    assert_ledger_equals_workflow(stack, case_no)

    refused_without_change(stack, case_no, *case, "close", case_no, actor="汪贤梁")
    assert (
        stack.baoxue(
            "case", "confirm", case_no, "--school", "梅子垭镇中心校", "--evidence", "返校照片-1", actor=OFFICER
        ).code
        == 0
    )
    assert_ledger_equals_workflow(stack, case_no)

    english = refused_without_change(stack, case_no, *case, "close", case_no, actor=OFFICER)
    assert "销号" in english
    result = stack.baoxue("case", "close", case_no, actor=OFFICER, extra_env={"BAOXUE_LANG": "en"})
    assert result.code == 3 and "closure needs" in result.stderr
    closed = stack.baoxue("case", "close", case_no, "--note", "同意销号", actor="汪贤梁")
    assert closed.code == 0, closed.stderr
    shown = assert_ledger_equals_workflow(stack, case_no)
    assert shown["stage"] == "closed" and shown["outcome"] == "returned" and shown["closed_at"]
    refused_without_change(stack, case_no, *case, "note", case_no, "再看看", actor="汪贤梁")

    history = stack.baoxue("case", "history", case_no, "--json", actor=OFFICER).json()
    assert [(e["type"], e["actor"]) for e in history] == [
        ("opened", OFFICER),
        ("visited", OFFICER),
        ("planned", OFFICER),
        ("confirmed", OFFICER),
        ("closed", "汪贤梁"),
    ]
    assert all({"type", "stage", "actor", "at", "details"} <= set(e) for e in history)
    assert history[2]["details"]["placement"] == "original_school"

    listed = stack.baoxue("cases", "--township", "梅子垭", "--json", actor=OFFICER).json()
    assert case_no in [c["case_no"] for c in listed]
    assert stack.baoxue("cases", "--stage", "closed", "--group", "2", "--json", actor=OFFICER).code == 3


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--id-number", CHILD_ID[:-1] + ("1" if CHILD_ID[-1] != "1" else "2"), "--township", "梅子垭镇"), 2),
        (("--id-number", CHILD_ID, "--township", "火星镇"), 2),
        (("--id-number", CHILD_ID, "--township", "梅子垭镇", "--campaign", "nope"), 2),
    ],
)
def test_bad_input_is_exit_2_and_sends_nothing(stack: RunningStack, args: tuple[str, ...], code: int) -> None:
    before = stack.baoxue("cases", "--json", actor=OFFICER).json()
    result = stack.baoxue("case", "open", "--kind", "funding", "--name", "某", *args, actor=OFFICER)
    assert result.code == code, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert CHILD_ID not in result.stderr
    assert stack.baoxue("cases", "--json", actor=OFFICER).json() == before


def test_not_found_and_not_permitted(stack: RunningStack) -> None:
    assert stack.baoxue("case", "show", "2099-999999", actor=OFFICER).code == 4
    assert stack.baoxue("case", "visit", "case-nope", "--finding", "confirmed", actor=OFFICER).code == 4
    other = make_id_number("500243", dt.date(2012, 2, 2), 7)
    denied = stack.baoxue(
        "case", "open", "--kind", "dropout", "--id-number", other, "--name", "某", "--township", "郁山镇", actor=OFFICER
    )
    assert denied.code == 3
    as_admin = stack.baoxue(
        "case", "open", "--kind", "dropout", "--id-number", other, "--name", "某", "--township", "郁山镇"
    )
    assert as_admin.code == 3, as_admin.stderr


def test_officers_and_campaigns(stack: RunningStack, tmp_path: Path) -> None:
    officers = {o["name"]: o for o in stack.baoxue("officer", "list", "--json").json()}
    assert officers[OFFICER]["township"] == "梅子垭镇" and officers[OFFICER]["role"] == "case_officer"
    assert officers["汪贤梁"]["role"] == "section_chief"
    assert set(officers["汪贤梁"]["townships"]) == {"梅子垭镇", "鞍子镇"}
    assert stack.baoxue("officer", "add", "--name", "某", "--role", "case_officer").code == 2
    assert stack.baoxue("officer", "add", "--name", "汪贤梁", "--role", "county").code == 2
    drill = tmp_path / "drill.yaml"
    drill.write_text(
        "name: drill\nreference_date: 2026-09-01\nclearance_deadline: 2027-06-05T00:00:00+08:00\n"
        "calendar: calendar\nstages: {home_visit: PT8S, return_plan: PT8S, return_confirmation: PT8S, closure: PT8S}\n",
        encoding="utf-8",
    )
    assert stack.baoxue("campaign", "add", str(drill)).code == 0
    campaigns = {c["name"]: c for c in stack.baoxue("campaign", "list", "--json").json()}
    assert {"pengshui-2021", "pengshui-2026", "drill"} <= set(campaigns)
    assert sum(c["current"] for c in campaigns.values()) == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\n", encoding="utf-8")
    assert stack.baoxue("campaign", "add", str(bad)).code == 2
    flood = tmp_path / "flood.yaml"
    flood.write_text(
        drill.read_text(encoding="utf-8").replace("home_visit: PT8S", "home_visit: PT0S"), encoding="utf-8"
    )
    refused = stack.baoxue("campaign", "add", str(flood))
    assert refused.code == 2 and "stages.home_visit" in refused.stderr and len(refused.stderr.splitlines()) == 1


def test_scope_reveal_and_audit(stack: RunningStack) -> None:
    import psycopg

    child = make_id_number("500243", dt.date(2012, 12, 12), 345)
    opened = stack.baoxue(
        "case",
        "open",
        "--kind",
        "dropout",
        "--id-number",
        child,
        "--name",
        "钱多多",
        "--township",
        "梅子垭镇",
        "--json",
        actor=OFFICER,
    ).json()
    case_no = opened["case_no"]
    assert (
        stack.baoxue(
            "officer", "add", "--name", "鞍子张老师", "--role", "case_officer", "--township", "鞍子镇", "--here"
        ).code
        == 0
    )

    masked = stack.baoxue("case", "show", case_no, "--json", actor=OFFICER).json()
    assert masked["child"] == {"name": "钱**", "id_number": child[:6] + "*" * 10 + child[-2:]}
    assert stack.baoxue("case", "show", case_no, actor="鞍子张老师").code == 3
    assert stack.baoxue("case", "history", case_no, actor="鞍子张老师").code == 3
    assert case_no not in {c["case_no"] for c in stack.baoxue("cases", "--json", actor="鞍子张老师").json()}
    assert case_no not in {c["case_no"] for c in stack.baoxue("cases", "--json", actor="周勇").json()}
    assert stack.baoxue("cases", "--township", "梅子垭", "--json", actor="周勇").code == 3
    assert case_no in {c["case_no"] for c in stack.baoxue("cases", "--json", actor="陈明凡").json()}

    revealed = stack.baoxue("case", "show", case_no, "--reveal", "--purpose", "核对学籍", "--json", actor="陈明凡")
    assert revealed.code == 0, revealed.stderr
    assert revealed.json()["child"] == {"name": "钱多多", "id_number": child}
    assert stack.baoxue("case", "show", case_no, "--reveal", "--purpose", "核对学籍信息", actor="谢德良").code == 3
    assert stack.baoxue("case", "show", case_no, "--reveal", "--purpose", "看看", actor="陈明凡").code == 2
    assert stack.baoxue("case", "show", case_no, "--reveal", actor="陈明凡").code == 2

    log = stack.baoxue("audit", "--case", case_no, "--json").json()
    reveals = [e for e in log if e["action"] == "reveal"]
    assert [(e["actor"], e["outcome"], e["purpose"]) for e in reveals] == [
        ("陈明凡", "ok", "核对学籍"),
        ("谢德良", "denied", None),
    ]
    assert {("鞍子张老师", "show", "denied"), ("鞍子张老师", "history", "denied"), (OFFICER, "show", "ok")} <= {
        (e["actor"], e["action"], e["outcome"]) for e in log
    }
    assert stack.baoxue("audit", "--json", actor=OFFICER).code == 3

    keyless = stack.baoxue(
        "case",
        "note",
        case_no,
        "没有私钥",
        actor=OFFICER,
        extra_env={"BAOXUE_PROFILE_DIR": str(stack.data_dir.parent / "empty-profile")},
    )
    assert keyless.code == 5 and "密钥" in keyless.stderr
    forged_profile = forge_profile(stack, OFFICER)
    forged_env = {"BAOXUE_PROFILE_DIR": forged_profile}
    forged = stack.baoxue("case", "note", case_no, "伪造", actor=OFFICER, extra_env=forged_env)
    assert forged.code == 5 and "密钥" in forged.stderr
    assert stack.baoxue("case", "note", case_no, "正常", actor=OFFICER).code == 0
    # The same note again at once is the officer's retry of a lost answer: recognised, not doubled.
    again = stack.baoxue("case", "note", case_no, "正常", actor=OFFICER)
    assert again.code == 0 and "此前已记录" in again.stdout, again.stdout + again.stderr
    notes = [
        e for e in stack.baoxue("case", "history", case_no, "--json", actor=OFFICER).json() if e["type"] == "noted"
    ]
    assert [e["details"].get("text") for e in notes].count("正常") == 1
    # An officer added after the case opened: the case learns their key by signal.
    assert (
        stack.baoxue(
            "officer", "add", "--name", "梅子垭新来的老师", "--role", "case_officer", "--township", "梅子垭镇", "--here"
        ).code
        == 0
    )
    newcomer = stack.baoxue("case", "note", case_no, "新同事接手", actor="梅子垭新来的老师")
    assert newcomer.code == 0, newcomer.stderr

    dry = stack.baoxue("retention", "run", "--older-than", "0", "--dry-run", "--json")
    assert dry.code == 0 and dry.json()["dry_run"] is True and isinstance(dry.json()["cases"], int)
    assert stack.baoxue("retention", "run", "--dry-run", actor=OFFICER).code == 3

    with psycopg.connect(stack.owner_url()) as conn:
        with pytest.raises(psycopg.Error):
            conn.execute("UPDATE audit_log SET actor = 'nobody'")
        conn.rollback()
        with pytest.raises(psycopg.Error):
            conn.execute("DELETE FROM audit_log")
