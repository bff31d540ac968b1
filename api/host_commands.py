"""The host's commands — `up`, `status`, `serve`, `worker`, `db upgrade`, `codec …`,
`bootstrap-admin`, `roster check`: running the services on the server's machine. They join the
same `baoxue` executable through the entry-point group `baoxue.host_commands` (pyproject.toml), so
the officer's client never imports them; they load temporalio, SQLAlchemy and the keys lazily,
only when run (docs/architecture.md, "The trust boundary")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from domain.i18n import _
from domain.messages import t
from domain.terminal import echo, print_json
from starter.errors import BadInput, CliError, Refused

JsonOption = Annotated[bool, typer.Option("--json", help=_("输出 JSON"))]
DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help=_("本地服务的数据目录（BAOXUE_DATA_DIR；默认 ./.baoxue）"))
]

db_app = typer.Typer(help=_("台账数据库。"), no_args_is_help=True)
codec_app = typer.Typer(help=_("载荷编解码密钥环。"), no_args_is_help=True)
secret_app = typer.Typer(help=_("个人信息的数据密钥。"), no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Adds the host's commands to the `baoxue` executable (the entry point's hook)."""
    app.command("up")(up)
    app.command("status")(status)
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("codec-server")(codec_server)
    app.command("bootstrap-admin")(bootstrap_admin)
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.add_typer(db_app, name="db")
    app.add_typer(codec_app, name="codec")
    app.add_typer(secret_app, name="secret")
    for group in app.registered_groups:
        if group.name == "roster" and group.typer_instance is not None:
            group.typer_instance.command("check")(roster_check)


def settings_for(typer_ctx: typer.Context, data_dir: Path | None) -> Any:
    """The server's settings; a bad one is exit 2 with one line naming it."""
    from pydantic import ValidationError

    from config.settings import load_settings

    try:
        return load_settings(data_dir=data_dir or typer_ctx.obj.data_dir)
    except ValidationError as error:
        first = error.errors()[0]
        setting = "BAOXUE_" + "_".join(str(part) for part in first["loc"]).upper()
        kinds = {"int_parsing": _("整数"), "float_parsing": _("数字"), "bool_parsing": "true|false"}
        expected = kinds.get(first["type"], first["msg"])
        raise BadInput(t("bad_setting", setting=setting, value=first.get("input"), expected=expected)) from None


def up(
    typer_ctx: typer.Context,
    data_dir: DataDirOption = None,
    port: Annotated[int, typer.Option("--port", help=_("Temporal gRPC 端口"))] = 7233,
    ui_port: Annotated[int | None, typer.Option("--ui-port", help=_("Temporal Web UI 端口（默认 端口+1000）"))] = None,
    db_port: Annotated[int | None, typer.Option("--db-port", help=_("PostgreSQL 端口（默认：任一空闲端口）"))] = None,
    api_port: Annotated[int | None, typer.Option("--api-port", help=_("API 端口（默认 8765）"))] = None,
    demo: Annotated[
        bool, typer.Option("--demo", help=_("演示：花名册中每个人都登录到本机档案，一人可试用所有角色"))
    ] = False,
    web_ui: Annotated[bool, typer.Option("--ui", help=_("也开 Web UI（本机人人可借它终止案件）"))] = False,
) -> None:
    """在前台运行整套本地服务：Temporal、PostgreSQL、worker、API 服务器。"""
    from starter.up import UpOptions, run_up

    settings = settings_for(typer_ctx, data_dir)
    options = UpOptions(settings.data_dir, port, ui_port, db_port, api_port or settings.api_port, demo, web_ui)
    raise typer.Exit(run_up(settings, options))


def status(
    typer_ctx: typer.Context,
    data_dir: DataDirOption = None,
    wait: Annotated[float | None, typer.Option("--wait", help=_("等待至健康，最多 SECONDS 秒"))] = None,
    as_json: JsonOption = False,
) -> None:
    """Temporal、PostgreSQL、worker 与 API 服务器是否都正常？"""
    from starter.status import collect_status, wait_for_health

    settings = settings_for(typer_ctx, data_dir)
    report = wait_for_health(settings, wait) if wait else collect_status(settings)
    if as_json:
        print_json(report)
    else:
        mark = {True: "✓", False: "✗"}
        verdict = t("healthy") if report["healthy"] else t("unhealthy")
        echo(f"{mark[report['healthy']]} {verdict}  ({report['data_dir']})")
        tm, db, wk, api = report["temporal"], report["database"], report["worker"], report["api"]
        none = _("（未运行）")
        ui = f"  Web UI {tm['ui']}" if tm["ui"] else ""
        echo(f"  {mark[tm['ok']]} Temporal    {tm['address'] or none}  {_('命名空间')} {tm['namespace']}{ui}")
        echo(f"  {mark[db['ok']]} PostgreSQL  {db['url'] or none}")
        echo(f"  {mark[wk['ok']]} worker      {_('任务队列')} {wk['task_queue']}")
        echo(f"  {mark[api['ok']]} API         {api['url'] or none}")
        for note in report.get("calendar_notes", []):
            echo(note)
    raise typer.Exit(0 if report["healthy"] else 1)


def serve(
    typer_ctx: typer.Context,
    data_dir: DataDirOption = None,
    host: Annotated[str | None, typer.Option("--host", help=_("监听地址（BAOXUE_API_HOST；默认 127.0.0.1）"))] = None,
    port: Annotated[int | None, typer.Option("--port", help=_("监听端口（BAOXUE_API_PORT；默认 8765）"))] = None,
) -> None:
    """运行 API 服务器（持有数据密钥、编解码密钥环、服务密钥、数据库与 Temporal 连接）。"""
    from api.server import serve as run_server

    raise typer.Exit(run_server(settings_for(typer_ctx, data_dir), host=host, port=port))


def worker(typer_ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """运行一个 worker（生产环境入口）。"""
    from worker import start_worker

    raise typer.Exit(start_worker(settings_for(typer_ctx, data_dir)))


def bootstrap_admin(
    typer_ctx: typer.Context,
    data_dir: DataDirOption = None,
    name: Annotated[str, typer.Option("--name", help=_("管理员姓名"))] = "admin",
    as_json: JsonOption = False,
) -> None:
    """在服务器主机上为第一位系统管理员生成一次性登记码（需数据库设置；之后在其本机 baoxue login）。"""
    import datetime as dt

    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from api.officers import CODE_VALID, code_hash, new_code
    from ledger.officers import save_officer
    from starter.context import Context

    ctx = Context(settings_for(typer_ctx, data_dir))
    code = new_code()
    try:
        with ctx.sessions() as probe:
            probe.execute(text("SELECT 1"))
    except OperationalError as refused:
        if "password" in str(refused):
            raise Refused(t("database_owner_needed")) from None
        raise
    with ctx.sessions.begin() as session:
        officer, _new = save_officer(
            session,
            name=name.strip() or "admin",
            role="admin",
            township=None,
            notify_urls=None,
            code_hash=code_hash(code),
            code_expires_at=dt.datetime.now(dt.UTC) + CODE_VALID,
        )
        saved = {"name": officer.name, "role": officer.role, "township": None, "code": code, "id": officer.id}
    ctx.close()
    if as_json:
        print_json(saved)
    else:
        echo(t("officer_code", name=saved["name"], role="admin", code=code, server="URL"))


@db_app.command("upgrade")
def db_upgrade(typer_ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """执行全部待执行的数据库迁移。"""
    from config.local_stack import StackNotRunningError, database_url
    from ledger.migrate import upgrade_to_head

    settings = settings_for(typer_ctx, data_dir)
    try:
        url = database_url(settings)
    except StackNotRunningError as exc:
        raise CliError(t("stack_not_running", data_dir=exc.data_dir)) from None
    echo(t("migrated", revision=upgrade_to_head(url)))


def codec_server(
    typer_ctx: typer.Context,
    data_dir: DataDirOption = None,
    port: Annotated[int, typer.Option("--port", help=_("端口"))] = 8089,
    token: Annotated[str | None, typer.Option("--token", help=_("共享口令（默认：新生成并显示）"))] = None,
    ui_origin: Annotated[list[str] | None, typer.Option("--ui-origin", help=_("允许的 Web UI 来源（可重复）"))] = None,
) -> None:
    """在 127.0.0.1 上为 Temporal Web UI 提供 /encode 与 /decode（须持有密钥环文件）。"""
    import secrets

    from config.payload_codec import EncryptionCodec, load_keyring
    from starter.codec_server import serve as serve_codec

    settings = settings_for(typer_ctx, data_dir)
    secret = token or secrets.token_urlsafe(24)
    origins = set(ui_origin or ["http://127.0.0.1:8233", "http://localhost:8233"])
    codec = EncryptionCodec(load_keyring(settings), strict=False)
    server = serve_codec(codec, port=port, token=secret, origins=origins)
    echo(t("codec_server", url=f"http://127.0.0.1:{port}", token=secret))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@secret_app.command("rotate")
def secret_rotate(typer_ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """添加新的数据密钥（个人信息加密）；旧数据仍可读取，儿童去重键不变。之后请重启 worker 与服务器。"""
    from config.secrets import SecretKeyError, rotate_data_key

    settings = settings_for(typer_ctx, data_dir)
    try:
        number, value = rotate_data_key(settings)
    except SecretKeyError as error:
        raise BadInput(str(error)) from None
    if value is not None:
        echo(t("secret_rotated_env", number=number))
        echo(value)
        return
    echo(t("secret_rotated", number=number, path=settings.data_key_file))


@secret_app.command("service-public-key")
def secret_service_public_key(typer_ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """显示服务密钥的公钥（设为 worker 的 BAOXUE_SERVICE_PUBLIC_KEY：worker 只接受由它签名的案件启动）。"""
    from config.service_key import ServiceKeyError, load_service_key
    from domain.signing import public_key_of

    try:
        echo(public_key_of(load_service_key(settings_for(typer_ctx, data_dir))))
    except ServiceKeyError as error:
        raise BadInput(str(error)) from None


@codec_app.command("rotate")
def codec_rotate(typer_ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """向密钥环文件添加新的启用密钥；旧载荷仍可读取。之后请重启 worker 与服务器。"""
    import json

    from config.payload_codec import KeyringError, keyring_path, load_keyring, write_keyring

    settings = settings_for(typer_ctx, data_dir)
    try:
        rotated = load_keyring(settings).rotated()
    except KeyringError as error:
        raise BadInput(str(error)) from None
    if settings.codec_keys is not None:
        # The keyring comes from the environment: a file would be read by nobody; say what to set.
        echo(t("codec_rotated_env", key=rotated.active))
        echo(json.dumps(json.loads(rotated.dumps()), separators=(",", ":")))
        return
    write_keyring(keyring_path(settings), rotated)
    echo(t("codec_rotated", key=rotated.active, path=keyring_path(settings)))


def roster_check(file: Annotated[Path, typer.Argument(help=_("花名册 YAML 文件"))]) -> None:
    """检查花名册文件，列出每处问题及位置（本机检查，不连服务器）。"""
    import sys

    from config.roster_file import RosterError, load_roster

    if not file.exists():
        raise BadInput(t("file_missing", path=file))
    try:
        roster = load_roster(file)
    except RosterError as exc:
        sys.stderr.write(t("roster_problems", path=file, n=len(exc.problems)) + "\n")
        for problem in exc.problems:
            sys.stderr.write(f"  {problem}\n")
        raise typer.Exit(2) from None
    echo(t("roster_ok", groups=len(roster.groups), townships=len(roster.townships())))


def backup(
    typer_ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help=_("备份放到哪个目录（须为新目录或空目录）"))],
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """在服务器主机上在线备份台账（PostgreSQL 自带的转储格式）和本地 Temporal 数据库，附清单；不含密钥。

    备份完成后逐项核对，核对无误才以 0 退出。"""
    from starter.backup import KEY_FILES
    from starter.backup import backup as take_backup

    settings = settings_for(typer_ctx, data_dir)
    manifest = take_backup(settings, out, (lambda line: None) if as_json else echo)
    if as_json:
        print_json({"out": str(out), **manifest})
        return
    counts = manifest["counts"]
    echo(t("backup_done", path=str(out), cases=counts["cases"], events=counts["case_events"]))
    echo(t("backup_keep_keys", files="、".join(KEY_FILES)))


def restore(
    typer_ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(metavar="DIR", help=_("备份目录（baoxue backup --out 的目录）"))],
    new_data_dir: Annotated[Path, typer.Option("--data-dir", help=_("恢复到的新数据目录（须为空）"))],
    keys: Annotated[Path, typer.Option("--keys", help=_("另行保管的密钥所在目录（文件名与数据目录中的相同）"))],
    as_json: JsonOption = False,
) -> None:
    """把备份恢复到一个空的数据目录：先核对密钥与备份清单是否相符，再建立新的台账数据库。"""
    from starter.backup import restore as restore_backup

    done = restore_backup(folder, new_data_dir, keys, (lambda line: None) if as_json else echo)
    if as_json:
        print_json({"data_dir": str(done.data_dir), **done.manifest})
        return
    echo(t("restore_done", path=str(done.data_dir), at=done.manifest["at"], cases=done.manifest["counts"]["cases"]))
