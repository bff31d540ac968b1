"""`reporting` (一月一报告: which schools reported a month) and `recheck` (一季度一复核, or a
term-start visit, with the pupils found wrong)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.case_commands import AsOption, JsonOption, invocation
from cli.errors import bad_input
from cli.output import Col, echo, print_json, print_table
from cli.session import signed_server
from domain.beijing import shown
from domain.i18n import _
from domain.labels import choice_help, label
from domain.messages import t
from domain.parsing import parse_word

MAX_PUPIL_FILE = 1024 * 1024
_ID_HEADERS = ("身份证号", "身份证号码", "公民身份号码", "id_number")
_NAME_HEADERS = ("姓名", "学生姓名", "name")
_NOTE_HEADERS = ("说明", "问题", "备注", "note")


MonthOption = Annotated[str | None, typer.Option("--month", metavar="YYYY-MM", help=_("月份（默认：本月）"))]
TownshipOption = Annotated[str | None, typer.Option("--township", help=_("只看一个乡镇（街道）"))]
CampaignOption = Annotated[str | None, typer.Option("--campaign", help=_("排查活动（默认：当前活动）"))]


def reporting(
    typer_ctx: typer.Context,
    month: MonthOption = None,
    township: TownshipOption = None,
    campaign: CampaignOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """一月一报告：本人范围内每所学校当月是否报送在校生名单、何时、何人、行数、立案数，及本季度复核。"""
    query = {"month": month, "township": township, "campaign": campaign}
    grid = signed_server(invocation(typer_ctx, actor)).request("GET", "/api/reporting", query=query)
    if as_json:
        print_json(grid)
        return
    due = shown(grid["due"]) if grid["due"] else "—"
    echo(t("reporting_title", month=grid["month"], campaign=grid["campaign"], due=due))
    columns = (
        Col(_("学校"), keep=True),
        Col(_("乡镇"), keep=True),
        Col(_("报送")),
        Col(_("报送时间")),
        Col(_("行数")),
        Col(_("立案")),
        Col(_("复核")),
        Col(_("报送人"), wide=True),
    )
    print_table(columns, [_row(school) for school in grid["schools"]])
    reported = sum(1 for s in grid["schools"] if s["reported"])
    echo(
        t("reporting_summary", schools=len(grid["schools"]), reported=reported, missing=len(grid["schools"]) - reported)
    )


def _row(school: dict[str, Any]) -> tuple[object, ...]:
    late = _("逾期未报") if school["late"] else _("未报送")
    state = _("已报送") if school["reported"] else late
    at = shown(school["at"])[5:16] if school["at"] else "—"
    checked = shown(school["rechecked"])[5:10] if school["rechecked"] else "—"
    rows = "—" if school["rows"] is None else school["rows"]
    return (school["school"], school["township"], state, at, rows, school["suspects"], checked, school["by"] or "")


def recheck(
    typer_ctx: typer.Context,
    school: Annotated[str, typer.Option("--school", help=_("复核的学校"))],
    sampled: Annotated[int, typer.Option("--sampled", help=_("抽查学生人数"))],
    kind: Annotated[
        str | None, typer.Option("--kind", help=choice_help(_("复核类别（默认季度复核）"), "check_kind"))
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", help=_("问题学生名单 csv（身份证号、姓名、说明），每人立一案，原因 recheck")),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help=_("复核情况"))] = None,
    campaign: CampaignOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """记录县级对一所学校的复核（县级人员）：何人、何时、抽查人数；名单中每名问题学生立一案。"""
    pupils = _pupils(file) if file is not None else []
    body = {
        "school": school,
        "kind": parse_word("check_kind", kind, "--kind") or "quarterly",
        "sampled": sampled,
        "discrepancies": pupils,
        "note": note,
        "campaign": campaign,
    }
    result = signed_server(invocation(typer_ctx, actor)).request("POST", "/api/rechecks", body=body)
    if as_json:
        print_json(result)
        return
    kind_label = label("check_kind", result["kind"])
    echo(
        t(
            "recheck_done",
            school=result["school"],
            kind=kind_label,
            period=result["period"],
            sampled=result["sampled"],
            found=result["discrepancies"],
        )
    )
    if result["opened"]:
        echo(t("recheck_opened", cases="、".join(result["opened"])))
    if result["already_open"]:
        echo(t("recheck_already_open", cases="、".join(result["already_open"])))


def _pupils(path: Path) -> list[dict[str, str | None]]:
    """The pupils of a csv (UTF-8 or GB18030) with a header row naming 身份证号 and 姓名."""
    if not path.is_file():
        raise bad_input(t("file_missing", path=path))
    raw = path.read_bytes()[: MAX_PUPIL_FILE + 1]
    if len(raw) > MAX_PUPIL_FILE:
        raise bad_input(t("register_unreadable", file=path.name, detail="> 1 MB"))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise bad_input(t("register_unreadable", file=path.name, detail="UTF-8 / GB18030")) from None
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        return []
    header = ["".join(cell.split()) for cell in rows[0]]
    at_id = next((header.index(h) for h in _ID_HEADERS if h in header), None)
    at_name = next((header.index(h) for h in _NAME_HEADERS if h in header), None)
    at_note = next((header.index(h) for h in _NOTE_HEADERS if h in header), None)
    if at_id is None or at_name is None:
        raise bad_input(t("register_missing_columns", file=path.name, detail="身份证号、姓名"))

    def cell(row: list[str], at: int | None) -> str | None:
        return row[at].strip() if at is not None and at < len(row) and row[at].strip() else None

    return [
        {"id_number": cell(r, at_id) or "", "name": cell(r, at_name) or "", "note": cell(r, at_note)} for r in rows[1:]
    ]


def sessions(
    typer_ctx: typer.Context,
    month: MonthOption = None,
    township: TownshipOption = None,
    campaign: CampaignOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """送教上门月报：本人范围内每个送教上门案件当月应送、已送次数和课时；月末不足即督办。"""
    query = {"month": month, "township": township, "campaign": campaign}
    report = signed_server(invocation(typer_ctx, actor)).request("GET", "/api/sessions", query=query)
    if as_json:
        print_json(report)
        return
    rule = report["rule"]
    if rule:
        echo(t("sessions_rule", month=report["month"], per_month=rule["sessions_per_month"],
               hours=rule["hours_per_session"], source=rule["source"]))  # fmt: skip
    else:
        echo(t("sessions_no_rule", month=report["month"]))
    columns = (
        Col(_("案件编号"), keep=True),
        Col(_("乡镇"), keep=True),
        Col(_("应送")),
        Col(_("已送")),
        Col(_("课时")),
        Col(_("情况")),
    )
    rows = [
        (c["case_no"], c["township"], c["required"], c["held"], f"{c['hours']:g}", _("不足") if c["short"] else "")
        for c in report["cases"]
    ]
    print_table(columns, rows)
