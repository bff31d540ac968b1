"""The report as an Excel workbook for the line (xlsxwriter): a 汇总 sheet per township in the
order of the notice's table, one sheet per group, 问责, and 台账 — Chinese headers, the header row
frozen, widths fitted, every text cell made safe (domain/exports.py)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from domain.beijing import BEIJING, beijing_iso, shown
from domain.exports import safe_cell
from domain.i18n import N_, translate
from domain.labels import label
from domain.ledger_columns import BOOK_SHEETS, book_columns

SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("group", N_("组别")),
    ("township", N_("乡镇（街道）")),
    ("suspected", N_("疑似")),
    ("verified", N_("已核实")),
    ("returned", N_("已返校")),
    ("arranged", N_("已安置")),
    ("aid_delivered", N_("已资助")),
    ("excluded", N_("已排除")),
    ("open", N_("未清零")),
    ("overdue", N_("逾期")),
    ("escalated", N_("已上报升级")),
    ("missed_deadline", N_("错过期限")),
    ("relapsed", N_("再次立案")),
    ("stalled", N_("停滞")),
    ("priority", N_("重点群体")),
    ("whereabouts_unknown", N_("下落不明")),
    ("transferred_out", N_("转出")),
    ("transferred_in", N_("转入")),
    ("transfer_pending_out", N_("转出待接收")),
    ("transfer_pending_in", N_("待接收转入")),
    ("government_line", N_("双线责任人（乡镇政府）")),
    ("provisional", N_("临时身份")),
    ("merged", N_("已合并")),
    ("exclusion_check_pending", N_("排除待组长抽查")),
)
ACCOUNTABILITY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("person", N_("责任人")),
    ("level0", N_("提醒（0级）")),
    ("level1", N_("督办（1级）")),
    ("level2", N_("督办（2级）")),
    ("answered", N_("已办理")),
    ("median_hours", N_("办理用时中位数（小时）")),
    ("waiting", N_("仍未办理")),
)
LEDGER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_no", N_("案件编号")),
    ("group", N_("组别")),
    ("township", N_("乡镇（街道）")),
    ("kind", N_("类别")),
    ("id_masked", N_("身份证号（已遮蔽）")),
    ("stage", N_("阶段")),
    ("outcome", N_("结果")),
    ("opened_at", N_("立案时间")),
    ("due_at", N_("本阶段期限")),
    ("closed_at", N_("销号时间")),
    ("escalation_level", N_("督办级别")),
    ("missed_deadline", N_("错过期限")),
    ("episode", N_("第几次立案")),
    ("priority", N_("重点群体")),
    ("assigned_officer", N_("办案人员")),
    ("exclude_reason", N_("排除原因")),
    ("transfers", N_("乡镇间转接")),
    ("transfer_pending_to", N_("转出待接收")),
    ("provisional", N_("临时身份")),
)
COVERAGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("group", N_("组别")),
    ("township", N_("乡镇（街道）")),
    ("villages_visited", N_("走访村（社区）数")),
    ("households_visited", N_("走访户数")),
    ("villages", N_("走访的村（社区）")),
)
INSPECTION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", N_("编号")),
    ("group", N_("组别")),
    ("township", N_("乡镇（街道）")),
    ("inspected_on", N_("督查日期")),
    ("villages", N_("走访的村（社区）")),
    ("schools", N_("走访的学校")),
    ("sampled", N_("抽查的案件")),
    ("finding", N_("发现的问题")),
    ("recorded_by", N_("记录人")),
)
ORDER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", N_("编号")),
    ("township", N_("乡镇（街道）")),
    ("inspection", N_("依据的督查")),
    ("text", N_("整改要求")),
    ("issued_by", N_("下达人")),
    ("issued_at", N_("下达时间")),
    ("due_at", N_("答复期限")),
    ("answered_at", N_("答复时间")),
    ("answer", N_("整改落实情况")),
    ("overdue", N_("逾期未答复")),
    ("escalation_level", N_("督办级别")),
)
DECISION_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", N_("编号")),
    ("unit", N_("单位")),
    ("person", N_("责任人")),
    ("ground", N_("问责事由")),
    ("cases", N_("涉及案件")),
    ("reminders", N_("关联督办提醒")),
    ("orders", N_("关联整改通知")),
    ("decision", N_("问责决定")),
    ("decided_by", N_("记录人")),
    ("decided_at", N_("记录时间")),
)
LABELLED = {
    "kind": "kind",
    "stage": "stage",
    "outcome": "outcome",
    "reason": "reason",
    "attendance": "attendance",
    "placement": "placement",
    "exclude_reason": "exclude_reason",
    "ground": "ground",
    "xueji_needed": "xueji",
    "status": "xueji_status",
    "xueji_status": "xueji_status",
    "case_stage": "stage",
    "case_outcome": "outcome",
    "priority_groups": "priority",
}


DATE_KEYS = frozenset({"inspected_on", "last_attempt_on", "on", "target_date", "done_on", "birth_date", "returned_on"})
"""Columns holding a day (ISO date): written as dates. Columns ending `_at` hold a moment."""


@dataclass(frozen=True)
class SheetHead:
    """What every sheet says above its table, so it can go up the line as it is: its title, the
    campaign, the moment its figures stand at (截至), the unit reporting (填报单位), when it was made."""

    title: str
    campaign: str
    as_of: str | None
    unit: str
    made_at: dt.datetime


def _cell(key: str, value: Any) -> Any:
    if isinstance(value, bool):
        return translate(N_("是")) if value else ""
    if isinstance(value, list):
        return "；".join(label(LABELLED[key], str(item)) if key in LABELLED else str(item) for item in value)
    if key in LABELLED and isinstance(value, str):
        return label(LABELLED[key], value)
    if isinstance(value, str) and key.endswith("_at"):
        moment = _moment(value)
        return moment if moment is not None else shown(value)
    if isinstance(value, str) and key in DATE_KEYS:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return safe_cell(value)
    return safe_cell(value)


def _moment(value: str) -> dt.datetime | None:
    """A time as Beijing wall-clock time (Excel has no zones; the sheet's head says +08:00)."""
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(BEIJING).replace(tzinfo=None) if moment.tzinfo else moment


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def write_sheet(
    book: Any, name: str, columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]], head: SheetHead
) -> None:
    """A title row, a row naming the campaign, 截至, 填报单位 and 制表时间, then the table: a 序号
    column first, its header frozen and repeated on every printed page, landscape and fitted to
    the page's width, times and days as Excel dates in a Chinese format."""
    sheet = book.add_worksheet(name)
    title = book.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    meta = book.add_format({"font_size": 10})
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    moment = book.add_format({"num_format": 'yyyy"年"m"月"d"日" hh:mm'})
    day = book.add_format({"num_format": 'yyyy"年"m"月"d"日"'})
    headers = [translate(N_("序号")), *(translate(text) for _key, text in columns)]
    last = len(headers) - 1
    sheet.merge_range(0, 0, 0, max(last, 1), head.title, title)
    stands = shown(head.as_of) if head.as_of else shown(beijing_iso(head.made_at))
    line = translate(N_("排查活动：{campaign}　截至：{as_of}　填报单位：{unit}　制表时间：{made_at}")).format(
        campaign=head.campaign, as_of=stands, unit=head.unit, made_at=shown(beijing_iso(head.made_at))
    )
    sheet.merge_range(1, 0, 1, max(last, 1), line, meta)
    widths = [max(4, _width(h)) for h in headers]
    for col, header in enumerate(headers):
        sheet.write_string(HEADER_ROW, col, header, bold)
    for n, row in enumerate(rows, start=1):
        row_no = HEADER_ROW + n
        sheet.write_number(row_no, 0, n)
        for col, (key, _title) in enumerate(columns, start=1):
            value = _cell(key, row.get(key))
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                sheet.write_datetime(row_no, col, value, moment)
                widths[col] = max(widths[col], 17)
            elif isinstance(value, dt.date):
                sheet.write_datetime(row_no, col, dt.datetime.combine(value, dt.time()), day)
                widths[col] = max(widths[col], 12)
            elif isinstance(value, int | float):
                sheet.write_number(row_no, col, value)
            else:
                text = str(value)
                sheet.write_string(row_no, col, text)
                widths[col] = max(widths[col], _width(text))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(width + 2, 60))
    sheet.freeze_panes(HEADER_ROW + 1, 0)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(HEADER_ROW)
    sheet.set_footer("&C&P / &N")


HEADER_ROW = 2
"""The table's header row (0-based): the title and the head line above it."""


def report_workbook(report: dict[str, Any]) -> bytes:
    """The report's sheets, each titled (控辍保学清零 …) and headed with the campaign, 截至, 填报单位
    and 制表时间."""
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    made_at = dt.datetime.now(dt.UTC)

    def head(title: str) -> SheetHead:
        return SheetHead(translate(title), report["campaign"], report.get("as_of"), report.get("unit", ""), made_at)

    total = {"group": "", "township": translate(N_("合计")), **report["total"]}
    summary_title = N_("控辍保学清零汇总表")
    write_sheet(book, translate(N_("汇总")), SUMMARY_COLUMNS, [*report["townships"], total], head(summary_title))
    for group in report["groups"]:
        rows = [row for row in report["townships"] if row["group"] == group["group"]]
        subtotal = {"group": group["group"], "township": translate(N_("小计")), **group}
        name = translate(N_("第{n}组")).format(n=group["group"])
        write_sheet(book, name, SUMMARY_COLUMNS, [*rows, subtotal], head(summary_title))
    supervision = report.get("supervision") or {}
    sheets: tuple[tuple[str, str, tuple[tuple[str, str], ...], list[dict[str, Any]]], ...] = (
        (N_("问责"), N_("督办与问责统计表"), ACCOUNTABILITY_COLUMNS, report["accountability"]),
        (N_("台账"), N_("控辍保学案件台账"), LEDGER_COLUMNS, report["cases"]),
        (N_("防返贫监测"), N_("防返贫监测学生台账"), LEDGER_COLUMNS, report.get("poverty_risk", [])),
        (N_("走访覆盖"), N_("入户走访覆盖情况表"), COVERAGE_COLUMNS, report.get("village_coverage", [])),
        (N_("督查"), N_("控辍保学督查记录表"), INSPECTION_COLUMNS, supervision.get("inspections", [])),
        (N_("整改通知"), N_("整改通知及落实情况表"), ORDER_COLUMNS, supervision.get("orders", [])),
        (N_("问责记录"), N_("控辍保学问责记录表"), DECISION_COLUMNS, supervision.get("accountability", [])),
    )
    for name, title, columns, rows in sheets:
        write_sheet(book, translate(name), columns, rows, head(title))
    book.close()
    return buffer.getvalue()


REVEALED_COLUMNS: tuple[tuple[str, str], ...] = (("name", N_("姓名")), ("id_number", N_("身份证号")))
REVEALED_CHILD_COLUMNS: tuple[tuple[str, str], ...] = (("guardian", N_("监护人")), ("phone", N_("联系电话")))


def book_workbook(built: dict[str, Any]) -> bytes:
    """One of the three ledgers (as `ledger_book` built it) as a workbook of one sheet, headed as
    the report's are; with full name and ID number columns when any row was revealed."""
    import xlsxwriter

    book, rows = built["book"], built["rows"]
    title = BOOK_SHEETS[book][0]
    columns = book_columns(book, built.get("columns"))
    if any("id_number" in row for row in rows):
        extra = REVEALED_CHILD_COLUMNS if book == "children" else ()
        columns = (*columns[:1], *REVEALED_COLUMNS, *extra, *columns[1:])
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    head = SheetHead(
        translate(title), built["campaign"], built.get("as_of"), built.get("unit", ""), dt.datetime.now(dt.UTC)
    )
    write_sheet(workbook, translate(title), columns, rows, head)
    workbook.close()
    return buffer.getvalue()
