"""`baoxue dashboard`: a one-time sign-in link for the supervisors' dashboard, signed with the
officer's own key on this machine (valid 2 minutes), opened in the browser or printed."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Annotated
from urllib.parse import urlencode

import typer

from cli.case_commands import AsOption, invocation
from cli.http import sign_text
from cli.output import echo
from cli.session import signed_server
from domain.i18n import _
from domain.messages import t
from domain.wire import dashboard_link_message


def dashboard(
    typer_ctx: typer.Context,
    print_url: Annotated[bool, typer.Option("--print-url", help=_("只打印登录链接，不打开浏览器"))] = False,
    logout_all: Annotated[bool, typer.Option("--logout-all", help=_("退出本人在所有浏览器上的看板登录"))] = False,
    codec_endpoint: Annotated[bool, typer.Option("--codec-endpoint", help=_("Web UI 解码端点（县级，8小时）"))] = False,
    actor: AsOption = None,
) -> None:
    """打开督导看板（一次性登录链接，2分钟内有效，由本机密钥签名）。"""
    server = signed_server(invocation(typer_ctx, actor))
    if codec_endpoint:
        answer = server.request("POST", "/api/codec-endpoint")
        echo(t("codec_endpoint_ready", endpoint=answer["endpoint"]))
        return
    if logout_all:
        ended = server.request("POST", "/api/dashboard/logout-all")
        echo(t("dashboard_ended", n=ended["ended"]))
        return
    assert server.identity is not None
    officer = str(server.identity.id)
    at = dt.datetime.now(dt.UTC).isoformat()
    nonce = secrets.token_hex(16)
    signature = sign_text(server.identity, dashboard_link_message(officer, at, nonce))
    query = urlencode({"officer": officer, "at": at, "nonce": nonce, "sig": signature})
    url = f"{server.url}/dashboard/enter?{query}"
    if print_url:
        print(url)
        return
    import webbrowser

    if not webbrowser.open(url):
        echo(t("dashboard_link", url=url))
