"""A sheet read in pieces on two threads is the table calamine reads whole, cell for cell; a sheet
the pieces cannot be trusted with is left to the whole read (None)."""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from starter import sheet_pieces
from starter.sheet_pieces import read_in_pieces

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
