"""A sheet read in pieces on two threads is the table calamine reads whole, cell for cell; a sheet
the pieces cannot be trusted with is left to the whole read (None)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import random
import resource
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from config import DEFAULT_ROSTER_FILE
from config.roster_file import load_roster
from domain.id_number import make_id_number
from domain.registers import RegisterKind
from starter import register_files, sheet_pieces
from starter.register_files import HEADER_SEARCH_ROWS, RegisterValidation, parse_register, read_register, read_table
from starter.sheet_pieces import read_in_pieces

ROSTER = load_roster(DEFAULT_ROSTER_FILE)

SMALL_PIECE = 4096
"""The files here are cut into eight pieces."""


@pytest.fixture(autouse=True)
def two_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheet_pieces, "cores", lambda: 2)


def whole(path: Path, sheet: str | None = None) -> list[list[Any]]:
    workbook = CalamineWorkbook.from_path(str(path))
    chosen = workbook.get_sheet_by_name(sheet) if sheet else workbook.get_sheet_by_index(0)
    return chosen.to_python(skip_empty_area=False)


def register(path: Path, *, inline: bool, rows: int = 1500, seed: int = 7) -> Path:
    """A register as offices make them: a title, the header on row 3, blank rows, a column left
    empty until far down, numbers, dates and text (inline strings or shared ones), and a second
    sheet after the first."""
    chance = random.Random(seed)
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": inline})
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet = workbook.add_worksheet("户籍")
    sheet.write(0, 1, "彭水县户籍登记表")
    for column, label in enumerate(["乡镇", "姓名", "身份证号", "出生日期", "人数"], start=1):
        sheet.write(2, column, label)
    for row in range(3, rows):
        if row % 97 == 0:
            continue  # a blank row
        sheet.write(row, 1, chance.choice(["梅子垭镇", "鞍子镇", "石盘乡"]))
        sheet.write(row, 2, f"学生{row}")
        sheet.write(row, 3, f"50024320{chance.randrange(10**9, 10**10)}")
        if row % 5:
            sheet.write_datetime(row, 4, dt.datetime(2015, 1, 1) + dt.timedelta(days=row), dates)
        sheet.write_number(row, 5, row % 7)
        if row > rows - 40:
            sheet.write(row, 8, "备注在最后才出现")  # the widest rows only in the last piece
    other = workbook.add_worksheet("说明")
    other.write(0, 0, "只读第一张表")
    workbook.close()
    return path


@pytest.mark.parametrize("inline", [True, False], ids=["inline-strings", "shared-strings"])
def test_the_pieces_are_the_whole_sheet(tmp_path: Path, inline: bool) -> None:
    path = register(tmp_path / "户籍.xlsx", inline=inline)
    pieces = read_in_pieces(path, None, piece_bytes=SMALL_PIECE)
    assert pieces is not None
    assert pieces == whole(path)
    assert read_in_pieces(path, "户籍", piece_bytes=SMALL_PIECE) == whole(path, "户籍")


def test_rows_a_piece_starts_far_down_and_to_the_right(tmp_path: Path) -> None:
    """Empty rows between every two pieces (a row written every third) and pieces whose first
    column is not A: laid out from A1, as the whole sheet is."""
    path = tmp_path / "sparse.xlsx"
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    for row in range(2, 1200, 3):
        sheet.write(row, 0, f"前{row}")
    for row in range(1500, 2700, 3):
        sheet.write(row, 3, f"后{row}")
        sheet.write(row, 4, row)
    workbook.close()
    pieces = read_in_pieces(path, None, piece_bytes=SMALL_PIECE)
    assert pieces == whole(path)
    assert pieces is not None and len(pieces) == 2698 and len(pieces[1300]) == 5


def rewritten(path: Path, out: Path, change: Any) -> Path:
    """The workbook with its first sheet's XML changed."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            target.writestr(info.filename, change(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return out


def test_what_the_pieces_cannot_trust_is_read_whole(tmp_path: Path) -> None:
    path = register(tmp_path / "户籍.xlsx", inline=True)
    numbered = read_in_pieces(path, None, piece_bytes=SMALL_PIECE)
    assert numbered is not None
    unnumbered = rewritten(path, tmp_path / "unnumbered.xlsx", lambda xml: xml.replace(b'<row r="', b'<row n="'))
    assert read_in_pieces(unnumbered, None, piece_bytes=SMALL_PIECE) is None
    commented = rewritten(path, tmp_path / "commented.xlsx", lambda xml: xml.replace(b"</row>", b"</row><!-- x -->", 1))
    assert read_in_pieces(commented, None, piece_bytes=SMALL_PIECE) is None

    def swapped(xml: bytes) -> bytes:
        """The rows of the sheet's two halves swapped: a piece's rows above the one before."""
        start, end = xml.index(b"<sheetData>") + 11, xml.index(b"</sheetData>")
        middle = xml.index(b"<row ", (start + end) // 2)
        return xml[:start] + xml[middle:end] + xml[start:middle] + xml[end:]

    shuffled = rewritten(path, tmp_path / "shuffled.xlsx", swapped)
    assert read_in_pieces(shuffled, None, piece_bytes=SMALL_PIECE) is None
    assert read_in_pieces(path, "没有这张表", piece_bytes=SMALL_PIECE) is None
    assert read_in_pieces(path, None) is None  # under two pieces' worth: whole
    csv = tmp_path / "户籍.csv"
    csv.write_text("乡镇,姓名\n")
    assert read_in_pieces(csv, None) is None


def test_one_core_reads_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = register(tmp_path / "户籍.xlsx", inline=True, rows=300)
    monkeypatch.setattr(sheet_pieces, "cores", lambda: 1)
    assert read_in_pieces(path, None, piece_bytes=SMALL_PIECE) is None


def test_a_piece_is_a_zip_calamine_reads() -> None:
    blob = sheet_pieces._stored_zip([("a.txt", b"x" * 10), ("b/c.xml", [b"<a>", b"</a>"])])
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        assert archive.testzip() is None
        assert archive.read("b/c.xml") == b"<a></a>"


def messy_register(path: Path, rows: int = 2400) -> Path:
    """A household register with every kind of bad row (ID numbers wrong, names missing, a control
    character in a column far to the right, townships unknown) and blank rows among good ones."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write(0, 0, "户籍登记表")
    sheet.write_row(1, 0, ["序号", "姓名", "身份证号", "乡镇（街道）", "备注"])
    for row in range(2, rows):
        if row % 61 == 0:
            continue
        born = dt.date(2010, 1, 1) + dt.timedelta(days=row)
        number = make_id_number("500243", born, row % 900 + 1)
        if row % 53 == 0:
            number = number[:-1] + ("0" if number[-1] != "0" else "1")
        township = "梅子垭镇" if row % 71 else "不存在镇"
        name = f"童{row}" if row % 67 else " "
        sheet.write_row(row, 0, [row, name, number, township, "留守" if row % 3 else ""])
        if row % 89 == 0 and row > rows // 2:
            sheet.write(row, 9, "换\x07行")  # a column only the later pieces have
    workbook.close()
    return path


def test_a_register_validated_piece_by_piece_is_the_register_validated_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each piece is checked as it arrives, while the rest is still read: the rows kept, their
    numbers, the rejections and their order are those of the whole table checked at once."""
    path = messy_register(tmp_path / "户籍.xlsx")
    cut = functools.partial(sheet_pieces.sheet_pieces, piece_bytes=SMALL_PIECE)
    monkeypatch.setattr(register_files, "sheet_pieces", cut)
    seen: list[tuple[int, int]] = []
    in_pieces = read_register(path, RegisterKind.household, ROSTER, on_progress=lambda *done: seen.append(done))
    at_once = parse_register(read_table(path, in_pieces=False), RegisterKind.household, ROSTER)
    assert in_pieces == at_once
    reasons = {"check_digit", "missing", "control_characters", "unknown_township"}
    assert {r.reason for r in at_once.rejections} >= reasons
    assert at_once.blank_rows > 30 and len(at_once.headers) == 10
    assert len(seen) > 4 and seen == sorted(seen) and seen[-1] == (2400, 2400)
    assert all(done <= total for done, total in seen)


def test_a_table_cut_anywhere_validates_as_the_whole() -> None:
    """Pieces of any size (the first holding the header), short rows among them: the same register."""
    table: list[list[object]] = [["名单"], [], ["姓名", "身份证号", "乡镇"]]
    for row in range(400):
        number = make_id_number("500243", dt.date(2012, 3, 1) + dt.timedelta(days=row), row % 900 + 1)
        cells: list[object] = [f"童{row}", number if row % 13 else number[:-2], "鞍子镇" if row % 17 else "某镇"]
        table.append(cells[: 2 + row % 2] if row % 29 else [])
        if row % 31 == 0:
            table[-1] = [*table[-1], "", "", "\x0b"]
    whole_register = parse_register(table, RegisterKind.household, ROSTER)
    chance = random.Random(5)
    for _ in range(20):
        cuts = sorted(chance.sample(range(HEADER_SEARCH_ROWS, len(table)), chance.randrange(1, 12)))
        bounds = [0, *cuts, len(table)]
        validation = RegisterValidation(table[: bounds[1]], RegisterKind.household, ROSTER)
        for start, end in itertools.pairwise(bounds[1:]):
            validation.add(table[start:end])
        assert validation.finished() == whole_register


def test_pieces_found_wrong_half_way_are_read_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A comment among the last rows is seen only after the first pieces were checked: those checks
    are thrown away and the file is read whole."""
    source = messy_register(tmp_path / "source.xlsx")

    def late_comment(xml: bytes) -> bytes:
        at = xml.rindex(b"</row>", 0, len(xml) * 9 // 10)
        return xml[:at] + "</row><!-- 备注 -->".encode() + xml[at + 6 :]

    path = rewritten(source, tmp_path / "户籍.xlsx", late_comment)
    cut = functools.partial(sheet_pieces.sheet_pieces, piece_bytes=SMALL_PIECE)
    monkeypatch.setattr(register_files, "sheet_pieces", cut)
    monkeypatch.setattr(sheet_pieces, "CHUNK_BYTES", 1024)  # the comment is met after the first pieces are cut
    taken: list[int] = []
    real_add = RegisterValidation.add
    monkeypatch.setattr(RegisterValidation, "add", lambda self, rows: (taken.append(len(rows)), real_add(self, rows)))
    found = read_register(path, RegisterKind.household, ROSTER)
    assert len(taken) > 2  # pieces were checked before the comment was met
    assert found == parse_register(read_table(path, in_pieces=False), RegisterKind.household, ROSTER)


def test_a_capped_process_without_room_reads_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader's address space is capped: pieces only where the cap leaves room for them
    beside what the whole read needs, so no file that fits whole is refused for its pieces."""
    path = register(tmp_path / "户籍.xlsx", inline=True)
    assert read_in_pieces(path, None, piece_bytes=SMALL_PIECE) is not None
    used = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    monkeypatch.setattr(resource, "getrlimit", lambda _: (used + 64 * 1024**2, resource.RLIM_INFINITY))
    assert read_in_pieces(path, None, piece_bytes=SMALL_PIECE) is None
    monkeypatch.setattr(resource, "getrlimit", lambda _: (used + 4 * 1024**3, resource.RLIM_INFINITY))
    assert read_in_pieces(path, None, piece_bytes=SMALL_PIECE) is not None
