"""`up`, `status`, `worker`, `db upgrade`: running the services."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from starter.context import Context, JsonOption, print_json
from starter.messages import t

DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Data dir of the local stack (BAOXUE_DATA_DIR; default ./.baoxue)")
]

db_app = typer.Typer(help="The ledger database.", no_args_is_help=True)


codec_app = typer.Typer(help="The payload codec's keyring.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("up")(up)
    app.command("status")(status)
    app.command("worker")(worker)
    app.command("codec-server")(codec_server)
    app.add_typer(db_app, name="db")
    app.add_typer(codec_app, name="codec")


def _ctx(typer_ctx: typer.Context, data_dir: Path | None) -> Context:
    ctx: Context = typer_ctx.obj
    if data_dir is not None:
        ctx.data_dir = data_dir
        ctx.__dict__.pop("settings", None)
    return ctx


def up(
    typer_ctx: typer.Context,
    data_dir: DataDirOption = None,
    port: Annotated[int, typer.Option("--port", help="Temporal gRPC port")] = 7233,
    ui_port: Annotated[int | None, typer.Option("--ui-port", help="Temporal Web UI port (default port+1000)")] = None,
    db_port: Annotated[int | None, typer.Option("--db-port", help="PostgreSQL port (default: a free one)")] = None,
) -> None:
    """Run the whole local stack in the foreground: Temporal, PostgreSQL, a worker."""
    from starter.up import UpOptions, run_up

    settings = _ctx(typer_ctx, data_dir).settings
    raise typer.Exit(run_up(settings, UpOptions(settings.data_dir, port, ui_port, db_port)))


def status(
    typer_ctx: typer.Context,
    data_dir: DataDirOption = None,
    wait: Annotated[float | None, typer.Option("--wait", help="Poll until healthy, at most SECONDS")] = None,
    as_json: JsonOption = False,
) -> None:
    """Is Temporal up, is PostgreSQL up, does a worker poll the task queue?"""
    from starter.status import collect_status, wait_for_health

    settings = _ctx(typer_ctx, data_dir).settings
    report = wait_for_health(settings, wait) if wait else collect_status(settings)
    if as_json:
        print_json(report)
    else:
        mark = {True: "✓", False: "✗"}
        typer.echo(
            f"{mark[report['healthy']]} {t('healthy') if report['healthy'] else t('unhealthy')}  ({report['data_dir']})"
        )
        tm, db, wk = report["temporal"], report["database"], report["worker"]
        typer.echo(f"  {mark[tm['ok']]} Temporal    {tm['address']}  namespace={tm['namespace']}  ui={tm['ui']}")
        typer.echo(f"  {mark[db['ok']]} PostgreSQL  {db['url']}")
        typer.echo(f"  {mark[wk['ok']]} worker      task_queue={wk['task_queue']}")
    raise typer.Exit(0 if report["healthy"] else 1)


def worker(typer_ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """Run one worker against the configured services (the production entry point)."""
    import asyncio

    from config.logging import configure_logging
    from worker import run_worker

    settings = _ctx(typer_ctx, data_dir).settings
    configure_logging(settings.log_format, settings.log_level)
    asyncio.run(run_worker(settings))


@db_app.command("upgrade")
def db_upgrade(typer_ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """Apply every pending migration."""
    from ledger.migrate import upgrade_to_head

    ctx = _ctx(typer_ctx, data_dir)
    typer.echo(t("migrated", revision=upgrade_to_head(ctx.database_url())))


def codec_server(
    typer_ctx: typer.Context,
    data_dir: DataDirOption = None,
    port: Annotated[int, typer.Option("--port")] = 8089,
    token: Annotated[str | None, typer.Option("--token", help="Shared secret (default: a new one, printed)")] = None,
    ui_origin: Annotated[
        list[str] | None, typer.Option("--ui-origin", help="Web UI origin allowed (repeatable)")
    ] = None,
) -> None:
    """Serve /encode and /decode for the Temporal web UI on 127.0.0.1, behind a token."""
    import secrets

    from config.payload_codec import EncryptionCodec, load_keyring
    from starter.codec_server import serve

    settings = _ctx(typer_ctx, data_dir).settings
    secret = token or secrets.token_urlsafe(24)
    origins = set(ui_origin or ["http://127.0.0.1:8233", "http://localhost:8233"])
    server = serve(EncryptionCodec(load_keyring(settings)), port=port, token=secret, origins=origins)
    typer.echo(t("codec_server", url=f"http://127.0.0.1:{port}", token=secret))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@codec_app.command("rotate")
def codec_rotate(typer_ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """Add a new active key to the keyring file; older payloads stay readable. Restart workers after."""
    from config.payload_codec import keyring_path, load_keyring, write_keyring

    settings = _ctx(typer_ctx, data_dir).settings
    rotated = load_keyring(settings).rotated()
    write_keyring(keyring_path(settings), rotated)
    typer.echo(t("codec_rotated", key=rotated.active, path=keyring_path(settings)))
