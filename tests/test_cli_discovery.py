"""Import and discover from outside, as an admin types them, against `baoxue up`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.cells import cell_len

from bench.county import generate_county
from config import DEFAULT_ROSTER_FILE
from config.roster_file import load_roster
from tests.support.four_checks import CAMPAIGN_YAML, write_four_checks
from tests.support.stack import running_stack

pytestmark = pytest.mark.stack


def test_registers_in_cases_out(tmp_path: Path) -> None:
    county = generate_county(
        tmp_path / "county",
        load_roster(DEFAULT_ROSTER_FILE),
        children=1200,
        reference_date=dt.date(2026, 9, 1),
        seed=5,
        aid_rule=True,
    )
    with running_stack(tmp_path / "data") as stack:
        rejected = 0
        for kind, path in county.files.items():
            done = stack.baoxue("import", kind.value, str(path), "--campaign", "pengshui-2026", "--json")
            assert done.code == 0, done.stderr
            body = done.json()
            rejected += body["rejected_rows"]
            assert len({r["row"] for r in body["rejected"]}) == body["rejected_rows"]
            if body["rejected_rows"]:
                with open(body["rejects_file"], encoding="utf-8-sig") as handle:
                    assert len({row[0] for row in list(csv.reader(handle))[1:]}) == body["rejected_rows"]
            else:
                assert body["rejects_file"] is None  # no empty rejects file
        assert rejected == county.expected_rejected
        again = stack.baoxue(
            "import", "household", str(county.files[next(iter(county.files))]), "--campaign", "pengshui-2026", "--json"
        )
        assert again.code == 0 and again.json()["unchanged"] is True
        household = county.files[next(iter(county.files))]
        drawn, code = stack.on_terminal_until(
            "import", "household", str(household), "--campaign", "pengshui-2026", seen="\x00 never shown"
        )
        assert code == 0 and "服务器处理中" in drawn and household.name in drawn, drawn

        dry = stack.baoxue("discover", "--campaign", "pengshui-2026", "--json")
        assert dry.code == 0, dry.stderr
        expected = {
            "suspected": county.expected,
            "rejected_rows": county.expected_rejected,
            "opened": 0,
            "already_open": 0,
        }
        assert {k: dry.json()[k] for k in expected} == expected
        assert Path(dry.json()["report_file"]).exists()

        drawn, code = stack.on_terminal_until("discover", "--campaign", "pengshui-2026", "--apply", seen="立案 ")
        assert code == 130 and "服务器处理中" in drawn and "立案 " in drawn and "%" in drawn, drawn
        job = re.search(r"作业 ([0-9a-f]{12})", drawn)
        assert job, drawn  # interrupted: the client says the work goes on, and which job it is
        applied = stack.baoxue("discover", "--campaign", "pengshui-2026", "--apply", "--json", timeout=300)
        assert applied.code == 0, applied.stderr
        assert applied.json()["job"] == job[1]  # the same command again follows the same job
        total = sum(county.expected.values())
        assert (applied.json()["opened"], applied.json()["already_open"]) == (total, 0)
        stack.add_here("县教委督查员", "county")
        listed = stack.baoxue("cases", "--campaign", "pengshui-2026", "--json", actor="县教委督查员").json()
        assert stack.baoxue("cases", "--campaign", "pengshui-2026", "--json").json() == []  # admin reads no case
        for told in (("cases",), ("report",), ("ledger", "dropouts")):
            said = stack.baoxue(*told, "--campaign", "pengshui-2026")
            assert said.code == 0 and "系统管理员的权限范围不含任何案件" in said.stdout, (told, said.stdout)
        assert "系统管理员" not in stack.baoxue("report", actor="县教委督查员").stdout
        assert len(listed) == total
        assert {k: sum(1 for c in listed if c["kind"] == k) for k in county.expected} == county.expected
        twice = stack.baoxue("discover", "--campaign", "pengshui-2026", "--apply", "--json", timeout=300).json()
        assert (twice["opened"], twice["already_open"]) == (0, total)

        bad = tmp_path / "no-township.csv"
        bad.write_text("姓名,身份证号,村\n王小明,500243201304050120,某村\n", encoding="utf-8")
        missing = stack.baoxue("import", "household", str(bad), "--campaign", "pengshui-2026")
        assert missing.code == 2 and "乡镇（街道）" in missing.stderr
        unreadable = tmp_path / "broken.xlsx"
        unreadable.write_bytes(b"not a workbook")
        assert stack.baoxue("import", "household", str(unreadable), "--campaign", "pengshui-2026").code == 2
        assert stack.baoxue("import", "census", str(bad), "--campaign", "pengshui-2026").code == 2
        denied = stack.baoxue("discover", "--campaign", "pengshui-2026", "--apply", "--as", "汪贤梁")
        assert denied.code == 3
        four_checks_from_outside(stack, tmp_path)


def four_checks_from_outside(stack: Any, tmp_path: Path) -> None:
    """四查三比对 as an admin and an officer type it: known answers per reason, the priority child
    listed first and flagged, three persuasion attempts in the history and in the 辍学学生台账, the
    three ledgers as workbooks, and an earlier day as it stood."""
    from python_calamine import CalamineWorkbook

    four = write_four_checks(tmp_path / "four")
    campaign_file = tmp_path / "four-checks.yaml"
    campaign_file.write_text(CAMPAIGN_YAML, encoding="utf-8")
    added = stack.baoxue("campaign", "add", str(campaign_file))
    assert added.code == 0 and "复查提醒" in added.stdout, added.stderr
    for kind, path in four.files.items():
        done = stack.baoxue("import", kind.value, str(path), "--campaign", "four-checks", "--json")
        assert done.code == 0 and done.json()["rejected_rows"] == 0, done.stderr
    dry = stack.baoxue("discover", "--campaign", "four-checks", "--json").json()
    assert dry["suspected"] == {"dropout": 3, "funding": 1, "disability": 0}
    assert (dry["reasons"]["enrolled_not_attending"], dry["reasons"]["never_enrolled"]) == (2, 1)
    assert stack.baoxue("discover", "--campaign", "four-checks", "--apply", "--json", timeout=120).code == 0

    officer = "梅子垭四查员"
    stack.add_here(officer, "case_officer", "--township", "梅子垭镇")
    listed = stack.baoxue("cases", "--campaign", "four-checks", "--json", actor=officer).json()
    assert [c["priority"] for c in listed[:2]] == [["orphan", "alleviated"]] * 2  # priority children first
    assert [c["priority"] for c in listed[2:]] == [[], []]
    orphan = next(c for c in listed if c["kind"] == "dropout" and c["priority"])
    assert orphan["poverty_risk"] is True and orphan["reason"] == "never_enrolled"
    report = stack.baoxue("report", "--campaign", "four-checks", "--format", "json", actor=officer).json()
    assert [c["case_no"] for c in report["poverty_risk"]] == [orphan["case_no"]]
    assert report["total"]["priority"] == 2

    case_no = next(c["case_no"] for c in listed if c["reason"] == "enrolled_not_attending")
    visited = stack.baoxue(
        "case",
        "visit",
        case_no,
        "--finding",
        "confirmed",
        "--cause",
        "外出务工",
        "--dropout-reason",
        "外出打工",
        actor=officer,
    )
    assert visited.code == 0, visited.stderr
    for n, method in enumerate(("visit", "phone", "village"), start=1):
        tried = stack.baoxue(
            "case",
            "attempt",
            case_no,
            "--by",
            "王建国:村支书",
            "--method",
            method,
            "--result",
            f"第{n}次劝返",
            actor=officer,
        )
        assert tried.code == 0, tried.stderr
    history = stack.baoxue("case", "history", case_no, "--json", actor=officer).json()
    attempts = [e for e in history if e["type"] == "attempted"]
    assert [e["details"]["method"] for e in attempts] == ["visit", "phone", "village"]
    assert "劝返" in stack.baoxue("case", "history", case_no, actor=officer).stdout

    dropouts = stack.baoxue("ledger", "dropouts", "--campaign", "four-checks", "--json", actor=officer).json()
    row = next(r for r in dropouts["rows"] if r["case_no"] == case_no)
    assert (row["attempts"], row["causes"]) == (3, "外出打工")
    for book, title, rows in (
        ("children", "适龄儿童台账", 5),
        ("suspected", "疑似辍学学生台账", 3),
        ("dropouts", "辍学学生台账", 1),
    ):
        out = tmp_path / f"{book}.xlsx"
        written = stack.baoxue("ledger", book, "--campaign", "four-checks", "--xlsx", str(out), actor=officer)
        assert written.code == 0, written.stderr
        sheet = CalamineWorkbook.from_path(str(out)).get_sheet_by_name(title).to_python()
        header = sheet[2]  # under the title and the head line
        assert len(sheet) == rows + 3 and all(ch > "\u2e80" for ch in header[1]) and title in sheet[0][0]
        masked = header.index("身份证号（已遮蔽）")
        assert all("*" in line[masked] and line[masked] not in four.ids.values() for line in sheet[3:])
    wide = stack.baoxue(
        "ledger", "dropouts", "--campaign", "four-checks", "--wide", actor=officer, extra_env={"COLUMNS": "80"}
    )
    assert wide.code == 0 and "辍学原因" in wide.stdout and "外出打工" in wide.stdout, wide.stderr
    assert all(cell_len(line) <= 80 for line in wide.stdout.splitlines()), wide.stdout  # wrapped, never cut
    book = ("ledger", "children", "--campaign", "four-checks", "--json", "--reveal")
    assert stack.baoxue(*book, actor=officer).code == 2  # no purpose, nothing shown
    revealed = stack.baoxue(*book, "--purpose", "入户核对在校情况", actor=officer).json()["rows"]
    assert sorted(row["id_number"] for row in revealed) == sorted(four.ids.values())
    stack.add_here("鞍子四查员", "case_officer", "--township", "鞍子镇")
    elsewhere = stack.baoxue(*book, "--purpose", "入户核对在校情况", actor="鞍子四查员").json()["rows"]
    assert elsewhere == []  # another township's children are out of scope
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    before = stack.baoxue(
        "ledger", "suspected", "--campaign", "four-checks", "--as-of", yesterday, "--json", actor=officer
    )
    assert before.code == 0 and before.json()["rows"] == []  # the cases were opened today
    children = stack.baoxue(
        "ledger", "children", "--campaign", "four-checks", "--as-of", yesterday, "--json", actor=officer
    )
    assert children.code == 0 and children.json()["rows"] == []  # the registers came today

    link = stack.baoxue("dashboard", "--print-url", actor=officer).stdout.strip()
    with httpx.Client(timeout=60) as browser:
        session = browser.get(link).cookies["baoxue_session"]
        browser.cookies.set("baoxue_session", session, path="/dashboard")
        got = browser.get(f"{stack.api_url()}/dashboard/ledger/dropouts.xlsx")
    assert got.status_code == 200, got.text
    assert CalamineWorkbook.from_filelike(io.BytesIO(got.content)).sheet_names == ["辍学学生台账"]
