"""`absence`: a school officer reports one pupil absent (辍学学生快速发现与响应)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from cli.case_commands import AsOption, JsonOption, invocation, run_step, secret_value
from cli.errors import bad_input
from cli.output import echo, print_json
from cli.session import signed_server
from domain.beijing import china_today
from domain.i18n import _
from domain.messages import t
from domain.parsing import check_fields, parse_id_number


def absence(
    typer_ctx: typer.Context,
    days: Annotated[int | None, typer.Option("--days", help=_("连续缺勤天数"))] = None,
    back: Annotated[str | None, typer.Option("--back", metavar="CASE", help=_("学生已返校：本校报告的案件"))] = None,
    note: Annotated[str | None, typer.Option("--note", help=_("返校说明"))] = None,
    reason: Annotated[str | None, typer.Option("--reason", help=_("缺勤情况（原因、已联系家长等）"))] = None,
    id_number: Annotated[str, typer.Option("--id-number", help=_("18位身份证号；“-”从标准输入读取"))] = "-",
    name: Annotated[str, typer.Option("--name", help=_("学生姓名；“-”从标准输入读取"))] = "-",
    campaign: Annotated[str | None, typer.Option("--campaign", help=_("排查活动（默认：当前活动）"))] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """报告一名学生缺勤（学校专干）；满活动规定天数即刻立案，当天入户走访。"""
    inv = invocation(typer_ctx, actor)
    if back is not None:
        run_step(inv, back, "back", {"note": note, "on": china_today(dt.datetime.now(dt.UTC)).isoformat()}, as_json)
        return
    if days is None:
        raise bad_input(t("absence_days_or_back"))
    normalised = parse_id_number(secret_value(id_number, "身份证号", hide=True))
    pupil = secret_value(name, "姓名", hide=False).strip()
    if not pupil:
        raise bad_input(t("bad_value", option="--name", value="''"))
    check_fields({"name": pupil, "reason": reason})
    body = {"id_number": normalised, "name": pupil, "days": days, "reason": reason, "campaign": campaign}
    result = signed_server(inv).request("POST", "/api/absences", body=body)
    if as_json:
        print_json({"opened": result["opened"], "case_no": result["case_no"]})
    elif result["opened"]:
        echo(t("absence_opened", case_no=result["case_no"]))
    elif result["case_no"]:
        echo(t("absence_exists", case_no=result["case_no"]))
    else:
        echo(t("absence_recorded", days=days, threshold=result["threshold"]))
