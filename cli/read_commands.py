"""`escalations`, `notifications`, `audit`: what went up the chain, whether it arrived, who looked."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.case_commands import AsOption, JsonOption, invocation
from cli.output import print_json, print_table
from cli.session import signed_server
from domain.parsing import parse_since

SinceOption = Annotated[str | None, typer.Option("--since", help="自该日起 YYYY-MM-DD（北京时间）")]


def escalations(
    typer_ctx: typer.Context,
    level: Annotated[int | None, typer.Option("--level", min=0, max=2, help="督办级别 0|1|2")] = None,
    township: Annotated[str | None, typer.Option("--township", help="乡镇（街道）")] = None,
    group: Annotated[int | None, typer.Option("--group", min=1, help="组别")] = None,
    since: SinceOption = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """本人权限范围内的每一次督办：案件、乡镇、阶段、级别、接收人、时间、是否送达。"""
    parse_since(since)
    query = {"level": level, "township": township, "group": group, "since": since}
    rows = signed_server(invocation(typer_ctx, actor)).request("GET", "/api/escalations", query=query)
    if as_json:
        print_json(rows)
        return
    print_table(
        ("case_no", "township", "stage", "level", "recipients", "at", "delivered"),
        [
            (
                r["case_no"],
                r["township"],
                r["stage"],
                r["level"],
                "、".join(r["recipients"]),
                r["at"][:19],
                "✓" if r["delivered"] else "",
            )
            for r in rows
        ],
    )


def notifications(
    typer_ctx: typer.Context,
    status: Annotated[str | None, typer.Option("--status", help="pending|sent|failed")] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """本人权限范围内的通知发件箱及每条的送达情况。"""
    rows = signed_server(invocation(typer_ctx, actor)).request("GET", "/api/notifications", query={"status": status})
    if as_json:
        print_json(rows)
        return
    print_table(
        ("case_no", "level", "recipient", "status", "attempts", "error"),
        [
            (r["case_no"], r["level"], r["recipient"], r["status"], r["attempts"], (r["last_error"] or "")[:60])
            for r in rows
        ],
    )


def audit_(
    typer_ctx: typer.Context,
    case: Annotated[str | None, typer.Option("--case", help="案件编号或工作流 ID")] = None,
    officer: Annotated[str | None, typer.Option("--officer", help="人员姓名")] = None,
    since: SinceOption = None,
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
    print_table(
        ("at", "actor", "role", "action", "outcome", "case_no", "purpose"),
        [
            (r["at"][:19], r["actor"], r["role"], r["action"], r["outcome"], r["case_no"] or "", r["purpose"] or "")
            for r in rows
        ],
    )
