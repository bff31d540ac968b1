"""`case xueji`: the 学籍 change made on the national register for a closed case (docs/cli.md,
"学籍 follow-through")."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.case_commands import AsOption, CaseArg, JsonOption, _case_path, invocation
from cli.errors import bad_input
from cli.output import echo, print_json
from cli.session import signed_server
from domain.i18n import _
from domain.labels import choice_help, choices_of, code_of, label
from domain.messages import t
from domain.parsing import check_fields, parse_date


def _action(value: str) -> str:
    """An action by its code or its words (恢复在读, 转入, …)."""
    code = code_of("xueji", value)
    if code is None:
        raise bad_input(t("bad_value", option="--action", value=f"{value} ({choices_of('xueji')})"))
    return code


def xueji(
    typer_ctx: typer.Context,
    case_ref: CaseArg,
    action: Annotated[
        str,
        typer.Option(
            "--action",
            help=choice_help(_("学籍变动"), "xueji"),
        ),
    ],
    done_by: Annotated[str, typer.Option("--done-by", help=_("在全国学籍系统办理的经办人"))],
    on: Annotated[str | None, typer.Option("--on", help=_("办理日期 YYYY-MM-DD（默认今天）"))] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """记录已销号案件在全国学籍系统办理的变动（恢复在读、转入、休学登记、送教上门纳入学籍、转出、学籍注销）及经办人。

    待办和已办的变动见 baoxue ledger xueji。"""
    code = _action(action)
    day = parse_date(on, "--on")
    check_fields({"done_by": done_by})
    body = {"action": code, "done_by": done_by.strip(), "done_on": day.isoformat() if day else None}
    result = signed_server(invocation(typer_ctx, actor)).request("POST", _case_path(case_ref) + "/xueji", body=body)
    if as_json:
        print_json(result)
        return
    echo(
        t(
            "xueji_recorded",
            case_no=result["case_no"],
            action=label("xueji", result["action"]),
            done_by=result["done_by"],
            done_on=result["done_on"],
        )
    )
