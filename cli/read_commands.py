"""`escalations`, `notifications`, `audit`: what went up the chain, whether it arrived, who looked."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.case_commands import AsOption, JsonOption, WideOption, invocation
from cli.output import Col, echo, print_json, print_table
from cli.session import signed_server
from domain.beijing import shown
from domain.i18n import _
from domain.labels import choice_help, label
from domain.messages import t
from domain.parsing import parse_since, parse_word

SinceOption = Annotated[str | None, typer.Option("--since", help=_("自该日起 YYYY-MM-DD（北京时间）"))]


def escalations(
    typer_ctx: typer.Context,
    level: Annotated[int | None, typer.Option("--level", min=0, max=2, help=_("督办级别 0|1|2"))] = None,
    township: Annotated[str | None, typer.Option("--township", help=_("乡镇（街道）"))] = None,
    group: Annotated[int | None, typer.Option("--group", min=1, help=_("组别"))] = None,
    since: SinceOption = None,
    failed: Annotated[
        bool, typer.Option("--failed", help=_("只列发送失败、仍在重试的通知（系统管理员和县级看全部）"))
    ] = False,
    wide: WideOption = False,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """本人权限范围内的每一次督办：案件、乡镇、阶段、级别、接收人、时间、是否送达。"""
    if failed:
        print_failed(signed_server(invocation(typer_ctx, actor)).request("GET", "/api/notifications/failed"), as_json)
        return
    parse_since(since)
    query = {"level": level, "township": township, "group": group, "since": since}
    rows = signed_server(invocation(typer_ctx, actor)).request("GET", "/api/escalations", query=query)
    if as_json:
        print_json(rows)
        return
    columns = (
        Col(_("案件编号"), keep=True),
        Col(_("乡镇（街道）"), keep=True),
        Col(_("阶段")),
        Col(_("级别")),
        Col(_("接收人"), keep=True),
        Col(_("时间"), keep=True),
        Col(_("送达")),
        Col(_("原因"), wide=True),
    )
    table = [
        (
            r["case_no"],
            r["township"],
            label("stage", r["stage"]),
            r["level"],
            "\n".join(r["recipients"]),
            shown(r["at"]),
            "✓" if r["delivered"] else "",
            label("escalation_reason", r.get("reason")),
        )
        for r in rows
    ]
    print_table(columns, table, wide=wide)
    echo(t("count_rows", n=len(rows)))


def print_failed(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    if not rows:
        echo(t("failed_none"))
        return
    columns = (
        Col(_("案件编号"), keep=True),
        Col(_("乡镇"), keep=True),
        Col(_("接收人"), keep=True),
        Col(_("次数")),
        Col(_("时间"), keep=True),
        Col(_("原因")),
    )
    table = [
        (r["case_no"] or label("topic", r["topic"]), r["township"], r["recipient"], r["attempts"],
         shown(r["created_at"]), r["last_error"] or "")
        for r in rows
    ]  # fmt: skip
    print_table(columns, table)
    echo(t("count_rows", n=len(rows)))


def notifications(
    typer_ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help=choice_help(_("发送状态"), "status"))] = None,
    wide: WideOption = False,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """本人权限范围内的通知发件箱及每条的送达情况。"""
    rows = signed_server(invocation(typer_ctx, actor)).request(
        "GET", "/api/notifications", query={"status": parse_word("status", status, "--status")}
    )
    if as_json:
        print_json(rows)
        return
    columns = (
        Col(_("案件编号"), keep=True),
        Col(_("级别")),
        Col(_("接收人"), keep=True),
        Col(_("状态")),
        Col(_("时间"), keep=True),
        Col(_("次数"), wide=True),
        Col(_("错误"), wide=True),
    )
    table = [
        (
            r["case_no"],
            r["level"],
            r["recipient"],
            label("status", r["status"]),
            shown(r.get("sent_at") or r.get("created_at")),
            r["attempts"],
            (r["last_error"] or "")[:60],
        )
        for r in rows
    ]
    print_table(columns, table, wide=wide)
    echo(t("count_rows", n=len(rows)))


def audit_(
    typer_ctx: typer.Context,
    case: Annotated[str | None, typer.Option("--case", help=_("案件编号或工作流 ID"))] = None,
    officer: Annotated[str | None, typer.Option("--officer", help=_("人员姓名"))] = None,
    since: SinceOption = None,
    wide: WideOption = False,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """访问日志：每次查看个人信息、每次带用途的完整查看、每次拒绝（系统管理员与县级）。"""
    parse_since(since)
    query = {"case": case, "officer": officer, "since": since}
    rows = signed_server(invocation(typer_ctx, actor)).request("GET", "/api/audit", query=query)
    if as_json:
        print_json(rows)
        return
    columns = (
        Col(_("时间"), keep=True),
        Col(_("人员"), keep=True),
        Col(_("角色"), wide=True),
        Col(_("操作")),
        Col(_("结果")),
        Col(_("案件编号"), keep=True),
        Col(_("用途")),
    )
    table = [
        (
            shown(r["at"]),
            r["actor"],
            label("role", r["role"]),
            label("action", r["action"]),
            label("outcome_of_access", r["outcome"]),
            r["case_no"] or "",
            r["purpose"] or "",
        )
        for r in rows
    ]
    print_table(columns, table, wide=wide)
    echo(t("count_rows", n=len(rows)))
