"""Workbooks a county files as they are (starter/report_xlsx.py), read back with openpyxl: a title
row, the campaign, 截至, 填报单位 and 制表时间, a 序号 column, every column named, the header frozen
and repeated on printed pages, landscape fitted to the width, times and days as Excel dates."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from openpyxl import load_workbook

from domain.i18n import translate
from domain.ledger_columns import BOOK_SHEETS
from domain.report import TALLY_KEYS
from starter.report_xlsx import LEDGER_COLUMNS, SUMMARY_COLUMNS, book_workbook, report_workbook

AS_OF = "2026-12-06T18:00:00+08:00"


def _case(n: int) -> dict[str, Any]:
    return {
        "case_no": f"2026-00000{n}", "group": 1, "township": "梅子垭镇", "kind": "dropout",
        "id_masked": "500243**********1X", "stage": "closed", "outcome": "returned",
        "opened_at": "2026-10-01T09:30:00+08:00", "due_at": None, "closed_at": "2026-11-02T16:05:00+08:00",
        "escalation_level": 1, "missed_deadline": False, "episode": 1, "priority": False,
        "assigned_officer": "李老师", "exclude_reason": None, "transfers": ["鞍子镇→梅子垭镇"],
        "transfer_pending_to": None, "provisional": False, "reason": "never_enrolled", "causes": "厌学",
        "placement": "original_school", "attempts": 2, "last_attempt_on": "2026-10-15", "verified": True,
    }  # fmt: skip


def _report() -> dict[str, Any]:
    counts = dict.fromkeys(TALLY_KEYS, 1)
    return {
        "campaign": "pengshui-2026",
        "unit": "彭水苗族土家族自治县",
        "as_of": AS_OF,
        "townships": [{"group": 1, "township": "梅子垭镇", **counts}],
        "groups": [{"group": 1, **counts}],
        "total": counts,
        "accountability": [],
        "cases": [_case(1), _case(2)],
        "poverty_risk": [],
        "supervision": {"inspections": [], "orders": [], "accountability": []},
    }


def test_the_report_workbook_goes_up_the_line_as_it_is() -> None:
    book = load_workbook(io.BytesIO(report_workbook(_report())))
    assert book.sheetnames[:2] == ["汇总", "第1组"] and {"台账", "督查", "整改通知", "问责记录"} <= set(book.sheetnames)
    for sheet in book.worksheets:
        assert sheet["A1"].value and "A1" in {str(r).split(":")[0] for r in sheet.merged_cells.ranges}
        head = sheet["A2"].value
        for part in (
            "排查活动：pengshui-2026",
            "截至：2026-12-06 18:00+08:00",
            "填报单位：彭水苗族土家族自治县",
            "制表时间：",
        ):
            assert part in head, (sheet.title, head)
        assert sheet["A3"].value == "序号" and sheet.freeze_panes == "A4"
        setup = sheet.page_setup  # one page wide (fitToWidth defaults to 1), as many pages tall as needed
        assert setup.orientation == "landscape" and setup.fitToWidth in (None, 1) and setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.print_title_rows == "$3:$3"
    summary = book["汇总"]
    assert [c.value for c in summary[3]][1:] == [translate(title) for _key, title in SUMMARY_COLUMNS]
    assert summary["A1"].value == "控辍保学清零汇总表"
    ledger = book["台账"]
    headers = [c.value for c in ledger[3]]
    assert headers[1:] == [translate(title) for _key, title in LEDGER_COLUMNS]
    assert [ledger.cell(row=r, column=1).value for r in (4, 5)] == [1, 2]
    opened = ledger.cell(row=4, column=headers.index("立案时间") + 1)
    assert opened.value == dt.datetime(2026, 10, 1, 9, 30) and opened.is_date and "年" in opened.number_format


def test_each_ledger_workbook_is_titled_numbered_and_dated() -> None:
    for book_name, (title, columns) in BOOK_SHEETS.items():
        built = {"book": book_name, "campaign": "pengshui-2026", "unit": "彭水苗族土家族自治县梅子垭镇", "as_of": AS_OF,
                 "rows": [_case(1)]}  # fmt: skip
        sheet = load_workbook(io.BytesIO(book_workbook(built))).active
        assert sheet["A1"].value == translate(title) and "填报单位：彭水苗族土家族自治县梅子垭镇" in sheet["A2"].value
        assert [c.value for c in sheet[3]] == ["序号", *(translate(t) for _k, t in columns)]
        assert sheet["A4"].value == 1 and sheet.print_title_rows == "$3:$3"
        dated = [c for c in sheet[4] if c.is_date]
        assert dated or book_name == "children"
        if book_name == "dropouts":
            attempt = sheet.cell(row=4, column=[c.value for c in sheet[3]].index("最近劝返日期") + 1)
            assert attempt.value == dt.datetime(2026, 10, 15) and "年" in attempt.number_format
