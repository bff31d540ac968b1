"""`login`, `whoami`, `logout`, and `officer …`: who is who, proven by keys."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cli.case_commands import AsOption, JsonOption, WideOption, invocation
from cli.errors import bad_input
from cli.http import LONG_SECONDS
from cli.output import Col, echo, print_json, print_table
from cli.session import Invocation, signed_server, unsigned_server
from domain.enums import Role
from domain.i18n import _
from domain.labels import choice_help, label
from domain.messages import t
from domain.parsing import parse_choice
from domain.profile import Identity, Profile, new_private_key, normal_server

officer_app = typer.Typer(help=_("人员：登记、列表、吊销密钥。"), no_args_is_help=True)


def enrol_here(inv: Invocation, server_url: str | None, code: str, *, make_default: bool) -> Identity:
    """Make a key pair on this machine, send only the public key with the code, keep the private key."""
    server = unsigned_server(inv, server_url)
    private, public = new_private_key()
    who = server.request(
        "POST", "/api/enrol", body={"code": code.strip(), "public_key": public}, signed=False, timeout=LONG_SECONDS
    )
    identity = Identity(
        id=who["id"],
        name=who["name"],
        role=who["role"],
        township=who["township"],
        server=server.url,
        private_key=private,
    )
    profile = Profile()
    profile.add(identity, make_default=make_default)
    profile.save()
    return identity


def login(
    typer_ctx: typer.Context,
    code: Annotated[str, typer.Option("--code", help=_("管理员给出的一次性登记码"))],
    server: Annotated[str | None, typer.Option("--server", help=_("服务器地址（BAOXUE_SERVER；默认本机服务）"))] = None,
) -> None:
    """用一次性登记码登录：在本机生成密钥对，只把公钥发给服务器。"""
    identity = enrol_here(typer_ctx.obj, server, code, make_default=True)
    echo(t("logged_in", name=identity.ref, role=label("role", identity.role), server=identity.server))


def whoami(typer_ctx: typer.Context, actor: AsOption = None, as_json: JsonOption = False) -> None:
    """当前身份（服务器确认）。"""
    server = signed_server(invocation(typer_ctx, actor))
    who = server.request("GET", "/api/whoami")
    shown = {"name": who["name"], "role": who["role"], "township": who["township"], "server": server.url}
    if who.get("school"):
        shown["school"] = who["school"]
    if as_json:
        print_json({**shown, "id": who["id"]})
    else:
        where = f"{_('，')}{who['township']}" if who["township"] else ""
        where += f"{_('，')}{who['school']}" if who.get("school") else ""
        echo(t("whoami", name=who["name"], role=label("role", who["role"]), where=where, server=server.url))


def logout(typer_ctx: typer.Context, actor: AsOption = None) -> None:
    """从本机档案删除该身份的私钥（服务器上的登记不变；需要时管理员可吊销）。"""
    inv = invocation(typer_ctx, actor)
    profile = Profile()
    wanted = inv.actor or os.environ.get("BAOXUE_ACTOR")
    explicit = os.environ.get("BAOXUE_SERVER")
    identity = profile.choose(wanted, normal_server(explicit) if explicit else None)
    profile.remove(identity)
    profile.save()
    echo(t("logged_out", name=identity.ref))


@officer_app.command("add")
def add(
    typer_ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help=_("姓名"))],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help=choice_help(_("角色"), "role"),
        ),
    ],
    township: Annotated[str | None, typer.Option("--township", help=_("办案人员所在乡镇（街道）"))] = None,
    school: Annotated[str | None, typer.Option("--school", help=_("学校专干所在学校（乡镇随学校）"))] = None,
    notify: Annotated[list[str] | None, typer.Option("--notify", help=_("通知地址（apprise URL），可重复"))] = None,
    here: Annotated[
        bool, typer.Option("--here", help=_("演示用：立即以登记码把此人登录到本机档案（不设为默认身份）"))
    ] = False,
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """登记人员（系统管理员），返回一次性登记码（72小时内有效，仅可使用一次）。"""
    chosen = parse_choice(Role, role, "--role")
    assert chosen is not None
    role = chosen.value
    if not name.strip():
        raise bad_input(t("bad_value", option="--name", value=repr(name)))
    inv = invocation(typer_ctx, actor)
    server = signed_server(inv)
    body = {"name": name, "role": role, "township": township, "school": school, "notify": notify or []}
    saved = server.request("POST", "/api/officers", body=body)
    if here:
        enrol_here(inv, server.url, saved["code"], make_default=False)
    if as_json:
        keys = ("name", "role", "township", "school", "code", "id", "expires_at")
        print_json({k: saved[k] for k in keys if k in saved})
    elif not here:
        role = label("role", saved["role"])
        echo(t("officer_code", name=saved["name"], role=role, code=saved["code"], server=server.url))
    else:
        echo(t("officer_saved", name=saved["name"], role=label("role", saved["role"])))


@officer_app.command("revoke")
def revoke(
    typer_ctx: typer.Context,
    officer: Annotated[str, typer.Argument(metavar="NAME", help=_("姓名、姓名@乡镇 或编号"))],
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """吊销人员的密钥（系统管理员）：从此刻起服务器与所有在办案件都拒绝该密钥。"""
    done = signed_server(invocation(typer_ctx, actor)).request(
        "POST", "/api/officers/revoke", body={"ref": officer}, timeout=LONG_SECONDS
    )
    if as_json:
        print_json(done)
    else:
        echo(t("officer_revoked", name=done["name"]))


@officer_app.command("rename")
def rename(
    typer_ctx: typer.Context,
    officer: Annotated[str, typer.Argument(metavar="NAME", help=_("姓名、姓名@乡镇 或编号"))],
    new_name: Annotated[str, typer.Option("--name", help=_("新姓名"))],
    actor: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """人员改名（系统管理员）：编号、密钥、角色不变，历史记录保留当时的姓名。"""
    body = {"ref": officer, "name": new_name}
    done = signed_server(invocation(typer_ctx, actor)).request(
        "POST", "/api/officers/rename", body=body, timeout=LONG_SECONDS
    )
    if as_json:
        print_json(done)
    else:
        echo(t("officer_saved", name=done["name"], role=label("role", done["role"])))


@officer_app.command("list")
def list_(
    typer_ctx: typer.Context, wide: WideOption = False, actor: AsOption = None, as_json: JsonOption = False
) -> None:
    """全部人员：花名册中的人与已登记的人，及其权限范围。"""
    rows = signed_server(invocation(typer_ctx, actor)).request("GET", "/api/officers")
    if as_json:
        print_json(rows)
        return
    columns = (
        Col(_("姓名"), keep=True),
        Col(_("角色")),
        Col(_("乡镇（街道）"), keep=True),
        Col(_("组别")),
        Col(_("权限范围")),
        Col(_("密钥")),
        Col(_("编号"), wide=True),
        Col(_("通知"), wide=True),
    )
    table = [
        (
            r["name"],
            label("role", r["role"]),
            r["township"] or "",
            r["group"] or "",
            "、".join(r["townships"]) if r["role"] != "county" else _("全县"),
            "✓" if r.get("enrolled") else "",
            r.get("id") or "",
            len(r["notify"]),
        )
        for r in rows
    ]
    print_table(columns, table, wide=wide)
