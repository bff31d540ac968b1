"""The current register is the one the administrator meant: an import is all or nothing, an
earlier file imported again is current again, a file with no valid rows or far fewer than the
current one is refused unless `replace`, and every rejected row is listed."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from domain.campaign import CampaignSpec
from domain.id_number import make_id_number
from ledger.campaigns import upsert_campaign
from ledger.models import RegisterFile
from starter.context import Context
from tests.support.api import ADMIN, InProcessApi
from tests.support.cases import context_for, register_officer
from tests.support.workbooks import without_dimension

HEADER = ["姓名", "身份证号", "乡镇（街道）", "村（社区）"]


@pytest.fixture
def campaign(api: InProcessApi) -> str:
    spec = CampaignSpec(
        name=f"imports-{uuid.uuid4().hex[:8]}",
        reference_date=dt.date(2026, 9, 1),
        clearance_deadline=dt.datetime(2027, 6, 5, tzinfo=dt.UTC),
    )
    with api.ctx.sessions.begin() as session:
        upsert_campaign(session, spec=spec)
    return spec.name


def household(path: Path, children: int, *, first: int = 0, names: list[Any] | None = None) -> bytes:
    rows = [
        [
            names[i] if names else f"户籍儿童{first + i}",
            make_id_number("500243", dt.date(2014, 1, 1), first + i),
            "梅子垭镇",
            "某村",
        ]
        for i in range(children)
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    return path.read_bytes()


async def send(api: InProcessApi, campaign: str, body: bytes, name: str = "户籍.csv", **query: Any) -> Any:
    params = {"file_name": name, "campaign": campaign, **{k: str(v).lower() for k, v in query.items()}}
    return await api.call(ADMIN, "POST", "/api/registers/household", raw=body, params=params)


@contextlib.asynccontextmanager
async def served_with(api: InProcessApi, **settings: Any) -> AsyncIterator[InProcessApi]:
    """A second server on the same database, with some settings changed, the administrator enrolled."""
    ctx = context_for(api.ctx.settings.model_copy(update=settings))
    register_officer(ctx, ADMIN)
    served = InProcessApi(ctx)
    try:
        yield served
    finally:
        await served.close()
        ctx.close()


def current(ctx: Context, campaign: str) -> list[tuple[str, int]]:
    with ctx.sessions() as session:
        files = session.scalars(select(RegisterFile).where(RegisterFile.campaign == campaign, RegisterFile.current))
        return [(f.content_hash[:8], f.valid_rows) for f in files]


async def test_no_valid_rows_or_far_fewer_is_refused_unless_replace(
    api: InProcessApi, campaign: str, tmp_path: Path
) -> None:
    full = household(tmp_path / "full.csv", 10)
    assert (await send(api, campaign, full)).status_code == 200
    before = current(api.ctx, campaign)
    empty = household(tmp_path / "empty.csv", 3, names=["", " ", ""])
    refused = await send(api, campaign, empty)
    assert refused.status_code == 400 and refused.json()["exit"] == 2 and "--replace" in refused.json()["message"]
    part = household(tmp_path / "part.csv", 3)
    shrinking = await send(api, campaign, part)
    assert shrinking.status_code == 400 and "3" in shrinking.json()["message"] and "10" in shrinking.json()["message"]
    assert current(api.ctx, campaign) == before
    taken = await send(api, campaign, part, replace=True)
    assert taken.status_code == 200 and current(api.ctx, campaign)[0][1] == 3


async def test_an_earlier_file_imported_again_is_current_again(
    api: InProcessApi, campaign: str, tmp_path: Path
) -> None:
    first = household(tmp_path / "v1.csv", 6)
    second = household(tmp_path / "v2.csv", 6, first=100)
    assert (await send(api, campaign, first)).status_code == 200
    assert (await send(api, campaign, second)).status_code == 200
    again = await send(api, campaign, first)
    assert again.status_code == 200 and again.json()["reinstated"] is True and again.json()["unchanged"] is False
    assert current(api.ctx, campaign) == [(hashlib.sha256(first).hexdigest()[:8], 6)]
    same = await send(api, campaign, first)
    assert same.json()["unchanged"] is True


async def test_every_rejected_row_is_listed_even_a_name_that_reads_as_zero(
    api: InProcessApi, campaign: str, tmp_path: Path
) -> None:
    import xlsxwriter

    path = tmp_path / "zero.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    for i, name in enumerate(["甲", 0, "乙", "丙"], start=1):
        sheet.write_row(i, 0, [name, make_id_number("500243", dt.date(2014, 2, 1), 200 + i), "梅子垭镇", "某村"])
    book.close()
    done = (await send(api, campaign, path.read_bytes(), name="zero.xlsx")).json()
    assert done["rejected_rows"] == len(done["rejected"]) == 1
    assert done["rejected"][0]["row"] == 3 and done["rejected"][0]["reason"] == "missing"


async def test_an_import_that_cannot_write_its_report_commits_nothing(
    api: InProcessApi, campaign: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "reports").write_text("not a folder")
    async with served_with(api, data_dir=data_dir) as blocked:
        answer = await send(blocked, campaign, household(tmp_path / "blocked.csv", 5))
        assert answer.status_code == 500 and answer.json()["exit"] == 1
        assert str(data_dir / "reports") in answer.json()["message"]
        assert current(api.ctx, campaign) == []


async def test_crafted_workbooks_are_refused_with_one_line_and_the_register_stays(
    api: InProcessApi, campaign: str, tmp_path: Path
) -> None:
    import zipfile

    import xlsxwriter

    assert (await send(api, campaign, household(tmp_path / "full.csv", 4))).status_code == 200
    before = current(api.ctx, campaign)
    far = tmp_path / "far.xlsx"
    book = xlsxwriter.Workbook(str(far))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write(1048575, 16383, "x")
    book.close()
    expanding = tmp_path / "expanding.xlsx"
    with zipfile.ZipFile(expanding, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + " " * 60_000_000 + "</worksheet>")
    for crafted in (far, expanding):
        answer = await send(api, campaign, crafted.read_bytes(), name=crafted.name)
        assert answer.status_code == 400 and answer.json()["exit"] == 2, (crafted.name, answer.text)
        assert len(answer.json()["message"].splitlines()) == 1
    assert current(api.ctx, campaign) == before


async def test_impossible_births_and_control_characters_are_rejected_rows(
    api: InProcessApi, campaign: str, tmp_path: Path
) -> None:
    path = tmp_path / "odd.csv"
    rows = [
        ["正常儿童", make_id_number("500243", dt.date(2014, 5, 1), 301), "梅子垭镇", "某村"],
        ["未来儿童", make_id_number("500243", dt.date(2030, 5, 1), 302), "梅子垭镇", "某村"],
        ["古人", make_id_number("500243", dt.date(1950, 5, 1), 303), "梅子垭镇", "某村"],
        ["王\x1b[2J明", make_id_number("500243", dt.date(2014, 6, 1), 304), "梅子垭镇", "某村"],
        ["李\u202e四", make_id_number("500243", dt.date(2014, 7, 1), 305), "梅子垭镇", "某村"],
        ["赵五", make_id_number("500243", dt.date(2014, 7, 2), 306), "梅子垭镇", "某\x07村"],
        ["钱六", make_id_number("500243", dt.date(2014, 7, 3), 307), "梅子垭镇", "某村\x00"],
        ["孙七", make_id_number("500243", dt.date(2014, 7, 4), 308), "梅子垭镇", "某村\r\n三组"],
    ]
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    done = (await send(api, campaign, path.read_bytes())).json()
    assert done["valid"] == 2 and done["rejected_rows"] == 6
    assert sorted((r["row"], r["column"], r["reason"]) for r in done["rejected"]) == [
        (3, "身份证号", "birth_date_range"),
        (4, "身份证号", "birth_date_range"),
        (5, "姓名", "control_characters"),
        (6, "姓名", "control_characters"),
        (7, "村（社区）", "control_characters"),
        (8, "村（社区）", "control_characters"),
    ]


def test_a_sheet_declaring_far_more_than_it_holds_is_refused(tmp_path: Path) -> None:
    import xlsxwriter

    from starter.register_files import RegisterFileError, read_table

    sparse = tmp_path / "sparse.xlsx"
    book = xlsxwriter.Workbook(str(sparse))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write(199_999, 99, "x")  # CV200000: twenty million cells declared, a few bytes written
    book.close()
    with pytest.raises(RegisterFileError) as refused:
        read_table(sparse)
    assert refused.value.code == "too_large" and "CV200000" in refused.value.detail
    with pytest.raises(RegisterFileError) as refused:
        read_table(without_dimension(sparse, tmp_path / "hidden.xlsx"))
    assert refused.value.code == "too_large" and "CV200000" in refused.value.detail


def test_a_table_read_beyond_the_row_or_column_caps_is_refused(tmp_path: Path) -> None:
    from starter.register_files import RegisterFileError, TableCaps, read_table

    long = tmp_path / "long.csv"
    household(long, 5)
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(HEADER + ["备注"] * 20) + "\n", encoding="utf-8")
    assert len(read_table(long, caps=TableCaps(rows=6))) == 6
    for path in (long, wide):
        with pytest.raises(RegisterFileError) as refused:
            read_table(path, caps=TableCaps(rows=5, columns=16))
        assert refused.value.code == "too_large" and path.name in refused.value.detail


async def test_a_file_that_runs_its_reader_out_of_memory_is_refused_and_the_server_stays(
    api: InProcessApi, campaign: str, tmp_path: Path
) -> None:
    """A file within every cap whose rows take more memory than the reader may have: the process
    that reads it meets its limit and ends, the server answers one line, the next import works."""
    wide = tmp_path / "wide.csv"
    with wide.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER + [f"备注{i}" for i in range(40)])
        for n in range(120_000):
            writer.writerow([f"儿童{n}", "x", "梅子垭镇", "某村"] + [f"{n}-{i}" for i in range(40)])
    async with served_with(api, register_memory_bytes=700 * 1024**2) as limited:
        answer = await send(limited, campaign, wide.read_bytes(), name="wide.csv")
        assert answer.status_code == 400 and answer.json()["exit"] == 2, answer.text
        assert "wide.csv" in answer.json()["message"] and "memory" in answer.json()["message"], answer.text
        assert (await limited.call(ADMIN, "GET", "/api/whoami")).status_code == 200
        after = await send(limited, campaign, household(tmp_path / "after.csv", 3), name="after.csv")
        assert after.status_code == 200, after.text


async def test_formula_cells_are_read_as_their_values_and_bad_ones_rejected(
    api: InProcessApi, campaign: str, tmp_path: Path
) -> None:
    import xlsxwriter

    path = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER)
    sheet.write_row(1, 0, ["张三", make_id_number("500243", dt.date(2014, 8, 1), 401), "梅子垭镇", "某村"])
    sheet.write_formula(2, 0, '=HYPERLINK("http://evil.example","点我")', None, "点我")
    sheet.write_row(2, 1, [make_id_number("500243", dt.date(2014, 8, 2), 402), "梅子垭镇", "某村"])
    sheet.write_formula(3, 0, "=1+1", None, 2)
    sheet.write_formula(3, 1, '=CONCAT("5002","43")', None, "500243")
    sheet.write_row(3, 2, ["梅子垭镇", "某村"])
    book.close()
    done = (await send(api, campaign, path.read_bytes(), name="formulas.xlsx")).json()
    assert done["rows"] == 3 and done["valid"] == 2
    assert [(r["row"], r["reason"]) for r in done["rejected"]] == [(4, "length")]


def test_control_characters_are_found_among_text_numbers_and_dates_alike() -> None:
    """One search over every cell where all are text; column by column where a number or a date
    is among them (a spreadsheet's 序号); a CR LF a spreadsheet wrote is a line break either way."""
    from starter.register_files import _controlled_cells

    headers = ["姓名", "序号", "村（社区）"]
    assert _controlled_cells([["王明", "1", "某村"], ["李四", "2", "某村\r\n三组"]], headers) == {}
    assert _controlled_cells([["王明", 1.0, "某村"], ["李四", dt.date(2014, 1, 1), "某村\r\n三组"]], headers) == {}
    assert _controlled_cells([["王明", "1", "某村"], ["李\x1b四", "2", "某村"]], headers) == {1: "姓名"}
    mixed = [["王明", 1.0, "某\x07村"], ["李\x1b四", 2.0, "某村"]]
    assert _controlled_cells(mixed, headers) == {0: "村（社区）", 1: "姓名"}
