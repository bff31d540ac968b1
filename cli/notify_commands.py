"""`baoxue notify`: where one's own reminders go, a test message, and a daily digest — changed by
the officer with their own key, no new enrolment (an administrator for others with --officer)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.case_commands import AsOption, JsonOption, invocation
from cli.errors import EXIT_FAILED
from cli.output import echo, print_json
from cli.session import signed_server
from domain.i18n import _
from domain.messages import t


def notify(
    typer_ctx: typer.Context,
    add: Annotated[list[str] | None, typer.Option("--add", help=_("添加通知地址（apprise URL），可重复"))] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help=_("删除通知地址（完整地址或列出的形式），可重复"))
    ] = None,
    test: Annotated[bool, typer.Option("--test", help=_("向每个通知地址发送一条测试消息；有失败时退出码为 1"))] = False,
    digest: Annotated[
        str | None, typer.Option("--digest", help=_("每日汇总的时间 HH:MM（北京时间），或“关闭”不再发送"))
    ] = None,
    officer: Annotated[
        str | None, typer.Option("--officer", help=_("为另一名人员设置（系统管理员）：姓名或 姓名@乡镇"))
    ] = None,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> int:
    """查看、修改和测试本人的通知地址，设置每日汇总（不需重新登记）。

    每日汇总在所选时间发送一条消息，按乡镇列出本人到期或逾期未办的全部案件。"""
    body = {"officer": officer, "add": add or [], "remove": remove or [], "digest": digest, "test": test}
    answer = signed_server(invocation(typer_ctx, actor)).request("POST", "/api/notify", body=body)
    tested = answer.get("tested", [])
    failed = any(not item["ok"] for item in tested)
    if as_json:
        print_json(answer)
        return EXIT_FAILED if failed else 0
    shown_digest = answer["digest"] or t("notify_digest_off")
    echo(t("notify_shown", officer=answer["officer"], n=len(answer["notify"]), digest=shown_digest))
    for url in answer["notify"]:
        echo(f"  {url}")
    if not answer["notify"]:
        echo(t("notify_none"))
    for item in tested:
        key = "notify_tested_ok" if item["ok"] else "notify_tested_failed"
        echo(t(key, url=item["url"], error=item.get("error") or ""))
    return EXIT_FAILED if failed else 0
