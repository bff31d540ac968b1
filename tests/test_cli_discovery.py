"""Import and discover from outside, as an admin types them, against `baoxue up`."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from config import DEFAULT_ROSTER_FILE
from config.roster_file import load_roster
from tests.support.registers import generate_county
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

        applied = stack.baoxue("discover", "--campaign", "pengshui-2026", "--apply", "--json", timeout=300)
        assert applied.code == 0, applied.stderr
        total = sum(county.expected.values())
        assert (applied.json()["opened"], applied.json()["already_open"]) == (total, 0)
        stack.add_here("县教委督查员", "county")
        listed = stack.baoxue("cases", "--campaign", "pengshui-2026", "--json", actor="县教委督查员").json()
        assert stack.baoxue("cases", "--campaign", "pengshui-2026", "--json").json() == []  # admin reads no case
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
