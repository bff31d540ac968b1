"""The report as an Excel workbook for the line (xlsxwriter): a 汇总 sheet per township in the
order of the notice's table, one sheet per group, 问责, and 台账 — Chinese headers, the header row
frozen, widths fitted, every text cell made safe (domain/exports.py)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from domain.beijing import shown
from domain.exports import safe_cell
from domain.i18n import N_, translate
from domain.labels import label

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
}


def _cell(key: str, value: Any) -> Any:
    if isinstance(value, bool):
        return translate(N_("是")) if value else ""
    if isinstance(value, list):
        return "；".join(str(item) for item in value)
    if key in LABELLED and isinstance(value, str):
        return label(LABELLED[key], value)
    if isinstance(value, str) and key.endswith("_at"):
        return shown(value)
    return safe_cell(value)


def write_sheet(book: Any, name: str, columns: Sequence[tuple[str, str]], rows: Sequence[dict[str, Any]]) -> None:
    sheet = book.add_worksheet(name)
    bold = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    headers = [translate(title) for _key, title in columns]
    widths = [max(4, sum(2 if ord(ch) > 0x2E80 else 1 for ch in h)) for h in headers]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, bold)
    for row_no, row in enumerate(rows, start=1):
        for col, (key, _title) in enumerate(columns):
            value = _cell(key, row.get(key))
            if value is None or value == "":
                continue
            if isinstance(value, int | float):
                sheet.write_number(row_no, col, value)
            else:
                text = str(value)
                sheet.write_string(row_no, col, text)
                widths[col] = max(widths[col], sum(2 if ord(ch) > 0x2E80 else 1 for ch in text))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, min(width + 2, 60))
    sheet.freeze_panes(1, 0)


def report_workbook(report: dict[str, Any]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    total = {"group": "", "township": translate(N_("合计")), **report["total"]}
    write_sheet(book, translate(N_("汇总")), SUMMARY_COLUMNS, [*report["townships"], total])
    for group in report["groups"]:
        rows = [row for row in report["townships"] if row["group"] == group["group"]]
        subtotal = {"group": group["group"], "township": translate(N_("小计")), **group}
        write_sheet(book, translate(N_("第{n}组")).format(n=group["group"]), SUMMARY_COLUMNS, [*rows, subtotal])
    write_sheet(book, translate(N_("问责")), ACCOUNTABILITY_COLUMNS, report["accountability"])
    write_sheet(book, translate(N_("台账")), LEDGER_COLUMNS, report["cases"])
    write_sheet(book, translate(N_("防返贫监测")), LEDGER_COLUMNS, report.get("poverty_risk", []))
    supervision = report.get("supervision") or {}
    write_sheet(book, translate(N_("督查")), INSPECTION_COLUMNS, supervision.get("inspections", []))
    write_sheet(book, translate(N_("整改通知")), ORDER_COLUMNS, supervision.get("orders", []))
    write_sheet(book, translate(N_("问责记录")), DECISION_COLUMNS, supervision.get("accountability", []))
    book.close()
    return buffer.getvalue()


CHILDREN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("township", N_("乡镇（街道）")),
    ("name_masked", N_("姓名（已遮蔽）")),
    ("id_masked", N_("身份证号（已遮蔽）")),
    ("age", N_("年龄")),
    ("enrolled", N_("有学籍")),
    ("school", N_("学校")),
    ("attendance", N_("在校状态")),
)
SUSPECTED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_no", N_("案件编号")),
    ("township", N_("乡镇（街道）")),
    ("id_masked", N_("身份证号（已遮蔽）")),
    ("reason", N_("疑似原因")),
    ("priority", N_("重点群体")),
    ("stage", N_("阶段")),
    ("opened_at", N_("立案时间")),
    ("outcome", N_("结果")),
    ("closed_at", N_("销号时间")),
    ("exclude_reason", N_("排除原因")),
    ("transfers", N_("乡镇间转接")),
    ("transfer_pending_to", N_("转出待接收")),
    ("provisional", N_("临时身份")),
)
DROPOUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_no", N_("案件编号")),
    ("township", N_("乡镇（街道）")),
    ("id_masked", N_("身份证号（已遮蔽）")),
    ("causes", N_("辍学原因")),
    ("placement", N_("复学方案")),
    ("attempts", N_("劝返次数")),
    ("last_attempt_on", N_("最近劝返日期")),
    ("stage", N_("阶段")),
    ("outcome", N_("结果")),
    ("closed_at", N_("销号时间")),
    ("exclude_reason", N_("排除原因")),
    ("transfers", N_("乡镇间转接")),
    ("transfer_pending_to", N_("转出待接收")),
    ("provisional", N_("临时身份")),
)
BOOK_SHEETS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "children": (N_("适龄儿童台账"), CHILDREN_COLUMNS),
    "suspected": (N_("疑似辍学学生台账"), SUSPECTED_COLUMNS),
    "dropouts": (N_("辍学学生台账"), DROPOUT_COLUMNS),
}


REVEALED_COLUMNS: tuple[tuple[str, str], ...] = (("name", N_("姓名")), ("id_number", N_("身份证号")))


def book_workbook(book: str, rows: Sequence[dict[str, Any]]) -> bytes:
    """One of the three ledgers as a workbook of one sheet (the same safe cells as the report);
    with full name and ID number columns when any row was revealed."""
    import xlsxwriter

    title, columns = BOOK_SHEETS[book]
    if any("id_number" in row for row in rows):
        columns = (*columns[:1], *REVEALED_COLUMNS, *columns[1:])
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    write_sheet(workbook, translate(title), columns, rows)
    workbook.close()
    return buffer.getvalue()
