"""`baoxue report`: the 清零 figures for the reader's scope, as a table, JSON or an Excel workbook
(docs/cli.md, "Reports")."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.case_commands import AsOption, invocation
from cli.errors import bad_input
from cli.output import Col, echo, print_fields, print_json, print_notices, print_table
from cli.session import signed_server
from domain.beijing import shown
from domain.i18n import _, translate
from domain.labels import choice_help, label
from domain.ledger_columns import BOOK_SHEETS
from domain.messages import t
from domain.parsing import parse_date, parse_word

FORMATS = ("table", "json", "xlsx")


def report(
    typer_ctx: typer.Context,
    campaign: Annotated[str | None, typer.Option("--campaign", help=_("排查活动（默认：当前活动）"))] = None,
    group: Annotated[int | None, typer.Option("--group", min=1, help=_("组别"))] = None,
    township: Annotated[str | None, typer.Option("--township", help=_("乡镇（街道）"))] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=_("按某日（北京时间）日终的情况 YYYY-MM-DD"))] = None,
    output_format: Annotated[
        str, typer.Option("--format", show_default=False, help=_("输出格式：table|json|xlsx，默认为表格"))
    ] = "table",
    out: Annotated[Path | None, typer.Option("--out", help=_("xlsx 保存到哪里"))] = None,
    actor: AsOption = None,
) -> None:
    """清零进度报表：各乡镇、各组和全县的数字（可按某日重建），或导出 Excel。"""
    if output_format not in FORMATS:
        raise bad_input(t("bad_value", option="--format", value=f"{output_format} ({'|'.join(FORMATS)})"))
    day = parse_date(as_of, "--as-of")
    if output_format == "xlsx" and out is None:
        raise bad_input(t("bad_value", option="--out", value="''"))
    query = {"campaign": campaign, "group": group, "township": township, "as_of": day.isoformat() if day else None}
    server = signed_server(invocation(typer_ctx, actor))
    if output_format == "xlsx":
        assert out is not None
        built = server.request("GET", "/api/report/xlsx", query=query)
        data = base64.b64decode(built["xlsx_base64"])
        out.expanduser().write_bytes(data)
        echo(t("report_saved", path=str(out), size=len(data), as_of=shown(built["as_of"])))
        return
    built = server.request("GET", "/api/report", query=query)
    if output_format == "json":
        print_json(built)
        return
    print_notices(server.notices)
    echo(
        t(
            "report_heading",
            campaign=built["campaign"],
            as_of=shown(built["as_of"]),
            deadline=shown(built["clearance_deadline"])[:10],
            days=built["days_left"],
        )
    )
    columns = (
        Col(_("组")),
        Col(_("乡镇（街道）"), keep=True),
        Col(_("疑似")),
        Col(_("核实")),
        Col(_("清零")),
        Col(_("排除")),
        Col(_("未清零")),
        Col(_("逾期")),
        Col(_("升级")),
        Col(_("错过")),
    )
    rows = [*built["townships"], {"group": "", "township": _("合计"), **built["total"]}]
    print_table(
        columns,
        [
            (
                row["group"],
                row["township"],
                row["suspected"],
                row["verified"],
                row["returned"] + row["arranged"] + row["aid_delivered"],
                row["excluded"],
                row["open"],
                row["overdue"],
                row["escalated"],
                row["missed_deadline"],
            )
            for row in rows
        ],
    )


BOOKS = ("children", "suspected", "dropouts", "xueji")


def ledger(
    typer_ctx: typer.Context,
    book: Annotated[str, typer.Argument(metavar="BOOK", help=choice_help(_("台账"), "book"))],
    campaign: Annotated[str | None, typer.Option("--campaign", help=_("排查活动（默认：当前活动）"))] = None,
    township: Annotated[str | None, typer.Option("--township", help=_("乡镇（街道）"))] = None,
    school: Annotated[str | None, typer.Option("--school", help=_("学校（名称中含此文字）"))] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help=_("按某日（北京时间）日终的情况 YYYY-MM-DD"))] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help=_("保存为 Excel 文件"))] = None,
    reveal: Annotated[
        bool, typer.Option("--reveal", help=_("显示完整姓名和身份证号（限有权查看者，须 --purpose，记入审计）"))
    ] = False,
    purpose: Annotated[str | None, typer.Option("--purpose", help=_("完整查看的用途"))] = None,
    wide: Annotated[bool, typer.Option("--wide", help=_("每人一段，列出台账的全部列（按80列折行）"))] = False,
    actor: AsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help=_("输出 JSON"))] = False,
) -> None:
    """三本台账 children|suspected|dropouts：适龄儿童、疑似辍学学生、辍学学生台账；身份证号默认遮蔽。

    xueji：学籍变动台账——每个已销号案件需在全国学籍系统办理的变动（恢复在读、转入、转出等）及办理情况。"""
    book = parse_word("book", book, "BOOK", BOOKS) or book
    day = parse_date(as_of, "--as-of")
    query = {
        "campaign": campaign,
        "township": township,
        "school": school,
        "as_of": day.isoformat() if day else None,
        "xlsx": xlsx is not None or None,
        "reveal": reveal or None,
        "purpose": purpose,
    }
    server = signed_server(invocation(typer_ctx, actor))
    built = server.request("GET", f"/api/ledgers/{book}", query=query)
    if xlsx is not None:
        data = base64.b64decode(built.pop("xlsx_base64"))
        xlsx.expanduser().write_bytes(data)
    if as_json:
        print_json(built)
        return
    print_notices(server.notices)
    if xlsx is not None:
        echo(t("ledger_written", book=label("book", book), rows=len(built["rows"]), path=str(xlsx)))
        return
    if wide:
        print_records(book, built)
        return
    key = "name_masked" if book == "children" else "case_no"
    print_table(
        (Col(_("乡镇（街道）"), keep=True), Col(_("编号或姓名")), Col(_("身份证号（已遮蔽）"))),
        [(row["township"] or "", row[key], row["id_masked"]) for row in built["rows"]],
    )


LABELLED_CELLS = {
    "kind": "kind",
    "stage": "stage",
    "case_stage": "stage",
    "outcome": "outcome",
    "case_outcome": "outcome",
    "reason": "reason",
    "attendance": "attendance",
    "placement": "placement",
    "exclude_reason": "exclude_reason",
    "priority_groups": "priority",
    "xueji_needed": "xueji",
    "xueji_status": "xueji_status",
    "status": "xueji_status",
}


def print_records(book: str, built: dict[str, Any]) -> None:
    """`ledger … --wide`: each line of the book as a block of label and value, every column the
    campaign's template names, wrapped at the terminal's width and never cut."""
    known = dict(BOOK_SHEETS[book][1])
    keys = [key for key in built.get("columns") or known if key in known]
    for n, row in enumerate(built["rows"], start=1):
        echo(f"── {n} ──")
        print_fields([(translate(known[key]), _cell_text(key, row.get(key))) for key in keys])
    echo(t("count_rows", n=len(built["rows"])))


def _cell_text(key: str, value: Any) -> str:
    if value is None or value == [] or value == "":
        return ""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return "；".join(_cell_text(key, item) for item in value)
    if key in LABELLED_CELLS:
        return label(LABELLED_CELLS[key], str(value))
    if key.endswith("_at"):
        return shown(str(value))
    return str(value)
