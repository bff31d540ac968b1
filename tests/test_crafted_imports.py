"""Crafted register files through the real server (`baoxue up`, its own API process): a dimension
bomb, an expansion bomb, a sheet that hides how far it reaches, a file with no valid row, cells
with control characters and formula cells. Each gets its one line; the API process is the same
one throughout, answers `/api/health` within a second all along, and its resident memory grows
by no more than the file it was sent; the register in use changes only with `--replace`."""

from __future__ import annotations

import csv
import datetime as dt
import json
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import psutil
import psycopg
import pytest

from domain.id_number import make_id_number
from tests.support.stack import RunningStack, running_stack
from tests.support.workbooks import without_dimension

pytestmark = pytest.mark.stack

HEADER = ["姓名", "身份证号", "乡镇（街道）", "村（社区）"]
CAMPAIGN = "pengshui-2026"
READER_MEMORY = 1024**3


def child(n: int) -> str:
    return make_id_number("500243", dt.date(2014, 1, 1) + dt.timedelta(days=n % 300), 500 + n)


def wrong_check_digit(id_number: str) -> str:
    return id_number[:-1] + ("1" if id_number[-1] == "0" else "0")


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path


def workbook(path: Path, fill: object) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    fill(sheet)  # type: ignore[operator]
    book.close()
    return path


def expansion_bomb(path: Path, unpacked: int = 1024**3) -> Path:
    """A few MB that unpack to a gigabyte of sheet XML."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b"<worksheet><sheetData>")
            block = b" " * 1024**2
            for _ in range(unpacked // len(block)):
                sheet.write(block)
            sheet.write(b"</sheetData></worksheet>")
    return path


def current_register(stack: RunningStack) -> list[tuple[str, int]]:
    with psycopg.connect(stack.owner_url()) as conn:
        rows = conn.execute(
            "SELECT file_name, valid_rows FROM register_files WHERE campaign = %s AND register = 'household'"
            " AND current",
            (CAMPAIGN,),
        ).fetchall()
    return [(name, valid) for name, valid in rows]


class ApiWatch(threading.Thread):
    """Samples the API process's resident memory and `/api/health`'s time every 0.2 s."""

    def __init__(self, stack: RunningStack) -> None:
        super().__init__(daemon=True)
        self.process = psutil.Process(stack.state()["api"]["pid"])
        self.health = stack.api_url() + "/api/health"
        self.rss: list[int] = []
        self.answers: list[float] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.rss.append(self.process.memory_info().rss)
            started = time.monotonic()
            with urllib.request.urlopen(self.health, timeout=5) as response:
                assert json.loads(response.read())["ok"] is True
            self.answers.append(time.monotonic() - started)
            self.done.wait(0.2)


def test_crafted_files_get_one_line_and_the_server_stays(tmp_path: Path) -> None:
    files = tmp_path / "files"
    files.mkdir()
    with running_stack(tmp_path / "data", settings={"BAOXUE_REGISTER_MEMORY_BYTES": str(READER_MEMORY)}) as stack:
        register = write_csv(files / "户籍.csv", [[f"户籍儿童{n}", child(n), "梅子垭镇", "某村"] for n in range(40)])
        assert stack.baoxue("import", "household", str(register), "--campaign", CAMPAIGN).code == 0
        before = current_register(stack)
        assert before == [("户籍.csv", 40)]
        api_pid = stack.state()["api"]["pid"]
        crafted = {
            "far.xlsx": workbook(files / "far.xlsx", lambda s: s.write(1048575, 16383, "x")),
            "sparse.xlsx": workbook(files / "sparse.xlsx", lambda s: s.write(199_999, 99, "x")),
            "hidden.xlsx": without_dimension(
                workbook(files / "plain.xlsx", lambda s: s.write(199_999, 99, "x")), files / "hidden.xlsx"
            ),
            "expanding.xlsx": expansion_bomb(files / "expanding.xlsx"),
            "无效.csv": write_csv(
                files / "无效.csv", [["某某", wrong_check_digit(child(n)), "梅子垭镇", "某村"] for n in range(5)]
            ),
            "控制字符.csv": write_csv(
                files / "控制字符.csv",
                [[f"王\x1b[2J{n}", child(n), "梅子垭镇", "某村"] for n in range(3)]
                + [[f"李{n}", child(n), "梅子垭镇", "某\u202e村"] for n in range(3, 6)],
            ),
        }
        assert crafted["expanding.xlsx"].stat().st_size < 8 * 1024**2
        watch = ApiWatch(stack)
        watch.start()
        baseline = psutil.Process(api_pid).memory_info().rss
        try:
            for name, path in crafted.items():
                done = stack.baoxue("import", "household", str(path), "--campaign", CAMPAIGN, timeout=300)
                assert done.code == 2, (name, done.code, done.stdout, done.stderr)
                assert len(done.stderr.strip().splitlines()) == 1 and done.stdout == "", (name, done.stderr)
                assert name in done.stderr or "0" in done.stderr, (name, done.stderr)
                assert "\x1b" not in done.stderr and "\u202e" not in done.stderr
                assert current_register(stack) == before, name
        finally:
            watch.done.set()
            watch.join()
        assert stack.state()["api"]["pid"] == api_pid and psutil.pid_exists(api_pid)
        assert max(watch.answers) < 1.0, max(watch.answers)
        grown = max(watch.rss) - baseline
        assert grown < 100 * 1024**2, f"the API grew by {grown // 1024**2} MB"

        formulas = workbook(files / "公式.xlsx", _formulas)
        taken = stack.baoxue("import", "household", str(formulas), "--campaign", CAMPAIGN, "--replace", "--json")
        assert taken.code == 0, taken.stderr
        summary = taken.json()
        assert (summary["rows"], summary["valid"]) == (3, 2)
        assert [(r["row"], r["reason"]) for r in summary["rejected"]] == [(4, "length")]
        assert current_register(stack) == [("公式.xlsx", 2)]


def _formulas(sheet: object) -> None:
    sheet.write_row(1, 0, ["张三", child(401), "梅子垭镇", "某村"])  # type: ignore[attr-defined]
    sheet.write_formula(2, 0, '=HYPERLINK("http://evil.example","点我")', None, "点我")  # type: ignore[attr-defined]
    sheet.write_row(2, 1, [child(402), "梅子垭镇", "某村"])  # type: ignore[attr-defined]
    sheet.write_formula(3, 0, "=1+1", None, 2)  # type: ignore[attr-defined]
    sheet.write_formula(3, 1, '=CONCAT("5002","43")', None, "500243")  # type: ignore[attr-defined]
    sheet.write_row(3, 2, ["梅子垭镇", "某村"])  # type: ignore[attr-defined]
