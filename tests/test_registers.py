"""Reading registers as offices keep them: headers, encodings and every row rule."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from config import DEFAULT_ROSTER_FILE
from config.roster_file import load_roster
from domain.id_number import make_id_number
from domain.registers import HEADER_ALIASES, Column, RegisterKind
from starter.register_files import RegisterFileError, parse_register, read_table, valid_row_records

ROSTER = load_roster(DEFAULT_ROSTER_FILE)
GOOD = make_id_number("500243", dt.date(2013, 4, 5), 12)
WITH_X = next(n for s in range(1000) if (n := make_id_number("500243", dt.date(2012, 7, 7), s)).endswith("X"))


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    workbook.close()
    return path


class Parsed:
    def __init__(self, path: Path, kind: RegisterKind) -> None:
        self.register = parse_register(read_table(path), kind, ROSTER)
        self.rows = valid_row_records(self.register)

    def __getattr__(self, name: str):
        return getattr(self.register, name)


def parse(path: Path, kind: RegisterKind = RegisterKind.household) -> Parsed:
    return Parsed(path, kind)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "h.csv", [["姓名", "身份证号", "乡镇（街道）"], ["王小明", GOOD, "梅子垭镇"]], encoding)
    parsed = parse(path)
    assert [(r.id_number, r.township, r.cells["姓名"]) for r in parsed.rows] == [(GOOD, "梅子垭镇", "王小明")]


@pytest.mark.parametrize(
    ("column", "alias"),
    [(column, alias) for column in (Column.name, Column.id_number, Column.township) for alias in HEADER_ALIASES[column]]
    + [(Column.township, "乡镇（街道）"), (Column.township, " 乡镇 (街道) ")],
)
def test_every_header_variant(tmp_path: Path, column: Column, alias: str) -> None:
    headers = {Column.name: "姓名", Column.id_number: "身份证号", Column.township: "乡镇（街道）"}
    headers[column] = alias
    path = write_csv(
        tmp_path / "h.csv",
        [
            ["序号", headers[Column.township], "备注", headers[Column.name], headers[Column.id_number]],
            ["1", "梅子垭", "", "王小明", GOOD],
        ],
    )
    assert len(parse(path).rows) == 1


def test_xlsx_with_a_title_row_and_columns_anywhere(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "h.xlsx",
        [
            ["彭水县适龄儿童户籍登记表"],
            [],
            ["备注", "村（社区）", "乡镇(街道)", "序号", "公民身份号码", "姓名"],
            ["", "某村", "靛水", "1", GOOD, "王小明"],
            [],
            ["转学", "", "汉葭街道", "2", WITH_X.lower(), "李四"],
        ],
    )
    parsed = parse(path)
    assert parsed.header_row_no == 3
    assert [(r.row_no, r.id_number, r.township) for r in parsed.rows] == [
        (4, GOOD, "靛水街道"),
        (6, WITH_X, "汉葭街道"),
    ]
    assert parsed.rows[1].cells["备注"] == "转学"
    assert parsed.blank_rows == 1


def test_every_row_rule(tmp_path: Path) -> None:
    full_width = GOOD.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    bad_check = GOOD[:-1] + ("1" if GOOD[-1] != "1" else "2")
    path = write_csv(
        tmp_path / "h.csv",
        [
            ["姓名", "身份证号", "乡镇（街道）"],
            ["全角", full_width, "梅子垭镇"],  # 2 ok
            ["空格", f" {GOOD[:6]} {GOOD[6:]} ", " 梅子垭 "],  # 3 ok
            ["小写x", WITH_X.lower(), "鞍子"],  # 4 ok
            ["校验", bad_check, "梅子垭镇"],  # 5 check digit
            ["日期", "500243201302300121", "梅子垭镇"],  # 6 birth date
            ["短", GOOD[:17], "梅子垭镇"],  # 7 length
            ["外乡", GOOD, "海底镇"],  # 8 unknown township
            ["", GOOD, "梅子垭镇"],  # 9 missing name
            ["无号", "", "梅子垭镇"],  # 10 missing ID
        ],
    )
    parsed = parse(path)
    assert [r.row_no for r in parsed.rows] == [2, 3, 4]
    assert parsed.rejected_rows == 6
    reasons = {(r.row_no, r.column, r.reason) for r in parsed.rejections}
    assert reasons == {
        (5, "身份证号", "check_digit"),
        (6, "身份证号", "birth_date"),
        (7, "身份证号", "length"),
        (8, "乡镇（街道）", "unknown_township"),
        (9, "姓名", "missing"),
        (10, "身份证号", "missing"),
    }
    assert all(GOOD not in r.value for r in parsed.rejections)


def test_a_shifted_column_carries_no_id_number_into_the_rejects(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "h.csv",
        [["姓名", "身份证号", "乡镇（街道）"], ["错位", "", GOOD], ["公式", GOOD, '=HYPERLINK("x")']],
    )
    parsed = parse(path)
    values = [r.value for r in parsed.rejections]
    assert all(GOOD not in value for value in values), values
    assert GOOD[:6] + "*" * 10 + GOOD[-2:] in values


def test_the_rejects_file_neutralises_formulas(tmp_path: Path) -> None:
    from domain.exports import safe_cell
    from starter.discovery_service import write_rejects

    parsed = parse(write_csv(tmp_path / "h.csv", [["姓名", "身份证号", "乡镇（街道）"], ["公式", GOOD, "=1+1"]]))
    write_rejects(tmp_path / "r.csv", parsed.register)
    rows = list(csv.reader((tmp_path / "r.csv").open(encoding="utf-8-sig")))
    assert rows[1][-1] == "'=1+1"
    assert [safe_cell(v) for v in ("=A1", "+1", "-1", "@x", "普通", 12)] == ["'=A1", "'+1", "'-1", "'@x", "普通", 12]


def test_missing_required_column_says_which(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", [["姓名", "身份证号", "村"], ["王小明", GOOD, "某村"]])
    with pytest.raises(RegisterFileError) as raised:
        parse(path)
    assert raised.value.code == "missing_columns" and "乡镇（街道）" in raised.value.detail


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"this is not a spreadsheet")
    with pytest.raises(RegisterFileError):
        read_table(path)
    with pytest.raises(RegisterFileError):
        read_table(tmp_path / "notes.pdf")


def test_register_specific_columns(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "d.csv",
        [["姓名", "身份证号", "乡镇", "残疾类别", "安置方式"], ["王小明", GOOD, "梅子垭", "视力", ""]],
    )
    parsed = parse(path, RegisterKind.disability)
    assert len(parsed.rows) == 1 and "安置方式" not in parsed.rows[0].cells
    assert parsed.rows[0].cells["残疾类别"] == "视力"
    enrollment = write_csv(
        tmp_path / "e.csv", [["姓名", "身份证号码", "学校", "年级"], ["王小明", GOOD, "外县某校", "三"]]
    )
    assert len(parse(enrollment, RegisterKind.enrollment).rows) == 1
    aid = write_csv(tmp_path / "a.csv", [["身份证号", "资助项目", "金额"], [GOOD, "国家助学金", "1000"]])
    assert len(parse(aid, RegisterKind.aid).rows) == 1


def test_batch_validation_agrees_with_the_reference_rules() -> None:
    import random

    from domain.id_number import IdNumberError, age_on, normalise_id_number
    from starter.id_batch import ages_on, normalise_ids

    rng = random.Random(3)
    full_width = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")
    values = []
    for _ in range(5000):
        n = make_id_number(
            "500243", dt.date(1990, 1, 1) + dt.timedelta(days=rng.randint(0, 12000)), rng.randint(0, 999)
        )
        mess = rng.choice(
            [
                lambda s: s,
                lambda s: s.lower(),
                lambda s: s.translate(full_width),
                lambda s: f" {s[:6]} {s[6:]}\u3000",
                lambda s: s[:17] + ("0" if s[-1] != "0" else "1"),
                lambda s: s[:10] + "13" + s[12:],
                lambda s: s[:12] + "31" + s[14:],
                lambda s: s[:6] + "1899" + s[10:],
                lambda s: s[:17],
                lambda s: s + "1",
                lambda s: s[:3] + "A" + s[4:],
                lambda s: s[:17] + "Y",
                lambda s: "",
                lambda s: "   ",
            ]
        )
        values.append(mess(n))

    def reference(value: str) -> tuple[str | None, str | None]:
        if not value.strip():
            return None, "missing"
        try:
            return normalise_id_number(value), None
        except IdNumberError as error:
            return None, error.code

    ids, errors = normalise_ids(values)
    assert list(zip(ids, errors, strict=True)) == [reference(v) for v in values]
    valid = [i for i in ids if i]
    on = dt.date(2026, 9, 1)
    assert ages_on(valid, on.year, on.month, on.day) == [age_on(i, on) for i in valid]
