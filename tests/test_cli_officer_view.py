"""What an officer sees, from outside, at 80 columns: Beijing time, nothing cut, what was entered
shown again, impossible children refused, refusals that say what is wrong, bounded input."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len

from domain.beijing import shown
from domain.id_number import make_id_number
from tests.support.stack import BAOXUE, CliResult, RunningStack, running_stack, wait_until

pytestmark = pytest.mark.stack

OFFICER = "梅子垭视图测试员"
COUNTY = "县教委视图督查"
YUSHAN = "郁山视图测试员"
NARROW = {"COLUMNS": "80"}
_seed = iter(range(200, 999))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("view") / "data") as running:
        running.add_here(OFFICER, "case_officer", "--township", "梅子垭镇")
        running.add_here(YUSHAN, "case_officer", "--township", "郁山镇")
        running.add_here(COUNTY, "county")
        yield running


def child(born: dt.date = dt.date(2013, 6, 1)) -> str:
    return make_id_number("500243", born, next(_seed))


def open_case(
    stack: RunningStack,
    id_number: str,
    *,
    name: str = "某某",
    kind: str = "dropout",
    actor: str = OFFICER,
    **extra: str,
) -> CliResult:
    township = extra.pop("township", "梅子垭镇")
    options = [f"--{k.replace('_', '-')}={v}" for k, v in extra.items()]
    return stack.baoxue(
        "case", "open", "--kind", kind, "--township", township, "--json", *options,
        actor=actor, stdin=f"{id_number}\n{name}\n", extra_env=NARROW,
    )  # fmt: skip


def one_line_error(result: CliResult, code: int) -> str:
    assert result.code == code, (result.code, result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr


def test_times_are_beijing_time(stack: RunningStack) -> None:
    case_no = open_case(stack, child()).json()["case_no"]
    listed = stack.baoxue("cases", "--json", actor=OFFICER).json()
    for row in listed:
        for key in ("opened_at", "due_at", "next_escalation_at"):
            assert row[key] is None or row[key].endswith("+08:00"), (key, row[key])
    case = stack.baoxue("case", "show", case_no, "--json", actor=OFFICER).json()
    assert case["opened_at"].endswith("+08:00") and case["due_at"].endswith("+08:00")
    history = stack.baoxue("case", "history", case_no, "--json", actor=OFFICER).json()
    assert all(e["at"].endswith("+08:00") for e in history)
    table = stack.baoxue("cases", actor=OFFICER, extra_env=NARROW).stdout
    assert shown(case["due_at"]) in table and "+08:00" in table


def test_tables_fit_80_columns_and_cut_nothing(stack: RunningStack, tmp_path) -> None:
    drill = open_case(stack, child(), campaign="drill").json()["case_no"]
    case_no = open_case(stack, child(), village="一个名字很长的村民委员会").json()["case_no"]
    stack.baoxue(
        "case", "visit", case_no, "--finding", "confirmed", "--cause", "厌学", "--note", "入户" * 60, actor=OFFICER
    )
    assert wait_until(lambda: stack.baoxue("escalations", "--json", actor=COUNTY).json(), 60, step=2)
    commands: list[tuple[tuple[str, ...], str | None, tuple[str, ...]]] = [
        (("cases",), OFFICER, (case_no, drill, "梅子垭镇", OFFICER)),
        (("cases", "--overdue"), OFFICER, (drill, "梅子垭镇")),
        (("escalations",), COUNTY, (drill, "梅子垭镇", OFFICER)),
        (("notifications",), COUNTY, (drill, OFFICER)),
        (("case", "show", case_no), OFFICER, (case_no, "梅子垭镇", OFFICER, "一个名字很长的村民委员会")),
        (("case", "history", case_no), OFFICER, (OFFICER,)),
        (("audit",), COUNTY, (case_no, OFFICER)),
        (("officer", "list"), None, (OFFICER, YUSHAN, "梅子垭镇", "郁山镇")),
        (("campaign", "list"), None, ("pengshui-2026", "drill")),
        (("roster", "show"), None, ("梅子垭镇", "汪贤梁", "诸佛乡")),
        (("roster", "show", "梅子垭"), None, ("梅子垭镇", "新田片区教育督导办公室", "汪贤梁")),
        (("discover",), None, ()),
        (("whoami",), OFFICER, (OFFICER,)),
    ]
    for args, actor, expected in commands:
        result = stack.baoxue(*args, actor=actor, extra_env=NARROW)
        assert result.code == 0 and result.stderr == "", (args, result.stderr)
        lines = [line for line in result.stdout.splitlines() if "/" not in line]  # a file's path cannot wrap
        widest = max((cell_len(line.rstrip()) for line in lines), default=0)
        assert widest <= 80, (args, widest, result.stdout)
        for text in expected:
            assert text in result.stdout, (args, text, result.stdout)
    counted = stack.baoxue("cases", actor=OFFICER, extra_env=NARROW).stdout.strip().splitlines()[-1]
    assert counted.startswith("共 ") and counted.endswith(" 件")
    wide = stack.baoxue("cases", "--wide", actor=OFFICER, extra_env=NARROW).stdout
    assert "失学辍学" in wide


def test_what_was_entered_is_shown(stack: RunningStack) -> None:
    opened = open_case(stack, child(), village="大河村", school="梅子垭小学", reason="长期未到校")
    case_no = opened.json()["case_no"]
    assert (
        stack.baoxue(
            "case", "visit", case_no, "--finding", "confirmed", "--cause", "厌学", "--note", "家长同意", actor=OFFICER
        ).code
        == 0
    )
    plan = (
        "--placement",
        "original_school",
        "--target-date",
        "2027-03-01",
        "--responsible",
        "李老师:班主任",
        "--measure",
        "每周家访",
    )
    assert stack.baoxue("case", "plan", case_no, *plan, actor=OFFICER).code == 0
    confirm = ("--school", "梅子垭小学", "--evidence", "返校照片-7", "--note", "已返校")
    assert stack.baoxue("case", "confirm", case_no, *confirm, actor=OFFICER).code == 0
    shown_json = stack.baoxue("case", "show", case_no, "--json", actor=OFFICER).json()
    assert shown_json["intake"] == {"village": "大河村", "school": "梅子垭小学", "reason": "长期未到校"}
    assert shown_json["visit"]["note"] == "家长同意"
    assert shown_json["plan"]["measures"] == ["每周家访"] and shown_json["plan"]["target_date"] == "2027-03-01"
    assert shown_json["confirmation"]["evidence"] == ["返校照片-7"] and shown_json["confirmation"]["note"] == "已返校"
    table = stack.baoxue("case", "show", case_no, actor=OFFICER, extra_env={"COLUMNS": "200"}).stdout
    for text in ("大河村", "长期未到校", "家长同意", "每周家访", "返校照片-7", "回原校", "复学确认"):
        assert text in table, text


@pytest.mark.parametrize(
    ("born", "kind", "says"),
    [
        (dt.date(2030, 1, 1), "dropout", "2030-01-01"),
        (dt.date(1990, 5, 5), "dropout", "36"),
        (dt.date(2022, 1, 1), "disability", "4"),
        (dt.date(1995, 1, 1), "funding", "31"),
    ],
)
def test_no_impossible_child(stack: RunningStack, born: dt.date, kind: str, says: str) -> None:
    def case_numbers() -> list[str]:
        return [c["case_no"] for c in stack.baoxue("cases", "--json", actor=COUNTY).json()]

    before = case_numbers()
    refused = open_case(stack, child(born), kind=kind)
    assert says in one_line_error(refused, 2)
    assert refused.stdout == ""
    assert case_numbers() == before


def test_a_student_of_twenty_may_have_a_funding_case(stack: RunningStack) -> None:
    assert open_case(stack, child(dt.date(2006, 3, 3)), kind="funding").code == 0


def test_an_existing_child_with_other_details_is_said_and_audited(stack: RunningStack) -> None:
    id_number = child()
    first = open_case(stack, id_number, name="王一").json()
    again = open_case(stack, id_number, name="王二")
    assert again.code == 0 and again.stderr == ""
    assert again.json() == {**first, "created": False, "mismatch": ["name"]}
    text = stack.baoxue(
        "case", "open", "--kind", "dropout", "--township", "鞍子", actor="汪贤梁", stdin=f"{id_number}\n王二\n"
    )
    assert text.code == 0 and text.stderr == ""
    assert first["case_no"] in text.stdout and "姓名、乡镇（街道）" in text.stdout
    log = stack.baoxue("audit", "--case", first["case_no"], "--json", actor=COUNTY).json()
    assert [e["detail"] for e in log if e["action"] == "open_mismatch"] == ["name", "name,township"]

    elsewhere = open_case(stack, id_number, name="王一", township="郁山镇", actor=YUSHAN)
    message = one_line_error(elsewhere, 3)
    assert first["case_no"] not in message and "县级" in message
    log = stack.baoxue("audit", "--officer", YUSHAN, "--json", actor=COUNTY).json()
    assert ("open", "denied") in {(e["action"], e["outcome"]) for e in log}


def test_refusals_say_what_is_wrong(stack: RunningStack, tmp_path: Path) -> None:
    case_no = open_case(stack, child()).json()["case_no"]
    stranger = stack.baoxue("case", "visit", case_no, "--finding", "confirmed", "--cause", "厌学", actor=YUSHAN)
    assert "无权办理梅子垭镇的案件" in one_line_error(stranger, 3)
    moved = ("case", "visit", case_no, "--finding", "excluded", "--exclude-reason", "moved_out")
    assert "--evidence-file" in one_line_error(stack.baoxue(*moved, actor="汪贤梁"), 2)  # no proof
    proof = tmp_path / "迁出证明.pdf"
    proof.write_bytes(b"%PDF-1.4 moved out")
    no_school = stack.baoxue(*moved, "--evidence-file", str(proof), actor="汪贤梁")
    assert "--student-no" in one_line_error(no_school, 2)
    elsewhere = ("--school", "外县某中学", "--student-no", "G500243201401010011")
    excluded = stack.baoxue(*moved, "--evidence-file", str(proof), *elsewhere, actor="汪贤梁")
    assert excluded.code == 0, excluded.stderr
    four_eyes = stack.baoxue("case", "close", case_no, actor="汪贤梁")
    assert "排除" in one_line_error(four_eyes, 3)
    missing = stack.baoxue("case", "open", "--kind", "disability", "--township", "梅子垭", actor=OFFICER, stdin="")
    one_line_error(missing, 2)
    disability = open_case(stack, child(), kind="disability").json()["case_no"]
    no_category = stack.baoxue("case", "visit", disability, "--finding", "confirmed", "--cause", "厌学", actor=OFFICER)
    assert "--disability-category" in one_line_error(no_category, 3)
    assert stack.baoxue("cases", "--group", "2", "--json", actor=OFFICER).code == 3
    assert stack.baoxue("cases", "--township", "郁山", "--json", actor=OFFICER).code == 3


def test_bounded_input(stack: RunningStack) -> None:
    case_no = open_case(stack, child()).json()["case_no"]
    before = stack.baoxue("case", "history", case_no, "--json", actor=OFFICER).json()
    long_note = stack.baoxue("case", "note", case_no, "很" * 4001, actor=OFFICER)
    assert "4000" in one_line_error(long_note, 2)
    short_purpose = stack.baoxue("case", "show", case_no, "--reveal", "--purpose", "看看", actor=COUNTY)
    assert "4" in one_line_error(short_purpose, 2)
    assert stack.baoxue("case", "history", case_no, "--json", actor=OFFICER).json() == before
    assert stack.baoxue("case", "visit", case_no, "--finding", "confirmed", "--cause", "厌学", actor=OFFICER).code == 0
    late = stack.baoxue(
        "case", "plan", case_no, "--placement", "transfer", "--target-date", "2027-09-01",
        "--responsible", "李老师:班主任", actor=OFFICER,
    )  # fmt: skip
    assert late.code == 0 and late.stderr == ""
    assert "清零期限" in "".join(late.stdout.strip().splitlines()[-2:])


def test_undecodable_input_is_exit_2(stack: RunningStack) -> None:
    done = subprocess.run(
        [BAOXUE.encode(), b"case", b"note", b"2026-000001", b"\xff\xfe\xfd"],
        capture_output=True,
        env={**stack.env, "BAOXUE_ACTOR": OFFICER},
        timeout=60,
    )
    assert done.returncode == 2 and len(done.stderr.decode().strip().splitlines()) == 1, done.stderr.decode()


def test_status_of_a_stopped_stack_reads_well(tmp_path) -> None:
    env = {"BAOXUE_DATA_DIR": str(tmp_path / "none"), "BAOXUE_CONFIG_FILE": "/nonexistent", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([BAOXUE, "status"], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1 and "None" not in done.stdout and "未运行" in done.stdout
    assert json.loads(subprocess.run([BAOXUE, "status", "--json"], capture_output=True, text=True, env=env).stdout)


def test_a_retried_step_is_recognised_as_done(stack: RunningStack) -> None:
    case_no = open_case(stack, child()).json()["case_no"]
    visit = ("case", "visit", case_no, "--finding", "confirmed", "--cause", "厌学", "--note", "同一次走访")
    assert stack.baoxue(*visit, actor=OFFICER).code == 0
    again = stack.baoxue(*visit, actor=OFFICER)
    assert again.code == 0 and again.stderr == "" and "此前已记录" in again.stdout
    assert stack.baoxue(*visit, "--json", actor=OFFICER).json()["already_recorded"] is True
    other = stack.baoxue(
        "case", "visit", case_no, "--finding", "confirmed", "--cause", "厌学", "--note", "另一次", actor=OFFICER
    )
    assert other.code == 3
    history = stack.baoxue("case", "history", case_no, "--json", actor=OFFICER).json()
    assert [e["type"] for e in history] == ["opened", "visited"]


def test_verify_reports_and_repairs_a_terminated_case(stack: RunningStack) -> None:
    import asyncio

    from temporalio.client import Client

    opened = open_case(stack, child()).json()

    async def terminate() -> None:
        client = await Client.connect(stack.state()["temporal"]["address"])
        await client.get_workflow_handle(opened["workflow_id"]).terminate("误操作")

    asyncio.run(terminate())
    assert stack.baoxue("verify", opened["case_no"], actor=OFFICER).code == 3  # admins only
    found = stack.baoxue("verify", opened["case_no"], "--json")
    assert found.code == 1
    assert [(d["problem"], d["detail"]) for d in found.json()["differences"]] == [("workflow_ended", "terminated")]
    fixed = stack.baoxue("verify", opened["case_no"], "--repair", extra_env=NARROW)
    assert fixed.code == 0 and "已修复 1 处" in fixed.stdout
    assert wait_until(lambda: stack.baoxue("verify", opened["case_no"]).code == 0, 20)
    visit = stack.baoxue("case", "visit", opened["case_no"], "--finding", "confirmed", "--cause", "厌学", actor=OFFICER)
    assert visit.code == 0, visit.stderr
    events = [e["type"] for e in stack.baoxue("case", "history", opened["case_no"], "--json", actor=OFFICER).json()]
    assert events == ["opened", "restored", "visited"]


def test_a_township_lead_closes_its_townships_cases(stack: RunningStack) -> None:
    lead = "梅子垭教管中心主任"
    refused_elsewhere = stack.baoxue("officer", "add", "--name", lead, "--role", "township_lead")
    one_line_error(refused_elsewhere, 2)  # a township lead needs its township
    stack.add_here(lead, "township_lead", "--township", "梅子垭镇")
    case_no = open_case(stack, child()).json()["case_no"]
    for step in (
        ["visit", case_no, "--finding", "confirmed", "--cause", "厌学"],
        [
            "plan",
            case_no,
            "--placement",
            "original_school",
            "--target-date",
            "2027-03-01",
            "--responsible",
            "李老师:班主任",
        ],
        ["confirm", case_no, "--school", "梅子垭镇中心校", "--evidence", "返校照片"],
    ):
        assert stack.baoxue("case", *step, actor=OFFICER).code == 0
    listed = stack.baoxue("cases", "--json", actor=lead).json()
    assert case_no in {c["case_no"] for c in listed} and {c["township"] for c in listed} == {"梅子垭镇"}
    closed = stack.baoxue("case", "close", case_no, "--note", "同意销号", actor=lead)
    assert closed.code == 0, closed.stderr
    assert stack.baoxue("case", "show", case_no, "--json", actor=lead).json()["stage"] == "closed"

    yushan = open_case(stack, child(), actor=YUSHAN, township="郁山镇").json()["case_no"]
    one_line_error(stack.baoxue("case", "show", yushan, actor=lead), 3)
    one_line_error(stack.baoxue("case", "note", yushan, "越权", actor=lead), 3)


def _close_through_the_cli(stack: RunningStack, case_no: str) -> None:
    for step in (
        ["visit", case_no, "--finding", "confirmed", "--cause", "厌学"],
        [
            "plan",
            case_no,
            "--placement",
            "original_school",
            "--target-date",
            "2027-03-01",
            "--responsible",
            "李老师:班主任",
        ],
        ["confirm", case_no, "--school", "梅子垭镇中心校", "--evidence", "返校照片"],
    ):
        done = stack.baoxue("case", *step, actor=OFFICER)
        assert done.code == 0, done.stderr
    closed = stack.baoxue("case", "close", case_no, "--note", "同意销号", actor="汪贤梁")
    assert closed.code == 0, closed.stderr


def test_a_relapse_after_closure_is_the_cases_second_episode(stack: RunningStack) -> None:
    case_no = open_case(stack, child()).json()["case_no"]
    _close_through_the_cli(stack, case_no)
    watched = stack.baoxue("case", "show", case_no, "--json", actor=OFFICER).json()
    assert watched["stage"] == "closed" and watched["episode"] == 1
    assert watched["monitoring"]["checks_done"] == 0 and watched["monitoring"]["checks_left"] == 4
    assert watched["monitoring"]["next_check_at"].endswith("+08:00")
    shown_text = stack.baoxue("case", "show", case_no, actor=OFFICER, extra_env=NARROW).stdout
    assert "跟踪回访" in shown_text and "还剩 4 次" in shown_text
    relapse = stack.baoxue("case", "follow-up", case_no, "--attending", "no", "--note", "又外出打工", actor=OFFICER)
    assert relapse.code == 0, relapse.stderr
    reopened = stack.baoxue("case", "show", case_no, "--json", actor=OFFICER).json()
    assert (reopened["episode"], reopened["stage"], reopened["monitoring"]) == (2, "home_visit", None)
    listed = stack.baoxue("cases", "--stage", "home_visit", "--json", actor=OFFICER).json()
    assert case_no in {c["case_no"] for c in listed}
    history = stack.baoxue("case", "history", case_no, "--json", actor=OFFICER).json()
    assert [(e["type"], e["episode"]) for e in history][-3:] == [("closed", 1), ("followed_up", 1), ("reopened", 2)]
    table = stack.baoxue("case", "history", case_no, actor=OFFICER, extra_env=NARROW).stdout
    assert "重新立案" in table and all(cell_len(line) <= 80 for line in table.splitlines())
    one_line_error(stack.baoxue("case", "follow-up", case_no, "--attending", "yes", actor=OFFICER), 3)


def test_discovery_reopens_a_closed_case_a_newer_register_still_raises(stack: RunningStack, tmp_path) -> None:
    kid = child()
    household = tmp_path / "户籍.csv"
    household.write_text(f"姓名,身份证号,乡镇\n再辍学,{kid},梅子垭镇\n", encoding="utf-8")
    enrollment = tmp_path / "学籍.csv"
    enrollment.write_text(f"姓名,身份证号,学校\n别人,{child()},某校\n", encoding="utf-8")
    for kind, path in (("household", household), ("enrollment", enrollment)):
        assert stack.baoxue("import", kind, str(path), "--campaign", "pengshui-2026").code == 0
    first = stack.baoxue("discover", "--campaign", "pengshui-2026", "--apply", "--json", timeout=300).json()
    assert first["opened"] >= 1
    case_no = open_case(stack, kid, name="再辍学").json()["case_no"]
    _close_through_the_cli(stack, case_no)
    enrollment.write_text(f"姓名,身份证号,学校\n别人,{child()},某校\n另一人,{child()},某校\n", encoding="utf-8")
    assert stack.baoxue("import", "enrollment", str(enrollment), "--campaign", "pengshui-2026").code == 0
    again = stack.baoxue("discover", "--campaign", "pengshui-2026", "--apply", "--json", timeout=300).json()
    assert again["reopened"] == 1 and again["opened"] == 0, again
    shown_case = stack.baoxue("case", "show", case_no, "--json", actor=OFFICER).json()
    assert (shown_case["episode"], shown_case["stage"]) == (2, "home_visit")


def test_the_report_equals_a_tally_of_cases_and_exports_excel(stack: RunningStack, tmp_path) -> None:
    from python_calamine import CalamineWorkbook

    open_case(stack, child())
    report = stack.baoxue("report", "--format", "json", actor=COUNTY, timeout=120)
    assert report.code == 0, report.stderr
    figures = report.json()
    listed = stack.baoxue("cases", "--campaign", "pengshui-2026", "--json", actor=COUNTY, timeout=120).json()
    live = [c for c in listed if c["stage"] != "closed"]
    assert figures["total"]["suspected"] == len(listed)
    assert figures["total"]["open"] == len(live)
    assert figures["total"]["overdue"] == sum(1 for c in live if c["overdue"])
    assert figures["total"]["relapsed"] == sum(1 for c in listed if c["episode"] > 1)
    by_township = {row["township"]: row["suspected"] for row in figures["townships"]}
    for township in {c["township"] for c in listed}:
        assert by_township[township] == sum(1 for c in listed if c["township"] == township)
    table = stack.baoxue("report", actor=OFFICER, extra_env=NARROW)
    assert table.code == 0 and "梅子垭镇" in table.stdout and "郁山镇" not in table.stdout
    assert all(cell_len(line) <= 80 for line in table.stdout.splitlines()), table.stdout
    out = tmp_path / "清零报表.xlsx"
    saved = stack.baoxue("report", "--format", "xlsx", "--out", str(out), actor=COUNTY, timeout=120)
    assert saved.code == 0, saved.stderr
    book = CalamineWorkbook.from_path(str(out))
    assert book.sheet_names[0] == "汇总" and "台账" in book.sheet_names
    one_line_error(stack.baoxue("report", "--township", "郁山镇", actor=OFFICER), 3)
    one_line_error(stack.baoxue("report", "--as-of", "2026-13-01", actor=OFFICER), 2)


def test_the_dashboard_signs_in_by_a_one_time_link_and_is_scoped(
    stack: RunningStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re
    import secrets
    from urllib.parse import urlencode

    import httpx

    from cli.http import sign_text
    from domain.profile import Profile
    from domain.wire import dashboard_link_message

    mine = open_case(stack, child()).json()["case_no"]
    theirs = open_case(stack, child(), actor=YUSHAN, township="郁山镇").json()["case_no"]
    base = stack.api_url()
    assert httpx.get(f"{base}/dashboard/").status_code == 401  # no page without a session
    url = stack.baoxue("dashboard", "--print-url", actor=OFFICER).stdout.strip()
    assert url.startswith(f"{base}/dashboard/enter?")
    with httpx.Client() as browser:
        entered = browser.get(url)
        assert entered.status_code == 303
        cookie = entered.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=28800" in cookie
        browser.cookies.set("baoxue_session", entered.cookies["baoxue_session"], path="/dashboard")
        overview = browser.get(f"{base}/dashboard/")
        assert overview.status_code == 200 and "梅子垭镇" in overview.text and "郁山镇" not in overview.text
        listed = browser.get(f"{base}/dashboard/cases").text
        assert mine in listed and theirs not in listed
        page = browser.get(f"{base}/dashboard/case/{mine}")
        assert page.status_code == 200 and "+08:00" in page.text and "**" in page.text and "督办与送达" in page.text
        assert browser.get(f"{base}/dashboard/case/{theirs}").status_code == 403
        assert browser.get(f"{base}/dashboard/cases?township=郁山镇").status_code == 403
        assert "<svg" in browser.get(f"{base}/dashboard/burndown").text
        xlsx = browser.get(f"{base}/dashboard/report.xlsx")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        past = browser.get(f"{base}/dashboard/?as_of=2026-09-01")
        assert re.search(r'id="total-suspected">0<', past.text)  # nothing had been opened then
        assert httpx.get(url).status_code == 401  # the link once only
        monkeypatch.setenv("BAOXUE_PROFILE_DIR", stack.env["BAOXUE_PROFILE_DIR"])
        identity = Profile().choose(OFFICER, None)
        old = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=3)).isoformat()
        nonce = secrets.token_hex(16)
        signature = sign_text(identity, dashboard_link_message(str(identity.id), old, nonce))
        query = urlencode({"officer": identity.id, "at": old, "nonce": nonce, "sig": signature})
        stale = httpx.get(f"{base}/dashboard/enter?{query}")
        assert stale.status_code == 401 and "2分钟" in stale.text  # older than two minutes
        assert stack.baoxue("dashboard", "--logout-all", actor=OFFICER).code == 0
        assert browser.get(f"{base}/dashboard/").status_code == 401
    county_url = stack.baoxue("dashboard", "--print-url", actor=COUNTY).stdout.strip()
    with httpx.Client() as browser:
        session = browser.get(county_url).cookies["baoxue_session"]
        browser.cookies.set("baoxue_session", session, path="/dashboard")
        total = re.search(r'id="total-suspected">(\d+)<', browser.get(f"{base}/dashboard/").text)
    figures = stack.baoxue("report", "--format", "json", actor=COUNTY, timeout=120).json()
    assert total is not None and int(total.group(1)) == figures["total"]["suspected"]
    leader_url = stack.baoxue("dashboard", "--print-url", actor="朱洪斌").stdout.strip()
    with httpx.Client() as browser:
        browser.cookies.set("baoxue_session", browser.get(leader_url).cookies["baoxue_session"], path="/dashboard")
        page = browser.get(f"{base}/dashboard/").text
    groups = set(re.findall(r'<tr class="[a-z]*">\s*<td>(\d+)</td>', page))
    assert groups == {"1"} and "梅子垭镇" in page  # 朱洪斌 leads group 1: he sees it, and only it


def test_a_case_moves_to_anzi_through_the_cli(stack: RunningStack) -> None:
    """The issue's test through the CLI: 梅子垭镇's officer asks 鞍子 to take a case over; a 郁山镇
    lead is refused (exit 3); 鞍子镇's lead sees it waiting and accepts it with its officer; the
    case, its number unchanged, is 鞍子镇's — its chain and its next reminder go to 鞍子镇's
    people — and `case history` shows the hand-over to both sides."""
    stack.add_here("鞍子视图主任", "township_lead", "--township", "鞍子镇")
    stack.add_here("鞍子视图办案员", "case_officer", "--township", "鞍子镇")
    stack.add_here("郁山视图主任", "township_lead", "--township", "郁山镇")
    case_no = open_case(stack, child()).json()["case_no"]
    asked = stack.baoxue("case", "transfer", case_no, "--to", "鞍子", "--reason", "全家迁往鞍子镇", actor=OFFICER)
    assert asked.code == 0, asked.stderr
    one_line_error(stack.baoxue("case", "transfer-accept", case_no, actor="郁山视图主任"), 3)
    waiting = stack.baoxue("cases", "--json", actor="鞍子视图主任").json()
    assert [c["transfer"]["to"] for c in waiting if c["case_no"] == case_no] == ["鞍子镇"]
    accepted = stack.baoxue(
        "case", "transfer-accept", case_no, "--officer", "鞍子视图办案员", "--json", actor="鞍子视图主任"
    )
    assert accepted.code == 0, accepted.stderr
    shown = stack.baoxue("case", "show", case_no, "--json", actor="鞍子视图办案员").json()
    assert (shown["case_no"], shown["township"], shown["assigned_officer"]) == (case_no, "鞍子镇", "鞍子视图办案员")
    assert shown["chain"]["section_chief"] == "汪贤梁"  # 鞍子镇's, from the roster
    history = stack.baoxue("case", "history", case_no, "--json", actor="鞍子视图主任").json()
    assert [e["type"] for e in history][-2:] == ["transfer_requested", "transfer_accepted"]
    assert history[-1]["details"]["from_township"] == "梅子垭镇" and history[-1]["details"]["to_township"] == "鞍子镇"
    table = stack.baoxue("case", "history", case_no, actor="鞍子视图主任", extra_env={"COLUMNS": "250"}).stdout
    assert "接收乡镇：鞍子镇" in table and "转出乡镇：梅子垭镇" in table
    assert stack.baoxue("case", "note", case_no, "还在吗", actor=OFFICER).code == 3  # no longer 梅子垭镇's


def test_a_child_with_no_papers_is_opened_visited_planned_and_identified_into_the_childs_case(
    stack: RunningStack,
) -> None:
    """The issue's test through the CLI: a child with no ID number is opened from four lines on
    standard input (never argv), visited and planned; the same child's case by ID number is in
    鞍子镇; `case identify` (the number on standard input) merges them: one case remains, at the
    plan's stage, with both histories; the other is closed as merged."""
    stack.add_here("鞍子无证办案员", "case_officer", "--township", "鞍子镇")
    one_line_error(
        stack.baoxue("case", "open", "--kind", "dropout", "--township", "梅子垭镇", "--no-id-number",
                     "--name", "无证", actor=OFFICER, stdin="x\n"),
        2,
    )  # fmt: skip
    facts = "无证小明\n2014-04-05\n无证监护人\n青龙村\n"
    opened = stack.baoxue(
        "case", "open", "--kind", "dropout", "--township", "梅子垭镇", "--no-id-number",
        actor=OFFICER, stdin=facts, extra_env=NARROW,
    )  # fmt: skip
    assert opened.code == 0 and "临时身份" in opened.stdout, (opened.stdout, opened.stderr)
    provisional = re.search(r"\d{4}-\d{6}", opened.stdout).group(0)  # type: ignore[union-attr]
    shown_case = stack.baoxue("case", "show", provisional, actor=OFFICER, extra_env=NARROW).stdout
    assert "临时身份" in shown_case and "无证监护人" in shown_case
    assert "入户走访·临时" in stack.baoxue("cases", actor=OFFICER, extra_env={"COLUMNS": "120"}).stdout
    assert (
        stack.baoxue("case", "visit", provisional, "--finding", "confirmed", "--cause", "厌学", actor=OFFICER).code == 0
    )
    target = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    planned = stack.baoxue(
        "case", "plan", provisional, "--target-date", target, "--placement", "original_school",
        "--measure", "每周家访", "--responsible", "李老师:班主任", actor=OFFICER,
    )  # fmt: skip
    assert planned.code == 0, planned.stderr
    id_number = make_id_number("500243", dt.date(2014, 4, 5), next(_seed))
    kept = open_case(stack, id_number, name="无证小明", township="鞍子镇", actor="鞍子无证办案员").json()["case_no"]

    identified = stack.baoxue("case", "identify", provisional, actor=OFFICER, stdin=id_number + "\n")
    assert identified.code == 0, identified.stderr
    assert kept in identified.stdout and "合并" in identified.stdout
    assert id_number not in identified.stdout + identified.stderr
    gone = stack.baoxue("case", "show", provisional, "--json", actor=OFFICER).json()
    assert (gone["stage"], gone["outcome"], gone["merged_into"]) == ("closed", "merged", kept)
    carried = stack.baoxue("case", "show", kept, "--json", actor="鞍子无证办案员").json()
    assert (carried["stage"], carried["merged_from"]) == ("return_confirmation", [provisional])
    history = stack.baoxue("case", "history", kept, "--json", actor="鞍子无证办案员").json()
    assert {(e["case_no"], e["type"]) for e in history} >= {
        (provisional, "opened"),
        (provisional, "visited"),
        (provisional, "planned"),
        (provisional, "merged"),
        (kept, "opened"),
        (kept, "merged_in"),
    }
    table = stack.baoxue("case", "history", kept, actor="鞍子无证办案员", extra_env=NARROW).stdout
    assert f"{provisional}#" in table
    again = stack.baoxue("case", "identify", provisional, actor=OFFICER, stdin=id_number + "\n")
    one_line_error(again, 2)


def test_an_officer_manages_their_own_reminders_without_a_new_enrolment(stack: RunningStack) -> None:
    """`notify`: the officer adds an address, tests it (a test message arrives), removes a dead
    one and picks a digest time, signed with their own key; an unreachable address fails the test
    with exit 1; another officer's addresses only an administrator changes (--officer)."""
    from tests.support.webhook import webhook

    with webhook() as (port, received):
        good = f"json://127.0.0.1:{port}/mine"
        dead = "json://127.0.0.1:9/never"
        added = stack.baoxue("notify", "--add", good, "--add", dead, "--json", actor=YUSHAN)
        assert added.code == 0, added.stderr
        assert added.json()["notify"] == [f"json://127.0.0.1:{port}/…", "json://127.0.0.1:9/…"]
        tested = stack.baoxue("notify", "--test", actor=YUSHAN)
        assert tested.code == 1 and "测试消息已送达" in tested.stdout and "测试消息发送失败" in tested.stdout
        assert any(m["title"] == "控辍保学通知测试" and YUSHAN in m["message"] for m in received)
        removed = stack.baoxue("notify", "--remove", dead, "--digest", "7:30", "--test", "--json", actor=YUSHAN)
        assert removed.code == 0, removed.stderr
        assert len(removed.json()["notify"]) == 1 and removed.json()["digest"] == "07:30"
        assert all(item["ok"] for item in removed.json()["tested"])
    shown_now = stack.baoxue("notify", actor=YUSHAN)
    assert shown_now.code == 0 and "07:30" in shown_now.stdout and "/mine" not in shown_now.stdout
    refused = stack.baoxue("notify", "--officer", OFFICER, "--add", "json://h/x", actor=YUSHAN)
    assert refused.code == 3 and refused.stderr.count("\n") == 1
    by_admin = stack.baoxue("notify", "--officer", YUSHAN, "--digest", "off", "--json")
    assert by_admin.code == 0 and by_admin.json()["digest"] is None
    bad = stack.baoxue("notify", "--digest", "25:00", actor=YUSHAN)
    assert bad.code == 2 and "--digest" in bad.stderr
    unknown = stack.baoxue("notify", "--remove", "json://nowhere/x", actor=YUSHAN)
    assert unknown.code == 2 and "没有这个通知地址" in unknown.stderr
    assert stack.baoxue("escalations", "--failed", actor=COUNTY).code == 0
    audit = stack.baoxue("audit", "--json", actor=COUNTY).json()
    assert any(entry.get("action") == "notify" for entry in audit)
